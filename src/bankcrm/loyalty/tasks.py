"""The programme's background work: earning after imports, and the nightly runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.jobs.engine import JobFailed, JobTask, job_progress
from bankcrm.loyalty import runs, services

# How far back the nightly run looks again for transactions an earlier run could have passed
# (an import that committed lower ids after a later one had been earned on).
RESCAN_TRANSACTIONS = 500_000


@shared_task(base=JobTask, kind="loyalty-earn", key="loyalty-earn")
def earn_transactions_task(*, since_id: int | None = None) -> dict[str, Any]:
    """Earn on the transactions imported since the last run (each entry keyed by transaction
    and rule: a retried or repeated task adds nothing)."""
    result = runs.earn_transactions(
        since_id=since_id,
        progress=lambda done, total: job_progress(stage="earn", done=done, total=total),
    )
    return result.as_dict()


@shared_task(base=JobTask, kind="loyalty-nightly", key="loyalty-nightly", busy="skip")
def loyalty_nightly_task(*, on: str | None = None) -> dict[str, Any]:
    """Earning catch-up, last month's AUM points, expiry, then the tiers."""
    today = dt.date.fromisoformat(on) if on else timezone.localdate()
    programme = services.programme_get()
    since = max(programme.earned_through_txn - RESCAN_TRANSACTIONS, 0)
    earned = runs.earn_transactions(since_id=since)
    job_progress(stage="aum", done=1, total=4)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    aum = runs.earn_aum_month(month=last_month)
    job_progress(stage="expire", done=2, total=4)
    expired = runs.expire_points(on=today)
    job_progress(stage="tiers", done=3, total=4)
    tiers = runs.tiers_evaluate(today=today)
    return {
        "earned": earned.as_dict(),
        "aum": aum.as_dict(),
        "expired": expired.as_dict(),
        "tiers": tiers.as_dict(),
    }


@shared_task(base=JobTask, kind="loyalty-balance-check", key="loyalty-balance-check", busy="skip")
def balance_check_task() -> dict[str, Any]:
    """Every stored balance against the sum of its entries; a difference fails the job."""
    check = runs.balance_check()
    if check.differences:
        raise JobFailed(
            _("%(n)d members' stored points differ from the sum of their entries, e.g. %(first)s")
            % {"n": check.differences, "first": check.sample[:3]}
        )
    return {"members": check.members, "differences": 0, "seconds": round(check.seconds, 3)}
