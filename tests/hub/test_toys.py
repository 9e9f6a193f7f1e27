"""Toy CLs: agreement with the asymptotic formulae for large counts, within the toys' stated
uncertainty, for the one-by-one and the lock-step (batch) fits; reproducibility."""

import numpy as np
import pytest

import likelihub as lh
from likelihub.fits import batch as batch_fit
from likelihub.fits import newton

from .counting import BatchCountingBackend, CountingBackend

# Large counts, where the asymptotic formulae hold (arXiv:1007.1727 sec. 3): b = 400, s = 40,
# CLs(mu = 1) ~ 0.1, a region where 400 toys per hypothesis measure it to ~0.02.
N, S, B, DELTA = 400.0, 40.0, 400.0, 0.02


@pytest.mark.parametrize("backend_type", [CountingBackend, BatchCountingBackend])
def test_toys_agree_with_asymptotics_for_large_counts(backend_type):
    model = lh.StatisticalModel(backend_type(N, S, B, DELTA))
    asymptotic = model.cls(1.0)
    toys = model.cls(1.0, calculator="toys", ntoys=400, rng=np.random.default_rng(7))
    assert toys.ntoys == 400 and toys.n_failed_fits == 0
    # 4 standard deviations of the toy estimate, plus 0.01 for what the asymptotic formulae miss.
    assert abs(toys.cls_obs - asymptotic.cls_obs) < 4 * toys.uncertainty_obs + 0.01
    for k in range(5):
        assert abs(toys.cls_exp[k] - asymptotic.cls_exp[k]) < 4 * toys.uncertainty_exp[k] + 0.01


@pytest.mark.parametrize("linalg", ["batched", "one by one"])
def test_batch_and_single_fits_give_the_same_toys(linalg, monkeypatch):
    # Both ways the lock-step fits solve their Newton steps (numpy's batched routines for few
    # parameters, LAPACK fit by fit for many; newton.BATCHED_LINALG_MAX_PARAMETERS).
    if linalg == "one by one":
        monkeypatch.setattr(newton, "BATCHED_LINALG_MAX_PARAMETERS", 0)
    single = lh.StatisticalModel(CountingBackend(N, S, B, DELTA))
    batch = lh.StatisticalModel(BatchCountingBackend(N, S, B, DELTA))
    a = single.cls(1.0, calculator="toys", ntoys=60, rng=np.random.default_rng(3))
    b = batch.cls(1.0, calculator="toys", ntoys=60, rng=np.random.default_rng(3))
    # Same seed, same toys; both fitters reach EDM < 1e-8, so the test statistics agree to ~1e-6
    # and the counts above q_obs are identical.
    assert a.cls_obs == b.cls_obs
    assert a.cls_exp == pytest.approx(b.cls_exp, abs=1e-6)


def test_toys_are_reproducible_and_fluctuate_auxiliary_data():
    model = lh.StatisticalModel(BatchCountingBackend(N, S, B, DELTA))
    first = model.cls(1.0, calculator="toys", ntoys=50, rng=np.random.default_rng(11))
    again = model.cls(1.0, calculator="toys", ntoys=50, rng=np.random.default_rng(11))
    assert first.to_dict() == again.to_dict()
    toys = model.sample([1.0, 0.0], 2000, np.random.default_rng(0))
    # Auxiliary datum a ~ N(theta = 0, 1): its sample standard deviation is 1 within ~4/sqrt(2000).
    assert toys[:, 1].std() == pytest.approx(1.0, abs=0.07)
    assert np.all(toys[:, 0] == np.round(toys[:, 0]))


def test_toy_upper_limit_is_near_the_asymptotic_one():
    model = lh.StatisticalModel(BatchCountingBackend(N, S, B, DELTA))
    asymptotic = model.upper_limit(expected="observed").observed
    toys = model.upper_limit(calculator="toys", expected="observed", ntoys=300,
                             rng=np.random.default_rng(5)).observed
    # The limit moves by ~ sigma_mu * dCLs / (dCLs/dmu); 15% covers 300 toys' fluctuations.
    assert toys == pytest.approx(asymptotic, rel=0.15)


def test_toys_need_a_sampler():
    class NoSampler(CountingBackend):
        def __init__(self):
            super().__init__(N, S, B)
            self.config = self.config.replace(data_layout=None)

    with pytest.raises(lh.errors.CapabilityError, match="sample"):
        lh.StatisticalModel(NoSampler()).cls(1.0, calculator="toys", ntoys=5)


def test_toys_in_chunks_on_processes_equal_serial_toys():
    # 2500 toys per hypothesis run as three chunks of at most 1000, each with its own stream: on a
    # pool of two processes the result is identical to running them here.
    model = lh.StatisticalModel(BatchCountingBackend(N, S, B, DELTA))
    here = model.cls(1.0, calculator="toys", ntoys=2500, rng=np.random.default_rng(21))
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        there = model.cls(1.0, calculator="toys", ntoys=2500, rng=np.random.default_rng(21),
                          executor=pool)
    assert there.to_dict() == here.to_dict()


@pytest.mark.parametrize("linalg", ["batched", "one by one"])
def test_lock_step_fits_converge_without_the_fallback(linalg, monkeypatch):
    # The lock-step Newton must reach every minimum itself (the one-by-one fallback fits would
    # hide a wrong step): 200 toys, free and at mu = 1, each minimum equal to the one-by-one fit's
    # (both reach EDM < 1e-8: -log L to ~1e-8).
    if linalg == "one by one":
        monkeypatch.setattr(newton, "BATCHED_LINALG_MAX_PARAMETERS", 0)
    backend = BatchCountingBackend(N, S, B, DELTA)
    rng = np.random.default_rng(11)
    toys = np.column_stack([rng.poisson(S + B, 200), rng.normal(0.0, 1.0, 200)]).astype(float)
    fallbacks = []
    original = batch_fit.fit
    monkeypatch.setattr(batch_fit, "fit", lambda *a, **k: fallbacks.append(1) or original(*a, **k))
    for fixed in (None, {0: 1.0}):
        fits = batch_fit.fit_batch(backend, toys, fixed_values=fixed)
        nll, converged = fits.nll, fits.converged
        assert converged.all() and not fallbacks
        for i in range(0, 200, 40):
            single = lh.fits.engine.fit(backend, toys[i], fixed_values=fixed)
            assert nll[i] == pytest.approx(single.nll, abs=1e-7)


class UnboundedForSomeToys(BatchCountingBackend):
    """The counting model, except that toys with n > 480 (~3% of the signal-plus-background toys at
    mu = 1, none of the background-only ones) have log L = 10 theta: no minimum, fits never converge."""

    def _parts(self, pars, data):
        value, grad, hess = super()._parts(pars, data)
        bad = np.asarray(data, float)[..., 0] > 480
        theta = np.asarray(pars, float)[..., 1]
        value = np.where(bad, 10.0 * theta, value)
        grad = np.where(bad[..., None], np.stack([np.zeros_like(theta), np.full_like(theta, 10.0)], -1), grad)
        hess = np.where(bad[..., None, None], 0.0, hess)
        return value, grad, hess


@pytest.mark.parametrize("batch", [True, False], ids=["lock-step", "one by one"])
def test_toys_whose_fits_fail_are_counted_not_fatal(batch, monkeypatch):
    from likelihub.infer import toys as toys_module

    if not batch:
        monkeypatch.setattr(toys_module, "supports_batch_fits", lambda backend: False)
    requests = []
    real_fit = toys_module.fit if batch else None
    if batch:  # the fallback fits of toys the lock-step fitter leaves: within their budget
        def counted(*args, **kwargs):
            result = real_fit(*args, **kwargs)
            requests.append(kwargs["max_calls"])
            return result
        monkeypatch.setattr("likelihub.fits.batch.fit", counted)
    backend = UnboundedForSomeToys(N, S, B, DELTA)
    backend.config = backend.config.replace(bounds=[(0.0, 10.0), (-np.inf, np.inf)])
    # Toys fitted one by one keep the fit options' budget (the lock-step fallbacks get
    # TOY_FIT_MAX_CALLS): a small one keeps this test short.
    model = lh.StatisticalModel(backend, fit_options={} if batch else {"max_calls": 2000})
    with pytest.warns(RuntimeWarning, match="toys failed at mu = 1"):
        result = model.cls(1.0, calculator="toys", ntoys=200, rng=np.random.default_rng(4))
    assert 0 < result.n_failed_fits < 0.1 * 400 and 0 < result.cls_obs < 1
    assert (requests or not batch) and all(limit == toys_module.TOY_FIT_MAX_CALLS for limit in requests)


def test_too_many_failed_toys_are_an_error(monkeypatch):
    from likelihub.infer import toys as toys_module

    monkeypatch.setattr(toys_module, "MAX_FAILED_FRACTION", 0.001)
    backend = UnboundedForSomeToys(N, S, B, DELTA)
    backend.config = backend.config.replace(bounds=[(0.0, 10.0), (-np.inf, np.inf)])
    with pytest.raises(lh.errors.FitError, match=r"toys failed at mu = 1 \(more than 0.1%\)"):
        lh.StatisticalModel(backend).cls(1.0, calculator="toys", ntoys=200, rng=np.random.default_rng(4))


def test_the_progress_bar_shows_toys_and_changes_no_number(capsys):
    model = lh.StatisticalModel(BatchCountingBackend(N, S, B, DELTA))
    quiet = model.cls(1.0, calculator="toys", ntoys=300, rng=np.random.default_rng(9), progress=False)
    assert "toy" not in capsys.readouterr().err
    shown = model.cls(1.0, calculator="toys", ntoys=300, rng=np.random.default_rng(9), progress=True)
    assert "600/600" in capsys.readouterr().err  # both hypotheses, in sub-batches
    assert shown.to_dict() == quiet.to_dict()
