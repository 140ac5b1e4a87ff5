"""Calls to the centre, registered by its staff (answered by e-mail when a contact was left)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="phone", label=_("Phone"), mark="☎")
