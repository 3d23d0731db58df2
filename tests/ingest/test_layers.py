"""The importers sit below insights: a committed import is announced, not handed to insights."""

from __future__ import annotations

import ast
from pathlib import Path

import bankcrm.ingest


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_ingest_module_imports_insights():
    root = Path(bankcrm.ingest.__file__).parent
    found = [
        f"{path.relative_to(root)}: {name}"
        for path in sorted(root.rglob("*.py"))
        for name in _imported_modules(path)
        if name == "bankcrm.insights" or name.startswith("bankcrm.insights.")
    ]
    assert found == []
