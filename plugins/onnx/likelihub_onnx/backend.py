"""The ``onnx`` backend: a likelihood that a neural network computes, with likelihub's inference on top.

**What the network computes.** Each row of the network's input is an affine map of the model's
parameters, standardised: ``x = (A @ pars + c - mean) / std`` (an entry with ``std = 0`` only has
its mean subtracted, as the ML likelihoods of SModelS do). With ``A`` the identity and ``c = 0`` the
inputs *are* the parameters (a DNNLikelihood: parameters of interest and nuisance parameters); with
``A`` the column of signal yields ``s`` and ``c`` the background, the input is ``mu s + b`` (a
recast: a network of the yields per signal region, the nuisance parameters profiled inside it).
A :class:`Head` takes one column of one output, ``v = raw * scale + shift``, and its kind turns
``v`` into log L: ``"nll"`` (-ln L), ``"logL"`` (ln L), ``"-2lnL"`` (-2 ln L) or ``"-2dlnL"``
(-2 ln L / L_max, a likelihood ratio: log L up to a constant, which no inference depends on).

**Data.** A learned likelihood has its data built in; what the core calls the data is a label of
two entries: ``[0, 0]`` is the observed data (the likelihood the network learned) and ``[1, mu]``
the Asimov data of signal strength mu (``expected_data(pars)`` is ``[1, pars[poi]]``). The
asymptotic calculator needs the background-only Asimov data (mu = 0): its likelihood is a second
head, another column of the same network (SModelS's ``nLLA`` outputs) or a second file (the
expected model of a publication). The Asimov data of another mu (the expected discovery
significance) and toys (no sampler, no data layout) raise
:class:`~likelihub.errors.CapabilityError`, naming what is missing.

**Derivatives.** A head may name an output holding the derivative of its column with respect to
the network's input (rows, k); the chain rule gives the gradient in the parameters. Otherwise the
gradient is a central finite difference with the step ``h_i = step * max(1, |pars_i|)``,
``step = eps^(1/3)`` of the network's float type (6e-6 for float64, 5e-3 for float32: the step that
balances truncation, O(h^2), against rounding, O(eps / h)). The Hessian is a central difference of
the gradient, with ``eps^(1/3)`` of an analytic gradient and ``eps^(1/4)`` of a finite-difference
one. Every evaluation of a batch, its finite-difference points included, is one call of the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub.errors import CapabilityError, InvalidDataError
from likelihub.plugin import ModelConfig

from .network import Network

__all__ = ["Head", "OnnxLikelihood", "KINDS"]

#: The kinds of output a head may hold, and the factor that turns each into log L.
KINDS = {"nll": -1.0, "logL": 1.0, "-2lnL": -0.5, "-2dlnL": -0.5}


@dataclass(frozen=True)
class Head:
    """A likelihood of one data set: one column of one output of a network, rescaled.

    Attributes
    ----------
    network
        The network.
    output, column
        The output's name, and its column (negative from the end).
    scale, shift
        ``v = raw * scale + shift`` undoes the standardisation of the output (and adds the value
        the network's output is relative to, e.g. -ln L at mu = 0).
    gradient
        The output holding d raw / d input, (rows, k), or None (finite differences).
    """

    network: Network
    output: str
    column: int = 0
    scale: float = 1.0
    shift: float = 0.0
    gradient: str | None = None

    def summary(self) -> str:
        where = f"{self.network.label}, output {self.output!r}[{self.column}]"
        scaled = "" if (self.scale, self.shift) == (1.0, 0.0) else f" * {self.scale:g} + {self.shift:g}"
        return where + scaled


class OnnxLikelihood:
    """A learned likelihood (see the module docstring), built by
    :func:`likelihub_onnx.factory.onnx_likelihood`.

    Parameters
    ----------
    config
        Parameters, bounds, POI.
    kind
        What the heads' values are: a key of :data:`KINDS`.
    observed
        The head of the observed data.
    asimov
        The head of the background-only Asimov data, or None.
    matrix, offset, mean, std
        The input map ``x = (matrix @ pars + offset - mean) / std`` (std 0: no division).
    step
        Relative finite-difference step of the gradient; None for ``eps^(1/3)`` of the network.
    """

    def __init__(self, *, config: ModelConfig, kind: str, observed: Head, asimov: Head | None,
                 matrix: np.ndarray, offset: np.ndarray, mean: np.ndarray, std: np.ndarray,
                 step: float | None = None):
        self.config = config
        self.kind = kind
        self.factor = KINDS[kind]
        self.heads = (observed, asimov)
        self.matrix = np.asarray(matrix, dtype=float)
        self.offset = np.asarray(offset, dtype=float) - np.asarray(mean, dtype=float)
        std = np.asarray(std, dtype=float)
        self.divisor = np.where(std != 0, std, 1.0)
        self.jacobian = self.matrix / self.divisor[:, None]  # d x / d pars, (k, P)
        eps = max(h.network.epsilon for h in self.heads if h is not None)
        self.step = float(eps ** (1 / 3)) if step is None else float(step)
        analytic = all(h is None or h.gradient is not None for h in self.heads)
        self.hessian_step = float(eps ** (1 / 3) if analytic else eps ** 0.25)
        self.data = np.zeros(2)
        self.label = observed.network.label

    # -- the contract ---------------------------------------------------------------------------
    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """``[1, mu]``: the label of the Asimov data at the POI's value (see the module docstring)."""
        poi = self.config.poi_index
        return np.array([1.0, 0.0 if poi is None else float(np.asarray(pars, dtype=float)[poi])])

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        return float(self.logpdf_batch(np.asarray(pars, dtype=float)[None], np.asarray(data)[None])[0])

    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """log L at N parameter sets (N, P) of N data labels (N, 2), one network call per head."""
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        return self._values(pars, self._which(data, pars.shape[0]))

    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        values, grads = self.value_and_grad_batch(np.asarray(pars, dtype=float)[None],
                                                  np.asarray(data)[None])
        return float(values[0]), grads[0]

    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        return self.hessian_batch(np.asarray(pars, dtype=float)[None], np.asarray(data)[None])[0]

    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log L (N,) and its gradients (N, P) at N parameter sets of N data labels."""
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        return self._gradients(pars, self._which(data, pars.shape[0]))

    def hessian_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessians (N, P, P) of log L: central differences of the gradient, in one batch."""
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        which = self._which(data, pars.shape[0])
        rows, n = pars.shape
        h = self.hessian_step * np.maximum(1.0, np.abs(pars))  # (rows, P)
        shifts = np.concatenate([np.eye(n), -np.eye(n)])  # (2P, P)
        points = pars[:, None, :] + shifts[None] * np.tile(h, 2)[:, :, None]
        _, grads = self._gradients(points.reshape(-1, n), np.repeat(which, 2 * n))
        grads = grads.reshape(rows, 2 * n, n)
        hess = (grads[:, :n] - grads[:, n:]) / (2.0 * h[:, :, None])
        return 0.5 * (hess + np.swapaxes(hess, 1, 2))

    def describe(self) -> str:
        observed, asimov = self.heads
        gradient = ("the network's derivative output" if observed.gradient else
                    f"central finite differences (relative step {self.step:.1e})")
        lines = [f"ONNX likelihood {self.label}: {self.kind} of {observed.network.n_inputs} inputs "
                 f"{observed.network.input_name!r}, computed in {observed.network.precision_note}",
                 f"  parameters: {', '.join(self.config.parameter_names)} (POI {self.config.poi_name!r})",
                 f"  observed data: {observed.summary()}",
                 f"  background-only Asimov data: {asimov.summary() if asimov else 'none (no CLs)'}",
                 f"  gradient: {gradient}"]
        return "\n".join(lines)

    # -- evaluation -----------------------------------------------------------------------------
    def _which(self, data, rows: int) -> np.ndarray:
        """The head (0 observed, 1 Asimov) of each row's data label; errors for labels without one."""
        data = np.asarray(data, dtype=float)
        data = data[None] if data.ndim == 1 else data
        if data.ndim != 2 or data.shape[1] != 2 or data.shape[0] not in (1, rows):
            raise InvalidDataError(f"data of shape {data.shape}: the data of an ONNX likelihood are a "
                                   "label of 2 entries per row, [0, 0] for the observed data and "
                                   "[1, mu] for Asimov data", argument="data")
        kind, mu = data[:, 0], data[:, 1]
        asimov = kind == 1.0
        bad = ~(asimov | (kind == 0.0)) | (~asimov & (mu != 0.0))
        if bad.any():
            raise InvalidDataError(f"{data[bad][0].tolist()} is no data label of an ONNX likelihood: "
                                   "[0, 0] is the observed data, [1, mu] the Asimov data at mu",
                                   argument="data")
        if asimov.any():
            if self.heads[1] is None:
                raise CapabilityError(
                    f"ONNX likelihood {self.label} has no likelihood of the expected (Asimov) data, "
                    "which CLs, limits and significances need: give the network of the expected data "
                    "(expected=...) or its output (asimov=...); fits and scans of the observed data "
                    "need none")
            if (mu[asimov] != 0.0).any():
                raise CapabilityError(
                    f"ONNX likelihood {self.label} has the likelihood of the background-only Asimov "
                    f"data (mu = 0) only; none for the Asimov data at mu = {mu[asimov & (mu != 0)][0]:g} "
                    "(an expected discovery significance needs it)")
        which = asimov.astype(np.intp)
        return which if which.size == rows else np.full(rows, which[0])

    def _inputs(self, pars: np.ndarray) -> np.ndarray:
        return (pars @ self.matrix.T + self.offset) / self.divisor

    def _values(self, pars: np.ndarray, which: np.ndarray) -> np.ndarray:
        """log L at each row of ``pars`` with the head ``which`` of each row."""
        out = np.empty(pars.shape[0])
        for index, rows in _groups(which):
            head = self.heads[index]
            (raw,) = head.network.run(self._inputs(pars[rows]), [head.output])
            out[rows] = self.factor * (raw[:, head.column] * head.scale + head.shift)
        return out

    def _gradients(self, pars: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log L and its gradient at each row: the heads' derivative outputs, or finite differences."""
        values, grads = np.empty(pars.shape[0]), np.empty(pars.shape)
        for index, rows in _groups(which):
            head = self.heads[index]
            if head.gradient is not None:
                raw, derivative = head.network.run(self._inputs(pars[rows]), [head.output, head.gradient])
                values[rows] = self.factor * (raw[:, head.column] * head.scale + head.shift)
                grads[rows] = self.factor * head.scale * (derivative @ self.jacobian)
            else:
                values[rows], grads[rows] = self._finite_differences(pars[rows], index)
        return values, grads

    def _finite_differences(self, pars: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
        """log L and its central-difference gradient at rows of ``pars``, one network call."""
        rows, n = pars.shape
        h = self.step * np.maximum(1.0, np.abs(pars))
        shifts = np.concatenate([np.zeros((1, n)), np.eye(n), -np.eye(n)])  # (2P + 1, P)
        steps = np.concatenate([np.ones((rows, 1)), np.tile(h, 2)], axis=1)  # (rows, 2P + 1)
        points = pars[:, None, :] + shifts[None] * steps[:, :, None]
        values = self._values(points.reshape(-1, n), np.full(rows * (2 * n + 1), index))
        values = values.reshape(rows, 2 * n + 1)
        return values[:, 0], (values[:, 1:n + 1] - values[:, n + 1:]) / (2.0 * h)


def _groups(which: np.ndarray):
    """(head, rows) of each head in ``which``: a slice of all rows where one head serves them all."""
    if which.size == 0 or which.min() == which.max():
        return [(int(which[0]) if which.size else 0, slice(None))]
    return [(index, which == index) for index in (0, 1) if (which == index).any()]
