"""Customer rows of one chunk: identity numbers, contacts, addresses, KYC and risk assessment.

Resident IDs follow GB 11643 (birthplace, birth date, a sequence whose parity is the gender,
check character) and unified social credit codes GB 32100, so every generated identity
passes the validators the importer applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bankcrm.core.validators import resident_id_check_char, uscc_check_char
from bankcrm.customers.models import Customer, CustomerKind, Gender, IdType
from bankcrm.demo.arrays import (
    add_one_year,
    days_to_dates,
    local_seconds,
    nullable_days,
    seconds_to_datetimes,
    weights,
)
from bankcrm.demo.catalogue import (
    CITIES,
    EMAIL_DOMAINS,
    EMAIL_WEIGHTS,
    INCOME_BANDS,
    MOBILE_PREFIXES,
    OTHER_AREAS,
    SURNAMES,
)
from bankcrm.demo.codes import (
    CUSTOMER_STATUSES,
    DECLINING,
    DORMANT,
    KYC_STATUSES,
    NEW,
    ONBOARDING_CHANNELS,
    PATHS,
    RISK_LEVELS,
)
from bankcrm.demo.columns import Batch, Cat, Cents
from bankcrm.demo.generators.customers import Customers
from bankcrm.demo.models import CustomerTruth
from bankcrm.demo.plan import BankPlan

# GB 11714 weights of an organisation code's eight digits.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class _ContactDraws:
    """The random parts of each customer's identity number, contacts and address."""

    local: np.ndarray
    district: np.ndarray
    other: np.ndarray
    seq: np.ndarray
    org: np.ndarray
    mobile_prefix: np.ndarray
    mobile_rest: np.ndarray
    email_domain: np.ndarray
    email_num: np.ndarray
    qq: np.ndarray
    road: np.ndarray
    house_no: np.ndarray
    building: np.ndarray
    unit: np.ndarray
    room: np.ndarray
    in_branch_district: np.ndarray


def _draw_contacts(rng: np.random.Generator, cust: Customers) -> _ContactDraws:
    n = len(cust.id)
    # Birthplace is mostly a district of the branch city; the sequence's parity is the gender.
    local = rng.random(n) < 0.8
    district = rng.integers(0, 6, n)
    other = rng.integers(0, len(OTHER_AREAS), n)
    seq = rng.integers(0, 500, n) * 2 + cust.male
    org = rng.integers(10_000_000, 99_999_999, n)
    mobile_prefix = rng.integers(0, len(MOBILE_PREFIXES), n)
    mobile_rest = rng.integers(0, 100_000_000, n)
    email_domain = rng.choice(len(EMAIL_DOMAINS), size=n, p=weights(EMAIL_WEIGHTS))
    email_num = rng.integers(10, 9999, n)
    qq = rng.integers(10_000_000, 3_999_999_999, n)
    road = rng.integers(0, 7, n)
    house_no = rng.integers(1, 999, n)
    building = rng.integers(1, 30, n)
    unit = rng.integers(1, 6, n)
    room = rng.integers(1, 33, n) * 100 + rng.integers(1, 9, n)
    in_branch_district = rng.random(n) < 0.6
    return _ContactDraws(
        local=local,
        district=district,
        other=other,
        seq=seq,
        org=org,
        mobile_prefix=mobile_prefix,
        mobile_rest=mobile_rest,
        email_domain=email_domain,
        email_num=email_num,
        qq=qq,
        road=road,
        house_no=house_no,
        building=building,
        unit=unit,
        room=room,
        in_branch_district=in_branch_district,
    )


def _uscc(area: str, org: int) -> str:
    """9 (market regulator) 1 (enterprise), district, a GB 11714 organisation code with its own
    check digit, then the GB 32100 check character."""
    org8 = f"{org:08d}"
    org_check = 11 - sum(int(c) * w for c, w in zip(org8, ORG_CODE_WEIGHTS, strict=True)) % 11
    org9 = org8 + ("X" if org_check == 10 else "0" if org_check == 11 else str(org_check))
    first17 = f"91{area}{org9}"
    return first17 + uscc_check_char(first17)


def _email(cust: Customers, i: int, d: _ContactDraws) -> str:
    if not cust.has_email[i]:
        return ""
    if cust.corp[i]:
        return f"finance@{cust.given_pinyin[i]}{int(d.email_num[i])}.com.cn"
    dom = EMAIL_DOMAINS[int(d.email_domain[i])]
    if dom == "qq.com":
        return f"{int(d.qq[i])}@qq.com"
    sur_py = SURNAMES[int(cust.surname[i])][1].lower()
    return f"{cust.given_pinyin[i]}.{sur_py}{int(d.email_num[i])}@{dom}"


def _contacts(
    *, plan: BankPlan, cust: Customers, d: _ContactDraws
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(identity number, mobile, email, address) of each customer."""
    birth_txt = np.datetime_as_string(days_to_dates(cust.birth)).tolist()
    id_number, mobile, email, address = [], [], [], []
    for i in range(len(cust.id)):
        city_i = CITIES[int(cust.city[i])]
        br = plan.branches[int(cust.branch[i])]
        d_names = [name for _, name in city_i.districts]
        if br.district and d.in_branch_district[i]:
            dist_name = br.district
            area = city_i.districts[d_names.index(br.district)][0]
        else:
            area, dist_name = city_i.districts[int(d.district[i]) % len(city_i.districts)]
        if cust.corp[i]:
            id_number.append(_uscc(area, int(d.org[i])))
        else:
            place = area if d.local[i] else OTHER_AREAS[int(d.other[i])]
            first17 = f"{place}{birth_txt[i].replace('-', '')}{int(d.seq[i]):03d}"
            id_number.append(first17 + resident_id_check_char(first17))
        mobile.append(f"{MOBILE_PREFIXES[int(d.mobile_prefix[i])]}{int(d.mobile_rest[i]):08d}")
        email.append(_email(cust, i, d))
        street = f"{city_i.zh}市{dist_name}{city_i.roads[int(d.road[i]) % len(city_i.roads)]}"
        if cust.corp[i]:
            address.append(f"{street}{int(d.house_no[i])}号{int(d.building[i])}层")
        else:
            address.append(
                f"{street}{int(d.house_no[i])}号{int(d.building[i])}号楼"
                f"{int(d.unit[i])}单元{int(d.room[i])}室"
            )
    for members in cust.households:
        for c, _role in members[1:]:
            address[c] = address[members[0][0]]
    return id_number, mobile, email, address


def _kyc(
    *, rng: np.random.Generator, as_of: int, cust: Customers
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(status, day, has a day): verified for most; pending for some new customers; expired
    for the long-silent."""
    n = len(cust.id)
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
    return kyc, kyc_day, kyc != KYC_STATUSES.index("pending")


def _risk_assessed(*, rng: np.random.Generator, as_of: int, cust: Customers) -> np.ndarray:
    """Day of the risk assessment: valid for a year; about a fifth have lapsed (more among the
    dormant)."""
    n = len(cust.id)
    assessed = np.where(
        cust.path == DORMANT, as_of - rng.integers(300, 900, n), as_of - rng.integers(0, 450, n)
    )
    return np.minimum(np.maximum(assessed, cust.on), cust.last_day)


def _status(cust: Customers) -> np.ndarray:
    return np.where(
        cust.gone,
        CUSTOMER_STATUSES.index("closed"),
        np.where(
            cust.path == DORMANT,
            CUSTOMER_STATUSES.index("dormant"),
            CUSTOMER_STATUSES.index("active"),
        ),
    )


def customer_rows(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, aum: np.ndarray
) -> list[Batch]:
    """Customer and ground-truth rows (after AUM is known)."""
    n = len(cust.id)
    as_of = plan.as_of_day
    corp, ind = cust.corp, ~cust.corp
    id_number, mobile, email, address = _contacts(plan=plan, cust=cust, d=_draw_contacts(rng, cust))
    kyc, kyc_day, has_kyc_day = _kyc(rng=rng, as_of=as_of, cust=cust)
    assessed = _risk_assessed(rng=rng, as_of=as_of, cust=cust)
    has_risk = cust.risk >= 0
    created = local_seconds(cust.on, rng.integers(9 * 3600, 17 * 3600, n))
    touched = np.maximum.reduce(
        [
            cust.on,
            np.where(has_kyc_day, kyc_day, 0),
            np.where(has_risk, assessed, 0),
            np.where(cust.gone, cust.left, 0),
        ]
    )
    updated = local_seconds(touched, rng.integers(17 * 3600, 18 * 3600, n))
    branch_ids = np.array([b.id for b in plan.branches], dtype=np.int64)[cust.branch]
    customers = Batch(
        Customer,
        {
            "id": cust.id,
            "customer_no": [f"C{i:010d}" for i in cust.id.tolist()],
            "kind": Cat(corp.astype(np.int64), (CustomerKind.INDIVIDUAL, CustomerKind.CORPORATE)),
            "name_zh": cust.name_zh,
            "name_en": cust.name_en,
            "gender": Cat(
                np.where(corp, 2, np.where(cust.male, 0, 1)),
                (Gender.MALE, Gender.FEMALE, Gender.UNKNOWN),
            ),
            "birth_date": nullable_days(cust.birth, ind),
            "id_type": Cat(corp.astype(np.int64), (IdType.RESIDENT_ID, IdType.USCC)),
            "id_number": id_number,
            "id_last4": [x[-4:] for x in id_number],
            "mobile": mobile,
            "mobile_last4": [x[-4:] for x in mobile],
            "email": email,
            "address": address,
            "occupation": cust.occupation,
            "income_band": Cat(cust.income + 1, ("", *INCOME_BANDS)),
            "kyc_status": Cat(kyc, KYC_STATUSES),
            "kyc_date": nullable_days(kyc_day, has_kyc_day),
            "risk_appetite": Cat(cust.risk + 1, ("", *RISK_LEVELS)),
            "risk_assessed_on": nullable_days(assessed, has_risk),
            "risk_expires_on": nullable_days(add_one_year(assessed), has_risk),
            "status": Cat(_status(cust), CUSTOMER_STATUSES),
            "onboarded_on": days_to_dates(cust.on),
            "onboarding_channel": Cat(cust.channel, ONBOARDING_CHANNELS),
            "closed_on": nullable_days(cust.left, cust.gone),
            "branch_id": branch_ids,
            "rm_id": cust.rm,
            "aum": Cents(aum),
            "created_at": seconds_to_datetimes(created),
            "updated_at": seconds_to_datetimes(updated),
        },
    )
    truth = Batch(
        CustomerTruth,
        {
            "customer_id": cust.id,
            "path": Cat(cust.path, PATHS),
            "left_on": nullable_days(cust.left, cust.path == DECLINING),
        },
    )
    return [customers, truth]
