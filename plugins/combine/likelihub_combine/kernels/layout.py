"""From a built datacard (:class:`~likelihub_combine.model.Yields`,
:class:`~likelihub_combine.mcstats.MCStats` and the constraint terms) to the kernels' buffers
(:mod:`.buffers`).

The kernels walk the model column by column (a process in a channel). Each column's yield in bin
b is ``norm * f(pars) * sigma_b(pars)``:

- ``f`` its factor: ``exp(sum of log-normal exponents) * prod of product terms`` (scale
  parameters: r, rateParams, gmN; formula rateParams), over the column's *factor parameters*,
  each term naming its parameter by a slot in that list;
- ``sigma_b`` its morphed unit shape (over the column's *shape parameters*), times the Poisson
  autoMCStats count's ratio or plus the Gaussian autoMCStats shift of the entry (column, bin).

The slots keep every column's derivatives dense and small (a column has a few factor and shape
parameters out of all P), whatever the card's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

from ..mcstats import MCStats
from ..model import Yields
from . import buffers
from .formulas import OP_CONSTANT, formula_program

__all__ = ["Constraints", "KernelModel", "kernel_model"]


@dataclass(frozen=True)
class Constraints:
    """The constraint terms: Gaussian (parameter, index of its global observable in the data,
    sigma below and above the observable) and Poisson (parameter, index of its count)."""

    normal_parameter: np.ndarray
    normal_datum: np.ndarray
    sigma_low: np.ndarray
    sigma_high: np.ndarray
    poisson_parameter: np.ndarray
    poisson_datum: np.ndarray


@dataclass(frozen=True)
class KernelModel:
    """A model as the kernels take it: the two buffers and the sizes of its parameters and data."""

    ints: np.ndarray
    floats: np.ndarray
    n_bins: int
    n_parameters: int
    n_data: int


class _Slots:
    """A column's parameters in order of first use: parameter -> slot."""

    def __init__(self):
        self.parameters: list[int] = []
        self.slot: dict[int, int] = {}

    def __call__(self, parameter: int) -> int:
        if parameter not in self.slot:
            self.slot[parameter] = len(self.parameters)
            self.parameters.append(int(parameter))
        return self.slot[parameter]


def _grouped(columns: np.ndarray, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """The order that groups entries by column (stable) and the (K + 1,) starts of the groups."""
    columns = np.asarray(columns, np.int64)
    order = np.argsort(columns, kind="stable")
    return order, np.searchsorted(columns[order], np.arange(n_columns + 1)).astype(np.int64)


def _column_bins(mask: np.ndarray) -> np.ndarray:
    bins = np.zeros((mask.shape[0], 2), np.int64)
    for k, row in enumerate(mask):
        where = np.flatnonzero(row)
        if where.size == 0 or where[-1] - where[0] + 1 != where.size:
            raise InvalidModelError(f"column {k}: its channel's bins are not one contiguous block")
        bins[k] = where[0], where[-1] + 1
    return bins


def kernel_model(yields: Yields, mc_stats: MCStats | None, constraints: Constraints, *, n_data: int,
                 parameter_index: np.ndarray | None = None) -> KernelModel:
    """The buffers of a built model; ``parameter_index[i]`` is the kernels' index of the model's
    parameter i (a stack's order; the model's own by default)."""
    K, B = yields.shape.shape
    P = yields.log_kappa_sym.shape[1]
    index = np.arange(P) if parameter_index is None else np.asarray(parameter_index, np.int64)
    ints = {name: np.zeros(0, np.int64) for name in buffers.INT_SECTIONS}
    floats = {name: np.zeros(0) for name in buffers.FLOAT_SECTIONS}

    asym_order, asym_start = _grouped(yields.asym_column, K)
    scale_order, scale_start = _grouped(yields.scale_column, K)
    formulas_of = [[] for _ in range(K)]
    for column, formula, arguments in yields.formulas:
        formulas_of[column].append((formula, np.asarray(arguments, np.int64)))
    programs: dict[int, int] = {}
    ops, operands, constants, program_start = [], [], [], [0]
    factor_start, factor_parameter = [0], []
    lognormal = {"start": [0], "kind": [], "slot": [], "low": [], "high": []}
    product = {"start": [0], "formula": [], "arguments": [0], "slot": []}
    max_arguments = 1
    for k in range(K):
        slots = _Slots()
        for p in np.flatnonzero(yields.log_kappa_sym[k]):
            lognormal["kind"].append(0)
            lognormal["slot"].append(slots(p))
            lognormal["low"].append(yields.log_kappa_sym[k, p])
            lognormal["high"].append(0.0)
        for j in asym_order[asym_start[k]:asym_start[k + 1]]:
            lognormal["kind"].append(1)
            lognormal["slot"].append(slots(yields.asym_parameter[j]))
            lognormal["low"].append(yields.asym_log_low[j])
            lognormal["high"].append(yields.asym_log_high[j])
        lognormal["start"].append(len(lognormal["kind"]))
        for j in scale_order[scale_start[k]:scale_start[k + 1]]:
            product["formula"].append(-1)
            product["slot"].append(slots(yields.scale_parameter[j]))
            product["arguments"].append(len(product["slot"]))
        for formula, arguments in formulas_of[k]:
            if id(formula) not in programs:
                program_ops, program_operands, program_constants = formula_program(formula.expression)
                programs[id(formula)] = len(program_start) - 1
                ops += program_ops
                operands += [o + len(constants) if op == OP_CONSTANT else o
                             for op, o in zip(program_ops, program_operands, strict=True)]
                constants += program_constants
                program_start.append(len(ops))
            product["formula"].append(programs[id(formula)])
            product["slot"] += [slots(p) for p in arguments]
            product["arguments"].append(len(product["slot"]))
            max_arguments = max(max_arguments, len(arguments))
        product["start"].append(len(product["formula"]))
        factor_parameter += [index[p] for p in slots.parameters]
        factor_start.append(len(factor_parameter))

    flags = np.where(yields.renormalise, buffers.RENORMALISE, 0).astype(np.int64)
    shape_start, shape_parameter = [0], []
    shape_slots = [_Slots() for _ in range(K)]
    for prefix, flag in (("morph", buffers.MORPHED), ("log_morph", buffers.MORPHED | buffers.LOG_MORPHED)):
        columns = getattr(yields, f"{prefix}_column")
        order, start = _grouped(columns, K)
        parameters = getattr(yields, f"{prefix}_parameter")
        ints[f"{prefix}_start"] = start
        ints[f"{prefix}_slot"] = [shape_slots[columns[j]](parameters[j]) for j in order]
        floats[f"{prefix}_scale"] = np.asarray(getattr(yields, f"{prefix}_scale"), float)[order]
        for name in ("diff", "sum"):
            rows = getattr(yields, f"{prefix}_{name}")
            floats[f"{prefix}_{name}"] = np.zeros((0, B)) if rows is None else np.asarray(rows, float)[order]
        flags[np.unique(columns).astype(np.int64)] |= flag
    for slots in shape_slots:
        shape_parameter += [index[p] for p in slots.parameters]
        shape_start.append(len(shape_parameter))

    column_bins = _column_bins(yields.channel_mask)
    integral = np.ones(K) if mc_stats is None else np.asarray(mc_stats.integrals, float)
    entry_kind, entry_parameter = np.zeros(K * B, np.int64), np.zeros(K * B, np.int64)
    entry_coefficient, bin_lite, bin_clip = np.zeros(K * B), np.full(B, -1, np.int64), np.zeros(B, np.int64)
    error2 = np.zeros(0)
    if mc_stats is not None:
        normal = (mc_stats.normal_bin, mc_stats.normal_column, mc_stats.normal_parameter)
        for b, k, p in zip(*normal, strict=True):
            entry_kind[k * B + b], entry_parameter[k * B + b] = 1, index[p]
            entry_coefficient[k * B + b] = mc_stats.errors[k, b] / integral[k]
        for b, k, p, count in zip(mc_stats.poisson_bin, mc_stats.poisson_column, mc_stats.poisson_parameter,
                                  mc_stats.poisson_count, strict=True):
            entry_kind[k * B + b], entry_parameter[k * B + b] = 2, index[p]
            entry_coefficient[k * B + b] = 1.0 / count
        bin_lite[mc_stats.lite_bin] = index[mc_stats.lite_parameter]
        bin_clip[mc_stats.bins] = 1
        if mc_stats.lite_bin.size:
            error2 = np.asarray(mc_stats.errors, float) ** 2

    sizes = dict(columns=K, bins=B, parameters=P,
                 max_bins=int(np.max(column_bins[:, 1] - column_bins[:, 0], initial=0)),
                 max_factors=int(np.max(np.diff(factor_start), initial=0)),
                 max_shapes=int(np.max(np.diff(shape_start), initial=0)),
                 max_products=int(np.max(np.diff(product["start"]), initial=0)),
                 max_arguments=max_arguments,
                 max_program=max(1, int(np.max(np.diff(program_start), initial=0))),
                 has_entries=int(np.any(entry_kind != 0)), has_lite=int(np.any(bin_lite >= 0)))
    ints.update(
        sizes=[sizes[name] for name in buffers.SIZES], column_bins=column_bins, column_flags=flags,
        factor_start=factor_start, factor_parameter=factor_parameter,
        lognormal_start=lognormal["start"], lognormal_kind=lognormal["kind"],
        lognormal_slot=lognormal["slot"],
        product_start=product["start"], product_formula=product["formula"],
        product_arguments=product["arguments"], product_slot=product["slot"],
        formula_start=program_start, formula_ops=ops, formula_operands=operands,
        shape_start=shape_start, shape_parameter=shape_parameter,
        entry_kind=entry_kind, entry_parameter=entry_parameter, bin_lite=bin_lite, bin_clip=bin_clip,
        normal_parameter=index[constraints.normal_parameter], normal_datum=constraints.normal_datum,
        poisson_parameter=index[constraints.poisson_parameter], poisson_datum=constraints.poisson_datum,
    )
    floats.update(
        column_norm=yields.norm, column_integral=integral, column_floor=yields.floor,
        column_region=yields.smooth_region, lognormal_low=lognormal["low"], lognormal_high=lognormal["high"],
        formula_constants=constants, shape=yields.shape, entry_coefficient=entry_coefficient, error2=error2,
        sigma_low=constraints.sigma_low, sigma_high=constraints.sigma_high,
    )
    packed_ints, packed_floats = buffers.pack(ints, floats)
    return KernelModel(packed_ints, packed_floats, B, P, n_data)
