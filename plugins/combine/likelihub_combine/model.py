"""A datacard's expected yields as a function of its parameters, as text2workspace.py builds them.

Every column (a process in a channel) has a unit-normalised shape over the channel's bins (a
counting channel has one bin), a normalisation and multiplicative factors:

    nu[column, bin] = norm * prod(factors(pars)) * shape(pars)[bin]

- factors: ``lnN``/``lnU`` kappa^theta (asymmetric kappas with Combine's smooth interpolation of
  log kappa, :func:`log_kappa`), the normalisation effect of ``shape`` templates (an asymmetric
  kappa from their integrals, rounded to 6 decimals as Combine writes it), ``rateParam`` values
  and formulas, ``gmN`` (norm alpha times the control-region parameter) and ``r`` for signals;
- shape: the nominal template morphed vertically by each ``shape`` systematic,
  ``nom + x/2 ((up - down) + S(x/R) (up + down - 2 nom))`` with Combine's quintic smooth step S
  (linear beyond |x| = R), x the parameter times the column's scale, R the smallest scale of the
  column (at most 1); ``shapeN`` morphs the logarithms. Bins are clipped at 1e-9 after morphing
  and the shape renormalised (``FastVerticalInterpHistPdf2``), except in autoMCStats channels
  (``CMSHistFunc``: clipped, not renormalised). A template no ``shape`` line morphs is clipped so
  once, when the card is built (``build.py``): Combine's classes clip it too.

The sums over columns and the autoMCStats terms are in :mod:`likelihub_combine.kernels.reference`
(NumPy, the definition) and the numba kernels of :mod:`likelihub_combine.kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["smooth_step", "log_kappa", "Yields"]

#: Combine's floor of a morphed template bin (``FastTemplate::CropUnderflows``).
TEMPLATE_FLOOR = 1e-9


def smooth_step(x: np.ndarray) -> np.ndarray:
    """Combine's ``smoothStepFunc``: (3x^5 - 10x^3 + 15x)/8 inside |x| < 1, sign(x) outside."""
    x = np.asarray(x, dtype=float)
    x2 = x * x
    inside = 0.125 * x * (x2 * (3.0 * x2 - 10.0) + 15.0)
    return np.where(np.abs(x) >= 1.0, np.sign(x), inside)


def log_kappa(theta: np.ndarray, log_low: np.ndarray, log_high: np.ndarray) -> np.ndarray:
    """The effective log kappa of an asymmetric log-normal at ``theta`` (Combine's
    ``logKappaForX``): log kappa_high for theta >= 0.5, -log kappa_low for theta <= -0.5, a
    smooth quintic interpolation between; the factor is exp(theta * log_kappa)."""
    theta = np.asarray(theta, dtype=float)
    high, low = log_high, -log_low
    average, half = 0.5 * (high + low), 0.5 * (high - low)
    twice = 2.0 * theta
    t2 = twice * twice
    alpha = 0.125 * twice * (t2 * (3.0 * t2 - 10.0) + 15.0)
    inside = average + alpha * half
    return np.where(theta >= 0.5, high, np.where(theta <= -0.5, low, inside))


@dataclass
class Yields:
    """The compiled columns: arrays over K columns, B bins (all channels) and P parameters.

    Attributes
    ----------
    shape
        (K, B) unit-normalised nominal shape of each column, zero outside its channel.
    norm
        (K,) normalisation at nominal (rate, or gmN alpha).
    log_kappa_sym
        (K, P) log kappa of symmetric log-normal factors.
    asym_column, asym_parameter, asym_log_low, asym_log_high
        Asymmetric log-normal factors, one entry each.
    scale_column, scale_parameter
        Multiplicative parameters (r, rateParams, gmN), one entry each.
    formulas
        (column, function, argument indices) of formula rateParams.
    morph_column, morph_parameter, morph_scale, morph_diff, morph_sum
        Additive morphs: (M,) and (M, B) arrays (differences of unit-normalised templates).
    log_morph_*
        The same for ``shapeN`` (differences of logarithms).
    smooth_region
        (K,) smoothing region R of each column.
    renormalise
        (K,) whether the morphed shape is renormalised to unit integral.
    floor
        (K,) the clipping floor of each column's unit-normalised shape.
    channel_mask
        (K, B) the bins of each column's channel.
    """

    shape: np.ndarray
    norm: np.ndarray
    log_kappa_sym: np.ndarray
    channel_mask: np.ndarray
    smooth_region: np.ndarray
    renormalise: np.ndarray
    floor: np.ndarray
    asym_column: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    asym_parameter: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    asym_log_low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    asym_log_high: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale_column: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    scale_parameter: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    formulas: list = field(default_factory=list)
    morph_column: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    morph_parameter: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    morph_scale: np.ndarray = field(default_factory=lambda: np.zeros(0))
    morph_diff: np.ndarray | None = None
    morph_sum: np.ndarray | None = None
    log_morph_column: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    log_morph_parameter: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    log_morph_scale: np.ndarray = field(default_factory=lambda: np.zeros(0))
    log_morph_diff: np.ndarray | None = None
    log_morph_sum: np.ndarray | None = None

    def factors(self, pars: np.ndarray) -> np.ndarray:
        """(K,) product of the multiplicative factors of each column at ``pars``."""
        log_factor = self.log_kappa_sym @ pars
        if self.asym_column.size:
            theta = pars[self.asym_parameter]
            np.add.at(
                log_factor, self.asym_column, theta * log_kappa(theta, self.asym_log_low, self.asym_log_high)
            )
        factor = np.exp(log_factor)
        if self.scale_column.size:
            np.multiply.at(factor, self.scale_column, pars[self.scale_parameter])
        for column, function, arguments in self.formulas:
            factor[column] *= function(pars[arguments])
        return factor

    def shapes(self, pars: np.ndarray) -> np.ndarray:
        """(K, B) morphed, clipped (and where so, renormalised) unit shapes at ``pars``."""
        shape = self.shape
        morphed = np.zeros(self.shape.shape[0], bool)
        if self.morph_column.size:
            shape = shape.copy()
            x = pars[self.morph_parameter] * self.morph_scale
            step = smooth_step(x / self.smooth_region[self.morph_column])
            delta = 0.5 * x[:, None] * (self.morph_diff + step[:, None] * self.morph_sum)
            np.add.at(shape, self.morph_column, delta)
            morphed[self.morph_column] = True
        if self.log_morph_column.size:
            shape = shape.copy() if shape is self.shape else shape
            x = pars[self.log_morph_parameter] * self.log_morph_scale
            step = smooth_step(x / self.smooth_region[self.log_morph_column])
            log_delta = np.zeros_like(shape)
            np.add.at(
                log_delta,
                self.log_morph_column,
                0.5 * x[:, None] * (self.log_morph_diff + step[:, None] * self.log_morph_sum),
            )
            rows = np.unique(self.log_morph_column)
            shape[rows] = shape[rows] * np.exp(log_delta[rows])
            shape[rows] /= shape[rows].sum(axis=1, keepdims=True)
            morphed[rows] = True
        if not morphed.any():
            return shape
        rows = np.flatnonzero(morphed)
        clipped = np.where(self.channel_mask[rows], np.maximum(shape[rows], self.floor[rows, None]), 0.0)
        again = self.renormalise[rows]
        clipped[again] /= clipped[again].sum(axis=1, keepdims=True)
        shape[rows] = clipped
        return shape

    def per_column(self, pars: np.ndarray) -> np.ndarray:
        """(K, B) expected yield of each column at ``pars``."""
        return (self.norm * self.factors(pars))[:, None] * self.shapes(pars)
