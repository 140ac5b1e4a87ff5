"""VK: comments and posts on a community's wall, board, photos and videos, and its messages —
through the Callback API (intake), answered by the community's token (reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(
    code="vk", label=_("VK"), mark="VK", social=True, policy="social", hook="hook_vk"
)
