"""The results of maximum-likelihood fits: :class:`FitResult` (one fit,
:func:`likelihub.fits.engine.fit`) and :class:`FitResults` (a batch of fits: the projected-Newton
solver, :func:`likelihub.fits.batch.lockstep_newton`, :func:`likelihub.fits.batch.fit_batch`),
whose row i is a :class:`FitResult`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["FitResult", "FitResults"]


@dataclass
class FitResult:
    """The outcome of one maximum-likelihood fit.

    Attributes
    ----------
    values
        Best-fit value of every parameter (fixed ones at their fixed values).
    uncertainties
        Standard errors from the inverse Hessian (0 for fixed parameters), or None if not computed.
    nll
        -log L at the minimum.
    converged
        True when the minimum passed the EDM check (or, at a fixed POI value where -log L is +inf
        whatever the other parameters, where the limit of :func:`likelihub.fits.engine.fit` was
        reached: ``nll`` is inf then).
    edm
        Estimated distance to the minimum, 1/2 g^T H^-1 g over the free parameters.
    n_evaluations
        Number of likelihood evaluations spent (all attempts).
    parameter_names, fixed
        Names of the parameters, and which were held fixed.
    method
        The minimiser (and attempt) that produced the minimum.
    """

    values: np.ndarray
    uncertainties: np.ndarray | None
    nll: float
    converged: bool
    edm: float
    n_evaluations: int
    parameter_names: tuple[str, ...]
    fixed: np.ndarray
    method: str
    covariance: np.ndarray | None = field(default=None, repr=False)

    @property
    def twice_nll(self) -> float:
        """-2 log L at the minimum."""
        return 2.0 * self.nll

    def __getitem__(self, name: str) -> float:
        return float(self.values[self.parameter_names.index(name)])

    def to_dict(self) -> dict:
        """Plain-Python dictionary (JSON-serialisable)."""
        out = asdict(self)
        out.pop("covariance")
        for key, value in out.items():
            if isinstance(value, np.ndarray):
                out[key] = value.tolist()
        out["parameter_names"] = list(self.parameter_names)
        return out

    def to_json(self, **kwargs) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        status = "converged" if self.converged else "NOT CONVERGED"
        lines = [f"FitResult: -log L = {self.nll:.6f} ({status}, EDM {self.edm:.1e}, "
                 f"{self.n_evaluations} evaluations, {self.method})"]
        width = max(len(n) for n in self.parameter_names) if self.parameter_names else 0
        for i, name in enumerate(self.parameter_names):
            if self.fixed[i]:
                err = "fixed"
            elif self.uncertainties is None:
                err = ""
            else:
                err = f"+/- {self.uncertainties[i]:.6g}"
            lines.append(f"  {name:<{width}}  {self.values[i]: .6g}  {err}")
        return "\n".join(lines)


@dataclass
class FitResults:
    """The outcome of N maximum-likelihood fits made together (toys, the models of a scan); row
    ``i`` (``results[i]``) is the :class:`FitResult` of fit i.

    Attributes
    ----------
    values
        (N, P) where each fit stopped (fixed parameters at their fixed values; the solver's own
        results hold the free parameters only).
    nll
        (N,) -log L there (inf where it is not finite).
    converged
        (N,) whether each fit reached a valid minimum (the EDM with the exact, positive definite
        Hessian at most ``edm_max``).
    edm
        (N,) estimated distances to the minimum (inf where not converged).
    n_evaluations
        (N,) evaluations of -log L and its gradient of each fit (not Hessians).
    parameter_names, fixed
        Names of the P parameters (empty where unknown: the solver's results) and which were fixed.
    method
        What made the fits: one string for all, or one per fit (the fallback fits' own).
    """

    values: np.ndarray
    nll: np.ndarray
    converged: np.ndarray
    edm: np.ndarray
    n_evaluations: np.ndarray
    parameter_names: tuple[str, ...] = ()
    fixed: np.ndarray | None = None
    method: str | Sequence[str] = "newton (lock-step)"

    def __len__(self) -> int:
        return len(self.nll)

    @property
    def twice_nll(self) -> np.ndarray:
        """(N,) -2 log L at the minima."""
        return 2.0 * self.nll

    def method_of(self, index: int) -> str:
        """What made fit ``index``."""
        return self.method if isinstance(self.method, str) else self.method[index]

    def set_row(self, index: int, result: FitResult) -> None:
        """Replace fit ``index`` by ``result`` (a fit made alone: the fallback of a batch)."""
        if isinstance(self.method, str):
            self.method = [self.method] * len(self)
        self.values[index], self.nll[index] = result.values, result.nll
        self.converged[index], self.edm[index] = result.converged, result.edm
        self.n_evaluations[index] = result.n_evaluations
        self.method[index] = result.method

    def __getitem__(self, index: int) -> FitResult:
        index = int(index)
        fixed = np.zeros(self.values.shape[1], bool) if self.fixed is None else np.array(self.fixed)
        return FitResult(
            values=np.array(self.values[index]), uncertainties=None, nll=float(self.nll[index]),
            converged=bool(self.converged[index]), edm=float(self.edm[index]),
            n_evaluations=int(self.n_evaluations[index]), parameter_names=tuple(self.parameter_names),
            fixed=fixed, method=self.method_of(index))
