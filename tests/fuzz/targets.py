"""Fuzz targets over the readers of untrusted files: the ledger readers (CSV in each
encoding, xlsx, JSON Lines) and the policy loader.

The property (issue 13): every input either gives a result or gives our own error
(`LedgerError` / `PolicyError`) whose diagnostics each carry a file position;
nothing else escapes. Each target takes bytes, so the same functions are driven
by hypothesis in the normal suite (tests/test_fuzz.py, a bounded budget) and by
atheris for longer runs (tools/fuzz.py; docs/testing.md, "Fuzzing").
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from engine.errors import LedgerError, PolicyError

ROOT = Path(__file__).resolve().parents[2]
ENCODINGS = (None, "utf-8", "gb18030", "utf-16")


@cache
def policy():
    from engine.policy.loader import load_policy

    return load_policy(str(ROOT / "policies" / "jining.yaml"))


def _expect_ours(call, error_type) -> None:
    try:
        call()
    except error_type as exc:
        assert exc.diagnostics, "an error with no diagnostic"
        for d in exc.diagnostics:
            assert d.span is not None and d.span.file, f"no position: {d.render()}"


def _file(data: bytes, suffix: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix="policyctl-fuzz-"))
    path = folder / f"events{suffix}"
    path.write_bytes(data)
    return str(path)


def ledger_target(data: bytes, suffix: str = ".csv", encoding: str | None = None) -> None:
    """Read `data` as an events file (and as a roster) with the given extension."""
    from engine.ledger.read import read_events, read_roster

    path = _file(data, suffix)
    try:
        _expect_ours(lambda: read_events(path, policy(), encoding), LedgerError)
        _expect_ours(lambda: read_roster(path, encoding), LedgerError)
    finally:
        Path(path).unlink(missing_ok=True)
        Path(path).parent.rmdir()


def csv_target(data: bytes) -> None:
    """The first byte picks the encoding the rest is read with."""
    encoding = ENCODINGS[data[0] % len(ENCODINGS)] if data else None
    ledger_target(data[1:], ".csv", encoding)


def jsonl_target(data: bytes) -> None:
    ledger_target(data, ".jsonl")


def xlsx_target(data: bytes) -> None:
    """Bytes as a workbook's first sheet XML inside a valid package, so that the
    fuzzer reaches the sheet reader rather than stopping at the zip."""
    from openpyxl import Workbook

    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.append(["person", "date", "items"])
    wb.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml" and data:
                body = data
            dst.writestr(item, body)
    ledger_target(out.getvalue(), ".xlsx")


def policy_target(data: bytes) -> None:
    from engine.policy.loader import load_policy

    folder = Path(tempfile.mkdtemp(prefix="policyctl-fuzz-"))
    path = folder / "policy.yaml"
    path.write_bytes(data)
    try:
        _expect_ours(lambda: load_policy(str(path)), PolicyError)
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()


TARGETS = {
    "csv": csv_target,
    "jsonl": jsonl_target,
    "xlsx": xlsx_target,
    "policy": policy_target,
}
