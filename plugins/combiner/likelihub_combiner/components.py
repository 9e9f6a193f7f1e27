"""One component of a combination: where its parameters and data sit in the combined vectors,
for both combiner backends (:class:`Component`, checked by :func:`check_component`).

In the uncorrelated combination (:func:`stacked_components`) the combined parameter vector is the
signal strength ``mu`` followed by each component's parameters other than its POI, component after
component. The combined data are every component's main measurements, component after component,
followed by every component's auxiliary data (global observables), in the same order::

    data = [main_1, main_2, ..., main_K, auxiliary_1, auxiliary_2, ..., auxiliary_K]

so that ``config.n_main`` (the sum of the components' ``n_main``) splits the combined data into
main and auxiliary parts exactly as each component splits its own, and
``asimov_global_observables="nominal"`` keeps every component's auxiliary data nominal. The
correlated combination (:mod:`likelihub_combiner.layout`) keeps that order, a shared parameter and
its auxiliary datum once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from likelihub import ModelConfig, StatisticalModel
from likelihub.errors import InvalidModelError
from likelihub.plugin import Backend

__all__ = ["Component", "component_backend", "check_component", "stacked_components", "POI_NAME",
           "SEPARATOR"]

#: Name of the shared signal strength in the combined model (where the components name it differently).
POI_NAME = "mu"
#: Between a component's name and its parameter's name: ``"atlas/alpha_JES"``.
SEPARATOR = "/"
#: A component whose parameters sit in at most this many runs of consecutive combined indices, in
#: its own order (the uncorrelated layout: before its POI, the POI, after it) or else in the combined
#: order, has its Hessian added block by block, through slices; one in more runs by one
#: fancy-indexed addition, faster there.
MAX_RUNS = 4


def component_backend(model, name: str):
    """The backend of ``model`` (a StatisticalModel or a backend), checked against the contract."""
    backend = model.backend if isinstance(model, StatisticalModel) else model
    if not isinstance(backend, Backend):
        raise InvalidModelError(
            f"component {name!r} is a {type(model).__name__}, neither a StatisticalModel nor a "
            "likelihub backend (config, data, expected_data, logpdf)", argument="models")
    return backend


def check_component(backend, name: str, poi_required: bool, poi_shared: bool = True) -> int:
    """Validate one component; returns its number of main data.

    ``poi_required``: a component without a POI is an error (the uncorrelated combination);
    ``poi_shared``: a POI held fixed is an error (it could not follow the combined signal strength).
    """
    config = backend.config
    if not isinstance(config, ModelConfig):
        raise InvalidModelError(f"component {name!r}: config must be a likelihub.ModelConfig",
                                argument="models")
    if poi_required and config.poi_index is None:
        raise InvalidModelError(f"component {name!r} has no parameter of interest to share",
                                argument="models")
    if poi_shared and config.poi_index is not None and config.fixed[config.poi_index]:
        raise InvalidModelError(f"component {name!r} holds its POI {config.poi_name!r} fixed: it "
                                "cannot follow the combined signal strength", argument="models")
    n_data = np.asarray(backend.expected_data(config.init)).size
    observed = np.asarray(backend.data, dtype=float)
    if observed.shape != (n_data,):
        raise InvalidModelError(f"component {name!r}: observed data of shape {observed.shape}, "
                                f"but its expected data have {n_data} values", argument="models")
    n_main = n_data if config.n_main is None else int(config.n_main)
    if not 0 <= n_main <= n_data:
        raise InvalidModelError(f"component {name!r}: n_main {n_main} outside 0..{n_data}",
                                argument="models")
    return n_main


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
        Its POI equals ``signal_scale * mu`` (where the POI is shared).
    parameter_index, parameter_scale
        Per parameter of the component: its index in the combined parameter vector, and the
        factor it is of that combined parameter (the signal scale for a shared POI, else 1).
    data_index
        Per datum of the component: its index in the combined data.
    """

    name: str
    backend: object
    signal_scale: float
    parameter_index: np.ndarray
    parameter_scale: np.ndarray
    data_index: np.ndarray
    _blocks: tuple | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # for place_hessian: the order of the component's parameters that leaves the fewest runs of
        # consecutive combined indices, its own (None) or the combined one; the factors
        # scale_i * scale_j in that order (None: all 1); the runs (component slice, combined slice).
        # None where the runs are more than MAX_RUNS.
        index = self.parameter_index
        object.__setattr__(self, "_blocks", None)
        for order in (None, np.argsort(index, kind="stable")):
            taken = slice(None) if order is None else order
            ordered, scale = index[taken], self.parameter_scale[taken]
            breaks = (np.flatnonzero(np.diff(ordered) != 1) + 1).tolist()
            edges = [0, *breaks, index.size] if index.size else []
            if len(edges) - 1 <= MAX_RUNS:
                runs = tuple((slice(a, b), slice(int(ordered[a]), int(ordered[a]) + b - a))
                             for a, b in zip(edges[:-1], edges[1:], strict=True))
                factors = None if np.all(scale == 1.0) else scale[:, None] * scale[None, :]
                object.__setattr__(self, "_blocks", (order, factors, runs))
                break

    def component_parameters(self, pars: np.ndarray) -> np.ndarray:
        """The component's parameter vector(s) from combined ones: (P,) -> (P_k,), (N, P) -> (N, P_k)."""
        return np.asarray(pars, dtype=float)[..., self.parameter_index] * self.parameter_scale

    def component_data(self, data: np.ndarray) -> np.ndarray:
        """The component's data from combined data (the last axis)."""
        return np.asarray(data, dtype=float)[..., self.data_index]

    def place_data(self, component_data: np.ndarray, out: np.ndarray) -> None:
        """Write the component's data (last axis) into their slots of the combined ``out``."""
        out[..., self.data_index] = component_data

    def place_gradient(self, grad: np.ndarray, out: np.ndarray) -> None:
        """Add the gradient(s) of the component's logpdf ((P_k,) or (N, P_k)) to the combined ``out``."""
        out[..., self.parameter_index] += self.parameter_scale * grad

    def place_hessian(self, hessian: np.ndarray, out: np.ndarray) -> None:
        """Add the Hessian(s) of the component's logpdf ((P_k, P_k) or (N, P_k, P_k)) to ``out``."""
        if self._blocks is None:
            index, scale = self.parameter_index, self.parameter_scale
            out[..., index[:, None], index[None, :]] += scale[:, None] * scale[None, :] * hessian
            return
        # the same sums of the same products (scale_i scale_j) H_ij, a factor 1 left out (exact)
        order, factors, runs = self._blocks
        if order is not None:
            hessian = hessian[..., order[:, None], order[None, :]]
        if factors is not None:
            hessian = factors * hessian
        for rows, out_rows in runs:
            for columns, out_columns in runs:
                out[..., out_rows, out_columns] += hessian[..., rows, columns]


def stacked_components(backends, names, scales, n_mains) -> tuple[Component, ...]:
    """The components of the uncorrelated combination (see the module docstring): ``mu`` (each POI
    is ``scale * mu``) then each component's other parameters; main data, then auxiliary data."""
    components, parameter_start, main_start, auxiliary_start = [], 1, 0, sum(n_mains)
    for backend, name, scale, n_main in zip(backends, names, scales, n_mains, strict=True):
        config, size = backend.config, np.asarray(backend.data).size
        parameter_index = np.zeros(config.n_parameters, dtype=int)
        parameter_scale = np.ones(config.n_parameters)
        nuisances = [i for i in range(config.n_parameters) if i != config.poi_index]
        parameter_index[nuisances] = np.arange(parameter_start, parameter_start + len(nuisances))
        parameter_scale[config.poi_index] = scale
        data_index = np.concatenate([np.arange(main_start, main_start + n_main),
                                     np.arange(auxiliary_start, auxiliary_start + size - n_main)])
        components.append(Component(name=name, backend=backend, signal_scale=scale,
                                    parameter_index=parameter_index, parameter_scale=parameter_scale,
                                    data_index=data_index))
        parameter_start += len(nuisances)
        main_start += n_main
        auxiliary_start += size - n_main
    return tuple(components)
