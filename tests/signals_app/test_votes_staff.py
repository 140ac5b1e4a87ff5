"""The organisers' pages of «Высказать мнение»: a campaign made and moved, municipalities and
objects with checked photos, live tallies, the integrity report and annulment, the results
as XLSX and PDF, milestones of the winners, and who may do what."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from agencies.models import Membership
from signals_app.votes import identity, integrity
from signals_app.votes.models import (
    Campaign,
    CampaignEvent,
    Milestone,
    ObjectPhoto,
    Phase,
    Vote,
    VoteObject,
    Voter,
)
from tests.factories import AgencyFactory, MunicipalityFactory, UserFactory
from tests.signals_app.test_votes import ballot, make_campaign

pytestmark = pytest.mark.django_db
PREPARING = datetime(2027, 2, 1, 7, 0, tzinfo=UTC)
VOTING = datetime(2027, 4, 10, 7, 0, tzinfo=UTC)


def png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@time_machine.travel(PREPARING, tick=False)
def test_an_analyst_makes_a_campaign_adds_places_and_objects_with_photos(
    client, analyst, region, municipality
):
    client.force_login(analyst)
    made = client.post(reverse("votes_campaigns"), {
        "region": region.pk, "year": 2027, "title": "Голосование 2027", "starts_on": "2027-03-15",
        "ends_on": "2027-04-30", "choices": 1, "min_age": 14, "winners": "top", "winners_count": 2,
    })  # fmt: skip
    campaign = Campaign.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse(
        "votes_campaign", args=[campaign.pk]
    )
    client.post(
        reverse("votes_place", args=[campaign.pk]),
        {"municipality": municipality.pk, "budget": "15000000"},
    )
    assert campaign.participations.get().budget == 15000000
    objects = reverse("votes_objects", args=[campaign.pk, municipality.pk])
    upload = SimpleUploadedFile(
        "park.jpg", png(), content_type="image/jpeg"
    )  # a PNG, whatever its name
    added = client.post(objects, {"kind": "territory", "name": "Парк Победы", "build_year": 2028,
                                  "is_active": "on", "photo": upload, "caption": "Проект"})  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:2000]
    item = VoteObject.objects.get()
    photo = ObjectPhoto.objects.get()
    assert (photo.content_type, photo.size, len(photo.sha256)) == ("image/png", len(png()), 64)
    fake = SimpleUploadedFile("x.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg")
    refused = client.post(
        objects, {"kind": "yard", "name": "Двор", "build_year": 2028, "photo": fake}
    )
    assert refused.status_code == 200 and "Только фотографии JPEG и PNG" in refused.content.decode()
    assert VoteObject.objects.count() == 1
    # While preparing the photo is for the organisers only; public once voting opens.
    assert client.get(reverse("vote_photo", args=[photo.pk])).status_code == 200
    client.logout()
    assert client.get(reverse("vote_photo", args=[photo.pk])).status_code == 404
    assert (
        client.get(reverse("vote_ballot", args=[campaign.pk, municipality.pk])).status_code == 404
    )
    Campaign.objects.filter(pk=campaign.pk).update(phase=Phase.VOTING)
    served = client.get(reverse("vote_photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png()
    assert item.name in client.get(reverse("vote_object", args=[item.pk])).content.decode()


def test_who_may_do_what(client, region, municipality, supervisor, analyst):
    campaign = make_campaign(region, municipality)
    page = reverse("votes_campaign", args=[campaign.pk])
    objects = reverse("votes_objects", args=[campaign.pk, municipality.pk])
    client.force_login(supervisor)
    assert client.get(page).status_code == 200  # reads
    assert client.post(reverse("votes_phase", args=[campaign.pk])).status_code == 404
    assert client.get(objects).status_code == 404
    assert client.get(reverse("votes_integrity", args=[campaign.pk])).status_code == 404
    # The staff of an agency of that municipality manage its objects, nothing else.
    staff = UserFactory(username="clerk")
    Membership.objects.create(
        user=staff, agency=AgencyFactory(region=region, municipality=municipality), role="executor"
    )
    client.force_login(staff)
    assert client.get(objects).status_code == 200
    mine = client.get(page)
    assert mine.status_code == 200 and 'id="tallies"' not in mine.content.decode()
    assert client.get(reverse("votes_results_file", args=[campaign.pk, "xlsx"])).status_code == 404
    other = MunicipalityFactory(region=region)
    assert client.get(reverse("votes_objects", args=[campaign.pk, other.pk])).status_code == 404
    stranger = UserFactory(username="stranger")
    client.force_login(stranger)
    assert client.get(objects).status_code == 404
    assert campaign.title not in client.get(reverse("votes_campaigns")).content.decode()
    client.force_login(analyst)
    assert campaign.title in client.get(reverse("votes_campaigns")).content.decode()


def test_the_phase_moves_from_the_page_with_a_reason_when_early(
    client, analyst, region, municipality
):
    campaign = make_campaign(region, municipality)
    address = reverse("votes_phase", args=[campaign.pk])
    with time_machine.travel(PREPARING, tick=False):
        client.force_login(analyst)  # signed in at the moment the test lives in
        client.post(address, {"reason": ""})
        assert Campaign.objects.get().phase == Phase.PREPARATION
        client.post(address, {"reason": "Решение комиссии"})
    assert Campaign.objects.get().phase == Phase.VOTING
    assert CampaignEvent.objects.get().reason == "Решение комиссии"


def _votes(campaign, municipality, target, count, *, at, address="", helper=None):  # type: ignore[no-untyped-def]
    start = Voter.objects.count()
    voters = Voter.objects.bulk_create([
        Voter(campaign=campaign, identity=identity.keyed("test", str(start + n)), method="oidc",
              municipality=municipality) for n in range(count)
    ])  # fmt: skip
    Vote.objects.bulk_create([
        Vote(campaign=campaign, voter=voter, vote_object=target, municipality=municipality,
             cast_at=at + timedelta(seconds=n), address=address,
             origin="volunteer" if helper else "web", helper=helper)
        for n, voter in enumerate(voters)
    ])  # fmt: skip


def test_the_integrity_report_finds_bursts_and_annulment_keeps_them_apart(
    client, analyst, region, municipality
):
    campaign = make_campaign(region, municipality, phase=Phase.VOTING)
    park, yard = ballot(campaign, municipality, "Парк", "Двор")
    for day in range(10):  # an ordinary pattern: two votes an hour
        _votes(campaign, municipality, park, 2, at=datetime(2027, 3, 20 + day, 8, 0, tzinfo=UTC))
    _votes(
        campaign,
        municipality,
        yard,
        40,
        at=datetime(2027, 4, 1, 3, 0, tzinfo=UTC),
        address="a1b2c3",
    )
    findings = integrity.integrity_report(campaign)
    kinds = {item.kind for item in findings}
    assert "address" in kinds
    burst = next(item for item in findings if item.kind == "address")
    assert burst.count == 40 and len(burst.votes) == 40
    client.force_login(analyst)
    page = client.get(reverse("votes_integrity", args=[campaign.pk]))
    assert page.status_code == 200 and "одного адреса" in page.content.decode()
    client.post(reverse("votes_integrity", args=[campaign.pk]),
                {"votes": ",".join(map(str, burst.votes)), "reason": "Вброс с одного адреса"})  # fmt: skip
    assert Vote.objects.filter(state=Vote.State.ANNULLED).count() == 40
    assert not any(item.kind == "address" for item in integrity.integrity_report(campaign))
    detail = client.get(reverse("votes_campaign", args=[campaign.pk])).content.decode()
    assert "Парк (20, 100,0%)" in detail  # the annulled ones count apart


def test_the_results_as_xlsx_and_pdf_and_the_winners_milestones(
    client, analyst, region, municipality
):
    municipality.population = 1000
    municipality.save()
    campaign = make_campaign(region, municipality, phase=Phase.COUNTING)
    park, yard = ballot(campaign, municipality, "Парк", "Двор")
    _votes(campaign, municipality, park, 3, at=VOTING)
    _votes(campaign, municipality, yard, 1, at=VOTING)
    with time_machine.travel(datetime(2027, 5, 5, 7, 0, tzinfo=UTC), tick=False):
        client.force_login(analyst)
        client.post(reverse("votes_phase", args=[campaign.pk]))
    client.force_login(analyst)
    assert Campaign.objects.get().phase == Phase.PUBLISHED
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("votes_results_file", args=[campaign.pk, "xlsx"])).content)
    )
    rows = list(workbook["Объекты"].iter_rows(values_only=True))
    assert rows[1][:5] == (municipality.name, "Парк", "Общественная территория", 3, 75.0)
    assert list(workbook["Муниципалитеты"].iter_rows(values_only=True))[1][:4] == (
        municipality.name,
        1000,
        4,
        0.4,
    )
    pdf = client.get(reverse("votes_results_file", args=[campaign.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("votes_results_file", args=[campaign.pk, "csv"])).status_code == 404
    # The winner's works, on its public page.
    page = reverse("votes_object", args=[park.pk])
    client.post(
        page,
        {
            "milestone": "1",
            "kind": "contract",
            "happened_on": "2027-06-01",
            "note": "Контракт № 15",
        },
    )
    assert Milestone.objects.get().recorded_by == analyst
    client.post(
        reverse("votes_object", args=[yard.pk]),
        {"milestone": "1", "kind": "contract", "happened_on": "2027-06-01"},
    )
    assert Milestone.objects.count() == 1  # not a winner
    client.logout()
    public = client.get(reverse("vote_object", args=[park.pk])).content.decode()
    assert "Контракт заключён" in public and "Контракт № 15" in public and "Победитель" in public
    ballot_page = client.get(
        reverse("vote_ballot", args=[campaign.pk, municipality.pk])
    ).content.decode()
    assert ("Итоги" in ballot_page and "Явка: 0,40%" in ballot_page) or "Явка: 0.40%" in ballot_page


def test_a_volunteer_turns_assisting_on_and_off(client, region, municipality):
    from django.contrib.auth.models import Group

    campaign = make_campaign(region, municipality, phase=Phase.VOTING)
    volunteer = UserFactory(username="volunteer")
    volunteer.groups.add(Group.objects.get_or_create(name="volunteer")[0])
    volunteer.regions.add(region)
    client.force_login(volunteer)
    page = client.get(reverse("votes_campaign", args=[campaign.pk]))
    assert page.status_code == 200 and 'id="tallies"' not in page.content.decode()  # no tallies
    on = client.post(reverse("votes_assist", args=[campaign.pk]), {"origin": "point"})
    assert on["Location"] == reverse("vote_region", args=[region.code])
    assert client.session["vote_assist"] == "point"
    client.post(reverse("votes_assist", args=[campaign.pk]), {"origin": ""})
    assert "vote_assist" not in client.session
    assert date(2027, 1, 1) < campaign.starts_on


def test_the_integrity_report_finds_an_unusual_hour_a_helpers_share_and_a_last_hour_rush(
    region, municipality
):
    from django.contrib.auth.models import Group

    campaign = make_campaign(region, municipality, phase=Phase.VOTING)
    park, yard = ballot(campaign, municipality, "Парк", "Двор")
    for day in range(10):
        _votes(campaign, municipality, park, 2, at=datetime(2027, 3, 20 + day, 8, 0, tzinfo=UTC))
    _votes(campaign, municipality, park, 30, at=datetime(2027, 4, 2, 11, 0, tzinfo=UTC))
    helper = UserFactory(username="volunteer")
    helper.groups.add(Group.objects.get_or_create(name="volunteer")[0])
    _votes(
        campaign, municipality, yard, 25, at=datetime(2027, 4, 5, 9, 0, tzinfo=UTC), helper=helper
    )
    closes = datetime(2027, 4, 30, 19, 0, tzinfo=UTC)  # midnight in UTC+5
    _votes(campaign, municipality, yard, 25, at=closes - timedelta(minutes=30))
    findings = {item.kind: item for item in integrity.integrity_report(campaign)}
    assert {"hour", "helper_share", "last_hour"} <= set(findings), findings
    assert findings["hour"].count == 30 and "Парк" in findings["hour"].title
    assert findings["helper_share"].count == 25 and "volunteer" in findings["helper_share"].title
    assert findings["last_hour"].count == 25
    shares = integrity.helper_shares(campaign)
    assert [(row["helper__username"], row["number"]) for row in shares] == [("volunteer", 25)]


def test_bad_forms_say_what_is_wrong_and_keep_nothing(client, analyst, region, municipality):
    campaign = make_campaign(region, municipality)
    client.force_login(analyst)
    base = {"region": region.pk, "year": 2028, "title": "Ещё одно", "starts_on": "2028-04-30",
            "ends_on": "2028-03-15", "choices": 1, "min_age": 14, "winners": "top", "winners_count": 1}  # fmt: skip
    backwards = client.post(reverse("votes_campaigns"), base)
    assert backwards.status_code == 200 and "errorlist" in backwards.content.decode()
    again = client.post(reverse("votes_campaigns"), {**base, "year": 2027, "starts_on": "2027-03-15",
                                                     "ends_on": "2027-04-30"})  # fmt: skip
    assert (
        again.status_code == 200 and "errorlist" in again.content.decode()
    )  # one per region and year
    assert (
        client.post(reverse("votes_campaigns"), {**base, "choices": 0, "year": "x"}).status_code
        == 200
    )
    assert Campaign.objects.count() == 1
    objects = reverse("votes_objects", args=[campaign.pk, municipality.pk])
    wrong = client.post(objects, {"kind": "park", "name": "", "build_year": 1900, "latitude": "91"})
    assert wrong.status_code == 200 and wrong.content.decode().count("errorlist") >= 3
    huge = SimpleUploadedFile(
        "big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), content_type="image/png"
    )
    too_big = client.post(
        objects, {"kind": "yard", "name": "Двор", "build_year": 2028, "photo": huge}
    )
    assert "больше 5 МБ" in too_big.content.decode()
    assert not VoteObject.objects.exists()
    bad = client.post(
        reverse("votes_place", args=[campaign.pk]), {"municipality": "x", "budget": "-1"}
    )
    assert bad.status_code == 302 and campaign.participations.count() == 1
    refused = client.post(
        reverse("votes_integrity", args=[campaign.pk]), {"votes": "1,x", "reason": "r"}
    )
    assert refused.status_code == 302 and not Vote.objects.exists()
