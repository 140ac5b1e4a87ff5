"""«Высказать мнение» for the organisers (staff, signed in): the campaigns, a campaign's phases
and log, its municipalities and their live tallies, the objects of a municipality with photos
and milestones, the integrity report with annulment, the results as XLSX and PDF, and the
assisting mode of a volunteer or a polling point. Every page offers what `votes.rights`
allows; every write goes through `votes.services`, which asks it again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.models import Agency, Municipality, Region
from signals_app.errors import WorkflowError
from signals_app.spreadsheets import PdfUnavailable
from signals_app.ui.views.votes_public import SESSION_ASSIST
from signals_app.untrusted import photo_checked
from signals_app.votes import exports, integrity, rights, selectors, services
from signals_app.votes.models import (
    Campaign,
    Milestone,
    ObjectPhoto,
    Participation,
    Phase,
    Vote,
    VoteObject,
)


def _campaign(request: HttpRequest, campaign_id: int, right: str = "read") -> Campaign:
    campaign = get_object_or_404(Campaign.objects.select_related("region"), pk=campaign_id)
    if not rights.allowed(right, user=request.user, region_id=campaign.region_id):
        raise Http404
    return campaign


def _refused(request: HttpRequest, error: WorkflowError) -> None:
    messages.error(request, str(error))


# --- the campaigns ---------------------------------------------------------------------------


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["region", "year", "title", "starts_on", "ends_on", "choices", "may_change",
                  "tallies_public", "min_age", "winners", "winners_count"]  # fmt: skip
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}),
                   "ends_on": forms.DateInput(attrs={"type": "date"})}  # fmt: skip

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


def _regions(user: Any, right: str) -> QuerySet[Region]:
    found = rights.regions_with(right, user=user)
    return Region.objects.all() if found is None else Region.objects.filter(pk__in=found)


def _visible(user: Any) -> QuerySet[Campaign]:
    """The campaigns whose pages the user may open: their regions' (read, organise, assist)
    and those of their agencies' municipalities (objects)."""
    regions = set()
    for right in ("read", "organise", "assist"):
        found = rights.regions_with(right, user=user)
        if found is None:
            return Campaign.objects.select_related("region")
        regions |= found
    places = Agency.objects.filter(memberships__user=user).values("municipality")
    return (
        Campaign.objects.filter(Q(region__in=regions) | Q(participations__municipality__in=places))
        .distinct()
        .select_related("region")
    )


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    regions = _regions(request.user, "organise")
    form = CampaignForm(request.POST or None, regions=regions)
    if request.method == "POST" and regions.exists() and form.is_valid():
        try:
            campaign = services.campaign_save(campaign=form.save(commit=False), actor=request.user)
        except WorkflowError as error:
            _refused(request, error)
        else:
            return redirect("votes_campaign", campaign.pk)
    campaigns = _visible(request.user).order_by("-year", "region__name")
    return TemplateResponse(request, "votes/staff/campaign_list.html", {
        "campaigns": campaigns, "form": form if regions.exists() else None,
    })  # fmt: skip


class PhaseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (if before the calendar)"),
                             max_length=2000, required=False)  # fmt: skip


class ParticipationForm(forms.Form):
    municipality = forms.ModelChoiceField(Municipality.objects.none(),
                                          label=gettext_lazy("Municipality"))  # fmt: skip
    budget = forms.DecimalField(label=gettext_lazy("Budget, roubles"), required=False,
                                max_digits=14, decimal_places=2, min_value=0)  # fmt: skip

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.filter(
            region_id=campaign.region_id
        ).order_by("name")


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The campaign as the user may see it: the organisers and supervisors everything (live
    tallies among it), a helper the assisting mode, an agency the objects of its places."""
    campaign = get_object_or_404(Campaign.objects.select_related("region"), pk=campaign_id)
    user, region = request.user, campaign.region_id
    reader = rights.allowed("read", user=user, region_id=region)
    assistant = rights.allowed("assist", user=user, region_id=region)
    places = [
        item for item in campaign.participations.select_related("municipality").order_by(
            "municipality__name")
        if reader or rights.allowed("objects", user=user, region_id=region,
                                    municipality=item.municipality)
    ]  # fmt: skip
    if not (reader or assistant or places):
        raise Http404
    following = services.next_phase(campaign.phase)
    context = {
        "campaign": campaign, "reader": reader, "places": places,
        "organiser": rights.allowed("organise", user=user, region_id=region),
        "next_phase": Phase(following) if following else None,
        "span": services.campaign_span(campaign),
        "results": selectors.results(campaign) if reader else [],
        "events": campaign.events.select_related("actor").order_by("-at", "-id")[:50],
        "phase_form": PhaseForm(), "place_form": ParticipationForm(campaign=campaign),
        "may_assist": assistant, "assisting": request.session.get(SESSION_ASSIST, ""),
    }  # fmt: skip
    return TemplateResponse(request, "votes/staff/campaign_detail.html", context)


@login_required
@require_POST
def campaign_phase(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id, "organise")
    form = PhaseForm(request.POST)
    form.is_valid()
    target = services.next_phase(campaign.phase) or ""
    try:
        services.phase_move(campaign=campaign, to=target, actor=request.user,
                            reason=form.cleaned_data.get("reason", ""))  # fmt: skip
    except WorkflowError as error:
        _refused(request, error)
    else:
        messages.success(
            request, _("The campaign moved to “%(phase)s”.") % {"phase": Phase(target).label}
        )
    return redirect("votes_campaign", campaign.pk)


@login_required
@require_POST
def campaign_place(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id, "organise")
    form = ParticipationForm(request.POST, campaign=campaign)
    if not form.is_valid():
        messages.error(request, _("Choose a municipality of the region."))
        return redirect("votes_campaign", campaign.pk)
    try:
        services.participation_add(campaign=campaign, municipality=form.cleaned_data["municipality"],
                                   budget=form.cleaned_data["budget"], actor=request.user)  # fmt: skip
    except WorkflowError as error:
        _refused(request, error)
    return redirect("votes_campaign", campaign.pk)


@login_required
@require_POST
def campaign_assist(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Turn the assisting mode on (with its origin) or off for this browser."""
    campaign = _campaign(request, campaign_id, "assist")
    origin = request.POST.get("origin", "")
    if origin in (Vote.Origin.VOLUNTEER, Vote.Origin.POINT):
        request.session[SESSION_ASSIST] = origin
        return redirect("vote_region", campaign.region.code)
    request.session.pop(SESSION_ASSIST, None)
    return redirect("votes_campaign", campaign.pk)


@login_required
def campaign_results_file(request: HttpRequest, campaign_id: int, kind: str) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    name = f"votes-{campaign.region.code}-{campaign.year}"
    if kind == "xlsx":
        content = exports.results_xlsx(campaign)
        response = HttpResponse(content, content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))  # fmt: skip
    elif kind == "pdf":
        try:
            content = exports.results_pdf(campaign)
        except PdfUnavailable:
            messages.error(request, _("PDF cannot be made on this server; take the XLSX."))
            return redirect("votes_campaign", campaign.pk)
        response = HttpResponse(content, content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


# --- integrity -------------------------------------------------------------------------------


class AnnulForm(forms.Form):
    votes = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Why these votes are annulled"), max_length=4000)

    def clean_votes(self) -> list[int]:
        try:
            return [int(item) for item in self.cleaned_data["votes"].split(",") if item][:5000]
        except ValueError as error:
            raise forms.ValidationError(_("A list of votes was expected.")) from error


@login_required
def campaign_integrity(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id, "organise")
    if request.method == "POST":
        form = AnnulForm(request.POST)
        if form.is_valid():
            try:
                count = services.votes_annul(campaign=campaign, votes=form.cleaned_data["votes"],
                                             reason=form.cleaned_data["reason"], actor=request.user)  # fmt: skip
            except WorkflowError as error:
                _refused(request, error)
            else:
                messages.success(request, _("Votes annulled: %(count)s.") % {"count": count})
        else:
            messages.error(request, _("Give the reason for annulling."))
        return redirect("votes_integrity", campaign.pk)
    annulled = Vote.objects.filter(campaign=campaign, state=Vote.State.ANNULLED).count()
    return TemplateResponse(request, "votes/staff/integrity.html", {
        "campaign": campaign, "findings": integrity.integrity_report(campaign),
        "helpers": integrity.helper_shares(campaign), "annulled": annulled,
    })  # fmt: skip


# --- objects ---------------------------------------------------------------------------------


class ObjectForm(forms.ModelForm):
    photo = forms.FileField(label=gettext_lazy("Photo (JPEG or PNG, up to 5 MB)"), required=False)
    caption = forms.CharField(label=gettext_lazy("Caption of the photo"), max_length=300,
                              required=False)  # fmt: skip

    class Meta:
        model = VoteObject
        fields = ["kind", "name", "address", "latitude", "longitude", "description", "build_year",
                  "cost", "agency", "is_active"]  # fmt: skip

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(
            region_id=municipality.region_id, is_active=True
        ).order_by("name")

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo:
            photo.detected = photo_checked(photo)
        return photo


class MilestoneForm(forms.ModelForm):
    photo = forms.FileField(label=gettext_lazy("Photo (JPEG or PNG, up to 5 MB)"), required=False)

    class Meta:
        model = Milestone
        fields = ["kind", "happened_on", "note"]
        widgets = {"happened_on": forms.DateInput(attrs={"type": "date"})}

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo:
            photo.detected = photo_checked(photo)
        return photo


def _may_objects(request: HttpRequest, campaign: Campaign, municipality: Municipality) -> None:
    if not rights.allowed("objects", user=request.user, region_id=campaign.region_id,
                          municipality=municipality):  # fmt: skip
        raise Http404


def _save_object(request: HttpRequest, form: ObjectForm) -> VoteObject | None:
    try:
        item = services.object_save(item=form.save(commit=False), actor=request.user)
        photo = form.cleaned_data.get("photo")
        if photo:
            services.photo_add(item=item, upload=photo, kind=photo.detected,
                               caption=form.cleaned_data["caption"], actor=request.user)  # fmt: skip
    except WorkflowError as error:
        _refused(request, error)
        return None
    return item


@login_required
def campaign_objects(request: HttpRequest, campaign_id: int, municipality_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("region"), pk=campaign_id)
    municipality = get_object_or_404(
        Participation.objects.select_related("municipality__region"),
        campaign=campaign, municipality_id=municipality_id,
    ).municipality  # fmt: skip
    _may_objects(request, campaign, municipality)
    instance = VoteObject(campaign=campaign, municipality=municipality)
    form = ObjectForm(request.POST or None, request.FILES or None, instance=instance,
                      municipality=municipality)  # fmt: skip
    if request.method == "POST" and form.is_valid() and _save_object(request, form):
        return redirect("votes_objects", campaign.pk, municipality.pk)
    return TemplateResponse(request, "votes/staff/objects.html", {
        "campaign": campaign, "municipality": municipality, "form": form,
        "objects": selectors.ballot(campaign, municipality)
        + list(VoteObject.objects.filter(campaign=campaign, municipality=municipality,
                                         is_active=False)),
    })  # fmt: skip


@login_required
def object_edit(request: HttpRequest, object_id: int) -> HttpResponse:
    item = get_object_or_404(VoteObject.objects.select_related("campaign__region", "municipality"),
                             pk=object_id)  # fmt: skip
    campaign = item.campaign
    _may_objects(request, campaign, item.municipality)
    form = ObjectForm(request.POST or None if "save" in request.POST else None,
                      request.FILES or None, instance=item, municipality=item.municipality)  # fmt: skip
    step = MilestoneForm(request.POST if "milestone" in request.POST else None,
                         request.FILES or None)  # fmt: skip
    saving = request.method == "POST" and "save" in request.POST
    if saving and form.is_valid() and _save_object(request, form):
        return redirect("votes_object", item.pk)
    if request.method == "POST" and "milestone" in request.POST and step.is_valid():
        try:
            milestone = services.milestone_add(
                item=item, kind=step.cleaned_data["kind"], happened_on=step.cleaned_data["happened_on"],
                note=step.cleaned_data["note"], actor=request.user,
            )  # fmt: skip
            if step.cleaned_data.get("photo"):
                services.photo_add(item=item, upload=step.cleaned_data["photo"],
                                   kind=step.cleaned_data["photo"].detected, caption="",
                                   actor=request.user, milestone=milestone)  # fmt: skip
        except WorkflowError as error:
            _refused(request, error)
        else:
            return redirect("votes_object", item.pk)
    return TemplateResponse(request, "votes/staff/object_edit.html", {
        "campaign": campaign, "item": item, "form": form, "step": step,
        "photos": item.photos.all(), "milestones": item.milestones.all(),
    })  # fmt: skip


def vote_photo(request: HttpRequest, photo_id: int) -> HttpResponse:
    """A photo of an object: public once the campaign is, else for who manages the object."""
    photo = get_object_or_404(ObjectPhoto.objects.select_related("vote_object__campaign",
                                                                 "vote_object__municipality"),
                              pk=photo_id)  # fmt: skip
    item = photo.vote_object
    if item.campaign.phase not in selectors.PUBLIC_PHASES and not rights.allowed(
        "objects", user=request.user, region_id=item.campaign.region_id,
        municipality=item.municipality,
    ):  # fmt: skip
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


urlpatterns = [
    path("votes/", campaign_list, name="votes_campaigns"),
    path("votes/<int:campaign_id>/", campaign_detail, name="votes_campaign"),
    path("votes/<int:campaign_id>/phase/", campaign_phase, name="votes_phase"),
    path("votes/<int:campaign_id>/places/", campaign_place, name="votes_place"),
    path("votes/<int:campaign_id>/assist/", campaign_assist, name="votes_assist"),
    path("votes/<int:campaign_id>/integrity/", campaign_integrity, name="votes_integrity"),
    path(
        "votes/<int:campaign_id>/results.<str:kind>",
        campaign_results_file,
        name="votes_results_file",
    ),
    path(
        "votes/<int:campaign_id>/<int:municipality_id>/objects/",
        campaign_objects,
        name="votes_objects",
    ),
    path("votes/objects/<int:object_id>/", object_edit, name="votes_object"),
    path("vote/photo/<int:photo_id>/", vote_photo, name="vote_photo"),
]
