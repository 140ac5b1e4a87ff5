"""A signal taken by phone or in person, registered by a staff member on the fast form (floor
4): stored in the inbox of the region's desk source and made a signal in one transaction, like
the widget's — the same classification, routing and deadlines as any other channel. A form sent
twice (a double click) is one signal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Municipality, Region, User
from signals_app import channels
from signals_app.channels.phone.normalise import registered_by_token
from signals_app.errors import ActionForbidden, InvalidInput
from signals_app.ingest.process import Accepted, inbound_accept
from signals_app.models import Category, Source
from signals_app.workflow.actions import registration_for

DESK_CHANNELS = ("phone", "visit")


@dataclass(frozen=True)
class Taken:
    """What the staff member wrote down."""

    channel: str
    municipality: Municipality
    text: str
    received_at: datetime
    form_id: str
    agency: Agency | None = None
    category: Category | None = None
    address: str = ""
    author_name: str = ""
    phone: str = ""
    email: str = ""
    consent: bool = False


def desk_source(region: Region, channel: str) -> Source:
    """The region's source of signals registered by its staff on this channel (made once; it
    has no token, so nothing but the form writes to it)."""
    slug = f"desk-{channel}-{region.code}"
    name = _("Registered by staff: %(channel)s") % {"channel": channels.spec(channel).label}
    source, _created = Source.objects.get_or_create(
        slug=slug, defaults={"region": region, "channel": channel, "name": name}
    )
    if source.channel != channel or source.region_id != region.pk:
        raise InvalidInput(_("The source %(slug)s is configured otherwise.") % {"slug": slug})
    return source


def _check(user: User, taken: Taken) -> None:
    scope = registration_for(user)
    region_id = taken.municipality.region_id
    analyst = scope.all_regions or region_id in scope.region_ids
    if taken.channel not in DESK_CHANNELS:
        raise InvalidInput(_("Choose a phone call or a visit."), errors={"channel": ["invalid"]})
    if taken.agency is not None and taken.agency.region_id != region_id:
        raise InvalidInput(_("The agency works in another region."),
                           errors={"agency": [_("The agency works in another region.")]})  # fmt: skip
    if not analyst and (taken.agency is None or taken.agency.pk not in scope.agency_ids):
        raise ActionForbidden(_("You may register signals for your own agency only."))
    if taken.category is not None and taken.category.region_id != region_id:
        raise InvalidInput(_("The category is of another region."),
                           errors={"category": [_("The category is of another region.")]})  # fmt: skip
    personal = taken.author_name or taken.phone or taken.email
    if personal and not taken.consent:
        message = _("Note the citizen's consent to the processing of their personal data, or "
                    "leave the name and contacts empty.")  # fmt: skip
        raise InvalidInput(message, errors={"consent": [message]})


def signal_register(*, user: User, taken: Taken) -> Accepted:
    """Register a call or a visit: a new signal (or, for the same form sent again, the one it
    made)."""
    _check(user, taken)
    region = taken.municipality.region
    source = desk_source(region, taken.channel)
    external_id = f"form:{taken.form_id}"
    now = timezone.now()
    payload: dict = {
        "text": taken.text,
        "posted_at": taken.received_at.isoformat(),
        "author": {"name": taken.author_name, "phone": taken.phone, "email": taken.email},
        "address": taken.address,
        "municipality": taken.municipality.oktmo or taken.municipality.name,
        "registered_by": registered_by_token(external_id, user.pk),
        "consent": {
            "given": taken.consent,
            "at": now.isoformat(),
            "how": "stated to the staff member who registered the signal",
        },
    }
    if taken.category is not None:
        payload["category"] = taken.category.code
    if taken.agency is not None:
        payload["agency_id"] = taken.agency.pk
    return inbound_accept(source=source, external_id=external_id, payload=payload)
