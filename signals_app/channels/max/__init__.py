"""MAX, the national messenger: messages to the region's bot and posts of its channels — Bot API
webhook updates (intake), answered by the bot (reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(
    code="max", label=_("MAX"), mark="MAX", social=True, policy="social", hook="hook_max"
)
