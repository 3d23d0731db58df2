"""Pages follow the language the user chose, refusals included."""

from __future__ import annotations

from django.utils import translation


def test_pages_switch_to_chinese(bank, login):
    client = login(bank.rm)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/customers/"})
    assert response.status_code == 302
    html = client.get("/customers/").content.decode()
    assert "客户" in html and 'lang="zh-CN"' in html
    with translation.override("zh-hans"):
        assert translation.gettext("Customers") != "Customers"


def test_refusals_are_pages_of_the_site_in_the_users_language(bank, login):
    client = login(bank.rm)
    forbidden = client.get("/customers/duplicates/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert forbidden.status_code == 403
    page = forbidden.content.decode()
    assert 'data-testid="forbidden"' in page and "您的角色无权打开此页面" in page
    assert 'class="mainnav"' in page  # the frame and its menu, not a bare error
    missing = client.get(f"/customers/{bank.far.pk}/")  # another branch's customer
    assert missing.status_code == 404 and 'data-testid="not-found"' in missing.content.decode()


def test_long_amounts_are_short_on_kpi_cards_in_each_language():
    from decimal import Decimal

    from django.utils import translation

    from bankcrm.web.templatetags.bankcrm import cny_short

    with translation.override("zh-hans"):
        assert cny_short(Decimal("1234567890123.45")) == "¥12,345.68亿"
        assert cny_short(Decimal("56789")) == "¥5.68万"
    with translation.override("en"):
        assert cny_short(Decimal("1234567890123.45")) == "¥1.23T"
        assert cny_short(Decimal("-2500000")) == "-¥2.50M"
        assert cny_short(Decimal("999.5")) == "¥999.50"


def test_audit_changes_show_moments_in_the_pages_time_zone():
    from bankcrm.web.templatetags.bankcrm import change_value

    assert change_value([None, "2026-12-03T04:05:06.123+00:00"]) == "— → 2026-12-03 12:05:06"
    assert change_value("2026-12-03") == "2026-12-03"
