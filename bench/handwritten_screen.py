"""The Jining refusal written by hand in DuckDB SQL: the yardstick for `screen --engine duckdb`.

What an analyst fluent in SQL would write for 五(二) given the status intervals
(`policyctl evaluate --format intervals --output iv.parquet`) and the claims:
lines of a suspended or terminated practitioner (at the site, for a cascade),
outside emergency and rescue, written to Parquet with the institution summary
printed. Same join (person, date inside the interval, institution for a site's
interval), same columns read; none of the screen's generality (compiled rules,
undecided lines, the harsher of two statuses, several output tables).

Usage: python bench/handwritten_screen.py --intervals IV.parquet --claims DIR
       --out OUT.parquet [--memory-limit 4GB --temp-directory DIR]
"""

from __future__ import annotations

import argparse

import duckdb

# the claims as {claims} (bench/screen_sql.py runs the same query over the engine's view)
SELECT = """
  SELECT c.claim_id, c.person, c.institution, c.date, CAST(c.amount AS DECIMAL(18, 2)) AS amount,
         i.status, i.cite AS sanction_cite
  FROM {claims} AS c
  JOIN iv AS i
    ON c.person = i.person
   AND c.date BETWEEN i.start AND COALESCE(i."end", DATE '9999-12-31')
   AND (i.institution IS NULL OR i.institution = c.institution)
  WHERE i.status IN ('suspended', 'terminated')
    AND c.visit NOT IN ('emergency', 'rescue')
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intervals", required=True)
    ap.add_argument("--claims", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--memory-limit")
    ap.add_argument("--temp-directory")
    a = ap.parse_args()
    config = {}
    if a.memory_limit:
        config["memory_limit"] = a.memory_limit
    if a.temp_directory:
        config["temp_directory"] = a.temp_directory
    con = duckdb.connect(config=config)
    con.execute("CREATE TABLE iv AS SELECT * FROM read_parquet(?)", [a.intervals])
    out = a.out.replace("'", "''")
    query = f"COPY ({SELECT.format(claims='read_parquet(?)')}) TO '{out}' (FORMAT parquet)"
    con.execute(query, [a.claims.rstrip("/") + "/*.parquet"])
    print(
        con.execute(
            "SELECT count(*), sum(amount), count(DISTINCT institution) FROM read_parquet(?)",
            [a.out],
        ).fetchone()
    )


if __name__ == "__main__":
    main()
