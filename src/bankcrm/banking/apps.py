from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankingConfig(AppConfig):
    name = "bankcrm.banking"
    label = "banking"
    verbose_name = _("Banking")

    def ready(self) -> None:
        from bankcrm.banking import receivers  # noqa: F401  (connects the receivers)
