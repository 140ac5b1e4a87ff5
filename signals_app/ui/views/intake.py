"""«Зарегистрировать обращение»: the fast form for a call or a visit (analysts for their
regions, agency staff for their own agency; the rule is the registry's `registration_for`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency, Municipality
from signals_app.errors import WorkflowError
from signals_app.ingest.register import Taken, signal_register
from signals_app.models import Category
from signals_app.workflow.actions import Registration, registration_for

LATEST_BACK = timedelta(days=30)


class RegisterForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("How it came"),
        choices=[("phone", gettext_lazy("Phone call")), ("visit", gettext_lazy("In person"))],
        widget=forms.RadioSelect, initial="phone",
    )  # fmt: skip
    received_at = forms.DateTimeField(
        label=gettext_lazy("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
        format="%Y-%m-%dT%H:%M"), input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"],
    )  # fmt: skip
    text = forms.CharField(
        label=gettext_lazy("What the citizen says"), max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6, "autofocus": True}),
    )  # fmt: skip
    address = forms.CharField(label=gettext_lazy("Address of the problem"), max_length=500,
                              required=False)  # fmt: skip
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Municipality"), queryset=Municipality.objects.none()
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Subtopic"), queryset=Category.objects.none(), required=False,
        help_text=gettext_lazy("Empty: the classification rules and the model choose."),
    )  # fmt: skip
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Agency"), queryset=Agency.objects.none(), required=False,
        help_text=gettext_lazy("Empty: the routing rules choose, or the analysts."),
    )  # fmt: skip
    author_name = forms.CharField(label=gettext_lazy("Citizen's name"), max_length=300,
                                  required=False)  # fmt: skip
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=200, required=False)
    consent = forms.BooleanField(
        label=gettext_lazy("The citizen agreed to the processing of their personal data"),
        required=False,
        help_text=gettext_lazy("Needed when a name or a contact is written down."),
    )
    form_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, scope: Registration, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.scope = scope
        agencies = Agency.objects.filter(is_active=True).order_by("name")
        if not scope.all_regions:
            agencies = agencies.filter(
                Q(region_id__in=scope.region_ids) | Q(pk__in=scope.agency_ids)
            )
        regions = set(agencies.values_list("region_id", flat=True)) | set(scope.region_ids)
        municipalities = Municipality.objects.order_by("name")
        categories = Category.objects.filter(is_active=True, parent__isnull=False)
        if not scope.all_regions:
            municipalities = municipalities.filter(region_id__in=regions)
            categories = categories.filter(region_id__in=regions)
        self.fields["municipality"].queryset = municipalities
        self.fields["category"].queryset = categories.select_related("parent").order_by(
            "parent__order", "order", "name"
        )
        self.fields["agency"].queryset = agencies
        if not scope.all_regions and not scope.region_ids:  # agency staff: their own agency
            self.fields["agency"].required = True
            self.fields["agency"].help_text = ""
            if len(scope.agency_ids) == 1:
                self.fields["agency"].initial = next(iter(scope.agency_ids))

    def clean_received_at(self):  # type: ignore[no-untyped-def]
        moment = self.cleaned_data["received_at"]
        now = timezone.now()
        if moment > now + timedelta(minutes=5):
            raise forms.ValidationError(_("The moment is in the future."))
        if moment < now - LATEST_BACK:
            raise forms.ValidationError(_("Register calls and visits of the last 30 days."))
        return moment

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if "\x00" in text:
            raise forms.ValidationError(_("The text contains a character that cannot be kept."))
        return text

    def clean_phone(self) -> str:
        from signals_app.contacts import digits

        phone = self.cleaned_data["phone"].strip()
        if phone and not 5 <= len(digits(phone)) <= 15:
            raise forms.ValidationError(_("Write the phone number with its digits."))
        return phone


@login_required
def signal_register_form(request: HttpRequest) -> HttpResponse:
    scope = registration_for(request.user)
    if not scope.allowed:
        raise PermissionDenied
    initial = {"form_id": uuid.uuid4(),
               "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    form = RegisterForm(request.POST or None, scope=scope, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            taken = Taken(
                channel=data["channel"], municipality=data["municipality"], text=data["text"],
                received_at=data["received_at"], form_id=str(data["form_id"]),
                agency=data["agency"], category=data["category"], address=data["address"],
                author_name=data["author_name"], phone=data["phone"], email=data["email"],
                consent=data["consent"],
            )  # fmt: skip
            try:
                accepted = signal_register(user=request.user, taken=taken)
            except WorkflowError as error:
                for field, problems in (getattr(error, "errors", None) or {}).items():
                    if field in form.fields and problems and problems != ["invalid"]:
                        form.add_error(field, [str(problem) for problem in problems])
                if not form.errors:
                    form.add_error(None, str(error))
                status = 403 if error.__class__.__name__ == "ActionForbidden" else 400
            else:
                if accepted.signal is None:
                    form.add_error(None, _("The signal could not be made: %(error)s") % {
                        "error": accepted.message.error})  # fmt: skip
                    status = 400
                else:
                    messages.success(request, _("Signal %(number)s is registered.") % {
                        "number": accepted.signal.number})  # fmt: skip
                    return redirect("signals_app:signal_detail", number=accepted.signal.number)
        else:
            status = 400
    return TemplateResponse(request, "signals_app/signal_register.html", {"form": form},
                            status=status)  # fmt: skip
