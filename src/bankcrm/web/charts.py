"""Plotly figures as JSON specs, drawn in the page by static/web/charts.js (no inline script)."""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

PALETTE = ["#1f5f8b", "#c8102e", "#2a9d8f", "#e9c46a", "#8d6cab", "#f4a261", "#6c757d"]


def _num(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _label(v: Any) -> Any:
    """A label from data (a branch's name, a category): Plotly reads a subset of HTML in text
    (``<a href>`` becomes a link), so every label is escaped and shows as typed."""
    return html.escape(v, quote=False) if isinstance(v, str) else _num(v)


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": html.escape(title, quote=False), "font": {"size": 14}},
        "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
        "height": 280,
        "font": {"family": "system-ui, 'WenQuanYi Zen Hei', sans-serif"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "yaxis": {"tickprefix": "¥", "separatethousands": True, "gridcolor": "#e5e5e5"},
    }
    layout.update(extra)
    return layout


def line_chart(x: Sequence[Any], y: Sequence[Any], *, title: str, money: bool = True) -> str:
    layout = _layout(title)
    if x and isinstance(x[0], dt.date):
        # Numbers, not month names: Plotly names months in English whatever the page's
        # language, and 2026-03 reads the same in both.
        layout["xaxis"] = {"tickformat": "%Y-%m", "hoverformat": "%Y-%m"}
    if not money:
        layout["yaxis"] = {"gridcolor": "#e5e5e5"}
    fig = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [_label(v) for v in x],
                "y": [_num(v) for v in y],
                "line": {"color": PALETTE[0], "width": 2},
                "marker": {"size": 4},
                "hovertemplate": "%{x|%Y-%m}: ¥%{y:,.2f}<extra></extra>",
            }
        ],
        "layout": layout,
    }
    return json.dumps(fig)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Any],
    *,
    title: str,
    horizontal: bool = False,
    money: bool = True,
) -> str:
    vals = [_num(v) for v in values]
    trace: dict[str, Any] = {"type": "bar", "marker": {"color": PALETTE[0]}}
    value_axis = (
        {"tickprefix": "¥", "separatethousands": True, "gridcolor": "#e5e5e5"}
        if money
        else {"gridcolor": "#e5e5e5"}
    )
    if horizontal:
        trace.update({"x": vals, "y": [_label(v) for v in labels], "orientation": "h"})
        # Long labels (feature names, Chinese segment names) get the room they need.
        layout = _layout(title, xaxis=value_axis, yaxis={"automargin": True})
        layout["margin"] = {"l": 10, "r": 10, "t": 40, "b": 40}
        layout["height"] = max(280, 24 * len(labels) + 80)
    else:
        trace.update({"x": [_label(v) for v in labels], "y": vals})
        layout = _layout(title, yaxis=value_axis, xaxis={"automargin": True, "tickangle": -30})
    return json.dumps({"data": [trace], "layout": layout})


def pie_chart(labels: Sequence[str], values: Sequence[Any], *, title: str) -> str:
    fig = {
        "data": [
            {
                "type": "pie",
                "labels": [_label(v) for v in labels],
                "values": [_num(v) for v in values],
                "hole": 0.45,
                "marker": {"colors": PALETTE},
                "textinfo": "percent",
            }
        ],
        "layout": _layout(title, showlegend=True, yaxis={}),
    }
    return json.dumps(fig)


def scatter_chart(x: Sequence[Any], y: Sequence[Any], *, title: str, diagonal: bool = False) -> str:
    """Points (e.g. a calibration plot); ``diagonal`` adds the y = x reference line."""
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [_num(v) for v in x],
            "y": [_num(v) for v in y],
            "line": {"color": PALETTE[0]},
            "name": html.escape(title, quote=False),
        }
    ]
    if diagonal:
        top = max([*map(float, x), *map(float, y), 0.01])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [0, top],
                "y": [0, top],
                "line": {"color": "#aaa", "dash": "dot"},
                "showlegend": False,
            }
        )
    layout = _layout(title, yaxis={"gridcolor": "#e5e5e5"}, showlegend=False)
    return json.dumps({"data": traces, "layout": layout})
