"""Bring a signal to a status through the real workflow services."""

from __future__ import annotations

from signals_app.choices import Status
from signals_app.models import Reply, Signal
from signals_app.workflow import services

# The shortest legal path from new to each status.
PATHS = {
    Status.NEW: [],
    Status.IN_PROGRESS: ["route"],
    Status.AWAITING_INFO: ["route", "request_info"],
    Status.REPLY_REVIEW: ["route", "submit"],
    Status.ANSWERED: ["route", "submit", "approve"],
    Status.CLOSED: ["route", "submit", "approve", "close"],
    Status.REJECTED: ["reject"],
}


def drive(signal: Signal, status: str, *, analyst, executor, agency) -> Signal:
    for step in PATHS[status]:
        if step == "route":
            services.signal_route(signal=signal, agency=agency, actor=analyst)
        elif step == "request_info":
            services.signal_request_info(signal=signal, question="Уточните адрес", actor=executor)
        elif step == "submit":
            services.reply_submit(signal=signal, text="Работы выполнены.", actor=executor)
        elif step == "approve":
            reply = Reply.objects.get(signal=signal, state=Reply.State.SUBMITTED)
            services.reply_approve(reply=reply, actor=analyst)
        elif step == "close":
            services.signal_close(signal=signal, actor=analyst)
        elif step == "reject":
            services.signal_reject(signal=signal, reason="Спам", actor=analyst)
    signal.refresh_from_db()
    assert signal.status == status
    return signal
