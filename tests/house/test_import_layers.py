"""The layers of the house, checked over every import in src/ (function-local ones too).

Imports only go down: core → domain apps → insights → the customer read model → pages, API
and tools. An app's pages (views, urls, commands, template tags) sit at the top whatever
the app; `analytics/` is pure and only insights and the domain apps' model code use it.
docs/architecture.md explains the layers; a new app adds one line to LAYERS.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "bankcrm"

# Rank of each app's non-page modules: a module may import a lower rank or its own app.
# Apps of one rank are siblings and import neither way.
LAYERS: dict[str, int] = {
    "core": 0,
    # The job engine: every app above it runs its background work through it.
    "jobs": 1,
    "access": 2,
    "customers": 3,
    "banking": 4,
    "interactions": 4,
    # Messages to customers (email, SMS, WeChat, push, RM call list) through one interface and
    # the outbox; consent is checked here, on every send.
    "channels": 5,
    # Complaints, service requests and surveys: reads customers, holdings and the timeline,
    # opens follow-up tasks, sends surveys through the channels.
    "service": 6,
    "ingest": 7,
    # Points earned from imported transactions, survey answers and (from above) campaigns.
    "loyalty": 8,
    # The churn model reads the service and loyalty signals.
    "insights": 9,
    # Audiences use the stored scores.
    "marketing": 10,
    # Leads and opportunities: next best products, campaign responses, tickets.
    "sales": 11,
    # The customer read model: above every app whose data the 360 gathers.
    "profile": 12,
}
# Whole packages at the top: the HTTP API, the page frame, the demo bank generator, the CLI.
TOP = {"api", "web", "demo", "cli", "urls", "settings", "wsgi", "__main__", "celery_app"}
PURE = "analytics"
# Modules that are pages or commands, in any app.
PAGE_MODULES = {"views", "urls", "page_urls", "admin", "context_processors"}
TOP_RANK = 99


def _module_name(path: Path) -> str:
    return ".".join(("bankcrm", *path.relative_to(SRC).with_suffix("").parts))


def _rank(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "bankcrm":
        return None
    app = parts[1]
    if app == "core":  # below every domain, its commands included
        return LAYERS["core"]
    if app in TOP or app == PURE:
        return TOP_RANK if app in TOP else -1
    if any(p.endswith("_views") or p in PAGE_MODULES for p in parts[2:]) or (
        "management" in parts or "templatetags" in parts
    ):
        return TOP_RANK
    return LAYERS.get(app, TOP_RANK)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return [(line, name) for line, name in out if name.split(".")[0] in {"bankcrm", "django"}]


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _app(module: str) -> str:
    return module.split(".")[1]


def _violations() -> list[str]:
    found = []
    for path in _sources():
        me = _module_name(path)
        mine = _rank(me)
        for line, target in _imports(path):
            where = f"{path.relative_to(SRC.parent)}:{line} imports {target}"
            if _app(me) == PURE:
                if target.startswith(("django", "bankcrm.")) and _app(target) != PURE:
                    found.append(f"{where} (analytics is pure)")
                continue
            if not target.startswith("bankcrm.") or _app(target) == _app(me):
                continue
            theirs = _rank(target)
            if theirs == -1:  # analytics: for insights and the domains' model code
                if mine is not None and mine >= LAYERS["customers"] and mine <= LAYERS["insights"]:
                    continue
                found.append(f"{where} (only insights and domain apps use analytics)")
            elif mine is not None and mine < TOP_RANK and theirs is not None and theirs >= mine:
                found.append(f"{where} (rank {mine} may not import rank {theirs})")
    return found


def test_imports_only_go_down_the_layers():
    assert _violations() == []


def test_every_app_has_a_place_in_the_layers():
    apps = {p.parent.name for p in SRC.glob("*/apps.py")}
    modules = {p.stem for p in SRC.glob("*.py")} - {"__init__"}
    assert (apps | modules) - set(LAYERS) - TOP == set()


@pytest.mark.parametrize(
    ("module", "target", "allowed"),
    [
        ("bankcrm.core.pii", "bankcrm.customers.models", False),
        ("bankcrm.core.management.commands.pii", "bankcrm.customers.encryption", False),
        ("bankcrm.customers.selectors", "bankcrm.insights.selectors", False),
        ("bankcrm.banking.selectors", "bankcrm.interactions.models", False),
        ("bankcrm.profile", "bankcrm.banking.selectors", True),
        ("bankcrm.customers.views", "bankcrm.profile", True),
        ("bankcrm.ingest.management.commands.import", "bankcrm.insights.runs", True),
    ],
)
def test_the_rule_itself_tells_down_from_up(module, target, allowed):
    mine, theirs = _rank(module), _rank(target)
    assert mine is not None and theirs is not None
    assert (theirs < mine) is allowed
