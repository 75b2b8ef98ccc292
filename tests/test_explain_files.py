"""`evaluate --explain` with no --output (api.explain_files): the ledger folded as
it is read and only the people asked about finished (issue 15 §3: --explain held the
whole ledger and everyone's outcome to print a few stories). The stories and the
warnings are those of the whole evaluation, person for person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine import api

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2025, 12, 31)


@pytest.mark.parametrize(
    "city,people",
    [
        ("jining", ["JN0199", "JN0226", "JN0137", "JN0205", "JN0263"]),
        ("zhanjiang", ["ZJ0030", "ZJ0047", "ZJ0282", "ZJ0001"]),
    ],
)
def test_the_stories_are_the_whole_evaluations(city, people):
    args = (
        str(ROOT / "policies" / f"{city}.yaml"),
        str(ROOT / "examples" / city / "events.csv"),
        str(ROOT / "examples" / city / "roster.csv"),
        AS_OF,
    )
    whole = api.evaluate_files(*args, explain=people)
    few, known = api.explain_files(*args, people)
    assert known == {p.person for p in whole.people}
    assert [p.person for p in few.people] == [p for p in people if p in known]
    for person in people:
        assert api.explain(few, person) == api.explain(whole, person)
    assert few.warnings() == whole.warnings()


def test_someone_unknown_is_left_out_and_known_is_everyone(tmp_path):
    events = tmp_path / "e.csv"
    events.write_text("person,date,items\nP1,2024-05-01,C1\nP2,2024-06-01,A1\n", "utf-8")
    few, known = api.explain_files(
        str(ROOT / "policies" / "jining.yaml"), str(events), None, AS_OF, ["P1", "P9"]
    )
    assert known == {"P1", "P2"}
    assert [p.person for p in few.people] == ["P1"] and set(few.traces) == {"P1"}


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_explain_beside_a_report_written_as_it_goes(tmp_path, fmt):
    """`--explain P -o FILE`: the report byte for byte the one without --explain, the
    stories those --explain prints alone, the report made as it goes (report_files)."""
    from click.testing import CliRunner

    from engine.cli import cli

    args = [
        "evaluate",
        "--policy",
        str(ROOT / "policies" / "jining.yaml"),
        "--events",
        str(ROOT / "examples" / "jining" / "events.csv"),
        "--roster",
        str(ROOT / "examples" / "jining" / "roster.csv"),
        "--as-of",
        "2025-12-31",
        "--format",
        fmt,
    ]
    people = ["--explain", "JN0199", "--explain", "JN0263"]
    plain, told = tmp_path / f"plain.{fmt}", tmp_path / f"told.{fmt}"
    assert CliRunner().invoke(cli, [*args, "-o", str(plain)]).exit_code == 0
    both = CliRunner().invoke(cli, [*args, *people, "-o", str(told)])
    alone = CliRunner().invoke(cli, [*args, *people])
    assert both.exit_code == 0 and alone.exit_code == 0, both.output
    assert told.read_bytes() == plain.read_bytes()
    assert both.stdout == alone.stdout and "JN0199" in both.stdout and "JN0263" in both.stdout
    wrong = CliRunner().invoke(cli, [*args, "--explain", "JN019", "-o", str(told)])
    assert wrong.exit_code == 1 and "did you mean" in wrong.stderr
