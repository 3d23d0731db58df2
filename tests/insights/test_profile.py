"""The customer read model: the 360 page and the 360 API are one read, scores included."""

from __future__ import annotations

from decimal import Decimal

from bankcrm.insights.models import AnalyticsRun, CustomerScore
from bankcrm.profile import customer_filters, customer_profile, customer_search
from tests.factories import AccountFactory, CustomerFactory, ProductFactory, ScoreFactory


def _scored(customer, *, segment: str, churn: float) -> CustomerScore:
    return ScoreFactory(customer=customer, rfm_segment=segment, churn_probability=churn)


def test_page_and_api_360_show_the_same_profile_with_its_scores(bank, client):
    fund = ProductFactory(code="FND", category="fund", risk_level="R3")
    AccountFactory(customer=bank.mine, product=fund, balance=Decimal("1234.50"))
    _scored(bank.mine, segment="champions", churn=0.8)
    profile = customer_profile(user=bank.rm, customer_id=bank.mine.pk)
    assert profile.aum == Decimal("1234.50") and profile.score is not None

    client.force_login(bank.rm)
    body = client.get(f"/api/v1/customers/{bank.mine.pk}/360").json()
    assert Decimal(body["aum"]) == profile.aum
    assert [a["product_code"] for a in body["accounts"]] == ["FND"]
    assert body["score"]["rfm_segment"] == "champions"
    assert body["score"]["model_version"] == "test-1"
    assert body["score"] == client.get(f"/api/v1/customers/{bank.mine.pk}/scores").json()

    page = client.get(f"/customers/{bank.mine.pk}/")
    assert page.context["v"].score == profile.score
    assert page.context["v"].aum == profile.aum


def test_api_360_score_is_null_before_any_run(bank, client):
    client.force_login(bank.rm)
    assert client.get(f"/api/v1/customers/{bank.mine.pk}/360").json()["score"] is None


def test_one_filter_reading_for_page_query_strings_and_api_values(bank):
    from django.http import QueryDict

    page = customer_filters(QueryDict("q=张&branch=7&aum_min=1,000&status=bogus&churn=high"))
    api = customer_filters(
        {"q": "张", "branch": 7, "aum_min": Decimal("1000"), "status": "bogus", "churn": "high"}
    )
    assert page == api
    assert (page.branch, page.aum_min, page.status, page.churn) == (7, Decimal("1000"), "", "high")
    assert customer_filters({"sort": "nonsense"}).sort == "customer_no"


def test_search_by_score_filters_within_scope(bank):
    _scored(bank.mine, segment="champions", churn=0.9)
    far_score = CustomerScore.objects.create(
        run=AnalyticsRun.objects.get(), customer=bank.far, rfm_segment="champions"
    )
    filters = customer_filters({"segment": "champions"})
    assert [c.pk for c in customer_search(user=bank.admin, filters=filters).items] == sorted(
        [bank.mine.pk, far_score.customer_id]
    )
    assert [c.pk for c in customer_search(user=bank.rm, filters=filters).items] == [bank.mine.pk]
    CustomerFactory(branch=bank.beijing, rm=bank.rm)  # unscored: not in the result
    assert len(customer_search(user=bank.rm, filters=filters).items) == 1
