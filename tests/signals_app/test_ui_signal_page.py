"""The signal page: what each role sees, every action through its service, conflicts."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from signals_app.choices import Status
from signals_app.models import (
    AnswerTemplate,
    Attachment,
    Note,
    Notification,
    Reply,
    Signal,
    SignalEvent,
)
from signals_app.workflow import services
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive


def page(signal: Signal) -> str:
    return reverse("signals_app:signal_detail", args=[signal.number])


def act(client, signal: Signal, action: str, **data):  # type: ignore[no-untyped-def]
    signal.refresh_from_db()
    data.setdefault("version", signal.version)
    return client.post(reverse("signals_app:signal_action", args=[signal.number, action]), data)


@pytest.fixture
def person_signal(region, category, municipality, source):
    return SignalFactory(
        region=region, category=category, municipality=municipality, source=source,
        author_name="Иванов Пётр", author_contact="+7 900 000-00-00",
        text="Нет воды <script>alert(1)</script> в доме",
    )  # fmt: skip


def test_analyst_sees_the_signal_and_the_triage_actions(client, analyst, person_signal):
    client.force_login(analyst)
    response = client.get(page(person_signal))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Иванов Пётр" in body and "+7 900 000-00-00" in body
    assert reverse("signals_app:signal_action", args=[person_signal.number, "route"]) in body
    assert reverse("signals_app:signal_action", args=[person_signal.number, "reject"]) in body
    assert reverse("signals_app:signal_action", args=[person_signal.number, "take"]) not in body


def test_citizen_markup_is_shown_as_text(client, analyst, person_signal):
    client.force_login(analyst)
    body = client.get(page(person_signal)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_supervisor_reads_without_actions_and_without_personal_data(
    client, supervisor, person_signal
):
    client.force_login(supervisor)
    body = client.get(page(person_signal)).content.decode()
    assert "Иванов Пётр" not in body and "+7 900 000-00-00" not in body
    assert "И*** П***" in body
    assert "/do/" not in body  # no action forms at all


def test_supervisor_posting_an_action_is_refused_and_nothing_changes(
    client, supervisor, person_signal, agency
):
    client.force_login(supervisor)
    response = act(client, person_signal, "route", agency=agency.pk)
    assert response.status_code == 403
    person_signal.refresh_from_db()
    assert person_signal.status == Status.NEW and person_signal.agency_id is None


@pytest.mark.parametrize("who", ["outsider_executor", "foreign_analyst", "nobody"])
def test_a_signal_the_user_may_not_see_is_a_404(client, request, who, person_signal, agency):
    client.force_login(request.getfixturevalue(who))
    assert client.get(page(person_signal)).status_code == 404
    assert act(client, person_signal, "route", agency=agency.pk).status_code == 404
    person_signal.refresh_from_db()
    assert person_signal.agency_id is None


def test_anonymous_is_sent_to_login(client, person_signal):
    response = client.get(page(person_signal))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_route_moves_the_signal_and_writes_the_timeline(client, analyst, person_signal, agency):
    client.force_login(analyst)
    response = act(client, person_signal, "route", agency=agency.pk, reason="По территории")
    assert response.status_code == 302
    person_signal.refresh_from_db()
    assert person_signal.status == Status.IN_PROGRESS and person_signal.agency_id == agency.pk
    body = client.get(page(person_signal)).content.decode()
    assert "Направлено в ведомство" in body and "По территории" in body
    assert agency.name in body


def test_a_stale_version_is_a_conflict_with_the_fresh_state(
    client, analyst, person_signal, agency, other_agency
):
    client.force_login(analyst)
    person_signal.refresh_from_db()
    seen = person_signal.version
    services.signal_route(signal=person_signal, agency=other_agency, actor=analyst)
    response = client.post(
        reverse("signals_app:signal_action", args=[person_signal.number, "route"]),
        {"agency": agency.pk, "version": seen},
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "изменил другой пользователь" in body
    assert other_agency.name in body  # the fresh state is shown
    person_signal.refresh_from_db()
    assert person_signal.agency_id == other_agency.pk


def test_refusals_explain_themselves_and_write_nothing(client, analyst, person_signal):
    client.force_login(analyst)
    events = SignalEvent.objects.filter(signal=person_signal).count()
    response = act(client, person_signal, "reject", reason="  ")
    assert response.status_code == 400
    assert "нужно указать причину" in response.content.decode()
    assert SignalEvent.objects.filter(signal=person_signal).count() == events
    assert act(client, person_signal, "route", agency="junk").status_code == 400


def test_unknown_action_is_404_and_actions_need_post(client, analyst, person_signal):
    client.force_login(analyst)
    url = reverse("signals_app:signal_action", args=[person_signal.number, "explode"])
    assert client.post(url).status_code == 404
    url = reverse("signals_app:signal_action", args=[person_signal.number, "route"])
    assert client.get(url).status_code == 405


def test_full_flow_through_the_page(client, analyst, executor, person_signal, agency):
    client.force_login(analyst)
    assert act(client, person_signal, "route", agency=agency.pk).status_code == 302
    client.force_login(executor)
    body = client.get(page(person_signal)).content.decode()
    assert "Иванов Пётр" in body  # the agency's staff may contact the citizen
    assert act(client, person_signal, "take").status_code == 302
    assert act(client, person_signal, "request_info", reason="Какой подъезд?").status_code == 302
    person_signal.refresh_from_db()
    assert person_signal.status == Status.AWAITING_INFO
    assert act(client, person_signal, "resume").status_code == 302
    response = act(client, person_signal, "draft", text="Черновик ответа", kind="final", save="1")
    assert response.status_code == 302
    draft = Reply.objects.exclude(kind="question").get(signal=person_signal)
    assert draft.state == Reply.State.DRAFT
    person_signal.refresh_from_db()
    assert person_signal.status == Status.IN_PROGRESS  # a draft moves nothing
    response = act(
        client, person_signal, "reply", text="Воду дали.", kind="final", draft=draft.pk, submit="1"
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Reply.State.SUBMITTED and draft.text == "Воду дали."
    client.force_login(analyst)
    assert act(client, person_signal, "approve", reply=draft.pk).status_code == 302
    person_signal.refresh_from_db()
    assert person_signal.status == Status.ANSWERED
    body = client.get(page(person_signal)).content.decode()
    assert "Воду дали." in body and "Ответ согласован и опубликован" in body
    assert act(client, person_signal, "close").status_code == 302
    assert act(client, person_signal, "reopen", reason="Воды снова нет").status_code == 302
    person_signal.refresh_from_db()
    assert person_signal.status == Status.IN_PROGRESS and person_signal.reopened_count == 1


def test_return_for_rework_needs_a_comment(client, analyst, executor, person_signal, agency):
    drive(person_signal, Status.REPLY_REVIEW, analyst=analyst, executor=executor, agency=agency)
    reply = Reply.objects.exclude(kind="question").get(signal=person_signal)
    client.force_login(analyst)
    assert act(client, person_signal, "return", reply=reply.pk, comment="").status_code == 400
    assert (
        act(client, person_signal, "return", reply=reply.pk, comment="Уточните сроки").status_code
        == 302
    )
    reply.refresh_from_db()
    assert reply.state == Reply.State.RETURNED
    client.force_login(executor)
    body = client.get(page(person_signal)).content.decode()
    assert "Уточните сроки" in body and 'name="draft"' in body


def test_executor_cannot_approve_even_by_posting(client, analyst, executor, person_signal, agency):
    drive(person_signal, Status.REPLY_REVIEW, analyst=analyst, executor=executor, agency=agency)
    reply = Reply.objects.exclude(kind="question").get(signal=person_signal)
    client.force_login(executor)
    assert act(client, person_signal, "approve", reply=reply.pk).status_code == 403
    reply.refresh_from_db()
    assert reply.state == Reply.State.SUBMITTED


def test_reject_restore_and_duplicate(client, analyst, region, person_signal):
    other = SignalFactory(region=region)
    client.force_login(analyst)
    assert act(client, other, "duplicate", original=person_signal.number).status_code == 302
    other.refresh_from_db()
    assert other.status == Status.REJECTED and other.duplicate_of_id == person_signal.pk
    assert act(client, other, "restore").status_code == 302
    assert act(client, other, "duplicate", original="74-0000-000000").status_code == 400


def test_merge_from_the_page(client, analyst, region, person_signal):
    children = [
        SignalFactory(region=region, municipality=person_signal.municipality,
                      category=person_signal.category)
        for _ in range(2)
    ]  # fmt: skip
    client.force_login(analyst)
    numbers = " ".join(child.number for child in children)
    assert act(client, person_signal, "merge", children=numbers).status_code == 302
    assert Signal.objects.filter(parent=person_signal).count() == 2
    body = client.get(page(person_signal)).content.decode()
    assert children[0].number in body  # listed under the same mass incident


def test_assign_change_category_priority_and_extend(
    client, analyst, coordinator, executor, person_signal, agency, category
):
    drive(person_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    client.force_login(coordinator)
    assert act(client, person_signal, "assign", assignee=executor.pk).status_code == 302
    assert act(client, person_signal, "priority", priority="high").status_code == 302
    person_signal.refresh_from_db()
    assert person_signal.assignee_id == executor.pk and person_signal.priority == "high"
    client.force_login(analyst)
    assert act(client, person_signal, "category", category=category.parent_id).status_code == 302
    person_signal.refresh_from_db()
    assert person_signal.category_id == category.parent_id
    response = act(client, person_signal, "extend", reason="Нужна экспертиза")
    assert response.status_code in (302, 400)  # 400 when the policy allows no extension
    if response.status_code == 400:
        assert "не допускает продления" in response.content.decode()


def test_note_mentions_notify_people_who_may_see_the_signal(
    client, analyst, executor, outsider_executor, person_signal, agency
):
    drive(person_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    client.force_login(analyst)
    text = "Посмотрите, @executor и @outsider, и @nobody-such."
    assert act(client, person_signal, "note", text=text).status_code == 302
    assert Note.objects.get(signal=person_signal).text == text
    mentioned = Notification.objects.filter(kind="mention")
    assert [n.user_id for n in mentioned] == [executor.pk]
    assert person_signal.number in mentioned[0].title


def test_answer_template_is_filled_for_the_signal(
    client, executor, analyst, person_signal, agency, region
):
    drive(person_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    template = AnswerTemplate.objects.create(
        region=region, owner=executor, title="Вода",
        text="По обращению № {number} от {date}: {agency}, {address}. {unknown}",
    )  # fmt: skip
    client.force_login(executor)
    body = client.get(page(person_signal)).content.decode()
    assert "Вода" in body
    response = client.get(
        reverse("signals_app:signal_template", args=[person_signal.number]),
        {"template": template.pk},
    )
    text = response.content.decode()
    assert person_signal.number in text and agency.name in text and "{unknown}" in text
    local = person_signal.received_at.astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Yekaterinburg")
    )
    assert local.strftime("%d.%m.%Y") in text


def test_someone_elses_private_template_is_not_offered(
    client, analyst, executor, coordinator, region, agency, person_signal
):
    drive(person_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    private = AnswerTemplate.objects.create(
        region=region, owner=coordinator, title="Лично", text="Секретный текст"
    )
    client.force_login(executor)
    assert "Лично" not in client.get(page(person_signal)).content.decode()
    response = client.get(
        reverse("signals_app:signal_template", args=[person_signal.number]),
        {"template": private.pk},
    )
    assert response.status_code == 200
    assert "Секретный текст" not in response.content.decode()
    assert 'id="reply-text"' in response.content.decode()


def test_attachments_images_inline_others_as_download(
    client, analyst, person_signal, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    image = Attachment(signal=person_signal, name="yama.png", content_type="image/png")
    image.file.save("yama.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"), save=True)
    html = Attachment(signal=person_signal, name="evil.html", content_type="text/html")
    html.file.save("evil.html", ContentFile(b"<script>alert(1)</script>"), save=True)
    client.force_login(analyst)
    body = client.get(page(person_signal)).content.decode()
    assert "<img" in body and "yama.png" in body
    url = reverse("signals_app:attachment_file", args=[person_signal.number, image.pk])
    response = client.get(url)
    assert response["Content-Type"] == "image/png" and "inline" in response["Content-Disposition"]
    url = reverse("signals_app:attachment_file", args=[person_signal.number, html.pk])
    response = client.get(url)
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment" in response["Content-Disposition"]


def test_attachment_of_an_invisible_signal_is_404(
    client, outsider_executor, person_signal, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    image = Attachment(signal=person_signal, name="a.png", content_type="image/png")
    image.file.save("a.png", ContentFile(b"x"), save=True)
    client.force_login(outsider_executor)
    url = reverse("signals_app:attachment_file", args=[person_signal.number, image.pk])
    assert client.get(url).status_code == 404


def test_related_signals_same_author_and_address(client, analyst, region, source):
    first = SignalFactory(
        region=region,
        source=source,
        author_profile_url="https://vk.com/id1",
        address="ул. Ленина, 1",
    )
    second = SignalFactory(
        region=region, source=source, author_profile_url="https://vk.com/id1", text="Другое"
    )
    third = SignalFactory(region=region, source=source, address="ул. Ленина, 1", text="Третье")
    client.force_login(analyst)
    body = client.get(page(first)).content.decode()
    assert "Тот же автор" in body and second.number in body
    assert "Тот же адрес" in body and third.number in body


def test_signal_page_query_count_does_not_grow_with_its_history(
    client, analyst, executor, person_signal, agency
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    drive(person_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    client.force_login(analyst)
    counts = []
    for batch in (1, 15):
        for index in range(batch):
            services.note_add(signal=person_signal, text=f"Заметка {index}", actor=analyst)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page(person_signal))
        assert response.status_code == 200
        counts.append(len(captured))
    assert response.content.decode().count("Заметка ") == 16
    assert counts[0] == counts[1]


def test_routing_offers_the_likely_agencies_first_with_their_reasons(
    client, analyst, region, agency, other_agency, category, municipality
):
    from signals_app.ingest.models import RoutingRule
    from signals_app.models import Signal

    other_agency.synonyms = "водоканал, вода"
    other_agency.save()
    rule = RoutingRule.objects.create(region=region, category=category, agency=agency)
    for _ in range(3):  # where similar signals of this place and subtopic went
        earlier = SignalFactory(region=region, category=category, municipality=municipality)
        Signal.objects.filter(pk=earlier.pk).update(agency=other_agency)
    signal = SignalFactory(region=region, category=category, municipality=municipality)
    client.force_login(analyst)
    html = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    likely = html.split("Вероятные", 1)[1].split("Все ведомства", 1)[0]
    assert f"правило маршрутизации № {rule.pk}" in likely
    assert "100 % похожих обращений направлены туда" in likely
    assert likely.index(f'value="{agency.pk}"') < likely.index(f'value="{other_agency.pk}"')
    assert 'data-terms="' + other_agency.name + ' водоканал, вода"' in html
    # the actions lead the side column; the reply form waits for the routing
    aside = html.split('<aside class="side-col">', 1)[1]
    assert aside.index('id="actions-h"') < aside.index('id="facts-h"')
    assert '<details class="reply-later"><summary>Написать ответ сейчас</summary>' in html


def test_the_timeline_says_what_moved_in_words(client, analyst, region):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from signals_app import timeline
    from signals_app.workflow import services

    signal = SignalFactory(region=region, priority="normal")
    services.signal_change_priority(signal=signal, priority="high", actor=analyst)
    zone = ZoneInfo("Asia/Yekaterinburg")
    old, new = datetime(2026, 12, 5, 18, tzinfo=zone), datetime(2026, 12, 9, 18, tzinfo=zone)
    timeline.write([timeline.sla_recomputed(
        signal.pk, reason="Календарь изменён", actor_id=None, at=None,
        changes={"due": {"answer": [old.isoformat(), new.isoformat()],
                         "reaction": [old.isoformat(), old.isoformat()]}},
    )])  # fmt: skip
    client.force_login(analyst)
    html = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Обычный → Высокий" in html  # not «normal → high»
    assert "Ответ: 05.12.2026 18:00 → 09.12.2026 18:00" in html
    assert "Реакция: 05.12.2026" not in html  # what did not move is not listed


def test_merging_another_place_asks_first_and_a_child_follows_its_lead(
    client, analyst, region, agency, municipality
):
    from signals_app.models import Signal
    from tests.factories import MunicipalityFactory

    other_municipality = MunicipalityFactory(region=region, name="Миасс")

    lead = SignalFactory(region=region, municipality=municipality, text="Нет воды во всём районе")
    near = SignalFactory(region=region, municipality=municipality, text="Нет воды, дом 5")
    far = SignalFactory(
        region=region, municipality=other_municipality, text="Нет воды, другой город"
    )
    services.signal_route(signal=lead, agency=agency, actor=analyst)
    client.force_login(analyst)
    lead.refresh_from_db()
    response = act(client, lead, "merge", children=f"{near.number} {far.number}")
    assert response.status_code == 400
    body = response.content.decode()
    assert far.number in body and other_municipality.name in body and "всё равно" in body
    assert not Signal.objects.filter(parent=lead).exists()  # nothing merged before a yes
    response = act(client, lead, "merge", children=f"{near.number} {far.number}", confirm="true")
    assert response.status_code == 302
    near.refresh_from_db()
    # the child takes the lead's agency and status at once, and offers no work of its own
    assert (near.agency_id, near.status) == (agency.pk, lead.status)
    page = client.get(reverse("signals_app:signal_detail", args=[near.number])).content.decode()
    assert f"следует за массовым инцидентом {lead.number}" in page
    assert 'data-action="route"' not in page and "Направить в" not in page
    refused = act(client, near, "reject", reason="Спам")
    assert refused.status_code in (400, 409)


def test_the_print_view_holds_the_case_file_and_respects_personal_data(
    client, analyst, supervisor, person_signal, region, outsider_executor
):
    services.note_add(signal=person_signal, text="Позвонили в РЭС", actor=analyst)
    url = reverse("signals_app:signal_print", args=[person_signal.number])
    client.force_login(analyst)
    html = client.get(url).content.decode()
    assert f"Дело по обращению {person_signal.number}" in html
    assert person_signal.author_name in html and "Позвонили в РЭС" in html
    assert "css/print.css" in html and "<script" not in html
    client.force_login(supervisor)
    assert person_signal.author_name not in client.get(url).content.decode()
    client.force_login(outsider_executor)
    assert client.get(url).status_code == 404
