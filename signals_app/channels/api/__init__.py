"""The batch JSON API of the region's systems (intake), with a token per source."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="api", label=_("API"), mark="API", policy="appeal")
