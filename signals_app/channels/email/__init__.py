"""E-mail: 59-FZ appeals; the answer goes back by e-mail (reply), which is also the way back for
any channel whose author left an address."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="email", label=_("E-mail"), mark="@", policy="appeal")
