"""Forms for customer input; cross-field rules live in the model's clean()."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bankcrm.customers.models import Customer
from bankcrm.customers.services import EDITABLE_FIELDS


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["customer_no", *EDITABLE_FIELDS]
        widgets = {
            f: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for f in ["birth_date", "kyc_date", "risk_assessed_on", "risk_expires_on",
                      "onboarded_on", "closed_on"]
        }

    def __init__(self, *args: Any, rm_queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["customer_no"].disabled = True
        if rm_queryset is not None:
            self.fields["rm"].queryset = rm_queryset


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("ID number")), ("mobile", _("mobile"))])
    reason = forms.CharField(label=_("reason"), min_length=4, max_length=200)
