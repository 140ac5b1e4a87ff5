"""Telegram: messages to the region's bot and posts of its channels — Bot API webhooks
(intake), answered by the bot (reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(
    code="telegram", label=_("Telegram"), mark="TG", social=True, policy="social",
    hook="hook_telegram",
)  # fmt: skip
