"""Synthetic demo bank: generate a realistic bank deterministically from a seed and bulk-write it.

The same (seed, customers, months, as_of) gives byte-identical rows in every table on an empty
database: every primary key, timestamp and password hash is computed here, never by the
database or the ORM. Customers are generated in fixed-size chunks, each from its own seeded
random stream with vectorised numpy, and each chunk is written (COPY on PostgreSQL,
``executemany`` on SQLite) and dropped before the next, so memory stays bounded however large
the bank.

Each customer follows a hidden behaviour path (new, growing, stable, declining then leaving,
dormant) that drives their balances, transactions and contacts; the path is stored in
``demo.CustomerTruth`` so that scoring models can later be checked against it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import numpy as np
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models import Max

from bankcrm.banking.models import (
    AUM_CATEGORIES,
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
from bankcrm.core.crypto import (
    BlindIndexField,
    EncryptedCharField,
    blind_index,
    encrypt,
    keyring,
)
from bankcrm.core.models import Branch, User
from bankcrm.core.roles import Role
from bankcrm.core.validators import resident_id_check_char, uscc_check_char
from bankcrm.customers.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ContactChannel,
    Customer,
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
    RmAssignment,
)
from bankcrm.demo.models import BehaviourPath, CustomerTruth
from bankcrm.insights.models import AumMonthly
from bankcrm.insights.services import dashboard_summaries_refresh
from bankcrm.interactions.models import Interaction, InteractionKind, Task, TaskStatus

# --------------------------------------------------------------------------------------------
# Settings of the generator
# --------------------------------------------------------------------------------------------

DEFAULT_PASSWORD = "demo-pass-2026"
PASSWORD_SALT = "bankcrmdemo"
# Customers per chunk. Part of the seed's meaning: changing it changes the data.
CHUNK_SIZE = 5_000
# Customers per relationship manager.
PORTFOLIO_SIZE = 300
# The bank keeps local (Asia/Shanghai, UTC+8 without daylight saving) business days;
# timestamps are stored in UTC.
LOCAL_UTC_OFFSET_S = 8 * 3600
ONBOARDING_SPAN_DAYS = 3650
NEW_CUSTOMER_DAYS = 182
SECONDS_PER_DAY = 86_400
EPOCH = dt.date(1970, 1, 1)

# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

# The most frequent Chinese surnames with their pinyin and approximate share (%) of the
# population (national census figures, rounded).
# fmt: off
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "Wang", 7.12), ("李", "Li", 7.0), ("张", "Zhang", 6.73), ("刘", "Liu", 5.38),
    ("陈", "Chen", 4.53), ("杨", "Yang", 3.08), ("黄", "Huang", 2.23), ("赵", "Zhao", 2.19),
    ("吴", "Wu", 2.04), ("周", "Zhou", 1.88), ("徐", "Xu", 1.48), ("孙", "Sun", 1.46),
    ("马", "Ma", 1.31), ("朱", "Zhu", 1.26), ("胡", "Hu", 1.21), ("郭", "Guo", 1.15),
    ("何", "He", 1.07), ("林", "Lin", 1.03), ("高", "Gao", 1.03), ("罗", "Luo", 0.92),
    ("郑", "Zheng", 0.9), ("梁", "Liang", 0.88), ("谢", "Xie", 0.81), ("宋", "Song", 0.75),
    ("唐", "Tang", 0.74), ("许", "Xu", 0.71), ("韩", "Han", 0.67), ("冯", "Feng", 0.66),
    ("邓", "Deng", 0.67), ("曹", "Cao", 0.64), ("彭", "Peng", 0.63), ("曾", "Zeng", 0.62),
    ("肖", "Xiao", 0.6), ("田", "Tian", 0.56), ("董", "Dong", 0.54), ("潘", "Pan", 0.53),
    ("袁", "Yuan", 0.53), ("蔡", "Cai", 0.52), ("蒋", "Jiang", 0.51), ("余", "Yu", 0.5),
    ("于", "Yu", 0.5), ("杜", "Du", 0.49), ("叶", "Ye", 0.48), ("程", "Cheng", 0.47),
    ("魏", "Wei", 0.45), ("苏", "Su", 0.45), ("吕", "Lyu", 0.44), ("丁", "Ding", 0.43),
    ("任", "Ren", 0.42), ("卢", "Lu", 0.41), ("姚", "Yao", 0.41), ("沈", "Shen", 0.4),
    ("钟", "Zhong", 0.39), ("姜", "Jiang", 0.39), ("崔", "Cui", 0.37), ("谭", "Tan", 0.36),
    ("陆", "Lu", 0.35), ("范", "Fan", 0.34), ("汪", "Wang", 0.34), ("廖", "Liao", 0.33),
    ("石", "Shi", 0.33), ("金", "Jin", 0.32), ("韦", "Wei", 0.32), ("贾", "Jia", 0.31),
    ("夏", "Xia", 0.3), ("付", "Fu", 0.3), ("方", "Fang", 0.3), ("邹", "Zou", 0.29),
    ("熊", "Xiong", 0.29), ("白", "Bai", 0.29), ("孟", "Meng", 0.28), ("秦", "Qin", 0.28),
    ("邱", "Qiu", 0.28), ("侯", "Hou", 0.27), ("江", "Jiang", 0.27), ("尹", "Yin", 0.27),
    ("薛", "Xue", 0.26), ("闫", "Yan", 0.26), ("段", "Duan", 0.25), ("雷", "Lei", 0.25),
    ("龙", "Long", 0.24), ("黎", "Li", 0.24), ("史", "Shi", 0.24), ("陶", "Tao", 0.24),
    ("贺", "He", 0.23), ("毛", "Mao", 0.23), ("郝", "Hao", 0.22), ("顾", "Gu", 0.22),
    ("龚", "Gong", 0.22), ("邵", "Shao", 0.22), ("万", "Wan", 0.21), ("覃", "Qin", 0.21),
    ("武", "Wu", 0.21), ("钱", "Qian", 0.21), ("戴", "Dai", 0.2), ("严", "Yan", 0.2),
    ("莫", "Mo", 0.19), ("孔", "Kong", 0.19), ("向", "Xiang", 0.19), ("常", "Chang", 0.19),
    ("汤", "Tang", 0.18), ("康", "Kang", 0.17), ("易", "Yi", 0.17), ("乔", "Qiao", 0.16),
    ("赖", "Lai", 0.16), ("文", "Wen", 0.16), ("施", "Shi", 0.16), ("洪", "Hong", 0.15),
    ("欧阳", "Ouyang", 0.05),
)
# fmt: on

# Characters common in given names, most frequent first, with their pinyin.
# fmt: off
GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("平", "ping"), ("辉", "hui"),
    ("鹏", "peng"), ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("斌", "bin"),
    ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("俊", "jun"), ("帆", "fan"),
    ("旭", "xu"), ("宁", "ning"), ("龙", "long"), ("林", "lin"), ("建", "jian"), ("国", "guo"),
    ("志", "zhi"), ("文", "wen"), ("海", "hai"), ("东", "dong"), ("峰", "feng"), ("晨", "chen"),
    ("阳", "yang"), ("博", "bo"), ("子", "zi"), ("轩", "xuan"), ("昊", "hao"), ("然", "ran"),
    ("天", "tian"), ("泽", "ze"), ("睿", "rui"), ("成", "cheng"), ("嘉", "jia"), ("振", "zhen"),
    ("家", "jia"), ("庆", "qing"), ("永", "yong"), ("立", "li"), ("德", "de"), ("亮", "liang"),
    ("宏", "hong"), ("毅", "yi"), ("锋", "feng"), ("良", "liang"), ("新", "xin"),
    ("生", "sheng"),
)
# fmt: on
# fmt: off
GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("秀", "xiu"), ("英", "ying"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("艳", "yan"), ("娟", "juan"), ("霞", "xia"), ("玲", "ling"), ("桂", "gui"),
    ("兰", "lan"), ("红", "hong"), ("梅", "mei"), ("琳", "lin"), ("雪", "xue"), ("婷", "ting"),
    ("慧", "hui"), ("颖", "ying"), ("倩", "qian"), ("洁", "jie"), ("佳", "jia"), ("欣", "xin"),
    ("怡", "yi"), ("雯", "wen"), ("萍", "ping"), ("燕", "yan"), ("琴", "qin"), ("云", "yun"),
    ("莉", "li"), ("璐", "lu"), ("晶", "jing"), ("悦", "yue"), ("梦", "meng"), ("诗", "shi"),
    ("涵", "han"), ("彤", "tong"), ("思", "si"), ("雨", "yu"), ("琪", "qi"), ("瑶", "yao"),
    ("淑", "shu"), ("珍", "zhen"), ("凤", "feng"), ("春", "chun"), ("月", "yue"), ("晓", "xiao"),
    ("丹", "dan"), ("蕾", "lei"), ("薇", "wei"), ("露", "lu"), ("玉", "yu"), ("华", "hua"),
)
# fmt: on


@dataclass(frozen=True)
class City:
    code: str
    zh: str
    en: str
    weight: float
    # (6-digit administrative division code, district name) of real districts.
    districts: tuple[tuple[str, str], ...]
    roads: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City(
        "BJ",
        "北京",
        "Beijing",
        0.20,
        (
            ("110101", "东城区"),
            ("110102", "西城区"),
            ("110105", "朝阳区"),
            ("110106", "丰台区"),
            ("110108", "海淀区"),
            ("110112", "通州区"),
        ),
        ("建国路", "长安街", "中关村大街", "朝阳北路", "西直门外大街", "学院路", "望京街"),
    ),
    City(
        "SH",
        "上海",
        "Shanghai",
        0.20,
        (
            ("310101", "黄浦区"),
            ("310104", "徐汇区"),
            ("310105", "长宁区"),
            ("310106", "静安区"),
            ("310115", "浦东新区"),
            ("310112", "闵行区"),
        ),
        ("南京西路", "淮海中路", "世纪大道", "漕溪北路", "虹桥路", "四川北路", "张杨路"),
    ),
    City(
        "GZ",
        "广州",
        "Guangzhou",
        0.12,
        (
            ("440103", "荔湾区"),
            ("440104", "越秀区"),
            ("440105", "海珠区"),
            ("440106", "天河区"),
            ("440111", "白云区"),
            ("440113", "番禺区"),
        ),
        ("天河路", "中山大道", "环市东路", "黄埔大道", "江南大道", "解放北路"),
    ),
    City(
        "SZ",
        "深圳",
        "Shenzhen",
        0.14,
        (
            ("440303", "罗湖区"),
            ("440304", "福田区"),
            ("440305", "南山区"),
            ("440306", "宝安区"),
            ("440307", "龙岗区"),
        ),
        ("深南大道", "滨海大道", "福华路", "科技园路", "宝安大道", "龙岗大道"),
    ),
    City(
        "HZ",
        "杭州",
        "Hangzhou",
        0.10,
        (
            ("330102", "上城区"),
            ("330105", "拱墅区"),
            ("330106", "西湖区"),
            ("330108", "滨江区"),
            ("330110", "余杭区"),
        ),
        ("文三路", "延安路", "解放路", "江南大道", "文一西路", "庆春路"),
    ),
    City(
        "CD",
        "成都",
        "Chengdu",
        0.09,
        (
            ("510104", "锦江区"),
            ("510105", "青羊区"),
            ("510106", "金牛区"),
            ("510107", "武侯区"),
            ("510108", "成华区"),
        ),
        ("人民南路", "天府大道", "蜀都大道", "红星路", "一环路", "科华北路"),
    ),
    City(
        "NJ",
        "南京",
        "Nanjing",
        0.08,
        (
            ("320102", "玄武区"),
            ("320104", "秦淮区"),
            ("320105", "建邺区"),
            ("320106", "鼓楼区"),
            ("320113", "栖霞区"),
        ),
        ("中山路", "汉中路", "中央路", "江东中路", "珠江路", "北京东路"),
    ),
    City(
        "WH",
        "武汉",
        "Wuhan",
        0.07,
        (
            ("420102", "江岸区"),
            ("420103", "江汉区"),
            ("420105", "汉阳区"),
            ("420106", "武昌区"),
            ("420111", "洪山区"),
        ),
        ("解放大道", "中山大道", "武珞路", "珞喻路", "建设大道", "汉阳大道"),
    ),
)

# Birthplaces of customers who moved to a branch city: districts of other provinces.
# fmt: off
OTHER_AREAS: tuple[str, ...] = (
    "410102", "430102", "370102", "340102", "360102", "450102", "500103", "130102", "610102",
    "350102", "210102", "230102", "420502", "441302", "320506", "330302",
)
# fmt: on


@dataclass(frozen=True)
class SubBranch:
    code: str
    district: str  # district name in the city
    zh: str
    en: str


SUB_BRANCHES: dict[str, tuple[SubBranch, ...]] = {
    "BJ": (
        SubBranch("BJ01", "朝阳区", "北京朝阳支行", "Beijing Chaoyang Sub-branch"),
        SubBranch("BJ02", "海淀区", "北京海淀支行", "Beijing Haidian Sub-branch"),
    ),
    "SH": (
        SubBranch("SH01", "浦东新区", "上海浦东支行", "Shanghai Pudong Sub-branch"),
        SubBranch("SH02", "徐汇区", "上海徐汇支行", "Shanghai Xuhui Sub-branch"),
    ),
    "GZ": (SubBranch("GZ01", "天河区", "广州天河支行", "Guangzhou Tianhe Sub-branch"),),
    "SZ": (
        SubBranch("SZ01", "福田区", "深圳福田支行", "Shenzhen Futian Sub-branch"),
        SubBranch("SZ02", "南山区", "深圳南山支行", "Shenzhen Nanshan Sub-branch"),
    ),
    "HZ": (SubBranch("HZ01", "西湖区", "杭州西湖支行", "Hangzhou Xihu Sub-branch"),),
    "CD": (
        SubBranch("CD01", "锦江区", "成都锦江支行", "Chengdu Jinjiang Sub-branch"),
        SubBranch("CD02", "武侯区", "成都武侯支行", "Chengdu Wuhou Sub-branch"),
    ),
    "NJ": (SubBranch("NJ01", "鼓楼区", "南京鼓楼支行", "Nanjing Gulou Sub-branch"),),
    "WH": (SubBranch("WH01", "江汉区", "武汉江汉支行", "Wuhan Jianghan Sub-branch"),),
}

# (occupation, shift of log wealth); students and retirees are chosen by age.
# fmt: off
OCCUPATIONS: tuple[tuple[str, float], ...] = (
    ("企业职员", 0.0), ("工程师", 0.5), ("教师", 0.2), ("医生", 0.6), ("护士", 0.0),
    ("公务员", 0.3), ("销售人员", 0.0), ("会计", 0.1), ("律师", 0.8), ("软件工程师", 0.6),
    ("个体工商户", 0.3), ("私营企业主", 1.2), ("自由职业者", 0.0), ("金融从业人员", 0.8),
    ("司机", -0.3), ("厨师", -0.3), ("快递员", -0.5), ("工人", -0.4), ("设计师", 0.2),
    ("科研人员", 0.3),
)
# fmt: on
# fmt: off
OCCUPATION_WEIGHTS = (
    18, 7, 5, 3, 3, 5, 6, 4, 1, 5, 6, 3, 5, 3, 3, 2, 3, 6, 2, 2,
)
# fmt: on
STUDENT, RETIRED = "学生", "退休人员"
# Occupations without a monthly salary from an employer.
SELF_EMPLOYED = frozenset({"个体工商户", "私营企业主", "自由职业者"})

INCOME_BANDS = (
    IncomeBand.UNDER_50K,
    IncomeBand.FROM_50K,
    IncomeBand.FROM_100K,
    IncomeBand.FROM_300K,
    IncomeBand.OVER_1M,
)
# A typical yearly income in each band, CNY.
INCOME_MID = np.array([36_000.0, 75_000.0, 160_000.0, 450_000.0, 1_500_000.0])

# fmt: off
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("科技", "Technology"), ("贸易", "Trading"), ("实业", "Industrial"),
    ("建设工程", "Construction Engineering"), ("物流", "Logistics"),
    ("餐饮管理", "Catering Management"), ("医药", "Pharmaceutical"), ("电子", "Electronics"),
    ("食品", "Foods"), ("投资管理", "Investment Management"), ("文化传媒", "Culture & Media"),
    ("环保科技", "Environmental Technology"), ("汽车服务", "Automotive Services"),
    ("纺织", "Textiles"), ("新材料", "New Materials"),
)
# fmt: on
# fmt: off
BRAND_CHARS: tuple[tuple[str, str], ...] = (
    ("华", "Hua"), ("信", "Xin"), ("安", "An"), ("盛", "Sheng"), ("恒", "Heng"), ("泰", "Tai"),
    ("达", "Da"), ("瑞", "Rui"), ("通", "Tong"), ("远", "Yuan"), ("鼎", "Ding"), ("源", "Yuan"),
    ("宏", "Hong"), ("嘉", "Jia"), ("金", "Jin"), ("海", "Hai"), ("天", "Tian"), ("中", "Zhong"),
    ("博", "Bo"), ("创", "Chuang"), ("联", "Lian"), ("众", "Zhong"), ("诚", "Cheng"),
    ("和", "He"), ("丰", "Feng"), ("康", "Kang"), ("润", "Run"), ("明", "Ming"), ("汇", "Hui"),
    ("德", "De"), ("隆", "Long"), ("兴", "Xing"), ("荣", "Rong"), ("腾", "Teng"), ("辰", "Chen"),
    ("启", "Qi"), ("航", "Hang"), ("新", "Xin"), ("云", "Yun"), ("祥", "Xiang"),
)
# fmt: on

# fmt: off
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189", "173", "175", "176", "177", "178", "191", "193", "195", "198", "199",
)
# fmt: on
EMAIL_DOMAINS = (
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "gmail.com",
    "outlook.com",
    "foxmail.com",
    "139.com",
)
EMAIL_WEIGHTS = (35, 25, 10, 5, 7, 8, 5, 5)


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
_PRODUCT_INDEX = {p.code: i for i, p in enumerate(PRODUCTS)}
_RISK_RANK = {"R1": 0, "R2": 1, "R3": 2, "R4": 3, "R5": 4}
RISK_LEVELS = (RiskLevel.R1, RiskLevel.R2, RiskLevel.R3, RiskLevel.R4, RiskLevel.R5)

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
_DESC_RANGES: dict[int, tuple[int, int]] = {
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

# --------------------------------------------------------------------------------------------
# Configuration and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoConfig:
    """What to build. The same values always build the same bank."""

    customers: int
    seed: int
    as_of: dt.date
    months: int = 36
    password: str = DEFAULT_PASSWORD


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    branch: str


@dataclass
class BuildResult:
    counts: dict[str, int]
    logins: list[DemoLogin]
    seconds: float


class DemoBankError(Exception):
    """The demo bank cannot be built on this database as it is."""


def default_as_of(*, today: dt.date) -> dt.date:
    """The last day of the month before `today`: the latest complete month."""
    return today.replace(day=1) - dt.timedelta(days=1)


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


# --------------------------------------------------------------------------------------------
# Column batches: what the generator hands to the writers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cat:
    """A categorical column: integer codes into a tuple of labels."""

    codes: np.ndarray
    labels: Sequence[str]


@dataclass(frozen=True)
class Cents:
    """A money column as integer cents (written as a 2-place decimal)."""

    values: np.ndarray


# numpy arrays: int64 → integer, bool → boolean, datetime64[D] → date, datetime64[s] → UTC
# timestamp (NaT → NULL); lists hold Python values (str, None, Decimal, date, bool, dict).
Column = np.ndarray | Cat | Cents | list[Any]


@dataclass
class Batch:
    model: type[models.Model]
    columns: dict[str, Column]

    def __len__(self) -> int:
        first = next(iter(self.columns.values()))
        if isinstance(first, Cat):
            return len(first.codes)
        if isinstance(first, Cents):
            return len(first.values)
        return len(first)


# Tables in the order they are written (parents first) and emptied (children first).
WRITTEN_MODELS: tuple[type[models.Model], ...] = (
    Branch,
    User,
    Product,
    Customer,
    CustomerTruth,
    RmAssignment,
    RelationshipGroup,
    GroupMembership,
    ConsentEvent,
    Account,
    BalanceSnapshot,
    Transaction,
    Interaction,
    Task,
)


def _days_to_dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def _seconds_to_datetimes(seconds: np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")


NAT = np.iinfo(np.int64).min
# Declining customers leave up to this many days after as_of (so some are still here).
STILL_HERE_DAYS = 180


def _nullable_days(days: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Dates where `mask` is true, NULL elsewhere."""
    return np.where(mask, days, NAT).astype("datetime64[D]")


def _local_seconds(days: np.ndarray, seconds_of_day: np.ndarray) -> np.ndarray:
    """UTC epoch seconds of a local (UTC+8) day and time of day."""
    return (
        np.asarray(days, dtype=np.int64) * SECONDS_PER_DAY
        + np.asarray(seconds_of_day, dtype=np.int64)
        - LOCAL_UTC_OFFSET_S
    )


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a (rows × categories) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cum).sum(axis=1), probs.shape[1] - 1)


def _weights(values: Sequence[float]) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


def _zipf(n: int) -> np.ndarray:
    return _weights([1.0 / (i + 3) for i in range(n)])


def _add_one_year(days: np.ndarray) -> np.ndarray:
    """The same calendar day a year later (29 February → 28 February)."""
    d = _days_to_dates(days)
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    later = month + 12
    length = ((later + 1).astype("datetime64[D]") - later.astype("datetime64[D]")).astype(np.int64)
    out = later.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
    return out.astype(np.int64)


# --------------------------------------------------------------------------------------------
# The bank plan: branches, staff, products and the calendar (everything not per customer)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchPlan:
    id: int
    code: str
    zh: str
    en: str
    city: int  # index into CITIES, -1 for head office
    parent: int | None  # index into the plan's branches
    district: str | None  # the sub-branch's district
    weight: float  # share of the bank's customers


@dataclass(frozen=True)
class StaffPlan:
    id: int
    username: str
    role: str
    branch: int  # index into the plan's branches
    name_zh: str
    first_name: str
    last_name: str
    joined_day: int


@dataclass
class BankPlan:
    config: DemoConfig
    bases: dict[type[models.Model], int]
    branches: list[BranchPlan]
    customer_branches: np.ndarray  # indices of branches that hold customers
    customer_branch_p: np.ndarray
    staff: list[StaffPlan]
    rms_by_branch: dict[int, np.ndarray]  # branch index → RM user ids
    rm_weights: dict[int, np.ndarray]
    manager_by_branch: dict[int, int]  # branch index → the city branch manager's user id
    product_ids: np.ndarray
    as_of_day: int
    month_start: np.ndarray  # first day of each month in the window (day numbers)
    month_end: np.ndarray  # last day of each month, capped at as_of
    month_of_year: np.ndarray  # 1..12

    @property
    def window_start(self) -> int:
        return int(self.month_start[0])


def allocate_rms(
    *, customers: int, weights: Sequence[float], portfolio: int = PORTFOLIO_SIZE
) -> list[int]:
    """RMs per branch for `customers` spread by `weights`: about one per `portfolio` customers.

    Every branch with customers gets at least one RM (a customer's RM works in the
    customer's branch) and the bank at least two; the rest go by largest remainder.
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    expected = customers * w / portfolio
    total = max(2, round(customers / portfolio), int((w > 0).sum()))
    counts = np.maximum(np.floor(expected).astype(int), (w > 0).astype(int))
    while counts.sum() < total:
        gap = expected - counts
        gap[w <= 0] = -np.inf
        counts[int(np.argmax(gap))] += 1
    return [int(c) for c in counts]


def _person_name(rng: np.random.Generator, *, male: bool) -> tuple[str, str, str]:
    """(Chinese name, given name in pinyin, surname in pinyin) of one staff member."""
    s = int(rng.choice(len(SURNAMES), p=SURNAME_P))
    pool, p = (GIVEN_MALE, MALE_P) if male else (GIVEN_FEMALE, FEMALE_P)
    a, b = (int(x) for x in rng.choice(len(pool), size=2, replace=False, p=p))
    chars = [pool[a]] if rng.random() < 0.3 else [pool[a], pool[b]]
    given_zh = "".join(c for c, _ in chars)
    given_py = "".join(py for _, py in chars).capitalize()
    return SURNAMES[s][0] + given_zh, given_py, SURNAMES[s][1]


SURNAME_P = _weights([w for _, _, w in SURNAMES])
MALE_P = _zipf(len(GIVEN_MALE))
FEMALE_P = _zipf(len(GIVEN_FEMALE))


def plan_bank(
    *, config: DemoConfig, bases: dict[type[models.Model], int] | None = None
) -> BankPlan:
    """Branches, staff, products and calendar of the bank; pure (reads no database)."""
    if config.customers < 1:
        raise DemoBankError("A demo bank needs at least one customer.")
    if not 1 <= config.months <= 240:
        raise DemoBankError("The history covers 1 to 240 months.")
    bases = dict(bases or {})
    rng = np.random.default_rng([config.seed, 0])
    branches: list[BranchPlan] = []
    bid = bases.get(Branch, 0)

    def add(
        code: str,
        zh: str,
        en: str,
        city: int,
        parent: int | None,
        district: str | None,
        weight: float,
    ) -> int:
        nonlocal bid
        bid += 1
        branches.append(BranchPlan(bid, code, zh, en, city, parent, district, weight))
        return len(branches) - 1

    head = add("HQ", "总行", "Head Office", 0, None, None, 0.0)
    city_branch: dict[int, int] = {}
    for ci, city in enumerate(CITIES):
        subs = SUB_BRANCHES[city.code]
        cb = add(
            city.code, f"{city.zh}分行", f"{city.en} Branch", ci, head, None, city.weight * 0.4
        )
        city_branch[ci] = cb
        for sb in subs:
            add(sb.code, sb.zh, sb.en, ci, cb, sb.district, city.weight * 0.6 / len(subs))
    weights = np.array([b.weight for b in branches])
    holding = np.flatnonzero(weights > 0)
    p = weights[holding] / weights[holding].sum()

    as_of_day = _day(config.as_of)
    last_month = np.datetime64(config.as_of, "M")
    months = last_month - np.arange(config.months - 1, -1, -1)
    month_start = months.astype("datetime64[D]").astype(np.int64)
    month_end = np.minimum((months + 1).astype("datetime64[D]").astype(np.int64) - 1, as_of_day)
    month_of_year = (months.astype(np.int64) % 12) + 1

    staff: list[StaffPlan] = []
    uid = bases.get(User, 0)

    def hire(username: str, role: str, branch: int) -> int:
        nonlocal uid
        uid += 1
        name_zh, first, last = _person_name(rng, male=bool(rng.random() < 0.5))
        joined = as_of_day - int(rng.integers(180, 12 * 365))
        staff.append(StaffPlan(uid, username, role, branch, name_zh, first, last, joined))
        return uid

    rm_counts = allocate_rms(customers=config.customers, weights=p)
    rms_by_branch: dict[int, np.ndarray] = {}
    rm_weights: dict[int, np.ndarray] = {}
    demo_rm = {city_branch[0]: "rm_demo", city_branch[1]: "rm_demo2"}
    n_rm = 0
    for b, count in zip(holding.tolist(), rm_counts, strict=True):
        ids = []
        for k in range(count):
            if k == 0 and b in demo_rm:
                name = demo_rm[b]
            else:
                n_rm += 1
                name = f"rm{n_rm:04d}"
            ids.append(hire(name, Role.RM, b))
        rms_by_branch[b] = np.array(ids, dtype=np.int64)
        w = rng.uniform(0.75, 1.25, count)
        rm_weights[b] = w / w.sum()
    manager_by_branch: dict[int, int] = {}
    for ci, cb in city_branch.items():
        name = "manager_demo" if ci == 0 else f"manager_{CITIES[ci].code.lower()}"
        mid = hire(name, Role.BRANCH_MANAGER, cb)
        for bi, br in enumerate(branches):
            if bi == cb or br.parent == cb:
                manager_by_branch[bi] = mid
    extra = max(1, config.customers // 20_000)
    for role, stem, count in (
        (Role.MARKETING, "marketing", 1 + extra),
        (Role.SERVICE, "service", 1 + 2 * extra),
        (Role.COMPLIANCE, "compliance", 1),
        (Role.ADMIN, "admin", 1),
    ):
        for k in range(count):
            hire(f"{stem}_demo" if k == 0 else f"{stem}{k + 1:02d}", role, head)

    pid = bases.get(Product, 0)
    product_ids = np.arange(pid + 1, pid + 1 + len(PRODUCTS), dtype=np.int64)
    return BankPlan(
        config=config,
        bases=bases,
        branches=branches,
        customer_branches=holding,
        customer_branch_p=p,
        staff=staff,
        rms_by_branch=rms_by_branch,
        rm_weights=rm_weights,
        manager_by_branch=manager_by_branch,
        product_ids=product_ids,
        as_of_day=as_of_day,
        month_start=month_start,
        month_end=month_end,
        month_of_year=month_of_year,
    )


DEMO_USERNAMES = (
    "rm_demo",
    "rm_demo2",
    "manager_demo",
    "marketing_demo",
    "service_demo",
    "compliance_demo",
    "admin_demo",
)


def demo_logins(*, plan: BankPlan) -> list[DemoLogin]:
    by_name = {s.username: s for s in plan.staff}
    out = []
    for name in DEMO_USERNAMES:
        s = by_name[name]
        out.append(DemoLogin(name, str(Role(s.role).label), plan.branches[s.branch].zh))
    return out


def _plan_batches(*, plan: BankPlan, password_hash: str) -> list[Batch]:
    br = plan.branches
    branches = Batch(
        Branch,
        {
            "id": np.array([b.id for b in br], dtype=np.int64),
            "code": [b.code for b in br],
            "name_zh": [b.zh for b in br],
            "name_en": [b.en for b in br],
            "city": [CITIES[b.city].zh for b in br],
            "parent_id": [None if b.parent is None else br[b.parent].id for b in br],
        },
    )
    st = plan.staff
    joined = _local_seconds(np.array([s.joined_day for s in st]), np.full(len(st), 9 * 3600))
    users = Batch(
        User,
        {
            "id": np.array([s.id for s in st], dtype=np.int64),
            "password": [password_hash] * len(st),
            "last_login": [None] * len(st),
            "is_superuser": np.array([s.role == Role.ADMIN for s in st]),
            "username": [s.username for s in st],
            "first_name": [s.first_name for s in st],
            "last_name": [s.last_name for s in st],
            "email": [f"{s.username}@bankcrm.example" for s in st],
            "is_staff": np.array([s.role == Role.ADMIN for s in st]),
            "is_active": np.ones(len(st), dtype=bool),
            "date_joined": _seconds_to_datetimes(joined),
            "role": [str(s.role) for s in st],
            "branch_id": np.array([br[s.branch].id for s in st], dtype=np.int64),
            "name_zh": [s.name_zh for s in st],
        },
    )
    products = Batch(
        Product,
        {
            "id": plan.product_ids,
            "code": [p.code for p in PRODUCTS],
            "name_zh": [p.zh for p in PRODUCTS],
            "name_en": [p.en for p in PRODUCTS],
            "category": [p.category for p in PRODUCTS],
            "risk_level": [p.risk for p in PRODUCTS],
            "term_months": [p.term_months for p in PRODUCTS],
            "rate": [None if p.rate is None else Decimal(p.rate) for p in PRODUCTS],
            "min_amount": [Decimal(p.min_amount).quantize(Decimal("0.01")) for p in PRODUCTS],
            "status": [str(p.status) for p in PRODUCTS],
        },
    )
    return [branches, users, products]


# --------------------------------------------------------------------------------------------
# Customers of one chunk
# --------------------------------------------------------------------------------------------


@dataclass
class Counters:
    """The next primary key of each table, carried from chunk to chunk."""

    next_id: dict[type[models.Model], int] = field(default_factory=dict)

    def take(self, model: type[models.Model], n: int) -> np.ndarray:
        start = self.next_id[model]
        self.next_id[model] = start + n
        return np.arange(start, start + n, dtype=np.int64)


@dataclass
class Customers:
    """Per-customer arrays of one chunk (index = position in the chunk)."""

    id: np.ndarray
    corp: np.ndarray
    path: np.ndarray
    branch: np.ndarray  # branch index in the plan
    city: np.ndarray
    rm: np.ndarray  # user id
    on: np.ndarray  # onboarding day
    left: np.ndarray  # day a declining customer leaves (may be after as_of), NAT if never
    gone: np.ndarray  # left on or before as_of: closed in the data
    decline_start: np.ndarray
    dormant_start: np.ndarray
    last_day: np.ndarray  # last day with any activity (left_on or as_of)
    male: np.ndarray
    age: np.ndarray  # years at as_of (0 for corporates)
    log_wealth: np.ndarray
    risk: np.ndarray  # 0..4, -1 when never assessed
    income: np.ndarray  # 0..4, -1 for corporates
    salary: np.ndarray  # monthly salary (CNY), 0 when none
    pension: np.ndarray
    channel: np.ndarray  # onboarding channel code
    has_email: np.ndarray
    households: list[list[tuple[int, str]]]
    corp_groups: list[list[tuple[int, str]]]
    name_zh: list[str]
    name_en: list[str]
    given_pinyin: list[str]  # individuals: given name; corporates: brand
    surname: np.ndarray  # index into SURNAMES
    birth: np.ndarray  # birth day (individuals)
    occupation: list[str]
    brand: np.ndarray  # corporates: brand index


def assign_branches_and_rms(
    *, rng: np.random.Generator, plan: BankPlan, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's branch (plan index) and RM (user id, always an RM of that branch)."""
    branch = plan.customer_branches[
        rng.choice(len(plan.customer_branches), size=n, p=plan.customer_branch_p)
    ]
    return branch, rms_for(rng=rng, plan=plan, branch=branch)


def rms_for(*, rng: np.random.Generator, plan: BankPlan, branch: np.ndarray) -> np.ndarray:
    rm = np.zeros(len(branch), dtype=np.int64)
    for b in np.unique(branch).tolist():
        idx = np.flatnonzero(branch == b)
        rms = plan.rms_by_branch[b]
        rm[idx] = rms[rng.choice(len(rms), size=len(idx), p=plan.rm_weights[b])]
    return rm


def _households(
    rng: np.random.Generator, individuals: np.ndarray, age: np.ndarray, male: np.ndarray
) -> list[list[tuple[int, str]]]:
    """Households of 2–4 members: head, spouse, and adult children or parents."""
    if len(individuals) < 8:
        return []
    perm = rng.permutation(individuals)
    n_heads = int(len(individuals) * 0.035)
    used = np.zeros(len(age), dtype=bool)
    heads = perm[age[perm] >= 25][:n_heads]
    used[heads] = True
    pool = perm[~used[perm]]
    out = []
    for h in heads.tolist():
        size = int(rng.choice([2, 3, 4], p=[0.5, 0.35, 0.15]))
        wanted = [MemberRole.SPOUSE] + [
            MemberRole.CHILD if rng.random() < 0.7 else MemberRole.PARENT for _ in range(size - 2)
        ]
        members: list[tuple[int, str]] = [(h, MemberRole.HEAD)]
        for role in wanted:
            for c in pool[rng.integers(0, len(pool), 25)].tolist():
                if used[c]:
                    continue
                if role == MemberRole.SPOUSE:
                    fits = male[c] != male[h] and abs(age[c] - age[h]) <= 8
                elif role == MemberRole.CHILD:
                    fits = age[c] <= age[h] - 20
                else:
                    fits = age[c] >= age[h] + 20
                if fits:
                    used[c] = True
                    members.append((c, role))
                    break
        if len(members) > 1:
            out.append(members)
    return out


def _corporate_groups(rng: np.random.Generator, corps: np.ndarray) -> list[list[tuple[int, str]]]:
    """Groups of a parent company and 1–3 subsidiaries."""
    if len(corps) < 4:
        return []
    perm = rng.permutation(corps)
    out = []
    k = 0
    n_groups = max(1, int(len(corps) * 0.12))
    for _ in range(n_groups):
        size = int(rng.integers(2, 5))
        if k + size > len(perm):
            break
        members = [(int(perm[k]), str(MemberRole.PARENT_COMPANY))]
        members += [(int(c), str(MemberRole.SUBSIDIARY)) for c in perm[k + 1 : k + size]]
        out.append(members)
        k += size
    return out


def _make_customers(*, rng: np.random.Generator, plan: BankPlan, ids: np.ndarray) -> Customers:
    n = len(ids)
    as_of = plan.as_of_day
    corp = rng.random(n) < 0.03
    ind = ~corp

    # Onboarding: a growing bank, so recent years weigh more; up to ten years back.
    uniform_back = rng.random(n) * ONBOARDING_SPAN_DAYS
    recent_back = rng.exponential(2500.0, n) % ONBOARDING_SPAN_DAYS
    back = np.where(rng.random(n) < 0.55, uniform_back, recent_back).astype(np.int64)
    on = as_of - back

    # About 5% of customers leave a year, so the share that leaves inside the window grows
    # with its length.
    p_leave = min(0.05 * plan.config.months / 12, 0.25)
    path = np.array([GROWING, STABLE, DECLINING, DORMANT])[
        rng.choice(4, size=n, p=[0.22, 0.64 - p_leave, p_leave, 0.14])
    ]
    path = np.where(back < NEW_CUSTOMER_DAYS, NEW, path)
    dormant_start = as_of - rng.integers(365, 730, n)
    path = np.where((path == DORMANT) & (dormant_start < on + 90), STABLE, path)
    lo = np.maximum(plan.window_start, on + 180)
    # Some declining customers leave only after as_of: at risk, but still here to be saved.
    hi = as_of + STILL_HERE_DAYS
    path = np.where((path == DECLINING) & (lo > hi), STABLE, path)
    left_day = lo + (rng.random(n) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
    declining = path == DECLINING
    left = np.where(declining, left_day, NAT)
    decline_start = np.where(
        declining, np.maximum(on + 60, left_day - rng.integers(120, 450, n)), NAT
    )
    dormant_start = np.where(path == DORMANT, dormant_start, NAT)
    gone = declining & (left_day <= as_of)
    last_day = np.where(gone, left_day, as_of)

    male = rng.random(n) < 0.5
    age_on = np.clip(rng.normal(35, 12, n), 18.05, 80)
    birth = on - (age_on * 365.25).astype(np.int64)
    age = (as_of - birth) / 365.25
    age = np.where(corp, 0.0, age)

    branch, _ = assign_branches_and_rms(rng=rng, plan=plan, n=n)
    households = _households(rng, np.flatnonzero(ind), age, male)
    corp_groups = _corporate_groups(rng, np.flatnonzero(corp))
    for members in households:
        head = members[0][0]
        for c, _role in members[1:]:
            branch[c] = branch[head]
    rm = rms_for(rng=rng, plan=plan, branch=branch)
    for members in households:
        for c, _role in members[1:]:
            rm[c] = rm[members[0][0]]
    city = np.array([plan.branches[b].city for b in branch.tolist()], dtype=np.int64)

    # Occupation and wealth.
    occ = rng.choice(len(OCCUPATIONS), size=n, p=_weights(OCCUPATION_WEIGHTS))
    occ_shift = np.array([s for _, s in OCCUPATIONS])[occ]
    student = ind & (rng.random(n) < np.where(age < 22, 0.8, np.where(age < 25, 0.2, 0.0)))
    retired = ind & (age >= 60) & (rng.random(n) < 0.75)
    occ_shift = np.where(student, -1.0, np.where(retired, 0.2, occ_shift))
    log_wealth = np.where(
        corp,
        rng.normal(13.2, 1.4, n),
        rng.normal(10.4, 1.5, n) + 0.6 * occ_shift + np.clip(0.05 * (age - 40), -1.2, 0.6),
    )
    z = (log_wealth - 10.4) / 1.5 * 0.6 + 0.5 * occ_shift + rng.normal(0, 0.6, n)
    income = np.digitize(z, [-0.9, -0.1, 0.8, 1.8])
    income = np.where(student, 0, np.where(retired, np.minimum(income, 2), income))
    income = np.where(
        age < 25, np.minimum(income, 1), np.where(age < 30, np.minimum(income, 2), income)
    )
    income = np.where(corp, -1, income)
    occupation = [
        "" if c else STUDENT if s else RETIRED if r else OCCUPATIONS[o][0]
        for c, s, r, o in zip(
            corp.tolist(), student.tolist(), retired.tolist(), occ.tolist(), strict=True
        )
    ]
    employed = (
        ind
        & ~student
        & ~retired
        & ~np.isin(occ, [i for i, (o, _) in enumerate(OCCUPATIONS) if o in SELF_EMPLOYED])
    )
    has_salary = employed & (path != DORMANT) & (rng.random(n) < 0.75)
    salary = np.where(
        has_salary, INCOME_MID[np.maximum(income, 0)] / 12 * rng.lognormal(0, 0.2, n), 0.0
    )
    pension = np.where(
        retired & (path != DORMANT) & (rng.random(n) < 0.8),
        rng.lognormal(math.log(4200), 0.3, n),
        0.0,
    )

    # Onboarding channel: apps take over from the counter in recent years.
    recency = 1 - back / ONBOARDING_SPAN_DAYS
    p_app = 0.05 + 0.40 * recency
    ch_p = np.column_stack(
        [
            1 - p_app - 0.15 - 0.06 - 0.08 * employed,  # branch
            p_app,  # mobile app
            np.full(n, 0.15),  # online
            np.full(n, 0.06),  # referral
            0.08 * employed,  # payroll
        ]
    )
    channel_order = [
        ONBOARDING_CHANNELS.index(c)
        for c in ("branch", "mobile_app", "online", "referral", "payroll")
    ]
    channel = np.array(channel_order)[_pick(rng, ch_p)]
    channel = np.where(
        corp, np.where(rng.random(n) < 0.9, channel_order[0], channel_order[3]), channel
    )

    # Risk appetite: most customers assessed; younger customers take more risk.
    has_risk = rng.random(n) < np.where(corp, 0.6, np.where(path == NEW, 0.9, 0.85))
    risk = rng.choice(5, size=n, p=[0.10, 0.30, 0.35, 0.18, 0.07])
    risk = risk + ((age < 35) & (rng.random(n) < 0.25)) - ((age > 58) & (rng.random(n) < 0.35))
    risk = np.where(corp, rng.choice([1, 2, 3], size=n, p=[0.3, 0.5, 0.2]), risk)
    risk = np.where(has_risk, np.clip(risk, 0, 4), -1)

    # Names: surnames by frequency; households share the head's surname where customary.
    sur = rng.choice(len(SURNAMES), size=n, p=SURNAME_P)
    gm = rng.choice(len(GIVEN_MALE), size=(n, 2), p=MALE_P)
    gf = rng.choice(len(GIVEN_FEMALE), size=(n, 2), p=FEMALE_P)
    two = rng.random(n) < 0.7
    for members in households:
        head = members[0][0]
        spouse = next((c for c, r in members if r == MemberRole.SPOUSE), None)
        father = head if male[head] else spouse
        for c, role in members[1:]:
            if role == MemberRole.CHILD and father is not None:
                sur[c] = sur[father]
            elif role == MemberRole.PARENT and male[c] and male[head]:
                sur[c] = sur[head]
    brand = rng.choice(len(BRAND_CHARS), size=(n, 2))
    brand[:, 1] = np.where(
        brand[:, 1] == brand[:, 0], (brand[:, 1] + 1) % len(BRAND_CHARS), brand[:, 1]
    )
    for members in corp_groups:
        for c, _role in members[1:]:
            brand[c] = brand[members[0][0]]
    industry = rng.choice(len(INDUSTRIES), size=n)
    limited = rng.random(n) < 0.15
    name_zh: list[str] = []
    name_en: list[str] = []
    given_pinyin: list[str] = []
    for i, (c, s, m, t, ci) in enumerate(
        zip(corp.tolist(), sur.tolist(), male.tolist(), two.tolist(), city.tolist(), strict=True)
    ):
        if c:
            b0, b1 = BRAND_CHARS[brand[i, 0]], BRAND_CHARS[brand[i, 1]]
            ind_zh, ind_en = INDUSTRIES[industry[i]]
            suffix_zh, suffix_en = (
                ("股份有限公司", "Co., Ltd. (Joint Stock)")
                if limited[i]
                else ("有限公司", "Co., Ltd.")
            )
            name_zh.append(f"{CITIES[ci].zh}{b0[0]}{b1[0]}{ind_zh}{suffix_zh}")
            name_en.append(f"{CITIES[ci].en} {b0[1]}{b1[1].lower()} {ind_en} {suffix_en}")
            given_pinyin.append(f"{b0[1]}{b1[1]}".lower())
            continue
        pool, picks = (GIVEN_MALE, gm[i]) if m else (GIVEN_FEMALE, gf[i])
        a, b = int(picks[0]), int(picks[1])
        if b == a:
            b = (b + 1) % len(pool)
        chars = [pool[a], pool[b]] if t else [pool[a]]
        given_zh = "".join(ch for ch, _ in chars)
        given_py = "".join(py for _, py in chars)
        name_zh.append(SURNAMES[s][0] + given_zh)
        name_en.append(f"{SURNAMES[s][1]} {given_py.capitalize()}")
        given_pinyin.append(given_py)

    has_email = rng.random(n) < np.where(
        corp, 0.9, np.where(age < 35, 0.6, np.where(age < 55, 0.4, 0.15))
    )
    cust = Customers(
        id=ids,
        corp=corp,
        path=path,
        branch=branch,
        city=city,
        rm=rm,
        on=on,
        left=left,
        gone=gone,
        decline_start=decline_start,
        dormant_start=dormant_start,
        last_day=last_day,
        male=male,
        age=age,
        log_wealth=log_wealth,
        risk=risk,
        income=income,
        salary=salary,
        pension=pension,
        channel=channel,
        has_email=has_email,
        households=households,
        corp_groups=corp_groups,
        name_zh=name_zh,
        name_en=name_en,
        given_pinyin=given_pinyin,
        surname=sur,
        birth=birth,
        occupation=occupation,
        brand=brand,
    )
    return cust


def _customer_rows(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, aum: np.ndarray
) -> list[Batch]:
    """Customer, ground-truth and RM-assignment rows (after AUM is known)."""
    n = len(cust.id)
    as_of = plan.as_of_day
    corp, ind = cust.corp, ~cust.corp
    birth = cust.birth

    # Resident IDs: birthplace is mostly a district of the branch city; the sequence's
    # parity is the gender (odd = male); GB 11643 check character.
    local = rng.random(n) < 0.8
    district = rng.integers(0, 6, n)
    other = rng.integers(0, len(OTHER_AREAS), n)
    seq = rng.integers(0, 500, n) * 2 + cust.male
    birth_txt = np.datetime_as_string(_days_to_dates(birth)).tolist()
    # Unified social credit codes: 9 (market regulator) 1 (enterprise), district, a GB 11714
    # organisation code with its own check digit, then the GB 32100 check character.
    org = rng.integers(10_000_000, 99_999_999, n)
    mobile_prefix = rng.integers(0, len(MOBILE_PREFIXES), n)
    mobile_rest = rng.integers(0, 100_000_000, n)
    email_domain = rng.choice(len(EMAIL_DOMAINS), size=n, p=_weights(EMAIL_WEIGHTS))
    email_num = rng.integers(10, 9999, n)
    qq = rng.integers(10_000_000, 3_999_999_999, n)
    road = rng.integers(0, 7, n)
    house_no = rng.integers(1, 999, n)
    building = rng.integers(1, 30, n)
    unit = rng.integers(1, 6, n)
    room = rng.integers(1, 33, n) * 100 + rng.integers(1, 9, n)
    in_branch_district = rng.random(n) < 0.6

    id_number, mobile, email, address = [], [], [], []
    for i in range(n):
        city_i = CITIES[int(cust.city[i])]
        br = plan.branches[int(cust.branch[i])]
        d_names = [d for _, d in city_i.districts]
        if br.district and in_branch_district[i]:
            dist_name = br.district
            area = city_i.districts[d_names.index(br.district)][0]
        else:
            area, dist_name = city_i.districts[int(district[i]) % len(city_i.districts)]
        if corp[i]:
            org8 = f"{int(org[i]):08d}"
            org_check = (
                11
                - sum(int(c) * w for c, w in zip(org8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
            )
            org9 = org8 + ("X" if org_check == 10 else "0" if org_check == 11 else str(org_check))
            first17 = f"91{area}{org9}"
            id_number.append(first17 + uscc_check_char(first17))
        else:
            place = area if local[i] else OTHER_AREAS[int(other[i])]
            first17 = f"{place}{birth_txt[i].replace('-', '')}{int(seq[i]):03d}"
            id_number.append(first17 + resident_id_check_char(first17))
        mobile.append(f"{MOBILE_PREFIXES[int(mobile_prefix[i])]}{int(mobile_rest[i]):08d}")
        if not cust.has_email[i]:
            email.append("")
        elif corp[i]:
            email.append(f"finance@{cust.given_pinyin[i]}{int(email_num[i])}.com.cn")
        else:
            dom = EMAIL_DOMAINS[int(email_domain[i])]
            if dom == "qq.com":
                email.append(f"{int(qq[i])}@qq.com")
            else:
                sur_py = SURNAMES[int(cust.surname[i])][1].lower()
                email.append(f"{cust.given_pinyin[i]}.{sur_py}{int(email_num[i])}@{dom}")
        street = f"{city_i.zh}市{dist_name}{city_i.roads[int(road[i]) % len(city_i.roads)]}"
        if corp[i]:
            address.append(f"{street}{int(house_no[i])}号{int(building[i])}层")
        else:
            address.append(
                f"{street}{int(house_no[i])}号{int(building[i])}号楼"
                f"{int(unit[i])}单元{int(room[i])}室"
            )
    for members in cust.households:
        for c, _role in members[1:]:
            address[c] = address[members[0][0]]

    # KYC: verified for most; pending for some new customers; expired for the long-silent.
    u = rng.random(n)
    kyc = np.where(
        cust.path == NEW,
        np.where(u < 0.2, KYC_STATUSES.index("pending"), KYC_STATUSES.index("verified")),
        np.where(
            u < np.where(cust.path == DORMANT, 0.4, 0.09),
            KYC_STATUSES.index("expired"),
            np.where(u > 0.985, KYC_STATUSES.index("rejected"), KYC_STATUSES.index("verified")),
        ),
    )
    kyc_day = np.where(
        kyc == KYC_STATUSES.index("expired"),
        np.maximum(cust.on, as_of - rng.integers(3 * 365, 6 * 365, n)),
        np.maximum(cust.on, as_of - rng.integers(0, 3 * 365, n)),
    )
    kyc_day = np.where(
        kyc == KYC_STATUSES.index("rejected"), cust.on + rng.integers(1, 10, n), kyc_day
    )
    kyc_day = np.minimum(kyc_day, cust.last_day)
    has_kyc_day = kyc != KYC_STATUSES.index("pending")

    # Risk assessment: valid for a year; about a fifth have lapsed (more among the dormant).
    assessed = np.where(
        cust.path == DORMANT, as_of - rng.integers(300, 900, n), as_of - rng.integers(0, 450, n)
    )
    assessed = np.minimum(np.maximum(assessed, cust.on), cust.last_day)
    has_risk = cust.risk >= 0
    expires = _add_one_year(assessed)

    status = np.where(
        cust.gone,
        CUSTOMER_STATUSES.index("closed"),
        np.where(
            cust.path == DORMANT,
            CUSTOMER_STATUSES.index("dormant"),
            CUSTOMER_STATUSES.index("active"),
        ),
    )
    created = _local_seconds(cust.on, rng.integers(9 * 3600, 17 * 3600, n))
    touched = np.maximum.reduce(
        [
            cust.on,
            np.where(has_kyc_day, kyc_day, 0),
            np.where(has_risk, assessed, 0),
            np.where(cust.gone, cust.left, 0),
        ]
    )
    updated = _local_seconds(touched, rng.integers(17 * 3600, 18 * 3600, n))
    customer_no = [f"C{i:010d}" for i in cust.id.tolist()]
    branch_ids = np.array([b.id for b in plan.branches], dtype=np.int64)[cust.branch]
    declining = cust.path == DECLINING

    customers = Batch(
        Customer,
        {
            "id": cust.id,
            "customer_no": customer_no,
            "kind": Cat(corp.astype(np.int64), (CustomerKind.INDIVIDUAL, CustomerKind.CORPORATE)),
            "name_zh": cust.name_zh,
            "name_en": cust.name_en,
            "gender": Cat(
                np.where(corp, 2, np.where(cust.male, 0, 1)),
                (Gender.MALE, Gender.FEMALE, Gender.UNKNOWN),
            ),
            "birth_date": _nullable_days(birth, ind),
            "id_type": Cat(corp.astype(np.int64), (IdType.RESIDENT_ID, IdType.USCC)),
            "id_number": id_number,
            "id_last4": [x[-4:] for x in id_number],
            "mobile": mobile,
            "email": email,
            "address": address,
            "occupation": cust.occupation,
            "income_band": Cat(cust.income + 1, ("", *INCOME_BANDS)),
            "kyc_status": Cat(kyc, KYC_STATUSES),
            "kyc_date": _nullable_days(kyc_day, has_kyc_day),
            "risk_appetite": Cat(cust.risk + 1, ("", *RISK_LEVELS)),
            "risk_assessed_on": _nullable_days(assessed, has_risk),
            "risk_expires_on": _nullable_days(expires, has_risk),
            "status": Cat(status, CUSTOMER_STATUSES),
            "onboarded_on": _days_to_dates(cust.on),
            "onboarding_channel": Cat(cust.channel, ONBOARDING_CHANNELS),
            "closed_on": _nullable_days(cust.left, cust.gone),
            "branch_id": branch_ids,
            "rm_id": cust.rm,
            "aum": Cents(aum),
            "created_at": _seconds_to_datetimes(created),
            "updated_at": _seconds_to_datetimes(updated),
        },
    )
    truth = Batch(
        CustomerTruth,
        {
            "customer_id": cust.id,
            "path": Cat(cust.path, PATHS),
            "left_on": _nullable_days(cust.left, declining),
        },
    )
    return [customers, truth]


CUSTOMER_STATUSES = tuple(CustomerStatus.values)


# --------------------------------------------------------------------------------------------
# Accounts and monthly balances
# --------------------------------------------------------------------------------------------


@dataclass
class Accounts:
    id: np.ndarray
    cust: np.ndarray  # index into the chunk's customers
    product: np.ndarray  # index into PRODUCTS
    opened: np.ndarray
    closed: np.ndarray  # NAT when open
    principal: np.ndarray  # loans: amount lent
    demand: np.ndarray  # per customer: the account index of their demand deposit
    card: np.ndarray  # per customer: account index of their credit card, -1 if none


_CATEGORY = np.array([p.category for p in PRODUCTS])
_RISK = np.array([_RISK_RANK[p.risk] for p in PRODUCTS])
_MIN = np.array([p.min_amount for p in PRODUCTS], dtype=float)
_TERM = np.array([p.term_months or 0 for p in PRODUCTS])
_RATE = np.array([float(p.rate or 0) for p in PRODUCTS])
_SELLABLE = np.array([p.status != ProductStatus.CLOSED for p in PRODUCTS])
_AUM = np.array([p.category in AUM_CATEGORIES for p in PRODUCTS])
_INVESTMENT = np.isin(_CATEGORY, ["wealth", "fund", "insurance"])


def _choose_product(
    rng: np.random.Generator, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A uniformly random eligible product per row (rows × products); (index, any)."""
    keys = np.where(eligible, rng.random(eligible.shape), -1.0)
    return keys.argmax(axis=1), np.asarray(eligible.any(axis=1))


def _make_accounts(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Accounts:
    n = len(cust.id)
    as_of = plan.as_of_day
    corp, ind = cust.corp, ~cust.corp
    wealth = np.exp(cust.log_wealth)
    strength = 1 / (1 + np.exp(-(cust.log_wealth - 11.0)))  # 0..1 with wealth
    risk = cust.risk

    def among(codes: Sequence[str]) -> np.ndarray:
        return np.isin(np.arange(len(PRODUCTS)), [_PRODUCT_INDEX[c] for c in codes])

    cat = _CATEGORY[None, :]
    affordable = _MIN[None, :] <= 0.6 * wealth[:, None]
    allowed = (_RISK[None, :] <= risk[:, None]) & _SELLABLE[None, :] & affordable
    slots: list[tuple[np.ndarray, np.ndarray]] = []  # (product index, holds)

    td, td_ok = _choose_product(rng, (cat == "time_deposit") & _SELLABLE & affordable)
    p_td = np.where(corp, 0.4, 0.12 + 0.45 * strength + 0.1 * (cust.age > 50))
    slots.append((td, td_ok & (rng.random(n) < p_td)))
    wm_ok_matrix = (cat == "wealth") & allowed & np.where(corp[:, None], _RISK <= 2, True)
    wm, wm_ok = _choose_product(rng, wm_ok_matrix)
    slots.append((wm, wm_ok & (rng.random(n) < np.where(corp, 0.25, 0.05 + 0.45 * strength))))
    fd, fd_ok = _choose_product(rng, (cat == "fund") & allowed & ind[:, None])
    p_fd = 0.04 + 0.30 * strength + 0.08 * (cust.age < 40)
    slots.append((fd, fd_ok & (rng.random(n) < p_fd)))
    ins, ins_ok = _choose_product(
        rng,
        (cat == "insurance")
        & allowed
        & ind[:, None]
        & ((cust.age >= 28) & (cust.age <= 62))[:, None],
    )
    slots.append((ins, ins_ok & (rng.random(n) < 0.05 + 0.2 * strength)))
    mortgage = ind & (cust.age >= 28) & (cust.age <= 55) & (rng.random(n) < 0.14)
    consumer = ind & ~mortgage & (cust.age >= 22) & (rng.random(n) < 0.07)
    business = corp & (rng.random(n) < 0.35)
    loan = np.select(
        [mortgage, consumer, business],
        [_PRODUCT_INDEX["LN-MTG"], _PRODUCT_INDEX["LN-CON"], _PRODUCT_INDEX["LN-BIZ"]],
        0,
    )
    slots.append((loan, mortgage | consumer | business))
    card_holder = ind & (cust.age >= 20) & (cust.age <= 65) & (rng.random(n) < 0.38)
    platinum = (cust.income >= 3) | (cust.log_wealth > 13)
    card_product = np.where(platinum, _PRODUCT_INDEX["CC-PLT"], _PRODUCT_INDEX["CC-STD"])
    slots.append((card_product, card_holder))

    holds = np.column_stack([h for _, h in slots])
    prods = np.column_stack([p for p, _ in slots])
    # At most four accounts besides the demand deposit: drop random extras.
    keys = np.where(holds, rng.random(holds.shape), np.inf)
    rank = keys.argsort(axis=1).argsort(axis=1)
    holds &= rank < 4

    demand = np.where(
        corp,
        _PRODUCT_INDEX["DEP-CORP"],
        np.where(
            cust.channel == ONBOARDING_CHANNELS.index("payroll"),
            _PRODUCT_INDEX["DEP-PAY"],
            _PRODUCT_INDEX["DEP-SAV"],
        ),
    )
    # Rows: per customer the demand deposit first, then the other holdings in slot order.
    all_prod = np.column_stack([demand, prods])
    all_hold = np.column_stack([np.ones(n, dtype=bool), holds])
    ci, slot = np.nonzero(all_hold)
    product = all_prod[ci, slot]
    k = len(ci)
    is_demand = slot == 0

    # Opening: the demand deposit at onboarding; others later — growing customers buy
    # mostly recently, the declining before the decline, the dormant before going quiet.
    limit = np.where(
        cust.path == DECLINING,
        cust.decline_start - 30,
        np.where(cust.path == DORMANT, cust.dormant_start - 30, as_of),
    )
    limit = np.maximum(limit, cust.on)
    u = rng.random(k) ** np.where(cust.path[ci] == GROWING, 0.5, 1.0)
    opened = np.where(
        is_demand, cust.on[ci], cust.on[ci] + (u * (limit[ci] - cust.on[ci])).astype(np.int64)
    )

    # Closing.
    closed = np.full(k, NAT, dtype=np.int64)
    term_days = (_TERM[product] * 30.44).astype(np.int64)
    consumer_loan = product == _PRODUCT_INDEX["LN-CON"]
    business_loan = product == _PRODUCT_INDEX["LN-BIZ"]
    matures = (consumer_loan | business_loan) & (opened + term_days <= as_of)
    # Business loans roll over into a new loan on the same account: keep them open.
    closed = np.where(matures & consumer_loan, opened + term_days, closed)
    redeem = (
        ~is_demand
        & np.isin(_CATEGORY[product], ["time_deposit", "wealth", "fund"])
        & np.isin(cust.path[ci], [STABLE, GROWING])
        & (rng.random(k) < 0.08)
        & (as_of - opened > 60)
    )
    closed = np.where(
        redeem, opened + 30 + (rng.random(k) * (as_of - opened - 30)).astype(np.int64), closed
    )
    declining = cust.path[ci] == DECLINING
    left = cust.left[ci]
    ds = cust.decline_start[ci]
    exit_day = ds + (rng.random(k) * np.maximum(left - ds, 1)).astype(np.int64)
    closed = np.where(
        declining,
        np.where(
            is_demand,
            left,
            np.minimum(np.where(closed == NAT, exit_day, np.minimum(closed, exit_day)), left),
        ),
        closed,
    )
    closed = np.where((closed != NAT) & (closed <= opened), opened + 1, closed)
    closed = np.where(declining, np.minimum(closed, left), closed)
    closed = np.where((closed != NAT) & (closed > as_of), NAT, closed)  # not yet
    # Dormant customers have paid off their loans and cancelled their cards before going quiet.
    quiet = (cust.path[ci] == DORMANT) & np.isin(_CATEGORY[product], ["loan", "credit_card"])
    quiet_day = np.maximum(cust.dormant_start[ci] - rng.integers(0, 60, k), opened + 1)
    closed = np.where(
        quiet, np.where(closed == NAT, quiet_day, np.minimum(closed, quiet_day)), closed
    )

    principal = np.zeros(k)
    principal = np.where(
        product == _PRODUCT_INDEX["LN-MTG"], rng.lognormal(math.log(900_000), 0.5, k), principal
    )
    principal = np.where(consumer_loan, rng.lognormal(math.log(80_000), 0.6, k), principal)
    principal = np.where(
        business_loan, np.maximum(rng.lognormal(math.log(2_000_000), 0.8, k), 500_000), principal
    )

    ids = counters.take(Account, k)
    demand_index = np.flatnonzero(is_demand)
    card_index = np.full(n, -1, dtype=np.int64)
    is_card = _CATEGORY[product] == "credit_card"
    card_index[ci[is_card]] = np.flatnonzero(is_card)
    return Accounts(
        id=ids,
        cust=ci,
        product=product,
        opened=opened,
        closed=closed,
        principal=principal,
        demand=demand_index,
        card=card_index,
    )


def _activity(*, plan: BankPlan, cust: Customers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer × month: first and last active day, and the path's activity factor."""
    ms, me = plan.month_start[None, :], plan.month_end[None, :]
    lo = np.maximum(ms, cust.on[:, None])
    last = np.where(cust.gone, cust.left - 1, plan.as_of_day)
    hi = np.minimum(me, last[:, None])
    m = len(plan.month_start)
    frac_t = np.arange(m) / max(m - 1, 1)
    factor = np.ones((len(cust.id), m))
    path = cust.path[:, None]
    factor = np.where(path == GROWING, 0.75 + 0.6 * frac_t[None, :], factor)
    factor = np.where(path == NEW, 1.2, factor)
    mid = (ms + me) / 2
    decline = np.clip(
        (cust.left[:, None] - mid) / np.maximum(cust.left - cust.decline_start, 1)[:, None], 0, 1
    )
    factor = np.where(
        (path == DECLINING) & (mid > cust.decline_start[:, None]), 0.15 + 0.85 * decline, factor
    )
    factor = np.where(
        path == DORMANT, np.where(me < cust.dormant_start[:, None], 0.35, 0.012), factor
    )
    days = np.maximum(hi - lo + 1, 0)
    factor = factor * days / (me - ms + 1)
    return lo, hi, factor


def _balances(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, acc: Accounts, factor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Month-end balances in cents (accounts × months), which cells exist, closing cells."""
    n, m = len(cust.id), len(plan.month_start)
    k = len(acc.id)
    ms, me = plan.month_start[None, :], plan.month_end[None, :]
    t_rel = (np.arange(m) - (m - 1))[None, :]
    path = cust.path[:, None]

    # The customer's assets over time: the level reached at as_of, shaped by the path.
    level = np.exp(cust.log_wealth)
    level = np.where(cust.path == DORMANT, level * 0.15, level)
    log_f = rng.normal(0, 0.04, (n, m))
    log_f += np.isin(plan.month_of_year, [1, 2])[None, :] * 0.05  # year-end bonuses
    growth = rng.uniform(0.005, 0.02, n)[:, None]  # 6–24% a year
    log_f = np.where(path == GROWING, log_f + growth * t_rel, log_f)
    log_f = np.where(path == DORMANT, 0.0, log_f)
    f = np.exp(log_f)
    months_in = (me - cust.on[:, None]) / 30.44
    f = np.where(path == NEW, f * np.clip((months_in + 1) / 4, 0.15, 1), f)
    decline = (
        np.clip(
            (cust.left[:, None] - me) / np.maximum(cust.left - cust.decline_start, 1)[:, None], 0, 1
        )
        ** 1.5
    )
    f = np.where((path == DECLINING) & (me > cust.decline_start[:, None]), f * decline, f)

    c = acc.cust
    prod = acc.product
    category = _CATEGORY[prod]
    exists = (acc.opened[:, None] <= me) & (
        (acc.closed == NAT)[:, None] | (acc.closed[:, None] >= ms)
    )
    closing = (acc.closed != NAT)[:, None] & (acc.closed[:, None] <= me)
    held_months = np.maximum((me - acc.opened[:, None]) / 30.44, 0)

    # Shares of the customer's assets among AUM accounts.
    share_w = np.select(
        [
            category == "deposit",
            category == "time_deposit",
            category == "wealth",
            category == "fund",
            category == "insurance",
        ],
        [
            rng.uniform(0.6, 1.4, k),
            rng.uniform(1, 3, k),
            rng.uniform(1, 4, k),
            rng.uniform(0.5, 2, k),
            rng.uniform(0.5, 2, k),
        ],
        0.0,
    )
    # A product bought later takes its share from the customer's other accounts rather than
    # bringing new money: shares are taken among the accounts open in each month.
    alive = exists & ~closing
    total_w = np.zeros((n, m))
    np.add.at(total_w, c, share_w[:, None] * alive)
    share = share_w[:, None] / np.maximum(total_w[c], 1e-9)
    bal = level[c][:, None] * share * f[c]
    noise = np.where((category == "deposit")[:, None], np.exp(rng.normal(0, 0.12, (k, m))), 1.0)
    bal = bal * noise
    rate = _RATE[prod][:, None] / 100
    bal = np.where((category == "time_deposit")[:, None], bal * (1 + rate / 12) ** held_months, bal)
    bal = np.where((category == "wealth")[:, None], bal * 1.0025**held_months, bal)
    bal = np.where((category == "insurance")[:, None], bal * 1.003**held_months, bal)
    market = np.exp(np.cumsum(rng.normal(0.004, 0.05, (k, m)), axis=1))
    bal = np.where((category == "fund")[:, None], bal * market, bal)
    # Loans amortise over their term; card balances follow spending.
    term = np.maximum(_TERM[prod], 1)[:, None]
    loan_left = acc.principal[:, None] * np.clip(1 - held_months / term, 0, 1)
    bal = np.where((category == "loan")[:, None], loan_left, bal)
    spend = rng.lognormal(7.6, 0.9, (k, m)) * factor[c]
    bal = np.where((category == "credit_card")[:, None], spend, bal)
    cents = np.rint(np.maximum(bal, 0) * 100).astype(np.int64)
    cents = np.where(closing, 0, cents)
    cents = np.where(exists, cents, 0)
    return cents, exists, closing


# --------------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------------


@dataclass
class TxnParts:
    """Columns of transactions being assembled (all the same length)."""

    cust: list[np.ndarray] = field(default_factory=list)
    account: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    second: list[np.ndarray] = field(default_factory=list)
    cents: list[np.ndarray] = field(default_factory=list)
    direction: list[np.ndarray] = field(default_factory=list)
    type: list[np.ndarray] = field(default_factory=list)
    counterparty: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    description: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        *,
        cust: np.ndarray,
        account: np.ndarray,
        day: np.ndarray,
        second: np.ndarray,
        amount: np.ndarray,
        direction: np.ndarray | int,
        type: np.ndarray | int,
        counterparty: np.ndarray | int,
        channel: np.ndarray | int,
        description: np.ndarray | int,
    ) -> None:
        k = len(cust)
        if k == 0:
            return
        self.cust.append(cust)
        self.account.append(account)
        self.day.append(day)
        self.second.append(second)
        self.cents.append(np.maximum(np.rint(np.asarray(amount) * 100).astype(np.int64), 1))
        for name, value in (
            ("direction", direction),
            ("type", type),
            ("counterparty", counterparty),
            ("channel", channel),
            ("description", description),
        ):
            getattr(self, name).append(np.broadcast_to(np.asarray(value, dtype=np.int64), k))


def _hours(rng: np.random.Generator, k: int, start: float, end: float) -> np.ndarray:
    return rng.integers(int(start * 3600), int(end * 3600), k)


def _daytime(rng: np.random.Generator, k: int) -> np.ndarray:
    """Times of day of customer-initiated payments: mostly 8:00–22:00, peaking after noon."""
    return np.clip(rng.normal(14 * 3600, 4 * 3600, k), 6 * 3600, 23.9 * 3600).astype(np.int64)


def _random_descriptions(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    out = np.zeros(len(types), dtype=np.int64)
    for t, (lo, hi) in _DESC_RANGES.items():
        idx = np.flatnonzero(types == t)
        out[idx] = rng.integers(lo, hi + 1, len(idx))
    return out


# Channel preferences per type and age group (young, middle, older), as weights over
# (counter, atm, online, mobile, wechat_pay, alipay, unionpay, pos). The second table is the
# mobile-first mix that customers drift towards over the window.
_CH_BASE = {
    T_PURCHASE: (
        [0, 0, 2, 3, 40, 38, 9, 8],
        [0, 0, 3, 4, 32, 26, 15, 20],
        [0, 0, 2, 3, 25, 12, 20, 38],
    ),
    T_TRANSFER: (
        [3, 0, 10, 80, 5, 2, 0, 0],
        [10, 0, 25, 60, 3, 2, 0, 0],
        [35, 0, 20, 40, 3, 2, 0, 0],
    ),
    T_BILL: (
        [0, 0, 10, 30, 35, 25, 0, 0],
        [5, 0, 25, 30, 25, 15, 0, 0],
        [25, 0, 25, 25, 15, 10, 0, 0],
    ),
    T_INVESTMENT: (
        [5, 0, 15, 80, 0, 0, 0, 0],
        [20, 0, 30, 50, 0, 0, 0, 0],
        [55, 0, 20, 25, 0, 0, 0, 0],
    ),
    T_WITHDRAWAL: (
        [5, 95, 0, 0, 0, 0, 0, 0],
        [12, 88, 0, 0, 0, 0, 0, 0],
        [30, 70, 0, 0, 0, 0, 0, 0],
    ),
    T_DEPOSIT: ([30, 70, 0, 0, 0, 0, 0, 0], [45, 55, 0, 0, 0, 0, 0, 0], [65, 35, 0, 0, 0, 0, 0, 0]),
}
_CH_MOBILE_FIRST = {
    T_PURCHASE: [0, 0, 1, 4, 48, 40, 4, 3],
    T_TRANSFER: [2, 0, 6, 90, 1, 1, 0, 0],
    T_BILL: [1, 0, 5, 35, 35, 24, 0, 0],
    T_INVESTMENT: [5, 0, 10, 85, 0, 0, 0, 0],
}


def _channels(
    rng: np.random.Generator, types: np.ndarray, age_group: np.ndarray, t_frac: np.ndarray
) -> np.ndarray:
    out = np.full(len(types), C_ONLINE, dtype=np.int64)
    drift = 0.35 * t_frac * np.array([1.0, 0.7, 0.4])[age_group]
    for t, by_age in _CH_BASE.items():
        idx = np.flatnonzero(types == t)
        if not len(idx):
            continue
        base = np.array(by_age, dtype=float)[age_group[idx]]
        base /= base.sum(axis=1, keepdims=True)
        if t in _CH_MOBILE_FIRST:
            target = np.array(_CH_MOBILE_FIRST[t], dtype=float)
            target /= target.sum()
            d = drift[idx][:, None]
            base = base * (1 - d) + target[None, :] * d
        out[idx] = _pick(rng, base)
    return out


def _make_transactions(
    *,
    rng: np.random.Generator,
    plan: BankPlan,
    cust: Customers,
    acc: Accounts,
    cents: np.ndarray,
    exists: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    factor: np.ndarray,
    counters: Counters,
) -> Batch:
    n, m = len(cust.id), len(plan.month_start)
    ms = plan.month_start
    corp = cust.corp
    parts = TxnParts()
    demand = acc.demand  # account index per customer
    age_group = np.where(cust.age < 35, 0, np.where(cust.age < 55, 1, 2))
    wealth_scale = np.exp(np.clip(cust.log_wealth - 10.4, -2, 4))

    def scheduled(mask: np.ndarray, dom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(customer, day) where a monthly event on day-of-month `dom` falls in activity."""
        day = ms[None, :] + (dom[:, None] - 1)
        ok = mask[:, None] & (day >= lo) & (day <= hi)
        c, mm = np.nonzero(ok)
        return c, day[c, mm]

    # Salaries (monthly, from the employer) and pensions; salaries move away when a
    # customer starts leaving.
    pay_dom = rng.choice([5, 8, 10, 15, 20, 25], size=n)
    c, day = scheduled(cust.salary > 0, pay_dom)
    keep = (cust.path[c] != DECLINING) | (day < cust.decline_start[c] + 45)
    c, day = c[keep], day[keep]
    bonus = rng.random(len(c)) < 0.04
    parts.add(
        cust=c,
        account=demand[c],
        day=day,
        second=_hours(rng, len(c), 8.5, 11),
        amount=cust.salary[c] * rng.lognormal(0, 0.03, len(c)) * np.where(bonus, 2.0, 1.0),
        direction=D_CREDIT,
        type=T_SALARY,
        counterparty=P_EMPLOYER,
        channel=C_ONLINE,
        description=np.where(bonus, 2, np.where(rng.random(len(c)) < 0.5, 0, 1)),
    )
    c, day = scheduled(cust.pension > 0, np.full(n, 15))
    parts.add(
        cust=c,
        account=demand[c],
        day=day,
        second=_hours(rng, len(c), 7, 9),
        amount=cust.pension[c],
        direction=D_CREDIT,
        type=T_TRANSFER,
        counterparty=P_GOVERNMENT,
        channel=C_ONLINE,
        description=DESC_PENSION,
    )
    # Corporate payroll out, on the 10th.
    c, day = scheduled(corp, np.full(n, 10))
    parts.add(
        cust=c,
        account=demand[c],
        day=day,
        second=_hours(rng, len(c), 9, 11),
        amount=np.exp(cust.log_wealth[c]) * 0.08 * rng.lognormal(0, 0.05, len(c)),
        direction=D_DEBIT,
        type=T_TRANSFER,
        counterparty=P_INDIVIDUAL,
        channel=C_ONLINE,
        description=DESC_PAYROLL,
    )

    # Quarterly interest on demand deposits, credited on the 21st of Mar/Jun/Sep/Dec.
    quarter = np.isin(plan.month_of_year, [3, 6, 9, 12])
    q_day = ms + 20
    ok = (
        quarter[None, :]
        & (q_day[None, :] >= lo)
        & (q_day[None, :] <= hi)
        & ~((cust.path == DORMANT)[:, None] & (q_day[None, :] >= cust.dormant_start[:, None]))
    )
    c, mm = np.nonzero(ok)
    interest = cents[demand[c], mm] / 100 * 0.0010 / 4
    parts.add(
        cust=c,
        account=demand[c],
        day=q_day[mm],
        second=_hours(rng, len(c), 0.5, 2),
        amount=np.maximum(interest, 0.01),
        direction=D_CREDIT,
        type=T_INTEREST,
        counterparty=P_FINANCIAL,
        channel=C_ONLINE,
        description=28,
    )

    # Loan repayments (monthly annuity) and credit-card repayments, from the demand deposit.
    category = _CATEGORY[acc.product]
    for kind in ("loan", "credit_card"):
        a_idx = np.flatnonzero(category == kind)
        if not len(a_idx):
            continue
        ac = acc.cust[a_idx]
        dom = 1 + (acc.opened[a_idx] % 27)
        day = ms[None, :] + (dom[:, None] - 1)
        closed = np.where(acc.closed[a_idx] == NAT, np.iinfo(np.int64).max, acc.closed[a_idx])
        ok = (
            (day > acc.opened[a_idx][:, None] + 20)
            & (day < closed[:, None])
            & (day >= lo[ac])
            & (day <= hi[ac])
        )
        if kind == "credit_card":
            prev = np.concatenate(
                [np.zeros((len(a_idx), 1), dtype=np.int64), cents[a_idx, :-1]], axis=1
            )
            ok &= prev > 0
        r, mm = np.nonzero(ok)
        a = a_idx[r]
        cc = acc.cust[a]
        if kind == "loan":
            p = acc.product[a]
            rate = _RATE[p] / 100 / 12
            term = np.maximum(_TERM[p], 1)
            amount = acc.principal[a] * rate / (1 - (1 + rate) ** -term)
            desc = np.select(
                [p == _PRODUCT_INDEX["LN-MTG"], p == _PRODUCT_INDEX["LN-CON"]], [43, 44], 46
            )
            repay_cp = P_FINANCIAL
        else:
            amount = prev[r, mm] / 100 * np.where(rng.random(len(r)) < 0.8, 1.0, 0.1)
            desc = np.full(len(r), DESC_CARD_REPAY)
            repay_cp = P_OWN
        parts.add(
            cust=cc,
            account=demand[cc],
            day=day[r, mm],
            second=_hours(rng, len(r), 6, 8),
            amount=amount,
            direction=D_DEBIT,
            type=T_REPAYMENT,
            counterparty=repay_cp,
            channel=C_ONLINE,
            description=desc,
        )

    # Buying into and leaving investments and time deposits inside the window.
    first_month = np.where(exists.any(axis=1), exists.argmax(axis=1), 0)
    movable = np.isin(category, ["time_deposit", "wealth", "fund", "insurance"])
    buy = np.flatnonzero(movable & (acc.opened >= plan.window_start))
    if len(buy):
        bc = acc.cust[buy]
        amount = cents[buy, first_month[buy]] / 100
        is_td = category[buy] == "time_deposit"
        desc = np.where(
            is_td,
            DESC_TO_TIME,
            np.select([category[buy] == "wealth", category[buy] == "fund"], [37, 38], 39),
        )
        ok = amount > 0
        parts.add(
            cust=bc[ok],
            account=demand[bc[ok]],
            day=acc.opened[buy][ok],
            second=_daytime(rng, int(ok.sum())),
            amount=amount[ok],
            direction=D_DEBIT,
            type=np.where(is_td, T_TRANSFER, T_INVESTMENT)[ok],
            counterparty=np.where(is_td, P_OWN, P_FINANCIAL)[ok],
            channel=np.where(age_group[bc] == 2, C_COUNTER, C_MOBILE)[ok],
            description=desc[ok],
        )
    sell = np.flatnonzero(movable & (acc.closed != NAT) & (acc.closed >= plan.window_start))
    if len(sell):
        sc = acc.cust[sell]
        close_m = np.searchsorted(ms, acc.closed[sell], side="right") - 1
        prev_m = np.maximum(close_m - 1, 0)
        amount = cents[sell, prev_m] / 100
        is_td = category[sell] == "time_deposit"
        desc = np.where(
            is_td,
            DESC_FROM_TIME,
            np.select([category[sell] == "wealth", category[sell] == "fund"], [40, 41], 42),
        )
        ok = amount > 0
        parts.add(
            cust=sc[ok],
            account=demand[sc[ok]],
            day=acc.closed[sell][ok],
            second=_hours(rng, int(ok.sum()), 9, 15),
            amount=amount[ok],
            direction=D_CREDIT,
            type=np.where(is_td, T_TRANSFER, T_REDEMPTION)[ok],
            counterparty=np.where(is_td, P_OWN, P_FINANCIAL)[ok],
            channel=np.where(age_group[sc] == 2, C_COUNTER, C_MOBILE)[ok],
            description=desc[ok],
        )

    # Everyday payments: Poisson per customer-month, shaped by the path.
    base = np.where(corp, 4.0, 1.05 * np.array([1.25, 1.0, 0.75])[age_group])
    lam = base[:, None] * factor
    counts = rng.poisson(lam)
    cm = np.repeat(np.arange(n * m), counts.ravel())
    c, mm = cm // m, cm % m
    k = len(c)
    span = hi[c, mm] - lo[c, mm] + 1
    day = lo[c, mm] + (rng.random(k) * span).astype(np.int64)
    has_investments = np.zeros(n, dtype=bool)
    has_investments[acc.cust[np.isin(category, ["wealth", "fund"]) & (acc.closed == NAT)]] = True
    ind_mix = np.array([0.46, 0.16, 0.08, 0.04, 0.15, 0.02, 0.05, 0.04])
    ind_types = np.array(
        [T_PURCHASE, T_TRANSFER, T_WITHDRAWAL, T_DEPOSIT, T_BILL, T_FEE, T_INVESTMENT, T_REDEMPTION]
    )
    corp_mix = np.array([0.65, 0.20, 0.15])
    corp_types = np.array([T_TRANSFER, T_BILL, T_FEE])
    types = np.where(
        corp[c],
        corp_types[rng.choice(3, size=k, p=corp_mix)],
        ind_types[rng.choice(len(ind_mix), size=k, p=ind_mix)],
    )
    no_inv = np.isin(types, [T_INVESTMENT, T_REDEMPTION]) & ~has_investments[c]
    types = np.where(no_inv, T_PURCHASE, types)
    direction = np.full(k, D_DEBIT)
    direction = np.where(np.isin(types, [T_DEPOSIT, T_REDEMPTION]), D_CREDIT, direction)
    direction = np.where((types == T_TRANSFER) & (rng.random(k) < 0.5), D_CREDIT, direction)
    cp = np.select(
        [
            types == T_PURCHASE,
            types == T_TRANSFER,
            types == T_BILL,
            np.isin(types, [T_WITHDRAWAL, T_DEPOSIT]),
            np.isin(types, [T_FEE, T_INVESTMENT, T_REDEMPTION]),
        ],
        [P_MERCHANT, P_INDIVIDUAL, P_UTILITY, P_OWN, P_FINANCIAL],
        P_FINANCIAL,
    )
    cp = np.where(
        corp[c] & (types == T_TRANSFER), np.where(rng.random(k) < 0.8, P_MERCHANT, P_INDIVIDUAL), cp
    )
    tax = corp[c] & (types == T_BILL) & (rng.random(k) < 0.4)
    cp = np.where(tax, P_GOVERNMENT, cp)
    ws = wealth_scale[c]
    amount = np.select(
        [
            types == T_PURCHASE,
            types == T_TRANSFER,
            types == T_WITHDRAWAL,
            types == T_DEPOSIT,
            types == T_BILL,
            types == T_FEE,
            np.isin(types, [T_INVESTMENT, T_REDEMPTION]),
        ],
        [
            np.clip(rng.lognormal(4.3, 1.0, k) * ws**0.2, 1, 50_000),
            np.clip(rng.lognormal(6.8, 1.1, k) * ws**0.35, 10, 5_000_000),
            100.0 * rng.integers(1, 31, k),
            100.0 * rng.integers(5, 201, k),
            rng.lognormal(5.0, 0.6, k),
            rng.choice([2.0, 5.0, 10.0, 12.0, 20.0, 50.0], size=k),
            np.maximum(np.rint(rng.lognormal(9.8, 0.7, k) * ws**0.3 / 1000) * 1000, 1000),
        ],
        1.0,
    )
    amount = np.where(corp[c] & np.isin(types, [T_TRANSFER, T_BILL]), amount * 40, amount)
    seconds = np.where(np.isin(types, [T_FEE]), _hours(rng, k, 0.2, 3), _daytime(rng, k))
    channel = _channels(rng, types, age_group[c], mm / max(m - 1, 1))
    channel = np.where(corp[c], np.where(rng.random(k) < 0.75, C_ONLINE, C_COUNTER), channel)
    channel = np.where(types == T_FEE, C_ONLINE, channel)
    desc = _random_descriptions(rng, types)
    desc = np.where(
        corp[c] & (types == T_TRANSFER),
        np.where(direction == D_CREDIT, DESC_B2B_IN, DESC_B2B_OUT),
        desc,
    )
    desc = np.where(tax, DESC_TAX, desc)
    # Purchases go on the credit card when the customer has one open for the whole month.
    card = acc.card[c]
    card_ok = card >= 0
    safe_card = np.where(card_ok, card, 0)
    card_closed = np.where(
        acc.closed[safe_card] == NAT, np.iinfo(np.int64).max, acc.closed[safe_card]
    )
    card_ok &= (acc.opened[safe_card] <= ms[mm]) & (card_closed > plan.month_end[mm])
    on_card = (types == T_PURCHASE) & card_ok & (rng.random(k) < 0.6)
    account = np.where(on_card, safe_card, demand[c])
    parts.add(
        cust=c,
        account=account,
        day=day,
        second=seconds,
        amount=amount,
        direction=direction,
        type=types,
        counterparty=cp,
        channel=channel,
        description=desc,
    )

    cust_i = np.concatenate(parts.cust) if parts.cust else np.zeros(0, dtype=np.int64)
    if not len(cust_i):
        return _txn_batch(counters=counters, cols=None, acc=acc, cust=cust)
    cols = {
        name: np.concatenate(getattr(parts, name))
        for name in (
            "cust",
            "account",
            "day",
            "second",
            "cents",
            "direction",
            "type",
            "counterparty",
            "channel",
            "description",
        )
    }
    return _txn_batch(counters=counters, cols=cols, acc=acc, cust=cust)


def _txn_batch(
    *, counters: Counters, cols: dict[str, np.ndarray] | None, acc: Accounts, cust: Customers
) -> Batch:
    if cols is None:
        cols = {
            name: np.zeros(0, dtype=np.int64)
            for name in (
                "cust",
                "account",
                "day",
                "second",
                "cents",
                "direction",
                "type",
                "counterparty",
                "channel",
                "description",
            )
        }
    utc = _local_seconds(cols["day"], cols["second"])
    order = np.lexsort((cols["type"], utc, cols["cust"]))
    ids = counters.take(Transaction, len(order))
    return Batch(
        Transaction,
        {
            "id": ids,
            "txn_id": [f"T{i:012d}" for i in ids.tolist()],
            "account_id": acc.id[cols["account"][order]],
            "customer_id": cust.id[cols["cust"][order]],
            "booked_at": _seconds_to_datetimes(utc[order]),
            "amount": Cents(cols["cents"][order]),
            "direction": Cat(cols["direction"][order], DIRECTIONS),
            "txn_type": Cat(cols["type"][order], TXN_TYPES),
            "counterparty_category": Cat(cols["counterparty"][order], COUNTERPARTIES),
            "channel": Cat(cols["channel"][order], CHANNELS),
            "description": Cat(cols["description"][order], DESCRIPTIONS),
        },
    )


# --------------------------------------------------------------------------------------------
# Contacts, tasks, consents, groups
# --------------------------------------------------------------------------------------------


def _span(*, plan: BankPlan, cust: Customers) -> tuple[np.ndarray, np.ndarray]:
    """First and last day of each customer's relationship inside the window."""
    start = np.maximum(cust.on, plan.window_start)
    end = np.where(cust.gone, cust.left - 1, plan.as_of_day)
    return start, np.maximum(end, start)


def _make_interactions(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Batch:
    start, end = _span(plan=plan, cust=cust)
    months = (end - start + 1) / 30.44
    rate = 0.06 * (1 + 0.5 * (cust.log_wealth > 10.8) + 1.0 * (cust.log_wealth > 13.1))
    rate = np.where(
        cust.path == DECLINING, rate * 1.5, np.where(cust.path == DORMANT, rate * 0.3, rate)
    )
    counts = rng.poisson(rate * months)
    c = np.repeat(np.arange(len(cust.id)), counts)
    k = len(c)
    day = start[c] + (rng.random(k) * (end[c] - start[c] + 1)).astype(np.int64)
    occurred = _local_seconds(day, _hours(rng, k, 9, 18))
    kind = rng.choice(
        len(INTERACTION_KINDS),
        size=k,
        p=_weights([INTERACTION_WEIGHTS[x] for x in INTERACTION_KINDS]),
    )
    subject = rng.integers(0, len(INTERACTION_SUBJECTS) - 1, k)
    retention = (cust.path[c] == DECLINING) & (day >= cust.decline_start[c])
    subject = np.where(retention & (rng.random(k) < 0.6), len(INTERACTION_SUBJECTS) - 1, subject)
    created = occurred + rng.integers(5 * 60, 2 * 3600, k)
    order = np.lexsort((occurred, c))
    ids = counters.take(Interaction, k)
    return Batch(
        Interaction,
        {
            "id": ids,
            "customer_id": cust.id[c[order]],
            "staff_id": cust.rm[c[order]],
            "kind": Cat(kind[order], INTERACTION_KINDS),
            "occurred_at": _seconds_to_datetimes(occurred[order]),
            "subject": Cat(subject[order], [s for s, _ in INTERACTION_SUBJECTS]),
            "notes": Cat(subject[order], [t for _, t in INTERACTION_SUBJECTS]),
            "created_at": _seconds_to_datetimes(created[order]),
        },
    )


def _make_tasks(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Batch:
    as_of = plan.as_of_day
    n = len(cust.id)
    start, end = _span(plan=plan, cust=cust)
    months = (end - start + 1) / 30.44
    # Past follow-ups, mostly done, and for open relationships some due around as_of.
    past = rng.poisson(0.05 * months)
    current = (~cust.gone & (rng.random(n) < 0.12)).astype(np.int64)
    c = np.concatenate([np.repeat(np.arange(n), past), np.repeat(np.arange(n), current)])
    is_current = np.concatenate(
        [np.zeros(past.sum(), dtype=bool), np.ones(current.sum(), dtype=bool)]
    )
    k = len(c)
    due = np.where(
        is_current,
        as_of + rng.integers(-10, 46, k),
        start[c] + (rng.random(k) * (end[c] - start[c] + 1)).astype(np.int64),
    )
    created_day = np.minimum(
        np.maximum(due - rng.integers(3, 31, k), cust.on[c]), np.minimum(as_of, end[c])
    )
    created = _local_seconds(created_day, _hours(rng, k, 9, 18))
    u = rng.random(k)
    # Long-past tasks were closed one way or the other; recent ones may still be overdue.
    status = np.select(
        [due < as_of - 90, due < as_of - 7],
        [
            np.where(u < 0.9, TS_DONE, TS_CANCELLED),
            np.where(u < 0.7, TS_DONE, np.where(u < 0.75, TS_CANCELLED, TS_OPEN)),
        ],
        np.where(u < 0.7, TS_OPEN, TS_IN_PROGRESS),
    )
    status = np.where(cust.gone[c] & (status == TS_OPEN), TS_CANCELLED, status)
    done_day = np.minimum(
        np.maximum(due + rng.integers(-5, 4, k), created_day), np.minimum(as_of, end[c])
    )
    completed = _local_seconds(done_day, _hours(rng, k, 9, 18))
    completed = np.maximum(completed, created + 600)
    completed = np.where(status == TS_DONE, completed, NAT)
    title = rng.integers(0, len(TASK_TITLES), k)
    retention = (cust.path[c] == DECLINING) & (due >= cust.decline_start[c])
    title = np.where(retention, len(TASK_TITLES) + rng.integers(0, len(RETENTION_TITLES), k), title)
    manager = (
        np.array([plan.manager_by_branch[b] for b in cust.branch.tolist()], dtype=np.int64)
        if n
        else np.zeros(0, dtype=np.int64)
    )
    created_by = np.where(rng.random(k) < 0.2, manager[c], cust.rm[c])
    order = np.lexsort((due, c))
    ids = counters.take(Task, k)
    return Batch(
        Task,
        {
            "id": ids,
            "customer_id": cust.id[c[order]],
            "assignee_id": cust.rm[c[order]],
            "created_by_id": created_by[order],
            "title": Cat(title[order], TASK_TITLES + RETENTION_TITLES),
            "notes": [""] * k,
            "due_on": _days_to_dates(due[order]),
            "status": Cat(status[order], TASK_STATUSES),
            "created_at": _seconds_to_datetimes(created[order]),
            "completed_at": completed[order].astype("datetime64[s]"),
        },
    )


def _make_consents(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Batch:
    n = len(cust.id)
    s = len(CONSENT_SLOTS)
    p = np.broadcast_to(CONSENT_GRANT_P, (n, s)).copy()
    p[:, 4] *= cust.has_email
    p[:, 2] *= np.where(cust.age < 45, 1.2, 0.7)
    grant = rng.random((n, s)) < p
    c, slot = np.nonzero(grant)
    k = len(c)
    onboarding_source = np.select(
        [
            cust.channel == ONBOARDING_CHANNELS.index("mobile_app"),
            cust.channel == ONBOARDING_CHANNELS.index("online"),
        ],
        [CONSENT_SOURCES.index("app"), CONSENT_SOURCES.index("online")],
        CONSENT_SOURCES.index("branch"),
    )
    granted_at = _local_seconds(cust.on[c], _hours(rng, k, 9, 17)) + slot
    # About one grant in ten is later withdrawn (granted = false, a second event).
    last = cust.last_day[c]
    withdraw = (rng.random(k) < 0.10) & (last - cust.on[c] > 45)
    w_day = (
        cust.on[c] + 30 + (rng.random(k) * np.maximum(last - cust.on[c] - 30, 1)).astype(np.int64)
    )
    w_at = _local_seconds(w_day, _hours(rng, k, 8, 22))
    w_source = rng.choice(
        [CONSENT_SOURCES.index(x) for x in ("app", "call_center", "branch")],
        size=k,
        p=[0.5, 0.3, 0.2],
    )
    wi = np.flatnonzero(withdraw)
    cc = np.concatenate([c, c[wi]])
    ss = np.concatenate([slot, slot[wi]])
    at = np.concatenate([granted_at, w_at[wi]])
    granted = np.concatenate([np.ones(k, dtype=bool), np.zeros(len(wi), dtype=bool)])
    source = np.concatenate([onboarding_source[c], w_source[wi]])
    recorded_by = np.where(source == CONSENT_SOURCES.index("branch"), cust.rm[cc], -1)
    order = np.lexsort((ss, at, cc))
    ids = counters.take(ConsentEvent, len(cc))
    return Batch(
        ConsentEvent,
        {
            "id": ids,
            "customer_id": cust.id[cc[order]],
            "purpose": Cat(ss[order], [str(pu) for pu, _ in CONSENT_SLOTS]),
            "channel": Cat(ss[order], [str(ch) for _, ch in CONSENT_SLOTS]),
            "granted": granted[order],
            "source": Cat(source[order], CONSENT_SOURCES),
            "recorded_at": _seconds_to_datetimes(at[order]),
            "recorded_by_id": [None if r < 0 else r for r in recorded_by[order].tolist()],
        },
    )


def _make_groups(*, plan: BankPlan, cust: Customers, counters: Counters) -> list[Batch]:
    groups = [(GroupKind.HOUSEHOLD, m) for m in cust.households]
    groups += [(GroupKind.CORPORATE_GROUP, m) for m in cust.corp_groups]
    gids = counters.take(RelationshipGroup, len(groups))
    names, kinds, created = [], [], []
    m_group, m_cust, m_role = [], [], []
    for gid, (kind, members) in zip(gids.tolist(), groups, strict=True):
        head = members[0][0]
        if kind == GroupKind.HOUSEHOLD:
            names.append(f"{cust.name_zh[head]}家庭")
        else:
            b0, b1 = cust.brand[head]
            names.append(f"{BRAND_CHARS[b0][0]}{BRAND_CHARS[b1][0]}集团")
        kinds.append(GROUP_KINDS.index(kind))
        created.append(max(int(cust.on[c]) for c, _ in members))
        for c, role in members:
            m_group.append(gid)
            m_cust.append(int(cust.id[c]))
            m_role.append(MEMBER_ROLES.index(role))
    created_at = _local_seconds(np.array(created, dtype=np.int64), np.full(len(created), 10 * 3600))
    mids = counters.take(GroupMembership, len(m_group))
    return [
        Batch(
            RelationshipGroup,
            {
                "id": gids,
                "name": names,
                "kind": Cat(np.array(kinds, dtype=np.int64), GROUP_KINDS),
                "created_at": _seconds_to_datetimes(created_at),
            },
        ),
        Batch(
            GroupMembership,
            {
                "id": mids,
                "group_id": np.array(m_group, dtype=np.int64),
                "customer_id": np.array(m_cust, dtype=np.int64),
                "role": Cat(np.array(m_role, dtype=np.int64), MEMBER_ROLES),
            },
        ),
    ]


# --------------------------------------------------------------------------------------------
# One chunk, and the whole bank as a stream of chunks
# --------------------------------------------------------------------------------------------


def generate_chunk(
    *, plan: BankPlan, index: int, first: int, size: int, counters: Counters
) -> list[Batch]:
    """All rows of customers first … first+size-1 (0-based), in write order; pure."""
    rng = np.random.default_rng([plan.config.seed, 1 + index])
    ids = np.arange(first + 1, first + size + 1, dtype=np.int64) + plan.bases.get(Customer, 0)
    cust = _make_customers(rng=rng, plan=plan, ids=ids)
    acc = _make_accounts(rng=rng, plan=plan, cust=cust, counters=counters)
    lo, hi, factor = _activity(plan=plan, cust=cust)
    cents, exists, _closing = _balances(rng=rng, plan=plan, cust=cust, acc=acc, factor=factor)

    open_now = acc.closed == NAT
    balance = np.where(open_now, cents[:, -1], 0)
    aum = np.zeros(len(ids), dtype=np.int64)
    in_aum = open_now & _AUM[acc.product]
    np.add.at(aum, acc.cust[in_aum], balance[in_aum])

    batches = _customer_rows(rng=rng, plan=plan, cust=cust, aum=aum)
    branch_ids = np.array([b.id for b in plan.branches], dtype=np.int64)
    batches.append(
        Batch(
            RmAssignment,
            {
                "id": counters.take(RmAssignment, len(ids)),
                "customer_id": ids,
                "rm_id": cust.rm,
                "branch_id": branch_ids[cust.branch],
                "started_on": _days_to_dates(cust.on),
                "ended_on": _nullable_days(cust.left, cust.gone),
                "reason": ["开户分配"] * len(ids),
            },
        )
    )
    batches += _make_groups(plan=plan, cust=cust, counters=counters)
    batches.append(_make_consents(rng=rng, plan=plan, cust=cust, counters=counters))

    status = np.where(
        ~open_now,
        ACCOUNT_STATUSES.index("closed"),
        np.where(
            (cust.path[acc.cust] == DORMANT)
            & np.isin(_CATEGORY[acc.product], ["deposit", "time_deposit"]),
            ACCOUNT_STATUSES.index("dormant"),
            ACCOUNT_STATUSES.index("open"),
        ),
    )
    prefix = np.array([ACCOUNT_PREFIX[cat] for cat in _CATEGORY[acc.product].tolist()])
    batches.append(
        Batch(
            Account,
            {
                "id": acc.id,
                "account_no": [
                    f"{p}{i:013d}" for p, i in zip(prefix.tolist(), acc.id.tolist(), strict=True)
                ],
                "customer_id": ids[acc.cust],
                "product_id": plan.product_ids[acc.product],
                "branch_id": branch_ids[cust.branch[acc.cust]],
                "currency": Cat(np.zeros(len(acc.id), dtype=np.int64), ("CNY",)),
                "balance": Cents(balance),
                "status": Cat(status, ACCOUNT_STATUSES),
                "opened_on": _days_to_dates(acc.opened),
                "closed_on": _nullable_days(acc.closed, ~open_now),
            },
        )
    )
    a, mm = np.nonzero(exists)
    batches.append(
        Batch(
            BalanceSnapshot,
            {
                "id": counters.take(BalanceSnapshot, len(a)),
                "account_id": acc.id[a],
                "customer_id": ids[acc.cust[a]],
                "month": _days_to_dates(plan.month_start[mm]),
                "balance": Cents(cents[a, mm]),
                "counts_to_aum": _AUM[acc.product[a]],
            },
        )
    )
    batches.append(
        _make_transactions(
            rng=rng,
            plan=plan,
            cust=cust,
            acc=acc,
            cents=cents,
            exists=exists,
            lo=lo,
            hi=hi,
            factor=factor,
            counters=counters,
        )
    )
    batches.append(_make_interactions(rng=rng, plan=plan, cust=cust, counters=counters))
    batches.append(_make_tasks(rng=rng, plan=plan, cust=cust, counters=counters))
    return batches


ACCOUNT_STATUSES = tuple(AccountStatus.values)
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


def iter_bank(*, plan: BankPlan, password_hash: str) -> Iterator[tuple[int, list[Batch]]]:
    """(customers in this step, batches) for the plan's tables, then chunk by chunk."""
    yield 0, _plan_batches(plan=plan, password_hash=password_hash)
    counters = Counters({m: plan.bases.get(m, 0) + 1 for m in WRITTEN_MODELS})
    total = plan.config.customers
    for index, first in enumerate(range(0, total, CHUNK_SIZE)):
        size = min(CHUNK_SIZE, total - first)
        yield (
            size,
            generate_chunk(plan=plan, index=index, first=first, size=size, counters=counters),
        )


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

_SLICE_ROWS = 50_000
# Page cache of SQLite while building (KiB): index pages of big inserts stay in memory.
SQLITE_CACHE_KIB = 65_536


def _column_name(model: type[models.Model], attname: str) -> str:
    field = model._meta.get_field(attname)
    assert isinstance(field, models.Field)
    return str(field.column)


def _py_value_sqlite(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(value)


def _py_value_text(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return _escape(str(value))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _strings_safe(values: list[str]) -> bool:
    joined = "".join(values)
    return not any(ch in joined for ch in "\\\t\n\r")


def _dates_text(values: np.ndarray, null: str | None) -> list[Any]:
    text = np.datetime_as_string(values).tolist()
    return [null if t == "NaT" else t for t in text] if np.isnat(values).any() else text


def _datetimes_text(values: np.ndarray, null: str | None, *, sqlite: bool) -> list[Any]:
    """'YYYY-MM-DD HH:MM:SS' in UTC (Django's SQLite storage) or ISO with 'Z' for COPY."""
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    if sqlite and len(text):
        chars = np.ascontiguousarray(text).view("<U1").reshape(len(text), -1)
        chars[:, 10] = " "
        out = chars.view(f"<U{chars.shape[1]}").ravel().tolist()
    else:
        out = [t + "Z" for t in text.tolist()]
    if np.isnat(values).any():
        return [null if t.startswith("NaT") else t for t in out]
    return out


def _to_sqlite(col: Column) -> list[Any]:
    if isinstance(col, Cat):
        return np.asarray(col.labels, dtype=object)[col.codes].tolist()
    if isinstance(col, Cents):
        return (col.values / 100).tolist()
    if isinstance(col, list):
        return [v if type(v) is str else _py_value_sqlite(v) for v in col]
    if col.dtype.kind == "M":
        if np.datetime_data(col.dtype)[0] == "D":
            return _dates_text(col, None)
        return _datetimes_text(col, None, sqlite=True)
    if col.dtype == bool:
        return col.astype(np.int64).tolist()
    return col.tolist()


def _to_text(col: Column) -> list[str]:
    if isinstance(col, Cat):
        labels = np.asarray([_escape(str(x)) for x in col.labels], dtype=object)
        return labels[col.codes].tolist()
    if isinstance(col, Cents):
        return [repr(x) for x in (col.values / 100).tolist()]
    if isinstance(col, list):
        if all(type(v) is str for v in col) and _strings_safe(col):
            return col
        return [_py_value_text(v) for v in col]
    if col.dtype.kind == "M":
        if np.datetime_data(col.dtype)[0] == "D":
            return _dates_text(col, r"\N")
        return _datetimes_text(col, r"\N", sqlite=False)
    if col.dtype == bool:
        return np.where(col, "t", "f").tolist()
    return [str(x) for x in col.tolist()]


def _slice(col: Column, start: int, stop: int) -> Column:
    if isinstance(col, Cat):
        return Cat(col.codes[start:stop], col.labels)
    if isinstance(col, Cents):
        return Cents(col.values[start:stop])
    return col[start:stop]


def _sealed(batch: Batch) -> Batch:
    """The batch as the import path stores it: encrypted columns encrypted (the plaintext
    stays in ``batch`` for the export files), with their keyed hashes."""
    fields = batch.model._meta.concrete_fields
    encrypted = {f.attname: f.purpose for f in fields if isinstance(f, EncryptedCharField)}
    if not encrypted.keys() & batch.columns.keys():
        return batch
    ring = keyring()
    columns = dict(batch.columns)
    for f in fields:
        if isinstance(f, BlindIndexField) and f.source in batch.columns:
            plain = cast(list[str], batch.columns[f.source])
            columns[f.attname] = [blind_index(v, f.purpose, ring=ring) for v in plain]
    for name, purpose in encrypted.items():
        if name in batch.columns:
            plain = cast(list[str], batch.columns[name])
            columns[name] = [encrypt(v, purpose, ring=ring) for v in plain]
    return Batch(batch.model, columns)


class _Writer:
    """Appends batches to their tables: COPY on PostgreSQL, executemany on SQLite.

    Rows are converted and sent a slice at a time, so only one slice of Python objects is
    alive however large the batch.
    """

    def __init__(self, using: str) -> None:
        self.connection = connections[using]
        self.vendor = self.connection.vendor

    def write(self, batch: Batch) -> int:
        n = len(batch)
        if not n:
            return 0
        batch = _sealed(batch)
        model = batch.model
        quote = self.connection.ops.quote_name
        table = quote(model._meta.db_table)
        names = ", ".join(quote(_column_name(model, a)) for a in batch.columns)
        columns = list(batch.columns.values())
        if self.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for start in range(0, n, _SLICE_ROWS):
                        cols = [_to_text(_slice(c, start, start + _SLICE_ROWS)) for c in columns]
                        copy.write("\n".join(map("\t".join, zip(*cols, strict=True))) + "\n")
        else:
            marks = ", ".join(["?"] * len(columns))
            # Identifiers come from the models' metadata, quoted; values are bound.
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            self.connection.ensure_connection()
            raw_conn = self.connection.connection
            assert raw_conn is not None
            for start in range(0, n, _SLICE_ROWS):
                cols = [_to_sqlite(_slice(c, start, start + _SLICE_ROWS)) for c in columns]
                raw_conn.executemany(sql, zip(*cols, strict=True))
        return n


# --------------------------------------------------------------------------------------------
# Building the bank in a database
# --------------------------------------------------------------------------------------------


def bank_exists(*, using: str = "default") -> bool:
    return Customer.objects.using(using).exists()


def flush_database(*, using: str = "default") -> None:
    """Empty every table (Django's `flush`), so that a rebuilt bank is byte-identical."""
    call_command("flush", interactive=False, verbosity=0, database=using)


def _id_bases(using: str) -> dict[type[models.Model], int]:
    bases = {}
    for model in WRITTEN_MODELS:
        pk = model._meta.pk
        assert pk is not None
        bases[model] = int(model._default_manager.using(using).aggregate(m=Max(pk.name))["m"] or 0)
    return bases


def _check_free(*, plan: BankPlan, using: str) -> None:
    clashes = []
    codes = [b.code for b in plan.branches]
    if Branch.objects.using(using).filter(code__in=codes).exists():
        clashes.append("branch codes")
    if User.objects.using(using).filter(username__in=[s.username for s in plan.staff]).exists():
        clashes.append("staff usernames")
    if Product.objects.using(using).filter(code__in=[p.code for p in PRODUCTS]).exists():
        clashes.append("product codes")
    if clashes:
        raise DemoBankError(
            f"The database already holds demo {', '.join(clashes)}; rebuild with --flush."
        )


# Tables that grow with the customers. For the load, their plain indexes (and on PostgreSQL
# their foreign keys) are dropped and then rebuilt in one pass each, as pg_restore does: far
# cheaper than maintaining them row by row, and PostgreSQL need not queue a deferred foreign-key
# check per row until commit. The definitions are read from the live schema, so whatever the
# migrations say is restored exactly; DDL is transactional, so a failure restores everything.
BULK_MODELS: tuple[type[models.Model], ...] = WRITTEN_MODELS[3:]


def _drop_for_load(*, using: str, models_: Sequence[type[models.Model]]) -> list[str]:
    """Drop the tables' plain indexes (and PostgreSQL foreign keys); return SQL restoring them."""
    connection = connections[using]
    tables = [m._meta.db_table for m in models_]
    restore: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.conrelid::regclass::text, quote_ident(c.conname), "
                "pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [tables],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
                "AND NOT i.indisprimary AND NOT i.indisunique AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
            restore = [sql for _name, sql in indexes]
            restore += [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in foreign_keys]
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name"
            )
            indexes = [(name, sql) for table, name, sql in cursor.fetchall() if table in tables]
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            restore = [sql for _name, sql in indexes]
    return restore


def build_demo_bank(
    *, config: DemoConfig, using: str = "default", on_progress: Callable[[int], None] | None = None
) -> BuildResult:
    """Generate the bank described by `config` and write it to the `using` database.

    The database must hold no customers. Ids continue after any existing rows, so on an empty
    database the rows are exactly the same for the same config.
    """
    started = time.perf_counter()
    if bank_exists(using=using):
        raise DemoBankError("The database already holds customers.")
    plan = plan_bank(config=config, bases=_id_bases(using))
    _check_free(plan=plan, using=using)
    password_hash = make_password(config.password, salt=PASSWORD_SALT)
    writer = _Writer(using)
    counts: dict[str, int] = {m._meta.db_table: 0 for m in WRITTEN_MODELS}
    connection = connections[using]
    sqlite = connection.vendor == "sqlite"
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if sqlite:
                cursor.execute("PRAGMA cache_size")
                cache_size = cursor.fetchone()[0]
                # A large page cache keeps the pages of big inserts in memory.
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            elif connection.vendor == "postgresql":
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        try:
            with transaction.atomic(using=using):
                restore = _drop_for_load(using=using, models_=BULK_MODELS)
        except DatabaseError:
            restore = []  # e.g. not the tables' owner: load with the indexes in place
        for done, batches in iter_bank(plan=plan, password_hash=password_hash):
            for batch in batches:
                counts[batch.model._meta.db_table] += writer.write(batch)
            if on_progress is not None and done:
                on_progress(done)
        with connection.cursor() as cursor:
            for sql in restore:
                cursor.execute(sql)
            if sqlite:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
            for sql in connection.ops.sequence_reset_sql(no_style(), list(WRITTEN_MODELS)):
                cursor.execute(sql)
        # The dashboards read a monthly summary that is rebuilt after every load of balances
        # (that service works on the default database only).
        if using == DEFAULT_DB_ALIAS:
            counts[AumMonthly._meta.db_table] = dashboard_summaries_refresh()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in WRITTEN_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return BuildResult(
        counts=counts, logins=demo_logins(plan=plan), seconds=time.perf_counter() - started
    )
