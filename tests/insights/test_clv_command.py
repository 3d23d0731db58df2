"""`bankcrm analytics clv` on a raw transaction log: the CDNOW sample reproduces the paper."""

from __future__ import annotations

import importlib.util
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def cdnow_log() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        pytest.skip("the Lifetimes package (dev dependency) carries the CDNOW data")
    return Path(spec.origin).parent / "datasets" / "CDNOW_sample.txt"


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", "clv", *args, stdout=out)
    return out.getvalue()


def test_cdnow_sample_from_raw_transactions_reproduces_the_published_fit():
    # Whitespace-delimited, no header: customer id, sample id, YYYYMMDD, CDs, amount.
    payload = json.loads(
        run(
            str(cdnow_log()),
            "--customer",
            "1",
            "--date",
            "3",
            "--amount",
            "5",
            "--calibration-end",
            "1997-09-30",
            "--json",
        )
    )
    b, g = payload["bgnbd"], payload["gamma_gamma"]
    assert payload["customers"] == 2357
    assert [round(b[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert round(b["log_likelihood"], 1) == -9582.4
    assert [round(g[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]
    h = payload["holdout"]
    assert h["weeks"] == 39.0 and h["actual"] > 0
    # The model tracks the hold-out within 15% in total, and its conditional expectations
    # rise with calibration frequency as the actual ones do.
    assert abs(h["predicted"] - h["actual"]) / h["actual"] < 0.15
    predicted = [row["predicted"] for row in h["by_frequency"]]
    assert predicted == sorted(predicted) and h["by_frequency"][-1]["frequency"] == "7+"


def test_header_names_commas_and_other_date_formats(tmp_path):
    source = cdnow_log().read_text().split("\n")
    rows = ["客户,日期,金额"]
    for line in source[:3000]:
        if line.strip():
            cid, _sid, day, _n, amount = line.split()
            rows.append(f'{cid},{day[:4]}/{int(day[4:6])}/{int(day[6:])},"{float(amount):,.2f}"')
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows), encoding="utf-8-sig")
    text = run(str(path), "--customer", "客户", "--date", "日期", "--amount", "金额")
    assert "BG/NBD" in text and "Gamma-Gamma" in text and "Hold-out" not in text


def test_errors_name_the_file_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,day,value\n1,2024-01-01,10\n1,not-a-date,5\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad.csv: row 2: 'not-a-date' is not a date"):
        run(str(path), "--customer", "id", "--date", "day", "--amount", "value")
    with pytest.raises(CommandError, match="no column 'amount'"):
        run(str(path), "--customer", "id", "--date", "day", "--amount", "amount")
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "missing.csv"), "--customer", "1", "--date", "2", "--amount", "3")
