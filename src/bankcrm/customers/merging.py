"""Duplicate customers: finding candidates with their evidence, and merging two records.

Candidates are found set-based (GROUP BY on indexed columns), never by comparing every pair.
A merge moves everything that points at the merged customer to the survivor, keeps the merged
record's customer number (and ID number) as an alias, and is audited. It refuses to merge two
different resident ID numbers: those are two people, whatever their names say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bankcrm.core.audit import audit_record, snapshot
from bankcrm.core.models import AuditAction, User
from bankcrm.core.pii import mask_changes
from bankcrm.customers.models import Customer, CustomerAlias, DuplicateDismissal, IdType
from bankcrm.customers.signals import customer_merged

RULES: dict[str, Any] = {
    "resident_id": gettext_lazy("Same resident ID number"),
    "name_mobile": gettext_lazy("Same name and mobile"),
    "name_birth": gettext_lazy("Same name and birth date"),
    "similar_name_mobile": gettext_lazy("Similar names, same mobile"),
}
STRENGTH = {"resident_id": 100, "name_mobile": 60, "name_birth": 40, "similar_name_mobile": 30}
GROUP_LIMIT = 50  # customers sharing one value beyond this are a data problem, not duplicates


class MergeRefused(ValidationError):
    pass


@dataclass
class Evidence:
    rule: str
    value: str

    @property
    def label(self) -> str:
        return str(RULES[self.rule])


@dataclass
class Candidate:
    first: Customer
    second: Customer
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def strength(self) -> int:
        return sum(STRENGTH[e.rule] for e in self.evidence)

    @property
    def blocked(self) -> str:
        """Why these two cannot be merged ('' when they can)."""
        try:
            merge_check(survivor=self.first, merged=self.second)
        except MergeRefused as exc:
            return " ".join(exc.messages)
        return ""


def _similar(a: str, b: str) -> bool:
    """Chinese names that are probably the same: one character apart, or one inside the other."""
    if a == b or not a or not b:
        return False
    if a in b or b in a:
        return True
    if len(a) != len(b) or not 2 <= len(a) <= 4:
        return False
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _groups(customers: QuerySet[Customer], *fields: str) -> Iterable[tuple[Any, ...]]:
    """Values of ``fields`` shared by 2..GROUP_LIMIT customers."""
    qs = customers
    for f in fields:
        qs = qs.exclude(**{f: ""}) if f != "birth_date" else qs.exclude(birth_date__isnull=True)
    return (
        qs.values_list(*fields)
        .annotate(n=Count("id"))
        .filter(n__gt=1, n__lte=GROUP_LIMIT)
        .order_by()
        .values_list(*fields)
    )


def duplicate_candidates(
    *, customers: QuerySet[Customer] | None = None, limit: int = 200
) -> list[Candidate]:
    """Pairs of customers that are probably one person, strongest evidence first."""
    base = customers if customers is not None else Customer.objects.all()
    pairs: dict[tuple[int, int], list[Evidence]] = {}
    members: dict[int, Customer] = {}

    def add(group: list[Customer], rule: str, value: str, *, similar: bool = False) -> None:
        group = sorted(group, key=lambda c: c.pk)
        for i, a in enumerate(group):
            members[a.pk] = a
            for b in group[i + 1 :]:
                if similar and not _similar(a.name_zh, b.name_zh):
                    continue
                if not similar and rule == "resident_id" and a.id_type != b.id_type:
                    continue
                pairs.setdefault((a.pk, b.pk), []).append(Evidence(rule, value))

    def fetch(**lookup: Any) -> list[Customer]:
        return list(base.filter(**lookup).select_related("branch"))

    # Strongest rule first; once `limit` pairs are found, weaker groups are not fetched (one
    # query per group, so the page stays fast however many duplicates a bank has).
    residents = base.filter(id_type=IdType.RESIDENT_ID)
    # ID numbers and mobiles are encrypted: the database groups them by their keyed hashes.
    for (number,) in _groups(residents, "id_number_hash"):
        if len(pairs) >= limit:
            break
        group = fetch(id_type=IdType.RESIDENT_ID, id_number_hash=number)
        add(group, "resident_id", group[0].id_number if group else "")
    for name, mobile in _groups(base, "name_zh", "mobile_hash"):
        if len(pairs) >= limit:
            break
        group = fetch(name_zh=name, mobile_hash=mobile)
        add(group, "name_mobile", f"{name} · {group[0].mobile if group else ''}")
    for name, birth in _groups(base, "name_zh", "birth_date"):
        if len(pairs) >= limit:
            break
        add(fetch(name_zh=name, birth_date=birth), "name_birth", f"{name} · {birth:%Y-%m-%d}")
    short = base.annotate(name_len=Length("name_zh")).filter(name_len__lte=8)
    for (mobile,) in _groups(short, "mobile_hash"):
        if len(pairs) >= limit:
            break
        group = fetch(mobile_hash=mobile)
        add(group, "similar_name_mobile", group[0].mobile if group else "", similar=True)
    dismissed = set(
        DuplicateDismissal.objects.filter(first_id__in=list(members)).values_list(
            "first_id", "second_id"
        )
    )
    out = [
        Candidate(members[a], members[b], ev)
        for (a, b), ev in pairs.items()
        if (a, b) not in dismissed
    ]
    out.sort(key=lambda c: (-c.strength, c.first.pk, c.second.pk))
    return out[:limit]


def merge_check(*, survivor: Customer, merged: Customer) -> None:
    """Raise MergeRefused when the two records must not be merged."""
    if survivor.pk == merged.pk:
        raise MergeRefused(_("A customer cannot be merged into itself."), code="same")
    if survivor.kind != merged.kind:
        raise MergeRefused(
            _("An individual and a corporate customer cannot be merged."), code="kind"
        )
    if (
        survivor.id_type == IdType.RESIDENT_ID
        and merged.id_type == IdType.RESIDENT_ID
        and survivor.id_number
        and merged.id_number
        and survivor.id_number != merged.id_number
    ):
        raise MergeRefused(
            _("These customers have different resident ID numbers: they are two people."),
            code="resident_id",
        )


# Blank fields of the survivor that the merged record may fill.
FILLABLE = (
    "name_en",
    "birth_date",
    "mobile",
    "email",
    "address",
    "occupation",
    "income_band",
)


@dataclass
class MergeResult:
    survivor: Customer
    merged_no: str
    moved: dict[str, int]
    dropped: dict[str, int]
    filled: list[str]


def _relations() -> list[models.ForeignKey[Any, Any]]:
    out = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        # Decisions that a pair are different people are dropped with the merged record.
        if (
            isinstance(rel, models.ManyToOneRel)
            and isinstance(rel.field, models.ForeignKey)
            and rel.field.model is not DuplicateDismissal
        ):
            out.append(rel.field)
    return out


def _unique_sets(model: type[models.Model], fk: str) -> list[list[str]]:
    sets = []
    for c in model._meta.constraints:
        fields = list(getattr(c, "fields", ()) or ())
        if isinstance(c, models.UniqueConstraint) and fk in fields:
            sets.append(fields)
    return sets


def _move_records(*, survivor: Customer, merged: Customer) -> tuple[dict[str, int], dict[str, int]]:
    """Point every record of ``merged`` at ``survivor``; a record the survivor already has
    (same unique key) is dropped instead. Returns the counts moved and dropped per model."""
    moved: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for fk in _relations():
        model = fk.model
        label = model._meta.label_lower
        rows = model._default_manager.filter(**{fk.name: merged})
        for fields in _unique_sets(model, fk.name):
            others = [f for f in fields if f != fk.name]
            taken = model._default_manager.filter(**{fk.name: survivor}).values_list(*others)
            clash = [
                pk for pk, *values in rows.values_list("pk", *others) if tuple(values) in set(taken)
            ]
            if clash:
                dropped[label] = (
                    dropped.get(label, 0) + model._default_manager.filter(pk__in=clash).delete()[0]
                )
        n = rows.update(**{fk.name: survivor})
        if n:
            moved[label] = n
    return moved, dropped


def _fill_blanks(*, survivor: Customer, merged: Customer) -> list[str]:
    """Copy what the survivor lacks from the merged record; returns the fields filled."""
    filled = [f for f in FILLABLE if not getattr(survivor, f) and getattr(merged, f)]
    for f in filled:
        setattr(survivor, f, getattr(merged, f))
    if not survivor.id_number and merged.id_number:
        survivor.id_type, survivor.id_number = merged.id_type, merged.id_number
        survivor.id_last4 = merged.id_last4
        filled.append("id_number")
    if filled:
        survivor.version += 1
    return filled


@transaction.atomic
def customer_merge(
    *, survivor: Customer, merged: Customer, actor: User, reason: str
) -> MergeResult:
    """Merge ``merged`` into ``survivor``: move its records, keep its numbers as aliases."""
    if not reason.strip():
        raise MergeRefused(_("Give the reason for the merge."), code="reason")
    # Locked in id order, whichever is the survivor: two stewards merging the same pair in
    # opposite directions wait for each other instead of deadlocking.
    pair = Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
    locked = {c.pk: c for c in pair.order_by("pk")}
    if len(locked) != 2:
        raise MergeRefused(_("One of the customers no longer exists."), code="gone")
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    merge_check(survivor=survivor, merged=merged)
    # The merged record as the trail keeps it: its identifiers masked (the ID number stays,
    # in full, on the alias that later imports resolve by).
    before = mask_changes(Customer, snapshot(merged))
    DuplicateDismissal.objects.filter(models.Q(first=merged) | models.Q(second=merged)).delete()
    moved, dropped = _move_records(survivor=survivor, merged=merged)
    filled = _fill_blanks(survivor=survivor, merged=merged)
    survivor.save()
    CustomerAlias.objects.create(
        customer=survivor,
        customer_no=merged.customer_no,
        id_number=merged.id_number,
        source="merge",
        merged_at=timezone.now(),
    )
    merged_no, merged_pk = merged.customer_no, merged.pk
    Customer.objects.filter(pk=merged_pk).delete()
    customer_merged.send(sender=Customer, survivor=survivor, merged_no=merged_no)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="customers.customer",
        object_id=str(merged_pk),
        customer_id=merged_pk,
        changes={"merged_into": survivor.customer_no, "record": before},
        purpose=reason,
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=survivor,
        customer_id=survivor.pk,
        changes={
            "merged": merged_no,
            "moved": moved,
            "dropped_duplicates": dropped,
            "filled": filled,
            "reason": reason,
        },
        purpose="merge",
    )
    return MergeResult(survivor, merged_no, moved, dropped, filled)


def duplicate_dismiss(*, a: Customer, b: Customer, actor: User, reason: str) -> DuplicateDismissal:
    """Record that two records are different people; the pair is no longer proposed."""
    if not reason.strip():
        raise MergeRefused(_("Give the reason for the decision."), code="reason")
    if a.pk == b.pk:
        raise MergeRefused(_("A customer cannot be merged into itself."), code="same")
    first, second = sorted((a, b), key=lambda c: c.pk)
    decision, _created = DuplicateDismissal.objects.get_or_create(
        first=first, second=second, defaults={"decided_by": actor, "reason": reason.strip()}
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=decision,
        customer_id=first.pk,
        changes={"not_duplicates": [first.customer_no, second.customer_no], "reason": reason},
        purpose="data stewardship",
    )
    return decision
