"""Forms staff fill in for the programme: a redemption, an adjustment, and the programme's
settings, rules, tiers and rewards."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bankcrm.banking.models import Channel, CounterpartyCategory, ProductCategory, TransactionType
from bankcrm.loyalty.models import EarnRule, Programme, Reward, RuleKind, Tier


class RedeemForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("reward"), queryset=Reward.objects.none())
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reward"].queryset = Reward.objects.filter(is_active=True)  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=_("points (+ or −)"), min_value=-10_000_000, max_value=10_000_000
    )
    reason = forms.CharField(label=_("reason"), max_length=200)

    def clean_points(self) -> int:
        points: int = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("An adjustment changes the balance: give the points."))
        return points


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("1", _("Approve")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name_zh",
            "name_en",
            "is_active",
            "cost_per_point",
            "expiry_years",
            "expiry_notice_days",
            "tier_basis",
            "tier_window_months",
            "downgrade_grace_days",
            "adjust_approval_threshold",
            "allow_group_transfer",
        ]


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("any")), *choices]


class RuleForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=RuleKind.choices)
    txn_type = forms.ChoiceField(
        label=_("transaction type"), choices=_blank(TransactionType.choices), required=False
    )
    channel = forms.ChoiceField(label=_("channel"), choices=_blank(Channel.choices), required=False)
    product_category = forms.ChoiceField(
        label=_("product category"), choices=_blank(ProductCategory.choices), required=False
    )
    counterparty_category = forms.ChoiceField(
        label=_("counterparty"), choices=_blank(CounterpartyCategory.choices), required=False
    )
    direction = forms.ChoiceField(
        label=_("direction"),
        choices=[("", _("any")), ("debit", _("Debit (out)")), ("credit", _("Credit (in)"))],
        required=False,
    )
    effective_from = forms.DateField(
        label=_("effective from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    class Meta:
        model = EarnRule
        fields = [
            "code",
            "kind",
            "name_zh",
            "name_en",
            "txn_type",
            "channel",
            "product_category",
            "counterparty_category",
            "direction",
            "points",
            "per_cny",
            "tier",
            "monthly_cap",
        ]

    def validate_unique(self) -> None:
        # A new version of an existing code is the point of the form: versions are numbered
        # by the service, which keeps (code, version) unique.
        return None


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = [
            "name_zh",
            "name_en",
            "min_points",
            "min_aum",
            "earn_multiplier",
            "benefits_zh",
            "benefits_en",
        ]
        widgets = {
            "benefits_zh": forms.Textarea(attrs={"rows": 2}),
            "benefits_en": forms.Textarea(attrs={"rows": 2}),
        }


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = [
            "code",
            "name_zh",
            "name_en",
            "kind",
            "points_price",
            "stock",
            "valid_from",
            "valid_until",
            "min_tier",
            "is_active",
        ]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class RestockForm(forms.Form):
    add = forms.IntegerField(label=_("units to add"), min_value=1, max_value=1_000_000)
