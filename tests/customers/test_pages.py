"""The customer pages: masking, reveal with reason, audited edits, clear errors.

Their query counts, also as rows and history grow, are checked in tests/house/test_pages.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from bankcrm.core.models import AuditEvent, Branch
from bankcrm.customers.models import Customer, RmAssignment


def test_360_page_masks_identifiers_and_is_audited(bank, login):
    c = bank.mine
    response = login(bank.rm).get(reverse("customers:detail", args=[c.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert c.id_number not in html and c.mobile not in html
    assert f"{c.id_number[:3]}***********{c.id_number[-4:]}" in html
    assert f"{c.mobile[:3]}****{c.mobile[-4:]}" in html
    event = AuditEvent.objects.get(action="view", customer_id=c.pk)
    assert event.actor == bank.rm and event.ip_address == "127.0.0.1"


def test_reveal_needs_a_reason_and_is_recorded(bank, login):
    client = login(bank.rm)
    url = reverse("customers:reveal", args=[bank.mine.pk])
    bad = client.post(url, {"field": "id_number", "reason": ""})
    assert bad.status_code == 400
    assert not AuditEvent.objects.filter(action="reveal").exists()
    ok = client.post(url, {"field": "id_number", "reason": "柜台核实身份"})
    assert bank.mine.id_number in ok.content.decode()
    event = AuditEvent.objects.get(action="reveal")
    assert event.purpose == "柜台核实身份" and event.customer_id == bank.mine.pk
    # The answer keeps the form, empty, for the other identifier.
    page = ok.content.decode()
    assert 'name="reason"' in page and "柜台核实身份" not in page
    again = client.post(url, {"field": "mobile", "reason": "回访确认号码"})
    assert bank.mine.mobile in again.content.decode()
    assert AuditEvent.objects.filter(action="reveal").count() == 2


def test_marketing_cannot_reveal(bank, login):
    response = login(bank.marketing).post(
        reverse("customers:reveal", args=[bank.mine.pk]), {"field": "mobile", "reason": "营销活动"}
    )
    assert response.status_code == 403
    assert bank.mine.mobile not in response.content.decode()


def _form_data(c: Customer, **changes):
    data = {
        "kind": c.kind,
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "gender": c.gender,
        "birth_date": c.birth_date.isoformat(),
        "id_type": c.id_type,
        "id_number": c.id_number,
        "mobile": c.mobile,
        "email": "",
        "address": "",
        "occupation": "",
        "income_band": "",
        "kyc_status": c.kyc_status,
        "kyc_date": "",
        "risk_appetite": c.risk_appetite,
        "risk_assessed_on": c.risk_assessed_on.isoformat(),
        "risk_expires_on": c.risk_expires_on.isoformat(),
        "status": c.status,
        "onboarded_on": c.onboarded_on.isoformat(),
        "onboarding_channel": c.onboarding_channel,
        "closed_on": "",
        "branch": c.branch_id,
        "rm": c.rm_id,
    }
    data.update(changes)
    return data


def test_edit_records_before_and_after_in_the_audit_trail(bank, login):
    c = bank.mine
    old = c.mobile
    response = login(bank.rm).post(
        reverse("customers:edit", args=[c.pk]),
        _form_data(c, name_en="Zhang Xiu Ying", mobile="+86 139 0000 1111"),
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.mobile == "13900001111"
    event = AuditEvent.objects.get(action="update", customer_id=c.pk)
    assert event.changes["name_en"] == ["Zhang Xiuying", "Zhang Xiu Ying"]
    # The trail records that the mobile changed, masked (PIPL: no more than the purpose needs).
    assert event.changes["mobile"] == [f"{old[:3]}****{old[-4:]}", "139****1111"]


def test_edit_form_shows_identifiers_masked_and_keeps_them_when_left_masked(bank, login):
    c = bank.mine
    client = login(bank.rm)
    url = reverse("customers:edit", args=[c.pk])
    html = client.get(url).content.decode()
    masked_id = f"{c.id_number[:3]}{'*' * 11}{c.id_number[-4:]}"
    masked_mobile = f"{c.mobile[:3]}****{c.mobile[-4:]}"
    # The full values are for the audited reveal, not for every opening of the form.
    assert c.id_number not in html and c.mobile not in html
    assert f'value="{masked_id}"' in html and f'value="{masked_mobile}"' in html
    data = _form_data(c, id_number=masked_id, mobile=masked_mobile, name_en="Zhang X.")
    assert client.post(url, data).status_code == 302
    stored = Customer.objects.get(pk=c.pk)
    assert (stored.id_number, stored.mobile, stored.name_en) == (c.id_number, c.mobile, "Zhang X.")
    assert AuditEvent.objects.get(action="update", customer_id=c.pk).changes.keys() == {"name_en"}
    # A number typed over the mask replaces it.
    data = _form_data(stored, id_number=masked_id, mobile="13900003333")
    assert client.post(url, data).status_code == 302
    stored.refresh_from_db()
    assert (stored.id_number, stored.mobile) == (c.id_number, "13900003333")


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"id_number": "110105194912310021"}, "id_number", "check digit"),
        ({"mobile": "+852 6123 4567"}, "mobile", "+86"),
        ({"risk_appetite": "R4", "risk_assessed_on": ""}, "risk_assessed_on", "assessed"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(bank, login, changes, field, message):
    c = bank.mine
    before = Customer.objects.filter(pk=c.pk).values().get()
    response = login(bank.rm).post(
        reverse("customers:edit", args=[c.pk]), _form_data(c, name_en="Changed", **changes)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="error-{field}"' in html and message in html
    assert Customer.objects.filter(pk=c.pk).values().get() == before
    assert not AuditEvent.objects.filter(action="update").exists()


def test_bad_input_message_in_chinese(bank, client):
    client.force_login(bank.rm)
    response = client.post(
        reverse("customers:edit", args=[bank.mine.pk]),
        _form_data(bank.mine, id_number="110105194912310021"),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "校验码" in response.content.decode()


def test_reassigning_rm_keeps_history(bank, login):
    c = bank.mine
    login(bank.manager).post(reverse("customers:edit", args=[c.pk]), _form_data(c, rm=bank.rm2.pk))
    history = list(RmAssignment.objects.filter(customer=c).order_by("id"))
    assert [h.rm_id for h in history] == [bank.rm2.pk]
    assert Customer.objects.get(pk=c.pk).rm == bank.rm2


def test_create_customer_then_search_finds_it(bank, login):
    client = login(bank.rm)
    data = _form_data(
        bank.mine,
        customer_no="C99999999",
        name_zh="赵敏",
        name_en="Zhao Min",
        id_number="11010519491231002X",
        mobile="13512345678",
    )
    response = client.post(reverse("customers:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Customer.objects.get(customer_no="C99999999")
    assert created.id_last4 == "002X" and created.risk_expires_on is not None
    assert RmAssignment.objects.filter(customer=created).count() == 1
    listing = client.get(reverse("customers:list"), {"q": "赵敏"}).content.decode()
    assert "C99999999" in listing


def test_withdrawing_consent_changes_the_current_state_and_keeps_history(bank, login):
    client = login(bank.rm)
    url = reverse("customers:consent", args=[bank.mine.pk])
    data = {"purpose": "marketing", "channel": "sms", "source": "branch"}
    client.post(url, {**data, "granted": "1"})
    response = client.post(url, {**data, "granted": "0", "source": "call_center"})
    assert response.status_code == 200
    from bankcrm.customers.selectors import consent_granted

    assert not consent_granted(customer=bank.mine, purpose="marketing", channel="sms")
    assert bank.mine.consents.count() == 2
    assert AuditEvent.objects.filter(object_type="customers.consentevent").count() == 2
    bad = client.post(url, {**data, "granted": "1", "channel": "pigeon"})
    assert bad.status_code == 400 and bank.mine.consents.count() == 2


def test_rm_filter_lists_rms_of_the_chosen_branch_when_the_scope_is_large(bank, login, monkeypatch):
    from bankcrm.customers import views

    def rm_select(html: str) -> str:
        return html.split('name="rm"')[1].split("</label>")[0]

    monkeypatch.setattr(views, "MAX_RM_CHOICES", 2)
    client = login(bank.admin)
    select = rm_select(client.get(reverse("customers:list")).content.decode())
    assert "choose a branch to list its RMs" in select and select.count("<option") == 1
    html = client.get(reverse("customers:list"), {"branch": bank.beijing.pk}).content.decode()
    select = rm_select(html)
    assert f'value="{bank.rm.pk}"' in select and f'value="{bank.rm_sh.pk}"' not in select


def test_the_branch_filter_offers_only_branches_within_the_users_scope(bank, login):
    def branch_values(user) -> set[str]:
        html = login(user).get(reverse("customers:list")).content.decode()
        select = html.split('name="branch"')[1].split("</select>")[0]
        return {v.split('"')[0] for v in select.split('value="')[1:]} - {""}

    everything = {str(b) for b in (bank.head.pk, bank.beijing.pk, bank.shanghai.pk)}
    assert branch_values(bank.admin) == everything
    assert branch_values(bank.manager) == {str(bank.beijing.pk)}
    assert branch_values(bank.rm) == {str(bank.mine.branch_id)}


# --- issue 15, finding 8: a customer's branch stays within the editor's scope ---------------


def test_the_form_offers_an_rm_only_the_branches_of_their_scope(bank, login):
    from bankcrm.core.models import Branch

    for n in range(5):
        Branch.objects.create(code=f"X{n}", name_zh=f"外地支行{n}", name_en=f"Far {n}", city="广州")
    page = login(bank.rm).get(reverse("customers:create")).content.decode()
    assert "Beijing Branch" in page
    assert "Shanghai Branch" not in page and "Far 0" not in page
    admin_page = login(bank.admin).get(reverse("customers:create")).content.decode()
    assert "Shanghai Branch" in admin_page and "Far 0" in admin_page


def test_an_rm_cannot_move_their_customer_to_another_branch(bank, login):
    sub = Branch.objects.create(
        code="BJ1", name_zh="海淀支行", name_en="Haidian", parent=bank.beijing
    )
    client = login(bank.rm)
    for target in (bank.shanghai, sub):
        response = client.post(
            reverse("customers:edit", args=[bank.mine.pk]),
            _form_data(bank.mine, branch=target.pk),
        )
        assert response.status_code == 200  # re-rendered with the error
        bank.mine.refresh_from_db()
        assert bank.mine.branch_id == bank.beijing.pk
    # Another city's branch is not offered; a branch of the RM's own is, and still needs a
    # branch manager to move the customer there.
    assert "needs a branch manager" in response.content.decode()


def test_a_service_call_cannot_move_or_create_a_customer_outside_the_scope(bank):
    from django.core.exceptions import ValidationError

    from bankcrm.customers import services

    with pytest.raises(ValidationError, match="branch manager"):
        services.customer_update(actor=bank.rm, customer=bank.mine, data={"branch": bank.shanghai})
    with pytest.raises(ValidationError, match="branch manager"):
        services.customer_update(actor=bank.rm, customer=bank.mine, data={"rm": bank.rm2})
    with pytest.raises(ValidationError, match="outside your scope"):
        services.customer_update(
            actor=bank.manager, customer=bank.mine, data={"branch": bank.shanghai}
        )
    with pytest.raises(ValidationError, match="outside your scope"):
        services.customer_create(
            actor=bank.rm,
            data={
                "customer_no": "N0000009",
                "name_zh": "赵敏",
                "onboarded_on": bank.mine.onboarded_on,
                "branch": bank.shanghai,
                "rm": bank.rm,
            },
        )
    # A branch manager moves the RM's customer to the other RM of the branch.
    services.customer_update(actor=bank.manager, customer=bank.mine, data={"rm": bank.rm2})
    bank.mine.refresh_from_db()
    assert bank.mine.rm_id == bank.rm2.pk


@pytest.mark.django_db
def test_an_edit_to_another_customers_mobile_warns_and_one_outside_scope_is_only_counted(
    bank, login
):
    from bankcrm.customers.models import Customer

    far = Customer.objects.get(pk=bank.far.pk)
    other = Customer.objects.get(pk=bank.other.pk)
    client = login(bank.manager)
    page = client.get(f"/customers/{bank.mine.pk}/edit/")
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None and k != "rm"}
    data.update(
        branch=bank.beijing.pk,
        rm=bank.rm.pk,
        onboarded_on=bank.mine.onboarded_on.isoformat(),
        mobile=other.mobile,
    )
    data = {k: v for k, v in data.items() if not hasattr(v, "pk")}
    response = client.post(f"/customers/{bank.mine.pk}/edit/", data)
    assert response.status_code == 200, response.content[:500]
    duplicates = response.context["duplicates"]
    assert [(c.pk, fields) for c, fields in duplicates.in_scope] == [(other.pk, ["mobile"])]
    assert Customer.objects.get(pk=bank.mine.pk).mobile != other.mobile
    # The Shanghai customer is outside the Beijing manager's scope: counted, never named.
    response = client.post(f"/customers/{bank.mine.pk}/edit/", {**data, "mobile": far.mobile})
    assert response.context["duplicates"].in_scope == []
    assert response.context["duplicates"].elsewhere == 1
    assert far.customer_no not in response.content.decode()
    saved = client.post(
        f"/customers/{bank.mine.pk}/edit/", {**data, "mobile": far.mobile, "confirm_duplicate": "1"}
    )
    assert saved.status_code == 302


@pytest.mark.django_db
def test_the_service_agent_may_withdraw_a_consent_but_not_grant_one(bank):
    from django.core.exceptions import PermissionDenied

    from bankcrm.customers.services import consent_record

    args = {
        "customer": bank.mine,
        "purpose": "marketing",
        "channel": "sms",
        "source": "call_center",
    }
    event = consent_record(actor=bank.service, granted=False, **args)
    assert event.recorded_by == bank.service
    with pytest.raises(PermissionDenied):
        consent_record(actor=bank.service, granted=True, **args)
    with pytest.raises(PermissionDenied):
        consent_record(actor=bank.marketing, granted=False, **args)
