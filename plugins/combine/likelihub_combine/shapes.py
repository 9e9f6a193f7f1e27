"""Reading the ROOT histograms that a datacard's ``shapes`` lines point to.

The rules are those of Combine's ``ShapeTools.py`` (``getShape``, ``getPdf``,
``prepareAllShapes``):

* the rule of a (channel, process) pair is ``shapes[channel][process]``, else
  ``shapes[channel]["*"]``, else ``shapes["*"][process]``, else ``shapes["*"]["*"]``; a later line
  for the same pair replaces an earlier one; the observed data are process ``data_obs``;
* a rule whose file is ``FAKE`` makes the channel a counting channel;
* ``$PROCESS``, ``$CHANNEL``, ``$MASS`` and ``$SYSTEMATIC`` (``<name>Up`` / ``<name>Down``, empty for
  the nominal template) are substituted in the file name and in the histogram patterns;
* columns with rate 0 are left out (Combine drops those processes before reading shapes);
* a ``shape?`` systematic whose rule has no systematic pattern, or whose ``Up`` histogram is
  missing, is left out (Combine then treats it as ``lnN``).

Templates are returned as read: neither rescaled to the rate column nor clipped. The caller
normalises them.
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from likelihub.errors import InvalidModelError

from .card import Column, Datacard, ShapeRule

__all__ = ["Template", "ChannelTemplates", "read_templates", "DATA_NAME"]

#: The process name under which the observed data are looked up.
DATA_NAME = "data_obs"

#: Combine's check of the observation line against the data_obs integral
#: (ShapeTools.prepareAllShapes): relative difference above 0.5% for a positive observation, or
#: an observation of 0 with an integral above 0.01, is an error.
OBSERVATION_RELATIVE_TOLERANCE = 0.005
OBSERVATION_ZERO_TOLERANCE = 0.01


@dataclass(frozen=True)
class Template:
    """One histogram of a channel.

    Attributes
    ----------
    values
        Bin contents, float64, without under- and overflow.
    errors
        The bin errors as ROOT's ``TH1::GetBinError`` gives them: ``sqrt(sumw2)`` where the
        histogram stores its sums of squared weights, else ``sqrt(|content|)``.
    """

    values: np.ndarray
    errors: np.ndarray

    @property
    def integral(self) -> float:
        """``TH1::Integral()``: the sum of the bin contents, without under- and overflow."""
        return float(self.values.sum())


@dataclass
class ChannelTemplates:
    """The templates of one shape channel.

    Attributes
    ----------
    channel
        The channel (``bin``) name.
    data
        The ``data_obs`` bin contents (None for a counting channel).
    nominal
        Process -> nominal template, for every process of the channel with a non-zero rate.
    variations
        (process, systematic) -> (up, down) templates of the shape systematics.
    bin_edges
        The common bin edges of the channel's histograms.
    """

    channel: str
    data: np.ndarray | None
    nominal: dict[str, Template] = field(default_factory=dict)
    variations: dict[tuple[str, str], tuple[Template, Template]] = field(default_factory=dict)
    bin_edges: np.ndarray | None = None


def read_templates(card: Datacard, *, mass: str | float | None = None,
                   base_dir: str | Path | None = None) -> dict[str, ChannelTemplates]:
    """Read the templates of every channel that has (non-``FAKE``) shapes.

    Parameters
    ----------
    card
        The parsed datacard.
    mass
        The value of ``$MASS`` (Combine's ``-m``); a number that is an integer is written
        without decimals, as Combine does (``800.0`` -> ``800``).
    base_dir
        The folder that relative file names in ``shapes`` lines are relative to; by default the
        card's folder.

    Returns
    -------
    dict
        Channel -> :class:`ChannelTemplates`, in the card's channel order. Channels without any
        shapes rule, or whose rules are ``FAKE``, are absent (counting channels).

    Raises
    ------
    InvalidModelError
        A file or histogram is missing or unreadable, an object is not a TH1, the histograms of
        a channel have different binnings or non-finite contents, a channel mixes templates
        with processes that have no rule, ``$MASS`` is used without ``mass``, or the observation
        line disagrees with the ``data_obs`` integral. The error names the ``shapes`` line.
    """
    if not card.shapes:
        return {}
    if base_dir is None:
        base_dir = Path(card.path).parent if card.path else Path(".")
    rules: dict[str, dict[str, ShapeRule]] = {}
    for rule in card.shapes:
        _check_names(card, rule)
        rules.setdefault(rule.channel, {})[rule.process] = rule
    result: dict[str, ChannelTemplates] = {}
    with _Reader(card, Path(base_dir), _mass_text(mass)) as reader:
        for channel in card.channels:
            templates = _read_channel(card, channel, rules, reader)
            if templates is not None:
                result[channel] = templates
    return result


def _check_names(card: Datacard, rule: ShapeRule) -> None:
    """A rule naming a channel or process the card lacks matches nothing: most likely a typo
    (Combine ignores it silently, and the channel then takes its ``*`` rule's templates)."""
    for kind, name, known in (("channel", rule.channel, card.channels),
                              ("process", rule.process, [*card.processes, DATA_NAME])):
        if name != "*" and name not in known:
            raise InvalidModelError(
                f"the shapes line names {kind} {name!r}, which the card does not have (its "
                f"{kind}s: {', '.join(known)}): it matches nothing", file=card.where(rule.line))


def _mass_text(mass: str | float | None) -> str | None:
    """``$MASS`` as Combine writes it: ``"%d"`` for an integral mass, else as given."""
    if mass is None:
        return None
    try:
        number = float(mass)
    except ValueError:
        return str(mass)
    if math.isfinite(number) and number % 1 == 0:
        return f"{int(number)}"
    return str(mass)


def _lookup(rules: dict[str, dict[str, ShapeRule]], channel: str, process: str) -> ShapeRule | None:
    """The rule of (channel, process) in Combine's order of precedence, or None."""
    for key_channel, key_process in ((channel, process), (channel, "*"), ("*", process), ("*", "*")):
        rule = rules.get(key_channel, {}).get(key_process)
        if rule is not None:
            return rule
    return None


def _is_fake(rule: ShapeRule) -> bool:
    return rule.file == "FAKE"


def _read_channel(card: Datacard, channel: str, rules: dict[str, dict[str, ShapeRule]],
                  reader: _Reader) -> ChannelTemplates | None:
    """The templates of one channel; None for a counting channel."""
    columns = [(i, column) for i, column in enumerate(card.columns)
               if column.channel == channel and column.rate != 0]
    names = [DATA_NAME] + [column.process for _, column in columns]
    found = {name: _lookup(rules, channel, name) for name in names}
    real = [name for name in names if found[name] is not None and not _is_fake(found[name])]
    if not real:
        return None
    example = found[real[0]]
    for name in names:
        rule = found[name]
        if rule is None:
            raise InvalidModelError(
                f"channel {channel!r} reads templates (shapes line {example.line}) but process "
                f"{name!r} has no shapes rule (add one, or 'shapes * {channel} FAKE' for counting)",
                file=card.where(card.rate_line if name != DATA_NAME else card.observation_line),
                channel=channel, sample=name)
        if _is_fake(rule):
            raise InvalidModelError(
                f"channel {channel!r} mixes templates (shapes line {example.line}) with a FAKE "
                f"(counting) rule for process {name!r}", file=card.where(rule.line),
                channel=channel, sample=name)
    binning = _Binning(card, channel)

    data = reader.template(found[DATA_NAME], channel, DATA_NAME)
    binning.check(data, found[DATA_NAME], DATA_NAME)
    _check_observation(card, channel, data[0], found[DATA_NAME])
    templates = ChannelTemplates(channel=channel, data=data[0].values, bin_edges=binning.edges)

    for _, column in columns:
        rule = found[column.process]
        nominal = reader.template(rule, channel, column.process)
        binning.check(nominal, rule, column.process)
        templates.nominal[column.process] = nominal[0]

    for systematic in card.systematics:
        if not systematic.kind.startswith("shape"):
            continue
        optional = systematic.kind.endswith("?")
        for i, column in columns:
            value = systematic.values[i] if i < len(systematic.values) else None
            if value is None or value == 0:
                continue
            pair = _variation(card, reader, found[column.process], column, systematic.name, optional)
            if pair is None:
                continue
            for read in pair:
                binning.check(read, found[column.process], column.process, systematic.name)
            templates.variations[(column.process, systematic.name)] = (pair[0][0], pair[1][0])
    return templates


def _variation(card: Datacard, reader: _Reader, rule: ShapeRule, column: Column, name: str,
               optional: bool) -> tuple | None:
    """The (up, down) (template, edges) pairs of a shape systematic; None where a ``shape?``
    systematic has no histograms (it then acts as lnN)."""
    if rule.systematic_histogram is None:
        if optional:
            return None
        raise InvalidModelError(
            f"shape systematic {name!r} needs histograms but the shapes rule of process "
            f"{column.process!r} has no systematic pattern (a fifth field)",
            file=card.where(rule.line), channel=column.channel, sample=column.process,
            modifier=name)
    if optional and not reader.exists(rule, column.channel, column.process, name + "Up", name):
        return None
    up = reader.template(rule, column.channel, column.process, name + "Up", name)
    down = reader.template(rule, column.channel, column.process, name + "Down", name)
    return up, down


def _check_observation(card: Datacard, channel: str, data: Template, rule: ShapeRule) -> None:
    """Combine's cross-check of the observation line against the data_obs integral."""
    observed = card.observations.get(channel)
    integral = data.integral
    if observed is None or integral == 0:
        return
    if observed == 0:
        bad = integral > OBSERVATION_ZERO_TOLERANCE
    else:
        bad = abs(integral / observed - 1) > OBSERVATION_RELATIVE_TOLERANCE
    if bad:
        raise InvalidModelError(
            f"the observation of channel {channel!r} is {observed:g} on the observation line "
            f"(line {card.observation_line}) but the {DATA_NAME} histogram sums to {integral:g}",
            file=card.where(rule.line), channel=channel, sample=DATA_NAME)


class _Binning:
    """Checks that every histogram of a channel has the binning of the first one."""

    def __init__(self, card: Datacard, channel: str):
        self.card, self.channel = card, channel
        self.edges: np.ndarray | None = None
        self.origin = ""

    def check(self, read: tuple[Template, np.ndarray, str], rule: ShapeRule, process: str,
              systematic: str | None = None) -> None:
        _, edges, described = read
        if self.edges is None:
            self.edges, self.origin = edges, described
            return
        same = edges.shape == self.edges.shape and np.allclose(edges, self.edges, rtol=1e-9, atol=0)
        if not same:
            raise InvalidModelError(
                f"histograms of channel {self.channel!r} have different binnings: {described} has "
                f"{len(edges) - 1} bins on [{edges[0]:g}, {edges[-1]:g}], {self.origin} has "
                f"{len(self.edges) - 1} bins on [{self.edges[0]:g}, {self.edges[-1]:g}]"
                + ("" if len(edges) != len(self.edges) else " (different bin edges)"),
                file=self.card.where(rule.line), channel=self.channel, sample=process,
                modifier=systematic)


class _Reader:
    """Opens each ROOT file once and reads histograms from it; a context manager that closes
    the files."""

    def __init__(self, card: Datacard, base_dir: Path, mass: str | None):
        self.card, self.base_dir, self.mass = card, base_dir, mass
        self.files: dict[Path, object] = {}
        self.stack = ExitStack()

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def _names(self, rule: ShapeRule, channel: str, process: str, tag: str) -> tuple[Path, str]:
        """The file path and object name of (channel, process, tag), patterns substituted."""
        pattern = rule.histogram if not tag else rule.systematic_histogram
        if pattern is None:
            raise InvalidModelError(f"the shapes rule has no histogram pattern for process "
                                    f"{process!r}", file=self.card.where(rule.line),
                                    channel=channel, sample=process)
        texts = [rule.file, pattern]
        if any("$MASS" in text for text in texts) and self.mass is None:
            raise InvalidModelError(
                f"the shapes line uses $MASS ({' '.join(t for t in texts if '$MASS' in t)}) but no "
                f"mass was given", file=self.card.where(rule.line), channel=channel, sample=process)
        texts = [text.replace("$PROCESS", process).replace("$CHANNEL", channel)
                 .replace("$SYSTEMATIC", tag).replace("$MASS", self.mass or "") for text in texts]
        return self.base_dir / texts[0], texts[1]

    def _open(self, path: Path, rule: ShapeRule, channel: str, process: str,
              systematic: str | None):
        if path not in self.files:
            import uproot

            if not path.is_file():
                raise InvalidModelError(f"ROOT file {str(path)!r} not found", file=self.card.where(rule.line),
                                        channel=channel, sample=process, modifier=systematic)
            try:
                self.files[path] = self.stack.enter_context(uproot.open(path))
            except Exception as error:  # uproot raises several kinds for a non-ROOT file
                raise InvalidModelError(f"cannot open ROOT file {str(path)!r}: {error}",
                                        file=self.card.where(rule.line), channel=channel,
                                        sample=process, modifier=systematic) from None
        return self.files[path]

    def exists(self, rule: ShapeRule, channel: str, process: str, tag: str,
               systematic: str) -> bool:
        """Whether the histogram of (channel, process, tag) is in its file."""
        path, name = self._names(rule, channel, process, tag)
        handle = self._open(path, rule, channel, process, systematic)
        try:
            handle[name]
        except KeyError:
            return False
        return True

    def template(self, rule: ShapeRule, channel: str, process: str, tag: str = "",
                 systematic: str | None = None) -> tuple[Template, np.ndarray, str]:
        """Read one histogram: (template, bin edges, a description for messages)."""
        path, name = self._names(rule, channel, process, tag)
        handle = self._open(path, rule, channel, process, systematic)
        where = self.card.where(rule.line)
        described = f"histogram {name!r} in {str(path)!r}"
        try:
            histogram = handle[name]
        except KeyError:
            raise InvalidModelError(f"{described} not found (process {process!r}"
                                    + (f", {tag}" if tag else "") + ")", file=where, channel=channel,
                                    sample=process, modifier=systematic) from None
        classname = getattr(histogram, "classname", type(histogram).__name__)
        if not classname.startswith("TH1"):
            kind = "a directory" if classname == "ReadOnlyDirectory" else f"a {classname}"
            raise InvalidModelError(f"{described} is {kind}, not a one-dimensional histogram (TH1)",
                                    file=where, channel=channel, sample=process, modifier=systematic)
        values = np.asarray(histogram.values(flow=False), dtype=np.float64)
        sumw2 = np.asarray(histogram.member("fSumw2"), dtype=np.float64)
        if sumw2.size == values.size + 2:
            errors = np.sqrt(sumw2[1:-1])
        else:  # TH1::GetBinError without stored sums of squared weights
            errors = np.sqrt(np.abs(values))
        edges = np.asarray(histogram.axis().edges(), dtype=np.float64)
        if not (np.all(np.isfinite(values)) and np.all(np.isfinite(errors))):
            bad = int(np.flatnonzero(~(np.isfinite(values) & np.isfinite(errors)))[0])
            raise InvalidModelError(f"{described} has a non-finite content or error in bin "
                                    f"{bad + 1}", file=where, channel=channel, sample=process,
                                    modifier=systematic)
        return Template(values=values, errors=errors), edges, described
