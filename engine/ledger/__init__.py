"""Stage "read": events and roster files -> a `Ledger` of typed rows, each with file and line.

tables (file formats: csv in any common encoding, xlsx, jsonl -> header + text cells) ->
columns (the names read; rows as wide as the header) -> values (cells -> dates, numbers) ->
profiles (a row's checks against the policy) -> checks (ids, institutions' staff: across
rows) -> rows (the typed `Event`, `Person`, `Ledger`); read.py is the loop over them all.
"""
