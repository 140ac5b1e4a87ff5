from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsAppConfig(AppConfig):
    name = "signals_app"
    verbose_name = _("Signals")
