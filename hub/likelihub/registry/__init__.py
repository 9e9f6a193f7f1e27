"""The plugin registry: entry points of the group ``likelihub.backends`` and their pluggy hooks.

- :mod:`~likelihub.registry.hookspecs`: the hooks a plugin implements;
- :mod:`~likelihub.registry.plugins`: loading plugins, :func:`get_backend` and friends;
- :mod:`~likelihub.registry.offers`: point sources (scans) and example models (``likelihub demo``).
"""
