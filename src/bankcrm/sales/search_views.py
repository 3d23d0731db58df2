"""What the top bar's search finds among leads and opportunities (web/search.py wraps these
in its hits): a few within the user's scope, by name."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from bankcrm.core.models import User
from bankcrm.core.roles import CAN_VIEW_SALES, has_role
from bankcrm.sales.models import OPEN_STAGES
from bankcrm.sales.selectors import leads_visible_to, opportunities_visible_to

Found = tuple[str, str, str]  # label, detail, url


def lead_hits(user: User, q: str, limit: int) -> list[Found]:
    if not has_role(user, CAN_VIEW_SALES) or q.isdigit():
        return []
    rows = leads_visible_to(user).filter(name__icontains=q).order_by("-created_at")[:limit]
    return [(lead.name, str(lead.get_status_display()), lead.get_absolute_url()) for lead in rows]


def opportunity_hits(user: User, q: str, limit: int) -> list[Found]:
    if not has_role(user, CAN_VIEW_SALES) or q.isdigit():
        return []
    rows = (
        opportunities_visible_to(user)
        .filter(stage__in=OPEN_STAGES)
        .filter(
            Q(customer__name_zh__icontains=q)
            | Q(customer__name_en__icontains=q)
            | Q(product__name_zh__icontains=q)
            | Q(product__code__iexact=q)
        )
        .select_related("customer", "product")
        .order_by("next_step_on", "id")[:limit]
    )
    return [
        (
            f"{o.customer.name_zh} · {o.product.code}",
            str(o.get_stage_display()),
            o.get_absolute_url(),
        )
        for o in rows
    ]


def lead_list_url(q: str) -> str:
    from urllib.parse import urlencode

    return f"{reverse('sales:leads')}?{urlencode({'q': q})}"


def opportunity_list_url(q: str) -> str:
    from urllib.parse import urlencode

    return f"{reverse('sales:opportunities')}?{urlencode({'q': q})}"
