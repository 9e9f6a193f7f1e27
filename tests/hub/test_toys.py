"""Toy CLs: agreement with the asymptotic formulae for large counts, within the toys' stated
uncertainty, for the one-by-one and the lock-step (batch) fits; reproducibility."""

import numpy as np
import pytest

import likelihub as lh

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


def test_batch_and_single_fits_give_the_same_toys():
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
