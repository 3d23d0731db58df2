"""The lead and opportunity lists as the list component declares them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bankcrm.core.lists import Column, ListSpec, register

LEAD_LIST = register(
    ListSpec(
        name="leads",
        url_name="sales:leads",
        columns=(
            Column("name", _("Name"), "name"),
            Column("mobile", _("Mobile"), css="hide-sm"),
            Column("source", _("Source")),
            Column("status", _("Status")),
            Column("interest", _("Product interest"), css="hide-sm"),
            Column("expected_aum", _("Expected AUM"), "expected_aum", css="num"),
            Column("rm", _("RM"), css="hide-sm"),
            Column("created_at", _("Created"), "created_at", css="hide-sm"),
        ),
        filters=("q", "status", "source", "rm"),
        default_sort="-created_at",
    )
)

OPPORTUNITY_LIST = register(
    ListSpec(
        name="opportunities",
        url_name="sales:opportunities",
        columns=(
            Column("customer", _("Customer"), "customer"),
            Column("product", _("Product")),
            Column("stage", _("Stage"), "stage"),
            Column("expected_amount", _("Expected amount"), "expected_amount", css="num"),
            Column("weighted", _("Weighted"), css="num hide-sm"),
            Column("expected_close_on", _("Close date"), "expected_close_on", css="hide-sm"),
            Column("next_step", _("Next step"), css="hide-sm"),
            Column("next_step_on", _("Next step date"), "next_step_on"),
            Column("rm", _("RM"), css="hide-sm", default=False),
        ),
        filters=("q", "stage", "state", "product", "rm", "closing_by"),
        default_sort="next_step_on",
    )
)
