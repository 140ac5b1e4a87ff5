"""Reference data of the agencies app in the Django admin."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from agencies.models import (
    Agency,
    CalendarDay,
    Membership,
    Municipality,
    OfficialPage,
    Region,
    User,
    WorkCalendar,
    WorkingPeriod,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "time_zone")
    search_fields = ("code", "name")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "oktmo", "parent", "region")
    list_filter = ("region", "kind")
    search_fields = ("name", "oktmo")
    list_select_related = ("parent", "region")
    autocomplete_fields = ("parent",)


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    ordering = ("-date",)


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "is_default")
    list_filter = ("region",)
    search_fields = ("name",)
    inlines = [WorkingPeriodInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "shortened_by_minutes", "origin", "calendar")
    list_filter = ("kind", "origin", "calendar")
    search_fields = ("name",)
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # A day edited by hand is the administrator's: a later sync must not overwrite it.
        obj.origin = CalendarDay.Origin.MANUAL
        super().save_model(request, obj, form, change)


class OfficialPageInline(admin.TabularInline):
    model = OfficialPage
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user", "agency")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "municipality", "parent", "is_active")
    list_filter = ("region", "kind", "is_active")
    search_fields = ("name", "short_name", "ogrn")
    list_select_related = ("municipality", "parent")
    autocomplete_fields = ("parent", "municipality")
    inlines = [OfficialPageInline, MembershipInline]


@admin.register(OfficialPage)
class OfficialPageAdmin(admin.ModelAdmin):
    list_display = ("name", "network", "external_id", "agency", "is_active")
    list_filter = ("network", "is_active")
    search_fields = ("name", "url", "external_id", "agency__name")
    autocomplete_fields = ("agency",)
    list_select_related = ("agency",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "is_active", "is_demo", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        """A routing rule's executor is picked among agency staff only (not every login)."""
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "routingrule" and (
            request.GET.get("field_name") == "executor"
        ):
            results = results.filter(memberships__isnull=False, is_active=True).distinct()
            duplicates = True
        return results, duplicates

    list_filter = ("is_active", "is_staff", "is_demo", "groups", "regions")
    filter_horizontal = ("groups", "user_permissions", "regions", "curated_municipalities")
    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Control centre"),
            {"fields": ("time_zone", "regions", "curated_municipalities", "is_demo")},
        ),
    )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "user__last_name", "agency__name")
    autocomplete_fields = ("user", "agency")
    list_select_related = ("user", "agency")
