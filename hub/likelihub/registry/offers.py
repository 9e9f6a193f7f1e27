"""What plugins offer besides backends: point sources (families of models for scans) and example
models (``likelihub demo``), registered through the hooks ``likelihub_register_point_sources``
and ``likelihub_register_examples`` (:mod:`likelihub.registry.hookspecs`).

Like a backend's factory, a source or an example may be registered as ``"package.module:Name"``:
it is imported on first use (:meth:`OfferInfo.load`), so that discovering plugins stays cheap.

    lh.available_point_sources()                 # {"histfactory.patchset": PointSourceInfo(...), ...}
    get_point_source("simplified.signal_grid")   # the PointSource
    find_point_source("grid.csv")                # the one source that recognises the input
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from likelihub.errors import InvalidArgumentError, PluginError, UnknownBackendError

__all__ = ["OfferInfo", "PointSourceInfo", "ExampleInfo", "load_object", "available_point_sources",
           "get_point_source", "point_source_metadata", "find_point_source", "available_examples",
           "get_example"]


def load_object(target, what: str):
    """``target`` itself, or the object a ``"package.module:attribute"`` string names.

    Raises
    ------
    PluginError
        Naming ``what`` (e.g. ``"point source 'x' of plugin 'y'"``) and the import's error.
    """
    if not isinstance(target, str):
        return target
    module_name, _, attribute = target.partition(":")
    try:
        found = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else ():
            found = getattr(found, part)
    except (ImportError, AttributeError) as error:
        raise PluginError(f"{what}: cannot import {target!r}: {error}") from error
    return found


@dataclass(frozen=True)
class OfferInfo:
    """A registered point source or example: its name, the object (or its import path), the
    plugin that registered it, and metadata.

    Attributes
    ----------
    name
        Dotted name (``"histfactory.patchset"``).
    target
        The object or ``"package.module:attribute"``.
    plugin
        The entry point (plugin) that registered it.
    version, description, core_versions
        As the plugin declares them.
    """

    name: str
    target: object = field(repr=False)
    plugin: str = ""
    version: str = ""
    description: str = ""
    core_versions: str = ""

    kind = "offer"

    def load(self):
        """The registered object, imported now if given as a string."""
        return load_object(self.target, f"{self.kind} {self.name!r} of plugin {self.plugin!r}")

    def to_dict(self) -> dict:
        """The metadata as a plain dictionary."""
        target = self.target if isinstance(self.target, str) else (
            f"{getattr(self.target, '__module__', '?')}:"
            f"{getattr(self.target, '__qualname__', type(self.target).__qualname__)}")
        return {"name": self.name, "plugin": self.plugin, "version": self.version,
                "description": self.description, "target": target}


@dataclass(frozen=True)
class PointSourceInfo(OfferInfo):
    """A registered point source (:class:`likelihub.running.points.PointSource`)."""

    kind = "point source"

    def load(self):
        """The source, an instance (a registered class is instantiated), its ``name`` set."""
        source = super().load()
        if isinstance(source, type):
            source = source()
        if not callable(getattr(source, "open", None)):
            raise PluginError(f"point source {self.name!r} of plugin {self.plugin!r} is not a "
                              f"PointSource (it has no open method): {source!r}")
        source.name = self.name
        return source


@dataclass(frozen=True)
class ExampleInfo(OfferInfo):
    """A registered example model: ``factory(source=None)`` returns a StatisticalModel.

    Attributes
    ----------
    location
        Where the example's input lies (shown by ``likelihub demo``).
    """

    location: str = ""

    kind = "example"

    def build(self, source: str | None = None):
        """The example model, or the plugin's model of ``source``."""
        factory: Callable = self.load()
        return factory(source=source)


def _registry():
    from likelihub.registry.plugins import default_registry

    return default_registry()


def available_point_sources() -> dict[str, PointSourceInfo]:
    """Installed point sources by name, with their metadata."""
    return dict(sorted(_registry().point_sources.items()))


def point_source_metadata(name: str) -> PointSourceInfo:
    """Metadata of the point source ``name``.

    Raises
    ------
    UnknownBackendError
        No such source; the message lists the installed ones.
    """
    sources = _registry().point_sources
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
    return dict(sorted(_registry().examples.items()))


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
