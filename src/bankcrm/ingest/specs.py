"""What each import file holds: its columns, types, natural key and references.

One :class:`Kind` per entity. The engine reads these declarations; `docs/import-formats.md`
describes the same tables for people.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from bankcrm.banking.aum import aum_categories_sql
from bankcrm.banking.models import (
    Account,
    AccountStatus,
    BalanceSnapshot,
    Channel,
    CounterpartyCategory,
    Direction,
    Product,
    ProductCategory,
    ProductStatus,
    Transaction,
    TransactionType,
)
from bankcrm.core.crypto import EncryptedCharField, blind_index, encrypt
from bankcrm.core.models import Branch, User
from bankcrm.core.roles import Role
from bankcrm.core.validators import normalize_mobile, normalize_resident_id
from bankcrm.customers.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ContactChannel,
    Customer,
    CustomerAlias,
    CustomerKind,
    CustomerStatus,
    Gender,
    GroupKind,
    GroupMembership,
    IdType,
    IncomeBand,
    KycStatus,
    MemberRole,
    OnboardingChannel,
    RelationshipGroup,
    RiskLevel,
)
from bankcrm.customers.validation import validate_customer_fields
from bankcrm.interactions.models import Interaction, InteractionKind

TEXT, DATE, DATETIME, MONTH, DECIMAL, INT, BOOL, CHOICE = (
    "text",
    "date",
    "datetime",
    "month",
    "decimal",
    "int",
    "bool",
    "choice",
)


@dataclass(frozen=True)
class Ref:
    """A column naming another record by its natural key (a branch code, a customer number).

    ``outputs`` maps the target model's columns to SQL over the joined row (``{r}``).
    ``source`` is the table (or a sub-select) joined, ``key`` its natural-key column.
    """

    model: type[models.Model]
    key: str
    outputs: dict[str, str]
    source: str = ""
    self_ref: bool = False


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    target: str = ""
    required: bool = False
    zh: tuple[str, ...] = ()
    choices: type[models.TextChoices] | None = None
    max_length: int = 0
    places: int = 2
    max_digits: int = 18
    signed: bool = False
    ref: Ref | None = None
    # Codes other systems commonly use for a choice, accepted besides our codes and labels.
    codes: tuple[tuple[str, str], ...] = ()

    @property
    def attname(self) -> str:
        return self.target or self.name


RowCheck = Callable[[dict[str, Any], frozenset[str]], dict[str, str]]


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # file columns of the natural key (duplicates within a file)
    conflict: tuple[str, ...]  # target columns of the unique constraint upserted on
    title: str = ""
    # Values for columns a new record needs that the file may leave out.
    insert_defaults: dict[str, Callable[[dt.datetime], Any]] = field(default_factory=dict)
    # Columns computed from others in the same row: target → the file column it needs.
    derived: dict[str, str] = field(default_factory=dict)
    check: RowCheck | None = None
    refresh_aum: bool = False
    # The dashboard summaries are built from these rows: insights rebuilds them when an import
    # that created or changed some has committed (signals.import_committed).
    refresh_summaries: bool = False
    # Rows naming a number merged into another customer are skipped (kept as that alias).
    skip_aliases: bool = False
    # Personal data: one audit event per record created or changed (others: one per run).
    audit_rows: bool = False
    # Keep the RM assignment history when a file gives or changes a customer's RM or branch.
    track_assignments: bool = False
    # Target columns the upsert writes rows in the order of: the leading columns of the
    # table's busiest indexes, so that their B-trees are filled page after page rather than
    # at random, and the foreign-key checks at commit meet the referenced rows in turn.
    write_order: tuple[str, ...] = ()
    # Optimistic-locking versions: +1 on each record the file changes, so that an edit a
    # person started before the import is refused rather than undoing the imported values.
    counters: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


def _branch_ref(*, self_ref: bool = False, target: str = "branch_id") -> Ref:
    return Ref(Branch, "code", {target: "{r}.id"}, self_ref=self_ref)


def _customer_ref(**outputs: str) -> Ref:
    """Customers by number, or by an alias a merge left behind (resolving to the survivor)."""
    customer, alias = _table(Customer), _table(CustomerAlias)
    source = (
        f"(SELECT customer_no, id FROM {customer} "  # noqa: S608 (table names are ours)
        f"UNION ALL SELECT customer_no, customer_id AS id FROM {alias})"
    )
    return Ref(Customer, "customer_no", outputs or {"customer_id": "{r}.id"}, source=source)


_STAFF_REF = Ref(User, "username", {"rm_id": "{r}.id"})


def _staff_ref(target: str) -> Ref:
    return Ref(User, "username", {target: "{r}.id"})


# --- customers -----------------------------------------------------------------------------


def _customer_check(row: dict[str, Any], present: frozenset[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if row.get("mobile"):
        row["mobile"] = normalize_mobile(row["mobile"])
    if "mobile" in present:
        row["mobile_last4"] = (row.get("mobile") or "")[-4:]
    if row.get("id_number"):
        if (row.get("id_type") or IdType.RESIDENT_ID) == IdType.RESIDENT_ID:
            row["id_number"] = normalize_resident_id(row["id_number"])
        row["id_last4"] = row["id_number"][-4:]
    elif "id_number" in present:
        row["id_last4"] = ""
    for name, messages in validate_customer_fields(row).items():
        errors[name] = " ".join(str(m) for m in messages)
    if not errors:
        _seal(row, "id_number")
        _seal(row, "mobile")
    return errors


def _seal(row: dict[str, Any], name: str) -> None:
    """The value as the table stores it: encrypted, with its keyed hash beside it."""
    value = row.get(name)
    if value is None:
        return
    purpose = _PURPOSES[name]
    row[f"{name}_hash"] = blind_index(value, purpose)
    row[name] = encrypt(value, purpose)


# The purpose each encrypted customer column is sealed with, as its model field declares it.
_PURPOSES = {
    f.name: f.purpose for f in Customer._meta.concrete_fields if isinstance(f, EncryptedCharField)
}


def _transaction_check(row: dict[str, Any], present: frozenset[str]) -> dict[str, str]:
    amount = row.get("amount")
    if amount is not None and amount < 0:
        if row.get("direction"):
            return {"amount": _("A negative amount cannot also have a direction.")}
        row["amount"] = -amount
        row["direction"] = Direction.DEBIT
    elif not row.get("direction"):
        row["direction"] = Direction.CREDIT
    return {}


def _account_check(row: dict[str, Any], present: frozenset[str]) -> dict[str, str]:
    opened, closed = row.get("opened_on"), row.get("closed_on")
    if opened and closed and closed < opened:
        return {"closed_on": _("An account cannot close before it opened.")}
    return {}


def _today(now: dt.datetime) -> dt.date:
    return now.date()


BRANCHES = Kind(
    name="branches",
    title="Branches",
    model=Branch,
    columns=(
        Column("code", TEXT, required=True, zh=("机构号", "机构代码", "网点号"), max_length=16),
        Column("name_zh", TEXT, required=True, zh=("机构名称", "中文名称"), max_length=100),
        Column("name_en", TEXT, zh=("英文名称",), max_length=100),
        Column("city", TEXT, zh=("城市",), max_length=50),
        Column(
            "parent", TEXT, zh=("上级机构",), ref=_branch_ref(self_ref=True, target="parent_id")
        ),
    ),
    key=("code",),
    conflict=("code",),
)

STAFF = Kind(
    name="staff",
    title="Staff",
    model=User,
    columns=(
        Column("username", TEXT, required=True, zh=("用户名", "工号", "柜员号"), max_length=150),
        Column("role", CHOICE, required=True, zh=("角色", "岗位"), choices=Role),
        Column("branch", TEXT, zh=("机构号", "所属机构"), ref=_branch_ref()),
        Column("name_zh", TEXT, zh=("姓名", "中文姓名"), max_length=50),
        Column("first_name", TEXT, zh=("名",), max_length=150),
        Column("last_name", TEXT, zh=("姓",), max_length=150),
        Column("email", TEXT, zh=("邮箱", "电子邮箱"), max_length=254),
        Column("is_active", BOOL, zh=("在职", "是否有效")),
    ),
    key=("username",),
    conflict=("username",),
    # Staff imported from HR files cannot log in until an administrator sets a password.
    insert_defaults={"password": lambda now: "!" + secrets.token_urlsafe(30)},
)

CUSTOMERS = Kind(
    name="customers",
    title="Customers",
    model=Customer,
    columns=(
        Column("customer_no", TEXT, required=True, zh=("客户号", "客户编号"), max_length=20),
        Column("name_zh", TEXT, required=True, zh=("客户名称", "姓名", "中文名"), max_length=100),
        Column(
            "branch", TEXT, required=True, zh=("机构号", "开户机构", "所属机构"), ref=_branch_ref()
        ),
        Column("kind", CHOICE, zh=("客户类型",), choices=CustomerKind),
        Column("name_en", TEXT, zh=("英文名", "拼音"), max_length=100),
        Column(
            "gender",
            CHOICE,
            zh=("性别",),
            choices=Gender,
            codes=(
                ("m", "male"),
                ("f", "female"),
                ("男", "male"),
                ("女", "female"),
                ("未知", "unknown"),
            ),
        ),
        Column("birth_date", DATE, zh=("出生日期", "生日")),
        Column(
            "id_type",
            CHOICE,
            zh=("证件类型",),
            choices=IdType,
            codes=(("身份证", "resident_id"), ("居民身份证", "resident_id"), ("护照", "passport")),
        ),
        Column("id_number", TEXT, zh=("证件号码", "身份证号"), max_length=32),
        Column("mobile", TEXT, zh=("手机号", "手机号码", "移动电话"), max_length=20),
        Column("email", TEXT, zh=("邮箱", "电子邮箱"), max_length=254),
        Column("address", TEXT, zh=("地址", "联系地址"), max_length=255),
        Column("occupation", TEXT, zh=("职业",), max_length=100),
        Column("income_band", CHOICE, zh=("收入区间", "年收入"), choices=IncomeBand),
        Column("kyc_status", CHOICE, zh=("KYC状态", "尽调状态"), choices=KycStatus),
        Column("kyc_date", DATE, zh=("KYC日期",)),
        Column("risk_appetite", CHOICE, zh=("风险等级", "风险承受能力"), choices=RiskLevel),
        Column("risk_assessed_on", DATE, zh=("风险评估日期", "测评日期")),
        Column("risk_expires_on", DATE, zh=("风险评估到期日", "测评到期日")),
        Column("status", CHOICE, zh=("客户状态", "状态"), choices=CustomerStatus),
        Column("onboarded_on", DATE, zh=("开户日期", "建档日期")),
        Column("onboarding_channel", CHOICE, zh=("获客渠道",), choices=OnboardingChannel),
        Column("closed_on", DATE, zh=("销户日期",)),
        Column("rm", TEXT, zh=("客户经理", "客户经理工号"), ref=_STAFF_REF),
    ),
    key=("customer_no",),
    conflict=("customer_no",),
    insert_defaults={"onboarded_on": _today},
    derived={
        "id_last4": "id_number",
        "id_number_hash": "id_number",
        "mobile_hash": "mobile",
        "mobile_last4": "mobile",
    },
    check=_customer_check,
    refresh_summaries=True,
    skip_aliases=True,
    audit_rows=True,
    track_assignments=True,
    counters=("version",),
)

GROUPS = Kind(
    name="groups",
    title="Relationship groups",
    model=RelationshipGroup,
    columns=(
        Column("code", TEXT, required=True, zh=("群组编号", "家庭编号", "集团编号"), max_length=32),
        Column("name", TEXT, required=True, zh=("群组名称", "名称"), max_length=100),
        Column("kind", CHOICE, required=True, zh=("群组类型", "类型"), choices=GroupKind),
    ),
    key=("code",),
    conflict=("code",),
)

MEMBERSHIPS = Kind(
    name="memberships",
    title="Group memberships",
    model=GroupMembership,
    columns=(
        Column(
            "group",
            TEXT,
            required=True,
            zh=("群组编号", "家庭编号", "集团编号"),
            ref=Ref(RelationshipGroup, "code", {"group_id": "{r}.id"}),
        ),
        Column("customer_no", TEXT, required=True, zh=("客户号",), ref=_customer_ref()),
        Column("role", CHOICE, required=True, zh=("成员角色", "关系"), choices=MemberRole),
    ),
    key=("group", "customer_no"),
    conflict=("group_id", "customer_id"),
)

CONSENTS = Kind(
    name="consents",
    title="Consents",
    model=ConsentEvent,
    columns=(
        Column("customer_no", TEXT, required=True, zh=("客户号",), ref=_customer_ref()),
        Column("purpose", CHOICE, required=True, zh=("用途", "授权用途"), choices=ConsentPurpose),
        Column("channel", CHOICE, required=True, zh=("渠道", "联系渠道"), choices=ContactChannel),
        Column("granted", BOOL, required=True, zh=("是否同意", "同意")),
        Column("recorded_at", DATETIME, required=True, zh=("记录时间", "授权时间")),
        Column("source", CHOICE, zh=("来源",), choices=ConsentSource),
        Column("recorded_by", TEXT, zh=("经办人",), ref=_staff_ref("recorded_by_id")),
    ),
    key=("customer_no", "purpose", "channel", "recorded_at"),
    conflict=("customer_id", "purpose", "channel", "recorded_at"),
    insert_defaults={"source": lambda now: ConsentSource.IMPORT},
)

PRODUCTS = Kind(
    name="products",
    title="Products",
    model=Product,
    columns=(
        Column("code", TEXT, required=True, zh=("产品代码", "产品编号"), max_length=20),
        Column("name_zh", TEXT, required=True, zh=("产品名称",), max_length=100),
        Column("name_en", TEXT, zh=("英文名称",), max_length=100),
        Column("category", CHOICE, required=True, zh=("产品类别", "类别"), choices=ProductCategory),
        Column("risk_level", CHOICE, required=True, zh=("风险等级",), choices=RiskLevel),
        Column("term_months", INT, zh=("期限(月)", "期限")),
        Column("rate", DECIMAL, zh=("利率", "收益率"), places=4, max_digits=7),
        Column("min_amount", DECIMAL, zh=("起购金额", "起存金额")),
        Column("status", CHOICE, zh=("状态", "产品状态"), choices=ProductStatus),
    ),
    key=("code",),
    conflict=("code",),
    insert_defaults={"name_en": lambda now: ""},
)

_account_from_product = (
    f"{{r}}.id IN (SELECT a.id FROM {_table(Account)} a JOIN {_table(Product)} p "  # noqa: S608
    f"ON p.id = a.product_id WHERE p.category IN ({aum_categories_sql()}))"
)

ACCOUNTS = Kind(
    name="accounts",
    title="Accounts",
    model=Account,
    columns=(
        Column("account_no", TEXT, required=True, zh=("账号", "账户号"), max_length=32),
        Column("customer_no", TEXT, required=True, zh=("客户号",), ref=_customer_ref()),
        Column(
            "product",
            TEXT,
            required=True,
            zh=("产品代码", "产品编号"),
            ref=Ref(Product, "code", {"product_id": "{r}.id"}),
        ),
        Column("branch", TEXT, required=True, zh=("开户机构", "机构号"), ref=_branch_ref()),
        Column("currency", TEXT, zh=("币种",), max_length=3),
        Column("balance", DECIMAL, zh=("余额", "账户余额"), signed=True),
        Column("status", CHOICE, zh=("账户状态", "状态"), choices=AccountStatus),
        Column("opened_on", DATE, required=True, zh=("开户日期",)),
        Column("closed_on", DATE, zh=("销户日期",)),
    ),
    key=("account_no",),
    conflict=("account_no",),
    check=_account_check,
    refresh_aum=True,
    refresh_summaries=True,
)

BALANCES = Kind(
    name="balances",
    title="Monthly balances",
    model=BalanceSnapshot,
    columns=(
        Column(
            "account_no",
            TEXT,
            required=True,
            zh=("账号", "账户号"),
            ref=Ref(
                Account,
                "account_no",
                {
                    "account_id": "{r}.id",
                    "customer_id": "{r}.customer_id",
                    "counts_to_aum": _account_from_product,
                },
            ),
        ),
        Column("month", MONTH, required=True, zh=("月份", "统计月份", "数据日期")),
        Column("balance", DECIMAL, required=True, zh=("月末余额", "余额"), signed=True),
    ),
    key=("account_no", "month"),
    conflict=("account_id", "month"),
    refresh_summaries=True,
    write_order=("account_id", "month"),
)

TRANSACTIONS = Kind(
    name="transactions",
    title="Transactions",
    model=Transaction,
    columns=(
        Column("txn_id", TEXT, required=True, zh=("交易流水号", "流水号"), max_length=32),
        Column(
            "account_no",
            TEXT,
            required=True,
            zh=("账号", "账户号"),
            ref=Ref(
                Account, "account_no", {"account_id": "{r}.id", "customer_id": "{r}.customer_id"}
            ),
        ),
        Column("booked_at", DATETIME, required=True, zh=("交易时间", "记账时间", "交易日期")),
        Column("amount", DECIMAL, required=True, zh=("交易金额", "金额"), signed=True),
        Column("direction", CHOICE, zh=("借贷方向", "收支方向"), choices=Direction),
        Column("txn_type", CHOICE, required=True, zh=("交易类型",), choices=TransactionType),
        Column(
            "counterparty_category",
            CHOICE,
            required=True,
            zh=("对手方类型",),
            choices=CounterpartyCategory,
        ),
        Column("channel", CHOICE, required=True, zh=("交易渠道", "渠道"), choices=Channel),
        Column("description", TEXT, zh=("摘要", "交易摘要"), max_length=100),
    ),
    key=("txn_id",),
    conflict=("txn_id",),
    derived={"direction": "amount"},
    check=_transaction_check,
    write_order=("account_id", "booked_at"),
)

INTERACTIONS = Kind(
    name="interactions",
    title="Interactions",
    model=Interaction,
    columns=(
        Column(
            "interaction_id",
            TEXT,
            target="external_id",
            required=True,
            zh=("接触编号", "记录编号"),
            max_length=40,
        ),
        Column("customer_no", TEXT, required=True, zh=("客户号",), ref=_customer_ref()),
        Column("kind", CHOICE, required=True, zh=("接触方式", "类型"), choices=InteractionKind),
        Column("occurred_at", DATETIME, required=True, zh=("接触时间", "时间")),
        Column("subject", TEXT, required=True, zh=("主题",), max_length=200),
        Column("notes", TEXT, zh=("备注", "内容")),
        Column("staff", TEXT, zh=("经办人", "员工"), ref=_staff_ref("staff_id")),
    ),
    key=("interaction_id",),
    conflict=("external_id",),
)

# In the order a bank's files depend on each other.
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        BRANCHES,
        STAFF,
        PRODUCTS,
        CUSTOMERS,
        GROUPS,
        MEMBERSHIPS,
        CONSENTS,
        ACCOUNTS,
        BALANCES,
        TRANSACTIONS,
        INTERACTIONS,
    )
}
