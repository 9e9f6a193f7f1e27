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
