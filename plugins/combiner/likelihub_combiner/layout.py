"""Where each component's parameters and data sit in a correlated combination.

Parameters: the POI (the components' POIs where shared, else the first component's), then every
component's parameters in order, a shared parameter at its first member's place, named by
:func:`~likelihub_combiner.sharing.merged_name` (a shared POI: the POIs' common name, else ``mu``;
a POI kept apart, ``shared_poi=False``: ``"component/poi"``) and unshared ones
``"component/parameter"``. Data: all main data, component after component,
then every component's auxiliary data, a shared parameter's auxiliary datum once (at its first
member's place), so that ``config.n_main`` splits main from auxiliary data as each component does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from likelihub import ModelConfig
from likelihub.errors import InvalidModelError
from likelihub.plugin import ConstraintTerm, capabilities

from .sharing import SEPARATOR, MergedParameter, merge_group, merged_name, sharing_groups

__all__ = ["SharedComponent", "SharedLayout", "shared_layout", "POI_NAME"]

#: Name of a shared POI whose components name it differently.
POI_NAME = "mu"


@dataclass(frozen=True)
class SharedComponent:
    """A component of a correlated combination: where each of its parameters and data sits.

    Attributes
    ----------
    name, backend, signal_scale
        As :class:`~likelihub_combiner.components.Component`.
    parameter_index, parameter_scale
        Per parameter of the component: its index in the combined vector, and the factor it is
        of that combined parameter (the signal scale for a shared POI, else 1).
    data_index
        Per datum of the component: its index in the combined data.
    """

    name: str
    backend: object
    signal_scale: float
    parameter_index: np.ndarray
    parameter_scale: np.ndarray
    data_index: np.ndarray

    def component_parameters(self, pars: np.ndarray) -> np.ndarray:
        return np.asarray(pars, dtype=float)[..., self.parameter_index] * self.parameter_scale

    def component_data(self, data: np.ndarray) -> np.ndarray:
        return np.asarray(data, dtype=float)[..., self.data_index]

    def place_data(self, component_data: np.ndarray, out: np.ndarray) -> None:
        out[..., self.data_index] = component_data

    def place_gradient(self, grad: np.ndarray, out: np.ndarray) -> None:
        out[..., self.parameter_index] += self.parameter_scale * grad

    def place_hessian(self, hessian: np.ndarray, out: np.ndarray) -> None:
        index, scale = self.parameter_index, self.parameter_scale
        out[..., index[:, None], index[None, :]] += scale[:, None] * scale[None, :] * hessian


def _check(backend, name: str, shared_poi: bool) -> int:
    """Validate one component; returns its number of main data."""
    config = backend.config
    if not isinstance(config, ModelConfig):
        raise InvalidModelError(f"component {name!r}: config must be a likelihub.ModelConfig",
                                argument="models")
    if shared_poi and config.poi_index is not None and config.fixed[config.poi_index]:
        raise InvalidModelError(f"component {name!r} holds its POI {config.poi_name!r} fixed: it cannot "
                                "follow the combined signal strength", argument="models")
    size = np.asarray(backend.data).size
    n_main = size if config.n_main is None else int(config.n_main)
    if np.asarray(backend.expected_data(config.init)).shape != (size,) or not 0 <= n_main <= size:
        raise InvalidModelError(f"component {name!r}: data and expected data disagree in size or n_main",
                                argument="models")
    return n_main


@dataclass(frozen=True)
class SharedLayout:
    """The parameters and data of a correlated combination (see the module docstring).

    ``corrections``: per shared constrained parameter, (combined parameter, combined datum, its
    term, how many duplicates of the term the components hold).
    """

    components: tuple[SharedComponent, ...]
    parameter_names: list[str]
    init: list[float]
    bounds: list[tuple[float, float]]
    fixed: list[bool]
    has_poi: bool
    n_main: int
    size: int
    merged: tuple[MergedParameter, ...]
    corrections: list[tuple[int, int, ConstraintTerm, int]]
    terms: list[dict[int, ConstraintTerm] | None]
    index_of: dict[tuple[int, int], int]


def shared_layout(backends: Sequence, names: Sequence[str], scales: Sequence[float], correlate,
                  shared_poi: bool) -> SharedLayout:
    """The layout of the combination of ``backends`` sharing what ``correlate`` says."""
    n_mains = [_check(b, n, shared_poi) for b, n in zip(backends, names, strict=True)]
    configs = [b.config for b in backends]
    data = [np.asarray(b.data, dtype=float) for b in backends]
    terms = [{t.parameter: t for t in b.constraint_terms()} if capabilities(b).constraint_terms else None
             for b in backends]
    groups = sharing_groups(configs, names, correlate, shared_poi)
    pois = [(k, c.poi_index) for k, c in enumerate(configs) if c.poi_index is not None]
    poi_group = next((g for g in groups if pois and pois[0] in g), [pois[0]] if pois else None)
    poi_scales = {(k, i): scales[k] for k, i in pois} if shared_poi else {}
    group_of = {member: group for group in groups for member in group}
    if poi_group is not None:
        group_of.update({member: poi_group for member in poi_group})

    parameter_names, init, bounds, fixed = [], [], [], []
    index_of: dict[tuple[int, int], int] = {}
    merged, corrections = [], []

    def place(group: list) -> None:
        plan = merge_group(group, names, configs, data, terms, poi_scales)
        name = merged_name(group, names, configs)
        if group is poi_group and len({configs[m].parameter_names[j] for m, j in group}) > 1:
            name = POI_NAME
        elif len(group) == 1 and not shared_poi:  # the first component's POI, kept apart
            name = f"{names[group[0][0]]}{SEPARATOR}{name}"
        for member in group:
            index_of[member] = len(parameter_names)
        parameter_names.append(name)
        init.append(plan["init"])
        bounds.append(plan["bounds"])
        fixed.append(plan["fixed"])
        if len(group) > 1:
            term = plan["term"]
            members = tuple(f"{names[m]}{SEPARATOR}{configs[m].parameter_names[j]}" for m, j in group)
            summary = term.summary() if term is not None else "unconstrained"
            merged.append(MergedParameter(name, members, summary))
            if term is not None:
                corrections.append((index_of[group[0]], group, term, len(group) - 1))

    if poi_group is not None:
        place(poi_group)
    for k, config in enumerate(configs):
        for i in range(config.n_parameters):
            if (k, i) in index_of:
                continue
            if (k, i) in group_of:
                place(group_of[(k, i)])
                continue
            index_of[(k, i)] = len(parameter_names)
            parameter_names.append(f"{names[k]}{SEPARATOR}{config.parameter_names[i]}")
            init.append(float(config.init[i]))
            bounds.append(tuple(float(b) for b in config.bounds[i]))
            fixed.append(bool(config.fixed[i]))

    # data: all main data, then every component's auxiliary data, a shared datum once
    data_index = [np.empty(d.size, dtype=int) for d in data]
    start = 0
    for k, n_main in enumerate(n_mains):
        data_index[k][:n_main] = np.arange(start, start + n_main)
        start += n_main
    alias = {}
    for _, group, _, _ in corrections:
        (first, i_first), *others = group
        for k, i in others:
            alias[(k, terms[k][i].datum)] = (first, terms[first][i_first].datum)
    for k, n_main in enumerate(n_mains):
        for j in range(n_main, data[k].size):
            if (k, j) in alias:
                m, jm = alias[(k, j)]
                data_index[k][j] = data_index[m][jm]
            else:
                data_index[k][j] = start
                start += 1
    components = tuple(SharedComponent(
        name=names[k], backend=backends[k], signal_scale=scales[k],
        parameter_index=np.array([index_of[(k, i)] for i in range(configs[k].n_parameters)], dtype=int),
        parameter_scale=np.array([poi_scales.get((k, i), 1.0)  # a shared POI's members only
                                  for i in range(configs[k].n_parameters)]),
        data_index=data_index[k]) for k in range(len(backends)))
    corrections = [(p, int(data_index[g[0][0]][t.datum]), t, count) for p, g, t, count in corrections]
    return SharedLayout(components, parameter_names, init, bounds, fixed, poi_group is not None,
                        sum(n_mains), start, tuple(merged), corrections, terms, index_of)
