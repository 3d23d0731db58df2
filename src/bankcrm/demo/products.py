"""The demo bank's product catalogue, and per-product arrays the generators index by product."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bankcrm.banking.models import AUM_CATEGORIES, ProductCategory, ProductStatus


@dataclass(frozen=True)
class ProductSpec:
    code: str
    zh: str
    en: str
    category: str
    risk: str
    term_months: int | None
    rate: str | None
    min_amount: int
    status: str = ProductStatus.ON_SALE


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "DEP-SAV", "个人活期储蓄", "Personal Demand Savings", "deposit", "R1", None, "0.10", 0
    ),
    ProductSpec("DEP-PAY", "代发工资账户", "Payroll Account", "deposit", "R1", None, "0.10", 0),
    ProductSpec(
        "DEP-CORP", "单位结算账户", "Corporate Settlement Account", "deposit", "R1", None, "0.10", 0
    ),
    ProductSpec(
        "TD-3M", "三个月整存整取", "3-Month Time Deposit", "time_deposit", "R1", 3, "1.05", 50
    ),
    ProductSpec(
        "TD-6M", "六个月整存整取", "6-Month Time Deposit", "time_deposit", "R1", 6, "1.25", 50
    ),
    ProductSpec(
        "TD-1Y", "一年期整存整取", "1-Year Time Deposit", "time_deposit", "R1", 12, "1.45", 50
    ),
    ProductSpec(
        "TD-2Y", "二年期整存整取", "2-Year Time Deposit", "time_deposit", "R1", 24, "1.65", 50
    ),
    ProductSpec(
        "TD-3Y", "三年期整存整取", "3-Year Time Deposit", "time_deposit", "R1", 36, "1.95", 50
    ),
    ProductSpec(
        "TD-5Y", "五年期整存整取", "5-Year Time Deposit", "time_deposit", "R1", 60, "2.00", 50
    ),
    ProductSpec(
        "CD-3Y",
        "三年期大额存单",
        "3-Year Large Certificate of Deposit",
        "time_deposit",
        "R1",
        36,
        "2.15",
        200_000,
    ),
    ProductSpec(
        "WM-R2A",
        "稳利30天持有期理财",
        "Steady 30-Day Holding Wealth Plan",
        "wealth",
        "R2",
        1,
        "2.60",
        10_000,
    ),
    ProductSpec(
        "WM-R2B",
        "安心一年定开理财",
        "Peace-of-Mind 1-Year Wealth Plan",
        "wealth",
        "R2",
        12,
        "3.00",
        10_000,
    ),
    ProductSpec(
        "WM-R3",
        "鑫享平衡理财",
        "Balanced Prosperity Wealth Plan",
        "wealth",
        "R3",
        12,
        "3.60",
        10_000,
    ),
    ProductSpec(
        "WM-R4", "进取增强理财", "Enhanced Growth Wealth Plan", "wealth", "R4", 24, None, 50_000
    ),
    ProductSpec(
        "WM-R5", "权益精选理财", "Select Equity Wealth Plan", "wealth", "R5", None, None, 100_000
    ),
    ProductSpec(
        "WM-OLD",
        "惠享90天理财（已停售）",
        "Bonus 90-Day Wealth Plan (discontinued)",
        "wealth",
        "R2",
        3,
        "3.20",
        50_000,
        ProductStatus.CLOSED,
    ),
    ProductSpec(
        "FD-BOND", "稳健债券增强基金", "Steady Enhanced Bond Fund", "fund", "R3", None, None, 1_000
    ),
    ProductSpec("FD-IDX", "沪深300指数基金", "CSI 300 Index Fund", "fund", "R4", None, None, 1_000),
    ProductSpec(
        "FD-CONS",
        "消费升级股票基金",
        "Consumer Upgrade Equity Fund",
        "fund",
        "R4",
        None,
        None,
        1_000,
        ProductStatus.SUSPENDED,
    ),
    ProductSpec(
        "FD-TECH",
        "科技成长混合基金",
        "Technology Growth Hybrid Fund",
        "fund",
        "R5",
        None,
        None,
        1_000,
    ),
    ProductSpec(
        "FD-QDII", "全球精选QDII基金", "Global Select QDII Fund", "fund", "R5", None, None, 1_000
    ),
    ProductSpec(
        "INS-ANN", "金福年金保险", "Golden Fortune Annuity", "insurance", "R2", 120, None, 10_000
    ),
    ProductSpec(
        "INS-LIFE",
        "安康终身寿险",
        "Lifelong Wellbeing Whole Life Insurance",
        "insurance",
        "R2",
        None,
        None,
        10_000,
    ),
    ProductSpec(
        "INS-CI",
        "守护重大疾病保险",
        "Guardian Critical Illness Insurance",
        "insurance",
        "R2",
        240,
        None,
        5_000,
    ),
    ProductSpec(
        "LN-MTG", "个人住房贷款", "Residential Mortgage", "loan", "R1", 300, "3.60", 100_000
    ),
    ProductSpec(
        "LN-CON", "个人消费贷款", "Personal Consumer Loan", "loan", "R1", 36, "4.20", 10_000
    ),
    ProductSpec(
        "LN-BIZ", "流动资金贷款", "Working Capital Loan", "loan", "R1", 24, "3.45", 500_000
    ),
    ProductSpec("CC-STD", "标准信用卡", "Standard Credit Card", "credit_card", "R1", None, None, 0),
    ProductSpec("CC-PLT", "白金信用卡", "Platinum Credit Card", "credit_card", "R1", None, None, 0),
)
PRODUCT_INDEX = {p.code: i for i, p in enumerate(PRODUCTS)}
RISK_RANK = {"R1": 0, "R2": 1, "R3": 2, "R4": 3, "R5": 4}

CATEGORY = np.array([p.category for p in PRODUCTS])
RISK = np.array([RISK_RANK[p.risk] for p in PRODUCTS])
MIN_AMOUNT = np.array([p.min_amount for p in PRODUCTS], dtype=float)
TERM = np.array([p.term_months or 0 for p in PRODUCTS])
RATE = np.array([float(p.rate or 0) for p in PRODUCTS])
SELLABLE = np.array([p.status != ProductStatus.CLOSED for p in PRODUCTS])
IN_AUM = np.array([p.category in AUM_CATEGORIES for p in PRODUCTS])

# Account numbers: 19-digit debit/credit card numbers; contract numbers for the rest.
ACCOUNT_PREFIX = {
    ProductCategory.DEPOSIT: "621700",
    ProductCategory.TIME_DEPOSIT: "621799",
    ProductCategory.WEALTH: "WM",
    ProductCategory.FUND: "FD",
    ProductCategory.INSURANCE: "IN",
    ProductCategory.LOAN: "LN",
    ProductCategory.CREDIT_CARD: "625800",
}
