"""The CLI is a thin layer over engine/api.py (docs/architecture.md; issue 12's
review: the diff command imported engine.compare directly). A stage whose work the
API already offers is reached through the API, so that the CLI and a notebook run
the same code."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parent.parent / "engine" / "cli.py"
# stages the CLI reaches only through engine/api.py
THROUGH_THE_API = ("engine.compare",)


def test_the_cli_reaches_compare_through_the_api():
    found = []
    for node in ast.walk(ast.parse(CLI.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [
            f"line {node.lineno}: {n}"
            for n in names
            if any(n == s or n.startswith(s + ".") for s in THROUGH_THE_API)
        ]
    assert not found, f"engine/cli.py imports {found}: call engine/api.py instead"
