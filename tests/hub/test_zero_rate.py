"""-log L = inf where a bin with events has a zero expected count: fits step away, inference stays finite.

The backend (tests/hub/counting.py ZeroRateBackend): bin A with no background and signal s_A = 1,
n_A = 1 observed; bin B with rate mu s_B + b (1 + delta theta), b = 10, delta = 0.1, n_B = 12, and
theta ~ N(0 | theta, 1). At mu = 0, lambda_A = 0 < n_A whatever theta: log L = -inf there, with a
NaN gradient (the worst a backend may report).

Origins: (1) the conditional fit at mu = 0 is the limit mu -> 0+ (likelihub.fits.engine): bin A's
term n_A ln(mu s_A) - mu s_A does not depend on theta, so theta is that of bin B alone, which
solves lambda^2 + ((b delta)^2 - b) lambda - n_B (b delta)^2 = 0 for lambda = b (1 + delta theta)
(d/dtheta of n_B ln(lambda) - lambda - theta^2 / 2 = 0); (2) the CLs and limits are checked against
an independent profile with scipy's L-BFGS-B (in the test) through the asymptotic formulas.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import likelihub as lh
from likelihub.infer.asymptotic import asymptotic_pvalues
from likelihub.infer.toys import toy_test_statistics

from .counting import ZeroRateBackend

B, DELTA, N_B = 10.0, 0.1, 12.0


def theta_limit() -> float:
    c = (B * DELTA) ** 2 - B
    lam = 0.5 * (-c + np.sqrt(c * c + 4.0 * N_B * (B * DELTA) ** 2))
    return (lam - B) / (B * DELTA)


# EDM < 1e-8 with d2(-log L)/dtheta2 ~ 1.1 allows |theta - theta-hat| < 1.4e-4; the limit's
# mu = 1e-9 moves theta by ~1e-10.
THETA_TOLERANCE = 2e-4


def test_conditional_fit_where_log_l_is_infinite_is_the_limit():
    model = lh.StatisticalModel(ZeroRateBackend())
    assert model.logpdf([0.0, 0.3]) == -np.inf
    result = model.fixed_poi_fit(0.0)
    assert result.nll == np.inf and result.converged and result.values[0] == 0.0
    assert result.values[1] == pytest.approx(theta_limit(), abs=THETA_TOLERANCE)
    assert "limit mu -> 0" in result.method


def test_asimov_data_of_the_limit_have_a_zero_count_in_the_zero_rate_bin():
    model = lh.StatisticalModel(ZeroRateBackend())
    asimov = model.asimov_data(0.0)
    theta = theta_limit()
    assert asimov[0] == 0.0  # exactly: the POI is reported at 0, not at 0 + 1e-9
    # B's count and the global observable at the limit's theta (within the fit's tolerance).
    assert asimov[1:] == pytest.approx([B * (1 + DELTA * theta), theta], abs=B * DELTA * THETA_TOLERANCE)


def test_a_start_where_log_l_is_infinite_is_moved():
    model = lh.StatisticalModel(ZeroRateBackend())
    moved = model.fit(init=[0.0, 0.0])
    default = model.fit()
    assert moved.converged and moved.nll == pytest.approx(default.nll, abs=1e-8)


def _profile(data, mu=None):
    """min over (mu, theta) or theta of -log L, by scipy (mu >= 0 as for q~)."""
    backend = ZeroRateBackend()

    def nll(x):
        pars = [mu, x[0]] if mu is not None else x
        value = -backend.logpdf(pars, data)
        return value if np.isfinite(value) else 1e300

    if mu is None:
        best = min((minimize(nll, start, method="L-BFGS-B", bounds=[(0, 20), (-5, 5)],
                             options={"ftol": 1e-14, "gtol": 1e-10}) for start in ([1, 0], [2, 0.5])),
                   key=lambda r: r.fun)
    else:
        best = minimize(nll, [0.0], method="L-BFGS-B", bounds=[(-5, 5)],
                        options={"ftol": 1e-14, "gtol": 1e-10})
    return best.fun


def test_cls_and_limits_are_finite_and_right():
    model = lh.StatisticalModel(ZeroRateBackend())
    result = model.cls(1.0)
    theta = theta_limit()
    asimov = np.array([0.0, B * (1 + DELTA * theta), theta])
    observed = ZeroRateBackend().data
    sqrt_q = np.sqrt(max(2 * (_profile(observed, 1.0) - _profile(observed)), 0.0))
    sqrt_qa = np.sqrt(max(2 * (_profile(asimov, 1.0) - _profile(asimov)), 0.0))
    expected_cls = asymptotic_pvalues(sqrt_q, sqrt_qa, "qtilde")[0]
    # Both profiles reach their minima to ~1e-8 in -log L: CLs to ~1e-5 relative.
    assert result.cls_obs == pytest.approx(expected_cls, rel=1e-4)
    limit = model.upper_limit()
    assert np.isfinite(limit.observed) and all(np.isfinite(limit.expected))
    assert model.cls(limit.observed, expected="observed").cls_obs == pytest.approx(0.05, abs=1e-5)
    assert model.significance().z_obs == np.inf  # events where mu = 0 expects none: p = 0


@pytest.mark.parametrize("batch", [True, False], ids=["lock-step", "one by one"])
def test_toys_do_not_fail_on_zero_rate_points(batch, monkeypatch):
    backend = ZeroRateBackend()
    if not batch:
        monkeypatch.setattr(lh.infer.toys, "supports_batch_fits", lambda b: False)
    model = lh.StatisticalModel(backend)
    result = model.cls(1.0, calculator="toys", ntoys=100, rng=np.random.default_rng(3))
    assert result.n_failed_fits == 0 and 0 < result.cls_obs < 1
    # Toys with an event in bin A tested at mu = 0 (where they are impossible): their conditional
    # fit is infinite, their free fit is not; q_0 (one-sided, mu-hat > 0) is 0, not a failure.
    toys = np.array([[1.0, 12.0, 0.0], [0.0, 12.0, 0.0], [2.0, 9.0, -0.5]])
    q, failed = toy_test_statistics(backend, toys, 0.0, np.array(backend.config.bounds), "qtilde",
                                    np.array([0.0, 0.0]))
    assert failed == 0 and np.all(np.isfinite(q))


def test_a_likelihood_infinite_everywhere_is_a_fit_error():
    # s_A = 0: bin A expects nothing at any mu but has an event. No limit to take: a FitError (the
    # limit is looked for once, at mu +- 1e-9, not again from there).
    model = lh.StatisticalModel(ZeroRateBackend(s_a=0.0))
    for fixed in ({"mu": 1.0}, None):
        with pytest.raises(lh.errors.FitError, match="best -log L inf"):
            model.fit(fixed=fixed)
