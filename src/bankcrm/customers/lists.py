"""The customer list as the list component declares it (columns, filters kept by a saved
view, sort keys), shared by the page and its saved views."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bankcrm.core.lists import Column, ListSpec, register

CUSTOMER_LIST = register(
    ListSpec(
        name="customers",
        url_name="customers:list",
        columns=(
            Column("customer_no", _("Customer number"), "customer_no"),
            Column("name", _("Name"), "name"),
            Column("mobile", _("Mobile"), css="hide-sm"),
            Column("branch", _("Branch"), "branch", css="hide-sm"),
            Column("rm", _("RM"), "rm", css="hide-sm"),
            Column("tier", _("Tier")),
            Column("aum", _("AUM"), "aum", css="num"),
            Column("status", _("Status"), "status", css="hide-sm"),
            Column("risk", _("Risk appetite"), "risk", default=False, css="hide-sm"),
            Column("onboarded_on", _("Customer since"), "onboarded_on", default=False),
        ),
        filters=(
            "q",
            "branch",
            "rm",
            "status",
            "risk",
            "tier",
            "aum_min",
            "aum_max",
            "segment",
            "lifecycle",
            "life_stage",
            "churn",
        ),
        default_sort="customer_no",
    )
)
