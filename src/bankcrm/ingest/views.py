"""The imports pages: upload a file, watch it import, read what was rejected and why."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from bankcrm.core import csvfile
from bankcrm.core.permissions import AuthenticatedRequest, require_role
from bankcrm.core.roles import CAN_IMPORT, has_role
from bankcrm.ingest.forms import ImportForm
from bankcrm.ingest.mapping import Mapping, MappingError, mapping_from_dict
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.outcome import error_report_path
from bankcrm.ingest.selectors import (
    error_value_shown,
    import_run_errors,
    import_run_get,
    import_runs_visible_to,
)
from bankcrm.ingest.services import (
    import_run_create,
    import_start,
    progress_read,
    uploaded_file_save,
)
from bankcrm.ingest.specs import KINDS


def _mapping_from_upload(upload: Any) -> Mapping:
    try:
        data = tomllib.loads(upload.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(_("The mapping file is not valid TOML: %s") % exc) from None
    return mapping_from_dict(data, name=upload.name)


@login_required
@require_http_methods(["GET", "POST"])
def import_list_view(request: AuthenticatedRequest) -> HttpResponse:
    runs = import_runs_visible_to(request.user)
    can_import = has_role(request.user, CAN_IMPORT)
    form = ImportForm()
    if request.method == "POST":
        require_role(request.user, CAN_IMPORT)
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            kind = KINDS[form.cleaned_data["kind"]]
            mapping = None
            if form.cleaned_data["mapping"]:
                try:
                    mapping = _mapping_from_upload(form.cleaned_data["mapping"])
                except MappingError as exc:
                    form.add_error("mapping", str(exc))
            if mapping is not None and mapping.kind and mapping.kind != kind.name:
                form.add_error("mapping", _("This mapping is for %s files.") % mapping.kind)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                run = import_run_create(
                    kind=kind,
                    file_name=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                    max_errors=form.cleaned_data["max_errors"],
                    mapping=mapping,
                    actor=request.user,
                    channel="web",
                )
                path = uploaded_file_save(run, upload.chunks())
                import_start(
                    run,
                    path,
                    kind=kind,
                    encoding=form.cleaned_data["encoding"],
                    mapping=mapping,
                    actor=request.user,
                )
                return redirect("imports:detail", pk=run.pk)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ingest/list.html",
        {"page": page, "form": form, "can_import": can_import, "kinds": KINDS},
    )


@login_required
@require_safe
def import_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = import_run_get(user=request.user, run_id=pk)
    errors = import_run_errors(run)
    return render(
        request,
        "ingest/detail.html",
        {
            "run": run,
            "errors": errors,
            "progress": progress_read(run.pk),
            "has_report": error_report_path(run.pk).exists(),
            "can_import": has_role(request.user, CAN_IMPORT),
        },
    )


@login_required
@require_safe
def import_progress_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = import_run_get(user=request.user, run_id=pk)
    response = render(
        request, "ingest/_progress.html", {"run": run, "progress": progress_read(run.pk)}
    )
    if run.finished:
        response["HX-Refresh"] = "true"
    return response


def _report_chunks(run: ImportRun, path: Path, size: int = 1 << 16) -> Iterator[str]:
    """The error report as CSV, rejected ID numbers and mobiles masked, in chunks (a report
    has up to KEEP_ERRORS rows)."""
    buffer = io.StringIO()
    out = csvfile.writer(buffer)
    buffer.write("\ufeff")  # so spreadsheet programs read the UTF-8
    with path.open(encoding="utf-8-sig", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            # file, line, column, value, reason; the first row is the header.
            if i and len(row) == 5:
                row[3] = error_value_shown(run.kind, row[2], row[3])
            out.writerow(row)
            if buffer.tell() >= size:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


@login_required
@require_safe
def import_report_view(request: AuthenticatedRequest, pk: int) -> StreamingHttpResponse:
    run = import_run_get(user=request.user, run_id=pk)
    path = error_report_path(run.pk)
    if not path.exists():
        raise Http404(_("This run rejected no rows."))
    stem = run.file_name.rsplit(".", 1)[0] or "import"
    response = StreamingHttpResponse(
        _report_chunks(run, path), content_type="text/csv; charset=utf-8"
    )
    filename = f"{stem}-errors-run{run.pk}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
