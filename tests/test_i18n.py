"""Messages in Chinese and English (engine/i18n, docs/i18n.md).

Every command runs in both languages; a message that the Chinese catalogue lacks
fails the run (i18n.missing()), and so does a catalogue that is not current with
the code, an untranslated or fuzzy entry, or a translation that drops a placeholder.
Codes (`error[points]`) and JSON keys are the same in both languages.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import i18n
from engine.cli import cli
from engine.errors import Diagnostic, Span

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "fixtures"
JINING = str(ROOT / "policies" / "jining.yaml")
ZHANJIANG = str(ROOT / "policies" / "zhanjiang.yaml")
ZH_PO = ROOT / "engine" / "i18n" / "locale" / "zh_CN" / "LC_MESSAGES" / "policyctl.po"
HAN = re.compile(r"[\u4e00-\u9fff]")

EVALUATE = [
    "evaluate",
    "--policy",
    JINING,
    "--events",
    str(FIX / "cli" / "events.csv"),
    "--roster",
    str(FIX / "cli" / "roster.csv"),
    "--as-of",
    "2025-12-31",
]

# Each command, and each kind of output it has, as a user runs it.
RUNS = {
    "help": ["--help"],
    "evaluate-help": ["evaluate", "--help"],
    "validate-help": ["validate", "--help"],
    "test-help": ["test", "--help"],
    "diff-help": ["diff", "--help"],
    "version": ["--version"],
    "validate": ["validate", JINING, ZHANJIANG],
    "validate-bad": ["validate", *(str(p) for p in sorted((FIX / "policies").glob("*.yaml")))],
    "validate-json": ["validate", "--format", "json", str(FIX / "policies" / "gap.yaml")],
    "evaluate-json": EVALUATE,
    "evaluate-csv": [*EVALUATE, "--format", "csv"],
    "evaluate-table": [*EVALUATE, "--format", "table"],
    "evaluate-explain": [*EVALUATE, "--explain", "P1", "--explain", "P2"],
    "evaluate-bad-ledger": [
        "evaluate",
        "--policy",
        JINING,
        "--events",
        str(FIX / "policies" / "source.txt"),
    ],
    "test": ["test", str(ROOT / "policies" / "tests" / "jining")],
    "test-coverage": ["test", "--coverage", str(ROOT / "policies" / "tests" / "jining")],
    "diff": ["diff", str(FIX / "diff" / "base.yaml"), str(FIX / "diff" / "revised.yaml")],
    "diff-markdown": [
        "diff",
        "--format",
        "markdown",
        str(FIX / "diff" / "base.yaml"),
        str(FIX / "diff" / "revised.yaml"),
        "--events",
        str(FIX / "diff" / "revised-events.csv"),
        "--as-of",
        "2025-12-31",
    ],
    "diff-cross": [
        "diff",
        JINING,
        ZHANJIANG,
        "--map",
        str(ROOT / "policies" / "maps" / "jining-to-zhanjiang.yaml"),
    ],
}


def _run(args: list[str], lang: str):
    i18n.forget()
    result = CliRunner().invoke(cli, ["--lang", lang, *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result, i18n.missing()


@pytest.mark.parametrize("name", sorted(RUNS))
def test_every_message_of_every_command_has_a_chinese_translation(name):
    en, missing_en = _run(RUNS[name], "en")
    zh, missing_zh = _run(RUNS[name], "zh")
    assert not missing_zh, f"messages with no Chinese translation: {sorted(missing_zh)}"
    assert not missing_en
    assert zh.exit_code == en.exit_code
    # the same codes, in the same order, in both languages
    codes = re.compile(r"(?:error|warning)\[[\w-]+\]")
    assert codes.findall(zh.output) == codes.findall(en.output)


@pytest.mark.parametrize("name", ["help", "evaluate-help", "diff-help", "validate-bad"])
def test_chinese_output_is_chinese(name):
    zh, _ = _run(RUNS[name], "zh")
    en, _ = _run(RUNS[name], "en")
    assert HAN.search(zh.output)
    assert zh.output != en.output


def test_json_keys_are_the_same_in_both_languages():
    en, _ = _run(RUNS["validate-json"], "en")
    zh, _ = _run(RUNS["validate-json"], "zh")
    en_rows, zh_rows = json.loads(en.stdout), json.loads(zh.stdout)
    assert [sorted(r) for r in en_rows] == [sorted(r) for r in zh_rows]
    assert [r["code"] for r in en_rows] == [r["code"] for r in zh_rows]
    out_en, _ = _run(RUNS["evaluate-json"], "en")
    out_zh, _ = _run(RUNS["evaluate-json"], "zh")
    assert out_en.stdout == out_zh.stdout  # a JSON report is data: no language in it


def test_version():
    from importlib.metadata import version

    en, _ = _run(["--version"], "en")
    zh, _ = _run(["--version"], "zh")
    assert en.output == f"policyctl, version {version('policyctl')}\n"
    assert zh.output == f"policyctl，版本 {version('policyctl')}\n"


def test_a_diagnostic_keeps_its_code_and_translates_its_hint():
    d = Diagnostic("points", "x", Span("p.yaml", 3, 5), hint="y")
    with i18n.using("en"):
        assert d.render() == "p.yaml:3:5: error[points]: x (hint: y)"
    with i18n.using("zh"):
        assert d.render() == "p.yaml:3:5: error[points]: x（提示：y）"


# -- choosing the language ----------------------------------------------------------


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "zh_CN.GB18030", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LANGUAGE": "en:zh", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "POLICYCTL_LANG": "en"}, "en"),
        ({"LANG": "en_US.UTF-8", "POLICYCTL_LANG": "zh"}, "zh"),
        ({"POLICYCTL_LANG": "zh-CN"}, "zh"),
    ],
)
def test_language_from_the_environment(environ, expected):
    assert i18n.language_from_environment(environ) == expected


def test_unknown_language_is_refused():
    with pytest.raises(i18n.UnknownLanguage):
        i18n.language_from_environment({"POLICYCTL_LANG": "fr"})


def test_the_cli_reads_the_locale_and_lang_overrides_it(monkeypatch):
    monkeypatch.delenv("POLICYCTL_LANG", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    runner = CliRunner()
    assert "用法" in runner.invoke(cli, ["--help"]).output
    assert "Usage" in runner.invoke(cli, ["--lang", "en", "--help"]).output
    assert "Usage" in runner.invoke(cli, ["validate", "--lang", "en", "--help"]).output
    monkeypatch.setenv("POLICYCTL_LANG", "en")
    assert "Usage" in runner.invoke(cli, ["--help"]).output
    assert "用法" in runner.invoke(cli, ["--lang", "zh", "--help"]).output


def test_bad_language_is_a_usage_error(monkeypatch):
    r = CliRunner().invoke(cli, ["--lang", "fr", "--help"])
    assert r.exit_code == 2 and "`fr`" in r.output
    monkeypatch.setenv("POLICYCTL_LANG", "klingon")
    r = CliRunner().invoke(cli, ["validate", JINING])
    assert r.exit_code == 2 and "POLICYCTL_LANG" in r.output


def test_the_missing_translation_check_can_fail():
    i18n.forget()
    with i18n.using("zh"):
        assert i18n._("a message nobody translated") == "a message nobody translated"
    assert i18n.missing() == {"a message nobody translated"}
    i18n.forget()


# -- the catalogues -----------------------------------------------------------------


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_catalogues_are_current_with_the_code():
    pytest.importorskip("babel", reason="Babel (the test extra) maintains the catalogues")
    stale = _tool().stale()
    assert not stale, f"stale catalogues (run python tools/i18n.py): {stale}"


def test_every_message_is_translated_with_its_placeholders():
    pytest.importorskip("babel", reason="Babel (the test extra) reads the catalogues")
    from babel.messages.pofile import read_po

    with ZH_PO.open("rb") as f:
        cat = read_po(f, locale="zh_CN")
    names = re.compile(r"\{(\w*)[^}]*\}")
    problems = []
    for m in cat:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        for s in strings:
            if sorted(names.findall(s)) != sorted(names.findall(ids[-1])):
                problems.append(f"placeholders differ: {ids[0]!r} -> {s!r}")
    assert not problems, "\n".join(problems)


def test_chinese_prefixes_are_chinese():
    """The font warning said `warning: 本机没有…` under --lang zh (it shows only on a machine
    without a CJK font, so a fresh machine found it): every `warning:`/`error:` message's
    translation starts with 警告：/错误：."""
    pytest.importorskip("babel", reason="Babel (the test extra) reads the catalogues")
    from babel.messages.pofile import read_po

    with ZH_PO.open("rb") as f:
        cat = read_po(f, locale="zh_CN")
    wrong = [
        (m.id, m.string)
        for m in cat
        if isinstance(m.id, str)
        and isinstance(m.string, str)
        and m.string
        and (
            (m.id.startswith("warning: ") and not m.string.startswith("警告："))
            or (m.id.startswith("error: ") and not m.string.startswith("错误："))
        )
    ]
    assert not wrong, wrong


def test_the_compiled_catalogue_is_committed_inside_the_package():
    # inside engine/, so the wheel carries it (tests/test_packaging.py builds one)
    assert (ROOT / "engine/i18n/locale/zh_CN/LC_MESSAGES/policyctl.mo").exists()
    assert (ROOT / "engine/i18n/locale/en/LC_MESSAGES/policyctl.mo").exists()


# -- small things a real tool has (issue 15 §6) ------------------------------------


def test_errors_json_for_pipelines():
    args = ["evaluate", "--policy", JINING, "--events", str(FIX / "policies" / "source.txt")]
    for lang in ("en", "zh"):
        r = CliRunner().invoke(cli, ["--lang", lang, *args, "--errors", "json"])
        assert r.exit_code == 1 and r.stdout == ""
        problems = json.loads(r.stderr)
        assert {p["code"] for p in problems} == {"column"}
        assert all({"severity", "code", "message", "file", "line"} <= set(p) for p in problems)


def test_readme_documents_exit_codes_and_completion():
    readme = (ROOT / "README.md").read_text("utf-8")
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 70 |", "| 130 |"):
        assert code in readme
    assert "_POLICYCTL_COMPLETE=bash_source policyctl" in readme
    from click.shell_completion import BashComplete

    # the documented variable is the one click's completion answers to
    assert BashComplete(cli, {}, "policyctl", "_POLICYCTL_COMPLETE").source()


def test_license_is_mit_as_pyproject_says():
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License")
    assert 'license = {text = "MIT"}' in (ROOT / "pyproject.toml").read_text("utf-8")


def test_chinese_readme_has_the_same_quick_start():
    def quick_start(text: str, heading: str) -> list[str]:
        part = text.split(heading, 1)[1]
        blocks = re.findall(r"```sh\n(.*?)```", part, re.S)
        return [b.strip() for b in blocks[:2]]

    en = (ROOT / "README.md").read_text("utf-8")
    zh = (ROOT / "README.zh-CN.md").read_text("utf-8")
    assert quick_start(zh, "## 快速开始") == quick_start(en, "## Quick start")
    for term in ("扣分", "记分周期", "约谈", "中止", "解除", "重新申请"):
        assert term in zh


def test_chinese_readme_says_what_the_english_one_says():
    """README.zh-CN.md is the Chinese analysts' README: the same sections in the same
    order, the same commands to run, every command and option the English one names
    (it once lacked the service, `report`, `screen`, `init`, the exit-code table...)."""
    en = (ROOT / "README.md").read_text("utf-8")
    zh = (ROOT / "README.zh-CN.md").read_text("utf-8")

    def outline(text: str) -> list[str]:
        # heading levels, outside code blocks (a YAML comment is no heading)
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        return re.findall(r"^(#{2,3}) ", prose, re.M)

    def blocks(text: str, lang: str) -> list[str]:
        return [b.strip() for b in re.findall(rf"```{lang}\n(.*?)```", text, re.S)]

    def named(text: str) -> tuple[set[str], set[str]]:
        # the words after `policyctl` that are its commands (not "policyctl turns")
        known = set(cli.commands) | {f"db {c}" for c in cli.commands["db"].commands}
        commands = set(re.findall(r"policyctl ((?:db )?[a-z][a-z-]+)", text)) & known
        options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text))
        return commands, options

    assert outline(zh) == outline(en)
    assert blocks(zh, "sh") == blocks(en, "sh")
    assert named(zh) == named(en)


# -- the ledger reader's messages (issue 15 §1) ----------------------------------------

_LEDGER_ROWS = """\
id,person,date,type,items,institution,amount,points,end
E1,P1,2024-13-01,,A1,H1,,,
E2,P1,05/03/2024,,A1,H1,,,
E3,P1,2024-03-05,violaton,A1,H1,,,
E4,P1,2024-03-05,,A1||A2,H1,,,
E5,P1,2024-03-05,,A1|A1,H1,,,
E6,P1,2024-03-05,,,H1,,,
E7,P1,2024-03-05,,K1,H1,,,
E8,P1,2024-03-05,credit,A1,H1,,,
E9,P1,2024-03-05,,ZZ9,H1,,,
E10,P1,2024-03-05,reapply,A1,H1,,,
E11,P1,2024-03-05,,X1,H1,,9,
E12,P1,2024-03-05,,X1,H1,,,
E13,P1,2024-03-05,,A1,H1,,2,
E14,P1,2024-03-05,,LOSS,H1,,,
E15,P1,2024-03-05,,A1,H1,,,2024-04-01
E16,,2024-03-05,institution_suspended,,H1,,,2024-03-01
E17,P1,2024-03-05,institution_terminated,,,,,
E18,,2024-03-05,,A1,H1,,,
E19,P1,2024-03-05,,A1,H1,-5,,
E20,P1,2024-03-05,,A1,H1,"12,000",,
E21,P1,2024-03-05,,A1,H1,abc,,
E22,P1,2024-03-05,,A1,H1,1.234,,
E23,P1,2024-03-05,,A1,H1,1000000000000000000000000000000000,,
E1,P1,2024-03-05,,A1,H1,,,
E25,P1,,,A1,H1,,,
E26,P1,2024-03-05,,A1,H1,,,,extra
E27,P1,2024-03-05,credit,,H1,,,
E28,P1,2024-03-05,,X1,H1,,1.5,
"""

# each file: (name, text, roster text or None); every message they give must be Chinese
_LEDGERS = [
    ("rows.csv", _LEDGER_ROWS, None),
    ("empty.csv", "", None),
    ("header.csv", "id,person,date,items\n", None),
    ("columns.csv", "id\tperson\tday\titems\nE1\tP1\t2024-03-05\tA1\n", None),
    ("unnamed.csv", "person,,date,items\nP1,x,2024-03-05,A1\n", None),
    ("twice.csv", "person,date,date,items\nP1,2024-03-05,2024-03-05,A1\n", None),
    ("lines.jsonl", '[1]\n{"person": 1.5e999\n"x"\n{"person": {"a": 1}}\n', None),
    ("none.jsonl", "\n\n", None),
    ("inst.csv", "person,date,type,institution\n,2024-03-05,institution_suspended,H9\n", None),
    (
        "roster-bad.csv",
        "person,date,type,institution\n,2024-03-05,institution_suspended,H9\n",
        "person,institution,birth_date\n,H1,\nP2,,\nP3,H1,1970-01-01\nP3,H2,1971-01-01\n",
    ),
    (
        "roster-nobody.csv",
        "person,date,type,institution\n,2024-03-05,institution_suspended,H9\n",
        "person,institution\nP1,H1\n",
    ),
    ("roster-empty.csv", "person,date,items\nP1,2024-03-05,A1\n", "person,institution\n"),
    ("encoded.csv", "", None),  # written below
    ("missing.csv", None, None),
]


def test_ledger_errors_are_in_chinese(tmp_path):
    """Every message and hint the ledger reader gives for these files is Chinese under
    `--lang zh` (a message left unwrapped stays English and fails here), and every one
    it asks the catalogue for is translated. English is unchanged."""
    from test_ledger import POLICY

    from engine.errors import LedgerError
    from engine.ledger.read import read_ledger
    from engine.policy.loader import load_policy

    (tmp_path / "policy.yaml").write_text(
        POLICY
        + "ledger: {optional: [birth_date]}\n"
        + 'rules:\n  - {id: old, when: person.birth_date == "1970-01-01",\n'
        + '     then: interview, cite: "5"}\n',
        "utf-8",
    )
    policy = load_policy(tmp_path / "policy.yaml", provenance_checks=False)
    seen: dict[str, set[str]] = {"en": set(), "zh": set()}
    for name, text, roster in _LEDGERS:
        path = tmp_path / name
        if text is not None:
            data = text.encode("utf-8")
            if name == "encoded.csv":  # a GB18030 line after UTF-8 ones: two files joined
                data = (
                    "person,date,items\n张三,2024-03-05,A1\n".encode()
                    + "李四,2024-03-05,A1\n".encode("gb18030")
                )
            path.write_bytes(data)
        roster_path = None
        if roster is not None:
            roster_path = tmp_path / f"roster-{name}"
            roster_path.write_text(roster, "utf-8")
        for lang in ("en", "zh"):
            i18n.forget()
            with i18n.using(lang), pytest.raises(LedgerError) as info:
                read_ledger(str(path), policy, str(roster_path) if roster_path else None)
            assert not i18n.missing(), (name, sorted(i18n.missing()))
            for d in info.value.diagnostics:
                seen[lang].add(d.code)
                if lang == "zh":
                    assert HAN.search(d.message), (name, d.render())
                    assert d.hint is None or HAN.search(d.hint), (name, d.render())
    assert seen["zh"] == seen["en"]
    # the codes these files reach: most of docs/ledger.md's table
    assert {
        "date",
        "type",
        "item",
        "points",
        "amount",
        "end",
        "person",
        "institution",
        "duplicate-id",
        "format",
        "empty",
        "column",
        "roster",
        "encoding",
        "io",
    } <= seen["zh"]
    i18n.forget()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--encoding", "rot13"], "编码"),
        (["--encoding", "no-such-codec"], "未知的编码"),
    ],
)
def test_evaluate_s_ledger_errors_print_in_chinese(tmp_path, args, words):
    events = tmp_path / "e.csv"
    events.write_text("person,date,items\nP1,2024-03-05,A1\n", "utf-8")
    result = CliRunner().invoke(
        cli, ["--lang", "zh", "evaluate", "--policy", JINING, "--events", str(events), *args]
    )
    assert result.exit_code == 1
    assert words in result.stderr and "error[encoding]" in result.stderr


def test_screen_speaks_chinese(tmp_path):
    """`screen`'s summary, its claims errors and the claims rules' SQL errors (issue 15
    §1: the screen's strings were English in both languages)."""
    events = tmp_path / "e.csv"
    events.write_text("person,date,items,institution\nP1,2025-03-05,D3,H1\n", "utf-8")
    claims = tmp_path / "c.csv"
    claims.write_text(
        "claim_id,person,institution,date,amount,visit\n"
        "C1,P1,H1,2025-04-01,100.00,outpatient\nC2,P2,H1,2025-04-01,50.00,outpatient\n",
        "utf-8",
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "claim_id,person,institution,date,amount,visit\nC1,P1,H1,2025-04-01,1.2.3,outpatient\n",
        "utf-8",
    )
    base = ["screen", "--policy", JINING, "--events", str(events), "--as-of", "2025-12-31"]
    for args, words in (
        ([*base, "--claims", str(claims)], "拒付 1 行"),
        ([*base, "--claims", str(empty)], "是空文件"),
        ([*base, "--claims", str(bad)], "`1.2.3` 不是金额"),
        ([*base, "--claims", str(tmp_path / "none.csv")], "找不到结算明细"),
        ([*base, "--claims", str(events.with_suffix(".txt"))], "找不到结算明细"),
    ):
        zh, missing = _run(args, "zh")
        assert not missing, sorted(missing)
        assert words in zh.stderr, zh.stderr
        en, _missing = _run(args, "en")
        assert not HAN.search(en.stderr) and en.exit_code == zh.exit_code
    i18n.forget()
    with i18n.using("zh"):
        from engine.dsl.sql import MESSAGES

        for key, english in MESSAGES.items():
            assert HAN.search(i18n._(english)), key
    assert not i18n.missing()


def test_the_service_speaks_chinese(tmp_path):
    """The status service's errors in the service's language (issue 15 §1)."""
    from serve_fixtures import WRITE, client

    app, service = client(f"sqlite:///{tmp_path / 'db.sqlite'}", "jining")
    i18n.forget()
    row = {"id": "X1", "person": "JN0001", "date": "2025-01-02", "items": "A1"}
    try:
        with app, i18n.using("zh"):
            answers = [
                app.post("/v1/events", json={"events": [row]}),  # no token
                app.post("/v1/events", json={"events": []}, headers=WRITE),
                app.post("/v1/events", json={"events": [{"person": "P"}]}, headers=WRITE),
                app.post(
                    "/v1/claims/check",
                    json={"lines": [{"person": "P", "date": "03/01/2025"}]},
                ),
                app.get("/v1/people/JN0001/status", params={"date": "2025-13-01"}),
                app.get("/v1/nowhere"),
            ]
    finally:
        service.db.dispose()
    for res in answers:
        assert res.status_code >= 400
        for error in res.json()["errors"]:
            assert HAN.search(error["message"]), (res.request.url, error)
    assert not i18n.missing(), sorted(i18n.missing())
    i18n.forget()


# Chinese punctuation (review): a Chinese sentence ends with 。, puts no space between
# a CJK character and CJK punctuation or another CJK word it belongs with, and uses
# full-width ，：（） beside CJK text. The regulation's own words and codes are data.
_CJK = "\u4e00-\u9fff"
_CJK_PUNCT = "，。：；、（）「」？"
_STRAY = re.compile(
    rf"[{_CJK}{_CJK_PUNCT}] +[{_CJK_PUNCT}]|[{_CJK_PUNCT}] +[{_CJK}]|[{_CJK}」]: |[{_CJK}」], "
)


def test_clicks_messages_take_chinese_punctuation():
    """Click appends an English `.` (缺少参数 'NEW'.) and puts a space before its
    full-width bracket (没有选项 '--x' （您是否指 ...）)."""
    diff = CliRunner().invoke(cli, ["--lang", "zh", "diff", "a.yaml"])
    assert diff.exit_code == 2 and "缺少参数 'NEW'。" in diff.stderr, diff.stderr
    typo = CliRunner().invoke(cli, ["--lang", "zh", "evaluate", "--polcy", "x"])
    assert "没有选项 '--polcy'（您是否指 '--policy'？）" in typo.stderr, typo.stderr
    english = CliRunner().invoke(cli, ["--lang", "en", "diff", "a.yaml"])
    assert "Missing argument 'NEW'." in english.stderr


def _scoring_story(lang: str) -> str:
    rows = FIX / "i18n" / "scoring-events.csv"
    r = CliRunner().invoke(
        cli,
        [
            "--lang", lang, "evaluate", "--policy", str(FIX / "format" / "scoring.yaml"),
            "--events", str(rows), "--as-of", "2025-12-31", "--explain", "P",
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return r.stdout.replace(str(rows.parent) + "/", "")


def test_the_chinese_story_is_punctuated_as_chinese():
    """`在 情节一般 (4–6) 中`, `H3 「…」: 6 分`, `H3, 情节严重 (7–9), …`: English commas,
    colons and brackets, and spaces between CJK, in the Chinese story. Golden files
    (read by hand): the Jining story of tests/fixtures/cli and a band item's."""
    from conftest import golden

    cli_fix = FIX / "cli"
    jining = CliRunner().invoke(
        cli,
        [
            "--lang", "zh", "evaluate", "--policy", JINING, "--events", str(cli_fix / "events.csv"),
            "--roster", str(cli_fix / "roster.csv"), "--as-of", "2025-12-31", "--explain", "P1",
        ],
    )  # fmt: skip
    assert jining.exit_code == 0
    story = jining.stdout.replace(str(cli_fix) + "/", "")
    golden(ROOT / "tests" / "golden" / "explain-P1.zh.txt", story)
    scoring = _scoring_story("zh")
    golden(ROOT / "tests" / "golden" / "explain-scoring.zh.txt", scoring)
    for text in (story, scoring):
        stray = [m.group(0) for m in _STRAY.finditer(text)]
        assert not stray, stray
    assert "为情节一般（4–6）" in scoring and "H3「串换药品、医用耗材的」：6 分" in scoring
    english = _scoring_story("en")
    assert "H3, 情节严重 (7–9), moved down one band by 从轻 [第六条] to 情节一般 (4–6)" in english


def test_validate_s_scoring_line_is_punctuated_as_chinese():
    r = CliRunner().invoke(cli, ["--lang", "zh", "validate", str(FIX / "format" / "scoring.yaml")])
    line = next(x for x in r.stdout.splitlines() if "记分：" in x)
    assert "4 个记分档次（情节轻微（1–3）、情节一般（4–6）" in line
    assert not _STRAY.search(line) and "; " not in line, line


def test_help_headings_and_short_help_in_chinese():
    """`选项:` kept click's English colon; `test`'s one-line help was cut to `运行 PATH...`
    (click stops at a word ending in a full stop)."""
    top = CliRunner().invoke(cli, ["--lang", "zh", "--help"])
    assert "命令：" in top.output and "选项：" in top.output and "选项:" not in top.output
    line = next(x for x in top.output.splitlines() if x.strip().startswith("test "))
    assert "场景测试" in line, line
    english = CliRunner().invoke(cli, ["--lang", "en", "--help"])
    assert "Options:" in english.output and "Commands:" in english.output
