"""Every invariant the database enforces: a violating write fails."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Municipality, WorkCalendar
from signals_app.models import (
    Attachment,
    Category,
    InboundMessage,
    Note,
    Reply,
    Signal,
    SignalEvent,
)
from signals_app.workflow.services import signal_create
from tests.db import assert_refused
from tests.factories import AgencyFactory, CategoryFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db


def _update(signal, **fields):
    return lambda: Signal.objects.filter(pk=signal.pk).update(**fields)


def test_signal_unique_source_and_external_id(new_signal, region, source):
    assert_refused(
        lambda: signal_create(
            region=region,
            channel="vk",
            text="другой",
            source=source,
            external_id=new_signal.external_id,
        )
    )
    assert Signal.objects.filter(source=source, external_id=new_signal.external_id).count() == 1


def test_signals_without_external_id_do_not_collide(region, source):
    signal_create(region=region, channel="phone", text="звонок 1", source=source)
    signal_create(region=region, channel="phone", text="звонок 2", source=source)
    assert Signal.objects.filter(source=source, external_id="").count() == 2


def test_inbound_unique_source_and_external_id(source):
    InboundMessage.objects.create(source=source, external_id="42", payload={})
    assert_refused(
        lambda: InboundMessage.objects.create(source=source, external_id="42", payload={"x": 1})
    )
    assert_refused(lambda: InboundMessage.objects.create(source=source, external_id="", payload={}))
    assert InboundMessage.objects.count() == 1


def test_rejected_signal_needs_a_reason(new_signal):
    assert_refused(_update(new_signal, status="rejected", rejection_reason=""))
    new_signal.refresh_from_db()
    assert new_signal.status == "new"


def test_in_progress_needs_an_agency(new_signal):
    assert_refused(_update(new_signal, status="in_progress"))


def test_unknown_status_priority_and_channel_are_refused(new_signal):
    assert_refused(_update(new_signal, status="lost"))
    assert_refused(_update(new_signal, priority="urgent"))
    assert_refused(_update(new_signal, channel="fax"))


def test_number_format_and_uniqueness(new_signal, region):
    assert_refused(_update(new_signal, number="74/2026/1"))
    other = signal_create(region=region, channel="vk", text="ещё")
    assert_refused(_update(other, number=new_signal.number))


def test_coordinates_must_be_valid_and_paired(new_signal):
    assert_refused(_update(new_signal, latitude=91, longitude=10))
    assert_refused(_update(new_signal, latitude=55, longitude=None))


def test_empty_text_is_refused(new_signal):
    assert_refused(_update(new_signal, text=""))


def test_signal_agency_category_and_municipality_belong_to_its_region(new_signal, other_region):
    foreign_agency = AgencyFactory(region=other_region)
    foreign_category = CategoryFactory(region=other_region)
    foreign_municipality = MunicipalityFactory(region=other_region)
    assert_refused(_update(new_signal, agency=foreign_agency))
    assert_refused(_update(new_signal, category=foreign_category))
    assert_refused(_update(new_signal, municipality=foreign_municipality))
    new_signal.refresh_from_db()
    assert new_signal.agency_id is None


def test_agency_parent_territory_and_calendar_belong_to_its_region(agency, other_region):
    foreign = AgencyFactory(region=other_region)
    calendar = WorkCalendar.objects.create(region=other_region, name="Чужой")
    assert_refused(lambda: Agency.objects.filter(pk=agency.pk).update(parent=foreign))
    assert_refused(
        lambda: Agency.objects.filter(pk=agency.pk).update(
            municipality=MunicipalityFactory(region=other_region)
        )
    )
    assert_refused(lambda: Agency.objects.filter(pk=agency.pk).update(calendar=calendar))


def test_agency_ogrn_format_and_uniqueness(region):
    AgencyFactory(region=region, ogrn="1027400000001")
    assert_refused(lambda: AgencyFactory(region=region, ogrn="1027400000001"))
    assert_refused(lambda: AgencyFactory(region=region, ogrn="12345"))


def test_municipality_oktmo_format_and_uniqueness(region):
    MunicipalityFactory(region=region, oktmo="75701000")
    assert_refused(lambda: MunicipalityFactory(region=region, oktmo="75701000"))
    assert_refused(lambda: MunicipalityFactory(region=region, oktmo="7570"))
    assert_refused(
        lambda: Municipality.objects.create(
            region=region, name="X", kind="city_district", oktmo="abcdefgh"
        )
    )


def test_categories_have_two_levels_in_one_region(region, other_region, category):
    # category is a subtopic: a third level is refused
    assert_refused(
        lambda: Category.objects.create(region=region, parent=category, code="deep", name="Третий")
    )
    topic = category.parent
    assert_refused(
        lambda: Category.objects.create(region=other_region, parent=topic, code="x", name="Чужой")
    )
    assert_refused(lambda: Category.objects.create(region=region, code=topic.code, name="Дубль"))


def test_signal_events_are_append_only(new_signal):
    event = SignalEvent.objects.get(signal=new_signal)
    assert_refused(lambda: SignalEvent.objects.filter(pk=event.pk).update(reason="подделка"))
    assert_refused(lambda: SignalEvent.objects.filter(pk=event.pk).delete())
    event.refresh_from_db()
    assert event.reason == ""


def test_status_change_event_needs_both_statuses(new_signal):
    assert_refused(
        lambda: SignalEvent.objects.create(
            signal=new_signal, kind="status_changed", from_status="new"
        )
    )


def test_reply_note_and_attachment_invariants(new_signal, analyst):
    assert_refused(lambda: Reply.objects.create(signal=new_signal, text="", author=analyst))
    assert_refused(
        lambda: Reply.objects.create(signal=new_signal, text="x", author=analyst, state="published")
    )
    assert_refused(
        lambda: Reply.objects.create(signal=new_signal, text="x", author=analyst, state="returned")
    )
    assert_refused(lambda: Note.objects.create(signal=new_signal, text="", author=analyst))
    assert_refused(lambda: Attachment.objects.create(signal=new_signal, name="a.jpg"))
    assert_refused(
        lambda: Attachment.objects.create(
            signal=new_signal, name="a.jpg", url="https://x/a.jpg", size=-1
        )
    )
    assert_refused(
        lambda: Attachment.objects.create(
            signal=new_signal, name="a.jpg", url="https://x/a.jpg", sha256="zz"
        )
    )
    Attachment.objects.create(
        signal=new_signal, name="a.jpg", url="https://x/a.jpg", size=10, sha256="a" * 64
    )
    assert new_signal.attachments.count() == 1


def test_calendar_invariants(region):
    calendar = WorkCalendar.objects.create(region=region, name="Основной", is_default=True)
    assert_refused(
        lambda: WorkCalendar.objects.create(region=region, name="Второй", is_default=True)
    )
    from datetime import date, time

    from agencies.models import CalendarDay, WorkingPeriod

    assert_refused(
        lambda: WorkingPeriod.objects.create(
            calendar=calendar, weekday=0, start=time(18), end=time(9)
        )
    )
    assert_refused(
        lambda: WorkingPeriod.objects.create(
            calendar=calendar, weekday=7, start=time(9), end=time(18)
        )
    )
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 1, 1), kind="holiday")
    assert_refused(
        lambda: CalendarDay.objects.create(calendar=calendar, date=date(2026, 1, 1), kind="day_off")
    )
    assert_refused(
        lambda: CalendarDay.objects.create(
            calendar=calendar, date=date(2026, 1, 2), kind="shortened"
        )
    )


def test_signal_cannot_be_its_own_parent(new_signal):
    assert_refused(_update(new_signal, parent=new_signal.pk))


def test_counter_survives_a_rollback_without_gaps(region):
    with pytest.raises(RuntimeError), transaction.atomic():
        signal_create(region=region, channel="vk", text="откатится")
        raise RuntimeError
    signal = signal_create(
        region=region, channel="vk", text="сохранится", received_at=timezone.now()
    )
    assert signal.number.endswith("-000001")
