"""The NumPy reference of the HistFactory likelihood: expected data, -log L and its gradient.

Written for clarity, not speed: tests hold the numba kernels (:mod:`.cpu`, :mod:`.hessian`,
:mod:`.stacked`, :mod:`.cuda`) to it. Terms are evaluated by the interpolation codes' NumPy
references (:func:`likelihub_histfactory.interpolation.evaluate_term`). The
negative log-likelihood is pyhf's ``-Model.logpdf``, fully normalised:

    -log L = sum_bins [lambda_b - n_b log lambda_b + lgamma(n_b + 1)]
           + sum_Gaussian [(a - theta)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2]
           + sum_Poisson  [tau theta - a log(tau theta) + lgamma(a + 1)]

with ``0 log 0 = 0``. Where a bin has observed events and no expected ones (``lambda_b <= 0 <
n_b``), or a Poisson constraint a datum ``a > 0`` and rate ``tau theta <= 0``, the point has
probability zero: -log L is ``+inf`` and the gradient and Hessian are NaN (as the kernels).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, xlogy

from ..compile import CompiledModel
from ..interpolation import FIRST_SHIFT, evaluate_term, term_second_derivative, term_templates

__all__ = ["entry_terms", "expected_main", "expected_aux", "impossible", "nll", "nll_and_grad",
           "nll_grad_hessian"]


def _term_inputs(model: CompiledModel, entry: int, t: int, kind: int) -> tuple[float, float, float]:
    """(nominal, hi, lo) of term ``t`` as :mod:`likelihub_histfactory.interpolation` takes them."""
    return term_templates(kind, model.term_coefficients[t], model.entry_nominal[entry])


def entry_terms(model: CompiledModel, pars: np.ndarray, entry: int):
    """Values and derivatives of the terms of one entry: (kinds, parameters, values, derivatives)."""
    lo, hi = model.term_start[entry], model.term_start[entry + 1]
    kinds = model.term_kind[lo:hi]
    parameters = model.term_parameter[lo:hi]
    values, derivatives = np.empty(hi - lo), np.empty(hi - lo)
    for j, t in enumerate(range(lo, hi)):
        kind = int(kinds[j])
        values[j], derivatives[j] = evaluate_term(kind, pars[parameters[j]],
                                                  *_term_inputs(model, entry, t, kind))
    return kinds, parameters, values, derivatives


def _entry_rate(model: CompiledModel, pars: np.ndarray, entry: int):
    kinds, parameters, values, derivatives = entry_terms(model, pars, entry)
    is_factor = kinds < FIRST_SHIFT  # the kinds below FIRST_SHIFT multiply, the others add
    base = model.entry_nominal[entry] + values[~is_factor].sum()
    return base, kinds, parameters, values, derivatives, is_factor


def _poisson_offset(a: float) -> float:
    """lgamma(a + 1) - a log a + a: exact below 100, Stirling's series (to 1/a^5) above.

    Written again here on purpose, apart from the kernels' :func:`.scalars.poisson_nll_offset` and
    the core's ``likelihub.backend.constraints``: this module is the reference the tests hold them to.
    """
    if a <= 100.0:
        return float(gammaln(a + 1.0) - a * np.log(a) + a)
    return float(0.5 * np.log(2.0 * np.pi * a) + 1.0 / (12.0 * a) - 1.0 / (360.0 * a**3)
                 + 1.0 / (1260.0 * a**5))


def expected_main(model: CompiledModel, pars: np.ndarray) -> np.ndarray:
    """Expected counts of the main measurements."""
    out = np.zeros(model.n_main)
    for entry in range(model.entry_bin.size):
        base, _, _, values, _, is_factor = _entry_rate(model, pars, entry)
        out[model.entry_bin[entry]] += base * np.prod(values[is_factor])
    return out


def expected_aux(model: CompiledModel, pars: np.ndarray) -> np.ndarray:
    """Expected auxiliary data: theta (Gaussian) or tau theta (Poisson)."""
    theta = pars[model.aux_parameter]
    return np.where(model.aux_is_poisson, model.aux_width * theta, theta)


def nll(model: CompiledModel, pars: np.ndarray, data: np.ndarray) -> float:
    """-log L of ``data`` (main then auxiliary) at ``pars``."""
    return nll_and_grad(model, pars, data)[0]


def impossible(model: CompiledModel, pars: np.ndarray, data: np.ndarray) -> bool:
    """Whether ``data`` has probability zero at ``pars``: observed events in a bin where none are
    expected, or a positive Poisson auxiliary datum where its rate is not positive."""
    data = np.asarray(data, dtype=float)
    counts, aux = data[:model.n_main], data[model.n_main:]
    rates = expected_main(model, np.asarray(pars, dtype=float))
    poisson = model.aux_is_poisson
    aux_rates = model.aux_width[poisson] * np.asarray(pars, dtype=float)[model.aux_parameter[poisson]]
    return bool(np.any((counts > 0) & (rates <= 0)) or np.any((aux[poisson] > 0) & (aux_rates <= 0)))


def nll_and_grad(model: CompiledModel, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
    """-log L and its gradient, by the chain rule through each entry's terms."""
    pars = np.asarray(pars, dtype=float)
    data = np.asarray(data, dtype=float)
    if impossible(model, pars, data):
        return np.inf, np.full(pars.size, np.nan)
    counts, aux = data[:model.n_main], data[model.n_main:]
    rates = expected_main(model, pars)
    value = float(np.sum(rates - xlogy(counts, rates) + gammaln(counts + 1.0)))
    weight = 1.0 - np.divide(counts, rates, out=np.zeros_like(rates), where=counts != 0)
    grad = np.zeros(pars.size)
    for entry in range(model.entry_bin.size):
        base, kinds, parameters, values, derivatives, is_factor = _entry_rate(model, pars, entry)
        w = weight[model.entry_bin[entry]]
        factors = values[is_factor]
        # product of the other factors of the entry, as prefix times suffix products (exact at 0)
        prefix = np.concatenate([[1.0], np.cumprod(factors)[:-1]])
        suffix = np.concatenate([np.cumprod(factors[::-1])[::-1][1:], [1.0]])
        np.add.at(grad, parameters[is_factor], w * base * prefix * suffix * derivatives[is_factor])
        np.add.at(grad, parameters[~is_factor], w * np.prod(factors) * derivatives[~is_factor])
    theta = pars[model.aux_parameter]
    gauss = ~model.aux_is_poisson
    sigma = model.aux_width[gauss]
    pull = (aux[gauss] - theta[gauss]) / sigma
    value += float(np.sum(0.5 * pull**2 + np.log(sigma) + 0.5 * np.log(2.0 * np.pi)))
    np.add.at(grad, model.aux_parameter[gauss], -pull / sigma)
    tau = model.aux_width[~gauss]
    rate = tau * theta[~gauss]
    a = aux[~gauss]
    # rate - a log(rate) + lgamma(a + 1), written without cancelling large terms (tau up to 1e11)
    positive = a > 0
    x = np.divide(rate - a, a, out=np.zeros_like(a), where=positive)
    offset = np.array([_poisson_offset(ai) for ai in a[positive]])
    value += float(np.sum(rate[~positive]) + np.sum(a[positive] * (x[positive] - np.log1p(x[positive])))
                   + np.sum(offset))
    np.add.at(grad, model.aux_parameter[~gauss], tau - np.divide(a * tau, rate, out=np.zeros_like(a),
                                                                  where=a != 0))
    return value, grad



def _entry_rate_hessian(model: CompiledModel, pars: np.ndarray, entry: int):
    """Gradient (P,) and Hessian (P, P) of one entry's rate, term pair by term pair."""
    base, kinds, parameters, values, derivatives, is_factor = _entry_rate(model, pars, entry)
    start = model.term_start[entry]
    seconds = np.array([term_second_derivative(int(kind), pars[p], *_term_inputs(model, entry, start + j,
                                                                                  int(kind)))
                        for j, (kind, p) in enumerate(zip(kinds, parameters, strict=True))])
    k, n = kinds.size, pars.size
    grad, hess = np.zeros(n), np.zeros((n, n))

    def factors_except(*excluded):
        keep = is_factor.copy()
        keep[list(excluded)] = False
        return float(np.prod(values[keep]))

    for i in range(k):
        if is_factor[i]:
            grad[parameters[i]] += base * factors_except(i) * derivatives[i]
            hess[parameters[i], parameters[i]] += base * factors_except(i) * seconds[i]
        else:
            grad[parameters[i]] += factors_except() * derivatives[i]
            hess[parameters[i], parameters[i]] += factors_except() * seconds[i]
        for j in range(k):
            if j == i or not (is_factor[i] or is_factor[j]):
                continue
            if is_factor[i] and is_factor[j]:
                second = base * factors_except(i, j) * derivatives[i] * derivatives[j]
            else:
                second = factors_except(i if is_factor[i] else j) * derivatives[i] * derivatives[j]
            hess[parameters[i], parameters[j]] += second
    return grad, hess


def nll_grad_hessian(model: CompiledModel, pars: np.ndarray, data: np.ndarray
                     ) -> tuple[float, np.ndarray, np.ndarray]:
    """-log L, its gradient and its Hessian (slow and plain: one entry, one term pair at a time).

    d2(-log L) = sum_b [(1 - n_b / lambda_b) d2 lambda_b + n_b / lambda_b^2 dlambda_b dlambda_b^T]
    plus 1 / sigma^2 (Gaussian constraints) and a / theta^2 (Poisson constraints, datum a).
    """
    pars = np.asarray(pars, dtype=float)
    data = np.asarray(data, dtype=float)
    value, grad = nll_and_grad(model, pars, data)
    if value == np.inf:
        return value, grad, np.full((pars.size, pars.size), np.nan)
    counts = data[:model.n_main]
    rates = expected_main(model, pars)
    n = pars.size
    jacobian = np.zeros((model.n_main, n))
    hess = np.zeros((n, n))
    weight = 1.0 - np.divide(counts, rates, out=np.zeros_like(rates), where=counts != 0)
    for entry in range(model.entry_bin.size):
        b = model.entry_bin[entry]
        entry_grad, entry_hess = _entry_rate_hessian(model, pars, entry)
        jacobian[b] += entry_grad
        hess += weight[b] * entry_hess
    curvature = np.divide(counts, rates**2, out=np.zeros_like(rates), where=counts != 0)
    hess += jacobian.T @ (curvature[:, None] * jacobian)
    theta = pars[model.aux_parameter]
    aux = data[model.n_main:]
    second = np.empty(aux.size)
    poisson = model.aux_is_poisson
    # a / theta^2 (zero where a = 0, theta then possibly 0); 1 / sigma^2
    second[poisson] = np.divide(aux[poisson], theta[poisson] ** 2, out=np.zeros(int(poisson.sum())),
                                where=aux[poisson] != 0)
    second[~poisson] = 1.0 / model.aux_width[~poisson] ** 2
    np.add.at(hess, (model.aux_parameter, model.aux_parameter), second)
    return value, grad, hess
