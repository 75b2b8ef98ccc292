"""Personal data (issue 22 §3): `--redact` in every output format, columns the policy does
not read never kept, and no personal data in what the CLI prints on standard error.

The ledger is Jining's example (examples/jining) with two columns a bureau's export
carries and the policy never reads, in both files: the practitioner's name and ID
number (身份证号). Codes (`JN0199`), event ids (`JN-E0001`), names (`郝0199明`) and
ID numbers are spelt so that none can occur by chance in a pseudonym (base32 has
no 0, 1, 8 or 9) or in the tool's own text, so a search for them that finds nothing
means they are not there.

What "redacted" must mean, format by format: not one code, event id, name or ID
number of the ledger in the output; the pseudonym of every person the output
speaks of in their place; and, where the output is data (json, csv, intervals,
screen), the same data as without --redact once the codes are put through the
same pseudonyms: redaction replaces codes, it changes no finding.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.errors import PolicyctlError
from engine.privacy import pseudonyms as pseudo_mod
from engine.privacy.pseudonyms import KeyProblem, Pseudonyms, load_key

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "jining"
POLICY = str(ROOT / "policies" / "jining.yaml")
ZHANJIANG = str(ROOT / "policies" / "zhanjiang.yaml")
MAP = str(ROOT / "policies" / "maps" / "jining-to-zhanjiang.yaml")
KEY = "k3y-for-tests-only-0123456789abcdef"
AS_OF = "2025-12-31"


def name_of(code: str) -> str:
    return f"郝{code[-4:]}明"


def id_number_of(code: str) -> str:
    return f"37080019800101{code[-4:]}"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> dict:
    """The example ledger with a name and an ID number column in both files, claims for
    the screen, and what a search must not find."""
    d = tmp_path_factory.mktemp("privacy")
    with (EXAMPLE / "events.csv").open(encoding="utf-8") as f:
        events = list(csv.DictReader(f))
    with (EXAMPLE / "roster.csv").open(encoding="utf-8") as f:
        roster = list(csv.DictReader(f))
    for row in events + roster:
        code = row["person"]
        row["name"] = name_of(code) if code else ""
        row["id_number"] = id_number_of(code) if code else ""
    for path, rows in (("events.csv", events), ("roster.csv", roster)):
        with (d / path).open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    # a claim line a month for every practitioner, with a patient's identity beside it
    claims = d / "claims.csv"
    with claims.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["claim_id", "person", "institution", "date", "amount", "visit", "patient_name"])
        n = 0
        for r in roster:
            for month in range(1, 13):
                n += 1
                w.writerow(
                    [
                        f"C{n:06d}",
                        r["person"],
                        r["institution"],
                        f"2025-{month:02d}-15",
                        "120.50",
                        "outpatient",
                        "病人" + r["person"][-4:],
                    ]
                )
    people = {r["person"] for r in roster} | {e["person"] for e in events if e["person"]}
    ids = {e["id"] for e in events}
    secrets = (
        people
        | ids
        | {name_of(c) for c in people}
        | {id_number_of(c) for c in people}
        | {"病人" + c[-4:] for c in people}
    )
    institutions = {r["institution"] for r in roster}
    return {
        "dir": d,
        "events": str(d / "events.csv"),
        "roster": str(d / "roster.csv"),
        "claims": str(claims),
        "people": people,
        "ids": ids,
        "institutions": institutions,
        "secrets": secrets,
    }


def run(*args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, list(args), env={"POLICYCTL_REDACT_KEY": KEY, **(env or {})})
    return result


def inputs(ledger, policy: str | None = POLICY) -> list[str]:
    """--policy (unless None: diff takes two as arguments), --events, --roster, --as-of."""
    given = ["--policy", policy] if policy else []
    return [*given, "--events", ledger["events"], "--roster", ledger["roster"], "--as-of", AS_OF]


TOKEN = re.compile(r"[A-Za-z0-9_\-]+|[\u4e00-\u9fff0-9]+")


@pytest.fixture
def screen_args(ledger) -> list[str]:
    """`policyctl screen` on the example ledger and its claims."""
    return ["screen", *inputs(ledger), "--claims", ledger["claims"]]


def leaks(text: str, ledger) -> set[str]:
    """The ledger's codes, ids, names and ID numbers found in a text."""
    found = {s for s in ledger["secrets"] if s in text}
    return found


def ps(institutions: bool = False) -> Pseudonyms:
    return Pseudonyms(KEY.encode(), institutions)


# ---- the pseudonyms themselves -------------------------------------------------------------


def test_a_pseudonym_is_stable_keyed_and_kept_apart_by_kind():
    a, b = ps(), ps()
    assert a.person("JN0199") == b.person("JN0199")  # another run, the same key
    assert re.fullmatch(r"P-[A-Z2-7]{12}", a.person("JN0199"))
    assert re.fullmatch(r"E-[A-Z2-7]{12}", a.event("JN-E0001"))
    other = Pseudonyms(b"another key of enough length")
    assert other.person("JN0199") != a.person("JN0199")
    # a code that is a person's and an event's is two pseudonyms, unrelated
    assert a.person("X1")[2:] != a.event("X1")[2:]
    # institutions are kept unless asked for
    assert a.institution("JNH01") == "JNH01"
    assert re.fullmatch(r"H-[A-Z2-7]{12}", ps(institutions=True).institution("JNH01"))
    assert a.person("") == "" and a.institution(None) is None


def test_a_pseudonym_is_a_keyed_hash_not_a_plain_one():
    # HMAC-SHA256 as the module documents it, so that another tool holding the key can
    # make the same pseudonyms (and nobody without it can)
    import base64
    import hashlib
    import hmac

    mac = hmac.new(KEY.encode(), b"person\x1fJN0199", hashlib.sha256).digest()
    assert ps().person("JN0199") == "P-" + base64.b32encode(mac).decode()[:12]
    plain = base64.b32encode(hashlib.sha256(b"person\x1fJN0199").digest()).decode()[:12]
    assert ps().person("JN0199") != "P-" + plain


def test_two_codes_never_share_a_pseudonym_silently(monkeypatch):
    monkeypatch.setattr(pseudo_mod, "LENGTH", 1)  # 32 pseudonyms: the 33rd code must collide
    p = ps()
    with pytest.raises(PolicyctlError) as e:
        for n in range(40):
            p.person(f"JN{n:04d}")
    assert e.value.first.code == "redact-collision"


def test_the_key_comes_from_a_file_or_the_environment_and_is_long_enough(tmp_path):
    f = tmp_path / "key"
    f.write_bytes(KEY.encode() + b"\n")
    assert load_key(str(f), {}) == KEY.encode()
    assert load_key(None, {"POLICYCTL_REDACT_KEY": KEY}) == KEY.encode()
    assert load_key(str(f), {"POLICYCTL_REDACT_KEY": "other" * 5}) == KEY.encode()  # file first
    for path, env, says in (
        (None, {}, "needs a key"),
        (str(tmp_path / "missing"), {}, "cannot read"),
        (None, {"POLICYCTL_REDACT_KEY": "short"}, "at least 16"),
    ):
        with pytest.raises(KeyProblem) as e:
            load_key(path, env)
        assert e.value.first.code == "redact-key" and says in e.value.first.message


def test_the_cli_refuses_redact_without_a_key_and_never_shows_the_key(ledger, tmp_path):
    res = CliRunner().invoke(cli, ["evaluate", *inputs(ledger), "--redact"], env={})
    assert res.exit_code == 2 and "--redact needs a key" in res.output
    weak = tmp_path / "weak"
    weak.write_text("abc123secret")
    res = run("evaluate", *inputs(ledger), "--redact", "--redact-key-file", str(weak))
    assert res.exit_code == 2 and "at least 16" in res.output
    assert "abc123secret" not in res.output
    res = run("evaluate", *inputs(ledger), "--redact-key-file", str(weak))
    assert res.exit_code == 2 and "--redact-key-file needs --redact" in res.output


# ---- columns the policy does not read ------------------------------------------------------


def test_columns_the_policy_does_not_read_are_not_kept(ledger):
    from engine.ledger.read import read_ledger
    from engine.policy.loader import load_policy

    policy = load_policy(POLICY)
    led = read_ledger(ledger["events"], policy, ledger["roster"])
    # Jining reads person.birth_date (三(三)'s test form), nothing of the events
    assert {k for e in led.events for k in e.attrs} == set()
    assert {k for p in led.roster.values() for k in p.attrs} == {"birth_date"}


def test_an_event_column_the_policy_reads_is_kept(tmp_path):
    from engine.ledger.read import read_events
    from engine.policy.loader import load_policy

    text = (ROOT / "policies" / "jining.yaml").read_text("utf-8")
    # the same policy with A1's points read from a column (a made-up use, to make it read one)
    old = "  - code: A1\n    points: 1\n"
    assert text.count(old) == 1
    text = text.replace(old, '  - code: A1\n    points: if event.severity == "x" then 1 else 1\n')
    (tmp_path / "p.yaml").write_text(text, "utf-8")
    policy = load_policy(tmp_path / "p.yaml", provenance_checks=False)
    ev = tmp_path / "e.csv"
    ev.write_text("person,date,items,severity,name\nP1,2024-05-01,A1,x,郝某\n", "utf-8")
    (e,) = read_events(str(ev), policy)
    assert e.attrs == {"severity": "x"}


# ---- --redact in every format --------------------------------------------------------------


def plain_and_redacted(ledger, *args: str) -> tuple[str, str]:
    plain = run(*args)
    assert plain.exit_code == 0, plain.output
    red = run(*args, "--redact")
    assert red.exit_code == 0, red.output
    return plain.stdout, red.stdout


def mapped_person_record(p: dict, m: Pseudonyms) -> dict:
    p = json.loads(json.dumps(p))
    p["person"] = m.person(p["person"])
    for a in p["actions"]:
        a["events"] = sorted(m.event(e) for e in a["events"])
    for r in p.get("reapplications", []):
        r["event"] = m.event(r["event"])
    return p


def test_json_is_the_same_report_with_codes_replaced(ledger):
    plain, red = plain_and_redacted(ledger, "evaluate", *inputs(ledger))
    assert not leaks(red, ledger)
    a, b = json.loads(plain), json.loads(red)
    m = ps()
    want = sorted((mapped_person_record(p, m) for p in a["people"]), key=lambda p: p["person"])
    # (a same-day step lists its findings by id, and the ids are now pseudonyms: the
    # same findings, in another order)
    for p in b["people"]:
        for act in p["actions"]:
            act["events"] = sorted(act["events"])
    assert b["people"] == want  # and in the pseudonyms' order, not the codes'
    assert [p["person"] for p in b["people"]] == sorted(m.person(c) for c in ledger["people"])
    # institution codes kept unless asked; every event id replaced, an institution's too
    for i in a["institutions"]:
        for act in i["actions"]:
            act["events"] = [m.event(e) for e in act.get("events", [])]
    assert b["institutions"] == a["institutions"]


def test_jsonl_and_csv(ledger, tmp_path):
    plain, red = plain_and_redacted(ledger, "evaluate", *inputs(ledger), "--format", "jsonl")
    assert not leaks(red, ledger)
    m = ps()
    people = [json.loads(x) for x in red.splitlines() if '"person"' in x]
    assert {p["person"] for p in people} == {m.person(c) for c in ledger["people"]}

    plain, red = plain_and_redacted(ledger, "evaluate", *inputs(ledger), "--format", "csv")
    assert not leaks(red, ledger)
    rows = list(csv.DictReader(io.StringIO(plain)))
    for r in rows:
        r["person"] = m.person(r["person"])
    key = lambda r: (r["person"], r["period"])  # noqa: E731
    assert sorted(csv.DictReader(io.StringIO(red)), key=key) == sorted(rows, key=key)

    out = tmp_path / "people.csv"
    res = run(
        "evaluate",
        *inputs(ledger),
        "--format",
        "csv",
        "-o",
        str(out),
        "--redact",
        "--redact-institutions",
    )
    assert res.exit_code == 0, res.output
    for f in (out, tmp_path / "people.institutions.csv"):
        text = f.read_text("utf-8-sig")
        assert not leaks(text, ledger)
        assert not {i for i in ledger["institutions"] if i in text}


def test_table_and_explain(ledger):
    plain, red = plain_and_redacted(
        ledger, "evaluate", *inputs(ledger), "--format", "table", "--all"
    )
    assert not leaks(red, ledger)
    assert ps().person("JN0199") in red
    # the operator asks for a person by the code they know; the story names the pseudonym
    plain, red = plain_and_redacted(ledger, "evaluate", *inputs(ledger), "--explain", "JN0199")
    assert not leaks(red, ledger)
    assert ps().person("JN0199") in red
    assert len(red.splitlines()) == len(plain.splitlines())
    res = run("evaluate", *inputs(ledger), "--explain", "JN9999", "--redact")
    assert res.exit_code == 1 and "did you mean" not in res.output


def test_xlsx(ledger, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "r.xlsx"
    res = run("evaluate", *inputs(ledger), "--format", "xlsx", "-o", str(out), "--redact")
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    text = "\n".join(
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
    )
    assert not leaks(text, ledger)
    assert ps().person("JN0199") in text


def test_intervals_csv_and_parquet(ledger, tmp_path):
    plain, red = plain_and_redacted(ledger, "evaluate", *inputs(ledger), "--format", "intervals")
    assert not leaks(red, ledger)
    m = ps()
    rows = list(csv.DictReader(io.StringIO(plain)))
    for r in rows:
        r["person"] = m.person(r["person"])
    key = lambda r: tuple(r.values())  # noqa: E731
    assert sorted(csv.DictReader(io.StringIO(red)), key=key) == sorted(rows, key=key)
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "i.parquet"
    res = run("evaluate", *inputs(ledger), "--format", "intervals", "-o", str(out), "--redact")
    assert res.exit_code == 0, res.output
    assert not leaks(json.dumps(pq.read_table(out).to_pylist(), default=str), ledger)


def test_report_html(ledger, tmp_path):
    out = tmp_path / "r.html"
    res = run("report", *inputs(ledger), "-o", str(out), "--redact", "--person", "JN0199")
    assert res.exit_code == 0, res.output
    page = out.read_text("utf-8")
    assert not leaks(page, ledger)
    assert ps().person("JN0199") in page


def test_diff_events(ledger):
    args = ["diff", POLICY, ZHANJIANG, "--map", MAP, *inputs(ledger, None)]
    for fmt in ("text", "json", "markdown"):
        plain = run(*args, "--format", fmt)
        red = run(*args, "--format", fmt, "--redact")
        assert plain.exit_code == red.exit_code == 1, red.output
        assert not leaks(red.stdout, ledger), fmt
    a = json.loads(run(*args, "--format", "json").stdout)
    b = json.loads(run(*args, "--format", "json", "--redact").stdout)
    m = ps()
    assert sorted(m.person(x["person"]) for x in a["impact"]["people_moved"]) == [
        x["person"] for x in b["impact"]["people_moved"]
    ]
    assert a["impact"]["status_moves"] == b["impact"]["status_moves"]


def test_screen(ledger, screen_args, tmp_path):
    args = screen_args
    plain = run(*args)
    red = run(*args, "--redact", "--redact-institutions")
    assert plain.exit_code == red.exit_code == 0, red.output
    assert not leaks(red.stdout, ledger)
    assert not {i for i in ledger["institutions"] if i in red.stdout}
    a, b = json.loads(plain.stdout), json.loads(red.stdout)
    assert a["lines"], "the claims should meet some suspended practitioner"
    m = ps(institutions=True)
    for line in a["lines"]:
        line["person"], line["institution"] = (
            m.person(line["person"]),
            m.institution(line["institution"]),
        )
    key = lambda r: (r["institution"], r["person"], r["date"], r["claim_id"], r["rule"])  # noqa: E731
    assert b["lines"] == sorted(a["lines"], key=key)
    assert [r["lines"] for r in b["rules"]] == [r["lines"] for r in a["rules"]]
    out = tmp_path / "s.csv"
    res = run(*args, "--format", "csv", "-o", str(out), "--redact")
    assert res.exit_code == 0, res.output
    assert not leaks(out.read_text("utf-8"), ledger)


# ---- nothing personal on standard error ----------------------------------------------------


def test_what_the_cli_says_on_standard_error_names_no_one(ledger, screen_args, tmp_path):
    """Warnings, progress and errors point at file and line; they never quote a code, a
    name or an ID number of the ledger (a CI log or a terminal shared on a call keeps
    them otherwise)."""
    events = Path(ledger["events"]).read_text("utf-8").splitlines()
    roster = Path(ledger["roster"]).read_text("utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    header = events[0].split(",")
    row = dict(zip(header, events[1].split(","), strict=True))
    wrong = [
        {**row, "id": "JN-E9001", "items": "ZZ9"},  # an unknown item
        {**row, "id": "JN-E9002", "date": "2025-02-30"},  # no such day
        {**row, "id": "JN-E9003", "type": "institution_suspended"},  # with a person
        {**row, "id": "JN-E0001"},  # an id given twice (JN-E0001 is line 2's)
        {**row, "id": "JN-E9004", "date": "2030-01-01"},  # after the as-of date
    ]
    bad.write_text(
        "\n".join(events + [",".join(r[h] for h in header) for r in wrong]) + "\n", "utf-8"
    )
    two_birthdays = tmp_path / "roster.csv"
    first = roster[1].split(",")
    again = list(first)
    again[1] = "JNH99"
    again[3] = "1901-01-01"  # birth_date, which the policy reads: the two rows disagree
    two_birthdays.write_text("\n".join(roster + [",".join(again)]) + "\n", "utf-8")
    runs = [
        ["evaluate", "--policy", POLICY, "--events", str(bad), "--roster", ledger["roster"]],
        [
            "evaluate",
            "--policy",
            POLICY,
            "--events",
            ledger["events"],
            "--roster",
            str(two_birthdays),
        ],
        ["evaluate", *inputs(ledger)],  # warnings only
        ["evaluate", *inputs(ledger), "--errors", "json", "--events", str(bad)],
        ["report", *inputs(ledger), "-o", str(tmp_path / "r.html")],
        [*screen_args, "-o", str(tmp_path / "s.json")],
    ]
    for args in runs:
        for lang in ("en", "zh"):
            res = CliRunner().invoke(cli, ["--lang", lang, *args])
            assert res.exit_code in (0, 1), res.output
            assert res.stderr, "each run says something on standard error"
            assert not leaks(res.stderr, ledger), (args, res.stderr)


def test_an_internal_error_names_the_place_not_the_value(tmp_path):
    """A bug's one line on standard error (exit 70) says where in policyctl it happened,
    not the exception's message, which may quote a value of the ledger: here a KeyError
    whose key is a practitioner's code."""
    import subprocess
    import sys

    events = tmp_path / "e.csv"
    events.write_text("id,person,date,items\nE1,JN0199,2024-04-01,C1\n", "utf-8")
    script = (
        "import sys; import engine.evaluation.fold as f; "
        "f.Evaluator.fire_bands = lambda self, st, *a: {}[st.code]; "
        "import engine.cli as c; sys.argv[0] = 'policyctl'; c.main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "evaluate", "--policy", POLICY, "--events", str(events)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "POLICYCTL_LANG": "en"},
    )
    assert done.returncode == 70, done.stderr
    assert "internal error: KeyError at engine/" in done.stderr
    assert "JN0199" not in done.stderr


def test_the_key_holder_finds_a_person_in_a_redacted_report():
    res = run("pseudonym", "JN0199", "JN0226")
    assert res.exit_code == 0, res.output
    assert res.stdout == f"JN0199\t{ps().person('JN0199')}\nJN0226\t{ps().person('JN0226')}\n"
    res = CliRunner().invoke(
        cli,
        ["pseudonym", "--kind", "event"],
        input="JN-E0001\n\n",
        env={"POLICYCTL_REDACT_KEY": KEY},
    )
    assert res.stdout == f"JN-E0001\t{ps().event('JN-E0001')}\n"
    res = run("pseudonym", "--kind", "institution", "JNH01")
    assert res.stdout == f"JNH01\t{ps(institutions=True).institution('JNH01')}\n"
    assert CliRunner().invoke(cli, ["pseudonym", "JN0199"], env={}).exit_code == 2


# ---- corrections and decisions, redacted ---------------------------------------------------


@pytest.fixture(scope="module")
def corrected(ledger, tmp_path_factory) -> dict:
    """The ledger with a revocation (its reason naming the person, as an official might
    write it), an amendment and a decision: each row an id, a target and a 文号."""
    d = tmp_path_factory.mktemp("corrected")
    with open(ledger["events"], encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    extra = [
        ("JN-E9101", "JN0199", "2024-06-20", "revoke", "", "JN-E0027", "济医保复〔2024〕7号"),
        ("JN-E9102", "JN0226", "2023-10-01", "amend", "C1", "JN-E0004", "济医保〔2023〕31号"),
        ("JN-E9103", "", "2025-10-10", "decision", "", "JN-E0275", "济医保〔2025〕40号"),
    ]
    for eid, code, date, kind, items, target, doc in extra:
        rows.append(
            {
                "id": eid,
                "person": code,
                "date": date,
                "type": kind,
                "items": items,
                "target": target,
                "document": doc,
                "reason": f"{name_of('JN0199')}申请复核" if kind == "revoke" else "",
                "name": name_of(code) if code else "",
                "id_number": id_number_of(code) if code else "",
            }
        )
    path = d / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[*rows[0], "target", "document", "reason"], restval="")
        w.writeheader()
        w.writerows(rows)
    secrets = ledger["secrets"] | {e[0] for e in extra}
    return {**ledger, "events": str(path), "secrets": secrets, "dir": d}


def test_corrections_and_decisions_are_redacted_in_every_format(corrected, tmp_path):
    """The trails (the correction's id, the finding's, the person) and the decisions'
    ids are pseudonyms in every output; a correction's `reason`, free text that may name
    the person, is left out; its 文号 is kept (a public reference of the bureau's)."""
    m = ps()
    args = ["evaluate", *inputs(corrected)]
    plain, red = plain_and_redacted(corrected, *args)
    assert not leaks(red, corrected)
    a, b = json.loads(plain), json.loads(red)
    assert [t["correction"] for t in a["corrections"]] == ["JN-E9101", "JN-E9102"]  # by person
    assert sorted(t["correction"] for t in b["corrections"]) == sorted(
        m.event(x) for x in ("JN-E9101", "JN-E9102")
    )
    revoked = next(t for t in b["corrections"] if t["correction"] == m.event("JN-E9101"))
    assert (revoked["person"], revoked["original"]["event"]) == (
        m.person("JN0199"),
        m.event("JN-E0027"),
    )
    assert revoked["reason"] is None and revoked["document"] == "济医保复〔2024〕7号"
    decided = [act["decision"] for p in b["people"] for act in p["actions"] if "decision" in act]
    assert decided and {x["event"] for x in decided} == {m.event("JN-E9103")}

    for fmt in ("jsonl", "csv", "intervals"):
        plain, red = plain_and_redacted(corrected, *args, "--format", fmt)
        assert not leaks(red, corrected), fmt
    red = run(*args, "--format", "jsonl", "--redact").stdout
    assert m.event("JN-E9101") in red and "申请复核" not in red

    out = tmp_path / "people.csv"
    res = run(*args, "--format", "csv", "-o", str(out), "--redact")
    assert res.exit_code == 0, res.output
    trails = (tmp_path / "people.corrections.csv").read_text("utf-8-sig")
    assert m.event("JN-E9101") in trails and not leaks(trails, corrected)
    assert "申请复核" not in trails

    plain, red = plain_and_redacted(corrected, *args, "--format", "table", "--all")
    assert not leaks(red, corrected)
    assert m.event("JN-E9103") in red  # "(decided E-...)"

    plain, red = plain_and_redacted(corrected, *args, "--explain", "JN0199", "--explain", "JN0226")
    assert not leaks(red, corrected)
    assert m.event("JN-E9101") in red and m.event("JN-E9102") in red
    assert len(red.splitlines()) == len(plain.splitlines())

    openpyxl = pytest.importorskip("openpyxl")
    book = tmp_path / "r.xlsx"
    res = run(*args, "--format", "xlsx", "-o", str(book), "--redact")
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(book)
    cells = "\n".join(
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
    )
    assert not leaks(cells, corrected) and m.event("JN-E9101") in cells

    page = tmp_path / "r.html"
    res = run("--lang", "zh", "report", *inputs(corrected), "-o", str(page), "--redact")
    assert res.exit_code == 0, res.output
    assert res.stderr and not leaks(res.stderr, corrected)  # (the report's run, in Chinese)
    text = page.read_text("utf-8")
    assert not leaks(text, corrected) and m.event("JN-E9101") in text


def test_a_sorted_ledger_with_corrections_is_streamed_redacted_as_read_whole(
    corrected, tmp_path, monkeypatch
):
    """The corrected ledger in date order is streamed, its corrections read first
    (api._fold): with --redact, every streamed format is the whole ledger's, byte for
    byte, and names no one (the stream redacts each row as it passes, the corrections
    beforehand: both must give the same pseudonyms, or a revocation would miss its
    finding)."""
    import engine.api
    import engine.ledger.read

    with open(corrected["events"], encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: r["date"])
    path = tmp_path / "sorted.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    args = ["evaluate", *inputs({**corrected, "events": str(path)}), "--redact"]
    out = {}
    for fmt in ("json", "jsonl", "csv", "table"):
        with monkeypatch.context() as m:
            m.setattr(engine.ledger.read, "stream_ledger", lambda *a, **k: None)
            whole = run(*args, "--format", fmt)
        with monkeypatch.context() as m:
            m.setattr(engine.api, "read_ledger", lambda *a, **k: pytest.fail("read whole"))
            streamed = run(*args, "--format", fmt)
        assert whole.exit_code == streamed.exit_code == 0, (whole.output, streamed.output)
        assert streamed.stdout == whole.stdout, fmt
        assert not leaks(streamed.stdout, corrected), fmt
        out[fmt] = streamed.stdout
    trails = json.loads(out["json"])["corrections"]
    assert sorted(t["correction"] for t in trails) == sorted(
        ps().event(x) for x in ("JN-E9101", "JN-E9102")
    )


def _choices(command: str, option: str = "--format") -> tuple[str, ...]:
    """The choices a command offers for an option, read off the CLI itself: a format
    added later is covered by the test below without anyone remembering to."""
    import click

    cmd = cli.commands[command]
    (param,) = [p for p in cmd.params if option in getattr(p, "opts", ())]
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


def _written(folder: Path) -> str:
    """Every file a run wrote in a folder (sidecars too), as text: a workbook's cells, a
    Parquet file's rows."""
    parts = []
    for f in sorted(folder.iterdir()):
        if f.suffix == ".xlsx":
            openpyxl = pytest.importorskip("openpyxl")
            wb = openpyxl.load_workbook(f)
            parts += [
                str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r
            ]
        elif f.suffix == ".parquet":
            pq = pytest.importorskip("pyarrow.parquet")
            parts.append(json.dumps(pq.read_table(f).to_pylist(), default=str, ensure_ascii=False))
        else:
            parts.append(f.read_text("utf-8-sig"))
    return "\n".join(parts)


def test_every_format_of_every_command_is_redacted(corrected, tmp_path):
    """Issue 22 §3 "--redact covered in every format": each format each command that
    takes --redact offers (read off the CLI), on the ledger with a revocation, an
    amendment and a decision, written to standard output where it can be and to a file
    (with its sidecars), in both languages: not one code, event id, name, ID number or
    patient name in it, standard error included, and the pseudonyms there instead."""
    m = ps()
    base = [*inputs(corrected)]
    runs: list[tuple[str, list[str], str | None]] = []  # (name, args, file suffix)
    for fmt in _choices("evaluate"):
        suffix = {"xlsx": ".xlsx", "intervals": ".parquet", "csv": ".csv"}.get(fmt, ".out")
        runs.append((f"evaluate {fmt}", ["evaluate", *base, "--format", fmt], suffix))
        if fmt not in ("xlsx",):
            runs.append((f"evaluate {fmt} -", ["evaluate", *base, "--format", fmt], None))
    runs.append(("story", ["evaluate", *base, "--explain", "JN0199", "--explain", "JN0226"], None))
    runs.append(("report", ["report", *base], ".html"))
    screen = [*base, "--claims", corrected["claims"]]
    for fmt in _choices("screen"):
        suffix = {"xlsx": ".xlsx", "parquet": ".parquet", "csv": ".csv"}.get(fmt, ".json")
        runs.append((f"screen {fmt}", ["screen", *screen, "--format", fmt], suffix))
    diff = ["diff", POLICY, ZHANJIANG, "--map", MAP, "--events", corrected["events"]]
    diff += ["--roster", corrected["roster"], "--as-of", AS_OF]
    for engine in _choices("diff", "--engine"):
        for fmt in _choices("diff"):
            args = [*diff, "--format", fmt, "--engine", engine]
            runs.append((f"diff {fmt} {engine}", args, None))
    redacting = {
        name
        for name, cmd in cli.commands.items()
        if any("--redact" in getattr(p, "opts", ()) for p in cmd.params)
    }
    assert {args[0] for _, args, _ in runs} == redacting  # every command that redacts
    for lang in ("en", "zh"):
        for name, args, suffix in runs:
            folder = tmp_path / f"{lang}-{name.replace(' ', '_')}"
            folder.mkdir()
            out = [] if suffix is None else ["-o", str(folder / f"out{suffix}")]
            res = run("--lang", lang, *args, *out, "--redact")
            assert res.exit_code in (0, 1), (name, res.output)  # (diff: 1, they differ)
            if args[0] != "diff":
                assert res.exit_code == 0, (name, res.output)
            text = res.stdout if suffix is None else _written(folder)
            assert text.strip(), name
            assert not leaks(text, corrected), (lang, name, leaks(text, corrected))
            assert not leaks(res.stderr, corrected), (lang, name)
            if args[0] in ("evaluate", "report"):
                assert m.person("JN0199") in text, (lang, name)


def test_diff_events_with_corrections_redacted(corrected):
    args = ["diff", POLICY, ZHANJIANG, "--map", MAP, "--events", corrected["events"]]
    args += ["--roster", corrected["roster"], "--as-of", AS_OF]
    for fmt in ("text", "json", "markdown"):
        red = run(*args, "--format", fmt, "--redact")
        assert red.exit_code == 1, red.output
        assert not leaks(red.stdout, corrected) and not leaks(red.stderr, corrected), fmt


def test_standard_error_names_no_one_with_corrections_and_redact(corrected, tmp_path):
    """What "logs" are for the command line (docs/privacy.md): everything it writes on
    standard error. Full runs over the corrected ledger, redacted and not, with a
    warning (no roster's institutions judged), and a correction that is wrong (a target
    already revoked), in both languages: no code, id, name or ID number in any."""
    bad = tmp_path / "bad.csv"
    text = Path(corrected["events"]).read_text("utf-8").splitlines()
    again = text[-3].replace("JN-E9101", "JN-E9104")  # the revocation, made twice
    bad.write_text("\n".join([*text, again]) + "\n", "utf-8")
    runs = [
        ["evaluate", *inputs(corrected), "--redact", "--explain", "JN0199"],
        ["evaluate", "--policy", POLICY, "--events", corrected["events"], "--redact"],
        ["evaluate", "--policy", POLICY, "--events", str(bad), "--redact"],
        ["evaluate", "--policy", POLICY, "--events", str(bad), "--errors", "json"],
    ]
    for args in runs:
        for lang in ("en", "zh"):
            res = run("--lang", lang, *args)
            assert res.exit_code in (0, 1), res.output
            assert res.stderr, args
            assert not leaks(res.stderr, corrected), (args, res.stderr)
    res = run("evaluate", "--policy", POLICY, "--events", str(bad))
    assert "error[correction]" in res.stderr and "revoked at line" in res.stderr


# ---- the screen reads only the claim columns it needs --------------------------------------


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("policy", [POLICY, ZHANJIANG])
def test_the_screen_never_reads_a_patients_identity(tmp_path, kind, policy):
    """The query the screen runs over the claims reads the columns its rules and the
    join need, by name: DuckDB's plan for it (EXPLAIN), over a file with a patient's ID
    number and name, names neither column anywhere, so neither is read from the file.
    (A query that took every column, `SELECT *`, would: the control below.)"""
    duckdb = pytest.importorskip("duckdb")
    pa = pytest.importorskip("pyarrow")
    from engine.policy.loader import load_policy
    from engine.screen import plan
    from engine.screen.run import interval_tables

    cols = {
        "claim_id": ["C1"],
        "person": ["JN0199"],
        "institution": ["JNH01"],
        "date": ["2025-03-01"],
        "amount": ["120.50"],
        "visit": ["outpatient"],
        "condition": ["acute"],
        "mobility_limited": ["false"],
        "days_supply": ["3"],
        "patient_id_number": ["110101199001011234"],
        "patient_name": ["病人甲"],
    }
    path = tmp_path / f"claims.{kind}"
    if kind == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(pa.table(cols), path)
        source = f"read_parquet(['{path}'])"
    else:
        path.write_text(
            ",".join(cols) + "\n" + ",".join(v[0] for v in cols.values()) + "\n", "utf-8"
        )
        source = f"read_csv(['{path}'], header = true, all_varchar = true)"
    p = plan.build(load_policy(policy))
    assert not [c for c in (*p.columns, *p.extras) if c.startswith("patient")]
    con = duckdb.connect()
    con.execute(f"CREATE VIEW claims AS SELECT * FROM {source}")
    for name, table in interval_tables([]).items():
        con.register(name, table)

    def explained(sql: str) -> str:
        return "\n".join(r[1] for r in con.execute("EXPLAIN " + sql).fetchall())

    plan_text = explained(p.sql("duckdb"))
    assert "patient_name" not in plan_text and "patient_id_number" not in plan_text
    assert "patient_name" in explained("SELECT * FROM claims")  # the control
    con.close()


def test_docs_privacy_says_what_is_stored_where_how_long_and_how_to_erase():
    """Issue 22 §3's docs/privacy.md: what the tool stores, where, for how long (the
    retention setting), how to erase a person (with a command); and every `policyctl`
    command it quotes is one the CLI has, with options the command takes, so the page
    cannot drift from the tool."""
    import shlex

    import click

    text = (ROOT / "docs" / "privacy.md").read_text("utf-8")
    for heading in (
        "## What the command line stores, and where",
        "### The command line's logs",
        "## Sharing results: `--redact`",
        "### De-identification, not anonymisation",
        "## Erasing a person's data",
        "## The status service (`policyctl serve`)",
    ):
        assert heading in text, heading
    assert "| what | where | how long |" in text  # the command line's table
    assert "--retention-days" in text and "db erase" in text and "db purge" in text
    quoted = re.findall(r"`(policyctl [^`]+)`", text)
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    for block in blocks:
        quoted += [
            line
            for line in block.replace("\\\n", " ").splitlines()
            if line.strip().startswith("policyctl ")
        ]
    assert len(quoted) >= 6, quoted
    for line in quoted:
        words = shlex.split(line.split("#")[0])[1:]
        cmd: click.Command = cli
        while isinstance(cmd, click.Group) and words and not words[0].startswith("-"):
            assert words[0] in cmd.commands, line
            cmd = cmd.commands[words.pop(0)]
        opts = {o for p in cmd.params for o in getattr(p, "opts", ())}
        for w in words:
            if w.startswith("--"):
                assert w.split("=")[0] in opts, (line, w)
