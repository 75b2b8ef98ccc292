"""Stage "diff": two policies (and optionally a ledger) -> what changed, and whose outcome moves.

diff (the semantic comparison) -> impact (the ledger under both, with attribution),
carryover (a ledger read under one policy carried to the other) -> render (text, json,
markdown). Named `compare` so that `engine.diff` stays free for the API's function.
"""
