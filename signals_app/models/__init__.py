"""The signals app's models (floor 1), one module per part; Django finds them all here."""

from signals_app.analytics.models import Alert, DayCount, HourCount
from signals_app.ingest.models import (
    ClassificationRule,
    ImportJob,
    MassIncidentProposal,
    RoutingRule,
    TextClassifier,
)
from signals_app.models.case import Attachment, Note, Reply, SignalEvent
from signals_app.models.citizen import ReopenRequest, Subscription, Survey, SurveyOptOut
from signals_app.models.inbox import InboundMessage
from signals_app.models.outside import Forward, OutsideBody
from signals_app.models.parts import SignalPart
from signals_app.models.privacy import PersonalDataLog, RetentionPolicy
from signals_app.models.reference import Category, Mailbox, OkGroup, OkTopic, Source
from signals_app.models.signal import Signal, SignalNumberCounter
from signals_app.models.workplace import AnswerTemplate, SavedView
from signals_app.outbound.models import (
    DeliveryAttempt,
    ReplyDelivery,
    WebhookDelivery,
    WebhookSubscription,
)
from signals_app.sla.models import (
    DeadlineKind,
    Escalation,
    EscalationStep,
    Notification,
    SLAPolicy,
    SLAPolicyVersion,
)
from signals_app.votes.models import (
    Campaign,
    CampaignEvent,
    Milestone,
    ObjectPhoto,
    Participation,
    Vote,
    VoteObject,
    Voter,
)

__all__ = [
    "Alert",
    "AnswerTemplate",
    "Attachment",
    "Campaign",
    "CampaignEvent",
    "Category",
    "ClassificationRule",
    "DayCount",
    "DeadlineKind",
    "DeliveryAttempt",
    "Escalation",
    "EscalationStep",
    "Forward",
    "HourCount",
    "ImportJob",
    "InboundMessage",
    "Mailbox",
    "MassIncidentProposal",
    "Milestone",
    "Note",
    "Notification",
    "ObjectPhoto",
    "OkGroup",
    "OkTopic",
    "OutsideBody",
    "Participation",
    "PersonalDataLog",
    "ReopenRequest",
    "Reply",
    "ReplyDelivery",
    "RetentionPolicy",
    "RoutingRule",
    "SLAPolicy",
    "SLAPolicyVersion",
    "SavedView",
    "Signal",
    "SignalEvent",
    "SignalNumberCounter",
    "SignalPart",
    "Source",
    "Subscription",
    "Survey",
    "SurveyOptOut",
    "TextClassifier",
    "Vote",
    "VoteObject",
    "Voter",
    "WebhookDelivery",
    "WebhookSubscription",
]
