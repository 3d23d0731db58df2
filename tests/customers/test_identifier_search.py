"""Searches by identifiers (finding 1 of issue 15): a role that may not reveal cannot recover a
masked ID or mobile by searching, a revealer's search is audited like a reveal, and every
identifier search counts against a per-user limit."""

from __future__ import annotations

import re

import pytest

from bankcrm.core.crypto import blind_index
from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.customers.selectors import CustomerFilters
from bankcrm.profile import IdentifierSearchRefused, IdentifierSearchThrottled, customer_search

API = "/api/v1/customers"


def _recover_id_by_endings(client, known_tail: str, length: int) -> tuple[str, list[int]]:
    """The tester's loop: extend a known ending one character at a time, keeping the guess
    that finds someone (the search reads endings from 6 characters, so the first step guesses
    two). Returns what it recovered and the statuses it met."""
    tail, statuses = known_tail, []
    while len(tail) < length:
        width = 2 if len(tail) == 4 else 1
        for guess in (f"{n:0{width}d}" for n in range(10**width)):
            response = client.get(API, {"q": guess + tail})
            statuses.append(response.status_code)
            if response.status_code == 200 and response.json()["items"]:
                tail = guess + tail
                break
        else:
            return tail, statuses
    return tail, statuses


@pytest.mark.django_db
def test_marketing_cannot_recover_a_resident_id_by_searching_endings_and_is_throttled(
    bank, login, settings
):
    settings.BANKCRM_ID_SEARCH_LIMIT = 12
    client = login(bank.marketing)
    number = bank.far.id_number
    recovered, statuses = _recover_id_by_endings(client, number[-4:], len(number))
    assert recovered == number[-4:]  # not one more character
    assert 429 in statuses and 200 not in statuses
    assert statuses[:12] == [403] * 12
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


@pytest.mark.django_db
def test_marketing_gets_the_same_answer_for_an_existing_and_a_missing_identifier(bank, login):
    client = login(bank.marketing)
    c = bank.far
    missing_mobile = "139" + c.mobile[3:]
    for present, absent in [
        (c.mobile, missing_mobile),
        (c.id_number, c.id_number[:-6] + "999999"),
        (c.id_number[-8:], "99999999"),
    ]:
        a, b = client.get(API, {"q": present}), client.get(API, {"q": absent})
        assert a.status_code == b.status_code == 403
        assert a.json() == b.json()
        htmx = {"HX-Request": "true"}
        page_a = client.get("/customers/", {"q": present}, headers=htmx).content.decode()
        page_b = client.get("/customers/", {"q": absent}, headers=htmx).content.decode()
        assert c.customer_no not in page_a
        # Alike but for the CSRF token, which differs on every response.
        token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
        assert token.sub("", page_a.replace(present, "")) == token.sub(
            "", page_b.replace(absent, "")
        )


@pytest.mark.django_db
def test_trying_a_mobiles_hidden_digits_in_the_page_search_finds_nothing(bank, login, settings):
    settings.BANKCRM_ID_SEARCH_LIMIT = 20
    client = login(bank.marketing)
    mobile = bank.far.mobile
    found = []
    for middle in range(25):
        guess = f"{mobile[:3]}{middle:04d}{mobile[-4:]}"
        page = client.get("/customers/", {"q": guess}, headers={"HX-Request": "true"})
        if bank.far.customer_no in page.content.decode():
            found.append(guess)
        last = page.content.decode()
    assert found == []
    assert "Too many searches" in last


@pytest.mark.django_db
def test_the_last_four_of_an_id_stay_searchable_for_every_role(bank):
    c = bank.far
    for user in (bank.marketing, bank.service, bank.admin):
        page = customer_search(user=user, filters=CustomerFilters(q=c.id_number[-4:]))
        assert [x.pk for x in page.items] == [c.pk]
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


@pytest.mark.django_db
def test_a_revealers_identifier_search_is_audited_like_a_reveal_by_keyed_hash(bank, login):
    client = login(bank.rm_sh)
    c = bank.far
    response = client.get(API, {"q": c.mobile, "reason": "customer called in"})
    assert [x["id"] for x in response.json()["items"]] == [c.pk]
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.actor == bank.rm_sh and event.customer_id == c.pk
    assert event.purpose == "customer called in"
    assert event.changes == {"search": "mobile", "hash": blind_index(c.mobile, "search:mobile")}
    # Not the stored column hash: the trail cannot be joined against the customers table.
    assert event.changes["hash"] != c.mobile_hash
    assert c.mobile not in str(event.changes)
    # A search that finds no one is recorded too.
    client.get(API, {"q": c.id_number[:-1] + ("0" if c.id_number[-1] != "0" else "1")})
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL, customer_id=None).count() == 1


@pytest.mark.django_db
def test_identifier_searches_are_limited_per_user_not_per_role(bank, settings):
    settings.BANKCRM_ID_SEARCH_LIMIT = 2
    filters = CustomerFilters(q=bank.mine.mobile)
    for _ in range(2):
        customer_search(user=bank.rm, filters=filters)
    with pytest.raises(IdentifierSearchThrottled) as throttled:
        customer_search(user=bank.rm, filters=filters)
    assert 1 <= throttled.value.retry_after <= settings.BANKCRM_ID_SEARCH_WINDOW
    assert customer_search(user=bank.rm2, filters=filters).items == []  # rm2's own count
    # A name search is not an identifier search.
    assert customer_search(user=bank.rm, filters=CustomerFilters(q="张秀英")).items


@pytest.mark.django_db
def test_the_refusal_comes_before_the_database_is_asked(bank, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(IdentifierSearchRefused):
        customer_search(user=bank.service, filters=CustomerFilters(q=bank.far.id_number))
