"""Mass incidents: clustering, proposals, the analyst's decision, the parent carrying the work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from signals_app.choices import Status
from signals_app.errors import ActionForbidden, InvalidInput, InvalidTransition
from signals_app.ingest import mass
from signals_app.models import (
    MassIncidentProposal,
    Reply,
    Signal,
    SignalEvent,
)
from signals_app.workflow import services
from tests.factories import MunicipalityFactory, SignalFactory

pytestmark = pytest.mark.django_db

OUTAGE = [
    "Нет холодной воды на улице Молодогвардейцев, дом {n}",
    "Второй час нет холодной воды, Молодогвардейцев {n}",
    "Отключили холодную воду на Молодогвардейцев, дом {n}, без предупреждения",
    "Нет холодной воды, ул. Молодогвардейцев, д. {n}, когда дадут?",
    "Молодогвардейцев {n}: нет холодной воды с утра",
    "Опять нет холодной воды на Молодогвардейцев, дом {n}",
]
OTHERS = [
    "Яма на дороге у школы номер 12",
    "В поликлинике не записаться к терапевту",
    "Не вывозят мусор во дворе на Кирова",
]


def rows_of(texts, municipality=1):
    return [(index, text, municipality, False) for index, text in enumerate(texts)]


def test_similar_texts_in_one_place_form_a_cluster():
    texts = [text.format(n=index + 3) for index, text in enumerate(OUTAGE)] + OTHERS

    clusters = mass.find_clusters(rows_of(texts), threshold=0.25)

    assert len(clusters) == 1
    assert clusters[0].signal_ids == [0, 1, 2, 3, 4, 5]
    assert clusters[0].parent_id is None and 0.3 <= clusters[0].similarity <= 1


def test_different_places_or_too_few_signals_make_no_cluster():
    texts = [text.format(n=5) for text in OUTAGE]
    split = [(index, text, 1 if index < 3 else 2, False) for index, text in enumerate(texts)]

    assert mass.find_clusters(split, threshold=0.25) == []
    assert mass.find_clusters(rows_of(texts[:4]), threshold=0.25) == []
    unknown_place = [
        (index, text, None if index >= 3 else 1, False) for index, text in enumerate(texts)
    ]
    assert len(mass.find_clusters(unknown_place, threshold=0.25)) == 1
    assert mass.find_clusters([], threshold=0.25) == []


def test_an_open_mass_incident_attracts_new_look_alikes():
    rows = [(100, OUTAGE[0].format(n=5), 1, True), (7, OUTAGE[1].format(n=5), 1, False)]

    (cluster,) = mass.find_clusters(rows, threshold=0.25)

    assert cluster.parent_id == 100 and cluster.signal_ids == [7]


@pytest.fixture
def outage(region, monkeypatch):
    monkeypatch.setattr(mass, "THRESHOLD", 0.25)
    place = MunicipalityFactory(region=region, name="Челябинск", oktmo="75701000")
    now = timezone.now()
    signals = [
        SignalFactory(
            region=region, text=text.format(n=index + 1), municipality=place,
            received_at=now - timedelta(minutes=60 - index),
        )
        for index, text in enumerate(OUTAGE)
    ]  # fmt: skip
    SignalFactory(region=region, text=OTHERS[0], municipality=place)
    return signals


def test_proposals_are_made_once_and_dismissed_ones_stay_dismissed(region, outage, analyst):
    (proposal,) = mass.mass_incident_propose(region=region)
    assert sorted(proposal.signals.values_list("pk", flat=True)) == [s.pk for s in outage]
    assert mass.mass_incident_propose(region=region) == []  # already proposed

    mass.mass_incident_dismiss(proposal=proposal, actor=analyst)
    assert mass.mass_incident_propose(region=region) == []
    proposal.refresh_from_db()
    assert proposal.state == MassIncidentProposal.State.DISMISSED and proposal.decided_by == analyst
    with pytest.raises(InvalidInput):
        mass.mass_incident_dismiss(proposal=proposal, actor=analyst)


def test_the_parent_carries_status_agency_and_reply_to_every_child(
    region, outage, analyst, agency, executor
):
    (proposal,) = mass.mass_incident_propose(region=region)
    parent = mass.mass_incident_confirm(proposal=proposal, actor=analyst, exclude=[outage[-1].pk])
    assert parent == outage[0] and parent.is_mass_incident
    children = Signal.objects.filter(parent=parent)
    assert sorted(children.values_list("pk", flat=True)) == [s.pk for s in outage[1:-1]]
    assert Signal.objects.get(pk=outage[-1].pk).parent is None  # the analyst unticked it
    assert SignalEvent.objects.filter(kind=SignalEvent.Kind.MERGED).count() == 4
    assert SignalEvent.objects.get(kind=SignalEvent.Kind.MASS_INCIDENT).signal == parent

    services.signal_route(signal=parent, agency=agency, actor=analyst)
    assert set(children.values_list("status", "agency")) == {(Status.IN_PROGRESS, agency.pk)}

    reply = services.reply_submit(signal=parent, text="Воду дадут к 18:00", actor=executor)
    assert set(children.values_list("status", flat=True)) == {Status.REPLY_REVIEW}
    services.reply_approve(reply=reply, actor=analyst)
    for child in children:
        assert child.status == Status.ANSWERED and child.answered_at is not None
        (copy,) = child.replies.all()
        assert copy.state == Reply.State.PUBLISHED and copy.text == "Воду дадут к 18:00"
    services.signal_close(signal=parent, actor=analyst)
    assert set(children.values_list("status", flat=True)) == {Status.CLOSED}
    event = SignalEvent.objects.filter(signal=outage[1], to_status=Status.CLOSED).get()
    assert event.reason.startswith(f"Следует за массовым инцидентом {parent.number}")
    assert Signal.objects.get(pk=outage[-1].pk).status == Status.NEW


def test_a_new_look_alike_joins_the_open_mass_incident(region, outage, analyst):
    (proposal,) = mass.mass_incident_propose(region=region)
    parent = mass.mass_incident_confirm(proposal=proposal, actor=analyst)
    late = SignalFactory(
        region=region, text=OUTAGE[2].format(n=40), municipality=parent.municipality
    )

    (joining,) = mass.mass_incident_propose(region=region)
    assert joining.parent == parent
    assert list(joining.signals.values_list("pk", flat=True)) == [late.pk]
    mass.mass_incident_confirm(proposal=joining, actor=analyst)

    assert Signal.objects.get(pk=late.pk).parent == parent


def test_only_the_regions_analysts_decide(region, outage, executor, foreign_analyst):
    (proposal,) = mass.mass_incident_propose(region=region)
    for actor in (executor, foreign_analyst):
        with pytest.raises(ActionForbidden):
            mass.mass_incident_confirm(proposal=proposal, actor=actor)
        with pytest.raises(ActionForbidden):
            mass.mass_incident_dismiss(proposal=proposal, actor=actor)
    assert not Signal.objects.filter(parent__isnull=False).exists()


def test_merge_refusals(region, other_region, outage, analyst):
    foreign = SignalFactory(region=other_region, text="чужой")
    with pytest.raises(InvalidInput, match="одного региона"):
        services.signal_merge(parent=outage[0], children=[foreign.pk], actor=analyst)
    services.signal_merge(parent=outage[0], children=[outage[1].pk], actor=analyst)
    with pytest.raises(InvalidInput, match="другому массовому инциденту"):
        services.signal_merge(parent=outage[2], children=[outage[1].pk], actor=analyst)
    with pytest.raises(InvalidTransition, match="следует за ним"):  # a child leads nothing
        services.signal_merge(parent=outage[1], children=[outage[3].pk], actor=analyst)
    assert Signal.objects.filter(parent=outage[0]).count() == 1


def test_the_proposals_page_confirms_and_dismisses(
    client, region, outage, analyst, foreign_analyst
):
    (proposal,) = mass.mass_incident_propose(region=region)
    client.force_login(foreign_analyst)
    assert (
        proposal.title not in client.get(reverse("signals_app:mass_proposal_list")).content.decode()
    )
    url = reverse("signals_app:mass_proposal_decide", args=[proposal.pk, "confirm"])
    assert client.post(url).status_code == 404

    client.force_login(analyst)
    page = client.get(reverse("signals_app:mass_proposal_list")).content.decode()
    assert outage[0].number in page and "Подтвердить массовый инцидент" in page
    response = client.post(
        url, {"signals": [s.pk for s in outage[:3]], "parent": outage[1].pk}, follow=True
    )
    assert f"Массовый инцидент {outage[1].number} подтверждён" in response.content.decode()
    assert sorted(Signal.objects.filter(parent=outage[1]).values_list("pk", flat=True)) == [
        outage[0].pk,
        outage[2].pk,
    ]
    response = client.post(url, follow=True)
    assert response.status_code == 404  # decided: no longer among the proposals
