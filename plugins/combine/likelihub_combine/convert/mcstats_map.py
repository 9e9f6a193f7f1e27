"""autoMCStats as pyhf staterror and shapesys modifiers, where the two are one likelihood.

Combine's terms (``CMSHistErrorPropagator``, :mod:`likelihub_combine.mcstats`), per bin j:

- Barlow-Beeston-lite: ``nu_j += x E_j(theta)`` with ``E_j = sqrt(sum_k (f_k(theta) e_kj)^2)``,
  f_k the normalisation factor of process k (lnN, rateParam, r; not the shape morph), x ~ N(0, 1);
- per process, Gaussian: ``nu_j += x f_k(theta) e_kj``;
- per process, Poisson: the yield of process k times ``x / n``, with Poisson(n | x).

pyhf's staterror multiplies the yields of the samples that carry it by ``gamma_j``, Gaussian around
1 of width ``delta_j = sqrt(sum_k e_kj^2) / sum_k t_kj`` (t the nominal yields). With
``gamma_j = 1 + delta_j x`` the two are one function of the parameters exactly when every sample
that contributes to bin j (a yield or an error) has the same normalisation factor f(theta) and a
yield in bin j that no shape morph moves: then ``(gamma_j - 1) f sum_k t_kj = x f E_j``. Its
constraint differs by the Jacobian: log N(1 | gamma, delta) = log N(0 | x, 1) - log delta. A
per-process Gaussian is the same with one sample. A per-process Poisson is pyhf's shapesys with
``tau = n`` (uncertainty ``t / sqrt(n)``) and ``gamma = x / n``, equal without condition.

Combine's range x in [-7, 7] becomes gamma in [1 - 7 delta, 1 + 7 delta]; where ``7 delta >= 1``
that range reaches zero yields, which Combine floors at 1e-9 and pyhf does not: not exact.
pyhf fixes (at 1) the staterror and shapesys components of bins without uncertainty; their
constraint terms are constants, added to the conversion's constant.
"""

from __future__ import annotations

import fnmatch
import math

import numpy as np

from .exactness import FIXED_GAUSSIAN_NLL, FIXED_POISSON_NLL, Approximations, ParameterLink

__all__ = ["MCStatsModifiers", "mcstats_modifiers", "factor_signature"]

#: Combine's range of a Barlow-Beeston-lite or per-process Gaussian parameter.
GAUSSIAN_RANGE = 7.0
#: pyhf's default bounds of staterror and shapesys components (those it fixes keep them).
PYHF_GAMMA_BOUNDS = [1e-10, 10.0]


def factor_signature(yields, k: int) -> tuple:
    """What the normalisation factor of column k depends on, and how: equal signatures mean
    equal factors f_k(theta) for every theta."""
    row = yields.log_kappa_sym[k]
    symmetric = tuple((int(i), float(row[i])) for i in np.flatnonzero(row))
    asymmetric = tuple(
        sorted(
            (int(p), float(lo), float(hi))
            for c, p, lo, hi in zip(
                yields.asym_column,
                yields.asym_parameter,
                yields.asym_log_low,
                yields.asym_log_high,
                strict=True,
            )
            if c == k
        )
    )
    scales = tuple(
        sorted(int(p) for c, p in zip(yields.scale_column, yields.scale_parameter, strict=True) if c == k)
    )
    formulas = tuple(id(f) for c, f, _ in yields.formulas if c == k)
    return symmetric, asymmetric, scales, formulas


class MCStatsModifiers:
    """The pyhf modifiers of the autoMCStats terms: ``by_column[k]`` lists column k's modifiers,
    ``settings`` the measurement's parameter settings, ``links`` Combine -> pyhf parameters."""

    def __init__(self):
        self.by_column: dict[int, list[dict]] = {}
        self.settings: list[dict] = []
        self.links: list[ParameterLink] = []
        self.constant = 0.0


def mcstats_modifiers(
    built, card, nominal: np.ndarray, moved: np.ndarray, channel_bins: dict, notes: Approximations
) -> MCStatsModifiers:
    """Translate ``built.mc_stats``.

    Parameters
    ----------
    built
        The compiled card (:class:`~likelihub_combine.build.Built`).
    card
        The parsed card (its autoMCStats lines, for error locations).
    nominal
        (K, B) the pyhf nominal yields of the columns.
    moved
        (K, B) where a shape morph moves a column's yield.
    channel_bins
        Channel -> its global bins.
    notes
        Where approximations are recorded (or refused).
    """
    out = MCStatsModifiers()
    if built.mc_stats is None:
        return out
    signatures = [factor_signature(built.yields, k) for k in range(len(built.columns))]
    lines = {}
    for option in card.auto_mc_stats:
        for channel in channel_bins:
            if fnmatch.fnmatch(channel, option.channel):
                lines[channel] = card.where(option.line)
    lite = dict(zip(built.mc_stats.lite_bin.tolist(), built.mc_stats.lite_parameter.tolist(), strict=True))
    for channel, bins in channel_bins.items():
        mine = [k for k, c in enumerate(built.columns) if c.channel == channel]
        location = {"file": lines.get(channel), "channel": channel}
        if any(b in lite for b in bins):
            _lite(out, built, channel, bins, lite, mine, nominal, moved, signatures, notes, location)
        for k in mine:
            _per_process(out, built, channel, bins, k, nominal, moved, notes, location)
    return out


def _lite(out, built, channel, bins, lite, mine, nominal, moved, signatures, notes, location):
    stats = built.mc_stats
    lite_here = [b for b in bins if b in lite]
    carriers = [k for k in mine if np.any(stats.errors[k, lite_here] > 0)]
    name = f"prop_bin{channel}"
    data = {k: np.zeros(len(bins)) for k in carriers}
    bounds, linked = [], 0
    for local, b in enumerate(bins):
        if b not in lite:
            bounds.append(list(PYHF_GAMMA_BOUNDS))
            continue
        total = float(sum(nominal[k, b] for k in carriers))
        contributors = [k for k in carriers if nominal[k, b] > 0 or stats.errors[k, b] > 0]
        where = {**location, "bin": local}
        if len({signatures[k] for k in contributors}) > 1:
            processes = ", ".join(built.columns[k].process for k in contributors)
            notes.note(
                f"autoMCStats parameter prop_bin{channel}_bin{local}",
                f"its processes ({processes}) scale with different normalisation factors, so "
                "Combine's error sqrt(sum (f_k e_k)^2) is not a fixed fraction of their yield",
                "a staterror gamma multiplying their yields",
                **where,
            )
        if any(moved[k, b] for k in contributors):
            notes.note(
                f"autoMCStats parameter prop_bin{channel}_bin{local}",
                "a shape morph moves the yield of a process in the bin, not its error",
                "a staterror gamma multiplying the morphed yields",
                **where,
            )
        if total <= 0:
            notes.note(
                f"autoMCStats parameter prop_bin{channel}_bin{local}",
                "the processes with errors have no yield in the bin",
                "a fixed staterror",
                **where,
            )
        for k in carriers:
            data[k][local] = stats.errors[k, b]
        delta = math.sqrt(sum((stats.errors[k, b] / total) ** 2 for k in carriers)) if total > 0 else 0.0
        bounds.append(
            _gamma_bounds(delta, notes, f"autoMCStats parameter prop_bin{channel}_bin{local}", where)
        )
        if delta > 0:
            out.links.append(ParameterLink(built.table.items[lite[b]].name, f"{name}[{local}]", delta, 1.0))
            out.constant += math.log(delta)
            linked += 1
    out.constant += (len(bins) - linked) * FIXED_GAUSSIAN_NLL
    for k in carriers:
        out.by_column.setdefault(k, []).append({"name": name, "type": "staterror", "data": data[k].tolist()})
    out.settings.append({"name": name, "bounds": bounds, "inits": [1.0] * len(bins)})


def _gamma_bounds(delta: float, notes, what: str, where: dict) -> list[float]:
    low, high = 1.0 - GAUSSIAN_RANGE * delta, 1.0 + GAUSSIAN_RANGE * delta
    if low <= 0:
        notes.note(
            what,
            f"its range x in [-7, 7] is gamma = 1 + {delta:.4g} x in [{low:.4g}, {high:.4g}], "
            "which reaches zero yields (Combine floors them at 1e-9, pyhf does not)",
            f"a staterror with bounds [1e-10, {high:.6g}]",
            **where,
        )
        low = PYHF_GAMMA_BOUNDS[0]
    return [low, high] if delta > 0 else list(PYHF_GAMMA_BOUNDS)


def _per_process(out, built, channel, bins, k, nominal, moved, notes, location):
    stats, table = built.mc_stats, built.table.items
    process = built.columns[k].process
    position = {b: local for local, b in enumerate(bins)}
    gaussian = [
        (b, p)
        for b, c, p in zip(stats.normal_bin, stats.normal_column, stats.normal_parameter, strict=True)
        if c == k
    ]
    poisson = [
        (b, p, n)
        for b, c, p, n in zip(
            stats.poisson_bin, stats.poisson_column, stats.poisson_parameter, stats.poisson_count, strict=True
        )
        if c == k
    ]
    if gaussian:
        name = f"prop_bin{channel}_{process}"
        data, bounds, linked = np.zeros(len(bins)), [list(PYHF_GAMMA_BOUNDS)] * len(bins), 0
        for b, p in gaussian:
            local = position[b]
            what = f"autoMCStats parameter {table[p].name}"
            where = {**location, "sample": process, "bin": local}
            if nominal[k, b] <= 0:
                notes.note(
                    what, "the process has an error but no yield in the bin", "a fixed staterror", **where
                )
                continue
            if moved[k, b]:
                notes.note(
                    what,
                    "a shape morph moves the process' yield in the bin, not its error",
                    "a staterror gamma multiplying the morphed yield",
                    **where,
                )
            delta = stats.errors[k, b] / nominal[k, b]
            data[local] = stats.errors[k, b]
            bounds[local] = _gamma_bounds(delta, notes, what, where)
            out.links.append(ParameterLink(table[p].name, f"{name}[{local}]", delta, 1.0))
            out.constant += math.log(delta)
            linked += 1
        out.constant += (len(bins) - linked) * FIXED_GAUSSIAN_NLL
        out.by_column.setdefault(k, []).append({"name": name, "type": "staterror", "data": data.tolist()})
        out.settings.append({"name": name, "bounds": bounds, "inits": [1.0] * len(bins)})
    if poisson:
        name = f"prop_bin{channel}_{process}_poisson"
        data, bounds = np.zeros(len(bins)), [list(PYHF_GAMMA_BOUNDS)] * len(bins)
        for b, p, n in poisson:
            local = position[b]
            data[local] = nominal[k, b] / math.sqrt(n)
            bounds[local] = [table[p].low / n, table[p].high / n]
            out.links.append(ParameterLink(table[p].name, f"{name}[{local}]", 1.0 / n, 0.0))
        out.constant += (len(bins) - len(poisson)) * FIXED_POISSON_NLL
        out.by_column.setdefault(k, []).append({"name": name, "type": "shapesys", "data": data.tolist()})
        out.settings.append({"name": name, "bounds": bounds, "inits": [1.0] * len(bins)})
