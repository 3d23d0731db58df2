"""Forms for logging an interaction or a task from the customer timeline."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bankcrm.interactions.models import Interaction, InteractionKind, Task


class InteractionForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("kind"), choices=InteractionKind.choices, initial=InteractionKind.CALL
    )

    class Meta:
        model = Interaction
        fields = ["kind", "subject", "notes"]
        widgets = {
            "subject": forms.TextInput(attrs={"placeholder": _("Subject")}),
            "notes": forms.Textarea(attrs={"rows": 2, "placeholder": _("Notes")}),
        }


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ["title", "due_on", "notes"]
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "title": forms.TextInput(attrs={"placeholder": _("What needs doing")}),
            "notes": forms.Textarea(attrs={"rows": 2, "placeholder": _("Notes")}),
        }
