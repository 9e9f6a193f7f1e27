"""The writer behind :func:`.to_pyhf.convert_card`: a compiled card's pieces as pyhf modifiers.

It reads the arrays the ``combine.datacard`` backend compiled (:class:`~likelihub_combine.build.Built`),
so that the workspace holds the very numbers that backend computes with: unit templates after
Combine's floor and renormalisation, kappas as rounded by Combine, autoMCStats' decisions.
"""

from __future__ import annotations

import math

import numpy as np

from ..card import Datacard
from .exactness import Approximations, ParameterLink, refuse
from .mcstats_map import mcstats_modifiers
from .morphs import clipping_bins

__all__ = ["PyhfWriter", "MEASUREMENT_NAME", "UNBOUNDED_WIDTH", "SYMMETRIC_LOG_TOLERANCE"]

#: The measurement's name, which says so.
MEASUREMENT_NAME = "combine (interpolation codes: normsys code1, histosys code4p)"
#: Half-width of the bounds given to a rateParam without a range, times max(1, |value|).
UNBOUNDED_WIDTH = 1e6
#: |log kappa_up + log kappa_down| below which an asymmetric log-normal is symmetric (the factors
#: then differ by less than 1e-11 over theta in [-7, 7]).
SYMMETRIC_LOG_TOLERANCE = 1e-12


class PyhfWriter:
    """Converts one compiled card (see the module docstring)."""

    def __init__(self, card: Datacard, built, notes: Approximations):
        self.card, self.built, self.notes = card, built, notes
        self.table = built.table.items
        self.yields = built.yields
        self.lines = {s.name: card.where(s.line) for s in card.systematics}
        self.lines.update({p.name: card.where(p.line) for p in card.rate_params})
        self.lines.update({p.name: card.where(p.line) for p in card.params})
        mask = self.yields.channel_mask
        self.channel_bins = {}
        for k, column in enumerate(built.columns):
            self.channel_bins.setdefault(column.channel, np.flatnonzero(mask[k]))
        self.modifiers: dict[int, list[dict]] = {k: [] for k in range(len(built.columns))}
        self.settings: dict[str, dict] = {}
        self.links: list[ParameterLink] = []

    def location(self, k: int | None = None, name: str | None = None) -> dict:
        column = None if k is None else self.built.columns[k]
        return {
            "file": self.lines.get(name, self.card.where(self.card.rate_line)),
            "channel": None if column is None else column.channel,
            "sample": None if column is None else column.process,
            "modifier": name,
        }

    def convert(self) -> tuple[dict, list[ParameterLink], float]:
        """The workspace, the parameter links and the constant between the likelihoods."""
        zeros = np.zeros(len(self.table))
        shapes = self.yields.shapes(zeros)
        self.nominal = self.yields.norm[:, None] * shapes
        self.moved = np.zeros_like(self.nominal, bool)
        self.normalisations()
        self.morphs(shapes)
        self.scales()
        stats = mcstats_modifiers(
            self.built, self.card, self.nominal, self.moved, self.channel_bins, self.notes
        )
        for k, extra in stats.by_column.items():
            self.modifiers[k] += extra
        for entry in stats.settings:
            self.settings[entry["name"]] = entry
        self.links += stats.links
        self.parameter_settings()
        workspace = self.workspace()
        return workspace, self.links, stats.constant

    # -- normalisation factors -----------------------------------------------------------------
    def normalisations(self) -> None:
        logs = {}  # (column, parameter) -> [log hi, log lo]
        y = self.yields
        morphed = {(int(k), int(i)) for k, i in zip(y.morph_column, y.morph_parameter, strict=True)}
        morphed |= {(int(k), int(i)) for k, i in zip(y.log_morph_column, y.log_morph_parameter, strict=True)}
        for k, i in zip(*np.nonzero(self.yields.log_kappa_sym), strict=True):
            value = float(self.yields.log_kappa_sym[k, i])
            pair = logs.setdefault((int(k), int(i)), [0.0, 0.0])
            pair[0] += value
            pair[1] -= value
        for k, i, log_low, log_high in zip(
            self.yields.asym_column,
            self.yields.asym_parameter,
            self.yields.asym_log_low,
            self.yields.asym_log_high,
            strict=True,
        ):
            k, i = int(k), int(i)
            name = self.table[i].name
            if abs(log_low + log_high) > SYMMETRIC_LOG_TOLERANCE:
                what = (
                    f"the normalisation effect of shape {name}"
                    if (k, i) in morphed
                    else f"asymmetric lnN {name}"
                )
                self.notes.note(
                    what,
                    f"kappa_down {math.exp(log_low):.6g} and kappa_up {math.exp(log_high):.6g} are "
                    "interpolated by Combine's logKappaForX (smooth in |theta| < 0.5), which no pyhf "
                    "code is",
                    "normsys code 1 (equal for |theta| >= 0.5)",
                    **self.location(k, name),
                )
            pair = logs.setdefault((k, i), [0.0, 0.0])
            pair[0] += float(log_high)
            pair[1] += float(log_low)
        for (k, i), (log_hi, log_lo) in sorted(logs.items()):
            self.modifiers[k].append(
                {
                    "name": self.table[i].name,
                    "type": "normsys",
                    "data": {"hi": math.exp(log_hi), "lo": math.exp(log_lo)},
                }
            )

    # -- shape morphs --------------------------------------------------------------------------
    def morphs(self, shapes: np.ndarray) -> None:
        y = self.yields
        if y.log_morph_column.size:
            for k, i in zip(y.log_morph_column, y.log_morph_parameter, strict=True):
                name = self.table[int(i)].name
                self.notes.note(
                    f"shapeN {name}",
                    "Combine morphs the logarithms of the templates",
                    "histosys code 4p of the same templates",
                    **self.location(int(k), name),
                )
        entries = [
            (int(k), int(i), float(s))
            for k, i, s in zip(y.morph_column, y.morph_parameter, y.morph_scale, strict=True)
        ]
        entries += [
            (int(k), int(i), float(s))
            for k, i, s in zip(y.log_morph_column, y.log_morph_parameter, y.log_morph_scale, strict=True)
        ]
        by_column: dict[int, list] = {}
        for k, i, scale in entries:
            by_column.setdefault(k, []).append((i, scale))
        for k, items in by_column.items():
            bins = self.channel_bins[self.built.columns[k].channel]
            raw = self._raw_morphs(k, bins)
            for i, scale in items:
                name = self.table[i].name
                if scale != y.smooth_region[k]:
                    self.notes.note(
                        f"shape {name}",
                        f"its scale {scale:g} differs from the smallest scale "
                        f"{y.smooth_region[k]:g} of the process' shape lines (Combine's smoothing "
                        "region), so its smooth step ends at another theta than code 4p's",
                        "histosys code 4p of the templates at theta = +-1",
                        **self.location(k, name),
                    )
                point = np.zeros(len(self.table))
                templates = []
                for value in (1.0, -1.0):
                    point[i] = value
                    templates.append(self.yields.norm[k] * self.yields.shapes(point)[k, bins])
                hi, lo = templates
                self.moved[k, bins] |= (hi != self.nominal[k, bins]) | (lo != self.nominal[k, bins])
                self.modifiers[k].append(
                    {
                        "name": name,
                        "type": "histosys",
                        "data": {"hi_data": hi.tolist(), "lo_data": lo.tolist()},
                    }
                )
            sometimes, _ = clipping_bins(y.shape[k, bins], raw, float(y.floor[k]))
            if sometimes.any():
                local = int(np.flatnonzero(sometimes)[0])
                self.notes.note(
                    f"the shape morphs of process {self.built.columns[k].process}",
                    f"the morphed template may fall to Combine's floor ({y.floor[k]:.3g} of the unit "
                    f"template) within the parameters' ranges in {int(sometimes.sum())} bin(s) (first: "
                    f"bin {local}); Combine clips it there, pyhf does not",
                    "histosys code 4p (unclipped)",
                    **self.location(k),
                    bin=local,
                )

    def _raw_morphs(self, k: int, bins: np.ndarray) -> list:
        """(up, down, low, high) of each additive morph of column k, unit templates before the floor."""
        y, raw = self.yields, []
        for m in np.flatnonzero(y.morph_column == k):
            i, scale = int(y.morph_parameter[m]), float(y.morph_scale[m])
            diff, total = y.morph_diff[m, bins], y.morph_sum[m, bins]
            up, down = 0.5 * scale * (diff + total), 0.5 * scale * (diff - total)
            raw.append((up, down, self.table[i].low, self.table[i].high))
        return raw

    # -- free factors: r, rateParams, gmN ------------------------------------------------------
    def scales(self) -> None:
        gmn_columns: dict[int, list[int]] = {}
        for k, i in zip(self.yields.scale_column, self.yields.scale_parameter, strict=True):
            k, i = int(k), int(i)
            origin = self.table[i].origin
            if origin == "gmN":
                gmn_columns.setdefault(i, []).append(k)
            else:
                self.modifiers[k].append({"name": self.table[i].name, "type": "normfactor", "data": None})
        for i, columns in gmn_columns.items():
            parameter = self.table[i]
            count = parameter.center
            where = self.location(columns[0], parameter.name)
            if len(columns) > 1:
                refuse(
                    f"gmN {parameter.name}",
                    f"it scales {len(columns)} processes, and a pyhf shapesys belongs to one sample",
                    "pyhf",
                    **where,
                )
            k = columns[0]
            bins = self.channel_bins[self.built.columns[k].channel]
            if bins.size != 1 or count < 1:
                refuse(
                    f"gmN {parameter.name}",
                    "pyhf's shapesys (tau = N) is per bin and needs N >= 1; "
                    f"the process has {bins.size} bins and N = {count:g}",
                    "pyhf",
                    **where,
                )
            nominal = self.nominal[k, bins] * count  # alpha * N
            self.nominal[k, bins] = nominal
            self.modifiers[k].append(
                {"name": parameter.name, "type": "shapesys", "data": (nominal / math.sqrt(count)).tolist()}
            )
            self.settings[parameter.name] = {
                "name": parameter.name,
                "inits": [parameter.init / count],
                "bounds": [[parameter.low / count, parameter.high / count]],
            }
            self.links.append(ParameterLink(parameter.name, f"{parameter.name}[0]", 1.0 / count, 0.0))

    # -- the measurement -----------------------------------------------------------------------
    def parameter_settings(self) -> None:
        used = {m["name"] for mods in self.modifiers.values() for m in mods}
        linked = {link.source for link in self.links}
        for parameter in self.table:
            name = parameter.name
            where = self.location(None, name)
            if parameter.origin == "autoMCStats" or name in linked:
                continue
            if name not in used:
                self.notes.note(
                    f"parameter {name}",
                    "it acts on no process (pyhf has no parameter without a modifier)",
                    "dropped",
                    **where,
                )
                continue
            setting = {"name": name, "inits": [parameter.init]}
            low, high = parameter.low, parameter.high
            if not (math.isfinite(low) and math.isfinite(high)):
                width = UNBOUNDED_WIDTH * max(1.0, abs(parameter.init))
                self.notes.note(
                    f"rateParam {name}",
                    "it has no range, and pyhf's bounds are finite numbers",
                    f"bounds [-{width:g}, {width:g}]",
                    **where,
                )
                low, high = max(low, -width), min(high, width)
            setting["bounds"] = [[low, high]]
            if parameter.constraint == "normal":
                if parameter.origin in ("rateParam", "param"):
                    refuse(
                        f"param {name}",
                        "it constrains a free factor, and pyhf constrains only "
                        "nuisance modifiers (and the single lumi)",
                        "pyhf",
                        **where,
                    )
                sigma = parameter.sigma_high
                if parameter.sigma_low != parameter.sigma_high:
                    sigma = 0.5 * (parameter.sigma_low + parameter.sigma_high)
                    self.notes.note(
                        f"param {name}",
                        f"its Gaussian is asymmetric (-{parameter.sigma_low:g}/+{parameter.sigma_high:g})",
                        f"a Gaussian of width {sigma:g}",
                        **where,
                    )
                if parameter.center != 0.0 or sigma != 1.0:
                    setting["auxdata"], setting["sigmas"] = [parameter.center], [sigma]
            if name in self.built.frozen:
                setting["fixed"] = True
            self.settings[name] = setting
            self.links.append(ParameterLink(name, name))
        for name in self.built.frozen:
            if name in self.settings and name not in linked:
                self.settings[name]["fixed"] = True

    def workspace(self) -> dict:
        channels, observations = [], []
        for channel, bins in self.channel_bins.items():
            samples = []
            for k, column in enumerate(self.built.columns):
                if column.channel == channel:
                    # nominal >= 0: rates are, and templates are clipped at Combine's floor (build.py)
                    samples.append(
                        {
                            "name": column.process,
                            "data": self.nominal[k, bins].tolist(),
                            "modifiers": self.modifiers[k],
                        }
                    )
            channels.append({"name": channel, "samples": samples})
            observations.append({"name": channel, "data": self.built.observed[bins].tolist()})
        parameters = [self.settings[name] for name in sorted(self.settings)]
        return {
            "channels": channels,
            "observations": observations,
            "version": "1.0.0",
            "measurements": [{"name": MEASUREMENT_NAME, "config": {"poi": "r", "parameters": parameters}}],
        }
