"""What a Combine text datacard says, line by line: the parsed card, before any ROOT file is read.

:func:`likelihub_combine.parser.parse_datacard` makes a :class:`Datacard`; every item keeps the
number of the line it came from, so that an error found later (a missing histogram, a rate that
is negative once its template is read) names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Column",
    "Systematic",
    "ShapeRule",
    "Param",
    "RateParam",
    "ExtArg",
    "AutoMCStats",
    "NuisanceEdit",
    "Group",
    "Datacard",
    "SYSTEMATIC_TYPES",
]

#: The per-column systematic types of a datacard (``name type [argument] value per column``).
SYSTEMATIC_TYPES = ("lnN", "lnU", "gmN", "gmM", "shape", "shape?", "shapeN", "shapeN2")


@dataclass(frozen=True)
class Column:
    """One column of the rate block: a process in a channel (``bin``), its index and rate.

    A process index <= 0 marks a signal process (scaled by the parameters of interest). A rate
    of -1 in a shape channel means the template's integral.
    """

    channel: str
    process: str
    index: int
    rate: float

    @property
    def signal(self) -> bool:
        return self.index <= 0


@dataclass(frozen=True)
class Systematic:
    """A per-column systematic line: ``name type [argument] value per column``.

    ``values`` holds one entry per column of the rate block: None where the line has ``-`` (no
    effect); for ``lnN`` a kappa or a (kappa_down, kappa_up) pair; for ``lnU`` a kappa; for
    ``gmN`` the alpha of the column; for ``gmM`` the relative uncertainty of the column; for
    the shape types the scale factor of the column.
    ``count`` is the control-region count N of a ``gmN`` line (None otherwise).
    """

    name: str
    kind: str
    values: tuple
    line: int
    count: int | None = None


@dataclass(frozen=True)
class ShapeRule:
    """A ``shapes process channel file histogram [systematic-histogram]`` line.

    ``process`` and ``channel`` may be ``*``; the histogram patterns may hold ``$PROCESS``,
    ``$CHANNEL``, ``$MASS`` and (the systematic pattern) ``$SYSTEMATIC``. ``file`` is ``FAKE``
    for a counting channel.
    """

    process: str
    channel: str
    file: str
    histogram: str | None
    systematic_histogram: str | None
    line: int


@dataclass(frozen=True)
class Param:
    """``name param mean sigma [range]``: a Gaussian constraint on a named parameter
    (``sigma`` may be asymmetric, ``-low/+high``), or with ``flat`` True a ``flatParam`` line
    (unconstrained)."""

    name: str
    mean: float
    sigma_low: float
    sigma_high: float
    range: tuple[float, float] | None
    line: int
    flat: bool = False


@dataclass(frozen=True)
class RateParam:
    """``name rateParam channel process value [range]``, or a formula rateParam
    ``name rateParam channel process formula arguments``: a free normalisation factor of the
    matching columns (``channel`` and ``process`` may be ``*`` or hold wildcards)."""

    name: str
    channel: str
    process: str
    value: float | None
    range: tuple[float, float] | None
    formula: str | None
    arguments: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ExtArg:
    """``name extArg value [range]``: a parameter used by formula rateParams."""

    name: str
    value: float
    range: tuple[float, float] | None
    line: int


@dataclass(frozen=True)
class AutoMCStats:
    """``channel autoMCStats threshold [include-signal [hist-mode]]``: the templates' MC
    statistical uncertainties, Barlow-Beeston-lite (``channel`` may be ``*``)."""

    channel: str
    threshold: float
    include_signal: bool
    hist_mode: int
    line: int


@dataclass(frozen=True)
class NuisanceEdit:
    """``nuisance edit action arguments...`` (freeze, drop, rename, ...)."""

    action: str
    arguments: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Group:
    """``name group = parameters...``, or with ``extend`` True ``name group += parameters...``
    (adds to a group defined above): a named group of nuisance parameters."""

    name: str
    members: tuple[str, ...]
    line: int
    extend: bool = False


@dataclass
class Datacard:
    """A parsed text datacard.

    Attributes
    ----------
    path
        The card's file (None for a card given as text).
    channels
        The channels (``bin`` names), in the order of the observation line.
    observations
        Observed count per channel for counting channels; None where the observation comes
        from the ``data_obs`` histogram (or is -1).
    columns
        The rate block's columns.
    origins
        For a card made by combining cards (:mod:`likelihub_combine.combine_cards`): where each
        line number of the combined card came from (``file:line``), named in errors.
    title
        What the card is, for summaries (None: its file).
    """

    path: str | None
    channels: list[str]
    observations: dict[str, float | None]
    columns: list[Column]
    systematics: list[Systematic] = field(default_factory=list)
    shapes: list[ShapeRule] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    rate_params: list[RateParam] = field(default_factory=list)
    ext_args: list[ExtArg] = field(default_factory=list)
    auto_mc_stats: list[AutoMCStats] = field(default_factory=list)
    edits: list[NuisanceEdit] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    observation_line: int = 0
    rate_line: int = 0
    origins: dict[int, str] = field(default_factory=dict)
    title: str | None = None

    @property
    def processes(self) -> list[str]:
        """Every process, in the order of first appearance in the rate block."""
        return list(dict.fromkeys(c.process for c in self.columns))

    @property
    def signals(self) -> list[str]:
        """The signal processes (index <= 0)."""
        return list(dict.fromkeys(c.process for c in self.columns if c.signal))

    def where(self, line: int) -> str:
        """``file:line`` for error messages."""
        if line in self.origins:
            return self.origins[line]
        return f"{self.path or '<datacard>'}:{line}"
