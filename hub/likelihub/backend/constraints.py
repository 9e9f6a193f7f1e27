"""Constraint terms of a backend's likelihood: what the optional capability ``constraint_terms()``
(:class:`~likelihub.backend.contract.SupportsConstraintTerms`) declares, and their closed forms.

A *constrained* parameter theta has one term in ``logpdf`` that involves an auxiliary datum (a
global observable) ``a = data[datum]`` and no other parameter. Two kinds, each normalised exactly
as stated here (a backend that offers the capability computes its term this way, so that the
term can be taken out of its logpdf, e.g. by a combination counting a shared parameter's
constraint once):

- ``"normal"``: a Gaussian (bifurcated where ``width_low`` differs from ``width``)::

      log N = -0.5 ((theta - a) / s)^2 - log((width_low + width) / 2) - log(2 pi) / 2,
      s = width_low where theta < a, else width

  (HistFactory's normsys, histosys, lumi and staterror; Combine's lnN, shape, param);
- ``"poisson"``: a Poisson count ``a`` of mean ``scale * theta``::

      log P = a log(scale theta) - scale theta - lgamma(a + 1)

  (HistFactory's shapesys, ``scale`` = tau; Combine's gmN and autoMCStats Poisson counts, scale 1).

Unconstrained parameters (normfactors, rateParams, the POI) have no term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from likelihub.errors import InvalidModelError

__all__ = ["ConstraintTerm", "ConstraintSet", "CONSTRAINT_KINDS"]

#: The kinds of constraint term.
CONSTRAINT_KINDS = ("normal", "poisson")

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _poisson_offset(a: np.ndarray) -> np.ndarray:
    """``lgamma(a + 1) - a log a + a`` for a > 0, by Stirling's series above 100 (no cancellation
    of terms of size a log a)."""
    a = np.asarray(a, dtype=float)
    small = a <= 100.0
    safe = np.where(small, 1.0, a)
    inverse = 1.0 / safe
    inverse2 = inverse * inverse
    series = inverse * (1.0 / 12.0 - inverse2 * (1.0 / 360.0 - inverse2 / 1260.0))
    large = 0.5 * np.log(2.0 * math.pi * safe) + series
    tiny = np.where(small & (a > 0), a, 1.0)
    return np.where(small, gammaln(tiny + 1.0) - tiny * np.log(tiny) + tiny, large)


@dataclass(frozen=True)
class ConstraintTerm:
    """The constraint term of one parameter (see the module docstring for its closed form).

    Attributes
    ----------
    parameter
        Index of the constrained parameter in the parameter vector.
    datum
        Index of its auxiliary datum in the data (at or after ``config.n_main``).
    kind
        ``"normal"`` or ``"poisson"``.
    width
        Normal: the standard deviation (above the datum, where it is bifurcated).
    width_low
        Normal: the standard deviation below the datum; None means ``width`` (symmetric).
    scale
        Poisson: the mean is ``scale * theta`` (HistFactory's tau; 1 for Combine's counts).
    """

    parameter: int
    datum: int
    kind: str
    width: float = 1.0
    width_low: float | None = None
    scale: float = 1.0

    def __post_init__(self):
        if self.kind not in CONSTRAINT_KINDS:
            raise InvalidModelError(f"constraint kind must be one of {CONSTRAINT_KINDS}, got {self.kind!r}",
                                    argument="kind")
        low = self.width if self.width_low is None else self.width_low
        values = (self.width, low) if self.kind == "normal" else (self.scale,)
        if not all(math.isfinite(v) and v > 0 for v in values):
            raise InvalidModelError(f"a {self.kind} constraint needs positive finite widths or scale, got "
                                    f"width={self.width}, width_low={self.width_low}, scale={self.scale}",
                                    argument="constraint_terms")
        object.__setattr__(self, "parameter", int(self.parameter))
        object.__setattr__(self, "datum", int(self.datum))
        object.__setattr__(self, "width", float(self.width))
        object.__setattr__(self, "width_low", float(low))
        object.__setattr__(self, "scale", float(self.scale))

    def same_constraint(self, other: ConstraintTerm) -> bool:
        """Whether ``other`` is the same term (kind, widths or scale; not the indices)."""
        if self.kind != other.kind:
            return False
        if self.kind == "normal":
            return self.width == other.width and self.width_low == other.width_low
        return self.scale == other.scale

    def summary(self) -> str:
        """``normal(sigma=0.017)``, ``normal(sigma=-0.8/+1.2)`` or ``poisson(tau=400)``."""
        if self.kind == "poisson":
            return f"poisson(tau={self.scale:.6g})"
        if self.width_low != self.width:
            return f"normal(sigma=-{self.width_low:.6g}/+{self.width:.6g})"
        return f"normal(sigma={self.width:.6g})"

    def expected(self, theta):
        """The expected auxiliary datum at ``theta``: theta (normal) or scale * theta (Poisson)."""
        return np.asarray(theta, dtype=float) * (self.scale if self.kind == "poisson" else 1.0)

    def logpdf(self, theta, datum) -> np.ndarray:
        """The term's log-probability at ``theta`` of the datum (arrays broadcast)."""
        if self.kind == "normal":
            return _normal_logpdf(theta, datum, self.width, self.width_low)
        return _poisson_logpdf(theta, datum, self.scale)

    def derivatives(self, theta, datum) -> tuple[np.ndarray, np.ndarray]:
        """First and second derivatives of :meth:`logpdf` with respect to theta."""
        if self.kind == "normal":
            return _normal_derivatives(theta, datum, self.width, self.width_low)
        return _poisson_derivatives(theta, datum, self.scale)


class ConstraintSet:
    """Several constraint terms evaluated together (vectorised): ``theta`` and ``datum`` of shape
    (..., n), one column per term, in the order given.

    Parameters
    ----------
    terms
        The :class:`ConstraintTerm` of each column.

    Notes
    -----
    The columns of each kind and the widths or scales of their closed forms are gathered once, here;
    a kind no term has costs nothing per call.
    """

    def __init__(self, terms):
        self.terms = tuple(terms)
        normal = np.array([t.kind == "normal" for t in self.terms], dtype=bool)
        widths = (np.array([t.width for t in self.terms], dtype=float)[normal],
                  np.array([t.width_low for t in self.terms], dtype=float)[normal])
        scales = (np.array([t.scale for t in self.terms], dtype=float)[~normal],)
        # per kind present: its columns (all of them as a slice, else their indices), its closed
        # forms (logpdf, derivatives) and their widths or scale
        self._kinds = tuple(
            (slice(None) if mask.all() else np.flatnonzero(mask), closed_forms, arguments)
            for mask, closed_forms, arguments in (
                (normal, (_normal_logpdf, _normal_derivatives), widths),
                (~normal, (_poisson_logpdf, _poisson_derivatives), scales))
            if mask.any())

    def __len__(self) -> int:
        return len(self.terms)

    @staticmethod
    def _arrays(theta, datum) -> tuple[np.ndarray, np.ndarray]:
        theta, a = np.asarray(theta, dtype=float), np.asarray(datum, dtype=float)
        return (theta, a) if theta.shape == a.shape else np.broadcast_arrays(theta, a)

    def logpdf(self, theta, datum) -> np.ndarray:
        """Each term's log-probability, shape (..., n)."""
        theta, a = self._arrays(theta, datum)
        out = np.empty(theta.shape)
        for columns, (logpdf, _), arguments in self._kinds:
            out[..., columns] = logpdf(theta[..., columns], a[..., columns], *arguments)
        return out

    def derivatives(self, theta, datum) -> tuple[np.ndarray, np.ndarray]:
        """Each term's first and second derivatives with respect to its theta, shape (..., n)."""
        theta, a = self._arrays(theta, datum)
        first, second = np.empty(theta.shape), np.empty(theta.shape)
        for columns, (_, derivatives), arguments in self._kinds:
            first[..., columns], second[..., columns] = derivatives(theta[..., columns], a[..., columns],
                                                                    *arguments)
        return first, second


def _normal_logpdf(theta, a, width, width_low) -> np.ndarray:
    theta, a = np.asarray(theta, dtype=float), np.asarray(a, dtype=float)
    sigma = np.where(theta < a, width_low, width)
    pull = (theta - a) / sigma
    return -0.5 * pull * pull - np.log(0.5 * (np.asarray(width_low) + width)) - _HALF_LOG_2PI


def _normal_derivatives(theta, a, width, width_low) -> tuple[np.ndarray, np.ndarray]:
    theta, a = np.asarray(theta, dtype=float), np.asarray(a, dtype=float)
    sigma = np.where(theta < a, width_low, width)
    return -(theta - a) / sigma**2, -1.0 / sigma**2 + 0.0 * theta


def _poisson_logpdf(theta, a, scale) -> np.ndarray:
    theta, a = np.asarray(theta, dtype=float), np.asarray(a, dtype=float)
    rate = scale * theta
    positive = a > 0
    safe_a = np.where(positive, a, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (rate - safe_a) / safe_a
        safe_x = np.where(rate > 0, x, 0.0)
        nll = np.where(rate > 0, safe_a * (safe_x - np.log1p(safe_x)) + _poisson_offset(safe_a), np.inf)
    return np.where(positive, -nll, -rate)


def _poisson_derivatives(theta, a, scale) -> tuple[np.ndarray, np.ndarray]:
    theta, a = np.asarray(theta, dtype=float), np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.where(a > 0, a / theta, 0.0) - scale, np.where(a > 0, -a / theta**2, 0.0))
