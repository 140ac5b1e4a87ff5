"""What a channel package declares, and the words its parts and the outbound engine share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class ChannelSpec:
    """One channel: its stored code, its name, the mark the queue draws for it.

    `social`: a social network (its signals are answered in hours). `policy`: the group of the
    default deadline policies it belongs to (`sla.defaults`): "social", "platform" (the
    feedback platform and its widget), "appeal" (59-FZ) or None (the catch-all policy).
    `hook`: the URL name of the address the platform calls (shown on the source's admin page).
    `surveyed`, `status_link`: how the citizen is asked «Проблема решена?» (`signals_app.citizen`).
    """

    code: str
    label: Promise | str
    mark: str
    social: bool = False
    policy: str | None = None
    hook: str = ""  # the URL name of its webhook, which takes the source's slug
    # «Проблема решена?» after the final answer: False where the platform asks by itself.
    surveyed: bool = True
    # The citizen holds the link to the signal's status page (the widget's receipt gives it):
    # the survey waits there even when no message can carry it.
    status_link: bool = False


@dataclass
class Plan:
    """How a published reply goes back to its author: a method of the channel and its target,
    or no method and the reason why not."""

    method: str  # "" when the reply cannot travel back: `reason` says why
    target: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class Result:
    """What one remote call came to."""

    # "delivered", "transient", "permanent", or "uncertain": sent, but no answer came (it may
    # have arrived; `channels.reply_send` retries it only where the channel de-duplicates).
    kind: str
    remote_id: str = ""
    retry_after: float | None = None
    http_status: int | None = None
    error_code: str = ""
    detail: str = ""


def network_failure(error: Exception) -> Result:
    """A call that got no answer. Refused or never connected: it did not leave, so another
    try is safe. Timed out or cut off once connected: it may have arrived ("uncertain")."""
    if never_sent(error):
        return Result("transient", error_code="network", detail=type(error).__name__)
    return Result("uncertain", error_code="no_answer", detail=type(error).__name__)


def never_sent(error: BaseException) -> bool:
    """Whether the request certainly did not reach the other side (the connection was never
    made): a refused connection, no route, a name that does not resolve, a connect timeout."""
    import smtplib
    import socket

    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError) and not isinstance(error, requests.Timeout):
        reason = error.args[0] if error.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, NewConnectionError)
    return isinstance(error, (ConnectionRefusedError, socket.gaierror, smtplib.SMTPConnectError))


def timeout() -> float:
    from django.conf import settings

    return float(settings.OUTBOUND_TIMEOUT)


def reply_token(signal: Any) -> str:
    """The token the signal's source answers with (a VK community's, a Telegram bot's)."""
    source = signal.source
    return (source.reply_token if source is not None else "") or ""
