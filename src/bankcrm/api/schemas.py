"""What leaves the system through the API. Identifiers are always masked here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema


class BranchOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    city: str


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    role: str


class CustomerSummaryOut(Schema):
    """A customer in a list. Resident ID and mobile masked."""

    id: int
    customer_no: str
    kind: str
    name_zh: str
    name_en: str
    mobile_masked: str
    id_number_masked: str
    status: str
    tier: str
    aum: Decimal
    branch_id: int
    rm_id: int | None


class CustomerPage(Schema):
    items: list[CustomerSummaryOut]
    next_cursor: str | None


class CustomerDetailOut(CustomerSummaryOut):
    gender: str
    birth_date: dt.date | None
    id_type: str
    email: str
    address: str
    occupation: str
    income_band: str
    kyc_status: str
    kyc_date: dt.date | None
    risk_appetite: str
    risk_assessed_on: dt.date | None
    risk_expires_on: dt.date | None
    onboarded_on: dt.date
    onboarding_channel: str
    closed_on: dt.date | None
    branch: BranchOut
    rm: StaffOut | None


class ConsentOut(Schema):
    purpose: str
    channel: str
    granted: bool
    source: str
    recorded_at: dt.datetime | None


class AccountOut(Schema):
    account_no: str
    product_code: str
    product_name: str
    category: str
    risk_level: str
    currency: str
    balance: Decimal
    status: str
    opened_on: dt.date
    closed_on: dt.date | None


class MonthValue(Schema):
    month: dt.date
    aum: Decimal


class TransactionOut(Schema):
    txn_id: str
    account_no: str
    booked_at: dt.datetime
    amount: Decimal
    direction: str
    txn_type: str
    counterparty_category: str
    channel: str


class ChannelCount(Schema):
    channel: str
    count: int


class GroupOut(Schema):
    group_id: int
    name: str
    kind: str
    role: str


class InteractionIn(Schema):
    kind: str
    subject: str
    notes: str = ""
    occurred_at: dt.datetime | None = None


class InteractionOut(Schema):
    id: int
    kind: str
    subject: str
    notes: str
    occurred_at: dt.datetime
    staff_id: int | None


class TaskIn(Schema):
    title: str
    due_on: dt.date
    notes: str = ""


class TaskOut(Schema):
    id: int
    title: str
    notes: str
    due_on: dt.date
    status: str
    assignee_id: int | None


class Customer360Out(Schema):
    customer: CustomerDetailOut
    consents: list[ConsentOut]
    groups: list[GroupOut]
    accounts: list[AccountOut]
    aum: Decimal
    deposits: Decimal
    investments: Decimal
    liabilities: Decimal
    aum_trend: list[MonthValue]
    recent_transactions: list[TransactionOut]
    channel_mix: list[ChannelCount]
    interactions: list[InteractionOut]
    tasks: list[TaskOut]


class RevealIn(Schema):
    field: str
    reason: str


class RevealOut(Schema):
    field: str
    value: str


class KpiOut(Schema):
    period_start: dt.date
    period_end: dt.date
    customers: int
    active_customers: int
    total_aum: Decimal
    new_this_month: int
    retention_rate: float | None
    churn_rate: float | None
    cross_sell_ratio: float | None
    aum_trend: list[MonthValue]


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class ScoreOut(Schema):
    run_id: int
    as_of: dt.date
    model_version: str
    rfm: str
    rfm_segment: str
    tier: str
    lifecycle_stage: str
    life_stage: str
    cluster: int | None
    p_alive: float | None
    clv: Decimal | None
    churn_probability: float | None
    value_at_risk: Decimal | None
    churn_reasons: list[dict[str, object]]
    recommendations: list[dict[str, object]]


class RunOut(Schema):
    id: int
    status: str
    as_of: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime | None
    model_version: str
    customers: int
    error: str


class RunDetailOut(RunOut):
    parameters: dict[str, object]
    metrics: dict[str, object]


class AtRiskOut(Schema):
    customer_id: int
    customer_no: str
    name: str
    churn_probability: float | None
    clv: Decimal | None
    value_at_risk: Decimal | None
    lifecycle_stage: str
    churn_reasons: list[dict[str, object]]


class AtRiskPage(Schema):
    run_id: int | None
    items: list[AtRiskOut]


class SegmentKpiOut(Schema):
    key: str
    label: str
    customers: int
    aum: Decimal
    mean_clv: Decimal | None
    mean_churn_probability: float | None
    value_at_risk: Decimal | None


class SegmentKpisOut(Schema):
    run_id: int | None
    by: str
    rows: list[SegmentKpiOut]
