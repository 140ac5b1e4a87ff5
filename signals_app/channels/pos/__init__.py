"""The Gosuslugi feedback platform (ПОС): its exports come in as file imports, its answers go
back to the platform's endpoint (reply)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(
    code="pos",
    label=_("Gosuslugi feedback platform (POS)"),
    mark="ПОС",
    policy="platform",
    surveyed=False,  # the platform asks its users about the answer itself
)
