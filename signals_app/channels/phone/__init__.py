"""Calls to the centre, registered by its staff on the fast form (`signals_app.ui.views.intake`);
answered by e-mail, by SMS through the configured gateway, or by a call back (reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="phone", label=_("Phone"), mark="☎")
