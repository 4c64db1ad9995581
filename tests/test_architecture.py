"""Structural rules of the code base that reviews keep forgetting."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for pkg in ("spatial", "layers")
        for p in (ROOT / pkg).rglob("*.py")
        if {"streamlit", "streamlit_folium", "ui"} & _imports(p)
    ]
    assert offenders == []

