"""Looking up what plugins offer besides backends: point sources, example models, file formats.

    available_point_sources()                    # {"histfactory.patchset": PointSourceInfo(...), ...}
    get_point_source("simplified.signal_grid")   # the PointSource
    find_point_source("grid.csv")                # the one source that recognises the input
    get_example()                                # the first installed example model
    get_format("combine.datacard")               # a FormatInfo
    find_format("card.txt")                      # the one format that recognises the file
"""

from __future__ import annotations

from pathlib import Path

from likelihub.errors import InvalidArgumentError, InvalidModelError, UnknownBackendError
from likelihub.registry import plugins
from likelihub.registry.formats import FormatInfo
from likelihub.registry.offers import ExampleInfo, PointSourceInfo

__all__ = ["available_point_sources", "get_point_source", "point_source_metadata",
           "find_point_source", "available_examples", "get_example", "available_formats",
           "get_format", "find_format", "known_formats"]


def available_point_sources() -> dict[str, PointSourceInfo]:
    """Installed point sources by name, with their metadata."""
    return dict(sorted(plugins.default_registry().point_sources.items()))


def point_source_metadata(name: str) -> PointSourceInfo:
    """Metadata of the point source ``name``.

    Raises
    ------
    UnknownBackendError
        No such source; the message lists the installed ones.
    """
    sources = plugins.default_registry().point_sources
    if name not in sources:
        raise UnknownBackendError(f"no likelihub point source called {name!r}; installed: "
                                  f"{', '.join(sorted(sources)) or 'none'}")
    return sources[name]


def get_point_source(name: str):
    """The point source ``name`` (a :class:`likelihub.running.points.PointSource`)."""
    return point_source_metadata(name).load()


def find_point_source(source, /, *more, **options):
    """The one installed point source that recognises ``source`` (and ``more``, ``options``).

    Raises
    ------
    InvalidArgumentError
        None or several recognise it (the message lists the installed sources: name one with
        ``kind=``).
    """
    infos = available_point_sources()
    willing = []
    for info in infos.values():
        try:
            candidate = info.load()
            if candidate.recognises(source, *more, **options):
                willing.append(candidate)
        except Exception:  # a broken source (reported by `likelihub plugins`) recognises nothing
            continue
    if len(willing) == 1:
        return willing[0]
    label = source if isinstance(source, str) else type(source).__name__
    if willing:
        names = ", ".join(s.name for s in willing)
        raise InvalidArgumentError(f"{label!r} is recognised by several point sources ({names}): "
                                   "name one with kind= (--kind on the command line)", argument="kind")
    raise InvalidArgumentError(f"no installed point source recognises {label!r} (installed: "
                               f"{', '.join(infos) or 'none'}): name one with kind= (--kind on the "
                               "command line)", argument="kind")


def available_examples() -> dict[str, ExampleInfo]:
    """Installed example models by name."""
    return dict(sorted(plugins.default_registry().examples.items()))


def get_example(name: str | None = None) -> ExampleInfo:
    """The example ``name``, or the first installed one (by name) where ``name`` is None.

    Raises
    ------
    UnknownBackendError
        No example is installed (or none called ``name``); the message says what to install.
    """
    examples = available_examples()
    if name is None and examples:
        return next(iter(examples.values()))
    if name in examples:
        return examples[name]
    if not examples:
        raise UnknownBackendError("no installed plugin offers an example model (pip install "
                                  "'likelihub[all]' installs the bundled plugins)")
    raise UnknownBackendError(f"no example model called {name!r}; installed: {', '.join(examples)}")


def available_formats() -> dict[str, FormatInfo]:
    """Installed file formats by name."""
    return dict(sorted(plugins.default_registry().formats.items()))


def known_formats() -> str:
    """The installed formats, for messages: ``"combine.datacard (Combine datacards), ..."``."""
    formats = available_formats()
    if not formats:
        return "none ('pip install likelihub[all]' installs the bundled plugins)"
    return ", ".join(f"{name} ({info.title})" for name, info in formats.items())


def get_format(name: str) -> FormatInfo:
    """The installed format ``name``.

    Raises
    ------
    InvalidArgumentError
        No such format; the message lists the installed ones.
    """
    formats = available_formats()
    if name not in formats:
        raise InvalidArgumentError(f"no file format called {name!r}; installed: {known_formats()}",
                                   argument="format")
    return formats[name]


def find_format(path: str) -> FormatInfo:
    """The one installed format whose ``detect`` recognises the file ``path``.

    Raises
    ------
    InvalidModelError
        None or several recognise it, or there is no such file: the message names the file and
        lists the installed formats (name one with ``--format``).
    """
    willing = [info for info in available_formats().values() if info.recognises(path)]
    if len(willing) == 1:
        return willing[0]
    if willing:
        names = ", ".join(info.name for info in willing)
        raise InvalidModelError(f"recognised by several file formats ({names}): name one with --format",
                                file=path)
    if path != "-" and not Path(path).exists():
        raise InvalidModelError("no such file", file=path)
    raise InvalidModelError(f"not a file of a known format (known: {known_formats()}); name one with "
                            "--format", file=path)
