"""Looking up what plugins offer besides backends: point sources and example models.

    available_point_sources()                    # {"histfactory.patchset": PointSourceInfo(...), ...}
    get_point_source("simplified.signal_grid")   # the PointSource
    find_point_source("grid.csv")                # the one source that recognises the input
    get_example()                                # the first installed example model
"""

from __future__ import annotations

from likelihub.errors import InvalidArgumentError, UnknownBackendError
from likelihub.registry import plugins
from likelihub.registry.offers import ExampleInfo, PointSourceInfo

__all__ = ["available_point_sources", "get_point_source", "point_source_metadata",
           "find_point_source", "available_examples", "get_example"]


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
