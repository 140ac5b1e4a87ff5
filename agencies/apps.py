from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    default = True  # two configs live here: this one is the app's
    name = "agencies"
    verbose_name = _("Regions and agencies")


class LoginAttemptsConfig(AxesAppConfig):
    """django-axes under a name people read in the admin («Попытки входа», not «AXES»)."""

    verbose_name = _("Login attempts")
