"""What leaves the system through the API. Identifiers are always masked here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema
from ninja.params import P, PathEx
from pydantic import AfterValidator

from bankcrm.core.masking import mask_mobile, mask_resident_id
from bankcrm.core.pii import account_number_shown
from bankcrm.customers.services import REVEALABLE
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.selectors import import_run_errors
from bankcrm.ingest.services import progress_read
from bankcrm.interactions.models import InteractionKind


def _no_null_characters(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here (422), as Django's forms do, rather
    # than let the database fail the request.
    if "\x00" in value:
        raise ValueError(str(ProhibitNullCharactersValidator.message))
    return value


# Free text from a client: any string without NUL characters.
Text = Annotated[str, AfterValidator(_no_null_characters)]

# A row id or a filter on one: what a signed 64-bit column holds. SQLite cannot even bind a
# larger integer, so one is refused (422) before it reaches the database.
BIGINT = 2**63
DbInt = Annotated[int, Field(ge=-BIGINT, lt=BIGINT)]
Id = PathEx[int, P(ge=-BIGINT, lt=BIGINT)]


def _storable(value: dt.datetime) -> dt.datetime:
    # A time without a zone is the bank's local time, as on the pages. The instant is kept in
    # UTC: PostgreSQL refuses offsets past ±15:59 that Python accepts, and one whose UTC
    # instant falls outside years 1-9999 cannot be stored at all.
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(str(forms.DateTimeField.default_error_messages["invalid"])) from None


Moment = Annotated[dt.datetime, AfterValidator(_storable)]


def one_of(values: Iterable[str]) -> dict[str, Any]:
    """Document the values a text field accepts. The service checks them and answers 400 for
    any other, with the same message the pages show."""
    return {"enum": list(values)}


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

    @staticmethod
    def resolve_mobile_masked(obj: Any) -> str:
        return mask_mobile(obj.mobile)

    @staticmethod
    def resolve_id_number_masked(obj: Any) -> str:
        return mask_resident_id(obj.id_number)


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


def _account_no_for(account_no: str, context: dict[str, Any]) -> str:
    return account_number_shown(account_no, context["request"].user)


class AccountOut(Schema):
    account_no: str = Field(description="card numbers masked (first 6, last 4); others by role")
    product_code: str = Field(alias="product.code")
    product_name: str = Field(alias="product.display_name")
    category: str = Field(alias="product.category")
    risk_level: str = Field(alias="product.risk_level")
    currency: str
    balance: Decimal
    status: str
    opened_on: dt.date
    closed_on: dt.date | None

    @staticmethod
    def resolve_account_no(obj: Any, context: dict[str, Any]) -> str:
        return _account_no_for(obj.account_no, context)


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

    @staticmethod
    def resolve_account_no(obj: Any, context: dict[str, Any]) -> str:
        return _account_no_for(obj.account.account_no, context)


class ChannelCount(Schema):
    channel: str
    count: int


class GroupOut(Schema):
    """A relationship group the customer belongs to (read from the membership)."""

    group_id: int
    name: str = Field(alias="group.name")
    kind: str = Field(alias="group.kind")
    role: str


class InteractionIn(Schema):
    kind: Text = Field(json_schema_extra=one_of(InteractionKind.values))
    subject: Text
    notes: Text = ""
    occurred_at: Moment | None = None


class InteractionOut(Schema):
    id: int
    kind: str
    subject: str
    notes: str
    occurred_at: dt.datetime
    staff_id: int | None


class TaskIn(Schema):
    title: Text
    due_on: dt.date
    notes: Text = ""


class TaskOut(Schema):
    id: int
    title: str
    notes: str
    due_on: dt.date
    status: str
    assignee_id: int | None


class ScoreOut(Schema):
    """A customer's scores, read from their row of an analytics run."""

    run_id: int
    as_of: dt.date = Field(alias="run.as_of")
    model_version: str = Field(alias="run.model_version")
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
    recent_transactions: list[TransactionOut] = Field(alias="transactions")
    channel_mix: list[ChannelCount]
    interactions: list[InteractionOut]
    tasks: list[TaskOut]
    score: ScoreOut | None = Field(
        None, description="scores from the newest analytics run; null before the first"
    )

    @staticmethod
    def resolve_groups(obj: Any) -> list[Any]:
        return list(obj.memberships)

    @staticmethod
    def resolve_aum_trend(obj: Any) -> list[MonthValue]:
        return [MonthValue(month=m, aum=a) for m, a in obj.aum_trend]

    @staticmethod
    def resolve_channel_mix(obj: Any) -> list[ChannelCount]:
        return [ChannelCount(channel=ch, count=n) for ch, n in obj.channel_mix]


class RevealIn(Schema):
    field: Text = Field(json_schema_extra=one_of(sorted(REVEALABLE)))
    reason: Text


class RevealOut(Schema):
    field: str
    value: str


class AccountRevealIn(Schema):
    reason: Text


class AccountRevealOut(Schema):
    account_id: int
    account_no: str


class KpiOut(Schema):
    """The dashboard's figures (read from insights' Dashboard)."""

    period_start: dt.date = Field(alias="period.start")
    period_end: dt.date = Field(alias="period.end")
    customers: int
    active_customers: int
    total_aum: Decimal
    new_this_month: int
    retention_rate: float | None
    churn_rate: float | None
    cross_sell_ratio: float | None
    aum_trend: list[MonthValue]

    @staticmethod
    def resolve_aum_trend(obj: Any) -> list[MonthValue]:
        return [MonthValue(month=m, aum=a) for m, a in obj.aum_trend]


class ImportErrorOut(Schema):
    line: int
    column: str
    value: str
    reason: str


class ImportRunOut(Schema):
    id: int
    kind: str
    file_name: str
    file_sha256: str
    status: str
    finished: bool
    dry_run: bool
    max_errors: int
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    message: str
    detected: dict[str, Any]
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class ImportRunDetailOut(ImportRunOut):
    errors: list[ImportErrorOut]
    progress: dict[str, Any]
    error_report_url: str | None = None

    @staticmethod
    def resolve_errors(obj: ImportRun) -> list[dict[str, Any]]:
        return import_run_errors(obj)  # ID numbers and mobiles masked

    @staticmethod
    def resolve_progress(obj: ImportRun) -> dict[str, Any]:
        return progress_read(obj.pk) if not obj.finished else {}

    @staticmethod
    def resolve_error_report_url(obj: ImportRun, context: dict[str, Any]) -> str | None:
        if not obj.rejected:
            return None
        return context["request"].build_absolute_uri(reverse("imports:report", args=[obj.pk]))


class ErrorOut(Schema):
    """Every error the API answers with: a sentence, and the messages per field when any."""

    detail: str
    errors: dict[str, list[str]] = {}


class JobRunOut(Schema):
    """A background job run (GET /api/v1/jobs)."""

    id: int
    kind: str
    key: str = Field(description="what the job works on, e.g. import-run:12")
    task_name: str
    queue: str
    state: str
    finished: bool
    attempts: int
    started_by: str | None = None
    queued_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    worker: str
    error: str
    progress: dict[str, Any]
    result: dict[str, Any]
    retry_of: int | None = Field(None, alias="retry_of_id")

    @staticmethod
    def resolve_started_by(obj: Any) -> str | None:
        return obj.created_by.username if obj.created_by_id else None


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's documented answers: its success, 401 and 422 (every operation has a
    token and parameters to check), and the other error statuses it can give."""
    return {**ok, **{status: ErrorOut for status in sorted({401, 422, *errors})}}


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
    """A row of the at-risk worklist, read from the customer's score."""

    customer_id: int
    customer_no: str = Field(alias="customer.customer_no")
    name: str = Field(alias="customer.name_zh")
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


# --- sales: leads, opportunities, RM performance ----------------------------------------------


class LeadIn(Schema):
    name: Text
    mobile: Text = ""
    id_number: Text = ""
    birth_date: dt.date | None = None
    email: Text = ""
    source: Text = Field(
        json_schema_extra=one_of(
            ["walk_in", "customer_referral", "staff_referral", "campaign", "web_form", "import"]
        )
    )
    referrer_customer_id: DbInt | None = None
    referrer_staff_id: DbInt | None = None
    campaign_ref: Text = Field("", description="the campaign a response came from (free text)")
    branch_id: DbInt | None = None
    rm_id: DbInt | None = None
    need: Text = ""
    product_interest: Text = Field("", description="a product code")
    expected_aum: Decimal | None = Field(None, ge=0, lt=10**16)
    follow_up_on: dt.date | None = None
    confirm_new: bool = Field(
        False, description="create the lead even though the duplicate check found a match"
    )


class LeadOut(Schema):
    """A lead. Resident ID and mobile masked for every role."""

    id: int
    name: str
    mobile_masked: str
    id_number_masked: str
    birth_date: dt.date | None
    source: str
    status: str
    campaign_ref: str
    branch_id: int
    rm_id: int | None
    referrer_customer_id: int | None
    referrer_staff_id: int | None
    need: str
    product_interest: str | None = None
    expected_aum: Decimal | None
    follow_up_on: dt.date | None
    customer_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_mobile_masked(obj: Any) -> str:
        return mask_mobile(obj.mobile)

    @staticmethod
    def resolve_id_number_masked(obj: Any) -> str:
        return mask_resident_id(obj.id_number)

    @staticmethod
    def resolve_product_interest(obj: Any) -> str | None:
        return obj.product_interest.code if obj.product_interest_id else None


class LeadPage(Schema):
    items: list[LeadOut]
    count: int


class OpportunityIn(Schema):
    customer_id: DbInt
    product: Text = Field(description="a product code")
    expected_amount: Decimal = Field(ge=0, lt=10**16)
    expected_close_on: dt.date | None = None
    next_step: Text = ""
    next_step_on: dt.date | None = None


class StageIn(Schema):
    stage: Text = Field(
        json_schema_extra=one_of(
            ["identified", "contacted", "needs_assessed", "proposal", "application", "won", "lost"]
        )
    )
    lost_reason: Text = Field(
        "",
        json_schema_extra=one_of(
            ["no_need", "price", "competitor", "not_suitable", "timing", "no_response", "other"]
        ),
    )
    version: int | None = Field(None, ge=1, lt=BIGINT)


class OpportunityOut(Schema):
    id: int
    customer_id: int
    product: str = Field(alias="product.code")
    stage: str
    probability: int
    expected_amount: Decimal
    weighted_amount: Decimal
    expected_close_on: dt.date | None
    next_step: str
    next_step_on: dt.date | None
    lost_reason: str
    origin: str
    rm_id: int | None
    branch_id: int
    version: int
    created_at: dt.datetime
    closed_at: dt.datetime | None


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    count: int


class RmPerformanceOut(Schema):
    rm_id: int
    rm_name: str
    month: dt.date
    new_customers: int
    aum: Decimal
    aum_growth: Decimal
    products_sold: int
    cross_sell_ratio: float
    pipeline_won: Decimal
    won: int
    lost: int
    win_rate: float | None
    conversion: dict[str, float | None]
    cycle_days: float | None
    activities: int
    retained_at_risk: int
    referrals: int
    targets: dict[str, Decimal] | None = None

    @staticmethod
    def resolve_targets(obj: Any) -> dict[str, Decimal] | None:
        t = obj.target
        if t is None:
            return None
        names = ("new_customers", "aum_growth", "products_sold", "pipeline_won", "activities")
        return {n: Decimal(getattr(t, n)) for n in names}


# --- loyalty ----------------------------------------------------------------------------------


class LoyaltyTierOut(Schema):
    code: str
    name_zh: str
    name_en: str
    rank: int
    earn_multiplier: Decimal
    benefits: list[str]


class PointsEntryOut(Schema):
    id: int
    kind: str
    source: str
    points: int
    reason: str
    occurred_at: dt.datetime
    expires_on: dt.date | None


class RedemptionOut(Schema):
    id: int
    customer_id: int = Field(alias="member.customer_id")
    reward: str = Field(alias="reward.code")
    reward_name: str = Field(alias="reward.display_name")
    quantity: int
    points: int
    status: str
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class TierChangeOut(Schema):
    on: dt.date
    from_tier: str | None
    to_tier: str = Field(alias="to_tier.code")
    reason: str

    @staticmethod
    def resolve_from_tier(obj: Any) -> str | None:
        return obj.from_tier.code if obj.from_tier_id else None


class LoyaltyOut(Schema):
    """A customer's points, tier, history and redemptions (the 360 page's loyalty card)."""

    customer_id: int
    is_member: bool
    balance: int
    tier: LoyaltyTierOut | None
    tier_since: dt.date | None
    downgrade_due_since: dt.date | None
    expiring_points: int = Field(description="points that expire within the notice period")
    expiring_on: dt.date | None
    entries: list[PointsEntryOut]
    redemptions: list[RedemptionOut]
    tier_changes: list[TierChangeOut]


class RedeemIn(Schema):
    reward_id: DbInt
    quantity: int = Field(1, ge=1, le=100)


class RedemptionCancelIn(Schema):
    reason: Text = Field("", max_length=200)
