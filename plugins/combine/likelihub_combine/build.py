"""From a parsed datacard (and its templates) to the arrays of the likelihood: text2workspace.py's
job, with the default physics model (one POI ``r`` scaling every signal process) or another
(:class:`~likelihub_combine.physics_model.PhysicsModel`: which POI scales each column, if any).

:func:`build_model` returns a :class:`Built`: the parameters, the compiled
:class:`~likelihub_combine.model.Yields`, the autoMCStats terms and the observed data.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

from .card import Datacard
from .formula import compile_formula
from .mcstats import MCStats, setup_mc_stats
from .model import TEMPLATE_FLOOR, Yields
from .parameters import ParameterTable
from .physics_model import DEFAULT_MODEL, PhysicsModel

__all__ = ["Built", "build_model"]

SHAPE_KINDS = ("shape", "shape?", "shapeN", "shapeN2")


@dataclass
class Built:
    """Everything the backend needs."""

    table: ParameterTable
    yields: Yields
    mc_stats: MCStats | None
    observed: np.ndarray
    columns: list
    frozen: set
    pois: tuple[str, ...] = ("r",)


def _round6(value: float) -> float:
    return float(f"{value:f}")  # Combine writes the shape kappas with "%f"


class _Builder:
    def __init__(self, card: Datacard, templates: dict, physics: PhysicsModel):
        self.card = card
        self.templates = templates
        self.physics = physics
        self.table = ParameterTable()
        for poi in physics.pois:
            self.table.add(poi.parameter())
        self.where = card.where

    def layout(self):
        """Global bins of each channel, observed data, and the columns kept (rate != 0)."""
        self.channel_bins, observed, offset = {}, [], 0
        for channel in self.card.channels:
            held = self.templates.get(channel)
            if held is not None:
                data = np.asarray(held.data, float)
                count = data.size
            else:
                value = self.card.observations[channel]
                if value is None:
                    raise InvalidModelError(
                        "observation -1 needs a data_obs histogram (a shapes line for data_obs)",
                        file=self.where(self.card.observation_line),
                        channel=channel,
                    )
                data, count = np.array([value]), 1
            self.channel_bins[channel] = np.arange(offset, offset + count)
            observed.append(data)
            offset += count
        self.n_bins = offset
        self.observed = np.concatenate(observed)
        gmn = {}
        for systematic in self.card.systematics:
            if systematic.kind == "gmN":
                for i, alpha in enumerate(systematic.values):
                    if alpha is not None:
                        gmn[i] = alpha
        # A column scaled by 0 in the physics model is left out, as text2workspace.py leaves it out.
        self.targets = [self.physics.target(c) for c in self.card.columns]
        self.kept = [
            i for i, c in enumerate(self.card.columns) if (c.rate != 0 or gmn.get(i)) and self.targets[i] != 0
        ]
        self.columns = [self.card.columns[i] for i in self.kept]
        for channel in self.card.channels:
            if not any(c.channel == channel for c in self.columns):
                raise InvalidModelError(
                    "the physics model scales every process of the channel by 0",
                    file=self.where(self.card.rate_line),
                    channel=channel,
                )

    def nominal(self):
        K, B = len(self.columns), self.n_bins
        self.shape = np.zeros((K, B))
        self.mask = np.zeros((K, B), bool)
        self.norm = np.zeros(K)
        self.errors = np.zeros((K, B))
        self.integrals = np.ones(K)
        self.stats_channels = {}
        for option in self.card.auto_mc_stats:
            for channel in self.card.channels:
                if fnmatch.fnmatch(channel, option.channel):
                    if channel not in self.templates:
                        raise InvalidModelError(
                            "autoMCStats on a counting channel (it has no templates)",
                            file=self.where(option.line),
                            channel=channel,
                        )
                    self.stats_channels[channel] = option
        for k, column in enumerate(self.columns):
            bins = self.channel_bins[column.channel]
            self.mask[k, bins] = True
            held = self.templates.get(column.channel)
            if held is None:
                self.shape[k, bins] = 1.0
                self.norm[k] = column.rate
                continue
            template = held.nominal.get(column.process)
            if template is None:
                raise InvalidModelError(
                    "no template for the process",
                    file=self.where(self.card.rate_line),
                    channel=column.channel,
                    sample=column.process,
                )
            integral = float(np.sum(template.values))
            if integral <= 0:
                raise InvalidModelError(
                    f"the template's integral is {integral:g} (not positive)",
                    file=self.where(self.card.rate_line),
                    channel=column.channel,
                    sample=column.process,
                )
            self.shape[k, bins] = template.values / integral
            self.errors[k, bins] = template.errors
            self.integrals[k] = integral
            rate = integral if column.rate == -1 else column.rate
            if column.channel in self.stats_channels:
                if abs(integral - rate) > 0.01 * max(1.0, rate):  # Combine's check (ShapeTools.py)
                    raise InvalidModelError(
                        f"the rate {rate:g} differs from the template's integral "
                        f"{integral:g} by more than 1%",
                        file=self.where(self.card.rate_line),
                        channel=column.channel,
                        sample=column.process,
                    )
                rate = integral  # the yield is the template's own, as CMSHistFunc has it
            self.norm[k] = rate
        self.floor = np.where(
            [c.channel in self.stats_channels for c in self.columns],
            TEMPLATE_FLOOR / self.integrals,
            TEMPLATE_FLOOR,
        )

    def systematics(self):
        self.sym = []  # (column, parameter, log kappa)
        self.asym = []  # (column, parameter, log low, log high)
        self.scale = []  # (column, parameter)
        morphs = {"add": [], "log": []}  # (column, parameter, scale, diff, sum)
        position = {i: k for k, i in enumerate(self.kept)}
        for systematic in self.card.systematics:
            where = self.where(systematic.line)
            index = None
            for i, value in enumerate(systematic.values):
                if value is None or i not in position:
                    continue
                k = position[i]
                column = self.columns[k]
                location = {
                    "file": where,
                    "channel": column.channel,
                    "sample": column.process,
                    "modifier": systematic.name,
                }
                kind = systematic.kind
                held = self.templates.get(column.channel)
                variation = None if held is None else held.variations.get((column.process, systematic.name))
                if kind in SHAPE_KINDS and variation is None:
                    if kind != "shape?":
                        raise InvalidModelError(
                            f"a {kind} systematic needs up/down templates; the channel has "
                            "none for the process",
                            **location,
                        )
                    kind = "lnN"  # shape? without templates: a log-normal of the column's value
                if index is None:
                    index = self.table.nuisance(
                        systematic.name,
                        systematic.kind,
                        where=where,
                        count=systematic.count,
                        uncertainty=_gmm_uncertainty(systematic, where) if kind == "gmM" else None,
                    )
                if kind in ("lnN", "lnU"):
                    self.lognormal(k, index, value)
                elif kind == "gmN":
                    self.norm[k] = value
                    self.scale.append((k, index))
                elif kind == "gmM":  # rate * n with n = theta * m (parameters.py): rate * theta * m
                    self.norm[k] *= value * value
                    self.scale.append((k, index))
                else:
                    self.morph(k, index, value, variation, kind, morphs, location)
        self.morphs = morphs

    def lognormal(self, k: int, index: int, value) -> None:
        if isinstance(value, tuple):
            low, high = value
            if abs(low * high - 1.0) < 1e-5:
                self.sym.append((k, index, math.log(high)))
            else:
                self.asym.append((k, index, math.log(low), math.log(high)))
        else:
            self.sym.append((k, index, math.log(value)))

    def morph(self, k, index, scale, variation, kind, morphs, location) -> None:
        up, down = variation
        bins = self.channel_bins[self.columns[k].channel]
        nominal = self.shape[k, bins]
        up_integral, down_integral = float(np.sum(up.values)), float(np.sum(down.values))
        if up_integral <= 0 or down_integral <= 0:
            raise InvalidModelError(
                f"the up/down templates' integrals ({up_integral:g}, {down_integral:g}) must be positive",
                **location,
            )
        up_shape, down_shape = up.values / up_integral, down.values / down_integral
        diff, total = np.zeros(self.n_bins), np.zeros(self.n_bins)
        if kind == "shape":
            diff[bins] = up_shape - down_shape
            total[bins] = up_shape + down_shape - 2.0 * nominal
            morphs["add"].append((k, index, scale, diff, total))
        else:
            with np.errstate(all="ignore"):
                valid = nominal > 0
                log_up = np.where(valid & (up_shape > 0), np.log(up_shape / nominal), 0.0)
                log_down = np.where(valid & (down_shape > 0), np.log(down_shape / nominal), 0.0)
            diff[bins], total[bins] = log_up - log_down, log_up + log_down
            morphs["log"].append((k, index, scale, diff, total))
        nominal_integral = self.integrals[k]
        kappa_up, kappa_down = up_integral / nominal_integral, down_integral / nominal_integral
        if abs(kappa_up - 1) >= 1e-3 or abs(kappa_down - 1) >= 1e-3:
            low, high = _round6(kappa_down**scale), _round6(kappa_up**scale)
            self.asym.append((k, index, math.log(low), math.log(high)))

    def rate_params(self):
        matches = []
        for item in self.card.rate_params:
            where = self.where(item.line)
            found = [
                k
                for k, c in enumerate(self.columns)
                if fnmatch.fnmatchcase(c.channel, item.channel)
                and fnmatch.fnmatchcase(c.process, item.process)
            ]
            if not found and not any(
                fnmatch.fnmatchcase(c.channel, item.channel) and fnmatch.fnmatchcase(c.process, item.process)
                for c in self.card.columns
            ):
                raise InvalidModelError(
                    f"rateParam matches no process: channel {item.channel!r}, process {item.process!r}",
                    file=where,
                    modifier=item.name,
                )
            if item.formula is None:
                index = self.table.free(item.name, item.value, item.range, where=where, origin="rateParam")
            else:
                index = None
            matches.append((item, found, index))
        for ext in self.card.ext_args:
            self.table.free(ext.name, ext.value, ext.range, where=self.where(ext.line), origin="extArg")
        for param in self.card.params:
            if not param.flat:
                self.table.constrain(param.name, param.mean, param.sigma_low, param.sigma_high, param.range)
        self.formulas = []
        for item, found, index in matches:
            if index is not None:
                self.scale += [(k, index) for k in found]
                continue
            where = self.where(item.line)
            missing = [a for a in item.arguments if a not in self.table]
            if missing:
                raise InvalidModelError(
                    f"the formula's arguments {missing} are not parameters of the card",
                    file=where,
                    modifier=item.name,
                )
            function = compile_formula(item.formula, len(item.arguments), where=where, name=item.name)
            arguments = np.array([self.table.index(a) for a in item.arguments], int)
            self.formulas += [(k, function, arguments) for k in found]
        for k, i in enumerate(self.kept):
            target = self.targets[i]
            if target is not None:  # the POI that scales the column (None: not scaled)
                self.scale.append((k, self.table.index(target)))

    def compile(self) -> Yields:
        K, _B, P = len(self.columns), self.n_bins, len(self.table)
        sym = np.zeros((K, P))
        for k, index, value in self.sym:
            sym[k, index] += value
        smooth = np.ones(K)
        for kind in ("add", "log"):
            for k, _, scale, _, _ in self.morphs[kind]:
                smooth[k] = min(smooth[k], scale)
        yields = Yields(
            shape=self.shape,
            norm=self.norm,
            log_kappa_sym=sym,
            channel_mask=self.mask,
            smooth_region=smooth,
            renormalise=np.array([c.channel not in self.stats_channels for c in self.columns], bool),
            floor=np.asarray(self.floor, float),
            formulas=self.formulas,
        )
        if self.asym:
            columns, indices, lows, highs = zip(*self.asym, strict=False)
            yields.asym_column, yields.asym_parameter = np.array(columns), np.array(indices)
            yields.asym_log_low, yields.asym_log_high = np.array(lows), np.array(highs)
        if self.scale:
            columns, indices = zip(*self.scale, strict=False)
            yields.scale_column, yields.scale_parameter = np.array(columns), np.array(indices)
        for kind, prefix in (("add", "morph"), ("log", "log_morph")):
            if self.morphs[kind]:
                columns, indices, scales, diffs, sums = zip(*self.morphs[kind], strict=False)
                setattr(yields, f"{prefix}_column", np.array(columns))
                setattr(yields, f"{prefix}_parameter", np.array(indices))
                setattr(yields, f"{prefix}_scale", np.array(scales, float))
                setattr(yields, f"{prefix}_diff", np.array(diffs))
                setattr(yields, f"{prefix}_sum", np.array(sums))
        self.floor_constant_templates(yields)
        return yields

    def floor_constant_templates(self, yields: Yields) -> None:
        """Clip the unit templates that no ``shape`` line morphs at the floor (and renormalise them
        outside autoMCStats channels) once, here: Combine's template classes
        (``FastVerticalInterpHistPdf2``, ``CMSHistFunc``) mark their cache dirty when set up, so
        their first evaluation clips (``CropUnderflows``) even without morphs. Morphed templates
        are clipped after each morph by :meth:`Yields.shapes`."""
        morphed = set(yields.morph_column.tolist()) | set(yields.log_morph_column.tolist())
        rows = [k for k, c in enumerate(self.columns) if c.channel in self.templates and k not in morphed]
        if not rows:
            return
        mask = yields.channel_mask[rows]
        clipped = np.where(mask, np.maximum(yields.shape[rows], yields.floor[rows, None]), 0.0)
        again = yields.renormalise[rows]
        clipped[again] /= clipped[again].sum(axis=1, keepdims=True)
        yields.shape[rows] = clipped


def _gmm_uncertainty(systematic, where: str) -> float:
    """The one relative uncertainty of a gmM line (Combine refuses two different ones)."""
    values = {v for v in systematic.values if v is not None}
    if len(values) != 1:
        raise InvalidModelError(
            f"gmM: the line holds different uncertainties {sorted(values)} (Combine allows one per line)",
            file=where,
            modifier=systematic.name,
        )
    return values.pop()


def build_model(card: Datacard, templates: dict, *, physics: PhysicsModel = DEFAULT_MODEL) -> Built:
    """Compile ``card`` with its ``templates`` (:func:`likelihub_combine.shapes.read_templates`)
    under the physics model ``physics`` (default: ``r`` scales every signal process)."""
    builder = _Builder(card, templates, physics)
    builder.layout()
    builder.nominal()
    builder.systematics()
    builder.rate_params()
    yields = builder.compile()
    init = np.array([p.init for p in builder.table.items])
    mc_stats = None
    if builder.stats_channels:
        coefficient = builder.norm * yields.factors(init) / builder.integrals
        per_column = yields.per_column(init)
        mc_stats = setup_mc_stats(
            builder.stats_channels,
            builder.channel_bins,
            builder.columns,
            per_column,
            coefficient,
            builder.errors,
            builder.integrals,
            builder.table,
        )
        yields.log_kappa_sym = np.pad(yields.log_kappa_sym, ((0, 0), (0, len(builder.table) - init.size)))
    frozen = set()
    pois = tuple(poi.name for poi in physics.pois)
    return Built(builder.table, yields, mc_stats, builder.observed, builder.columns, frozen, pois)
