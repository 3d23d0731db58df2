"""Forms for leads, opportunities, the agenda's actions and targets: what staff type, checked
with the same validators as the API and the imports (the services check the rest)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from bankcrm.banking.models import Product, ProductStatus
from bankcrm.core.models import User
from bankcrm.interactions.models import InteractionKind
from bankcrm.sales.models import Lead, LeadSource, LostReason, Opportunity, RmTarget, Stage

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACTIVITY_KINDS = [
    (k, label)
    for k, label in InteractionKind.choices
    if k
    in (InteractionKind.CALL, InteractionKind.VISIT, InteractionKind.MEETING, InteractionKind.EMAIL)
]


def on_sale() -> Any:
    return Product.objects.filter(status=ProductStatus.ON_SALE).order_by("code")


class LeadForm(forms.ModelForm):
    confirm_new = forms.BooleanField(
        label=_("This is someone else: create the lead anyway"), required=False
    )
    referrer_customer_no = forms.CharField(
        label=_("Referring customer's number"), required=False, max_length=20
    )

    class Meta:
        model = Lead
        fields = [
            "name",
            "mobile",
            "id_number",
            "birth_date",
            "email",
            "source",
            "referrer_staff",
            "campaign_ref",
            "rm",
            "need",
            "product_interest",
            "expected_aum",
            "follow_up_on",
        ]
        widgets = {
            "birth_date": DATE,
            "follow_up_on": DATE,
            "need": forms.Textarea(attrs={"rows": 2}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args: Any, staff: Any = None, rms: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["source"]).choices = [
            (k, v) for k, v in LeadSource.choices if k != LeadSource.IMPORT
        ]
        none = User.objects.none()
        cast(forms.ModelChoiceField, self.fields["referrer_staff"]).queryset = (
            staff if staff is not None else none
        )
        cast(forms.ModelChoiceField, self.fields["rm"]).queryset = rms if rms is not None else none
        cast(forms.ModelChoiceField, self.fields["product_interest"]).queryset = on_sale()
        self.fields["id_number"].validators = []
        self.fields["mobile"].validators = []
        cast(forms.CharField, self.fields["mobile"]).max_length = 20


class LeadImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))


class QualifyForm(forms.Form):
    need = forms.CharField(
        label=_("need"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    product_interest = forms.ModelChoiceField(
        label=_("product interest"), queryset=Product.objects.none(), required=False
    )
    expected_aum = forms.DecimalField(
        label=_("expected AUM"), max_digits=18, decimal_places=2, min_value=0, required=False
    )
    follow_up_on = forms.DateField(label=_("follow up on"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_interest"].queryset = on_sale()  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class ConvertForm(forms.Form):
    product = forms.ModelChoiceField(label=_("first product"), queryset=Product.objects.none())
    amount = forms.DecimalField(label=_("amount"), max_digits=18, decimal_places=2, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = on_sale()  # type: ignore[attr-defined]


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ACTIVITY_KINDS, initial=InteractionKind.CALL)
    subject = forms.CharField(label=_("subject"), max_length=200)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OpportunityForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = ["product", "expected_amount", "expected_close_on", "next_step", "next_step_on"]
        widgets = {"expected_close_on": DATE, "next_step_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = on_sale()  # type: ignore[attr-defined]


class OpportunityEditForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = ["expected_amount", "expected_close_on", "next_step", "next_step_on"]
        widgets = {"expected_close_on": DATE, "next_step_on": DATE}


class MoveForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"), choices=Stage.choices)
    lost_reason = forms.ChoiceField(
        label=_("lost reason"), choices=[("", "—"), *LostReason.choices], required=False
    )
    version = forms.IntegerField(required=False, min_value=1)


class SnoozeForm(forms.Form):
    item = forms.CharField(max_length=60)
    until = forms.DateField(label=_("until"), widget=DATE)
    reason = forms.CharField(label=_("reason"), max_length=200)


class TargetForm(forms.ModelForm):
    month = forms.DateField(
        label=_("month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )

    class Meta:
        model = RmTarget
        fields = [
            "rm",
            "month",
            "new_customers",
            "aum_growth",
            "products_sold",
            "pipeline_won",
            "activities",
        ]

    def __init__(self, *args: Any, rms: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rm"].queryset = rms if rms is not None else User.objects.none()  # type: ignore[attr-defined]
