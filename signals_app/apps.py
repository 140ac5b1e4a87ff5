from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsAppConfig(AppConfig):
    name = "signals_app"
    verbose_name = _("Signals")

    def ready(self) -> None:
        # Register every task under its name in every process (web included): the writing
        # modules queue tasks by name (signals_app.dispatch) instead of importing them.
        from signals_app import tasks  # noqa: F401
