# ruff: noqa: F811 — fixtures imported from the stand-in and provider modules
"""The residents' side of «Высказать мнение»: the ballot without a login, verification through a
real OpenID Connect provider (django-oauth-toolkit in its own process) or a one-time code by
SMS, one vote per identity, assisted votes, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from agencies.models import Role
from signals_app.votes import identity
from signals_app.votes.models import Phase, Vote, Voter
from tests.factories import UserFactory
from tests.oidc_servers import authorise, oidc, oidc_provider, signed_in  # noqa: F401
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture
from tests.signals_app.test_votes import ballot, make_campaign

pytestmark = pytest.mark.django_db
VOTING = datetime(2027, 4, 10, 7, 0, tzinfo=UTC)


PHONES = ("+79123456789", "+79125550011")


@pytest.fixture(autouse=True)
def _fresh_codes():  # type: ignore[no-untyped-def]
    """Only this module's phones' codes and resend waits (never a flush of the shared Redis)."""
    from django.core.cache import cache

    keys = [key for phone in PHONES for key in identity.code_keys(phone)]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def world(region, municipality):  # type: ignore[no-untyped-def]
    campaign = make_campaign(region, municipality, phase=Phase.VOTING)
    park, yard = ballot(campaign, municipality, "Парк Победы", "Двор на Ленина, 5")
    return campaign, municipality, park, yard


def urls(campaign, municipality):  # type: ignore[no-untyped-def]
    args = [campaign.pk, municipality.pk]
    return {name: reverse(f"vote_{name}", args=args)
            for name in ("ballot", "cast", "verify_start", "verify_phone", "widget")}  # fmt: skip


def sign_in(client, provider, who, address):  # type: ignore[no-untyped-def]
    start = client.get(address)
    assert start.status_code == 302
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    return client.get(authorise(signed_in(provider, who), start["Location"]))


@time_machine.travel(VOTING, tick=False)
def test_the_ballot_is_read_without_a_login_and_voting_needs_verification(client, world):
    campaign, municipality, park, _yard = world
    page = client.get(urls(campaign, municipality)["ballot"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Парк Победы" in html and "Подтвердите, кто вы" in html
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    refused = client.post(urls(campaign, municipality)["cast"], {"choice": [park.pk]})
    assert refused.status_code == 403 and not Vote.objects.exists()
    framed = client.get(urls(campaign, municipality)["widget"])
    assert framed.status_code == 200 and "frame-ancestors *" in framed["Content-Security-Policy"]
    assert 'target="_blank"' in framed.content.decode()
    assert client.get(reverse("vote_ballot", args=[campaign.pk, 999999])).status_code == 404
    assert client.get(reverse("vote_region", args=[campaign.region.code])).status_code == 200


@time_machine.travel(VOTING, tick=False)
def test_gosuslugi_sign_in_through_a_real_provider_and_one_vote(client, world, oidc):
    campaign, municipality, park, yard = world
    address = urls(campaign, municipality)
    back = sign_in(client, oidc, "adult", address["verify_start"])
    assert back.status_code == 302 and back["Location"] == address["ballot"]
    assert "Голосовать" in client.get(address["ballot"]).content.decode()
    done = client.post(address["cast"], {"choice": [park.pk]})
    assert done.status_code == 200 and "Ваш голос учтён" in done.content.decode()
    voter = Voter.objects.get()
    assert (voter.method, voter.age_declared) == ("oidc", False)  # the birth date was given
    # The same resident again, in another browser: refused, one vote.
    other = client.__class__()
    sign_in(other, oidc, "adult", address["verify_start"])
    again = other.post(address["cast"], {"choice": [yard.pk]})
    assert again.status_code == 409 and "Вы уже проголосовали" in again.content.decode()
    assert Vote.objects.count() == 1
    # The verification ended with the vote: voting again here needs a new sign-in.
    assert client.post(address["cast"], {"choice": [yard.pk]}).status_code == 403


@time_machine.travel(VOTING, tick=False)
def test_the_providers_claims_refuse_the_young_and_residents_of_elsewhere(client, world, oidc):
    campaign, municipality, park, _yard = world
    address = urls(campaign, municipality)
    sign_in(client, oidc, "teen", address["verify_start"])
    young = client.post(address["cast"], {"choice": [park.pk]})
    assert young.status_code == 409 and "с 14 лет" in young.content.decode()
    other = client.__class__()
    sign_in(other, oidc, "elsewhere", address["verify_start"])
    assert (
        "другого муниципалитета"
        in other.post(address["cast"], {"choice": [park.pk]}).content.decode()
    )
    assert not Vote.objects.exists()


@time_machine.travel(VOTING, tick=False)
def test_a_forged_or_replayed_callback_is_refused(client, world, oidc):
    campaign, municipality, _park, _yard = world
    address = urls(campaign, municipality)
    start = client.get(address["verify_start"])
    callback = authorise(signed_in(oidc, "adult"), start["Location"])
    forged = callback.replace("state=", "state=x")
    assert client.get(forged).status_code == 400
    stranger = client.__class__()  # another browser with the stolen callback address
    assert stranger.get(callback).status_code == 400
    assert client.get(reverse("vote_verify_oidc") + "?error=access_denied").status_code == 400


@time_machine.travel(VOTING, tick=False)
def test_a_one_time_code_by_sms_verifies_a_phone(client, world, standin, settings):
    campaign, municipality, park, _yard = world
    settings.SMS_BACKEND = "signals_app.channels.phone.sms.HttpGateway"
    settings.SMS_GATEWAY_URL = standin.url + "/sms"
    address = urls(campaign, municipality)["verify_phone"]
    assert client.post(address, {"phone": "12345"}).status_code == 400
    sent = client.post(address, {"phone": "+7 912 345-67-89"})
    assert sent.status_code == 200 and 'name="code"' in sent.content.decode()
    [message] = standin.created["hook"]
    assert message["to"] == "+79123456789"
    code = message["text"].split(": ")[1][:6]
    assert client.post(address, {"phone": "89123456789", "code": "000000"}).status_code == 400
    assert client.post(address, {"phone": "89123456789", "code": code}).status_code == 302
    done = client.post(urls(campaign, municipality)["cast"], {"choice": [park.pk], "adult": "on"})
    assert done.status_code == 200
    voter = Voter.objects.get()
    assert (voter.method, voter.age_declared, voter.municipality_declared) == ("phone", True, True)
    # A second code right away is refused; the used one is void.
    assert client.post(address, {"phone": "89123456789"}).status_code == 400
    assert client.post(address, {"phone": "89123456789", "code": code}).status_code == 400


@time_machine.travel(VOTING, tick=False)
def test_a_volunteer_records_votes_resident_after_resident(client, world, oidc, region):
    campaign, municipality, park, _yard = world
    volunteer = UserFactory(username="volunteer")
    volunteer.groups.add(Group.objects.get_or_create(name=Role.VOLUNTEER)[0])
    volunteer.regions.add(region)
    client.force_login(volunteer)
    session = client.session
    session["vote_assist"] = Vote.Origin.VOLUNTEER
    session.save()
    address = urls(campaign, municipality)
    sign_in(client, oidc, "adult", address["verify_start"])
    done = client.post(address["cast"], {"choice": [park.pk]})
    assert "Следующий житель" in done.content.decode()
    vote = Vote.objects.get()
    assert (vote.origin, vote.helper) == (Vote.Origin.VOLUNTEER, volunteer)
    assert vote.address and vote.device == ""  # keyed hashes only


def test_outside_the_window_the_ballot_reads_and_refuses(client, world, oidc):
    campaign, municipality, park, _yard = world
    address = urls(campaign, municipality)
    with time_machine.travel(datetime(2027, 5, 2, 7, 0, tzinfo=UTC), tick=False):
        sign_in(client, oidc, "adult", address["verify_start"])
        page = client.get(address["ballot"]).content.decode()
        assert "Голосование открыто с" in page
        assert client.post(address["cast"], {"choice": [park.pk]}).status_code == 409
    assert not Vote.objects.exists()


@time_machine.travel(VOTING, tick=False)
def test_a_vote_after_the_organisers_close_the_vote_is_refused_at_once(
    client, world, oidc, analyst
):
    from signals_app.votes import services

    campaign, municipality, park, yard = world
    address = urls(campaign, municipality)
    sign_in(client, oidc, "adult", address["verify_start"])
    assert client.post(address["cast"], {"choice": [park.pk]}).status_code == 200
    services.phase_move(campaign=campaign, to=Phase.COUNTING, actor=analyst, reason="Итоги сейчас")
    other = client.__class__()
    sign_in(other, oidc, "teen", address["verify_start"])  # the page's cache still says "voting"
    late = other.post(address["cast"], {"choice": [yard.pk], "adult": "on"})
    assert late.status_code == 409 and "не открыто" in late.content.decode()
    assert Vote.objects.count() == 1


@time_machine.travel(VOTING, tick=False)
def test_a_local_run_prints_the_code_with_the_number_masked(client, world, settings, capsys):
    campaign, municipality, _park, _yard = world
    settings.SMS_BACKEND = "signals_app.channels.phone.sms.ConsoleGateway"
    assert (
        client.post(
            urls(campaign, municipality)["verify_phone"], {"phone": "+79125550011"}
        ).status_code
        == 200
    )
    printed = capsys.readouterr().out
    assert "SMS to +791******11: Ваш код для голосования: " in printed and "5550" not in printed


@time_machine.travel(VOTING, tick=False)
def test_an_unreachable_provider_is_a_plain_page_never_a_500(client, world, settings):
    campaign, municipality, _park, _yard = world
    settings.VOTE_OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    settings.VOTE_OIDC_CLIENT_ID = "cur-votes"
    page = client.get(urls(campaign, municipality)["verify_start"])
    assert page.status_code == 503 and "Госуслуги сейчас не отвечают" in page.content.decode()
    assert client.get(reverse("vote_verify_oidc") + "?code=x&state=y").status_code == 400


@time_machine.travel(VOTING, tick=False)
def test_hostile_ballots_are_refused_plainly(client, world):
    campaign, municipality, park, _yard = world
    session = client.session
    session["vote_verified"] = {"identity": identity.oidc_identity("x", "9"), "method": "oidc",
                                "birthdate": "1990-01-01", "oktmo": "", "at": __import__("time").time()}  # fmt: skip
    session.save()
    address = urls(campaign, municipality)["cast"]
    assert client.post(address, {"choice": ["x"]}).status_code == 400
    assert client.post(address, {"choice": [str(park.pk)] * 11}).status_code == 400
    assert client.post(address, {"choice": ["9" * 40]}).status_code == 409
    assert client.post(address, {"choice": ["-5"]}).status_code == 409
    huge = reverse("vote_ballot", args=[campaign.pk, 10**30])
    assert client.get(huge).status_code == 404
    assert not Vote.objects.exists()
