"""The plugin hooks: what a likelihub plugin module may implement.

A plugin is a module named by an entry point in the group ``likelihub.backends``; it implements
any of the hooks below, decorated with ``likelihub.hookimpl``. Hooks receive a ``register``
callback rather than returning values, so the core can add keyword arguments later.
"""

import pluggy

__all__ = ["hookspec", "hookimpl", "PROJECT_NAME"]

PROJECT_NAME = "likelihub"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def likelihub_register_backends(register):
    """Register backend factories: ``register(name, factory, version=..., references=...)``."""


@hookspec
def likelihub_register_commands(register):
    """Register click commands of the ``likelihub`` command line: ``register(command)``."""


@hookspec
def likelihub_register_point_sources(register):
    """Register sources of scan points (families of models for :func:`likelihub.scan`):
    ``register(name, source, version=..., description=...)``, where ``source`` is a
    :class:`likelihub.running.points.PointSource` (an instance, its class, or
    ``"package.module:Name"``, imported on first use)."""


@hookspec
def likelihub_register_examples(register):
    """Register example models (``likelihub demo``): ``register(name, factory, description=...,
    location=...)``, where ``factory(source=None)`` (or ``"package.module:function"``) returns a
    :class:`likelihub.model.StatisticalModel`: the plugin's example, or one read from ``source``
    (a file of the plugin's format); ``location`` says where the example lies."""


@hookspec
def likelihub_register_formats(register):
    """Register file formats of the commands ``likelihub cls|limit|fit|inspect FILE``:
    ``register(name, backend=..., detect=..., options=..., open=..., inspect=..., label=...,
    description=..., fallback=False)``, where ``detect(path) -> bool`` recognises a file cheaply,
    ``options`` are the click options its files take and ``open(path, **options)`` returns a
    :class:`likelihub.model.StatisticalModel`; the optional ``summary=`` says in one line what
    a file holds; ``fallback=True``: ``detect`` claims files by their
    suffix alone, and the format is chosen only where no other recognises the file (see
    :mod:`likelihub.registry.formats`)."""
