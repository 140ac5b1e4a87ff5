"""Personal data by law (floor 4): the regions' retention policies applied in batches, and one
citizen's data found, exported and removed on their request. Every removal and every look is
written to the personal data log — which signals, which rule, when, by whom — never the data.

Only the personal data goes (`remove_personal_data`): the author's name, profile, contact and
dialogue, the link to the original, the raw payloads, the subscribers' addresses, the
delivery addresses, the files. The signal with its text, category, agency, deadlines, replies
and timeline stays, so reports and statistics come out the same before and after.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Func, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Length, Lower, Right
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Region, User
from signals_app import contacts
from signals_app.choices import Status
from signals_app.models import (
    Attachment,
    InboundMessage,
    PersonalDataLog,
    Reply,
    ReplyDelivery,
    RetentionPolicy,
    Signal,
    Subscription,
)

logger = logging.getLogger(__name__)

# Signals (or files) per transaction: each batch locks its rows for a fraction of a second.
BATCH = 1000
# A nightly run stops after this long and the next night goes on where it stopped.
RUN_BUDGET_SECONDS = 30 * 60
# What the raw payload becomes: the message is still known to have come (no duplicate when the
# platform sends it again), but nothing of what it said.
REMOVED_PAYLOAD = {"personal_data": "removed"}
Action = PersonalDataLog.Action


# --- the retention policy --------------------------------------------------------------------


@dataclass
class Rule:
    """One rule of a region's policy: what it removes, from which signals (or files)."""

    action: str
    label: str
    cutoff: datetime
    region: Region

    def signals(self) -> QuerySet[Signal]:
        held = Signal.objects.filter(
            region=self.region, finished_at__lt=self.cutoff, personal_data_removed_at__isnull=True
        )
        return held.filter(status=Status.REJECTED) if self.action == Action.REJECTED else held

    def attachments(self) -> QuerySet[Attachment]:
        return Attachment.objects.filter(
            signal__region=self.region, signal__finished_at__lt=self.cutoff
        )


@dataclass
class RuleRun:
    """What one rule came to: found (a dry run stops there), removed, in how many batches, and
    the longest batch (the longest any row stayed locked)."""

    rule: Rule
    found: int = 0
    done: int = 0
    batches: int = 0
    longest: float = 0.0
    sample: list[str] = field(default_factory=list)
    counted: bool = False  # a dry run (or a policy not switched on): nothing removed


def rules(policy: RetentionPolicy, *, now: datetime) -> list[Rule]:
    region = policy.region
    return [
        Rule(Action.REJECTED, _("rejected: %(n)s months") % {"n": policy.rejected_months},
             now - relativedelta(months=policy.rejected_months), region),
        Rule(Action.AUTHORS, _("authors: %(n)s years") % {"n": policy.authors_years},
             now - relativedelta(years=policy.authors_years), region),
        Rule(Action.ATTACHMENTS, _("files: %(n)s years") % {"n": policy.attachments_years},
             now - relativedelta(years=policy.attachments_years), region),
    ]  # fmt: skip


def retention_apply(
    *,
    region: Region | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    batch: int = BATCH,
    budget: float = RUN_BUDGET_SECONDS,
) -> list[RuleRun]:
    """Apply the regions' policies (a policy that is not switched on is only counted). A dry
    run removes nothing and says what would go: how many, and a few of the signals' numbers."""
    now = now or timezone.now()
    policies = RetentionPolicy.objects.select_related("region")
    if region is not None:
        policies = policies.filter(region=region)
    started = time.monotonic()
    runs = []
    for policy in policies:
        counting = dry_run or not policy.is_active
        for rule in rules(policy, now=now):
            run = RuleRun(rule)
            runs.append(run)
            if counting:
                _count(run)
                continue
            left = budget - (time.monotonic() - started)
            _apply(run, batch=batch, until=time.monotonic() + max(left, 0))
            logger.info(
                "retention_applied region_id=%s rule=%s removed=%s batches=%s longest_ms=%.0f",
                policy.region_id, rule.action, run.done, run.batches, run.longest * 1000,
            )  # fmt: skip
    return runs


def _count(run: RuleRun) -> None:
    rule = run.rule
    run.counted = True
    if rule.action == Action.ATTACHMENTS:
        run.found = rule.attachments().count()
        picked = list(rule.attachments().values_list("signal__number", flat=True)[:5])
    else:
        run.found = rule.signals().count()
        picked = list(rule.signals().values_list("number", flat=True)[:5])
    run.sample = sorted(set(picked))


def _apply(run: RuleRun, *, batch: int, until: float) -> None:
    rule = run.rule
    while time.monotonic() < until:
        began = time.monotonic()
        with transaction.atomic():
            if rule.action == Action.ATTACHMENTS:
                rows = list(
                    rule.attachments().order_by().select_for_update(skip_locked=True, of=("self",))
                    .values_list("pk", "signal_id")[:batch]
                )  # fmt: skip
                if not rows:
                    return
                signal_ids = sorted({signal_id for _pk, signal_id in rows})
                count = files_delete(Attachment.objects.filter(pk__in=[pk for pk, _s in rows]))
            else:
                signal_ids = list(
                    rule.signals().order_by().select_for_update(skip_locked=True)
                    .values_list("pk", flat=True)[:batch]
                )  # fmt: skip
                if not signal_ids:
                    return
                count = remove_personal_data(signal_ids, files=rule.action == Action.REJECTED)
            log(
                rule.action, region=rule.region, rule=rule.label, signal_ids=signal_ids, count=count
            )
        run.done += count
        run.batches += 1
        run.longest = max(run.longest, time.monotonic() - began)


# --- removing --------------------------------------------------------------------------------


def remove_personal_data(signal_ids: list[int], *, files: bool, at: datetime | None = None) -> int:
    """Remove the personal data held about these signals' authors, inside the caller's
    transaction; the signals themselves stay. Returns how many signals were cleared."""
    at = at or timezone.now()
    cleared = Signal.objects.filter(pk__in=signal_ids).update(
        author_name="", author_profile_url="", author_contact="", thread_id="", external_url="",
        personal_data_removed_at=at,
    )  # fmt: skip
    InboundMessage.objects.filter(signal_id__in=signal_ids).update(payload=REMOVED_PAYLOAD)
    Subscription.objects.filter(signal_id__in=signal_ids).delete()
    ReplyDelivery.objects.filter(signal_id__in=signal_ids).exclude(target={}).update(target={})
    if files:
        files_delete(Attachment.objects.filter(signal_id__in=signal_ids))
    return cleared


def files_delete(attachments: QuerySet[Attachment]) -> int:
    """Delete the rows now and their files once the transaction has committed (a rolled back
    removal keeps its files). A file that cannot be deleted is counted in the log line."""
    names = [name for name in attachments.values_list("file", flat=True) if name]
    count, _by_model = attachments.delete()

    def unlink() -> None:
        failed = 0
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                failed += 1
        if failed:
            logger.warning("retention_files_not_deleted count=%s", failed)

    transaction.on_commit(unlink)
    return count


def log(
    action: str,
    *,
    rule: str,
    signal_ids: Iterable[int],
    count: int,
    region: Region | None = None,
    actor: User | None = None,
    subject_hash: str = "",
) -> PersonalDataLog:
    return PersonalDataLog.objects.create(
        at=timezone.now(), action=action, region=region, actor=actor, rule=rule[:200],
        subject_hash=subject_hash, signal_ids=list(signal_ids), count=count,
    )  # fmt: skip


# --- one citizen's request -------------------------------------------------------------------


@dataclass
class Subject:
    """Everything held about one citizen, found by what they told us of themselves."""

    profile: str = ""
    phone: str = ""
    email: str = ""
    signals: list[Signal] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)

    @property
    def given(self) -> bool:
        return bool(self.profile or self.phone or self.email)

    @property
    def hash(self) -> str:
        """A keyed hash of the request (kept in the log instead of the data)."""
        key = f"subject:{self.profile}|{self.phone}|{self.email}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), key, hashlib.sha256).hexdigest()

    @property
    def signal_ids(self) -> list[int]:
        return [signal.pk for signal in self.signals]


def normalise(*, profile: str = "", phone: str = "", email: str = "") -> Subject:
    profile = profile.strip().lower().rstrip("/")
    profile = re.sub(r"^https?://(www\.|m\.)?", "", profile)
    digits = contacts.digits(phone)
    return Subject(profile=profile, phone=digits if len(digits) >= 5 else "",
                   email=email.strip().lower())  # fmt: skip


def subject_find(
    *, profile: str = "", phone: str = "", email: str = "", region_ids: Iterable[int] | None = None
) -> Subject:
    """The signals whose author is this citizen (by the profile, the phone or the e-mail given)
    and the subscriptions of their e-mail, within the regions given (all when None). A rare
    request: it reads the whole signal table rather than keep an index of every spelling."""
    subject = normalise(profile=profile, phone=phone, email=email)
    if not subject.given:
        return subject
    found = Q(pk__in=[])
    signals = Signal.objects.all()
    if subject.profile:
        bare = Func(
            Lower("author_profile_url"), Value(r"^https?://(www\.|m\.)?|/+$"), Value(""),
            Value("g"), function="regexp_replace",
        )  # fmt: skip
        signals = signals.annotate(bare_profile=bare)
        found |= Q(bare_profile=subject.profile)
    if subject.phone:
        digits = Func("author_contact", Value(r"\D"), Value(""), Value("g"),
                      function="regexp_replace")  # fmt: skip
        signals = signals.annotate(contact_digits=digits).annotate(
            contact_tail=Right("contact_digits", len(subject.phone)),
            contact_length=Length("contact_digits", output_field=IntegerField()),
        )
        found |= Q(contact_tail=subject.phone, contact_length__lte=len(subject.phone) + 1)
    subscriptions = Subscription.objects.none()
    if subject.email:
        signals = signals.annotate(contact_lower=Lower("author_contact"))
        # The contact alone, or beside a phone («+7 900 …, name@example.org»).
        found |= Q(contact_lower=subject.email) | Q(
            contact_lower__regex=rf"(^|[\s,;]){re.escape(subject.email)}($|[\s,;])"
        )
        subscriptions = Subscription.objects.filter(email=subject.email)
    signals = signals.filter(found)
    if region_ids is not None:
        signals = signals.filter(region_id__in=list(region_ids))
        subscriptions = subscriptions.filter(signal__region_id__in=list(region_ids))
    subject.signals = list(
        signals.select_related("region").order_by("-received_at")[: settings.SUBJECT_MAX_SIGNALS]
    )
    subject.subscriptions = list(subscriptions.select_related("signal"))
    return subject


def subject_export(subject: Subject) -> dict:
    """All that is held about the citizen, in a machine-readable form for their request."""
    ids = subject.signal_ids
    payloads = dict(
        InboundMessage.objects.filter(signal_id__in=ids).values_list("signal_id", "payload")
    )
    replies: dict[int, list[dict]] = {}
    published = Reply.objects.filter(signal_id__in=ids, state=Reply.State.PUBLISHED)
    for reply in published.order_by("published_at"):
        replies.setdefault(reply.signal_id, []).append(
            {"kind": reply.kind, "published_at": _iso(reply.published_at), "text": reply.text}
        )
    files: dict[int, list[dict]] = {}
    for attachment in Attachment.objects.filter(signal_id__in=ids):
        files.setdefault(attachment.signal_id, []).append(
            {"name": attachment.name, "size": attachment.size, "sha256": attachment.sha256}
        )
    return {
        "exported_at": _iso(timezone.now()),
        "signals": [
            {
                "number": signal.number, "region": signal.region.name, "channel": signal.channel,
                "received_at": _iso(signal.received_at), "status": signal.status,
                "author_name": signal.author_name, "author_profile": signal.author_profile_url,
                "author_contact": signal.author_contact, "address": signal.address,
                "text": signal.text, "consent": (payloads.get(signal.pk) or {}).get("consent"),
                "replies": replies.get(signal.pk, []), "files": files.get(signal.pk, []),
                "personal_data_removed_at": _iso(signal.personal_data_removed_at),
            }
            for signal in subject.signals
        ],
        "subscriptions": [
            {"signal": sub.signal.number, "email": sub.email, "hears_of": sub.scope,
             "created_at": _iso(sub.created_at), "consent": sub.consent}
            for sub in subject.subscriptions
        ],
    }  # fmt: skip


def subject_anonymise(subject: Subject, *, actor: User, reason: str) -> int:
    """Remove what is held about the citizen (their signals' personal data and files, their
    subscriptions), in one transaction, logged with the request's reason."""
    with transaction.atomic():
        ids = subject.signal_ids
        count = remove_personal_data(ids, files=True)
        count += Subscription.objects.filter(
            pk__in=[sub.pk for sub in subject.subscriptions]
        ).delete()[0]
        subject_log(subject, Action.ANONYMISED, actor=actor, reason=reason, count=count)
    return count


def subject_log(subject: Subject, action: str, *, actor: User, reason: str, count: int) -> None:
    log(action, rule=reason or str(Action(action).label), signal_ids=subject.signal_ids,
        count=count, actor=actor, subject_hash=subject.hash)  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
