"""What a new user tripped over, role by role, in a real browser (issue 22's defects)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from bankcrm.core.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD
from tests.factories import AccountFactory, ProductFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CARD = "6258001234567890123"


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator("nav.mainnav")).to_be_visible()
    page.wait_for_load_state()  # the frame's scripts (keyboard shortcuts) are running


@pytest.fixture
def card_bank(bank):
    card = ProductFactory(
        code="CC01", name_zh="信用卡", name_en="Credit card", category="credit_card"
    )
    AccountFactory(customer=bank.mine, product=card, account_no=CARD)
    AccountFactory(customer=bank.mine, account_no="LN0000000001234")
    return bank


def test_marketing_sees_card_and_account_numbers_masked_on_the_360(card_bank, new_page):
    page = new_page()
    log_in(page, card_bank.marketing.username)
    page.goto(f"/customers/{card_bank.mine.pk}/")
    shown = page.locator("[data-testid=account-no]")
    expect(shown.first).to_be_visible()
    texts = shown.all_inner_texts()
    assert "625800*********0123" in texts and "***********1234" in texts
    body = page.locator("body").inner_text()
    assert CARD not in body and "LN0000000001234" not in body
    expect(page.locator("[data-testid=account-reveal-form]")).to_have_count(0)


def test_rm_sees_the_card_masked_and_reveals_it_with_a_reason(card_bank, new_page):
    page = new_page()
    log_in(page, card_bank.rm.username)
    page.goto(f"/customers/{card_bank.mine.pk}/")
    texts = page.locator("[data-testid=account-no]").all_inner_texts()
    # The RM runs the loan account and sees its number; the card stays masked.
    assert "625800*********0123" in texts and "LN0000000001234" in texts
    assert CARD not in page.locator("body").inner_text()
    row = page.locator("tr", has_text="625800*********0123")
    row.locator("summary").click()
    row.locator("input[name=reason]").fill("客户来电挂失")
    row.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=account-revealed]")).to_have_text(CARD)
    event = AuditEvent.objects.get(action=AuditAction.REVEAL, customer_id=card_bank.mine.pk)
    assert event.purpose == "客户来电挂失" and CARD not in str(event.changes)


def test_saving_an_interaction_empties_the_form_confirms_and_a_double_submit_logs_once(
    bank, new_page
):
    page = new_page()
    log_in(page, bank.rm.username)
    page.goto(f"/customers/{bank.mine.pk}/")
    form = page.locator("[data-testid=interaction-form]")
    form.locator("input[name=subject]").fill("电话回访")
    form.locator("textarea[name=notes]").fill("客户想了解定期存款")
    form.locator("button[type=submit]").dblclick()
    expect(page.locator("[data-testid=timeline-saved]")).to_be_visible()
    expect(page.locator("[data-testid=timeline]")).to_contain_text("电话回访")
    form = page.locator("[data-testid=interaction-form]")
    expect(form.locator("input[name=subject]")).to_have_value("")
    expect(form.locator("textarea[name=notes]")).to_have_value("")
    assert bank.mine.interactions.count() == 1

    task = page.locator("[data-testid=task-form]")
    task.locator("input[name=title]").fill("寄送产品说明")
    task.locator("textarea[name=notes]").fill("邮寄地址已核对")
    task.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=timeline]")).to_contain_text("寄送产品说明")
    task = page.locator("[data-testid=task-form]")
    expect(task.locator("input[name=title]")).to_have_value("")
    expect(task.locator("textarea[name=notes]")).to_have_value("")
    assert bank.mine.tasks.count() == 1


def test_in_chinese_the_task_due_date_arrives_in_iso_and_is_kept(bank, new_page):
    page = new_page(locale="zh-CN")
    log_in(page, bank.rm.username)
    page.goto(f"/customers/{bank.mine.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    due = page.locator("[data-testid=task-form] input[name=due_on]")
    expect(due).to_have_value(dt.date.today().isoformat())
    page.locator("[data-testid=task-form] input[name=title]").fill("回访")
    page.locator("[data-testid=task-form] button[type=submit]").click()
    expect(page.locator("[data-testid=timeline-saved]")).to_be_visible()
    assert bank.mine.tasks.get().due_on == dt.date.today()


def test_the_audit_filter_takes_a_customer_number_and_says_when_nothing_matches(bank, new_page):
    from bankcrm.customers import services

    services.customer_viewed(actor=bank.rm, customer=bank.mine)
    services.customer_viewed(actor=bank.rm, customer=bank.other)
    page = new_page()
    log_in(page, bank.compliance.username)
    page.goto("/audit/")
    page.fill("[data-testid=audit-customer]", bank.mine.customer_no.lower())
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.table tbody tr")
    expect(rows.first).to_be_visible()
    ids = set(rows.locator("td:nth-child(5)").all_inner_texts())
    assert ids == {str(bank.mine.pk)}
    page.fill("[data-testid=audit-customer]", "C0000000283")
    page.click("form.filters button[type=submit]")
    expect(page.locator("[data-testid=audit-no-customer]")).to_contain_text("C0000000283")
    expect(page.locator("table.table tbody tr")).to_have_count(1)  # "No events match."


def _enter_customer(page, bank, *, number: str, id_number: str, mobile: str) -> None:
    page.goto("/customers/new/")
    page.fill("input[name=customer_no]", number)
    page.fill("input[name=name_zh]", "张秀英")
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=mobile]", mobile)
    page.locator("button.primary[type=submit]").click()


def test_entering_an_existing_persons_id_and_mobile_warns_and_offers_to_open_them(bank, new_page):
    from bankcrm.customers.models import Customer

    mine = Customer.objects.get(pk=bank.mine.pk)
    page = new_page()
    log_in(page, bank.rm.username)
    _enter_customer(page, bank, number="N0000009", id_number=mine.id_number, mobile=mine.mobile)
    warning = page.locator("[data-testid=duplicate-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(mine.customer_no)
    assert not Customer.objects.filter(customer_no="N0000009").exists()
    warning.locator("[data-testid=duplicate-link]").click()
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("张秀英")
    assert page.url.endswith(f"/customers/{mine.pk}/")


def test_a_different_person_sharing_a_mobile_is_saved_after_the_warning(bank, new_page):
    from bankcrm.customers.models import Customer
    from tests.factories import resident_id

    mine = Customer.objects.get(pk=bank.mine.pk)
    page = new_page()
    log_in(page, bank.rm.username)
    _enter_customer(page, bank, number="N0000010", id_number=resident_id(901), mobile=mine.mobile)
    expect(page.locator("[data-testid=duplicate-warning]")).to_contain_text(mine.customer_no)
    page.click("[data-testid=save-anyway]")
    expect(page.locator("[data-testid=customer-name]")).to_be_visible()
    assert Customer.objects.filter(customer_no="N0000010").exists()


def test_the_call_centre_records_a_consent_withdrawal_on_the_call(bank, new_page):
    from bankcrm.customers.models import ConsentEvent
    from tests.factories import ConsentFactory

    ConsentFactory(customer=bank.mine, purpose="marketing", channel="sms", granted=True)
    page = new_page()
    log_in(page, bank.service.username)
    page.goto(f"/customers/{bank.mine.pk}/")
    form = page.locator("[data-testid=consent-form]")
    # Only a withdrawal is offered to the service agent.
    assert form.locator("select[name=granted] option").all_inner_texts() == ["withdraws"]
    form.locator("select[name=purpose]").select_option("marketing")
    form.locator("select[name=channel]").select_option("sms")
    form.locator("select[name=source]").select_option("call_center")
    form.locator("button[type=submit]").click()
    row = page.locator("[data-testid=consents] tr", has_text="SMS").filter(has_text="Marketing")
    expect(row).to_contain_text("not granted")
    event = ConsentEvent.objects.filter(customer=bank.mine).latest("recorded_at")
    assert (event.granted, event.recorded_by_id) == (False, bank.service.pk)
    audit = AuditEvent.objects.filter(customer_id=bank.mine.pk, action=AuditAction.CREATE)
    assert audit.filter(actor=bank.service, changes__granted=False).exists()
