"""A backend seen with another configuration: another tested POI, parameters fixed.

    view = ReconfiguredBackend(backend, backend.config.replace(poi_index=2, pois=(0, 2)))

The likelihood is the backend's own: every method and capability (gradients, Hessians, batches,
sampling, ``describe``) is the backend's, reached through attribute lookup; only ``config`` (which
parameter is tested, initial values, fixed flags) is the view's. The configuration must keep the
backend's parameters (same names, same order). :meth:`likelihub.model.StatisticalModel.with_poi`
makes one.
"""

from __future__ import annotations

from likelihub.backend.config import ModelConfig
from likelihub.errors import InvalidModelError

__all__ = ["ReconfiguredBackend"]


class ReconfiguredBackend:
    """``backend`` with the configuration ``config`` (same parameters, in the same order).

    Parameters
    ----------
    backend
        Any backend (the contract of :mod:`likelihub.backend.contract`).
    config
        Its configuration with other fields (``poi_index``, ``pois``, ``init``, ``fixed``,
        ``bounds``).
    """

    def __init__(self, backend, config: ModelConfig):
        if tuple(config.parameter_names) != tuple(backend.config.parameter_names):
            raise InvalidModelError("a reconfigured backend keeps the backend's parameters, in order")
        self.backend = backend
        self.config = config

    def __getattr__(self, name: str):
        # only reached for what the view itself lacks; never for the view's own state (pickling
        # and copying look up dunder names before __init__ has run)
        if name.startswith("__") or name == "backend":
            raise AttributeError(name)
        return getattr(self.backend, name)

    def __repr__(self) -> str:
        return f"<{type(self.backend).__name__} with POI {self.config.poi_name!r}>"
