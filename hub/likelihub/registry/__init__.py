"""The plugin registry: entry points of the group ``likelihub.backends`` and their pluggy hooks.

- :mod:`~likelihub.registry.hookspecs`: the hooks a plugin implements;
- :mod:`~likelihub.registry.plugins`: loading plugins, :func:`get_backend` and friends;
- :mod:`~likelihub.registry.offers`: what a registered point source (scans) or example model
  (``likelihub demo``) is;
- :mod:`~likelihub.registry.formats`: what a registered file format (``likelihub cls FILE``) is;
- :mod:`~likelihub.registry.catalogue`: looking them up (``available_point_sources()``,
  ``find_format(path)``, ...).
"""
