"""The channels citizens write through: one package each, and this registry of them (floor 1).

A channel is one folder `signals_app/channels/<name>/` and one line of `INSTALLED` below (then
`make migrations`: the database's list of known channels follows). The folder's `__init__`
holds its spec — code, name, mark, whether it is a social network, its default deadline policy
— and imports nothing else; its other modules are found by name when they exist:

- `normalise.py`: `outcome(payload, external_id) -> Outcome`, what a stored payload asks for
  (without one: the batch API's item shape, `channels.payload.api_outcome`);
- `intake.py`: `urlpatterns`, its webhook or form (config/urls.py includes them all);
- `reply.py`: `plan(signal) -> Plan`, how a published reply goes back; `send(...) -> Result`,
  one remote call; `IDEMPOTENT`, its methods that may be sent again after an interrupted call.
  Without one, a reply goes by e-mail when the author left an address;
- `poll.py`: `poll() -> int`, for a channel read rather than called (an IMAP mailbox): stores
  what is new in the inbox, run every minute by the beat (`poll_all`);
- `fixtures/*.json`: payloads in the platform's real shape, read by its tests and the
  registry's (each says what it must come to).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from django.utils.translation import gettext as _

from signals_app.channels.spec import ChannelSpec, Plan, Result

INSTALLED = (
    "vk",
    "ok",
    "telegram",
    "max",
    "pos",
    "widget",
    "phone",
    "visit",
    "email",
    "api",
    "open311",
    "file_import",
)

PACKAGES: dict[str, str] = {}  # channel code → package name
CHANNELS: tuple[ChannelSpec, ...] = ()


def _load() -> tuple[ChannelSpec, ...]:
    specs = []
    for name in INSTALLED:
        spec = importlib.import_module(f"{__name__}.{name}").SPEC
        PACKAGES[spec.code] = name
        specs.append(spec)
    return tuple(specs)


CHANNELS = _load()
BY_CODE: dict[str, ChannelSpec] = {spec.code: spec for spec in CHANNELS}
FALLBACK_REPLY = "email"  # who answers for a channel without a way back of its own


def spec(code: str) -> ChannelSpec:
    return BY_CODE[code]


@cache
def part(code: str, name: str) -> ModuleType | None:
    """A channel's module by its conventional name (normalise, intake, reply), or None."""
    package = f"{__name__}.{PACKAGES[code]}"
    if importlib.util.find_spec(f"{package}.{name}") is None:
        return None
    return importlib.import_module(f"{package}.{name}")


def fixtures(code: str) -> list[Path]:
    """The channel's sample payloads (for the tests)."""
    folder = Path(__file__).parent / PACKAGES[code] / "fixtures"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


# --- what the other floors ask of a channel -------------------------------------------------


def normaliser(code: str) -> Callable[[dict[str, Any], str], Any]:
    """The function that reads this channel's stored payloads."""
    module = part(code, "normalise") or importlib.import_module(f"{__name__}.payload")
    return module.outcome if hasattr(module, "outcome") else module.api_outcome


def reply_plan(signal: Any) -> Plan:
    """How a reply to this signal reaches its author: the channel's own way, else e-mail."""
    module = part(signal.channel, "reply")
    if module is not None:
        planned = module.plan(signal)
        if planned is not None:
            return planned
    fallback = part(FALLBACK_REPLY, "reply")
    assert fallback is not None
    return fallback.plan(signal)


def _owner(method: str) -> str:
    """The channel a delivery method belongs to: "vk.wall.createComment" → vk."""
    return method.split(".", 1)[0]


def reply_send(*, method: str, target: dict[str, Any], key: str, reply: Any, signal: Any) -> Result:
    """One remote call of a reply delivery, by the channel that owns the method."""
    owner = _owner(method)
    module = part(owner, "reply") if owner in BY_CODE else None
    if module is None:
        return Result("permanent", error_code="unknown_method", detail=method)
    result = module.send(method=method, target=target, key=key, reply=reply, signal=signal)
    if result.kind != "uncertain":
        return result
    # Sent, and no answer: a channel that de-duplicates by our key may be called again; for
    # the others (Telegram, e-mail) a person checks the channel first.
    if idempotent(method):
        return replace(result, kind="transient")
    return replace(
        result,
        kind="permanent",
        detail=str(
            _(
                "No answer came after the message was sent (%(error)s): it may have arrived. "
                "Check the channel before sending it again."
            )
            % {"error": result.detail}
        ),
    )


def idempotent(method: str) -> bool:
    """Whether the method de-duplicates by our key (so an interrupted call may be repeated)."""
    owner = _owner(method)
    module = part(owner, "reply") if owner in BY_CODE else None
    return module is not None and method in getattr(module, "IDEMPOTENT", ())


def intake_urlpatterns() -> list[Any]:
    """Every channel's webhook or form addresses."""
    patterns: list[Any] = []
    for code in BY_CODE:
        module = part(code, "intake")
        if module is not None:
            patterns += module.urlpatterns
    return patterns


def hook_address(source: Any) -> str:
    """The full address the platform must call for this source ("" when the channel has no
    webhook of its own)."""
    from django.conf import settings
    from django.urls import reverse

    name = spec(source.channel).hook if source.channel in BY_CODE else ""
    if not name or not source.slug:
        return ""
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[source.slug])


def poll_all() -> int:
    """Every polled channel once (the beat's every minute); how many messages were stored."""
    stored = 0
    for code in BY_CODE:
        module = part(code, "poll")
        if module is not None:
            stored += module.poll()
    return stored


def policy_channels(group: str) -> list[str]:
    """The channels of a default deadline policy group ("social", "platform", "appeal")."""
    return [item.code for item in CHANNELS if item.policy == group]


def mark(code: str) -> str:
    item = BY_CODE.get(code)
    return item.mark if item is not None else "?"


__all__ = [
    "CHANNELS",
    "INSTALLED",
    "ChannelSpec",
    "Plan",
    "Result",
    "fixtures",
    "idempotent",
    "intake_urlpatterns",
    "mark",
    "normaliser",
    "part",
    "policy_channels",
    "poll_all",
    "reply_plan",
    "reply_send",
    "spec",
]
