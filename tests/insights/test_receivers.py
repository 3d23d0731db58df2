"""The dashboard summaries follow an import: insights' receiver of the import's announcement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS
from bankcrm.insights.models import AumMonthly, HoldingsSummary
from bankcrm.insights.services import dashboard_summaries_refresh

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
UPTO_BALANCES = ["branches", "staff", "products", "customers", "accounts", "balances"]


def _import(name: str) -> None:
    outcome = import_path(KINDS[name], EXAMPLES / f"{name}.csv")
    assert outcome.landed, (name, outcome.message, outcome.errors)


def _summaries() -> tuple[list[tuple], list[tuple]]:
    return (
        sorted(AumMonthly.objects.values_list("month", "branch_id", "rm_id", "aum")),
        sorted(HoldingsSummary.objects.values_list("branch_id", "rm_id", "customers", "holdings")),
    )


@pytest.fixture
def refreshes(monkeypatch):
    """The summary refreshes the receiver asks for, counted (and done)."""
    calls: list[int] = []

    def counted() -> int:
        calls.append(1)
        return dashboard_summaries_refresh()

    monkeypatch.setattr("bankcrm.insights.receivers.dashboard_summaries_refresh", counted)
    return calls


def test_the_summaries_receiver_is_connected_when_django_starts():
    # In a fresh process, so that nothing but the app registry has imported the receivers.
    script = (
        "import django; django.setup()\n"
        "from bankcrm.ingest.models import ImportRun\n"
        "from bankcrm.ingest.signals import import_committed\n"
        "live = [r() for _key, r, *_rest in import_committed.receivers]\n"
        "print(import_committed.has_listeners(ImportRun),"
        " sorted(f'{f.__module__}.{f.__name__}' for f in live))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split(maxsplit=1) == [
        "True",
        "['bankcrm.insights.receivers.summaries_refresh_after_import',"
        " 'bankcrm.loyalty.receivers.earn_after_import']\n",
    ]


@pytest.mark.django_db
def test_after_an_import_commits_the_dashboard_summaries_are_rebuilt(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        for name in UPTO_BALANCES:
            _import(name)
    after_import = _summaries()
    assert after_import[0] and after_import[1]
    dashboard_summaries_refresh()
    assert _summaries() == after_import


@pytest.mark.django_db
def test_the_summaries_wait_for_the_import_to_commit(django_capture_on_commit_callbacks, refreshes):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for name in UPTO_BALANCES:
            _import(name)
    assert callbacks and refreshes == []
    assert not AumMonthly.objects.exists()
    for callback in callbacks:
        callback()
    # customers, accounts and balances change what the summaries are built from.
    assert len(refreshes) == 3
    assert AumMonthly.objects.exists()


@pytest.mark.django_db
def test_imports_that_change_no_summarised_rows_leave_the_summaries(
    django_capture_on_commit_callbacks, refreshes
):
    with django_capture_on_commit_callbacks(execute=True):
        for name in UPTO_BALANCES:
            _import(name)
    assert len(refreshes) == 3
    with django_capture_on_commit_callbacks(execute=True):
        _import("balances")  # again: nothing changed
        outcome = import_path(KINDS["accounts"], EXAMPLES / "accounts.csv", dry_run=True)
        assert outcome.valid and not outcome.landed
        _import("transactions")  # not a kind the summaries are built from
    assert len(refreshes) == 3
