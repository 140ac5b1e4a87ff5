"""Odnoklassniki: the second network of the official pages — the group's messages through OK's
Bot API for groups (Graph API webhooks: intake), the comments under its posts through OK's
REST API (poll), each answered where it was written (reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(
    code="ok", label=_("Odnoklassniki"), mark="OK", social=True, policy="social", hook="hook_ok"
)
