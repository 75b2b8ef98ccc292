"""Long fuzz runs with atheris over the targets the test suite runs under hypothesis.

    pip install atheris
    python tools/fuzz.py csv|jsonl|xlsx|policy [atheris/libFuzzer options, e.g. -max_total_time=600]

A failure is an input that raised anything but our own error with a position; atheris
writes it to crash-*, and `python tools/fuzz.py TARGET crash-...` replays it. See
docs/testing.md, "Fuzzing".
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    import atheris

    with atheris.instrument_imports():
        from fuzz import targets
    name = sys.argv.pop(1) if len(sys.argv) > 1 else ""
    if name not in targets.TARGETS:
        sys.exit(f"usage: python tools/fuzz.py {'|'.join(targets.TARGETS)} [libFuzzer options]")
    atheris.Setup(sys.argv, targets.TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
