"""factory_boy factories for the bank's data, producing valid Chinese IDs and mobiles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from bankcrm.banking.models import Account, BalanceSnapshot, Product, Transaction
from bankcrm.core.models import Branch, User
from bankcrm.core.validators import resident_id_check_char
from bankcrm.customers.models import ConsentEvent, Customer
from bankcrm.insights.models import AnalyticsRun, CustomerScore, RunStatus
from bankcrm.interactions.models import Interaction, Task


def resident_id(n: int, birth: dt.date = dt.date(1985, 6, 15), area: str = "110101") -> str:
    first17 = f"{area}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name_zh = factory.Sequence(lambda n: f"测试支行{n}")
    name_en = factory.Sequence(lambda n: f"Test Sub-branch {n}")
    city = "北京"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    role = "rm"
    branch = factory.SubFactory(BranchFactory)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_no = factory.Sequence(lambda n: f"C{n:08d}")
    name_zh = factory.Sequence(lambda n: ["王芳", "李伟", "张秀英", "刘洋", "陈静"][n % 5])
    name_en = factory.Sequence(
        lambda n: ["Wang Fang", "Li Wei", "Zhang Xiuying", "Liu Yang", "Chen Jing"][n % 5]
    )
    gender = "female"
    birth_date = dt.date(1985, 6, 15)
    id_type = "resident_id"
    id_number = factory.Sequence(lambda n: resident_id(n * 2))
    id_last4 = factory.LazyAttribute(lambda o: o.id_number[-4:])
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    onboarded_on = dt.date(2020, 1, 10)
    branch = factory.SubFactory(BranchFactory)
    rm = factory.SubFactory(UserFactory, branch=factory.SelfAttribute("..branch"))
    risk_appetite = "R3"
    risk_assessed_on = dt.date(2026, 1, 5)
    risk_expires_on = dt.date(2027, 1, 5)
    kyc_status = "verified"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name_zh = "活期存款"
    name_en = "Demand deposit"
    category = "deposit"
    risk_level = "R1"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    account_no = factory.Sequence(lambda n: f"6222{n:012d}")
    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    branch = factory.LazyAttribute(lambda o: o.customer.branch)
    balance = Decimal("10000.00")
    opened_on = dt.date(2020, 1, 10)


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BalanceSnapshot

    account = factory.SubFactory(AccountFactory)
    customer = factory.LazyAttribute(lambda o: o.account.customer)
    month = dt.date(2026, 1, 1)
    balance = Decimal("10000.00")


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    txn_id = factory.Sequence(lambda n: f"T{n:012d}")
    account = factory.SubFactory(AccountFactory)
    customer = factory.LazyAttribute(lambda o: o.account.customer)
    booked_at = factory.LazyFunction(timezone.now)
    amount = Decimal("100.00")
    direction = "debit"
    txn_type = "purchase"
    counterparty_category = "merchant"
    channel = "wechat_pay"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentEvent

    customer = factory.SubFactory(CustomerFactory)
    purpose = "marketing"
    channel = "sms"
    granted = True
    source = "branch"
    recorded_at = factory.LazyFunction(timezone.now)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    staff = factory.LazyAttribute(lambda o: o.customer.rm)
    kind = "call"
    occurred_at = factory.LazyFunction(timezone.now)
    subject = "回访"


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    customer = factory.SubFactory(CustomerFactory)
    assignee = factory.LazyAttribute(lambda o: o.customer.rm)
    title = "跟进理财到期"
    due_on = factory.LazyFunction(timezone.localdate)


class AnalyticsRunFactory(factory.django.DjangoModelFactory):
    """A finished, successful analytics run."""

    class Meta:
        model = AnalyticsRun

    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
    status = RunStatus.SUCCEEDED
    as_of = dt.date(2026, 11, 30)
    model_version = "test-1"


class ScoreFactory(factory.django.DjangoModelFactory):
    """A customer's row of a run: a declining customer at some risk, with a reason and an
    offer in both languages."""

    class Meta:
        model = CustomerScore

    run = factory.SubFactory(AnalyticsRunFactory)
    customer = factory.SubFactory(CustomerFactory)
    rfm = "244"
    rfm_segment = "at_risk"
    tier = "mass"
    lifecycle_stage = "declining"
    churn_probability = 0.4
    clv = Decimal("8000.00")
    value_at_risk = Decimal("3200.00")
    churn_reasons = factory.LazyFunction(
        lambda: [{"feature": "aum_change_6m", "en": "AUM fell", "zh": "资产下降"}]
    )
    recommendations = factory.LazyFunction(
        lambda: [{"product": "P0001", "en": "Deposit", "zh": "存款"}]
    )


# --- sales -----------------------------------------------------------------------------------


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sales.Lead"

    name = factory.Sequence(lambda n: ["赵敏", "钱进", "孙丽", "周杰", "吴昊"][n % 5])
    mobile = factory.Sequence(lambda n: f"1370000{n:04d}")
    source = "walk_in"
    branch = factory.LazyAttribute(lambda o: o.rm.branch if o.rm else Branch.objects.first())
    rm = None


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sales.Opportunity"

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    rm = factory.LazyAttribute(lambda o: o.customer.rm)
    branch = factory.LazyAttribute(lambda o: o.customer.branch)
    stage = "identified"
    expected_amount = Decimal("100000.00")
    next_step = "电话沟通"
    next_step_on = factory.LazyFunction(timezone.localdate)
