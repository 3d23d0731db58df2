"""Chart labels from data are text, never HTML (issue 15, finding 12): Plotly turns an
``<a href>`` in a label into a clickable link."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal

import pytest

from bankcrm.web.charts import bar_chart, line_chart, pie_chart, scatter_chart
from tests.factories import BranchFactory, CustomerFactory

EVIL = '<a href="https://evil.example/">Head Office</a>'


def _texts(fig: str) -> list[str]:
    spec = json.loads(fig)
    out = [spec["layout"]["title"]["text"]]
    for trace in spec["data"]:
        for key in ("x", "y", "labels"):
            out += [v for v in trace.get(key, []) if isinstance(v, str)]
        out += [trace["name"]] if "name" in trace else []
    return out


def test_every_chart_escapes_the_labels_it_is_given():
    figs = [
        bar_chart([EVIL], [1], title="t"),
        bar_chart([EVIL], [1], title="t", horizontal=True),
        pie_chart([EVIL], [1], title="t"),
        line_chart([EVIL], [1], title=EVIL),
        scatter_chart([0.1], [0.2], title=EVIL),
    ]
    for fig in figs:
        texts = _texts(fig)
        assert not [t for t in texts if "<" in t], fig
        assert html.escape(EVIL, quote=False) in texts


@pytest.mark.django_db
def test_a_branch_named_like_a_link_is_shown_as_text_on_the_dashboard(bank, login):
    evil = BranchFactory(code="EV", name_zh=EVIL, name_en=EVIL, parent=bank.head)
    CustomerFactory(branch=evil, rm=bank.rm, aum=Decimal("1000000"))
    page = login(bank.admin).get("/").content.decode()
    figures = [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', page)]
    labels = [v for f in figures for t in f["data"] for v in t.get("y", []) if isinstance(v, str)]
    assert html.escape(EVIL, quote=False) in labels
    assert not [v for v in labels if "<a" in v]
