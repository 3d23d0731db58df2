"""The codes of the demo's categorical columns: each tuple lists a model's choices in the order
the generated integer codes index them, with named codes for the values the generators test.
"""

from __future__ import annotations

import numpy as np

from bankcrm.banking.models import (
    AccountStatus,
    Channel,
    CounterpartyCategory,
    Direction,
    TransactionType,
)
from bankcrm.customers.models import (
    ConsentPurpose,
    ConsentSource,
    ContactChannel,
    CustomerStatus,
    GroupKind,
    KycStatus,
    MemberRole,
    OnboardingChannel,
    RiskLevel,
)
from bankcrm.demo.models import BehaviourPath
from bankcrm.interactions.models import InteractionKind, TaskStatus

PATHS = (
    BehaviourPath.NEW,
    BehaviourPath.GROWING,
    BehaviourPath.STABLE,
    BehaviourPath.DECLINING,
    BehaviourPath.DORMANT,
)
NEW, GROWING, STABLE, DECLINING, DORMANT = range(5)

# Transactions: type → (Chinese descriptions); the codes index the model choices.
TXN_TYPES = tuple(TransactionType.values)
CHANNELS = tuple(Channel.values)
COUNTERPARTIES = tuple(CounterpartyCategory.values)
DIRECTIONS = tuple(Direction.values)
(
    T_SALARY,
    T_TRANSFER,
    T_PURCHASE,
    T_WITHDRAWAL,
    T_DEPOSIT,
    T_BILL,
    T_INTEREST,
    T_FEE,
    T_INVESTMENT,
    T_REDEMPTION,
    T_REPAYMENT,
) = (
    TXN_TYPES.index(t)
    for t in (
        "salary",
        "transfer",
        "purchase",
        "withdrawal",
        "deposit",
        "bill",
        "interest",
        "fee",
        "investment",
        "redemption",
        "repayment",
    )
)
C_COUNTER, C_ATM, C_ONLINE, C_MOBILE, C_WECHAT, C_ALIPAY, C_UNIONPAY, C_POS = (
    CHANNELS.index(c)
    for c in ("counter", "atm", "online", "mobile", "wechat_pay", "alipay", "unionpay", "pos")
)
P_EMPLOYER, P_MERCHANT, P_INDIVIDUAL, P_UTILITY, P_GOVERNMENT, P_FINANCIAL, P_OWN = (
    COUNTERPARTIES.index(c)
    for c in (
        "employer",
        "merchant",
        "individual",
        "utility",
        "government",
        "financial",
        "own_account",
    )
)
D_CREDIT, D_DEBIT = DIRECTIONS.index("credit"), DIRECTIONS.index("debit")

DESCRIPTIONS: tuple[str, ...] = (
    "工资",
    "代发工资",
    "绩效奖金",  # 0-2 salary
    # 3-18 purchases
    "美团",
    "京东商城",
    "淘宝",
    "拼多多",
    "盒马鲜生",
    "星巴克",
    "滴滴出行",
    "中国石化",
    "永辉超市",
    "肯德基",
    "瑞幸咖啡",
    "携程旅行",
    "饿了么",
    "沃尔玛",
    "苏宁易购",
    "华润万家",
    "ATM取款",  # 19
    "现金存款",  # 20
    "国网电费",
    "自来水费",
    "燃气费",
    "中国移动话费",
    "中国联通话费",
    "物业管理费",
    "宽带费",  # 21-27
    "活期结息",  # 28
    "短信通知服务费",
    "信用卡年费",
    "跨行转账手续费",
    "账户管理费",  # 29-32
    "手机银行转账",
    "网银转账",
    "跨行转账",
    "微信转账",  # 33-36
    "购买理财产品",
    "基金申购",
    "保险缴费",  # 37-39
    "理财产品赎回",
    "基金赎回",
    "保险退保",  # 40-42
    "房贷还款",
    "消费贷还款",
    "信用卡还款",
    "贷款还款",  # 43-46
    "养老金",
    "转存定期",
    "定期到期转活期",
    "货款",
    "支付货款",
    "税费缴纳",  # 47-52
)
DESC_RANGES: dict[int, tuple[int, int]] = {
    T_SALARY: (0, 2),
    T_PURCHASE: (3, 18),
    T_WITHDRAWAL: (19, 19),
    T_DEPOSIT: (20, 20),
    T_BILL: (21, 27),
    T_INTEREST: (28, 28),
    T_FEE: (29, 32),
    T_TRANSFER: (33, 36),
    T_INVESTMENT: (37, 39),
    T_REDEMPTION: (40, 42),
    T_REPAYMENT: (43, 46),
}
DESC_PENSION, DESC_TO_TIME, DESC_FROM_TIME, DESC_B2B_IN, DESC_B2B_OUT, DESC_TAX = range(47, 53)
DESC_PAYROLL, DESC_CARD_REPAY = 1, 45

INTERACTION_KINDS = tuple(InteractionKind.values)
INTERACTION_WEIGHTS = {
    "call": 35,
    "visit": 12,
    "meeting": 8,
    "email": 5,
    "sms": 10,
    "wechat": 20,
    "note": 10,
}
INTERACTION_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("定期存款到期提醒", "客户定期存款即将到期，已提醒续存并介绍大额存单。"),
    ("理财产品推荐", "根据客户风险等级推荐稳健型理财产品，客户表示考虑。"),
    ("年度风险测评提醒", "提醒客户完成年度风险承受能力测评。"),
    ("客户生日问候", "致电生日问候，客户反馈良好。"),
    ("信用卡额度调整咨询", "客户咨询临时额度调整，已说明办理流程。"),
    ("房贷利率调整说明", "向客户解释LPR调整对月供的影响。"),
    ("基金净值波动沟通", "就近期基金净值波动与客户沟通，建议长期持有。"),
    ("资产配置建议", "为客户做家庭资产配置分析，建议增加固收类配置。"),
    ("账户异常交易核实", "核实一笔大额转账，确认为客户本人操作。"),
    ("投诉处理回访", "回访客户投诉处理结果，客户表示满意。"),
    ("节日问候", "发送节日祝福并介绍网点活动。"),
    ("大额存单产品介绍", "介绍三年期大额存单，客户有意向。"),
    ("保险产品介绍", "介绍年金保险产品，客户要求提供资料。"),
    ("KYC资料更新", "提醒客户更新身份证件有效期及联系方式。"),
    ("资金流出原因了解", "客户近期资金转出较多，了解原因并介绍优惠利率。"),
)
TASK_TITLES: tuple[str, ...] = (
    "跟进定期存款到期续存",
    "邀请参加理财沙龙",
    "完成年度风险测评",
    "更新KYC资料",
    "回访投诉处理结果",
    "介绍信用卡分期业务",
    "生日关怀电话",
    "推荐基金定投",
    "资产配置复盘",
    "核实联系方式",
)
RETENTION_TITLES: tuple[str, ...] = ("客户挽留沟通：资产流出", "了解客户转出资金原因")
TASK_STATUSES = tuple(TaskStatus.values)
TS_OPEN, TS_IN_PROGRESS, TS_DONE, TS_CANCELLED = (
    TASK_STATUSES.index(s) for s in ("open", "in_progress", "done", "cancelled")
)

# Consent slots: (purpose, channel) pairs a customer may grant at onboarding.
CONSENT_SLOTS: tuple[tuple[str, str], ...] = (
    (ConsentPurpose.MARKETING, ContactChannel.SMS),
    (ConsentPurpose.MARKETING, ContactChannel.PHONE),
    (ConsentPurpose.MARKETING, ContactChannel.APP_PUSH),
    (ConsentPurpose.MARKETING, ContactChannel.WECHAT),
    (ConsentPurpose.MARKETING, ContactChannel.EMAIL),
    (ConsentPurpose.PROFILING, ContactChannel.APP_PUSH),
    (ConsentPurpose.DATA_SHARING, ContactChannel.SMS),
)
CONSENT_GRANT_P = np.array([0.60, 0.35, 0.55, 0.45, 0.65, 0.60, 0.30])
CONSENT_SOURCES = tuple(ConsentSource.values)
ONBOARDING_CHANNELS = tuple(OnboardingChannel.values)
KYC_STATUSES = tuple(KycStatus.values)
MEMBER_ROLES = tuple(MemberRole.values)
GROUP_KINDS = tuple(GroupKind.values)
CUSTOMER_STATUSES = tuple(CustomerStatus.values)
ACCOUNT_STATUSES = tuple(AccountStatus.values)
RISK_LEVELS = (RiskLevel.R1, RiskLevel.R2, RiskLevel.R3, RiskLevel.R4, RiskLevel.R5)
