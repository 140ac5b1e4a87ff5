"""Pages of the signals app."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from signals_app import selectors
from signals_app.errors import WorkflowError
from signals_app.ingest.imports import MAX_IMPORT_BYTES, import_create, import_report_csv
from signals_app.ingest.mass import mass_incident_confirm, mass_incident_dismiss
from signals_app.ingest.services import inbound_reprocess
from signals_app.models import Source
from signals_app.sla.notifications import notification_list_for_user, notification_mark_read

PAGE_SIZE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first."""
    page = Paginator(notification_list_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(request, "signals_app/notification_list.html", {"page": page})


@login_required
def notification_panel(request: HttpRequest) -> HttpResponse:
    """The header's drop-down: the latest notifications, unread first in bold."""
    latest = list(notification_list_for_user(user=request.user)[:8])
    return TemplateResponse(request, "signals_app/_notification_panel.html", {"latest": latest})


@login_required
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The header's notification link text with the unread count (polled every minute)."""
    return TemplateResponse(request, "signals_app/_notification_badge.html", {})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark all of the user's notifications as read."""
    notification_mark_read(user=request.user)
    return HttpResponseRedirect(reverse("signals_app:notification_list"))


@login_required
def inbox_failed(request: HttpRequest) -> HttpResponse:
    """Analysts' page of inbox messages that could not become signals."""
    if not selectors.user_is_analyst(user=request.user):
        raise PermissionDenied
    page = Paginator(selectors.inbound_failed_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(request, "signals_app/inbox_failed.html", {"page": page})


@login_required
@require_POST
def inbox_reprocess(request: HttpRequest) -> HttpResponse:
    """Queue the chosen failed messages (one or many) for processing again."""
    if not selectors.user_is_analyst(user=request.user):
        raise PermissionDenied
    wanted = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    allowed = list(
        selectors.inbound_failed_for_user(user=request.user)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    count = inbound_reprocess(message_ids=allowed, actor=request.user)
    messages.success(
        request,
        ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
        % {"count": count},
    )
    return HttpResponseRedirect(reverse("signals_app:inbox_failed"))


class ImportForm(forms.Form):
    source = forms.ModelChoiceField(queryset=Source.objects.none(), label=_("Source"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Windows-1251, ';' or ',') or XLSX, up to 50 MB."),
    )

    def __init__(self, *args, user, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = selectors.import_sources_for_user(user=user)

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB; split it."))
        name = upload.name.lower()
        if not name.endswith((".csv", ".txt", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


def _analyst_only(request: HttpRequest) -> None:
    if not selectors.user_is_analyst(user=request.user):
        raise PermissionDenied


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload an export file; the recent imports with their results."""
    _analyst_only(request)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_create(
            source=form.cleaned_data["source"],
            upload=upload,
            file_name=upload.name,
            actor=request.user,
        )
        return redirect("signals_app:import_detail", job_id=job.pk)
    page = Paginator(selectors.import_jobs_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(request, "signals_app/import_list.html", {"form": form, "page": page})


def _job_for(request: HttpRequest, job_id: int):  # type: ignore[no-untyped-def]
    _analyst_only(request)
    job = selectors.import_jobs_for_user(user=request.user).defer(None).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@login_required
@vary_on_headers("HX-Request")
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """One import: a progress bar polled while it runs, then its report."""
    job = _job_for(request, job_id)
    template = "signals_app/import_detail.html"
    if request.htmx:
        template += "#progress"
    return TemplateResponse(request, template, {"job": job})


@login_required
def import_report(request: HttpRequest, job_id: int) -> HttpResponse:
    """The import's report as CSV: totals and every rejected row with its line and reason."""
    job = _job_for(request, job_id)
    response = HttpResponse(import_report_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response


@login_required
def mass_proposal_list(request: HttpRequest) -> HttpResponse:
    """Clusters of similar recent signals waiting for an analyst's decision."""
    _analyst_only(request)
    page = Paginator(selectors.mass_proposals_for_user(user=request.user), 20).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(request, "signals_app/mass_proposals.html", {"page": page})


@login_required
@require_POST
def mass_proposal_decide(request: HttpRequest, proposal_id: int, decision: str) -> HttpResponse:
    """Confirm a proposal (with the analyst's choice of signals and lead) or dismiss it."""
    _analyst_only(request)
    proposal = selectors.mass_proposals_for_user(user=request.user).filter(pk=proposal_id).first()
    if proposal is None or decision not in ("confirm", "dismiss"):
        raise Http404
    try:
        if decision == "confirm":
            members = {signal.pk for signal in proposal.signals.all()}
            chosen = {int(v) for v in request.POST.getlist("signals") if v.isdigit()} & members
            lead = request.POST.get("parent", "")
            parent = mass_incident_confirm(
                proposal=proposal,
                actor=request.user,
                parent_id=int(lead) if lead.isdigit() else None,
                exclude=sorted(members - chosen),
            )
            messages.success(
                request,
                _("Mass incident %(number)s confirmed: its status and reply now reach every "
                  "signal in it.") % {"number": parent.number},
            )  # fmt: skip
        else:
            mass_incident_dismiss(proposal=proposal, actor=request.user)
            messages.success(request, _("Proposal dismissed."))
    except WorkflowError as error:
        messages.error(request, str(error))
    return HttpResponseRedirect(reverse("signals_app:mass_proposal_list"))
