"""Stage "report": an `Outcome` -> json | jsonl | csv | table, and one person's story."""
