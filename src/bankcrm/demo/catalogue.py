"""The demo bank's people and places: names, cities and sub-branches, occupations, contacts.

Static reference data with the sampling weights the generators draw from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bankcrm.customers.models import IncomeBand
from bankcrm.demo.arrays import weights, zipf

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

SURNAME_P = weights([w for _, _, w in SURNAMES])
MALE_P = zipf(len(GIVEN_MALE))
FEMALE_P = zipf(len(GIVEN_FEMALE))
