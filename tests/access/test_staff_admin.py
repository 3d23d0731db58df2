"""Staff administration services: audited, administrators only, no self-lock-out."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bankcrm.access import staff
from bankcrm.core.models import AuditAction, AuditEvent


@pytest.mark.django_db
def test_an_admin_cannot_deactivate_or_demote_themselves(bank):
    with pytest.raises(ValidationError):
        staff.staff_update(actor=bank.admin, user=bank.admin, data={"is_active": False})
    with pytest.raises(ValidationError):
        staff.staff_update(actor=bank.admin, user=bank.admin, data={"role": "rm"})
    bank.admin.refresh_from_db()
    assert bank.admin.is_active and bank.admin.role == "admin"


@pytest.mark.django_db
def test_only_admins_manage_staff_and_a_weak_password_is_refused(bank):
    with pytest.raises(PermissionDenied):
        staff.staff_update(actor=bank.manager, user=bank.rm, data={"role": "admin"})
    with pytest.raises(PermissionDenied):
        staff.staff_password_set(actor=bank.manager, user=bank.rm, password="Long-enough-2026")
    with pytest.raises(ValidationError):
        staff.staff_password_set(actor=bank.admin, user=bank.rm, password="12345")
    staff.staff_update(actor=bank.admin, user=bank.rm, data={"branch": bank.shanghai})
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(bank.rm.pk))
    assert event.changes == {"branch": [bank.beijing.pk, bank.shanghai.pk]}
    assert event.actor == bank.admin
