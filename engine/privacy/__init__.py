"""Personal data: what policyctl does to keep it out of what it writes (issue 22 §3).

A foundation, beside errors and calendar: the ledger reader, the report, the
screen and the service all use it, and it uses nothing of theirs.

- `pseudonyms.py`: stable pseudonyms for practitioner codes, event ids and
  (when the operator asks) institution codes, a keyed hash (HMAC-SHA256) with a
  key the operator supplies (`--redact`). De-identification in the sense of PIPL
  art. 73(3), not anonymisation: whoever holds the key can link a pseudonym back
  to its code, and is meant to be able to.

What the tool stores, where, for how long and how to erase it: docs/privacy.md.
"""
