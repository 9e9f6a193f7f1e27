"""Refuse combinations that would count one likelihood twice.

An uncorrelated combination multiplies its components' likelihoods, so a component given twice
counts its data twice: ``combine(m, m)`` tightened a limit from 1.57 to 1.20. This module finds
components that are, or share the state of, one another, and names them:

- the same model object twice (``combine(m, m)``);
- the same backend object, behind two models (``combine(m, StatisticalModel(m.backend))``) or
  inside a nested combination (``combine(combine(a, b), a)``);
- backends sharing state: observed data in one buffer (views of the same array), or the same
  object of the backend's making held by both (two HistFactory backends of one compiled model);
- one measurement twice: components with the same parameter names (the POI aside) and equal
  observed data, e.g. two signal hypotheses built from one background-only workspace, whose
  parameters would otherwise be duplicated under two prefixes and its data counted twice.

Correlated combinations (:mod:`likelihub_combiner.correlated`), where components share nuisance
parameters on purpose, name what they share and take the same checks; these stay exact so that
they refuse only what no combination can mean: distinct experiments (or the channels of one
workspace, split) differ in their parameters or their data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from likelihub import DataLayout, ModelConfig, StatisticalModel
from likelihub.errors import InvalidModelError

__all__ = ["refuse_overlaps"]


def _leaves(backend, path: str) -> Iterator[tuple[str, object]]:
    """The backend and, for a nested combination, its components' backends (named by path)."""
    yield path, backend
    for component in getattr(backend, "components", ()) or ():
        inner = getattr(component, "backend", None)
        if inner is not None:
            yield from _leaves(inner, f"{path}/{component.name}")


def _is_state(value) -> bool:
    """Whether an attribute value is state of one likelihood: an object of the backend's own
    making (a compiled model, an expansion, an evaluator), not a plain value (number, string,
    container, array), a function, a class, or the core's ModelConfig and DataLayout, which
    describe parameters rather than hold a likelihood."""
    if value is None or isinstance(value, (ModelConfig, DataLayout, np.ndarray, np.generic, type)):
        return False
    if callable(value) or type(value).__module__ in ("builtins", "numpy", "types"):
        return False
    return hasattr(value, "__dict__") or hasattr(value, "__slots__")


def _shared(first, second) -> str | None:
    """What the two (distinct) backends share, or None."""
    a, b = getattr(first, "data", None), getattr(second, "data", None)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.size and b.size \
            and np.may_share_memory(a, b):
        return "their observed data are one array"
    mine = {id(v): name for name, v in vars(first).items() if _is_state(v)} \
        if hasattr(first, "__dict__") else {}
    if not mine or not hasattr(second, "__dict__"):
        return None
    for name, value in vars(second).items():
        if id(value) in mine and _is_state(value):
            return (f"both hold the same {type(value).__name__} (attributes "
                    f"{mine[id(value)]!r} and {name!r})")
    return None


def _same_measurement(first, second) -> bool:
    """Same parameter names (the POI aside) and equal observed data."""
    c1, c2 = first.config, second.config
    others = [[n for i, n in enumerate(c.parameter_names) if i != c.poi_index] for c in (c1, c2)]
    d1, d2 = np.asarray(first.data, dtype=float), np.asarray(second.data, dtype=float)
    return others[0] == others[1] and d1.shape == d2.shape and bool(np.array_equal(d1, d2))


def refuse_overlaps(models: Sequence, backends: Sequence, names: Sequence[str]) -> None:
    """Raise :class:`~likelihub.errors.InvalidModelError` naming two components that are one
    likelihood, share its state, or are one measurement (see the module docstring)."""
    for i in range(len(models)):
        for j in range(i):
            if models[i] is models[j] and isinstance(models[i], StatisticalModel):
                raise InvalidModelError(
                    f"components {names[j]!r} and {names[i]!r} (models {j} and {i}) are the same "
                    "model object: its data would be counted twice", argument="models")
    leaves = [list(_leaves(b, n)) for b, n in zip(backends, names, strict=True)]
    for i in range(len(leaves)):
        for j in range(i):
            for path_j, first in leaves[j]:
                for path_i, second in leaves[i]:
                    if first is second:
                        raise InvalidModelError(
                            f"components {path_j!r} and {path_i!r} are the same "
                            f"{type(first).__name__} backend: its data would be counted twice",
                            argument="models")
                    reason = _shared(first, second)
                    if reason:
                        raise InvalidModelError(
                            f"components {path_j!r} and {path_i!r} share the state of one "
                            f"likelihood ({reason}): its data would be counted twice",
                            argument="models")
                    if _same_measurement(first, second):
                        raise InvalidModelError(
                            f"components {path_j!r} and {path_i!r} have the same parameters and "
                            "the same observed data: one measurement would be counted twice (for "
                            "another signal hypothesis of one analysis, patch its workspace "
                            "instead of combining)", argument="models")
