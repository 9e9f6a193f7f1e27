"""Point sources: what a plugin gives the core's scans (:func:`likelihub.scan`).

A scan tests one family of models: one model per signal point, all of the same kind (a HistFactory
background workspace with one patch per point; a simplified likelihood with one signal yield vector
per point). The core owns how a family is scanned (executors, chunks, lock-step fits, limits, rows,
progress, output, resume: :mod:`likelihub.running.scan`); a plugin says only what the points are
and how each one's model is built, through a :class:`PointSource` registered with the hook
``likelihub_register_point_sources`` (:mod:`likelihub.registry.hookspecs`)::

    @hookimpl
    def likelihub_register_point_sources(register):
        register("mybackend.grid", "mypackage.grid:GridSource", version="1.0",
                 description="a table of signal yields, one model per row")

A source is asked, in this order:

1. :meth:`PointSource.recognises`, where no ``kind=`` names it: whether the input looks like its
   own (as xarray's ``guess_can_open``: cheap, from the input's type, suffix or keys);
2. :meth:`PointSource.settings`: the options that make two scans' rows comparable (an output is
   resumed only by a scan with the same settings);
3. :meth:`PointSource.open`: read what every point shares (validated once), as a
   :class:`PointFamily`, whose picklable :attr:`~PointFamily.builder` makes one point's
   :class:`~likelihub.model.StatisticalModel` in a worker (local processes start, and warm up,
   as soon as the family is open);
4. :meth:`PointFamily.points`: the ordered points (each :class:`~likelihub.running.scanning.ScanPoint`
   carries what its model needs of it alone, its *payload*), and the names of their label values;
5. :meth:`PointFamily.before_scan`: warnings about the whole family, once (not once per point).

A builder may offer ``warm_up_model()``: a small model of its kind whose fits call what the
scan's fits will call (e.g. loads compiled kernels from a cache), fitted once as a worker starts.

On the command line (``likelihub scan``), a source adds its own click options
(:meth:`PointSource.command_options`; their values reach :meth:`open` as keyword options where
given) and may adapt what was typed (:meth:`PointSource.from_command_line`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from likelihub.running.scanning import ScanPoint

__all__ = ["PointSource", "PointFamily", "ScanPoint", "settings_of"]


def settings_of(options: Mapping[str, Any]) -> dict[str, str]:
    """Options as a scan output records them: each value's ``repr``, in the order of the names."""
    return {name: repr(value) for name, value in sorted(options.items())}


class PointFamily:
    """A family of models opened by a :class:`PointSource`: how to build each point's model, and
    the points.

    Parameters
    ----------
    builder
        A picklable callable of one :class:`ScanPoint` returning its
        :class:`~likelihub.model.StatisticalModel`; sent to the scan's workers (once per worker on
        local processes). Optionally ``builder.warm_up_model()``: a small model of the same kind.
    points
        The ordered points, or None where :meth:`points` is overridden (e.g. to read them after
        the workers were started).
    labels
        The names of the points' label values (e.g. ``["m1", "m2"]``); may be empty.
    """

    def __init__(self, builder, points: Sequence[ScanPoint] | None = None,
                 labels: Sequence[str] = ()):
        self.builder = builder
        self._points = None if points is None else list(points)
        self._labels = list(labels)

    def points(self) -> tuple[list[ScanPoint], list[str]]:
        """The points in the scan's order, and the names of their label values."""
        if self._points is None:
            raise NotImplementedError(f"{type(self).__name__} gives no points")
        return self._points, self._labels

    def before_scan(self, points: Sequence[ScanPoint]) -> None:
        """Called once, before any point is computed (e.g. to warn, once, of settings the models
        ignore). Nothing by default."""


class PointSource:
    """A kind of input that holds a family of models: the base class of a plugin's point source.

    Subclasses implement :meth:`open`, usually :meth:`recognises`, and may add command-line
    options (:meth:`command_options`). Keep the module that defines a source light (import the
    heavy parts inside :meth:`open`): ``likelihub scan --help`` loads every source.

    Attributes
    ----------
    name
        The registered name (set by the registry when the source is loaded).
    """

    name: str = ""

    def recognises(self, source, /, *more, **options) -> bool:
        """Whether ``source`` (and ``more`` inputs, ``options``) looks like this source's input,
        judged cheaply (type, suffix, keys of a mapping), without reading a large file. False by
        default: such a source is used only when named (``kind=``)."""
        return False

    def settings(self, options: Mapping[str, Any]) -> dict[str, str]:
        """What of ``options`` makes rows comparable: recorded with a scan's output, which is
        resumed only with the same settings. By default every option (:func:`settings_of`);
        leave out options that only say where the inputs are."""
        return settings_of(options)

    def open(self, source, /, *more, **options) -> PointFamily:
        """Read what the points share (validated once) and return the family.

        Raises
        ------
        likelihub.errors.InvalidModelError
            A bad input or option, naming the file or the argument.
        """
        raise NotImplementedError(f"the point source {self.name!r} cannot open inputs")

    def command_options(self) -> list:
        """click options that ``likelihub scan`` offers for this source (their destinations are
        keyword options of :meth:`open`; give them ``default=None``: only values given are
        passed). None by default."""
        return []

    def from_command_line(self, source: str, options: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """The inputs and options of :meth:`open` for what was typed: ``source`` (the command's
        argument) and the values of this source's options that were given. By default
        ``((source,), options)``."""
        return (source,), options
