"""One component of a combination: where its parameters and data sit in the combined vectors.

The combined parameter vector is the signal strength ``mu`` followed by each component's
parameters other than its POI, component after component. The combined data are every
component's main measurements, component after component, followed by every component's
auxiliary data (global observables), in the same order::

    data = [main_1, main_2, ..., main_K, auxiliary_1, auxiliary_2, ..., auxiliary_K]

so that ``config.n_main`` (the sum of the components' ``n_main``) splits the combined data into
main and auxiliary parts exactly as each component splits its own, and
``asimov_global_observables="nominal"`` keeps every component's auxiliary data nominal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub import StatisticalModel
from likelihub.errors import InvalidModelError
from likelihub.plugin import Backend

__all__ = ["Component", "component_backend"]


def component_backend(model, name: str):
    """The backend of ``model`` (a StatisticalModel or a backend), checked against the contract."""
    backend = model.backend if isinstance(model, StatisticalModel) else model
    if not isinstance(backend, Backend):
        raise InvalidModelError(
            f"component {name!r} is a {type(model).__name__}, neither a StatisticalModel nor a "
            "likelihub backend (config, data, expected_data, logpdf)", argument="models")
    return backend


@dataclass(frozen=True)
class Component:
    """A component likelihood and its place in the combination.

    Attributes
    ----------
    name
        Prefix of its parameter names in the combination.
    backend
        Its backend.
    signal_scale
        Its POI equals ``signal_scale * mu``.
    nuisance_indices
        Positions of its parameters other than the POI, in its own parameter vector.
    parameter_offset
        Where those parameters start in the combined parameter vector.
    main, auxiliary
        Slices of the combined data holding its main and its auxiliary data.
    """

    name: str
    backend: object
    signal_scale: float
    nuisance_indices: np.ndarray
    parameter_offset: int
    main: slice
    auxiliary: slice

    @property
    def poi(self) -> int:
        """Index of the component's POI in its own parameter vector."""
        return self.backend.config.poi_index

    @property
    def parameters(self) -> slice:
        """Slice of the combined parameter vector holding the component's nuisance parameters."""
        return slice(self.parameter_offset, self.parameter_offset + self.nuisance_indices.size)

    def component_parameters(self, pars: np.ndarray) -> np.ndarray:
        """The component's parameter vector(s) from combined ones: (P,) -> (P_k,), (N, P) -> (N, P_k)."""
        pars = np.asarray(pars, dtype=float)
        out = np.empty(pars.shape[:-1] + (self.backend.config.n_parameters,))
        out[..., self.poi] = self.signal_scale * pars[..., 0]
        out[..., self.nuisance_indices] = pars[..., self.parameters]
        return out

    def component_data(self, data: np.ndarray) -> np.ndarray:
        """The component's data from combined data (the last axis)."""
        data = np.asarray(data, dtype=float)
        return np.concatenate([data[..., self.main], data[..., self.auxiliary]], axis=-1)

    def place_data(self, component_data: np.ndarray, out: np.ndarray) -> None:
        """Write the component's data (last axis) into their slots of the combined ``out``."""
        n_main = self.main.stop - self.main.start
        out[..., self.main] = component_data[..., :n_main]
        out[..., self.auxiliary] = component_data[..., n_main:]

    def place_gradient(self, grad: np.ndarray, out: np.ndarray) -> None:
        """Add the gradient(s) of the component's logpdf ((P_k,) or (N, P_k)) to the combined ``out``."""
        out[..., 0] += self.signal_scale * grad[..., self.poi]
        out[..., self.parameters] = grad[..., self.nuisance_indices]

    def place_hessian(self, hessian: np.ndarray, out: np.ndarray) -> None:
        """Add the Hessian(s) of the component's logpdf ((P_k, P_k) or (N, P_k, P_k)) to ``out``."""
        s, poi, nuisances, block = self.signal_scale, self.poi, self.nuisance_indices, self.parameters
        out[..., 0, 0] += s * s * hessian[..., poi, poi]
        out[..., 0, block] = s * hessian[..., poi, nuisances]
        out[..., block, 0] = s * hessian[..., nuisances, poi]
        out[..., block, block] = hessian[..., nuisances[:, None], nuisances[None, :]]
