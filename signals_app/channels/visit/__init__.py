"""Citizens who come in person (a reception), registered by staff on the same fast form as the
calls; an oral appeal under 59-FZ, answered the way the phone's answers go (reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="visit", label=_("In person"), mark="⌂", policy="appeal")
