"""Plugin discovery: backends registered through entry points and pluggy hooks.

Plugins are modules named by entry points of the group ``likelihub.backends``. Loading one
calls its ``likelihub_register_backends(register)`` hook, which registers dotted names
(``"histfactory"``, ``"simplified.correlated_background"``) with a factory and metadata. A
factory may be given as ``"package.module:function"``: it is imported on first use, so that
discovering plugins imports no heavy dependency (``import likelihub`` never imports numba).
The other hooks register commands, point sources, example models and file formats the same way
(:mod:`likelihub.registry.hookspecs`).

Discovery runs once (cached) and again after :func:`refresh_backends`. A plugin that fails to
import, or declares core versions this core is not, is reported with a
:class:`~likelihub.errors.PluginWarning` naming it; the others still load.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from likelihub.errors import PluginError, PluginWarning, UnknownBackendError
from likelihub.registry import hookspecs
from likelihub.registry.factories import wrap_factory
from likelihub.registry.formats import FormatInfo
from likelihub.registry.offers import ExampleInfo, PointSourceInfo

__all__ = [
    "ENTRY_POINT_GROUP",
    "KNOWN_DISTRIBUTIONS",
    "BackendInfo",
    "Registry",
    "get_backend",
    "available_backends",
    "backend_metadata",
    "default_registry",
    "refresh_backends",
]

ENTRY_POINT_GROUP = "likelihub.backends"

#: Backend-name prefixes of the plugins the project publishes, and their distributions.
KNOWN_DISTRIBUTIONS = {
    "histfactory": "likelihub-histfactory",
    "simplified": "likelihub-simplified",
    "combiner": "likelihub-combiner",
    "combine": "likelihub-combine",
    "onnx": "likelihub-onnx",
    "hs3": "likelihub-hs3",
}


def _core_version() -> str:
    from likelihub import __version__

    return __version__


@dataclass(frozen=True)
class BackendInfo:
    """Metadata of one registered backend.

    Attributes
    ----------
    name
        Dotted backend name.
    factory
        The callable (or ``"module:function"`` string) building the backend.
    plugin
        Name of the entry point (plugin) that registered it.
    version, author, description
        As the plugin declares them.
    references
        DOIs, arXiv numbers or URLs of the physics it implements.
    core_versions
        Version specifier of the likelihub core versions the plugin supports.
    """

    name: str
    factory: Callable | str = field(repr=False)
    plugin: str = ""
    version: str = ""
    author: str = ""
    description: str = ""
    references: tuple[str, ...] = ()
    core_versions: str = ""

    def load_factory(self) -> Callable:
        """The factory callable, imported now if given as a string."""
        if callable(self.factory):
            return self.factory
        module_name, _, attribute = self.factory.partition(":")
        try:
            target = importlib.import_module(module_name)
            for part in attribute.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as error:
            raise PluginError(f"backend {self.name!r} of plugin {self.plugin!r}: cannot import "
                              f"its factory {self.factory!r}: {error}") from error
        return target

    def to_dict(self) -> dict:
        """The metadata as a plain dictionary (the factory as its import path)."""
        factory = self.factory if isinstance(self.factory, str) else (
            f"{self.factory.__module__}:{self.factory.__qualname__}")
        return {"name": self.name, "plugin": self.plugin, "version": self.version,
                "author": self.author, "description": self.description,
                "references": list(self.references), "core_versions": self.core_versions,
                "factory": factory}


class Registry:
    """Backends, point sources, examples, file formats and command-line commands registered by a
    set of plugin entry points.

    Parameters
    ----------
    entry_points
        The entry points to load; those of the group ``likelihub.backends`` by default.
    core_version
        The core version checked against the plugins' ``core_versions``.
    """

    def __init__(self, entry_points: Iterable[EntryPoint] | None = None,
                 core_version: str | None = None):
        self.core_version = core_version or _core_version()
        self.backends: dict[str, BackendInfo] = {}
        self.point_sources: dict[str, PointSourceInfo] = {}
        self.examples: dict[str, ExampleInfo] = {}
        self.formats: dict[str, FormatInfo] = {}
        self.commands: list = []
        self.failed: dict[str, str] = {}
        self._factories: dict[str, tuple[BackendInfo, Callable]] = {}
        self.plugins: dict[str, object] = {}
        self._manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._manager.add_hookspecs(hookspecs)
        if entry_points is None:
            entry_points = entry_points_of_group()
        for entry_point in entry_points:
            self._load(entry_point)

    def _load(self, entry_point: EntryPoint) -> None:
        name = entry_point.name
        try:
            module = entry_point.load()
        except Exception as error:  # a broken plugin must not break the others
            self._fail(name, f"failed to load ({type(error).__name__}: {error})")
            return
        if self._manager.is_registered(module):
            return
        staged: list[BackendInfo] = []

        def register(backend_name: str, factory: Callable | str, *, version: str = "",
                     author: str = "", description: str = "", references: Sequence[str] = (),
                     core_versions: str = "") -> None:
            staged.append(BackendInfo(str(backend_name), factory, name, str(version), author,
                                      description, tuple(references), core_versions))

        commands: list = []
        sources: list[PointSourceInfo] = []
        examples: list[ExampleInfo] = []
        formats: list[FormatInfo] = []

        def register_source(source_name: str, source, *, version: str = "", description: str = "",
                            core_versions: str = "") -> None:
            sources.append(PointSourceInfo(str(source_name), source, name, str(version), description,
                                           core_versions))

        def register_example(example_name: str, factory, *, version: str = "", description: str = "",
                             location: str = "", core_versions: str = "") -> None:
            examples.append(ExampleInfo(str(example_name), factory, name, str(version), description,
                                        core_versions, str(location)))

        def register_format(format_name: str, *, backend: str, detect, open=None, options=(),
                            inspect=None, label: str = "", description: str = "", version: str = "",
                            core_versions: str = "", fallback: bool = False,
                            summary=None) -> None:
            formats.append(FormatInfo(str(format_name), str(backend), detect, open, options, inspect,
                                      str(label), name, str(version), description, core_versions,
                                      summary=summary, fallback=bool(fallback)))

        try:
            self._manager.register(module, name=name)
            caller = self._manager.subset_hook_caller
            others = [p for p in self._manager.get_plugins() if p is not module]
            caller("likelihub_register_backends", others)(register=register)
            caller("likelihub_register_commands", others)(register=commands.append)
            caller("likelihub_register_point_sources", others)(register=register_source)
            caller("likelihub_register_examples", others)(register=register_example)
            caller("likelihub_register_formats", others)(register=register_format)
        except Exception as error:
            if self._manager.is_registered(module):
                self._manager.unregister(module)
            self._fail(name, f"failed to register ({type(error).__name__}: {error})")
            return
        incompatible = [b for b in [*staged, *sources, *examples, *formats]
                        if not self._compatible(b.core_versions)]
        if incompatible:
            self._manager.unregister(module)
            versions = sorted({b.core_versions for b in incompatible})
            self._fail(name, f"supports likelihub core {', '.join(versions)}, "
                             f"not {self.core_version}; it is not loaded")
            return
        self.plugins[name] = module
        self.commands.extend(commands)
        for info in staged:
            if info.name in self.backends:
                warnings.warn(f"backend {info.name!r} is registered by both plugin "
                              f"{self.backends[info.name].plugin!r} and {name!r}; "
                              f"{name!r} wins", PluginWarning, stacklevel=3)
            self.backends[info.name] = info
        for offers, offered in ((self.point_sources, sources), (self.examples, examples),
                                (self.formats, formats)):
            for offer in offered:
                if offer.name in offers:
                    warnings.warn(f"{offer.kind} {offer.name!r} is registered by both plugin "
                                  f"{offers[offer.name].plugin!r} and {name!r}; {name!r} wins",
                                  PluginWarning, stacklevel=3)
                offers[offer.name] = offer

    def _compatible(self, specifier: str) -> bool:
        if not specifier:
            return True
        try:
            return Version(self.core_version) in SpecifierSet(specifier, prereleases=True)
        except InvalidSpecifier:
            return False

    def _fail(self, plugin: str, reason: str) -> None:
        self.failed[plugin] = reason
        warnings.warn(f"likelihub plugin {plugin!r} {reason}", PluginWarning, stacklevel=4)

    def metadata(self, name: str) -> BackendInfo:
        """Metadata of the backend called ``name``."""
        try:
            return self.backends[name]
        except KeyError:
            raise UnknownBackendError(self._unknown_message(name)) from None

    def get(self, name: str) -> Callable:
        """The factory of ``name`` (imported now); calling it returns a StatisticalModel.

        Its signature and docstring are the plugin factory's with the core's ``fit_options`` and
        ``name`` added; an unknown keyword is an InvalidArgumentError listing the valid ones
        (:mod:`likelihub.registry.factories`).
        """
        info = self.metadata(name)
        if self._factories.get(name, (None,))[0] is not info:  # wrapped once per registration
            self._factories[name] = (info, wrap_factory(info, info.load_factory()))
        return self._factories[name][1]

    def _unknown_message(self, name: str) -> str:
        installed = ", ".join(sorted(self.backends)) or "none"
        message = f"no likelihub backend called {name!r}; installed: {installed}."
        prefix = name.split(".")[0]
        if prefix in KNOWN_DISTRIBUTIONS and not any(
            b.split(".")[0] == prefix for b in self.backends
        ):
            message += (f" {name!r} is provided by the distribution "
                        f"{KNOWN_DISTRIBUTIONS[prefix]!r}: pip install {KNOWN_DISTRIBUTIONS[prefix]}")
        if self.failed:
            failed = "; ".join(f"{p}: {r}" for p, r in self.failed.items())
            message += f" Plugins that did not load: {failed}."
        return message


def entry_points_of_group(group: str = ENTRY_POINT_GROUP) -> list[EntryPoint]:
    """The installed entry points of ``group``, deduplicated by name."""
    seen: dict[str, EntryPoint] = {}
    for entry_point in entry_points(group=group):
        seen.setdefault(entry_point.name, entry_point)
    return list(seen.values())


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of the installed plugins (discovered once; see :func:`refresh_backends`)."""
    return Registry()


def refresh_backends() -> None:
    """Forget the discovered plugins; the next call discovers them again."""
    default_registry.cache_clear()


def get_backend(name: str) -> Callable:
    """The factory of the backend ``name``: calling it builds a :class:`StatisticalModel`.

    The factory's signature (``inspect.signature``, ``help()``) and docstring are the plugin's
    own, with the core's keyword-only ``fit_options`` and ``name`` added.

    Parameters
    ----------
    name
        The dotted backend name (``"histfactory"``, ``"simplified.correlated_background"``);
        :func:`available_backends` lists the installed ones.

    Returns
    -------
    Callable
        The factory; calling it with an unknown keyword, or without a required argument, raises
        an :class:`~likelihub.errors.InvalidArgumentError` naming it and listing the valid ones.

    Raises
    ------
    UnknownBackendError
        Listing the installed backends, and naming the distribution to install for a known name.
    PluginError
        The plugin's factory cannot be imported.

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.poisson")(signal_yields=[5.0], background_yields=[10.0],
    ...                                              data=[12])
    >>> round(model.fit()["mu"], 3)  # closed form: (n - b) / s
    0.4
    """
    return default_registry().get(name)


def available_backends() -> dict[str, BackendInfo]:
    """Installed backends by name, with their metadata."""
    return dict(sorted(default_registry().backends.items()))


def backend_metadata(name: str) -> BackendInfo:
    """Metadata (version, author, references, supported core versions) of backend ``name``."""
    return default_registry().metadata(name)
