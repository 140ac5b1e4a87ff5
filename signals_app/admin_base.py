"""What the admin modules share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: these rows change only through their services."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


# --- durations with their units ----------------------------------------------------------------

UNITS = (("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days")))
_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


class DurationWidget(forms.MultiWidget):
    """A number and its unit («30» «минут»), not Django's «DD HH:MM:SS» text."""

    template_name = "django/forms/widgets/multiwidget.html"

    def __init__(self, attrs=None) -> None:  # type: ignore[no-untyped-def]
        number = forms.NumberInput(attrs={"min": 1, "step": 1, "class": "vIntegerField"})
        super().__init__([number, forms.Select(choices=UNITS)], attrs)

    def decompress(self, value):  # type: ignore[no-untyped-def]
        if not value:
            return [None, "hours"]
        seconds = int(value.total_seconds())
        for unit in ("days", "hours", "minutes"):
            if seconds % _SECONDS[unit] == 0:
                return [seconds // _SECONDS[unit], unit]
        return [seconds // 60, "minutes"]


class DurationUnitField(forms.MultiValueField):
    widget = DurationWidget

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.pop("max_length", None)
        kwargs.setdefault("help_text", _("A number and its unit, e.g. 30 minutes or 10 days."))
        super().__init__(
            fields=[
                forms.IntegerField(
                    min_value=1,
                    max_value=100_000,
                    error_messages={
                        "invalid": _("Enter a whole number, e.g. 30."),
                        "min_value": _("The duration must be positive."),
                    },
                ),
                forms.ChoiceField(choices=UNITS),
            ],
            require_all_fields=False,
            **kwargs,
        )

    def clean(self, value):  # type: ignore[no-untyped-def]
        """No number is no duration (the unit alone says nothing)."""
        if not value or value[0] in (None, ""):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        return super().clean(value)

    def compress(self, data_list):  # type: ignore[no-untyped-def]
        if not data_list or data_list[0] in (None, ""):
            return None
        amount, unit = data_list
        return timedelta(seconds=int(amount) * _SECONDS.get(unit or "hours", 3600))


class WordedAdmin(admin.ModelAdmin):
    """Russian grammar in the admin's own phrases: Django writes «Добавить <name>» and
    «5 <plural name>», which in Russian need the accusative and three plural forms. A model's
    admin names them: `add_label` («Добавить политику сроков»), `change_list_title`, and
    `count_label` (an `ngettext_lazy` keyed on "count": the language's plural forms)."""

    add_label: Any = None
    change_label: Any = None
    change_list_title: Any = None
    count_label: Any = None  # ngettext_lazy(singular, plural, "count")

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        if self.add_label:
            extra_context = {"title": self.add_label, **(extra_context or {})}
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        if self.change_label:
            extra_context = {"title": self.change_label, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        if self.change_list_title:
            extra_context = {"title": self.change_list_title, **(extra_context or {})}
        return super().changelist_view(request, extra_context)
