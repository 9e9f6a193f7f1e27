"""Toy CLs: agreement with the asymptotic formulae for large counts, within the toys' stated
uncertainty, for the one-by-one and the lock-step (batch) fits; reproducibility."""

import numpy as np
import pytest

import likelihub as lh
from likelihub import batch_fit

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
    # parameters, LAPACK fit by fit for many; batch_fit.BATCHED_LINALG_MAX_PARAMETERS).
    if linalg == "one by one":
        monkeypatch.setattr(batch_fit, "BATCHED_LINALG_MAX_PARAMETERS", 0)
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
        monkeypatch.setattr(batch_fit, "BATCHED_LINALG_MAX_PARAMETERS", 0)
    backend = BatchCountingBackend(N, S, B, DELTA)
    rng = np.random.default_rng(11)
    toys = np.column_stack([rng.poisson(S + B, 200), rng.normal(0.0, 1.0, 200)]).astype(float)
    fallbacks = []
    original = batch_fit.fit
    monkeypatch.setattr(batch_fit, "fit", lambda *a, **k: fallbacks.append(1) or original(*a, **k))
    for fixed in (None, {0: 1.0}):
        values, nll, converged = batch_fit.fit_batch(backend, toys, fixed_values=fixed)
        assert converged.all() and not fallbacks
        for i in range(0, 200, 40):
            single = lh.optimize.fit(backend, toys[i], fixed_values=fixed)
            assert nll[i] == pytest.approx(single.nll, abs=1e-7)
