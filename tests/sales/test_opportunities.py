"""Opportunities: moves through the service, the page and the API; the suitability refusal at
proposal, audited; opening one from a recommendation; the weighted pipeline."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bankcrm.core.models import AuditEvent
from bankcrm.sales import services
from bankcrm.sales.models import Opportunity, StageChange
from bankcrm.sales.selectors import weighted_pipeline
from tests.factories import (
    AnalyticsRunFactory,
    OpportunityFactory,
    ProductFactory,
    ScoreFactory,
)

pytestmark = pytest.mark.django_db


def _fund(level: str = "R4"):
    return ProductFactory(code=f"FUND{level}", category="fund", risk_level=level)


def _assessed(customer, risk: str, *, expires: dt.date | None = None):
    today = timezone.localdate()
    customer.risk_appetite = risk
    customer.risk_assessed_on = today - dt.timedelta(days=30)
    customer.risk_expires_on = expires or today + dt.timedelta(days=300)
    customer.save()
    return customer


def test_moving_a_too_risky_product_to_proposal_is_refused_with_the_reason_and_audited(bank):
    _assessed(bank.mine, "R2")
    opp = OpportunityFactory(customer=bank.mine, product=_fund("R4"), stage="needs_assessed")
    with pytest.raises(ValidationError) as refused:
        services.opportunity_move(actor=bank.rm, opportunity=opp, stage="proposal")
    reason = refused.value.message_dict["stage"][0]
    assert "R4" in reason and "R2" in reason
    opp.refresh_from_db()
    assert opp.stage == "needs_assessed"
    event = AuditEvent.objects.get(purpose="suitability check")
    assert event.changes["result"] == "refused" and event.changes["code"] == "too_risky"
    assert event.customer_id == bank.mine.pk


def test_an_expired_assessment_refuses_the_proposal_and_a_current_one_passes(bank):
    today = timezone.localdate()
    _assessed(bank.mine, "R5", expires=today - dt.timedelta(days=1))
    opp = OpportunityFactory(customer=bank.mine, product=_fund("R4"), stage="contacted")
    with pytest.raises(ValidationError, match="expired"):
        services.opportunity_move(actor=bank.rm, opportunity=opp, stage="proposal")
    _assessed(bank.mine, "R5")
    moved = services.opportunity_move(actor=bank.rm, opportunity=opp, stage="proposal")
    assert moved.stage == "proposal"
    results = list(
        AuditEvent.objects.filter(purpose="suitability check")
        .order_by("id")
        .values_list("changes__result", flat=True)
    )
    assert results == ["refused", "passed"]


def test_a_full_pipeline_records_each_stage_and_closes_on_won(bank):
    product = ProductFactory(code="TD3Y", category="time_deposit", risk_level="R1")
    opp = services.opportunity_create(
        actor=bank.rm, customer=bank.mine, product=product, expected_amount=Decimal("80000")
    )
    assert opp.rm == bank.rm and opp.stage == "identified"
    for stage in ("contacted", "needs_assessed", "proposal", "application", "won"):
        opp = services.opportunity_move(actor=bank.rm, opportunity=opp, stage=stage)
    assert opp.closed_at is not None and opp.probability == 100
    path = list(StageChange.objects.filter(opportunity=opp).values_list("to_stage", flat=True))
    assert path == ["identified", "contacted", "needs_assessed", "proposal", "application", "won"]
    with pytest.raises(ValidationError, match="closed"):
        services.opportunity_move(actor=bank.rm, opportunity=opp, stage="contacted")


def test_lost_needs_a_reason_from_the_list(bank):
    opp = OpportunityFactory(customer=bank.mine)
    with pytest.raises(ValidationError):
        services.opportunity_move(actor=bank.rm, opportunity=opp, stage="lost")
    with pytest.raises(ValidationError):
        services.opportunity_move(actor=bank.rm, opportunity=opp, stage="lost", lost_reason="meh")
    lost = services.opportunity_move(
        actor=bank.rm, opportunity=opp, stage="lost", lost_reason="competitor"
    )
    assert (lost.stage, lost.lost_reason) == ("lost", "competitor")


def test_the_board_move_answers_the_card_with_the_refusal_in_place(bank, login):
    _assessed(bank.mine, "R1")
    opp = OpportunityFactory(customer=bank.mine, product=_fund("R3"), stage="needs_assessed")
    client = login(bank.rm)
    response = client.post(
        f"/sales/opportunities/{opp.pk}/move/", {"stage": "proposal"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="card-error"' in html and "R3" in html
    ok = client.post(
        f"/sales/opportunities/{opp.pk}/move/", {"stage": "contacted"}, HTTP_HX_REQUEST="true"
    )
    assert ok.status_code == 200 and 'data-stage="contacted"' in ok.content.decode()


def test_an_opportunity_opens_from_the_customers_recommendation_only(bank, login):
    product = ProductFactory(code="WM01", category="wealth", risk_level="R2")
    ScoreFactory(
        run=AnalyticsRunFactory(),
        customer=bank.mine,
        recommendations=[{"product": "WM01", "en": "Wealth", "zh": "理财"}],
    )
    client = login(bank.rm)
    url = f"/sales/customers/{bank.mine.pk}/recommendation/"
    response = client.post(url, {"product": "WM01"})
    opp = Opportunity.objects.get(customer=bank.mine)
    assert response.status_code == 302 and response.url == opp.get_absolute_url()
    assert (opp.product, opp.origin, opp.rm) == (product, "recommendation", bank.rm)
    assert client.post(url, {"product": "WM01"}).url == opp.get_absolute_url()  # no twin
    ProductFactory(code="OTHER")
    assert client.post(url, {"product": "OTHER"}).status_code == 404


def test_weighted_pipeline_weighs_by_stage_per_rm_and_is_scoped(bank):
    OpportunityFactory(customer=bank.mine, stage="proposal", expected_amount=Decimal("100000"))
    OpportunityFactory(customer=bank.other, stage="identified", expected_amount=Decimal("50000"))
    OpportunityFactory(customer=bank.far, stage="application", expected_amount=Decimal("10"))
    rows = {r.key: r.weighted for r in weighted_pipeline(user=bank.manager, by="rm")}
    assert rows == {bank.rm.pk: Decimal("60000.00"), bank.rm2.pk: Decimal("5000.00")}
    mine = weighted_pipeline(user=bank.rm, by="product")
    assert [r.weighted for r in mine] == [Decimal("60000.00")]


def _api(client, method: str, url: str, body: dict | None = None, **headers):
    return getattr(client, method)(
        url,
        json.dumps(body) if body is not None else None,
        content_type="application/json",
        **headers,
    )


def test_api_creates_moves_and_lists_with_the_error_shape_and_idempotency(bank, login):
    ProductFactory(code="TD5Y", category="time_deposit", risk_level="R1")
    client = login(bank.rm)
    body = {"customer_id": bank.mine.pk, "product": "TD5Y", "expected_amount": "30000"}
    first = _api(client, "post", "/api/v1/opportunities", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = _api(client, "post", "/api/v1/opportunities", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and Opportunity.objects.count() == 1
    opp_id = first.json()["id"]
    bad = _api(client, "post", f"/api/v1/opportunities/{opp_id}/stage", {"stage": "won"})
    assert bad.status_code == 400 and bad.json()["errors"]["stage"]
    moved = _api(client, "post", f"/api/v1/opportunities/{opp_id}/stage", {"stage": "contacted"})
    assert moved.status_code == 200 and moved.json()["probability"] == 20
    listed = client.get("/api/v1/opportunities").json()
    assert [o["id"] for o in listed["items"]] == [opp_id]
    far = OpportunityFactory(customer=bank.far)
    assert (
        _api(
            client, "post", f"/api/v1/opportunities/{far.pk}/stage", {"stage": "contacted"}
        ).status_code
        == 404
    )


def test_api_lead_creation_answers_409_with_the_customer_to_open(bank, login):
    client = login(bank.rm)
    body = {"name": "张秀英", "mobile": bank.mine.mobile, "source": "web_form"}
    refused = _api(client, "post", "/api/v1/leads", body)
    assert refused.status_code == 409
    assert refused.json()["errors"]["customers"] == [str(bank.mine.pk)]
    created = _api(client, "post", "/api/v1/leads", {**body, "confirm_new": True})
    assert created.status_code == 201
    assert created.json()["mobile_masked"] == f"{bank.mine.mobile[:3]}****{bank.mine.mobile[-4:]}"
    assert bank.mine.mobile not in created.content.decode()
