"""HS3 files as the files of ``likelihub cls|limit|fit|inspect FILE``.

    likelihub cls model_hs3.json --format hs3 --mu 1
    likelihub fit model_hs3.json --format hs3 --analysis simPdf_obsData

A ``.json`` file whose first 256 KiB hold ``"distributions"`` or ``"hs3_version"`` is an HS3
file; the HistFactory format, which claims every ``.json`` file, is the fallback where no format
recognises a file by its content, so ``--format hs3`` is needed no more (it still names it).
"""

from __future__ import annotations

import click

from likelihub.plugin import file_head

__all__ = ["is_hs3", "OPTIONS", "open_hs3"]

#: Bytes of the file ``is_hs3`` looks at.
HEAD = 256 * 1024


def is_hs3(path: str) -> bool:
    """Whether ``path`` looks like an HS3 file (never raises)."""
    if not str(path).lower().endswith(".json"):
        return False
    head = file_head(path, HEAD)
    return b'"hs3_version"' in head or b'"distributions"' in head


#: The options of an HS3 file.
OPTIONS = [
    click.Option(["--analysis"], default=None,
                 help="The analysis of the HS3 file (default: the observed-data one)."),
    click.Option(["--likelihood"], default=None,
                 help="The likelihood of the HS3 file, instead of an analysis."),
]


def open_hs3(path: str, *, analysis: str | None = None, likelihood: str | None = None):
    """The model of the HS3 file ``path``."""
    import likelihub

    return likelihub.get_backend("hs3")(path, analysis=analysis, likelihood=likelihood)
