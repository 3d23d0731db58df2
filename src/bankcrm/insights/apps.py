from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "bankcrm.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from bankcrm.insights import receivers  # noqa: F401
