"""Where each component's parameters and data sit in a correlated combination.

Parameters: the POI (the components' POIs where shared, else the first component's), then every
component's parameters in order, a shared parameter at its first member's place, named by
:func:`~likelihub_combiner.sharing.merged_name` (a shared POI: the POIs' common name, else ``mu``;
a POI kept apart, ``shared_poi=False``: ``"component/poi"``) and unshared ones
``"component/parameter"``. Data: all main data, component after component,
then every component's auxiliary data, a shared parameter's auxiliary datum once (at its first
member's place), so that ``config.n_main`` splits main from auxiliary data as each component does.
Each component is a :class:`~likelihub_combiner.components.Component`, checked by
:func:`~likelihub_combiner.components.check_component`, as in the uncorrelated combination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from likelihub.plugin import ConstraintTerm, capabilities

from .components import POI_NAME, SEPARATOR, Component, check_component
from .sharing import MergedParameter, merge_group, merged_name, qualified_name, sharing_groups

__all__ = ["SharedLayout", "shared_layout"]


@dataclass(frozen=True)
class SharedLayout:
    """The parameters and data of a correlated combination (see the module docstring).

    ``corrections``: per shared constrained parameter, (combined parameter, combined datum, its
    term, how many duplicates of the term the components hold).
    """

    components: tuple[Component, ...]
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
    n_mains = [check_component(b, n, poi_required=False, poi_shared=shared_poi)
               for b, n in zip(backends, names, strict=True)]
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
            members = tuple(qualified_name(names, configs, member) for member in group)
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
    components = tuple(Component(
        name=names[k], backend=backends[k], signal_scale=scales[k],
        parameter_index=np.array([index_of[(k, i)] for i in range(configs[k].n_parameters)], dtype=int),
        parameter_scale=np.array([poi_scales.get((k, i), 1.0)  # a shared POI's members only
                                  for i in range(configs[k].n_parameters)]),
        data_index=data_index[k]) for k in range(len(backends)))
    corrections = [(p, int(data_index[g[0][0]][t.datum]), t, count) for p, g, t, count in corrections]
    return SharedLayout(components, parameter_names, init, bounds, fixed, poi_group is not None,
                        sum(n_mains), start, tuple(merged), corrections, terms, index_of)
