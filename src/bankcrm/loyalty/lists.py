"""The programme's lists as the list component declares them: earning rules and rewards."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bankcrm.core.lists import Column, ListSpec, register

RULE_LIST = register(
    ListSpec(
        name="loyalty_rules",
        url_name="loyalty:rules",
        columns=(
            Column("code", _("Code"), "code"),
            Column("version", _("Version")),
            Column("kind", _("Kind"), "kind"),
            Column("name", _("Name")),
            Column("conditions", _("Conditions"), css="hide-sm"),
            Column("rate", _("Points"), css="num"),
            Column("cap", _("Monthly cap"), css="num hide-sm"),
            Column("effective_from", _("Effective from"), "effective_from"),
            Column("effective_to", _("Effective until"), css="hide-sm"),
        ),
        filters=("kind", "current"),
        default_sort="kind",
    )
)

REWARD_LIST = register(
    ListSpec(
        name="loyalty_rewards",
        url_name="loyalty:rewards",
        columns=(
            Column("code", _("Code"), "code"),
            Column("name", _("Name")),
            Column("kind", _("Kind"), "kind"),
            Column("points_price", _("Points price"), "points_price", css="num"),
            Column("stock", _("Stock"), "stock", css="num"),
            Column("redeemed", _("Redeemed"), css="num hide-sm"),
            Column("tier", _("Lowest tier"), css="hide-sm"),
            Column("validity", _("Valid"), css="hide-sm"),
            Column("active", _("Active")),
        ),
        filters=("kind",),
        default_sort="points_price",
    )
)
