"""Which parameters of a correlated combination are one parameter, and whether they can be.

``correlate`` (see :func:`sharing_groups`) says which component parameters are the same parameter:

- ``"names"``: parameters of equal names in several components (pyhf's ``Workspace.combine``,
  Combine's ``combineCards.py``: analyses of one experiment);
- a list of names: those names only, each in at least two components;
- a mapping across components, ``{"atlas/lumi": "cms/lumi"}`` (a value may list several:
  ``{"atlas/lumi": ["cms/lumi", "lhcb/lumi"]}``); chains join (``a = b``, ``b = c``).

The POIs are one more group where they are shared. :func:`merge_group` checks that the members
of a group can be one parameter: the same constraint (kind, width or scale, observed auxiliary
datum) or none, overlapping bounds, no two fixed at different values; an error names both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from likelihub.errors import CapabilityError, InvalidModelError
from likelihub.plugin import ConstraintTerm

from .components import SEPARATOR

__all__ = ["MergedParameter", "Member", "sharing_groups", "merge_group", "resolve_name", "qualified_name"]

#: A component parameter: (component number, parameter index in the component).
Member = tuple[int, int]


@dataclass(frozen=True)
class MergedParameter:
    """One parameter of a correlated combination standing for several component parameters.

    Attributes
    ----------
    name
        Its name in the combination.
    members
        The component parameters it stands for, as ``"component/parameter"``.
    constraint
        Its constraint term, counted once (``"normal(sigma=1)"``, ``"poisson(tau=400)"``), or
        ``"unconstrained"``.
    """

    name: str
    members: tuple[str, ...]
    constraint: str

    def __str__(self) -> str:
        return f"{self.name} <- {', '.join(self.members)} [{self.constraint}]"


def resolve_name(qualified: str, names: Sequence[str], configs: Sequence, argument: str) -> Member:
    """The (component, parameter) called ``"component/parameter"``; an error naming it otherwise."""
    for k, component in enumerate(names):
        prefix = component + SEPARATOR
        if qualified.startswith(prefix):
            parameter = qualified[len(prefix):]
            if parameter not in configs[k].parameter_names:
                raise InvalidModelError(f"{qualified!r}: component {component!r} has no parameter "
                                        f"{parameter!r}", argument=argument)
            return k, configs[k].parameter_names.index(parameter)
    raise InvalidModelError(f"{qualified!r} names no component parameter: write "
                            f"'<component>{SEPARATOR}<parameter>' with a component among {list(names)}",
                            argument=argument)


class _Union:
    def __init__(self):
        self.parent: dict[Member, Member] = {}

    def find(self, x: Member) -> Member:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: Member, b: Member) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[Member]]:
        out: dict[Member, list[Member]] = {}
        for x in sorted(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return [sorted(g) for g in out.values() if len(g) > 1]


def sharing_groups(configs: Sequence, names: Sequence[str], correlate, shared_poi: bool
                   ) -> list[list[Member]]:
    """The groups of component parameters that are one parameter (each of two or more members,
    the POIs' group first where they are shared), sorted by their first member."""
    union = _Union()
    pois = [(k, c.poi_index) for k, c in enumerate(configs) if c.poi_index is not None]
    if shared_poi:
        for member in pois[1:]:
            union.join(pois[0], member)
    if correlate is None:
        pass
    elif isinstance(correlate, str):
        if correlate != "names":
            raise InvalidModelError(f"correlate must be 'names', a list of parameter names or a mapping "
                                    f"{{'a{SEPARATOR}x': 'b{SEPARATOR}y'}}, got {correlate!r}",
                                    argument="correlate")
        owners: dict[str, list[Member]] = {}
        for k, config in enumerate(configs):
            for i, parameter in enumerate(config.parameter_names):
                if i != config.poi_index or shared_poi:
                    owners.setdefault(parameter, []).append((k, i))
        for members in owners.values():
            for member in members[1:]:
                union.join(members[0], member)
    elif isinstance(correlate, Mapping):
        for key, values in correlate.items():
            values = [values] if isinstance(values, str) else list(values)
            first = resolve_name(key, names, configs, "correlate")
            for value in values:
                other = resolve_name(value, names, configs, "correlate")
                if other[0] == first[0]:
                    raise InvalidModelError(f"{key!r} and {value!r} are parameters of one component: a "
                                            "combination shares parameters across components",
                                            argument="correlate")
                union.join(first, other)
    else:
        if not isinstance(correlate, (list, tuple)) or not all(isinstance(p, str) for p in correlate):
            raise InvalidModelError(f"correlate must be 'names', a list of parameter names or a mapping "
                                    f"{{'a{SEPARATOR}x': 'b{SEPARATOR}y'}}, got {correlate!r}",
                                    argument="correlate")
        for parameter in correlate:
            members = [(k, c.parameter_names.index(parameter)) for k, c in enumerate(configs)
                       if parameter in c.parameter_names]
            if not members:
                raise InvalidModelError(f"no component has a parameter {parameter!r} to share (the "
                                        f"components are {list(names)})", argument="correlate")
            if len(members) == 1:
                raise InvalidModelError(f"only component {names[members[0][0]]!r} has a parameter "
                                        f"{parameter!r}: there is nothing to share it with",
                                        argument="correlate")
            for member in members[1:]:
                union.join(members[0], member)
    groups = union.groups()
    for group in groups:
        components = [k for k, _ in group]
        repeated = sorted({k for k in components if components.count(k) > 1})
        if repeated:
            twice = [qualified_name(names, configs, m) for m in group if m[0] == repeated[0]]
            raise InvalidModelError(f"{' and '.join(map(repr, twice))} would be one parameter: a "
                                    "combination shares parameters across components, not within one",
                                    argument="correlate")
    if not shared_poi:
        for group in groups:
            for k, i in group:
                if i == configs[k].poi_index:
                    raise InvalidModelError(f"the POI {configs[k].parameter_names[i]!r} of component "
                                            f"{names[k]!r} is kept apart (shared_poi=False) but is "
                                            "correlated with another parameter", argument="correlate")
    return groups


def qualified_name(names: Sequence[str], configs: Sequence, member: Member) -> str:
    """``"component/parameter"`` of a component parameter."""
    k, i = member
    return f"{names[k]}{SEPARATOR}{configs[k].parameter_names[i]}"


def merge_group(group: Sequence[Member], names: Sequence[str], configs: Sequence, data: Sequence[np.ndarray],
                terms: Sequence[dict[int, ConstraintTerm] | None],
                scales: Mapping[Member, float] | None = None) -> dict:
    """Check that a group's members can be one parameter; return its bounds, init, fixed and
    constraint term (the first member's, or None). ``scales``: a member equals scale times the
    merged parameter (the POIs' signal scales); its bounds and value are divided by it."""
    scales = scales or {}
    first, label = group[0], qualified_name(names, configs, group[0])
    low, high = -np.inf, np.inf
    fixed_at: tuple[str, float] | None = None
    reference = None
    for position, (k, i) in enumerate(group):
        config, label_k = configs[k], qualified_name(names, configs, (k, i))
        is_poi = i == config.poi_index
        if terms[k] is None and not is_poi:
            raise CapabilityError(f"component {names[k]!r} does not declare its constraint terms "
                                  "(constraint_terms()): its parameter "
                                  f"{config.parameter_names[i]!r} cannot be shared (argument 'correlate')")
        term = None if terms[k] is None else terms[k].get(i)
        if position == 0:
            reference = term
        elif (term is None) != (reference is None) or (term is not None
                                                        and not term.same_constraint(reference)):
            describe = [t.summary() if t is not None else "unconstrained" for t in (reference, term)]
            raise InvalidModelError(f"{label!r} ({describe[0]}) and {label_k!r} ({describe[1]}) have "
                                    "different constraints: they cannot be one parameter",
                                    argument="correlate")
        elif term is not None and data[k][term.datum] != data[first[0]][reference.datum]:
            raise InvalidModelError(f"{label!r} and {label_k!r} have different observed auxiliary data "
                                    f"({data[first[0]][reference.datum]!r} and {data[k][term.datum]!r}): "
                                    "they cannot be one parameter", argument="correlate")
        scale = scales.get((k, i), 1.0)
        b_low, b_high = (float(b) / scale for b in config.bounds[i])
        if b_low > high or b_high < low:
            raise InvalidModelError(f"{label!r} and {label_k!r} have bounds that do not overlap "
                                    f"([{low:g}, {high:g}] and [{b_low:g}, {b_high:g}]"
                                    f"{', POIs over their signal scales' if scales else ''})",
                                    argument="correlate")
        low, high = max(low, b_low), min(high, b_high)
        if config.fixed[i]:
            value = float(config.init[i]) / scale
            if fixed_at is not None and fixed_at[1] != value:
                raise InvalidModelError(f"{fixed_at[0]!r} and {label_k!r} are fixed at different values "
                                        f"({fixed_at[1]:g} and {value:g})", argument="correlate")
            fixed_at = fixed_at or (label_k, value)
    init = fixed_at[1] if fixed_at else float(configs[first[0]].init[first[1]]) / scales.get(first, 1.0)
    return {"bounds": (low, high), "init": float(np.clip(init, low, high)), "fixed": fixed_at is not None,
            "term": reference}


def merged_name(group: Sequence[Member], names: Sequence[str], configs: Sequence) -> str:
    """The plain parameter name where every member has it, else the first member's qualified name."""
    plain = {configs[k].parameter_names[i] for k, i in group}
    return plain.pop() if len(plain) == 1 else qualified_name(names, configs, group[0])
