"""The flows people click through, in a real browser (see conftest for the Chromium rules)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from signals_app.choices import Status
from signals_app.models import Signal
from signals_app.workflow import services
from tests.browser.conftest import login, phone_page, shot
from tests.factories import SignalFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db, region, agency, other_agency, category, municipality, source,
          analyst, executor, coordinator, supervisor):  # fmt: skip
    return {"region": region, "agency": agency, "other_agency": other_agency}


def open_signal(page, number: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base_url}/signals/{number}/")


def test_route_answer_approve_publish(page, world, region, agency, category, municipality):
    signal = SignalFactory(
        region=region, category=category, municipality=municipality,
        text="Прорвало трубу во дворе, вода заливает подвал", author_name="Сидоров Иван",
    )  # fmt: skip
    SignalFactory(region=region, text="Не горят фонари на улице")

    login(page, "analyst")
    expect(page.locator("#queue-counts")).to_contain_text("Новый")
    shot(page, "01-queue-analyst")
    page.fill("input[name=q]", "труба")
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_contain_text(signal.number)
    expect(page.locator("#results")).not_to_contain_text("фонари")
    expect(page.locator("#results mark").first).to_be_visible()
    assert "q=" in page.url  # the filter lives in the URL, without the unused ones
    assert "has_reply" not in page.url and "deadline=" not in page.url
    page.click(".more-filters summary")
    status = page.locator("details.picker:has(input[name=status])")  # loaded when opened
    status.locator("summary").click()
    status.locator("input[value=new]").check()
    page.wait_for_url("**status=new**")
    page.keyboard.press("Escape")  # the list closes
    expect(page.locator("#results")).to_contain_text(signal.number)
    shot(page, "02-queue-search")
    page.click(f"text={signal.number}")
    page.fill("#action-route", agency.short_name or agency.name[:6])  # the typeahead
    page.locator(f".route-picker li:visible input[value='{agency.pk}']").first.check()
    page.click("button[data-action=route]")
    expect(page.locator(".page-head .badge").first).to_have_text("В работе")
    shot(page, "03-signal-routed")

    login(page, "executor")
    open_signal(page, signal.number)
    expect(page.locator(".facts")).to_contain_text("Сидоров Иван")
    page.click("button[data-action=take]")
    expect(page.locator(".message")).to_contain_text("взято вами в работу")
    page.fill("#reply-text", "Аварийная бригада устранила прорыв, подвал осушен.")
    page.click("button[data-action=submit-reply]")
    expect(page.locator(".page-head .badge").first).to_have_text("Ответ на согласовании")
    shot(page, "04-signal-submitted")

    login(page, "analyst")
    open_signal(page, signal.number)
    page.click("button[data-action=approve]")
    expect(page.locator(".page-head .badge").first).to_have_text("Ответ дан")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Направлено в ведомство")
    expect(timeline).to_contain_text("Взято в работу")
    expect(timeline).to_contain_text("Ответ отправлен на согласование")
    expect(timeline).to_contain_text("Ответ согласован и опубликован")
    shot(page, "05-signal-answered")
    signal.refresh_from_db()
    assert signal.status == Status.ANSWERED


def test_bulk_route_with_one_refused_row(page, world, region, agency, analyst):
    good = SignalFactory(region=region, text="Яма на дороге")
    refused = SignalFactory(region=region, text="Реклама услуг")
    services.signal_reject(signal=refused, reason="Спам", actor=analyst)

    login(page, "analyst")
    page.goto(page.base_url + "/signals/?view=")
    page.check(f"input[name=ids][value='{good.pk}']")
    page.check(f"input[name=ids][value='{refused.pk}']")
    expect(page.locator("[data-selected-count]")).to_have_text("Отмечено: 2")
    page.select_option("#bulk-action", "route")
    page.select_option("#bulk-agency", str(agency.pk))
    page.click("#bulk-form button[type=submit]")
    result = page.locator("#bulk-result")
    expect(result).to_contain_text(f"{good.number} — направлено")
    expect(result).to_contain_text(f"{refused.number} — отказано")
    shot(page, "06-bulk-result")
    good.refresh_from_db()
    refused.refresh_from_db()
    assert good.agency_id == agency.pk and refused.agency_id is None


def test_counters_and_new_rows_arrive_without_reload(page, world, region):
    SignalFactory(region=region, text="Первое обращение")
    login(page, "analyst")
    tab = page.locator("#queue-counts a", has_text="Новый")
    expect(tab).to_contain_text("1")
    page.check("input[name=ids]")
    page.evaluate("window.scrollTo(0, 40)")
    page.evaluate("window.__loaded = true")  # gone if the page reloaded
    fresh = SignalFactory(region=region, text="Второе обращение, пришло только что")
    expect(tab).to_contain_text("2", timeout=10_000)
    expect(page.locator(f"tr[data-href$='/{fresh.number}/']")).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__loaded") is True
    assert page.locator("input[name=ids]:checked").count() == 1  # the selection survived


def test_keyboard_navigation(page, world, region):
    first = SignalFactory(region=region, text="Первое")
    second = SignalFactory(region=region, text="Второе")
    login(page, "analyst")
    page.goto(page.base_url + "/signals/?view=&ordering=number")
    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_have_attribute("data-id", str(first.pk))
    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_have_attribute("data-id", str(second.pk))
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("?")
    expect(page.locator("#keyboard-help")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.locator("input[name=q]").blur()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/signals/{second.number}/$"))
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "action-route"


def test_citizen_script_is_shown_as_text(page, world, region):
    signal = SignalFactory(
        region=region,
        text='Жалоба <script>window.__xss = 1</script><img src=x onerror="window.__xss=2">',
    )
    login(page, "analyst")
    page.goto(page.base_url + "/signals/?view=")
    expect(page.locator("#results")).to_contain_text("<script>")
    open_signal(page, signal.number)
    expect(page.locator(".signal-text")).to_contain_text("<script>window.__xss = 1</script>")
    assert page.evaluate("window.__xss") is None
    shot(page, "07-script-as-text")


def test_main_pages_render_for_each_role(page, world, region, agency, analyst):
    signal = SignalFactory(region=region, text="Нет горячей воды")
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    for username, pages in {
        "supervisor": ["/signals/", f"/signals/{signal.number}/"],
        "coordinator": ["/signals/", "/signals/my/", f"/signals/agencies/{agency.pk}/"],
        "analyst": ["/signals/templates/", "/signals/views/", "/signals/notifications/",
                    "/signals/inbox/failed/", "/signals/imports/", "/signals/mass-incidents/"],
    }.items():  # fmt: skip
        login(page, username)
        for index, url in enumerate(pages):
            response = page.goto(page.base_url + url)
            assert response is not None and response.status == 200, url
            shot(page, f"10-{username}-{index}")
    assert Signal.objects.filter(pk=signal.pk, status=Status.IN_PROGRESS).exists()


def test_supervisor_generates_a_report_and_sees_the_dashboard(page, world, region, eager):
    SignalFactory(region=region, text="Нет воды в доме")
    login(page, "supervisor")
    page.goto(page.base_url + "/reports/")
    page.fill("input[name=month]", "2026-11")
    page.click(".stacked-form button[type=submit]")
    expect(page.locator(".summary")).to_contain_text("Поступило")
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator("a", has_text="Скачать XLSX")).to_be_visible()
    shot(page, "20-report")
    page.goto(page.base_url + "/reports/dashboard/")
    expect(page.locator("#board")).to_contain_text("Поступило сегодня")
    shot(page, "21-dashboard")


def test_an_integrator_makes_a_token_reads_the_docs_and_calls_the_api(page, world, region):
    import json
    import urllib.request

    from agencies.models import ApiToken

    signal = SignalFactory(region=region, text="Яма на дороге")
    login(page, "analyst")
    page.click("header a:text-is('API')")
    page.fill("#id_name", "Выгрузка в BI")
    page.click(".stacked-form button[type=submit]")
    token = page.locator("code.token-value").inner_text()
    assert token.startswith("cur_") and ApiToken.objects.filter(name="Выгрузка в BI").exists()
    shot(page, "30-api-token")
    page.reload()
    expect(page.locator("code.token-value")).to_have_count(0)  # shown once
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    page.goto(page.base_url + "/api/docs/")
    expect(page.locator(".swagger-ui .info")).to_contain_text("ЦУР: API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/signals/").first).to_be_visible()
    shot(page, "31-api-docs")
    assert violations == []
    request = urllib.request.Request(
        page.base_url + "/api/v1/signals/", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as response:
        numbers = [row["number"] for row in json.load(response)["results"]]
    assert numbers == [signal.number]
    page.goto(page.base_url + "/api/tokens/")
    page.click("button:text-is('Отозвать')")
    expect(page.locator("td", has_text="отозван")).to_be_visible()
    try:
        urllib.request.urlopen(request)
        raise AssertionError("a revoked token still opens the API")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401


def test_the_admin_works_under_its_content_security_policy(page, world):
    from tests.factories import UserFactory

    UserFactory(username="root", is_staff=True, is_superuser=True)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pass-12345")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(page.base_url + "/admin/signals_app/signal/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto(page.base_url + "/admin/agencies/agency/add/")
    expect(page.locator("#agency_form")).to_be_visible()
    shot(page, "40-admin")
    assert violations == []


def test_a_view_saved_and_exported_after_live_filtering_carries_the_filters_on_screen(
    page, world, region
):
    from reports.models import Export
    from signals_app.models import SavedView

    for number in range(3):
        SignalFactory(region=region, text=f"Яма на дороге у дома {number}")
    SignalFactory(region=region, text="Нет отопления в школе")
    login(page, "analyst")
    page.goto(page.base_url + "/signals/?view=")
    page.evaluate("window.__loaded = true")
    page.fill("input[name=q]", "яма")
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_contain_text("3 обращения")
    assert "q=%D1%8F%D0%BC%D0%B0" in page.url  # the address follows the filters on screen
    assert page.evaluate("window.__loaded") is True  # no reload happened

    page.click("summary:text-is('Сохранить представление')")
    page.fill("#view-query ~ label input[name=name]", "Ямы")
    # The view is stored by the time the form's POST is answered (a load state may be the old
    # page's, already reached).
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.click("#view-query ~ button[type=submit]")
    assert posted.value.status < 400
    saved = SavedView.objects.get(name="Ямы")
    assert "q=%D1%8F%D0%BC%D0%B0" in saved.query or "q=яма" in saved.query

    page.goto(page.base_url + "/signals/?view=")
    page.fill("input[name=q]", "яма")
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_contain_text("3 обращения")
    page.click("summary:text-is('Выгрузка')")
    page.click("#export-query ~ button[type=submit]")
    page.wait_for_url("**/exports/**")
    export = Export.objects.latest("id")
    assert "q=" in export.query and "view=triage" not in export.query
    from reports.queue_exports import export_run

    export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.rows == 3  # exactly the rows on screen


def test_filter_pickers_search_check_and_filter_live(page, world, region, category):
    from signals_app.models import Category

    SignalFactory(region=region, text="Прорвало трубу", category=category)
    SignalFactory(region=region, text="Яма во дворе")
    login(page, "analyst")
    page.goto(page.base_url + "/signals/?view=")
    page.click("summary:text-is('Ещё фильтры')")
    status = page.locator("details.picker:has(input[name=status])")
    status.locator("summary").click()
    status.locator("[data-picker-search]").fill("нов")
    expect(status.locator("li:has(input[value=new])")).to_be_visible()
    expect(status.locator("li:has(input[value=closed])")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(status.locator(".picker-panel")).to_be_hidden()

    topic = Category.objects.get(pk=category.parent_id)
    picker = page.locator("details.picker:has(input[name=category])")
    picker.locator("summary").click()
    picker.locator(f"input[value='{topic.pk}']").check()  # a topic covers its subtopics
    expect(page.locator("#results")).to_contain_text("1 обращение")
    expect(picker.locator("[data-picker-summary]")).to_have_text(topic.name)
    assert f"category={topic.pk}" in page.url
    page.mouse.click(5, 5)  # a click elsewhere closes it
    expect(picker.locator(".picker-panel")).to_be_hidden()
    shot(page, "queue-filter-pickers")


def test_columns_are_moved_saved_and_sorted_by_header(page, world, region, analyst):
    for number in range(2):
        SignalFactory(region=region, text=f"Обращение {number}")
    login(page, "analyst")
    page.goto(page.base_url + "/signals/?view=")
    page.click("summary:text-is('Столбцы')")
    form = page.locator("[data-columns-form]")
    form.locator("li:has(input[value=received]) input[type=checkbox]").uncheck()
    status = form.locator("li:has(input[value=status])")
    for _ in range(5):  # from after «Исполнитель» to before «Текст»
        status.locator("[data-move=up]").click()
    form.locator("input[value=compact]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    heads = page.locator("table.queue thead th[class^=col-]").evaluate_all(
        "cells => cells.map(cell => cell.className)"
    )
    assert "col-received" not in heads
    assert heads.index("col-author") < heads.index("col-status") < heads.index("col-text")
    expect(page.locator("body")).to_have_class("density-compact")
    page.click("th.col-number a.sort")
    page.wait_for_url("**ordering=number**")
    expect(page.locator("th.col-number")).to_have_attribute("aria-sort", "ascending")
    analyst.refresh_from_db()
    assert analyst.queue_density == "compact"
    shot(page, "queue-columns-compact")


def test_leaving_a_typed_note_asks_first(page, world, region):
    signal = SignalFactory(region=region, text="Нет света")
    login(page, "analyst")
    open_signal(page, signal.number)
    asked: list[str] = []

    def answer(dialog):  # type: ignore[no-untyped-def]
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.fill("#note-text", "Позвонить в РЭС")
    page.click("a:text-is('← Очередь')")
    assert asked == ["beforeunload"]
    assert signal.number in page.url  # still here, the words kept
    expect(page.locator("#note-text")).to_have_value("Позвонить в РЭС")
    page.remove_listener("dialog", answer)
    page.click("form:has(#note-text) button[type=submit]")  # sending is not leaving
    page.wait_for_load_state()
    expect(page.locator("#note-text")).to_have_value("")


def test_a_citizen_on_a_phone_follows_the_status_and_says_it_is_not_solved(
    browser, live_server, settings, world, region, agency, analyst, executor
):
    from signals_app.models import ReopenRequest
    from tests.factories import SourceFactory

    settings.SITE_URL = live_server.url  # the links given to citizens are absolute
    SourceFactory(region=region, channel="widget", agency=agency)
    phone, citizen, errors = phone_page(browser)
    citizen.goto(f"{live_server.url}/widget/{agency.pk}/")
    citizen.fill("textarea[name=text]", "Во дворе дома 5 по улице Мира глубокая яма")
    citizen.check("input[name=news]")  # the news of each change, to an e-mail
    citizen.fill("input[name=news_email]", "petr@example.org")
    citizen.check("input[name=consent]")
    citizen.click("button[type=submit]")
    link = citizen.locator("a[href*='/s/']")
    expect(link).to_be_visible()
    expect(citizen.locator("main")).to_contain_text("О каждом его изменении мы напишем")
    citizen.goto(link.get_attribute("href"))
    # A widget's report goes straight to the agency whose page carries the widget.
    expect(citizen.locator(".public-facts")).to_contain_text("В работе ответственного ведомства")
    expect(citizen.locator(".public-facts")).to_contain_text(agency.name)
    signal = Signal.objects.get()
    reply = services.reply_submit(signal=signal, text="Яму заделали.", actor=executor)
    services.reply_approve(reply=reply, actor=analyst)

    citizen.reload()
    expect(citizen.locator(".public-replies")).to_contain_text("Яму заделали.")
    survey = citizen.locator(".public-survey")
    expect(survey).to_contain_text("Проблема решена?")
    survey.locator("input[value=no]").check()
    survey.locator("textarea[name=comment]").fill("Яма осталась")
    survey.locator("button[type=submit]").click()
    expect(citizen.locator(".notice")).to_contain_text("ваш ответ записан")
    expect(survey).to_contain_text("проблема не решена")
    width = citizen.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing runs off a phone's screen
    shot(citizen, "20-citizen-status-phone")
    phone.close()
    assert errors == []
    assert ReopenRequest.objects.get(signal=signal).comment == "Яма осталась"
    assert signal.subscriptions.get().scope == "author"

    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ru-RU").new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    login(page, "analyst")
    open_signal(page, signal.number)
    expect(page.locator(".survey-card")).to_contain_text("Яма осталась")
    shot(page, "22-signal-reopen-request")
    page.click("text=Не решена: подтвердить и возобновить")
    expect(page.locator(".page-head .badge").first).to_have_text("В работе")
    assert ReopenRequest.objects.get(signal=signal).state == ReopenRequest.State.CONFIRMED
    page.context.close()


def test_a_citizen_on_a_phone_joins_the_same_problem_instead_of_filing_it_again(
    browser, live_server, settings, world, region, agency, municipality, analyst
):
    from tests.factories import SourceFactory

    settings.SITE_URL = live_server.url
    SourceFactory(region=region, channel="widget", agency=agency)
    earlier = SignalFactory(region=region, municipality=municipality,
                            text="Огромная яма на дороге у дома 5 по улице Мира")  # fmt: skip
    services.signal_route(signal=earlier, agency=agency, actor=analyst)
    phone, citizen, errors = phone_page(browser)
    citizen.goto(f"{live_server.url}/widget/{agency.pk}/")
    citizen.fill("textarea[name=text]", "Яма на дороге у дома 5 на улице Мира, глубокая")
    similar = citizen.locator("#similar")
    expect(similar).to_contain_text(earlier.number)
    similar.locator("summary").first.click()
    similar.locator("input[name=email]").first.fill("neighbour@example.org")
    similar.locator("input[name=consent]").first.check()
    shot(citizen, "21-widget-similar-phone")
    similar.locator("button[type=submit]").first.click()
    expect(citizen.locator("h1")).to_have_text("Вы подписаны")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    assert errors == []
    assert earlier.subscriptions.get().email == "neighbour@example.org"
    assert Signal.objects.count() == 1  # no second report


def test_a_call_is_registered_then_forwarded_and_the_answer_is_on_the_page(
    page, world, region, agency, municipality
):
    from signals_app.models import Forward, Mailbox, OutsideBody
    from tests.factories import SourceFactory

    OutsideBody.objects.create(region=region, name="УК «Жилсервис»", email="uk@example.ru",
                               kind=OutsideBody.Kind.MANAGEMENT)  # fmt: skip
    mail = SourceFactory(region=region, channel="email", slug="mail-cur")
    Mailbox.objects.create(source=mail, host="imap.example.org", username="cur@example.org")

    login(page, "analyst")
    page.click("text=Зарегистрировать обращение")
    page.check("input[name=channel][value=phone]")
    page.fill("#id_text", "Звонок: в подъезде дома 7 не работает лифт третий день.")
    page.fill("#id_address", "ул. Мира, 7")
    page.select_option("#id_municipality", str(municipality.pk))
    page.select_option("#id_agency", str(agency.pk))
    page.fill("#id_author_name", "Сидоров Иван")
    page.fill("#id_phone", "+7 900 111-22-33")
    page.click("button[type=submit].primary")
    expect(page.locator(".field.checkbox .error")).to_contain_text("согласие")
    shot(page, "20-register-refused")
    page.check("#id_consent")
    page.click("button[type=submit].primary")
    expect(page.locator(".message")).to_contain_text("зарегистрировано")
    shot(page, "20-registered")
    signal = Signal.objects.get(channel="phone")
    assert (signal.author_name, signal.agency) == ("Сидоров Иван", agency)

    open_signal(page, signal.number)
    page.select_option("#forward-body", label="УК «Жилсервис» · Управляющая компания")
    page.fill("#forward-note", "Просим устранить.")
    page.click("button[data-action=forward]")
    expect(page.locator("#forwards")).to_contain_text("Ждём ответа")
    forward = Forward.objects.get()
    services.forward_answered(token=forward.token, text="Лифт отремонтирован 08.12.")
    open_signal(page, signal.number)
    expect(page.locator("#forwards")).to_contain_text("Лифт отремонтирован 08.12.")
    expect(page.locator(".timeline")).to_contain_text("Внешняя организация ответила")
    shot(page, "21-forward-answered")


def test_co_executors_answer_their_parts_and_the_lead_compiles_the_answer(
    page, world, region, agency, other_agency, analyst, executor
):
    from agencies.models import Membership
    from signals_app.models import Reply
    from tests.factories import UserFactory

    co_worker = UserFactory(username="coworker")
    Membership.objects.create(user=co_worker, agency=other_agency, role=Membership.Role.EXECUTOR)
    signal = SignalFactory(region=region, text="Яма на дороге и открытый люк у дома 3.")
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    services.signal_assign(signal=signal, assignee=executor, actor=analyst)

    login(page, "analyst")
    open_signal(page, signal.number)
    page.select_option("#part-agency", str(other_agency.pk))
    page.fill("#part-task", "Закрыть люк у дома 3")
    page.click("button[data-action=part_add]")
    expect(page.locator("#parts")).to_contain_text("Закрыть люк у дома 3")

    login(page, "coworker")
    open_signal(page, signal.number)
    expect(page.locator("#parts")).to_contain_text("Закрыть люк у дома 3")
    page.fill("#part-answer", "Люк закрыт 08.12.")
    page.click("button[data-action=part_done]")
    expect(page.locator("#parts")).to_contain_text("Люк закрыт 08.12.")
    shot(page, "22-part-answered")

    login(page, "executor")
    open_signal(page, signal.number)
    page.click("text=Собрать ответ из ответов соисполнителей")
    expect(page.locator("#reply-text")).to_have_value(re.compile("Люк закрыт 08.12."))
    page.click("button[data-action=submit-reply]")
    expect(page.locator(".page-head .badge").first).to_have_text("Ответ на согласовании")
    reply = Reply.objects.get(signal=signal, state=Reply.State.SUBMITTED)
    assert "Люк закрыт 08.12." in reply.text
