"""What plugins offer besides backends: point sources (families of models for scans) and example
models (``likelihub demo``), registered through the hooks ``likelihub_register_point_sources``
and ``likelihub_register_examples`` (:mod:`likelihub.registry.hookspecs`).

Like a backend's factory, a source or an example may be registered as ``"package.module:Name"``:
it is imported on first use (:meth:`OfferInfo.load`), so that discovering plugins stays cheap.
Looking them up is :mod:`likelihub.registry.catalogue`'s.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from likelihub.errors import PluginError

__all__ = ["OfferInfo", "PointSourceInfo", "ExampleInfo", "load_object"]


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
