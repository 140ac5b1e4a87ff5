"""Row locks of the signal workflow (floor 1). One lock order everywhere: signals by id, then
the rows that hang off them (a reply, a delivery). Call inside the writing transaction."""

from __future__ import annotations

from collections.abc import Iterable

from signals_app.errors import ConflictError
from signals_app.models import Reply, Signal


def signal_lock(signal: Signal | int, expected_version: int | None = None) -> Signal:
    """Lock the signal row for this transaction and check the version the caller saw."""
    signal_id = signal if isinstance(signal, int) else signal.pk
    locked = Signal.objects.select_for_update(of=("self",)).get(pk=signal_id)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError()
    return locked


def signals_lock(ids: Iterable[int]) -> list[Signal]:
    """Lock several signals, in id order (so two writers never wait for each other in a ring)."""
    return list(Signal.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))


def reply_lock(reply: Reply | int, expected_version: int | None = None) -> tuple[Reply, Signal]:
    """Lock a reply's signal (checking the version the caller saw), then the reply itself."""
    reply_id = reply if isinstance(reply, int) else reply.pk
    signal_id = Reply.objects.values_list("signal_id", flat=True).get(pk=reply_id)
    signal = signal_lock(signal_id, expected_version)
    return Reply.objects.select_for_update().get(pk=reply_id), signal
