"""The personal-information inventory covers every field of every model.

`test_every_field_of_every_model_is_classified` fails when a model gains a field that its
app's inventory (``pii_inventory`` on the AppConfig, collected by core/pii.py) neither
classifies nor lists as reviewed and not personal, so no new field can ship unreviewed.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from bankcrm.core.pii import Subject, inventory
from bankcrm.customers.models import Customer


def _project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_config.name.startswith("bankcrm.")]


def _fields(model: type[models.Model]) -> set[str]:
    """What a row holds: every column but the id and the links to other rows."""
    return {
        f.name
        for f in model._meta.concrete_fields
        if not f.is_relation and not (f.primary_key and f.auto_created)
    }


def test_every_model_is_in_the_inventory():
    labels = {m._meta.label_lower for m in _project_models()}
    declared = inventory()
    assert labels - set(declared) == set(), "models without an inventory entry"
    assert set(declared) - labels == set(), "inventory entries for models that no longer exist"


def test_every_field_of_every_model_is_classified():
    unclassified, stale, both = [], [], []
    for model in _project_models():
        inv = inventory().get(model._meta.label_lower)
        if inv is None:
            continue
        label, fields = model._meta.label_lower, _fields(model)
        unclassified += [f"{label}.{f}" for f in sorted(fields - inv.fields())]
        stale += [f"{label}.{f}" for f in sorted(inv.fields() - fields)]
        both += [f"{label}.{f}" for f in sorted(set(inv.personal) & inv.other)]
    assert unclassified == [], (
        "fields with no data class: classify them in their app's pii_inventory"
    )
    assert stale == [], "inventory names fields that no longer exist"
    assert both == [], "fields declared both personal and not personal"


def test_a_model_that_points_at_a_customer_or_staff_member_holds_personal_data():
    """Its rows are about a person even where no column is: it cannot be declared as none."""
    from bankcrm.core.models import User

    people = {Customer, User}
    for model in _project_models():
        linked = {
            f.related_model
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model in people
        }
        inv = inventory()[model._meta.label_lower]
        if Customer in linked:
            assert inv.subject in (Subject.CUSTOMER, Subject.CUSTOMER_AND_STAFF), model
        # Summaries per RM (AUM, holdings) link to staff and hold no one's own figure.
        if inv.subject == Subject.NONE:
            assert not inv.personal, model
