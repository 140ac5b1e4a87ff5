"""Open311 GeoReport v2: service requests in, their status out (intake and reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="open311", label=_("Open311"), mark="311")
