"""The workflow's writes, one entry point per action (floor 3).

Every signal comes into being through `create.signals_create_many` and changes through the
entry points below; they are the only writers of a signal's status, version and timeline. The
modules are split by job: creation, moves (routing, work, status, attributes), replies,
repeats and mass incidents, notes, and the system's many-row changes.
"""

from signals_app.workflow.services.citizen import (
    SurveyOutcome,
    reopen_request_confirm,
    reopen_request_decline,
    signal_close_without_details,
    signal_details_came_late,
    signal_news_by_telegram,
    signal_subscribe,
    survey_answer,
)
from signals_app.workflow.services.create import (
    PlanStep,
    SignalPlan,
    signal_create,
    signal_number_allocate,
    signal_number_format,
    signals_create_many,
)
from signals_app.workflow.services.merge import signal_mark_duplicate, signal_merge
from signals_app.workflow.services.moves import (
    signal_assign,
    signal_change_category,
    signal_change_channel,
    signal_change_priority,
    signal_citizen_wrote,
    signal_close,
    signal_deadline_extend,
    signal_mark_deleted_at_source,
    signal_reject,
    signal_reopen,
    signal_request_info,
    signal_restore,
    signal_resume,
    signal_route,
    signal_take,
    signal_text_update,
    signal_transition,
)
from signals_app.workflow.services.notes import note_add
from signals_app.workflow.services.outside import (
    forward_answered,
    forwards_overdue_tell,
    signal_forward,
)
from signals_app.workflow.services.parts import (
    part_add,
    part_close,
    part_done,
    parts_overdue_tell,
)
from signals_app.workflow.services.replies import (
    reply_approve,
    reply_draft_save,
    reply_return,
    reply_revise,
    reply_submit,
)
from signals_app.workflow.services.system import signals_deadlines_save, signals_sweep_save

__all__ = [
    "PlanStep",
    "SignalPlan",
    "SurveyOutcome",
    "forward_answered",
    "forwards_overdue_tell",
    "note_add",
    "part_add",
    "part_close",
    "part_done",
    "parts_overdue_tell",
    "reopen_request_confirm",
    "reopen_request_decline",
    "reply_approve",
    "reply_draft_save",
    "reply_return",
    "reply_revise",
    "reply_submit",
    "signal_assign",
    "signal_change_category",
    "signal_change_channel",
    "signal_change_priority",
    "signal_citizen_wrote",
    "signal_close",
    "signal_close_without_details",
    "signal_create",
    "signal_deadline_extend",
    "signal_details_came_late",
    "signal_forward",
    "signal_mark_deleted_at_source",
    "signal_mark_duplicate",
    "signal_merge",
    "signal_news_by_telegram",
    "signal_number_allocate",
    "signal_number_format",
    "signal_reject",
    "signal_reopen",
    "signal_request_info",
    "signal_restore",
    "signal_resume",
    "signal_route",
    "signal_subscribe",
    "signal_take",
    "signal_text_update",
    "signal_transition",
    "signals_create_many",
    "signals_deadlines_save",
    "signals_sweep_save",
    "survey_answer",
]
