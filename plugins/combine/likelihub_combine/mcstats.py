"""autoMCStats: the templates' MC statistical uncertainties, as Combine's CMSHistErrorPropagator
sets them up (``docs/combine.md``).

At the parameters' initial values, for each bin j of a channel with ``autoMCStats threshold``:
the effective number of events n = round(sum^2 / err^2) of the processes' total (signal left out
of this decision unless include-signal); where n > threshold, one Gaussian parameter
``prop_bin<channel>_bin<j>`` adds ``x * e_tot`` to the bin (Barlow-Beeston-lite, e_tot the
quadratic sum of every process' error times its current normalisation factor); otherwise each
process gets its own parameter: a Poisson count ``prop_bin<channel>_bin<j>_<process>``
(scaling its yield by var / n_p) where its own n_p <= threshold, else a Gaussian adding
``x * e_p``. The channel's bins are clipped at 1e-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import chdtri, ndtr

from .parameters import Parameter, ParameterTable

__all__ = ["MCStats", "setup_mc_stats"]


@dataclass
class MCStats:
    """The autoMCStats terms of a model (global bin indices, column indices, parameter indices)."""

    errors: np.ndarray  # (K, B) absolute template errors
    integrals: np.ndarray  # (K,) integrals of the nominal templates
    bins: np.ndarray  # bins of autoMCStats channels (clipped at 1e-9)
    lite_bin: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    lite_parameter: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    normal_bin: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    normal_column: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    normal_parameter: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    poisson_bin: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    poisson_column: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    poisson_parameter: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    poisson_count: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def add(self, nu: np.ndarray, per_column: np.ndarray, coefficient: np.ndarray, pars: np.ndarray) -> None:
        """Add the terms to the expected bins ``nu`` (in place) and clip the channels' bins."""
        if self.lite_bin.size:
            scaled = coefficient[:, None] * self.errors[:, self.lite_bin]
            total = np.sqrt(np.sum(scaled * scaled, axis=0))
            nu[self.lite_bin] += total * pars[self.lite_parameter]
        if self.normal_bin.size:
            np.add.at(
                nu,
                self.normal_bin,
                pars[self.normal_parameter]
                * self.errors[self.normal_column, self.normal_bin]
                * coefficient[self.normal_column],
            )
        if self.poisson_bin.size:
            np.add.at(
                nu,
                self.poisson_bin,
                (pars[self.poisson_parameter] / self.poisson_count - 1.0)
                * per_column[self.poisson_column, self.poisson_bin],
            )
        nu[self.bins] = np.maximum(nu[self.bins], 1e-9)


def _poisson_range(count: float) -> tuple[float, float]:
    """Combine's range of a per-process Poisson parameter: the 7-sigma band of the count."""
    tail = float(ndtr(-7.0))
    return 0.5 * float(chdtri(2 * count, 1 - tail)), 0.5 * float(chdtri(2 * count + 2, tail))


def setup_mc_stats(
    settings: dict,
    channel_bins: dict,
    columns: list,
    per_column: np.ndarray,
    coefficient: np.ndarray,
    errors: np.ndarray,
    integrals: np.ndarray,
    table: ParameterTable,
) -> MCStats | None:
    """Make the autoMCStats parameters (added to ``table``) of the channels in ``settings``.

    ``settings`` maps a channel to its :class:`~likelihub_combine.card.AutoMCStats`;
    ``channel_bins`` a channel to its global bin indices; ``columns`` are the model's columns;
    ``per_column`` (K, B) and ``coefficient`` (K,) the yields and normalisation factors at the
    initial parameters.
    """
    if not settings:
        return None
    stats = MCStats(
        errors=errors,
        integrals=integrals,
        bins=np.concatenate([channel_bins[c] for c in settings]).astype(int),
    )
    lite_bin, lite_par = [], []
    normal = ([], [], [])
    poisson = ([], [], [], [])
    for channel, option in settings.items():
        if option.threshold < 0:
            continue
        mine = [k for k, column in enumerate(columns) if column.channel == channel]
        decide = [k for k in mine if option.include_signal or not columns[k].signal]
        for j, b in enumerate(channel_bins[channel]):
            total = sum(per_column[k, b] for k in decide)
            error = math.sqrt(sum((coefficient[k] * errors[k, b]) ** 2 for k in decide))
            if error <= 0:
                continue
            effective = math.floor(0.5 + total * total / (error * error))
            if effective > option.threshold:
                lite_bin.append(b)
                lite_par.append(
                    table.add(
                        Parameter(f"prop_bin{channel}_bin{j}", 0.0, -7.0, 7.0, "normal", origin="autoMCStats")
                    )
                )
                continue
            for k in mine:
                value = per_column[k, b] / coefficient[k] if coefficient[k] else 0.0
                error_k = errors[k, b]
                if error_k <= 0 or value < 0:
                    continue
                name = f"prop_bin{channel}_bin{j}_{columns[k].process}"
                count = math.floor(0.5 + value * value / (error_k * error_k)) if value > 0 else 0
                if value > 0 and value >= 0.999 * error_k and count <= option.threshold:
                    low, high = _poisson_range(count)
                    index = table.add(
                        Parameter(
                            name, float(count), low, high, "poisson", float(count), origin="autoMCStats"
                        )
                    )
                    for target, item in zip(poisson, (b, k, index, float(count)), strict=False):
                        target.append(item)
                else:
                    index = table.add(Parameter(name, 0.0, -7.0, 7.0, "normal", origin="autoMCStats"))
                    for target, item in zip(normal, (b, k, index), strict=False):
                        target.append(item)
    stats.lite_bin, stats.lite_parameter = np.array(lite_bin, int), np.array(lite_par, int)
    stats.normal_bin, stats.normal_column, stats.normal_parameter = (np.array(x, int) for x in normal)
    stats.poisson_bin, stats.poisson_column, stats.poisson_parameter = (np.array(x, int) for x in poisson[:3])
    stats.poisson_count = np.array(poisson[3], float)
    return stats
