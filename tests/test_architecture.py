"""The package's shape: data flows one way through the stages, with no import cycles.

Each module belongs to a stage (its sub-package, or a foundation module at the top);
a module may import from its own stage or an earlier one, never a later one, and the
module graph has no cycles. Imports under `if TYPE_CHECKING:` are annotations only and
are not counted; imports inside functions are (they are still a dependency).
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ENGINE = pathlib.Path(__file__).resolve().parent.parent / "engine"

# Earlier first. A module may import only from its own stage or one above it here.
STAGES = [
    "engine.i18n",
    "engine.errors",
    "engine.extras",
    "engine.numbers",
    "engine.limits",
    "engine.calendar",
    "engine.privacy",
    "engine.vocabulary",
    "engine.dsl",
    "engine.policy",
    "engine.ledger",
    "engine.evaluation",
    "engine.columnar",
    "engine.report",
    "engine.compare",
    "engine.testing",
    "engine.screen",
    "engine.serve",
    "engine.output",
    "engine.api",
    "engine.cli",
    "engine",  # the package's own __init__: the public API, resolved lazily
]


def _name(path: pathlib.Path) -> str:
    rel = path.relative_to(ENGINE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _stage(module: str) -> int:
    best = -1
    for i, s in enumerate(STAGES):
        if (module == s or module.startswith(s + ".")) and (best < 0 or len(s) > len(STAGES[best])):
            best = i
    assert best >= 0, f"module {module} belongs to no stage: add it to STAGES"
    return best


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for n in ast.walk(inner):
                    skip.add(id(n))
    return skip


def _imports(path: pathlib.Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    skip = _type_checking_blocks(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("engine"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("engine"):
                continue
            for a in node.names:  # `from engine.x import y`: y may be a module
                sub = f"{target}.{a.name}"
                out.add(sub if sub in MODULES else target)
    return {m for m in out if m != module}


MODULES = {_name(p): p for p in ENGINE.rglob("*.py")}
GRAPH = {m: _imports(p, m) for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_from_a_later_stage(module):
    mine = _stage(module)
    later = sorted(t for t in GRAPH[module] if t in MODULES and t != "engine" and _stage(t) > mine)
    assert not later, f"{module} (stage {STAGES[mine]}) imports from later stages: {later}"


def test_no_import_cycles():
    graph = {m: {t for t in ts if t in MODULES and t != "engine"} for m, ts in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    assert not cycles, f"import cycles: {cycles}"


def test_the_guard_sees_a_backward_import(tmp_path):
    """The check itself can fail: a policy module importing the evaluator is caught."""
    p = tmp_path / "x.py"
    p.write_text("from engine.evaluation.fold import evaluate\n")
    found = _imports(p, "engine.policy.x")
    assert "engine.evaluation.fold" in found
    assert _stage("engine.evaluation.fold") > _stage("engine.policy.x")


def test_public_api_gives_functions():
    import engine
    from engine import diff, evaluate, load_policy, read_ledger

    for f in (load_policy, read_ledger, evaluate, diff):
        assert callable(f) and f.__class__.__name__ == "function", f
    # importing every stage does not turn the API's names into modules
    import engine.compare.diff  # noqa: F401
    import engine.evaluation.fold  # noqa: F401

    assert engine.evaluate.__class__.__name__ == "function"


def test_packaged_schema_is_the_published_one():
    published = (ENGINE.parent / "schema" / "policy.schema.json").read_bytes()
    packaged = (ENGINE / "policy" / "policy.schema.json").read_bytes()
    assert packaged == published, "copy schema/policy.schema.json to engine/policy/"


def test_the_architecture_page_draws_every_stage():
    # docs/architecture.md's table is "the drawing" a newcomer reads to find a stage's
    # room: a stage missing from it (serve/ and output.py were) is a room nobody finds.
    # Each stage's folder (`serve/`) or module (`output.py`) is named in the table, in
    # STAGES' order.
    page = (ENGINE.parent / "docs" / "architecture.md").read_text("utf-8")
    table = page.split("## The stages", 1)[1].split("\n\n", 2)[1]
    places = []
    for s in STAGES[:-1]:  # (the last is the package's own __init__)
        name = s.removeprefix("engine.")
        room = f"`{name}/`" if (ENGINE / name).is_dir() else f"`{name}.py`"
        assert room in table, f"docs/architecture.md's stages table does not name {room}"
        places.append(table.index(room))
    assert places == sorted(places), "the table's order is not STAGES' order"
