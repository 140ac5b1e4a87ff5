"""Personal data in the admin: the regions' retention policies (with a dry run), the log of
removals and look-ups, and one citizen's request — find, export, remove — each logged."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.selectors import staff_context
from signals_app import privacy
from signals_app.admin_base import ReadOnlyAdmin
from signals_app.models import PersonalDataLog, RetentionPolicy

Action = PersonalDataLog.Action


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("region", "is_active", "authors_years", "attachments_years", "rejected_months")
    list_filter = ("is_active",)
    actions = ["dry_run"]

    @admin.action(description=_("Dry run: count what the policy would remove now"))
    def dry_run(self, request: HttpRequest, queryset: QuerySet[RetentionPolicy]) -> None:
        for policy in queryset.select_related("region"):
            for run in privacy.retention_apply(region=policy.region, dry_run=True):
                sample = ", ".join(run.sample)
                self.message_user(
                    request,
                    _("%(region)s, %(rule)s: %(count)s to remove%(sample)s")
                    % {
                        "region": policy.region,
                        "rule": run.rule.label,
                        "count": run.found,
                        "sample": f" ({sample}…)" if sample else "",
                    },
                    messages.INFO,
                )


class SubjectForm(forms.Form):
    profile = forms.CharField(label=_("Profile address"), max_length=500, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    reason = forms.CharField(
        label=_("The request (its number and date)"), max_length=180, required=False,
        help_text=_("Kept in the log with each action, instead of the data."),
    )  # fmt: skip

    def clean(self) -> dict:
        data = super().clean() or {}
        if not privacy.normalise(profile=data.get("profile", ""), phone=data.get("phone", ""),
                                 email=data.get("email", "")).given:  # fmt: skip
            raise forms.ValidationError(
                _("Give a profile, a phone (five digits at least) or an e-mail.")
            )
        return data


@admin.register(PersonalDataLog)
class PersonalDataLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "region", "actor", "rule", "count")
    list_filter = ("action", "region")
    date_hierarchy = "at"
    fields = ("at", "action", "region", "actor", "rule", "subject_hash", "count", "signal_ids")

    def get_urls(self):  # type: ignore[no-untyped-def]
        subject = path(
            "subject/", self.admin_site.admin_view(self.subject_view),
            name="signals_app_personaldatalog_subject",
        )  # fmt: skip
        return [subject, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        extra = {"subject_url": reverse("admin:signals_app_personaldatalog_subject"),
                 **(extra_context or {})}  # fmt: skip
        return super().changelist_view(request, extra_context=extra)

    def subject_view(self, request: HttpRequest) -> HttpResponse:
        """A citizen's request: what is held about them, its export, its removal."""
        user = request.user
        if not user.has_perm("signals_app.subject_access"):  # type: ignore[union-attr]
            raise PermissionDenied
        context = staff_context(user=user)  # type: ignore[arg-type]
        regions = None if context.is_superuser else context.region_ids
        form = SubjectForm(request.POST if request.method == "POST" else request.GET or None)
        subject = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            subject = privacy.subject_find(
                profile=data["profile"], phone=data["phone"], email=data["email"],
                region_ids=regions,
            )  # fmt: skip
            step = request.POST.get("step", "") if request.method == "POST" else ""
            reason = data["reason"]
            if step == "export":
                privacy.subject_log(subject, Action.EXPORTED, actor=user, reason=reason,
                                    count=len(subject.signals) + len(subject.subscriptions))  # type: ignore[arg-type]  # fmt: skip
                body = json.dumps(privacy.subject_export(subject), cls=DjangoJSONEncoder,
                                  ensure_ascii=False, indent=2)  # fmt: skip
                response = HttpResponse(body, content_type="application/json; charset=utf-8")
                stamp = timezone.now().strftime("%Y%m%d-%H%M")
                response["Content-Disposition"] = (
                    f'attachment; filename="personal-data-{stamp}.json"'
                )
                return response
            if step == "anonymise":
                if not request.POST.get("confirm") or not reason:
                    messages.error(request, _("Tick the confirmation and name the request."))
                else:
                    count = privacy.subject_anonymise(subject, actor=user, reason=reason)  # type: ignore[arg-type]
                    messages.success(request, _("Removed: %(count)s items.") % {"count": count})
                    return redirect(reverse("admin:signals_app_personaldatalog_changelist"))
            elif step == "" and request.method != "POST":
                privacy.subject_log(subject, Action.SEARCHED, actor=user, reason=reason,
                                    count=len(subject.signals) + len(subject.subscriptions))  # type: ignore[arg-type]  # fmt: skip
        page = {
            **self.admin_site.each_context(request), "title": _("A citizen's personal data"),
            "form": form, "subject": subject, "opts": self.model._meta,
        }  # fmt: skip
        return TemplateResponse(request, "admin/signals_app/subject_access.html", page)
