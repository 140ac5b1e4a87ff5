"""Odnoklassniki: the second network of the official pages (answered by e-mail for now)."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="ok", label=_("Odnoklassniki"), mark="OK", social=True, policy="social")
