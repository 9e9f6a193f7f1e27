"""File formats: what plugins read from a file given on the command line (``likelihub cls FILE``).

A plugin registers a format through the hook ``likelihub_register_formats``
(:mod:`likelihub.registry.hookspecs`)::

    @likelihub.hookimpl
    def likelihub_register_formats(register):
        register("combine.datacard", backend="combine.datacard",
                 detect="likelihub_combine.cli_format:is_datacard",
                 options="likelihub_combine.cli_format:OPTIONS",
                 open="likelihub_combine.cli_format:open_datacard",
                 label="Combine datacards", description="CMS Combine text datacards")

- ``detect(path) -> bool`` says, cheaply, whether ``path`` is of the format (its suffix, the first
  bytes: :func:`file_head`); it never raises and reads little;
- ``options`` are the click options the format's files take (``--mass``, ``--member``): the core's
  commands ``cls``, ``limit``, ``fit`` and ``inspect`` offer those of every format, and refuse one
  the file's format does not take;
- ``open(path, **options) -> StatisticalModel`` builds the model (by default, the ``backend``'s
  factory called with the path and the options);
- ``inspect(path, *, as_json, **options) -> str``, optional, is what ``likelihub inspect`` prints
  (by default, the model's ``describe()`` and a table of its parameters);
- ``summary(path) -> str | None``, optional, says in one line what the file holds (``"HistFactory
  patchset: 125 patches, labels m1, m2"``), or None where it is no file of the format after all;
  ``likelihub fetch`` describes what it downloaded so, format by format;
- ``fallback=True`` says that ``detect`` claims files by their suffix alone (the HistFactory
  format claims every ``.json`` file): such a format is chosen only where no other format
  recognises the file, so that formats that recognise a ``.json`` file by its content (HS3,
  simplified likelihoods, combinations) need no ``--format``.

Each may be given as ``"package.module:attribute"``, imported on first use. Looking formats up,
and finding the one that recognises a file, is :mod:`likelihub.registry.catalogue`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from os import PathLike

from likelihub.errors import PluginError
from likelihub.registry.offers import load_object

__all__ = ["FormatInfo", "file_head"]
_log = logging.getLogger(__name__)


def file_head(path: str | PathLike, size: int = 4096) -> bytes:
    """The first ``size`` bytes of the file ``path``; ``b""`` where it cannot be read (missing,
    a folder, no permission): a format's ``detect`` looks at them without raising."""
    try:
        with open(path, "rb") as file:
            return file.read(size)
    except (OSError, ValueError):
        return b""


@dataclass(frozen=True)
class FormatInfo:
    """A registered file format.

    Attributes
    ----------
    name
        The format's name (``--format NAME``), by convention the backend's (``"combine.datacard"``).
    backend
        The backend its files build.
    detect, open, options, inspect, summary
        As registered (callables, a sequence of click options, or ``"package.module:attribute"``);
        see the module docstring. ``open`` and ``inspect`` may be None (the defaults).
    label
        What its files are, a plural noun phrase for messages (``"Combine datacards"``).
    plugin, version, description, core_versions
        The plugin that registered it, and as the plugin declares them.
    fallback
        Whether ``detect`` claims files by their suffix alone: the format is then chosen only where
        no other format recognises the file.
    """

    name: str
    backend: str
    detect: Callable | str = field(repr=False)
    open: Callable | str | None = field(default=None, repr=False)
    options: Sequence | str = field(default=(), repr=False)
    inspect: Callable | str | None = field(default=None, repr=False)
    label: str = ""
    plugin: str = ""
    version: str = ""
    description: str = ""
    core_versions: str = ""
    summary: Callable | str | None = field(default=None, repr=False)
    fallback: bool = False

    kind = "format"

    @property
    def title(self) -> str:
        """What its files are (the label, else the name)."""
        return self.label or f"{self.name} files"

    def _load(self, target, part: str):
        return load_object(target, f"{part} of the format {self.name!r} of plugin {self.plugin!r}")

    def load(self) -> FormatInfo:
        """Import every part given as a string now (``likelihub plugins`` checks them so).

        Raises
        ------
        PluginError
            A part cannot be imported, or an option is not a :class:`click.Option`.
        """
        for target, part in ((self.detect, "detect"), (self.open, "open"), (self.inspect, "inspect"),
                             (self.summary, "summary")):
            if target is not None:
                self._load(target, part)
        self.load_options()
        return self

    def recognises(self, path: str) -> bool:
        """Whether ``detect`` says ``path`` is of this format (False where detect fails)."""
        try:
            return bool(self._load(self.detect, "detect")(path))
        except Exception:  # a broken format (listed by `likelihub plugins`) recognises nothing
            return False

    def load_options(self) -> list:
        """The format's click options.

        Raises
        ------
        PluginError
            They cannot be imported, or one is not a :class:`click.Option`.
        """
        import click

        options = self._load(self.options, "options")
        options = list(options() if callable(options) else options)
        for option in options:
            if not isinstance(option, click.Option):
                raise PluginError(f"format {self.name!r} of plugin {self.plugin!r}: its options must "
                                  f"be click.Option objects, not {type(option).__name__}")
        return options

    def open_model(self, path: str, **options):
        """The model of the file ``path``: the format's ``open``, else the backend's factory.

        Raises
        ------
        PluginError
            ``open`` cannot be imported or returns no :class:`~likelihub.model.StatisticalModel`.
        """
        from likelihub.model import StatisticalModel
        from likelihub.registry.plugins import get_backend

        opener = self._load(self.open, "open") if self.open is not None else get_backend(self.backend)
        _log.info("reading %s as one of the %s (format %s, plugin %s)", path, self.title, self.name,
                  self.plugin)
        model = opener(path, **options)
        if not isinstance(model, StatisticalModel):
            raise PluginError(f"format {self.name!r} of plugin {self.plugin!r}: open returned a "
                              f"{type(model).__name__}, not a StatisticalModel")
        return model

    def inspector(self) -> Callable | None:
        """The format's ``inspect``, or None (then ``likelihub inspect`` describes the model)."""
        return None if self.inspect is None else self._load(self.inspect, "inspect")

    def summariser(self) -> Callable | None:
        """The format's ``summary`` (one line on what a file holds), or None."""
        return None if self.summary is None else self._load(self.summary, "summary")

    def to_dict(self) -> dict:
        """The metadata as a plain dictionary."""
        return {"name": self.name, "backend": self.backend, "label": self.label, "plugin": self.plugin,
                "version": self.version, "description": self.description}
