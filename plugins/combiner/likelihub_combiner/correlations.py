"""Partially correlated Gaussian constraints: two Gaussian constraint terms made one bivariate normal.

For parameters theta_1, theta_2 with Gaussian constraints of widths sigma_i around their
auxiliary data a_i, and a correlation coefficient rho (|rho| < 1), the bivariate normal
replaces the product of the two univariate terms. With z_i = (theta_i - a_i) / sigma_i, the
log-likelihood gains

    log N2(a | theta, Sigma) - log N(a_1 | theta_1, sigma_1) - log N(a_2 | theta_2, sigma_2)
        = -log(1 - rho^2) / 2 - (rho^2 (z_1^2 + z_2^2) - 2 rho z_1 z_2) / (2 (1 - rho^2)),

whose derivatives are closed forms (:meth:`CorrelatedPair.add_derivatives`). Toys draw the two
auxiliary data from the bivariate normal around their expected values, theta_1 and theta_2
(:meth:`CorrelatedPair.draw`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError
from likelihub.plugin import arguments

from .sharing import resolve_name

__all__ = ["CorrelatedPair", "correlated_pairs"]


@dataclass(frozen=True)
class CorrelatedPair:
    """Two Gaussian-constrained parameters of a combination (indices in its parameter vector and
    data) and their correlation coefficient."""

    names: tuple[str, str]
    parameters: tuple[int, int]
    data: tuple[int, int]
    widths: tuple[float, float]
    rho: float

    def _pulls(self, pars: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (p1, p2), (d1, d2), (s1, s2) = self.parameters, self.data, self.widths
        return (pars[..., p1] - data[..., d1]) / s1, (pars[..., p2] - data[..., d2]) / s2

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """The term's contribution to log L (see the module docstring); batches broadcast."""
        z1, z2 = self._pulls(pars, data)
        r = self.rho
        quadratic = r * r * (z1 * z1 + z2 * z2) - 2.0 * r * z1 * z2
        return -0.5 * math.log1p(-r * r) - quadratic / (2.0 * (1.0 - r * r))

    def add_derivatives(self, pars: np.ndarray, data: np.ndarray, grad: np.ndarray | None,
                        hessian: np.ndarray | None) -> None:
        """Add the term's gradient and Hessian (where given) to those of log L (in place)."""
        z1, z2 = self._pulls(pars, data)
        r, (p1, p2), (s1, s2) = self.rho, self.parameters, self.widths
        c = 1.0 / (1.0 - r * r)
        if grad is not None:
            grad[..., p1] += -c * (r * r * z1 - r * z2) / s1
            grad[..., p2] += -c * (r * r * z2 - r * z1) / s2
        if hessian is not None:
            hessian[..., p1, p1] += -c * r * r / (s1 * s1)
            hessian[..., p2, p2] += -c * r * r / (s2 * s2)
            hessian[..., p1, p2] += c * r / (s1 * s2)
            hessian[..., p2, p1] += c * r / (s1 * s2)

    def draw(self, toys: np.ndarray, pars: np.ndarray, rng: np.random.Generator) -> None:
        """Replace the pair's auxiliary data of ``toys`` (size, D) by bivariate normal draws
        around their expected values at ``pars`` (P,), the two parameters (in place)."""
        (p1, p2), (d1, d2), (s1, s2), r = self.parameters, self.data, self.widths, self.rho
        u, v = rng.standard_normal((2, toys.shape[0]))
        toys[:, d1] = pars[p1] + s1 * u
        toys[:, d2] = pars[p2] + s2 * (r * u + math.sqrt(1.0 - r * r) * v)


def _as_mapping(correlation) -> dict:
    """A list of ``(name, name, rho)`` triples (the combination file's form) as ``{(name, name): rho}``."""
    if isinstance(correlation, (list, tuple)) and all(
            isinstance(t, (list, tuple)) and len(t) == 3 and all(isinstance(n, str) for n in t[:2])
            for t in correlation):
        return {(a, b): rho for a, b, rho in correlation}
    raise InvalidModelError(f"correlation must be a mapping {{(name, name): rho}} or a list of "
                            f"(name, name, rho), got {correlation!r}", argument="correlation")


def correlated_pairs(correlation: Mapping, names: Sequence[str], configs: Sequence, index_of: Mapping,
                     config, combined_term: Callable) -> tuple[CorrelatedPair, ...]:
    """The :class:`CorrelatedPair` of each ``{(first, second): rho}`` item: names of the combination
    (``config.parameter_names``) or ``"component/parameter"``; each a symmetric Gaussian constraint
    (``combined_term(position)``), in one pair at most."""
    pairs, seen = [], set()
    if not isinstance(correlation, Mapping):
        correlation = _as_mapping(correlation)
    for key, rho in correlation.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise InvalidModelError(f"correlation keys are pairs of parameter names, got {key!r}",
                                    argument="correlation")
        rho = arguments.real(rho, argument=f"correlation[{key}]")
        if not -1.0 < rho < 1.0:
            raise InvalidModelError(f"the correlation of {key} must lie in (-1, 1), got {rho}",
                                    argument="correlation")
        found = []
        for name in key:
            if name in config.parameter_names:
                position = config.parameter_names.index(name)
            else:
                position = index_of[resolve_name(name, names, configs, "correlation")]
            term = combined_term(position)
            if term is None or term.kind != "normal" or term.width_low != term.width:
                raise InvalidModelError(f"{name!r} has no symmetric Gaussian constraint "
                                        f"({term.summary() if term else 'unconstrained'}): it cannot be "
                                        "partially correlated", argument="correlation")
            found.append((position, term))
        (p1, t1), (p2, t2) = found
        if p1 == p2 or p1 in seen or p2 in seen:
            raise InvalidModelError(f"{key}: a parameter may enter one correlated pair, with another "
                                    "parameter", argument="correlation")
        seen |= {p1, p2}
        pairs.append(CorrelatedPair(names=tuple(key), parameters=(p1, p2), data=(t1.datum, t2.datum),
                                    widths=(t1.width, t2.width), rho=rho))
    return tuple(pairs)
