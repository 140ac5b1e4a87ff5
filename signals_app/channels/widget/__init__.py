"""The public «Сообщить о проблеме» widget of an agency's pages (intake: the form)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(
    code="widget", label=_("Website widget"), mark="W", policy="platform", status_link=True
)
