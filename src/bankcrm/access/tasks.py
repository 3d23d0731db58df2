"""The audit trail's nightly jobs: the hash-chain check and retention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.jobs.engine import JobFailed, JobTask, job_progress


@shared_task(base=JobTask, kind="audit-verify", key="audit-verify", busy="skip")
def audit_verify_task() -> dict[str, Any]:
    """Chain new events, walk the whole chain, record the check; a broken chain fails the job."""
    from bankcrm.core import chain

    chain.chain_seal(progress=lambda n: job_progress(stage="seal", events=n))
    result = chain.chain_verify(progress=lambda n: job_progress(stage="verify", events=n))
    chain.verification_record(result=result, actor=None)
    if not result.intact:
        raise JobFailed(
            _("The audit chain is broken at position %(seq)s: %(reason)s")
            % {"seq": result.broken_seq, "reason": result.reason}
        )
    return {"checked": result.checked, "head_seq": result.head_seq, "unsealed": result.unsealed}


@shared_task(base=JobTask, kind="audit-retention", key="audit-retention", busy="skip")
def audit_retention_task() -> dict[str, Any]:
    """Archive, then remove, the events older than BANKCRM_AUDIT_RETENTION_DAYS."""
    import datetime as dt

    from bankcrm.core import chain

    before = timezone.localdate() - dt.timedelta(days=settings.BANKCRM_AUDIT_RETENTION_DAYS)
    folder = Path(settings.BANKCRM_AUDIT_ARCHIVE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S")
    archive = folder / f"audit-before-{before.isoformat()}-{stamp}.jsonl"
    try:
        purge = chain.audit_purge(before=before, archive=archive, actor=None)
    except chain.PurgeRefused as exc:
        raise JobFailed(str(exc)) from None
    if purge is None:
        return {"removed": 0, "before": before.isoformat()}
    return {
        "removed": purge.removed,
        "before": before.isoformat(),
        "archive": str(purge.archive),
        "archive_sha256": purge.archive_sha256,
    }
