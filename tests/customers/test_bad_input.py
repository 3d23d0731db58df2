"""Bad input is a clear 400 or import error, never a 500 (issue 15, finding 13)."""

from __future__ import annotations

import pytest

from bankcrm.ingest.mapping import MappingError, load_mapping


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"branch": "9" * 20},
        {"rm": "9" * 20},
        {"aum_min": "NaN"},
        {"aum_max": "Infinity"},
        {"aum_min": "1e30"},
    ],
)
def test_a_filter_the_database_cannot_compare_is_a_400_page(bank, login, query):
    client = login(bank.admin)
    (name,) = query
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/customers/", query, headers=headers)
        assert response.status_code == 400
        assert f"{name}:" in response.content.decode()


@pytest.mark.django_db
def test_digits_that_are_not_ascii_are_no_filter(bank, login):
    # "１２" is digits to str.isdigit; it is ignored, as any value that is no filter.
    assert login(bank.admin).get("/customers/", {"branch": "１２"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"branch": "9" * 20}, {"aum_min": "NaN"}])
def test_the_api_answers_such_filters_422(bank, login, query):
    assert login(bank.admin).get("/api/v1/customers", query).status_code == 422


def test_a_mapping_nested_thousands_deep_is_a_mapping_error(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(MappingError, match="nested too deeply"):
        load_mapping(path)
    tables = tmp_path / "tables.toml"
    tables.write_text("a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(MappingError):
        load_mapping(tables)
