"""Forms for customer input; cross-field rules live in the model's clean()."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import mask_field
from bankcrm.core.validators import normalize_mobile, normalize_resident_id, validate_mobile
from bankcrm.customers.models import (
    ConsentPurpose,
    ConsentSource,
    ContactChannel,
    Customer,
    IdType,
)
from bankcrm.customers.services import EDITABLE_FIELDS


class CustomerForm(forms.ModelForm):
    # The version the person started from: the service refuses the edit if it is stale.
    # Optional so that a page opened before versions existed still saves as it used to.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Customer
        fields = ["customer_no", *EDITABLE_FIELDS]
        widgets = {
            f: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for f in [
                "birth_date",
                "kyc_date",
                "risk_assessed_on",
                "risk_expires_on",
                "onboarded_on",
                "closed_on",
            ]
        }

    def __init__(
        self, *args: Any, rm_queryset: Any = None, branch_queryset: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["customer_no"].disabled = True
            self.fields["version"].initial = self.instance.version
            # Editing shows the ID number and mobile masked, as the 360 page does: the full
            # values are for the audited reveal. A masked value sent back means "unchanged".
            for name in ("id_number", "mobile"):
                self.initial[name] = mask_field(Customer, name, getattr(self.instance, name))
        else:
            del self.fields["version"]
        if rm_queryset is not None:
            cast(forms.ModelChoiceField, self.fields["rm"]).queryset = rm_queryset
        if branch_queryset is not None:
            branches = branch_queryset
            if self.instance.pk and self.instance.branch_id:  # the current one stays shown
                branches = branches.model._default_manager.filter(
                    Q(pk__in=branches.values("pk")) | Q(pk=self.instance.branch_id)
                )
            cast(forms.ModelChoiceField, self.fields["branch"]).queryset = branches
        # Accept "+86 138 1234 5678" and the like; the model stores the bare 11 digits.
        cast(forms.CharField, self.fields["mobile"]).max_length = 20
        self.fields["mobile"].validators = []
        self.fields["mobile"].widget.attrs.update(maxlength=20, inputmode="tel")

    def _left_masked(self, raw: str) -> bool:
        # No identifier has a "*" in it: this is the mask the form showed, left as it was.
        return bool(self.instance.pk) and "*" in raw

    def clean_mobile(self) -> str:
        raw = (self.cleaned_data.get("mobile") or "").strip()
        if self._left_masked(raw):
            return self.instance.mobile
        if not raw:
            return ""
        validate_mobile(raw)
        return normalize_mobile(raw)

    def clean_id_number(self) -> str:
        raw = (self.cleaned_data.get("id_number") or "").strip()
        if self._left_masked(raw):
            return self.instance.id_number
        if self.cleaned_data.get("id_type", IdType.RESIDENT_ID) == IdType.RESIDENT_ID:
            return normalize_resident_id(raw)
        return raw.upper()


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("id_number", _("ID number")), ("mobile", capfirst(_("mobile")))]
    )
    reason = forms.CharField(label=_("reason"), min_length=4, max_length=200)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("purpose"), choices=ConsentPurpose.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=ContactChannel.choices)
    granted = forms.TypedChoiceField(
        label=_("state"),
        choices=[("1", _("grants")), ("0", _("withdraws"))],
        coerce=lambda v: v == "1",
    )
    source = forms.ChoiceField(label=_("source"), choices=ConsentSource.choices)

    def __init__(self, *args: Any, may_grant: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_grant:
            # The call centre records withdrawals only: a grant is not among the choices.
            field = cast(forms.TypedChoiceField, self.fields["granted"])
            field.choices = [("0", _("withdraws"))]
            field.initial = "0"
