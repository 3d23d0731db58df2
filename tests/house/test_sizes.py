"""No grab-bags: a module stays under 800 lines and a function under 80, where a reader would
rather see named steps. `python tests/house/test_sizes.py` prints the largest of each."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "bankcrm"
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
# Functions that are long by nature, not by a missing step, and why.
LONG_BY_NATURE: dict[str, str] = {
    "add_arguments": "a command's option declarations, one after another",
}


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def module_sizes() -> list[tuple[int, str]]:
    return sorted(
        (
            (len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(SRC.parent)))
            for p in _sources()
        ),
        reverse=True,
    )


def function_sizes() -> list[tuple[int, str]]:
    out = []
    for p in _sources():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                out.append((length, f"{p.relative_to(SRC.parent)}:{node.lineno} {node.name}"))
    return sorted(out, reverse=True)


def test_no_module_over_the_limit():
    assert [m for m in module_sizes() if m[0] > MAX_MODULE_LINES] == []


def test_no_function_over_the_limit():
    long = [
        f
        for f in function_sizes()
        if f[0] > MAX_FUNCTION_LINES and f[1].rsplit(" ", 1)[1] not in LONG_BY_NATURE
    ]
    assert long == []


if __name__ == "__main__":
    for title, rows in (("modules", module_sizes()), ("functions", function_sizes())):
        print(f"largest {title} (lines):")
        for n, where in rows[:5]:
            print(f"  {n:5d}  {where}")
