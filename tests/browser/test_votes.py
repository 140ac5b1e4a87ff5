# ruff: noqa: F811 — the stand-in fixture is imported from the outbound tests
"""«Высказать мнение» in a browser: a resident votes on a phone (a code by SMS, the fallback;
the OpenID Connect flow is tested over HTTP against a real provider), and an analyst prepares
a campaign on the organisers' pages. The campaign's dates are set around the moment the test
runs, so the outcome is the same on any day (the browser's cookies follow the real clock)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from signals_app.votes.models import Campaign, Participation, Phase, Vote, VoteObject
from tests.browser.conftest import login, phone_page, shot
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture
from tests.signals_app.test_votes_staff import png

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_vote(transactional_db, region, municipality, analyst):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        region=region, year=today.year, title="Комфортная среда", phase=Phase.VOTING,
        starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=20),
    )  # fmt: skip
    Participation.objects.create(campaign=campaign, municipality=municipality)
    for name in ("Парк Победы", "Сквер у школы № 5", "Двор на Ленина, 5"):
        VoteObject.objects.create(campaign=campaign, municipality=municipality, kind="territory",
                                  name=name, build_year=today.year + 1)  # fmt: skip
    return campaign


@pytest.fixture(autouse=True)
def _fresh_codes():  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from signals_app.votes.identity import code_keys

    cache.delete_many(code_keys("+79120001122"))
    yield
    cache.delete_many(code_keys("+79120001122"))


def test_a_resident_votes_on_a_phone_with_a_code_by_sms(browser, live_server, settings, standin,
                                                       open_vote, region, municipality):  # fmt: skip
    settings.SMS_BACKEND = "signals_app.channels.phone.sms.HttpGateway"
    settings.SMS_GATEWAY_URL = standin.url + "/sms"
    phone, citizen, errors = phone_page(browser)
    citizen.goto(f"{live_server.url}/vote/r/{region.code}/")
    citizen.click(f"text={municipality.name}")
    expect(citizen.locator("h1")).to_have_text(municipality.name)
    expect(citizen.locator(".vote-object")).to_have_count(3)
    citizen.click("text=Получить код по SMS")
    citizen.fill("input[name=phone]", "+7 912 000-11-22")
    citizen.click("button[type=submit]")
    expect(citizen.locator("input[name=code]")).to_be_visible()
    code = standin.created["hook"][-1]["text"].split(": ")[1][:6]
    citizen.fill("input[name=code]", code)
    citizen.click("button[type=submit]")
    citizen.check("label:has-text('Сквер у школы № 5') input")
    citizen.check("input[name=adult]")
    shot(citizen, "40-vote-ballot-phone")
    citizen.click("button:has-text('Голосовать')")
    expect(citizen.locator("h1")).to_have_text("Ваш голос учтён")
    expect(citizen.locator("main")).to_contain_text("Сквер у школы № 5")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390
    # The same phone again: a second vote is refused.
    citizen.goto(f"{live_server.url}/vote/{open_vote.pk}/{municipality.pk}/phone/")
    citizen.fill("input[name=phone]", "89120001122")
    citizen.click("button[type=submit]")
    expect(citizen.locator(".error")).to_contain_text("минуту назад")  # the resend wait
    phone.close()
    assert errors == []
    vote = Vote.objects.get()
    assert (vote.vote_object.name, vote.voter.method) == ("Сквер у школы № 5", "phone")


def test_an_analyst_prepares_a_campaign_in_the_browser(page, region, municipality, analyst,
                                                       tmp_path):  # fmt: skip
    login(page, "analyst")
    page.click("nav >> text=Голосования")
    page.click("summary:has-text('Новое голосование')")
    today = timezone.localdate()
    page.select_option("select[name=region]", str(region.pk))
    page.fill("input[name=year]", str(today.year + 1))
    page.fill("input[name=title]", "Голосование за благоустройство")
    page.fill("input[name=starts_on]", (today + timedelta(days=30)).isoformat())
    page.fill("input[name=ends_on]", (today + timedelta(days=70)).isoformat())
    page.click("button:has-text('Создать')")
    expect(page.locator("h1")).to_have_text("Голосование за благоустройство")
    page.select_option("#place-form select[name=municipality]", str(municipality.pk))
    page.fill("#place-form input[name=budget]", "20000000")
    page.click("button:has-text('Добавить муниципалитет')")
    expect(page.locator("#tallies")).to_contain_text(municipality.name)
    page.click("#tallies >> text=Объекты")
    page.click("summary:has-text('Добавить объект')")
    page.select_option("#object-form select[name=kind]", "yard")
    page.fill("#object-form input[name=name]", "Двор на Мира, 7")
    page.fill("#object-form input[name=build_year]", str(today.year + 2))
    photo = Path(tmp_path) / "yard.png"
    photo.write_bytes(png())
    page.set_input_files("#object-form input[name=photo]", str(photo))
    page.click("#object-form button[type=submit]")
    expect(page.locator("#objects")).to_contain_text("Двор на Мира, 7")
    shot(page, "41-vote-objects")
    page.click("text=← Голосование за благоустройство")
    page.fill("#phase-form input[name=reason]", "Решение комиссии")
    page.click("#phase-form button")
    expect(page.locator("#phase")).to_have_text("Голосование")
    shot(page, "42-vote-campaign")
    campaign = Campaign.objects.get(title="Голосование за благоустройство")
    assert campaign.phase == Phase.VOTING
    assert campaign.events.get().reason == "Решение комиссии"
    assert VoteObject.objects.get(name="Двор на Мира, 7").photos.count() == 1


def test_an_analyst_reads_the_integrity_report_and_annuls_a_burst(
    page, region, municipality, analyst
):
    from datetime import UTC, datetime

    from tests.signals_app.test_votes_staff import _votes

    campaign = Campaign.objects.create(
        region=region, year=2027, title="Комфортная среда", phase=Phase.VOTING,
        starts_on=timezone.localdate(), ends_on=timezone.localdate() + timedelta(days=20),
    )  # fmt: skip
    Participation.objects.create(campaign=campaign, municipality=municipality)
    park = VoteObject.objects.create(campaign=campaign, municipality=municipality, kind="territory",
                                     name="Парк Победы", build_year=2028)  # fmt: skip
    _votes(
        campaign,
        municipality,
        park,
        35,
        at=datetime(2027, 4, 1, 3, 0, tzinfo=UTC),
        address="a1b2c3",
    )
    login(page, "analyst")
    page.goto(f"{page.base_url}/votes/{campaign.pk}/integrity/")
    finding = page.locator(".finding[data-kind=address]")
    expect(finding).to_contain_text("35 голосов с одного адреса")
    finding.locator("input[name=reason]").fill("Вброс с одного адреса")
    shot(page, "43-vote-integrity")
    finding.locator("button").click()
    expect(page.locator(".message")).to_contain_text("Аннулировано голосов: 35")
    assert Vote.objects.filter(state=Vote.State.ANNULLED).count() == 35
