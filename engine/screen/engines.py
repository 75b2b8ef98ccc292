"""The engines the screen's plan runs on: DuckDB on one machine, Spark SQL on a cluster.

Each engine reads the claims itself (Parquet: a file, a folder or a glob; CSV:
every column read as text, then cast by the plan, so an id such as `00123`
keeps its zeros), takes the interval tables as Arrow, runs the plan rendered
in its own dialect and hands back the result as Arrow record batches. Nothing here
loops over claim lines in Python.

- DuckDB: in-process. `memory_limit` and `temp_directory` make it spill to disk
  rather than grow past the limit (the join and the scan stream; what is held
  is the interval tables' hash tables, the sort, and one batch of the result).
- Spark: local mode by default (`local[*]`); `master` takes a cluster URL and
  `remote` a Spark Connect URL (`sc://host:15002`), as docs/scale.md shows.
  One session per process, reused.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import Diagnostic, PolicyctlError
from engine.i18n import N_, _
from engine.screen import values

if TYPE_CHECKING:
    import pyarrow as pa

MESSAGES = {
    "no-claims": N_("claims `{path}` not found"),
    "no-claims-hint": N_("give a Parquet file, a folder of Parquet files, or a CSV file"),
    "format": N_("claims `{path}` is neither Parquet nor CSV"),
    "format-hint": N_("name the file .parquet or .csv (a folder holds .parquet files)"),
    "empty-folder": N_("the folder `{path}` holds no .parquet file"),
    "read": N_("claims `{path}` could not be read: {reason}"),
    "engine": N_("the {engine} engine failed on `{path}`: {reason}"),
    "engine-hint": N_(
        "a column whose values do not fit its type is the usual cause "
        "(a date that is not YYYY-MM-DD, an amount that is not a number)"
    ),
    "no-spark": N_("the spark engine needs pyspark and Java 17: {reason}"),
    "no-spark-hint": N_("pip install 'policyctl[spark]', and install a Java 17 runtime"),
}


class ScreenError(PolicyctlError):
    """Claims that cannot be screened (missing, unreadable, of the wrong shape)."""


def _fail(key: str, path: str, hint: str | None = None, **kw) -> ScreenError:
    return ScreenError(Diagnostic("claims", _(MESSAGES[key]).format(path=path, **kw), None, hint))


def claims_kind(path: str) -> tuple[str, list[str]]:
    """("parquet" | "csv", the files) for a claims path; raises ScreenError."""
    p = Path(path)
    if p.is_dir():
        files = sorted(glob.glob(os.path.join(path, "**", "*.parquet"), recursive=True))
        if not files:
            raise _fail("empty-folder", path, _(MESSAGES["no-claims-hint"]))
        return "parquet", files
    if any(ch in path for ch in "*?["):
        files = sorted(glob.glob(path, recursive=True))
        if not files:
            raise _fail("no-claims", path, _(MESSAGES["no-claims-hint"]))
        kinds = {_kind_of(f) for f in files}
        if len(kinds) != 1 or None in kinds:
            raise _fail("format", path, _(MESSAGES["format-hint"]))
        return kinds.pop(), files  # type: ignore[return-value]
    if not p.is_file():
        raise _fail("no-claims", path, _(MESSAGES["no-claims-hint"]))
    kind = _kind_of(path)
    if kind is None:
        raise _fail("format", path, _(MESSAGES["format-hint"]))
    return kind, [path]


def claims_files(path: str) -> tuple[str, list[str]]:
    """`claims_kind`, and `error[empty]` for a file with nothing in it."""
    kind, files = claims_kind(path)
    nothing = values.empty(kind, files)
    if nothing is not None:
        raise ScreenError(nothing)
    return kind, files


def _kind_of(path: str) -> str | None:
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    return None


# rows of the result handed over at a time: a batch of lines, its summaries noted,
# then written (output.Writer), before the next is read
BATCH_ROWS = 131_072


class DuckDB:
    name = "duckdb"
    dialect = "duckdb"

    def __init__(
        self,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
        threads: int | None = None,
    ):
        import duckdb

        config = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(":memory:", config=config)
        self.path = self.kind = ""

    def load_claims(self, path: str) -> list[str]:
        """Make the view `claims` over the file(s); return its column names."""
        import duckdb

        kind, files = claims_files(path)
        self.path, self.kind, self.files = path, kind, files
        source = values.source(kind, files)
        try:
            self.con.execute(f"CREATE OR REPLACE VIEW claims AS SELECT * FROM {source}")
            return [r[0] for r in self.con.execute("DESCRIBE claims").fetchall()]
        except duckdb.Error as exc:
            raise _fail("read", path, reason=_first_line(exc)) from None

    def batches(
        self, sql: str, tables: dict[str, pa.Table], casts: dict[str, str] | None = None
    ) -> Iterator[pa.RecordBatch]:
        """The plan's rows as record batches, read as the engine makes them (its sort
        spills past `memory_limit`; what Python holds is one batch). `casts` (column
        -> SQL type, as the plan casts them) names the values that do not fit when the
        engine refuses one (`values.py`)."""
        import duckdb

        for name, table in tables.items():
            self.con.register(name, table)
        try:
            yield from values.batches(self.con.sql(sql), BATCH_ROWS)
        except duckdb.ConversionException as exc:
            found = values.problems(self.con, self.kind, self.files, casts or {})
            if found:
                raise ScreenError(found) from None
            raise _failed(self.name, self.path, exc) from None
        except duckdb.Error as exc:
            raise _failed(self.name, self.path, exc) from None

    def close(self) -> None:
        self.con.close()


_LOCAL_JVM = "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

# shuffle partitions in local mode: Spark's default 200 costs seconds on small inputs
_PARTITIONS = os.environ.get("POLICYCTL_SPARK_PARTITIONS", "8")


_SPARK_TYPES = {"string": "STRING", "date32[day]": "DATE", "int32": "INT", "int64": "BIGINT"}


class Spark:
    name = "spark"
    dialect = "spark"
    _session = None

    def __init__(self, master: str | None = None, remote: str | None = None):
        self.master, self.remote = master, remote
        self.path = self.kind = ""

    @classmethod
    def session(cls, master: str | None = None, remote: str | None = None):
        """One SparkSession per process (starting one costs seconds)."""
        if cls._session is not None:
            return cls._session
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise ScreenError(
                Diagnostic(
                    "engine",
                    _(MESSAGES["no-spark"]).format(reason=exc),
                    None,
                    _(MESSAGES["no-spark-hint"]),
                )
            ) from None
        builder = SparkSession.builder.appName("policyctl screen")
        if remote:
            builder = builder.remote(remote)
        else:
            builder = (
                builder.master(master or "local[*]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", _PARTITIONS)
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                # a short-lived local driver: C1 only and the serial collector start faster
                .config("spark.driver.extraJavaOptions", _LOCAL_JVM)
            )
        try:
            cls._session = builder.getOrCreate()
        except Exception as exc:  # the JVM did not start: no Java, or a bad URL
            raise ScreenError(
                Diagnostic(
                    "engine",
                    _(MESSAGES["no-spark"]).format(reason=_first_line(exc)),
                    None,
                    _(MESSAGES["no-spark-hint"]),
                )
            ) from None
        return cls._session

    def load_claims(self, path: str) -> list[str]:
        kind, files = claims_files(path)
        self.path, self.kind = path, kind
        spark = self.session(self.master, self.remote)
        try:
            if kind == "parquet":
                df = spark.read.option("mergeSchema", "true").parquet(*files)
            else:
                df = spark.read.option("header", "true").csv(files)
        except Exception as exc:
            raise _fail("read", path, reason=_first_line(exc)) from None
        df.createOrReplaceTempView("claims")
        return list(df.columns)

    def batches(
        self, sql: str, tables: dict[str, pa.Table], casts: dict[str, str] | None = None
    ) -> Iterator[pa.RecordBatch]:
        """The plan's rows (collected to the driver whole: for a result too large for
        it, write Parquet on the cluster, docs/scale.md)."""
        spark = self.session(self.master, self.remote)
        for name, table in tables.items():
            # from rows, not from Arrow: pyspark's Arrow path needs pandas, and the
            # interval tables are small (one row per sanction)
            schema = ", ".join(f"`{f.name}` {_SPARK_TYPES[str(f.type)]}" for f in table.schema)
            spark.createDataFrame(table.to_pylist(), schema).createOrReplaceTempView(name)
        try:
            result = spark.sql(sql).toArrow()
        except Exception as exc:
            raise _failed(self.name, self.path, exc) from None
        yield from result.to_batches()

    def close(self) -> None:
        """The session is kept for the process (tests and a long-lived caller reuse it)."""


def _failed(name: str, path: str, exc: Exception) -> ScreenError:
    """The engine's own message, when no value of the claims can be named instead."""
    return _fail("engine", path, _(MESSAGES["engine-hint"]), engine=name, reason=_first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def engine(name: str, **options) -> DuckDB | Spark:
    if name == "spark":
        return Spark(options.get("master"), options.get("remote"))
    get = options.get
    return DuckDB(get("memory_limit"), get("temp_directory"), get("threads"))
