"""The Jining refusal as most analysts would write it: pandas and merge_asof.

For each claim line, the latest interval of the same practitioner that starts
on or before its date (`merge_asof` by person, and by person and institution
for a site's interval), kept when the date is also on or before the interval's
last day; suspended or terminated, outside emergency and rescue. Everything is
read into memory, as a pandas program does.

Usage: python bench/pandas_screen.py --intervals IV.parquet --claims DIR --out OUT.parquet
"""

from __future__ import annotations

import argparse

import pandas as pd

COLUMNS = ["claim_id", "person", "institution", "date", "amount", "visit"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intervals", required=True)
    ap.add_argument("--claims", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    c = pd.read_parquet(a.claims, columns=COLUMNS)
    for col in ("person", "institution", "visit"):
        c[col] = c[col].astype(str)
    c["date"] = pd.to_datetime(c["date"])
    c = c.sort_values("date")
    iv = pd.read_parquet(a.intervals)
    iv["start"] = pd.to_datetime(iv["start"])
    iv["end"] = pd.to_datetime(iv["end"]).fillna(pd.Timestamp("2262-01-01"))
    hits = []
    for scope, by in (("person", ["person"]), ("institution", ["person", "institution"])):
        right = iv[iv["scope"] == scope].sort_values("start")
        right = right[[*by, "start", "end", "status", "cite"]]
        m = pd.merge_asof(c, right, left_on="date", right_on="start", by=by)
        m = m[(m["date"] <= m["end"]) & m["status"].isin(["suspended", "terminated"])]
        hits.append(m[~m["visit"].isin(["emergency", "rescue"])])
    out = pd.concat(hits).drop_duplicates("claim_id")
    out[["claim_id", "person", "institution", "date", "amount", "status", "cite"]].to_parquet(a.out)
    print(len(out), round(out["amount"].sum(), 2), out["institution"].nunique())


if __name__ == "__main__":
    main()
