"""Stage "evaluate": a `Policy` and a `Ledger` -> an `Outcome`.

fold (each person's events in date order) with its state, sanctions, story, deadlines
and institution rules; outcome holds what it hands to the report stage.
"""
