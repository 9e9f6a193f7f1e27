"""Plain-text tables of the command line (``likelihub inspect``, plugins' commands)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["text_table"]


def text_table(rows: Sequence[Sequence], header: Sequence[str]) -> list[str]:
    """The lines of a table: ``header``, a rule of dashes, then ``rows``, in columns as wide as
    their widest cell (``str`` of each), separated by two spaces, without trailing spaces."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]
