"""Combine datacards as files of the core's commands ``likelihub cls|limit|fit|inspect FILE``.

    likelihub limit datacard.txt                          # AsymptoticLimits: observed, expected band
    likelihub cls datacard.txt --mu 1.5 --rMax 10
    likelihub fit datacard.txt -m 125 --freeze lumi,xs_ggH
    likelihub inspect datacard.txt                        # describe() and the parameters

The options are Combine's: ``-m/--mass`` (the ``$MASS`` of the ``shapes`` lines), ``--freeze``
(comma-separated names: ``--freezeParameters``), ``--rMin`` and ``--rMax`` (the range of the POI
``r``, by default Combine's [0, 20]).
"""

from __future__ import annotations

import click

from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import FINITE, file_head

__all__ = ["is_datacard", "OPTIONS", "open_datacard", "HEAD_BYTES"]

#: How much of a file :func:`is_datacard` reads.
HEAD_BYTES = 1 << 16

#: First words of a datacard's header and of its observation and rates blocks.
_HEADER = {"imax", "jmax", "kmax"}
_BLOCKS = {"bin", "process", "rate"}


def is_datacard(path: str) -> bool:
    """Whether the start of the file ``path`` reads as a Combine text datacard: after comments
    (``#``) and separator lines (``---``), a line starting with ``imax``, ``jmax`` or ``kmax``,
    or lines starting with ``bin``, ``process`` and ``rate`` (a card without header)."""
    if path == "-":
        return False
    head = file_head(path, HEAD_BYTES)
    if not head or b"\0" in head:  # nothing, or binary (a ROOT file, a tar archive)
        return False
    words = set()
    for raw in head.decode("utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            words.add(line.split()[0])
    return bool(words & _HEADER) or _BLOCKS <= words


#: Combine's options of a datacard (``likelihub cls --help`` lists them).
OPTIONS = [
    click.Option(["-m", "--mass"], type=FINITE, default=None,
                 help="The value of $MASS in the card's shapes lines (Combine's -m; an integral "
                      "mass is written as an integer)."),
    click.Option(["--freeze"], default=None, metavar="NAMES",
                 help="Parameters held at their initial values, comma-separated (Combine's "
                      "--freezeParameters; names only)."),
    click.Option(["--rMin", "r_min"], type=FINITE, default=0.0, show_default=True,
                 help="Lower end of the range of the POI r (Combine's --rMin)."),
    click.Option(["--rMax", "r_max"], type=FINITE, default=20.0, show_default=True,
                 help="Upper end of the range of the POI r (Combine's --rMax)."),
]

#: ``--freezeParameters`` forms of Combine that name no parameter.
_UNSUPPORTED = ("rgx{", "var{", "allConstrainedNuisances")


def _frozen(freeze: str | None) -> list[str]:
    """The names of ``--freeze a,b``; Combine's patterns are refused."""
    if freeze is None:
        return []
    names = [name.strip() for name in freeze.split(",")]
    if not all(names):
        raise click.BadParameter(f"{freeze!r} holds an empty name", param_hint="--freeze")
    patterns = [name for name in names if name.startswith(_UNSUPPORTED)]
    if patterns:
        raise click.BadParameter(f"{', '.join(patterns)}: Combine's patterns are not supported yet; "
                                 "name the parameters", param_hint="--freeze")
    return names


#: The datacard factory's arguments and the options that set them.
_ARGUMENT_OPTIONS = {"freeze": "--freeze", "r_range": "--rMin/--rMax"}


def open_datacard(path: str, *, mass: float | None = None, freeze: str | None = None,
                  r_min: float = 0.0, r_max: float = 20.0):
    """The ``combine.datacard`` model of the card ``path`` with Combine's options.

    Raises
    ------
    click.BadParameter
        For ``--freeze`` naming no parameter of the card (or a pattern), or a range of r that is
        not increasing or holds neither 0 nor 1.
    likelihub.errors.InvalidModelError
        For a malformed card or a missing template (naming the file and line).
    """
    import likelihub

    names = _frozen(freeze)
    if not r_min < r_max:
        raise click.BadParameter(f"{r_min:g} is not below --rMax {r_max:g}", param_hint="--rMin")
    try:
        return likelihub.get_backend("combine.datacard")(path, mass=mass, freeze=names,
                                                         r_range=(r_min, r_max))
    except InvalidArgumentError as error:
        option = _ARGUMENT_OPTIONS.get(error.location.get("argument"))
        if option is None:
            raise
        raise click.BadParameter(error.reason, param_hint=option) from None
    except InvalidModelError as error:
        if mass is None and "$MASS" in error.reason:  # say which option gives it
            raise InvalidModelError(f"{error.reason} (give it with -m/--mass)", **error.location) from None
        raise
