"""Stage "load": a policy file (YAML) -> a checked, compiled `Policy`.

source (YAML text -> plain data + positions) -> schema (structure) -> loader (meaning:
expressions checked and compiled, tiers proved as bands, provenance) -> model (the typed,
frozen `Policy`). Code maps (`codemap`) pair items across two policies.
"""
