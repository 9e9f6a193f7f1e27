"""Stacks of models that share their parameters: fits of many signal points in lock-step.

A scan's models (one background, many signal patches) have the same parameters, though not
always in the same order. A :class:`BackendStack` presents them in one parameter order (its first
member's): row i of a batch is evaluated with member i's likelihood, so that
:func:`likelihub.fits.batch.lockstep_newton` fits all of them together. Data stay in each member's
own layout; parameter vectors are converted with :meth:`BackendStack.to_stack_order` and
:meth:`BackendStack.to_member_order`.

    groups = stackable_groups(backends)          # indices of backends that can share a stack
    stack = BackendStack([backends[i] for i in groups[0]])
    logpdf, grad = stack.value_and_grad_batch(pars, data, members)   # row k: members[k]

This base class evaluates the rows one by one through each member's ``value_and_grad`` and
``hessian``; plugins subclass it with fused kernels (the ``histfactory`` plugin does).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

__all__ = ["BackendStack", "stackable_groups", "is_stack", "stack_key"]


def is_stack(backend) -> bool:
    """Whether ``backend`` is a :class:`BackendStack` (a batch whose rows belong to its members)."""
    return isinstance(backend, BackendStack)


def stack_key(backend) -> tuple:
    """What backends must share to be stacked: parameter names (in any order) with their initial
    values, bounds and fixed flags, the POI, and the sizes of the data."""
    config = backend.config
    names = tuple(config.parameter_names)
    order = np.argsort(names, kind="stable")
    poi = None if config.poi_index is None else names[config.poi_index]
    data_size = int(np.asarray(backend.data).size)
    return (tuple(names[i] for i in order), poi, config.n_main, data_size,
            np.asarray(config.init, float)[order].tobytes(),
            np.asarray(config.bounds, float)[order].tobytes(),
            np.asarray(config.fixed, bool)[order].tobytes())


def stackable_groups(backends: Sequence, min_size: int = 2) -> list[list[int]]:
    """Indices of ``backends`` grouped by :func:`stack_key`, in order of first appearance;
    groups smaller than ``min_size`` are left out."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, backend in enumerate(backends):
        groups[stack_key(backend)].append(i)
    return [group for group in groups.values() if len(group) >= min_size]


class BackendStack:
    """Models with the same parameters, evaluated together: row i of a batch with member i.

    Parameters
    ----------
    members
        Backends with equal :func:`stack_key`; the stack's parameter order is the first one's.

    Attributes
    ----------
    config
        The first member's configuration (the stack's parameter order).
    parameter_index
        For each member, the stack index of each of its parameters: member i's parameter j is
        the stack's parameter ``parameter_index[i][j]``.
    """

    def __init__(self, members: Sequence):
        self.members = list(members)
        if not self.members:
            raise ValueError("a stack needs at least one member model")
        key = stack_key(self.members[0])
        for i, member in enumerate(self.members[1:], start=1):
            if stack_key(member) != key:
                raise ValueError(f"member {i} of the stack differs from member 0 in its parameters "
                                 f"(names, initial values, bounds or fixed flags), POI or data size")
        self.config = self.members[0].config
        position = {name: k for k, name in enumerate(self.config.parameter_names)}
        self.parameter_index = [np.array([position[name] for name in member.config.parameter_names])
                                for member in self.members]

    def __len__(self) -> int:
        return len(self.members)

    def to_stack_order(self, i: int, values: np.ndarray) -> np.ndarray:
        """Member ``i``'s parameter vector (or (P, ...) array) in the stack's order."""
        out = np.empty_like(np.asarray(values, dtype=float))
        out[self.parameter_index[i]] = values
        return out

    def to_member_order(self, i: int, values: np.ndarray) -> np.ndarray:
        """A parameter vector of the stack, in member ``i``'s order."""
        return np.asarray(values, dtype=float)[self.parameter_index[i]]

    def member_in_stack_order(self, i: int) -> StackMember:
        """Member ``i`` as a backend with the stack's parameter order."""
        return StackMember(self, i)

    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray, members: Sequence[int]
                             ) -> tuple[np.ndarray, np.ndarray]:
        """log L and its gradient (stack order) of member ``members[k]`` at ``pars[k]``, ``data[k]``."""
        values = np.empty(len(members))
        grads = np.empty((len(members), self.config.n_parameters))
        for k, i in enumerate(members):
            values[k], grad = self.members[i].value_and_grad(self.to_member_order(i, pars[k]), data[k])
            grads[k] = self.to_stack_order(i, grad)
        return values, grads

    def hessian_batch(self, pars: np.ndarray, data: np.ndarray, members: Sequence[int]) -> np.ndarray:
        """Hessians of log L (stack order) of member ``members[k]`` at ``pars[k]``, ``data[k]``."""
        out = np.empty((len(members), self.config.n_parameters, self.config.n_parameters))
        for k, i in enumerate(members):
            index = self.parameter_index[i]
            hessian = self.members[i].hessian(self.to_member_order(i, pars[k]), data[k])
            out[k][np.ix_(index, index)] = hessian
        return out


class StackMember:
    """One member of a :class:`BackendStack` as a backend in the stack's parameter order (for
    fits of one row on their own: :func:`likelihub.fits.engine.fit`)."""

    def __init__(self, stack: BackendStack, index: int):
        self.stack = stack
        self.index = index
        self.config = stack.config
        self.data = stack.members[index].data

    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        values, grads = self.stack.value_and_grad_batch(np.asarray(pars, float)[None],
                                                        np.asarray(data, float)[None], [self.index])
        return float(values[0]), grads[0]

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        return self.value_and_grad(pars, data)[0]

    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        return self.stack.hessian_batch(np.asarray(pars, float)[None], np.asarray(data, float)[None],
                                        [self.index])[0]
