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
