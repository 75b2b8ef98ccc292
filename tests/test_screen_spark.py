"""`screen --engine spark` in local mode gives what DuckDB gives, byte for byte.

One Spark session for the module (starting the JVM costs seconds). Skipped,
with the reason in the summary, where pyspark or Java is missing.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess

import pytest

from engine import api
from engine.screen import output
from tests.conftest import POLICIES, write_csv


def _why_not() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install '.[spark]')"
    java = shutil.which("java")
    if java is None:
        return "no Java runtime on PATH (Spark needs Java 17)"
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"java does not run: {exc}"
    return None


REASON = _why_not()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"Spark test skipped: {REASON}")


@pytest.fixture(scope="module")
def spark():
    from engine.screen.engines import Spark

    session = Spark.session()
    yield session
    session.stop()
    Spark._session = None


def _claims(path, n=3000, seed=7):
    """Claim lines over the example Jining roster's people, 2024-2025, as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    people = [f"JN{i:04d}" for i in range(1, 280)]
    start = dt.date(2024, 1, 1)
    rows = {k: [] for k in ("claim_id", "person", "institution", "date", "amount", "visit")}
    for i in range(n):
        rows["claim_id"].append(f"CL{i:07d}")
        rows["person"].append(rng.choice(people))
        rows["institution"].append(rng.choice(["JNH01", "JNH10", "JNH11", "JNH03"]))
        rows["date"].append(start + dt.timedelta(days=rng.randrange(730)))
        rows["amount"].append(round(rng.uniform(5, 3000), 2))
        rows["visit"].append(rng.choice(["outpatient"] * 6 + ["inpatient", "emergency", "rescue"]))
    pq.write_table(pa.table(rows), path)


def test_spark_and_duckdb_give_identical_output(tmp_path, spark):
    claims = tmp_path / "claims.parquet"
    _claims(claims)
    args = (
        str(POLICIES / "jining.yaml"),
        "examples/jining/events.csv",
        str(claims),
        "examples/jining/roster.csv",
        dt.date(2025, 12, 31),
    )
    duck = api.screen_files(*args, engine="duckdb")
    sp = api.screen_files(*args, engine="spark")
    assert duck.lines.num_rows > 20  # the sample does hit sanctions
    assert duck.lines.equals(sp.lines)
    assert duck.institutions.equals(sp.institutions)
    assert duck.rules.equals(sp.rules)
    for result in (duck, sp):
        result.screened["engine"] = "-"
    assert output.as_json(duck) == output.as_json(sp)


def test_spark_reads_csv_claims_as_text_and_casts(tmp_path, spark):
    ev = write_csv(
        tmp_path / "events.csv",
        [{"id": "E1", "person": "P1", "date": "2025-03-10", "type": "violation", "items": "C1"}],
    )
    cl = write_csv(
        tmp_path / "claims.csv",
        [
            {
                "claim_id": "007",
                "person": "P1",
                "institution": "H1",
                "date": "2025-04-01",
                "amount": "12.30",
                "visit": "outpatient",
            },
            {
                "claim_id": "008",
                "person": "P1",
                "institution": "H1",
                "date": "2025-04-01",
                "amount": "12.30",
                "visit": "rescue",
            },
        ],
        ["claim_id", "person", "institution", "date", "amount", "visit"],
    )
    args = (str(POLICIES / "jining.yaml"), str(ev), str(cl), None, dt.date(2025, 12, 31))
    sp = api.screen_files(*args, engine="spark")
    assert sp.lines["claim_id"].to_pylist() == ["007"]
    assert str(sp.lines["at_stake"][0].as_py()) == "12.30"
    assert sp.lines.equals(api.screen_files(*args, engine="duckdb").lines)
