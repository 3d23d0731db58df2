"""Forms for logging an interaction or a task, or changing a task's status, from the timeline."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bankcrm.interactions.models import Interaction, InteractionKind, Task, TaskStatus


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
        fields = ["title", "due_on", "remind_on", "notes"]
        widgets = {
            # ISO whatever the language: a date input drops "2026/12/02".
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "remind_on": forms.DateInput(
                attrs={"type": "date", "aria-label": _("remind on")}, format="%Y-%m-%d"
            ),
            "title": forms.TextInput(attrs={"placeholder": _("What needs doing")}),
            "notes": forms.Textarea(attrs={"rows": 2, "placeholder": _("Notes")}),
        }


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=TaskStatus.choices)
    # The version of the task the person saw; optional for callers that do not send it.
    version = forms.IntegerField(label=_("version"), required=False, min_value=1)
