from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # The reports' tasks are queued by name (signals_app.dispatch): register them in
        # every process.
        from reports import tasks  # noqa: F401
