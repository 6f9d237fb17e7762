"""What the report commands share: the report on stdout and, with --out, in a file."""

from __future__ import annotations

from pathlib import Path


def emit_report(text: str, out: Path | None) -> int:
    """Print ``text``; write it to ``out`` too when given; the command's exit status (0)."""
    print(text, end="")
    if out is not None:
        out.write_text(text)
    return 0
