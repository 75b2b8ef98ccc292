"""A hostile user's mistakes, each found by trying the CLI as an analyst would: every
one a one-line message in the chosen language with exit 1 (bad input) or 2 (usage),
never an internal error (exit 70), never English words the OS or the code chose under
--lang zh, never a file written by a run that failed."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.cli import cli

ROOT = Path(__file__).parent.parent
SCORING = ROOT / "tests" / "fixtures" / "format" / "scoring.yaml"
JINING = ROOT / "policies" / "jining.yaml"
CLI = ROOT / "tests" / "fixtures" / "cli"
LEDGER = (
    "person,date,items,circumstance,responsibility,agreement_action\n"
    "P,2025-02-01,H3,mitigating,main,penalty\n"
)


def _run(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _ledger(tmp_path: Path) -> Path:
    events = tmp_path / "events.csv"
    events.write_text(LEDGER, encoding="utf-8")
    return events


def _no_english_words(text: str) -> bool:
    """No run of three or more English words outside backquotes (codes, paths, values
    and the policy's own words are quoted and stay as written)."""
    unquoted = re.sub(r"`[^`]*`", "", text)
    return re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", unquoted) is None


def test_report_to_a_folder_is_bad_input_before_any_work(tmp_path):
    """`report -o FOLDER/` was an internal error (exit 70, OutputError) after the whole
    evaluation; evaluate refuses it up front with exit 1."""
    r = _run(
        "--lang", "zh", "report", "--policy", SCORING, "--events", _ledger(tmp_path),
        "--as-of", "2025-12-31", "-o", str(tmp_path) + "/",
    )  # fmt: skip
    assert r.exit_code == 1, r.stderr
    assert "error[output]" in r.stderr and "这是一个文件夹" in r.stderr
    assert "内部错误" not in r.stderr


def test_report_warnings_in_chinese(tmp_path):
    """The report's warnings had an English `warning:` prefix under --lang zh."""
    events = tmp_path / "events.csv"
    events.write_text("person,date,items\nP,2023-03-15,B1\n", encoding="utf-8")
    r = _run(
        "--lang", "zh", "report", "--policy", JINING, "--events", events,
        "--as-of", "2024-12-31", "-o", tmp_path / "r.html",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "警告：" in r.stderr and "warning:" not in r.stderr


def test_an_encoding_without_the_characters_is_said_not_a_closed_stream(tmp_path):
    """--output-encoding ascii on a Chinese report: to standard output it said `it is
    closed`; to a file it was an internal error (UnicodeEncodeError, exit 70). Now the
    character and the encoding, exit 1, and no file."""
    events = _ledger(tmp_path)
    common = ["--lang", "zh", "evaluate", "--policy", SCORING, "--events", events]
    common += ["--as-of", "2025-12-31", "--format", "table", "--output-encoding", "ascii"]
    to_stdout = _run(*common)
    assert to_stdout.exit_code == 1
    assert "已关闭" not in to_stdout.stderr
    assert "无法以 ascii 编码写出" in to_stdout.stderr and "gb18030" in to_stdout.stderr
    target = tmp_path / "out.txt"
    to_file = _run(*common, "-o", target)
    assert to_file.exit_code == 1, to_file.stderr
    assert "无法以 ascii 编码写出" in to_file.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv"]  # nothing left


def test_a_bad_as_of_in_chinese():
    r = _run(
        "--lang", "zh", "evaluate", "--policy", JINING, "--events", "e.csv", "--as-of", "2025-13-01"
    )
    assert r.exit_code == 2
    assert "`2025-13-01` 不是日期" in r.stderr and _no_english_words(r.stderr.splitlines()[-1])


def test_redact_without_a_key_gives_its_hint_in_chinese(monkeypatch):
    monkeypatch.delenv("POLICYCTL_REDACT_KEY", raising=False)
    r = _run("--lang", "zh", "evaluate", "--policy", JINING, "--events", "e.csv", "--redact")
    assert r.exit_code == 2
    assert "（提示：" in r.stderr and "hint:" not in r.stderr


def test_a_missing_policy_file_in_chinese(tmp_path):
    """The OS's `No such file or directory` reached a Chinese message."""
    r = _run("--lang", "zh", "evaluate", "--policy", tmp_path / "nope.yaml", "--events", "e.csv")
    assert r.exit_code == 1
    assert "文件不存在" in r.stderr and "No such file" not in r.stderr
    english = _run(
        "--lang", "en", "evaluate", "--policy", tmp_path / "nope.yaml", "--events", "e.csv"
    )
    assert english.exit_code == 1 and "no such file" in english.stderr


def test_validate_an_empty_folder_fails(tmp_path):
    """`validate FOLDER` with no policy in it printed nothing and exited 0, as if valid;
    `evaluate --policy FOLDER` already refused it."""
    (tmp_path / "empty").mkdir()
    r = _run("--lang", "zh", "validate", tmp_path / "empty")
    assert r.exit_code == 1
    assert "error[history]" in r.stderr and "没有政策文件" in r.stderr
    shutil.copy(SCORING, tmp_path / "scoring.yaml")  # beside a valid policy: still a failure
    both = _run("--lang", "en", "validate", tmp_path / "empty", SCORING)
    assert both.exit_code == 1 and "no policy file in" in both.stderr


def test_a_columns_file_with_a_yaml_mistake_is_one_line_with_its_place(tmp_path):
    """A YAML mistake in --columns printed PyYAML's several-line report (with a caret)."""
    columns = tmp_path / "columns.yaml"
    columns.write_text("person: 工号\n\tdate: 日期\n", encoding="utf-8")
    r = _run(
        "--lang",
        "zh",
        "evaluate",
        "--policy",
        SCORING,
        "--events",
        _ledger(tmp_path),
        "--columns",
        columns,
    )
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{columns}:2:") and "制表符" in lines[0]


def test_several_policy_files_after_one_policy_option_say_how(tmp_path):
    """`--policy a.yaml b.yaml` was click's bare `Got unexpected extra argument`:
    now how a history is given, in the chosen language, still a usage error."""
    city = ROOT / "tests" / "fixtures" / "history" / "city"
    old, new = city / "city-2023.yaml", city / "city-2024.yaml"
    for lang, words in (("zh", "每个文件前都要写 --policy"), ("en", "give --policy before each")):
        r = _run("--lang", lang, "evaluate", "--policy", old, new, "--events", "e.csv")
        assert r.exit_code == 2
        assert words in r.stderr and f"--policy {old} --policy {new}" in r.stderr
    events = tmp_path / "e.csv"
    events.write_text("person,date,items\nP,2024-02-01,B1\n", encoding="utf-8")
    both = _run("evaluate", "--policy", old, "--policy", new, "--events", events)
    assert both.exit_code == 0, both.stderr  # the way that works is untouched


def test_the_cli_imports_no_private_name_of_the_engine():
    """`validate` imported `_no_files` from engine/policy/versions.py: the CLI is a thin
    layer over public names (`empty_folders`, `no_policy_files`), which keep working
    when a module's insides change."""
    import ast

    tree = ast.parse((ROOT / "engine" / "cli.py").read_text("utf-8"))
    private = [
        f"{node.module}.{a.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine")
        for a in node.names
        if a.name.startswith("_") and a.name != "_"
    ]
    assert private == []
    from engine.policy.versions import empty_folders

    assert empty_folders([str(ROOT / "policies"), str(JINING)]) == []


def test_the_checker_names_types_in_the_readers_language(tmp_path):
    """`refuse(3)` said `` `refuse` 需要 text，实际为 number `` under --lang zh: the
    language's type names (and `or` between them) are words a reader is told, so they
    come from the catalogue; English is unchanged."""
    policy = tmp_path / "p.yaml"
    text = SCORING.read_text("utf-8").replace(
        'refuse("违规金额须大于0', 'refuse(3) + ("违规金额须大于0'
    )
    policy.write_text(text, encoding="utf-8")
    zh = _run("--lang", "zh", "validate", policy)
    assert zh.exit_code == 1
    line = next(x for x in zh.stderr.splitlines() if "`refuse`" in x)
    assert "`refuse` 需要文本，实际为数值" in line, line
    assert _no_english_words(line) and not re.search(r"\b(text|number)\b", line)
    en = _run("--lang", "en", "validate", policy)
    assert "`refuse` needs a text, found a number" in en.stderr


def test_type_names_in_chinese():
    from engine import i18n
    from engine.dsl.checker import type_name
    from engine.dsl.types import DATE, NUM, STR, ListT, Optional

    with i18n.using("zh"):
        assert type_name(ListT(DATE)) == "日期列表"
        assert type_name(Optional(STR)) == "文本或空值"
    with i18n.using("en"):
        assert type_name(ListT(NUM)) == "list of number"


def test_a_policy_given_to_test_is_said_in_one_line():
    """`policyctl test policies/jining.yaml` listed every top-level key of the policy as
    unknown (20+ lines of error[test-key]); now one line naming the mistake and both
    fixes, in either language, exit 1."""
    for lang, words in (("zh", "是政策文件，不是测试文件"), ("en", "is a policy, not a test file")):
        r = _run("--lang", lang, "test", JINING)
        assert r.exit_code == 1
        problems = [x for x in r.stderr.splitlines() if "error[" in x]
        assert len(problems) == 1, r.stderr
        assert "error[test-file]" in problems[0] and words in problems[0]
        assert f"policyctl validate {JINING}" in problems[0]
    zh = _run("--lang", "zh", "test", JINING)
    assert _no_english_words(zh.stderr.splitlines()[-1])


def test_the_operating_systems_reasons_in_both_languages(tmp_path):
    """`exc.strerror` (English whatever --lang says) reached zh users: a full disk, a
    permission refused, an errno nobody listed. Each errno is now a catalogue message;
    English keeps the C library's words."""
    import errno

    from engine import i18n
    from engine.errors import os_reason

    cases = [
        (errno.ENOSPC, "No space left on device", "磁盘空间不足", "no space left on device"),
        (errno.EACCES, "Permission denied", "权限不足", "permission denied"),
        (errno.EROFS, "Read-only file system", "文件系统为只读", "read-only file system"),
    ]
    for number, strerror, zh, en in cases:
        exc = OSError(number, strerror)
        with i18n.using("zh"):
            assert os_reason(exc) == zh
        with i18n.using("en"):
            assert os_reason(exc) == en
    odd = OSError(errno.ENOLINK, "Link has been severed")
    with i18n.using("zh"):
        assert os_reason(odd) == "系统错误 `ENOLINK`"
    with i18n.using("en"):
        assert os_reason(odd) == "link has been severed"
    if Path("/dev/full").exists():  # a full disk, as the CLI says it
        r = _run(
            "--lang", "zh", "evaluate", "--policy", SCORING, "--events", _ledger(tmp_path),
            "--as-of", "2025-12-31", "-o", "/dev/full",
        )  # fmt: skip
        assert r.exit_code == 1
        assert "无法写入 `/dev/full`：磁盘空间不足" in r.stderr
        assert "No space" not in r.stderr and "no space" not in r.stderr


def test_an_unreadable_policy_in_chinese(tmp_path, monkeypatch):
    """A policy the OS refuses to open said `cannot read file: Permission denied` in
    the middle of a Chinese line."""
    import errno

    from engine.policy import source

    def refuse(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(source, "read_text_file", refuse)
    r = _run("--lang", "zh", "validate", SCORING)
    assert r.exit_code == 1
    assert "权限不足" in r.stderr and "Permission" not in r.stderr, r.stderr


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path):
    """`policyctl evaluate ... | head -1` said `error[output]: 无法写入 标准输出：broken
    pipe` with exit 1. The reader wanting no more is not an error to report: nothing
    on standard error, no traceback, exit 1 as click and Python's documentation do
    (README, Exit codes)."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first byte
    try:
        done = subprocess.run(
            [
                sys.executable, "-c", "from engine.cli import main; main()", "--lang", "zh",
                "evaluate", "--policy", str(SCORING), "--events", str(_ledger(tmp_path)),
                "--as-of", "2025-12-31", "--format", "csv",
            ],
            stdout=write, stderr=subprocess.PIPE, cwd=ROOT, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == 1
    assert done.stderr.decode("utf-8") == ""


def test_csv_to_standard_output_in_an_encoding_without_its_characters_prints_nothing(tmp_path):
    """`--format csv --output-encoding ascii` printed the header line, then the error:
    standard output cannot be taken back, so every character is encoded first."""
    r = _run(
        "--lang", "zh", "evaluate", "--policy", JINING, "--events", CLI / "events.csv",
        "--roster", CLI / "roster.csv", "--as-of", "2025-12-31", "--format", "csv",
        "--output-encoding", "ascii",
    )  # fmt: skip
    assert r.exit_code == 1
    assert r.stdout == ""
    assert "无法以 ascii 编码写出" in r.stderr


def test_a_csv_report_and_the_files_beside_it_are_all_or_nothing(tmp_path):
    """`--format csv -o out.csv` wrote out.csv, then failed on out.institutions.csv (a
    folder there): out.csv was replaced by a report whose companion never came. Now
    the companion's target is refused before any work, and out.csv stays as it was."""
    out = tmp_path / "out.csv"
    out.write_text("old\n", encoding="utf-8")
    (tmp_path / "out.institutions.csv").mkdir()
    r = _run(
        "--lang", "en", "evaluate", "--policy", JINING, "--events", CLI / "events.csv",
        "--roster", CLI / "roster.csv", "--as-of", "2025-12-31", "--format", "csv", "-o", out,
    )  # fmt: skip
    assert r.exit_code == 1
    assert "out.institutions.csv" in r.stderr and "it is a folder" in r.stderr
    assert out.read_text(encoding="utf-8") == "old\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".policyctl-tmp")]


def test_write_files_renames_nothing_until_every_file_is_complete(tmp_path):
    """The second file failing half-way (a full disk, say) leaves the first target as
    it was and no temporary behind."""
    import errno

    import pytest

    from engine.errors import PolicyctlError
    from engine.output import write_files

    first, second = tmp_path / "a.csv", tmp_path / "a.institutions.csv"
    first.write_text("old\n", encoding="utf-8")

    def failing():
        yield "x,y\n"
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(PolicyctlError) as info:
        write_files([(["new\n"], str(first)), (failing(), str(second))])
    assert "no space left on device" in info.value.first.message
    assert first.read_text(encoding="utf-8") == "old\n" and not second.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    write_files([(["new\n"], str(first)), (["z\n"], str(second))])
    assert first.read_text(encoding="utf-8") == "new\n" and second.read_text() == "z\n"


def test_write_files_a_target_that_cannot_be_replaced_is_bad_output(tmp_path, monkeypatch):
    """The rename over the target refused (on Windows, a report still open in a
    spreadsheet) was an OSError out of write_files, an internal error (exit 70) with a
    traceback; it is the OutputError naming the file and the OS's reason, and no
    temporary is left behind."""
    import errno

    import pytest

    from engine import output
    from engine.errors import PolicyctlError

    target = tmp_path / "a.csv"
    target.write_text("old\n", encoding="utf-8")

    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(output.os, "replace", refused)
    with pytest.raises(PolicyctlError) as info:
        output.write_files([(["new\n"], str(target))])
    assert info.value.first.code == "output"
    assert str(target) in info.value.first.message
    assert "permission denied" in info.value.first.message.lower()
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_write_files_a_refused_chmod_is_bad_output_and_closes_the_temporary(tmp_path, monkeypatch):
    """The temporary's mode refused (a file system that takes no modes, a mount that
    refuses them): the OutputError naming the file, no temporary left behind, and the
    temporary's descriptor closed (it was opened by mkstemp, and the chmod came before
    the descriptor became a file object: it was left open for the process's life)."""
    import errno

    import pytest

    from engine import output
    from engine.errors import PolicyctlError

    target = tmp_path / "a.csv"
    target.write_text("old\n", encoding="utf-8")
    made: list[int] = []
    mkstemp = output.tempfile.mkstemp

    def recorded(*args, **kwargs):
        fd, name = mkstemp(*args, **kwargs)
        made.append(fd)
        return fd, name

    def refused(path, mode, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(path))

    monkeypatch.setattr(output.tempfile, "mkstemp", recorded)
    monkeypatch.setattr(output.os, "chmod", refused)
    with pytest.raises(PolicyctlError) as info:
        output.write_files([(["new\n"], str(target))])
    monkeypatch.undo()
    assert info.value.first.code == "output"
    assert str(target) in info.value.first.message
    assert "not permitted" in info.value.first.message.lower()
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert len(made) == 1
    with pytest.raises(OSError) as closed:  # EBADF: no such descriptor any more
        os.fstat(made[0])
    assert closed.value.errno == errno.EBADF


def test_init_where_a_file_blocks_its_folders_is_bad_input_and_writes_nothing(tmp_path):
    """`policyctl init y --dir D` with a file at D/policies/sources was an internal
    error (exit 70, FileExistsError at engine/policy/skeleton.py); and a failure on a
    later file left the earlier ones written. Now error[init] with the path, the OS's
    reason in the chosen language, exit 1, and none of the three files."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "sources").write_text("not a folder\n", encoding="utf-8")
    for lang, words in (("zh", "无法创建"), ("en", "cannot create")):
        r = _run("--lang", lang, "init", "yantai", "--dir", tmp_path)
        assert r.exit_code == 1, r.stderr
        assert "error[init]" in r.stderr and words in r.stderr and "内部错误" not in r.stderr
    assert not (tmp_path / "policies" / "yantai.yaml").exists()
    zh = _run("--lang", "zh", "init", "yantai", "--dir", tmp_path)
    assert _no_english_words(zh.stderr.strip().splitlines()[-1])


def test_clicks_path_kind_in_chinese(tmp_path):
    """`init x --dir FILE` said `Directory 'FILE' 是文件。`: click names the kind of
    path at import, before --lang is read."""
    f = tmp_path / "f"
    f.write_text("x", encoding="utf-8")
    r = _run("--lang", "zh", "init", "x", "--dir", f)
    assert r.exit_code == 2
    assert "文件夹 '" in r.stderr and "Directory" not in r.stderr, r.stderr


def test_lang_wherever_it_stands_is_the_language_of_click_s_errors(monkeypatch):
    """With LANG=en_US, `evaluate --lang zh --polcy x` said click's error in English:
    click finds an unknown option while parsing, before --lang's callback runs. And
    with LANG=zh_CN, `--lang en` after the mistake still gave Chinese."""
    monkeypatch.delenv("POLICYCTL_LANG", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(k, raising=False)
    for args in (
        ["evaluate", "--lang", "zh", "--polcy", "x"],
        ["evaluate", "--polcy", "x", "--lang=zh"],
    ):
        r = _run(*args)
        assert r.exit_code == 2 and "没有选项 '--polcy'" in r.stderr, r.stderr
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    r = _run("evaluate", "--polcy", "x", "--lang", "en")
    assert r.exit_code == 2 and "No such option '--polcy'" in r.stderr, r.stderr


def test_an_option_where_the_policy_file_belongs(tmp_path):
    """`evaluate --policy --lang zh` was told "`zh` follows --policy's value: give
    --policy before each file (--policy --lang --policy zh)"."""
    for lang, words in (
        ("zh", "--policy 后须给出政策文件，而不是 `--events`"),
        ("en", "--policy needs a policy file before `--events`"),
    ):
        r = _run("--lang", lang, "evaluate", "--policy", "--events", "e.csv")
        assert r.exit_code == 2 and words in r.stderr, r.stderr


def test_a_utf16_ledger_without_its_mark_says_so(tmp_path):
    """A UTF-16 file without a byte-order mark was `line 1 holds the control character
    U+0000 (hint: remove it: codes and dates are plain text)`: there is nothing to
    remove. Now the hint names UTF-16 and --encoding utf-16-le, which reads it."""
    events = tmp_path / "e.csv"
    events.write_bytes("person,date,items\nP1,2024-05-01,B1\n".encode("utf-16-le"))
    common = ["evaluate", "--policy", JINING, "--events", events, "--as-of", "2024-12-31"]
    zh = _run("--lang", "zh", *common)
    assert zh.exit_code == 1 and "UTF-16" in zh.stderr and "--encoding utf-16-le" in zh.stderr
    en = _run("--lang", "en", *common)
    assert "looks like UTF-16 without a byte-order mark" in en.stderr
    ok = _run("--lang", "en", *common, "--encoding", "utf-16-le", "--format", "csv")
    assert ok.exit_code == 0 and ok.stdout.startswith("person,status"), ok.stderr


def test_report_for_an_unknown_person_in_chinese(tmp_path):
    """`report --person P9` said `person `P9` has no event in the ledger and is not on
    the roster` in English under --lang zh (engine/api.py built it with an f-string)."""
    args = ["report", "--policy", JINING, "--events", CLI / "events.csv"]
    args += ["--roster", CLI / "roster.csv", "--as-of", "2025-12-31", "--person", "P9"]
    zh = _run("--lang", "zh", *args, "-o", tmp_path / "r.html")
    assert zh.exit_code == 1 and "error[unknown-person]" in zh.stderr
    assert "人员 `P9` 在台账中没有违规记录" in zh.stderr and _no_english_words(zh.stderr)
    en = _run("--lang", "en", *args, "-o", tmp_path / "r.html")
    assert "person `P9` has no event in the ledger" in en.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_test_file_that_is_a_list_in_chinese(tmp_path):
    """`a test file must be a mapping, not a list`: the kind of value stayed English."""
    bad = tmp_path / "t.yaml"
    bad.write_text("- policy: x.yaml\n", encoding="utf-8")
    r = _run("--lang", "zh", "test", bad)
    assert r.exit_code == 1 and "列表" in r.stderr and "a list" not in r.stderr, r.stderr


def test_the_schema_s_own_words_in_chinese(tmp_path):
    """jsonschema's `'' should be non-empty` and `-1 is less than the minimum of 0`, and
    `the document` for the top level, reached a Chinese reader in English."""
    text = SCORING.read_text("utf-8")
    cases = [
        (
            text.replace("cap: 12,", "cap: -1,"),
            "`cycle.cap` 为 -1；最小只能为 0",
            "is -1; the least",
        ),
        (re.sub(r"(?m)^title: .*$", 'title: ""', text), "`title` 不能为空", "must not be empty"),
        ("id: x\nversion: '1'\n", "政策顶层缺少键 `title`", "the top level of the policy is"),
    ]
    for i, (policy, zh_words, en_words) in enumerate(cases):
        path = tmp_path / f"p{i}.yaml"
        path.write_text(policy, encoding="utf-8")
        zh = _run("--lang", "zh", "validate", path)
        line = next(x for x in zh.stderr.splitlines() if "error[schema]" in x)
        assert zh.exit_code == 1 and zh_words in line, zh.stderr
        assert _no_english_words(line) and "the document" not in line, line
        assert en_words in _run("--lang", "en", "validate", path).stderr


def test_the_no_font_warning_in_chinese(tmp_path, monkeypatch):
    """On a machine without a Chinese font, `report --lang zh` said `warning: 本机没有…`:
    the catalogue's Chinese kept the English prefix (this machine has no such font, so
    test_report_warnings_in_chinese failed here; the font's absence is made certain)."""
    from engine.report import fonts

    monkeypatch.setattr(fonts, "subset", lambda text: None)
    args = ["report", "--policy", SCORING, "--events", _ledger(tmp_path), "--as-of"]
    zh = _run("--lang", "zh", *args, "2025-12-31", "-o", tmp_path / "r.html")
    assert zh.exit_code == 0, zh.stderr
    assert "警告：本机没有可内嵌的中文字体" in zh.stderr and "warning" not in zh.stderr
    en = _run("--lang", "en", *args, "2025-12-31", "-o", tmp_path / "r.html")
    assert "warning: no Chinese font found" in en.stderr


def _items_policy(tmp_path: Path, old: str, new: str) -> Path:
    """tests/fixtures/format/items.yaml (and its source text) with `old` made `new`."""
    fixtures = ROOT / "tests" / "fixtures" / "format"
    shutil.copy(fixtures / "items.txt", tmp_path / "items.txt")
    text = (fixtures / "items.yaml").read_text("utf-8")
    assert old in text
    path = tmp_path / "items.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


LOSS = (
    "if amount >= 30000 then 40 else if amount >= 10000 then 20 else if amount >= 2000 "
    "then 10 else 5"
)


def test_an_item_s_points_that_fail_in_chinese(tmp_path):
    """An item whose expression fails on a row (negative points, points off the scale's
    unit, a division by zero) was told in English under --lang zh, with Python's own
    words and a fraction's repr: `item `LOSS` gave 1/2 points, not a multiple of the
    scale's unit 1 (hint: check the event's columns ...)`."""
    cases = [
        ("amount - 100", "50", "项目 `LOSS` 得出负分值（-50）", "gave negative points (-50)"),
        ("amount - 100", "100.5", "得出 0.5 分，不是记分单位 1 的整数倍", "gave 0.5 points"),
        ("100 / (amount - 100)", "100", "`100 / (amount - 100)`：除数为零", ": division by zero"),
    ]
    for i, (points, amount, zh_words, en_words) in enumerate(cases):
        policy = _items_policy(tmp_path, LOSS, points)
        events = tmp_path / f"e{i}.csv"
        events.write_text(f"id,person,date,items,amount\nE1,P1,2024-05-01,LOSS,{amount}\n")
        args = ["evaluate", "--policy", policy, "--events", events, "--as-of", "2024-12-31"]
        zh = _run("--lang", "zh", *args)
        assert zh.exit_code == 1 and zh.stdout == "", zh.output
        line = zh.stderr.strip()
        assert "error[evaluation]: 该记录无法评估" in line, line
        assert zh_words in line and _no_english_words(line) and "1/2" not in line, line
        en = _run("--lang", "en", *args)
        assert "the event cannot be evaluated" in en.stderr and en_words in en.stderr


def test_a_length_over_a_hundred_years_is_refused_by_validate(tmp_path):
    """`suspend 9000 years` validated, and the first person to reach the band was an
    internal error (exit 70, OverflowError in engine/calendar.py)."""
    policy = _items_policy(
        tmp_path, "then: terminate, cite: 第六条}", "then: suspend 9000 years, cite: 第六条}"
    )
    zh = _run("--lang", "zh", "validate", policy)
    assert zh.exit_code == 1, zh.output
    assert "`9000 years` 超过 100 年" in zh.stderr and "`ban never`" in zh.stderr, zh.stderr
    en = _run("--lang", "en", "validate", policy)
    assert "`9000 years` is longer than 100 years" in en.stderr


def test_a_date_past_the_last_is_an_event_s_error_on_both_engines(tmp_path):
    """A 100-year suspension reached in 9998 ends past 9999-12-31: an internal error
    (exit 70) on both engines; now the event's line, in the reader's language."""
    policy = _items_policy(
        tmp_path, "then: terminate, cite: 第六条}", "then: suspend 100 years, cite: 第六条}"
    )
    events = tmp_path / "e.csv"
    events.write_text("id,person,date,items,amount\nE1,P1,9998-05-01,LOSS,40000\n")
    for engine in ("fold", "columnar"):
        args = ["evaluate", "--engine", engine, "--policy", policy, "--events", events]
        r = _run("--lang", "zh", *args, "--as-of", "9998-12-31")
        assert r.exit_code == 1 and r.stdout == "", (engine, r.output)
        assert "e.csv:2: error[evaluation]" in r.stderr and "晚于 9999-12-31" in r.stderr, r.stderr
        ok = _run("--lang", "zh", *args, "--as-of", "2024-12-31")  # a ledger of 2024, as of 2024
        assert ok.exit_code == 0, ok.output


def test_an_as_of_in_the_last_year_is_a_usage_error(tmp_path):
    """--as-of 9999-12-31 (an analyst's "everything") was an internal error: its cycle
    ends past the last date there is."""
    r = _run("--lang", "zh", "evaluate", "--policy", JINING, "--events", _ledger(tmp_path),
             "--as-of", "9999-12-31")  # fmt: skip
    assert r.exit_code == 2 and "`9999-12-31` 太晚：台账最晚只能按 9998-12-31 评估" in r.stderr
    assert "内部错误" not in r.stderr


def test_an_output_named_for_another_format_is_refused_before_any_work(tmp_path):
    """`evaluate --format csv -o people.xlsx` wrote CSV text into a file Excel then
    refuses to open as a workbook; `report -o people.csv` wrote an HTML page there.
    Now a usage error naming the format that writes such a file, and no file."""
    events = _ledger(tmp_path)
    common = ["--policy", SCORING, "--events", events, "--as-of", "2025-12-31"]
    cases = [
        (["evaluate", *common, "--format", "csv", "-o"], "people.xlsx", "请改用 --format xlsx"),
        (["evaluate", *common, "--format", "json", "-o"], "people.parquet", "--format intervals"),
        (["evaluate", *common, "--format", "table", "-o"], "people.html", "`policyctl report`"),
        (["report", *common, "-o"], "people.csv", "请以 .html 为文件名"),
    ]
    for args, name, words in cases:
        r = _run("--lang", "zh", *args, tmp_path / name)
        assert r.exit_code == 2 and words in r.stderr, r.output
        assert not (tmp_path / name).exists()
    ok = _run("--lang", "zh", "evaluate", *common, "--format", "xlsx", "-o", tmp_path / "p.xlsx")
    assert ok.exit_code == 0 and (tmp_path / "p.xlsx").read_bytes()[:2] == b"PK", ok.output


def test_a_yaml_file_in_gbk_or_utf16_is_named_so_at_its_line(tmp_path):
    """A policy saved by Chinese Windows (GBK) said `file is not UTF-8 (byte 179)`, a
    UTF-16 one `(byte 0)`, with no line, and a test file was told to `save the policy
    as UTF-8`. Now the line and column, what the file is, and a hint for any file."""
    text = JINING.read_text("utf-8")
    first = next(n for n, line in enumerate(text.splitlines(), 1) if not line.isascii())
    cases = [
        ("gbk", text.encode("gbk"), f"p.yaml:{first}:", "它可按 GB18030（GBK）读取"),
        ("utf16", text.encode("utf-16"), "p.yaml:1:1:", "文件是 UTF-16 编码"),
        ("utf16le", text.encode("utf-16-le"), "p.yaml:1:1:", "文件是 UTF-16 编码"),
    ]
    for name, data, where, words in cases:
        policy = tmp_path / name / "p.yaml"
        policy.parent.mkdir()
        policy.write_bytes(data)
        r = _run("--lang", "zh", "validate", policy)
        assert r.exit_code == 1 and where in r.stderr and words in r.stderr, (name, r.stderr)
        assert "请另存为 UTF-8 编码" in r.stderr and "字节" not in r.stderr, r.stderr
    tests = tmp_path / "tests"
    tests.mkdir()
    case = "policy: ../p.yaml\nas_of: 2024-12-31\ncases: []  # 空\n"
    (tests / "t.yaml").write_bytes(case.encode("utf-16"))
    r = _run("--lang", "zh", "test", tests / "t.yaml")
    assert r.exit_code == 1 and "文件是 UTF-16 编码" in r.stderr and "政策文件" not in r.stderr


def test_lists_in_chinese_messages_take_the_enumeration_comma(tmp_path):
    """Lists inside Chinese sentences were joined with an English comma: 政策有机构规则
    （五(三), 六(三)）; 政策 `jining` 的扣分项目有 A1, A2, ...; now 、 as the catalogue
    says for `, ` (English keeps its comma)."""
    events = tmp_path / "e.csv"
    events.write_text("id,person,date,items\nE1,P1,2024-05-01,A1\n", encoding="utf-8")
    args = ["evaluate", "--policy", JINING, "--events", events, "--as-of", "2024-12-31"]
    zh = _run("--lang", "zh", *args)
    assert zh.exit_code == 0 and "（五(三)、六(三)）" in zh.stderr, zh.stderr
    assert "(五(三), 六(三))" in _run("--lang", "en", *args).stderr
    events.write_text("id,person,date,items\nE1,P1,2024-05-01,Z9\n", encoding="utf-8")
    zh = _run("--lang", "zh", *args)
    assert zh.exit_code == 1 and "A1、A2、A3" in zh.stderr and "A1, A2" not in zh.stderr
    assert "B4……（共 24 个）" in zh.stderr, zh.stderr  # not B4，……: the list goes on


def test_diff_s_findings_not_carried_over_in_chinese():
    """`diff --events` under --lang zh listed `C3 has no counterpart under NEW；该违规记录
    未计入`: the note's English text (which the JSON keeps) was printed as it was."""
    args = [
        "diff", ROOT / "policies" / "jining.yaml", ROOT / "policies" / "zhanjiang.yaml",
        "--map", ROOT / "policies" / "maps" / "jining-to-zhanjiang.yaml",
        "--events", ROOT / "examples" / "jining" / "events.csv",
        "--roster", ROOT / "examples" / "jining" / "roster.csv", "--as-of", "2025-12-31",
    ]  # fmt: skip
    for fmt in ("text", "markdown"):
        zh = _run("--lang", "zh", *args, "--format", fmt)
        assert zh.exit_code == 1 and "C3 在 NEW 中没有对应项目" in zh.stdout, zh.stderr
        assert "no counterpart under NEW" not in zh.stdout
        en = _run("--lang", "en", *args, "--format", fmt)
        assert "C3 has no counterpart under NEW" in en.stdout
    js = _run("--lang", "zh", *args, "--format", "json")
    assert "C3 has no counterpart under NEW" in js.stdout  # the JSON's text, as documented
    # and --as-of without --events was said in English
    usage = _run("--lang", "zh", *args[:3], "--as-of", "2025-12-31")
    assert usage.exit_code == 2 and "--roster 和 --as-of 需要与 --events 一起使用" in usage.stderr


def test_a_claims_rule_s_and_billing_s_problems_in_chinese(tmp_path):
    """validate said `the text of claims rule `chronic-over-7-days` is not found in ...`,
    `the text of `billing` is not found`, `claims rule id `x` is used twice (hint: first
    at line N)` in English under --lang zh (f-strings in policy/loader.py)."""
    shutil.copytree(ROOT / "policies" / "sources", tmp_path / "sources")
    text = (ROOT / "policies" / "zhanjiang.yaml").read_text("utf-8")
    misquoted = text.replace("text: 慢性疾病不超过 7 天量", "text: 慢性疾病不超过 8 天量")
    misquoted = misquoted.replace(
        "text: 医保经办机构拒付不具备医保医师资格", "text: 医保经办机构拒付不具备医师资格"
    )
    twice = text.replace("- id: chronic-over-7-days", "- id: acute-over-3-days", 1)
    said = []
    for i, policy in enumerate((misquoted, twice)):
        bad = tmp_path / f"zhanjiang{i}.yaml"
        bad.write_text(policy, "utf-8")
        zh = _run("--lang", "zh", "validate", bad)
        assert zh.exit_code == 1, zh.output
        said += [x for x in zh.stderr.splitlines() if "error[" in x]
    assert any("找不到结算审核规则 `chronic-over-7-days` 的条文" in x for x in said), said
    assert any("找不到 `billing` 的条文" in x for x in said), said
    assert any("结算审核规则编号 `acute-over-3-days` 使用了两次" in x for x in said), said
    assert all(_no_english_words(x.split(": error[")[1]) for x in said), said


def test_init_with_a_city_name_too_long_for_a_file_name(tmp_path):
    """`policyctl init aaaa...` (300 characters) was an internal error (exit 70,
    OSError: File name too long, from Path.exists)."""
    r = _run("--lang", "zh", "init", "a" * 300, "--dir", tmp_path)
    assert r.exit_code == 1 and "error[init]" in r.stderr and "太长（300 个字符）" in r.stderr
    assert not (tmp_path / "policies").exists()
    ok = _run("--lang", "zh", "init", "a" * 64, "--dir", tmp_path)
    assert ok.exit_code == 0, ok.output


def test_a_file_past_the_limits_and_a_gbk_source_text_in_chinese(tmp_path):
    """`validate /dev/zero` said 无法读取文件：larger than 16 MiB (engine/limits.py's
    English); a regulation's text saved as GBK said only 规章原文不是可读的 UTF-8 文本,
    at the policy's line, with no hint."""
    big = tmp_path / "big.yaml"
    big.write_bytes(b"id: x\n" + b"#" * (17 << 20))
    r = _run("--lang", "zh", "validate", big)
    assert r.exit_code == 1 and "大于 16 MiB" in r.stderr and "larger" not in r.stderr
    shutil.copy(ROOT / "tests" / "fixtures" / "format" / "items.yaml", tmp_path / "items.yaml")
    text = (ROOT / "tests" / "fixtures" / "format" / "items.txt").read_text("utf-8")
    (tmp_path / "items.txt").write_bytes(text.encode("gbk"))
    r = _run("--lang", "zh", "validate", tmp_path / "items.yaml")
    line = next(x for x in r.stderr.splitlines() if "error[source]" in x)
    assert r.exit_code == 1 and "items.txt:1:1: error[source]" in line, r.stderr
    assert "GB18030（GBK）" in line and "请另存为 UTF-8 编码" in line, line


def test_test_s_junit_to_a_missing_folder_and_a_bad_percent(tmp_path):
    """`test --junit /missing/x.xml` ran every test and printed `89 passed, 0 failed`
    before failing to write; `--fail-under abc` said 不是有效的 float range (click's
    English name of the type)."""
    r = _run("--lang", "zh", "test", "--junit", tmp_path / "missing" / "x.xml")
    assert r.exit_code == 1 and "error[output]" in r.stderr and r.stdout == "", r.output
    r = _run("--lang", "zh", "test", "--coverage", "--fail-under", "abc")
    assert r.exit_code == 2 and "'abc' 不是有效的数值" in r.stderr and "float" not in r.stderr


def test_an_item_s_points_out_of_range_say_what_is_wrong(tmp_path):
    """`points: -5` said `items.0.points` should be text, found a number (the schema's
    expression branch); `{min: -1, max: 3}` said unknown key `min`; a fraction of the
    scale's unit was shown as 1/10000000."""
    cases = [
        ("-5", "`items.0.points` 为 -5；最小只能为 0"),
        ("{min: -1, max: 3}", "`items.0.points.min` 为 -1；最小只能为 0"),
        ("{band: 1}", "`items.0.points.band` 应为"),
        ("0.0000001", "扣 0.0000001 分，不是分值单位 1 的整数倍"),
    ]
    for i, (points, words) in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        policy = _items_policy(folder, "points: 5, text", f"points: {points}, text")
        r = _run("--lang", "zh", "validate", policy)
        assert r.exit_code == 1 and words in r.stderr, (points, r.stderr)


def test_a_number_yaml_reads_as_text_is_told_so(tmp_path):
    """`initial: 1e20` said only `scale.initial` 应为数字，实际为文本: the writer sees a
    number; YAML 1.1 reads an exponent without a dot as text. Now the value and the fix."""
    policy = _items_policy(tmp_path, "initial: 100,", "initial: 1e20,")
    r = _run("--lang", "zh", "validate", policy)
    assert r.exit_code == 1 and "`1e20` 被读作文本：请用普通数字书写" in r.stderr, r.stderr


def test_a_date_or_a_code_of_the_wrong_form_in_chinese(tmp_path):
    """`issued: 2024-02-30` said `2024-02-30` is not a real date in English
    (engine/calendar.py); `issued: 2024年1月1日` gave the schema's English description as
    the hint (A date written YYYY-MM-DD (the loader keeps YAML dates as strings))."""
    cases = [
        ("issued: 2024-01-01", "issued: 2024-02-30", "`2024-02-30` 不是真实存在的日期"),
        ("issued: 2024-01-01", "issued: 2024年1月1日", "提示：日期请写成 YYYY-MM-DD"),
        ("code: RANGE", "code: 范围", "例如 `A1`、`LOSS`、`TEST-FAIL`"),
        ('start: "01-01"', 'start: "1-1"', "请写成带引号的 MM-DD"),
    ]
    for i, (old, new, words) in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        r = _run("--lang", "zh", "validate", _items_policy(folder, old, new))
        line = next(x for x in r.stderr.splitlines() if "error[" in x)
        assert r.exit_code == 1 and words in line, (new, r.stderr)
        assert _no_english_words(line.split(": error[")[1]), line


def test_an_empty_test_file_is_said_to_be_empty(tmp_path):
    """An empty test file said 测试文件必须是映射，而不是 无 (a mapping, not nothing)."""
    empty = tmp_path / "t.yaml"
    empty.write_text("# 尚未写用例\n", encoding="utf-8")
    r = _run("--lang", "zh", "test", empty)
    assert r.exit_code == 1 and "error[test-type]: 测试文件为空" in r.stderr, r.stderr


def test_the_report_s_timelines_name_months_in_chinese(tmp_path):
    """The zh report's timelines labelled their date axes Mar, May, Jul (matplotlib's
    concise dates, English whatever --lang says)."""
    args = ["report", "--policy", JINING, "--events", ROOT / "examples" / "jining" / "events.csv"]
    args += ["--roster", ROOT / "examples" / "jining" / "roster.csv", "--as-of", "2025-12-31"]
    r = _run("--lang", "zh", *args, "-o", tmp_path / "zh.html")
    assert r.exit_code == 0, r.output
    svgs = "".join(re.findall(r"<svg.*?</svg>", (tmp_path / "zh.html").read_text("utf-8"), re.S))
    text = " ".join(re.findall(r">([^<>]+)<", svgs))
    assert "3月" in text and "2025年" in text, text[:500]
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", text)
    assert _run("--lang", "en", *args, "-o", tmp_path / "en.html").exit_code == 0
    assert re.search(r">(Mar|May|Jul)<", (tmp_path / "en.html").read_text("utf-8"))


def test_diff_s_causes_in_chinese():
    """`diff --events` told why each person's outcome changes in English under zh:
    原因  items: A2 as B3 points 1 -> 20; tier suspend-3m: bounds ...; restoration
    automatic -> reapplication. The JSON and the API keep the English label."""
    args = [
        "diff", ROOT / "policies" / "jining.yaml", ROOT / "policies" / "zhanjiang.yaml",
        "--map", ROOT / "policies" / "maps" / "jining-to-zhanjiang.yaml",
        "--events", ROOT / "examples" / "jining" / "events.csv",
        "--roster", ROOT / "examples" / "jining" / "roster.csv", "--as-of", "2025-12-31",
    ]  # fmt: skip
    zh = _run("--lang", "zh", *args)
    why = [x for x in zh.stdout.splitlines() if x.strip().startswith("原因")]
    assert why and "扣分项目：A2 记为 B3 分值 1 -> 20；档次 suspend-3m：bounds" in zh.stdout
    assert "恢复方式 automatic -> reapplication" in zh.stdout
    assert not any(w in x for x in why for w in ("items:", " as ", "tier ", "restoration"))
    en = _run("--lang", "en", *args)
    assert "items: A2 as B3 points 1 -> 20; tier suspend-3m: bounds" in en.stdout
    js = _run("--lang", "zh", *args, "--format", "json")
    assert '"items: A2 as B3 points 1 -> 20"' in js.stdout


def test_item_codes_joined_by_another_separator_are_told_the_separator(tmp_path):
    """`FIX;LOSS`, `FIX,LOSS`, `FIX、RANGE` in `items` said `unknown item code` with a
    did-you-mean of one of them; the ledger separates several items with `|`."""
    events = tmp_path / "e.csv"
    events.write_text(
        'id,person,date,items\nE1,P1,2024-05-01,FIX;LOSS\nE2,P1,2024-05-02,"FIX,LOSS"\n'
        "E3,P1,2024-05-03,FIX、RANGE\n",
        encoding="utf-8",
    )
    policy = ROOT / "tests" / "fixtures" / "format" / "items.yaml"
    for engine in ("fold", "columnar"):
        r = _run("--lang", "zh", "evaluate", "--engine", engine, "--policy", policy,
                 "--events", events, "--as-of", "2024-12-31")  # fmt: skip
        assert r.exit_code == 1 and r.stdout == "", r.output
        assert r.stderr.count("多个扣分项目请用 `|` 分隔：`FIX|LOSS`") == 2, r.stderr
        assert "`FIX|RANGE`" in r.stderr


def test_policyctl_explain_says_where_the_story_is():
    """`policyctl explain P` (the brief's and a user's name for it) said only 没有命令
    'explain'; the story is evaluate's --explain."""
    r = _run("--lang", "zh", "explain", "JN0001")
    assert r.exit_code == 2 and "--explain 人员编码" in r.stderr, r.stderr
