"""The product catalogue and what customers hold: accounts, monthly balances, transactions."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from bankcrm.core.models import Branch
from bankcrm.customers.models import Customer, RiskLevel


class ProductCategory(models.TextChoices):
    DEPOSIT = "deposit", _("Demand deposit")
    TIME_DEPOSIT = "time_deposit", _("Time deposit")
    WEALTH = "wealth", _("Wealth management")
    FUND = "fund", _("Fund")
    INSURANCE = "insurance", _("Insurance")
    LOAN = "loan", _("Loan")
    CREDIT_CARD = "credit_card", _("Credit card")


# Balances in these categories count towards assets under management (AUM).
DEPOSIT_CATEGORIES = frozenset({ProductCategory.DEPOSIT, ProductCategory.TIME_DEPOSIT})
INVESTMENT_CATEGORIES = frozenset(
    {ProductCategory.WEALTH, ProductCategory.FUND, ProductCategory.INSURANCE}
)
AUM_CATEGORIES = DEPOSIT_CATEGORIES | INVESTMENT_CATEGORIES


class ProductStatus(models.TextChoices):
    ON_SALE = "on_sale", _("On sale")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class Product(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    category = models.CharField(_("category"), max_length=16, choices=ProductCategory.choices)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices)
    term_months = models.PositiveIntegerField(_("term (months)"), null=True, blank=True)
    rate = models.DecimalField(
        _("rate (% a year)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    min_amount = models.DecimalField(
        _("minimum amount"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProductStatus.choices, default=ProductStatus.ON_SALE
    )

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def counts_to_aum(self) -> bool:
        return self.category in AUM_CATEGORIES


class AccountStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("account status", "Open")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", pgettext_lazy("account status", "Closed")


class Account(models.Model):
    account_no = models.CharField(_("account number"), max_length=32, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="accounts")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="accounts")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="accounts")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    balance = models.DecimalField(
        _("balance"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.OPEN
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["customer", "opened_on", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.account_no


class BalanceSnapshot(models.Model):
    """An account's balance at the end of a month (month = first day of that month)."""

    # No single-column indexes on the foreign keys: (account, month) and (customer, month)
    # below start with them and serve the same lookups, at one index to maintain instead of two.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField(_("month"))
    balance = models.DecimalField(_("balance"), max_digits=18, decimal_places=2)
    counts_to_aum = models.BooleanField(_("counts to AUM"), default=True)

    class Meta:
        verbose_name = _("monthly balance")
        verbose_name_plural = _("monthly balances")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="snapshot_account_month"),
        ]
        indexes = [
            models.Index(fields=["customer", "month"], name="snapshot_customer_month"),
            models.Index(fields=["month"], name="snapshot_month"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m} {self.balance}"


class Direction(models.TextChoices):
    CREDIT = "credit", _("Credit (in)")
    DEBIT = "debit", _("Debit (out)")


class TransactionType(models.TextChoices):
    SALARY = "salary", _("Salary")
    TRANSFER = "transfer", _("Transfer")
    PURCHASE = "purchase", _("Purchase")
    WITHDRAWAL = "withdrawal", _("Cash withdrawal")
    DEPOSIT = "deposit", _("Cash deposit")
    BILL = "bill", _("Bill payment")
    INTEREST = "interest", _("Interest")
    FEE = "fee", _("Fee")
    INVESTMENT = "investment", _("Investment purchase")
    REDEMPTION = "redemption", _("Investment redemption")
    REPAYMENT = "repayment", _("Loan repayment")


class CounterpartyCategory(models.TextChoices):
    EMPLOYER = "employer", _("Employer")
    MERCHANT = "merchant", _("Merchant")
    INDIVIDUAL = "individual", _("Individual")
    UTILITY = "utility", _("Utility")
    GOVERNMENT = "government", _("Government")
    FINANCIAL = "financial", _("Financial institution")
    OWN_ACCOUNT = "own_account", _("Own account")


class Channel(models.TextChoices):
    COUNTER = "counter", _("Counter")
    ATM = "atm", _("ATM")
    ONLINE = "online", _("Online banking")
    MOBILE = "mobile", _("Mobile app")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    UNIONPAY = "unionpay", _("UnionPay")
    POS = "pos", _("POS")


class Transaction(models.Model):
    txn_id = models.CharField(_("transaction id"), max_length=32, unique=True)
    # Indexed through (account, booked_at) and (customer, booked_at): see BalanceSnapshot.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    booked_at = models.DateTimeField(_("booked at"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    txn_type = models.CharField(_("type"), max_length=12, choices=TransactionType.choices)
    counterparty_category = models.CharField(
        _("counterparty"), max_length=12, choices=CounterpartyCategory.choices
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    description = models.CharField(_("description"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        indexes = [
            models.Index(fields=["customer", "booked_at"], name="txn_customer_booked"),
            models.Index(fields=["account", "booked_at"], name="txn_account_booked"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="txn_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.txn_id
