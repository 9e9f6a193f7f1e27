"""Combine datacards as files of the core's commands ``likelihub cls|limit|fit|inspect FILE``.

    likelihub limit datacard.txt                          # AsymptoticLimits: observed, expected band
    likelihub cls datacard.txt --mu 1.5 --rMax 10
    likelihub fit datacard.txt -m 125 --freeze lumi,xs_ggH
    likelihub inspect datacard.txt                        # describe() and the parameters

The options are Combine's: ``-m/--mass`` (the ``$MASS`` of the ``shapes`` lines), ``--freeze``
(comma-separated names or Combine's patterns: ``--freezeParameters``), ``--rMin`` and ``--rMax``
(the range of the POI ``r``, by default Combine's [0, 20]), ``--PO`` (the multi-signal physics
model's ``map=`` options, repeated), ``--setParameters a=1,b=2`` and ``--redefineSignalPOIs a,b``:

    likelihub scan-profile card.txt --PO 'map=.*/ggH:r_ggH[1,0,10]' --PO 'map=.*/qqH:r_qqH[1,0,10]' \
        --parameter r_ggH --range 0 3 --parameter2 r_qqH --range2 0 3
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
                 help="Parameters held at their initial (or --setParameters) values, comma-separated "
                      "names or Combine's patterns rgx{...}, var{...} (Combine's --freezeParameters)."),
    click.Option(["--PO", "physics_options"], multiple=True, metavar="OPTION",
                 help="A physics-model option, repeated: map=bin/process:poi[init,min,max] (Combine's "
                      "multiSignalModel --PO); without any, the default model (one POI r)."),
    click.Option(["--setParameters", "set_parameters"], default=None, metavar="NAME=VALUE,...",
                 help="Initial values of parameters (Combine's --setParameters)."),
    click.Option(["--redefineSignalPOIs", "pois"], default=None, metavar="NAMES",
                 help="The POIs, the first tested (Combine's --redefineSignalPOIs)."),
    click.Option(["--rMin", "r_min"], type=FINITE, default=0.0, show_default=True,
                 help="Lower end of the range of the POI r (Combine's --rMin)."),
    click.Option(["--rMax", "r_max"], type=FINITE, default=20.0, show_default=True,
                 help="Upper end of the range of the POI r (Combine's --rMax)."),
]

def _names(text: str | None, option: str) -> list[str]:
    """The comma-separated names (or Combine's patterns) of an option such as ``--freeze a,b``."""
    if text is None:
        return []
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise click.BadParameter(f"{text!r} holds an empty name", param_hint=option)
    return names


def _values(text: str | None) -> dict[str, float]:
    """``--setParameters a=1,b=2`` as ``{"a": 1.0, "b": 2.0}``."""
    values = {}
    for item in _names(text, "--setParameters"):
        name, equals, value = item.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            equals = ""
        if not equals or not name.strip():
            raise click.BadParameter(f"{item!r} is not name=value", param_hint="--setParameters")
    return values


#: The datacard factory's arguments and the options that set them.
_ARGUMENT_OPTIONS = {"freeze": "--freeze", "r_range": "--rMin/--rMax", "physics_options": "--PO",
                     "set_parameters": "--setParameters", "pois": "--redefineSignalPOIs"}


def open_datacard(path: str, *, mass: float | None = None, freeze: str | None = None,
                  r_min: float = 0.0, r_max: float = 20.0, physics_options: tuple[str, ...] = (),
                  set_parameters: str | None = None, pois: str | None = None):
    """The ``combine.datacard`` model of the card ``path`` with Combine's options.

    Raises
    ------
    click.BadParameter
        For ``--freeze``, ``--setParameters`` or ``--redefineSignalPOIs`` naming no parameter of
        the card (or a pattern matching none), a ``--PO`` Combine's model refuses, or a range of r
        that is not increasing or holds neither 0 nor 1.
    likelihub.errors.InvalidModelError
        For a malformed card or a missing template (naming the file and line).
    """
    import likelihub

    names, values = _names(freeze, "--freeze"), _values(set_parameters)
    if not r_min < r_max:
        raise click.BadParameter(f"{r_min:g} is not below --rMax {r_max:g}", param_hint="--rMin")
    try:
        return likelihub.get_backend("combine.datacard")(
            path, mass=mass, freeze=names, r_range=(r_min, r_max),
            physics_options=list(physics_options) or None, set_parameters=values or None,
            pois=_names(pois, "--redefineSignalPOIs") or None)
    except InvalidArgumentError as error:
        option = _ARGUMENT_OPTIONS.get(error.location.get("argument"))
        if option is None:
            raise
        raise click.BadParameter(error.reason, param_hint=option) from None
    except InvalidModelError as error:
        if mass is None and "$MASS" in error.reason:  # say which option gives it
            raise InvalidModelError(f"{error.reason} (give it with -m/--mass)", **error.location) from None
        raise
