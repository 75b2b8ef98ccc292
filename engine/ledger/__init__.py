"""Stage "read": events and roster files -> a `Ledger` of typed rows, each with file and line.

tables (file formats: csv in any common encoding, xlsx, jsonl -> header + text cells) ->
read (cells -> typed `Event`s and `Person`s, checked against the policy).
"""
