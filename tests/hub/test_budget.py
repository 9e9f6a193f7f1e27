"""Every fit has a bounded budget: evaluations per fit, and a wall-clock limit per inference call;
BLAS runs one thread inside fits and is restored after them (likelihub.fits.budget, likelihub.fits.blas).

No number here depends on the machine: the budgets are counted in requests, and the wall-clock
tests use a backend that sleeps, so the limit is passed whatever the speed of the machine.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import likelihub as lh
from likelihub.errors import FitError, FitTimeLimitError
from likelihub.fits.budget import BudgetExhausted, Deadline
from likelihub.fits.engine import fit
from likelihub.fits.objective import MAX_REPEATS, MinimiserStuck, NegativeLogLikelihood

from .counting import BatchCountingBackend, CountingBackend


def objective(**budget):
    backend = CountingBackend(12, 6, 9, delta=0.2)
    return NegativeLogLikelihood(backend, backend.data, np.array([1.0, 0.0]), np.array([True, True]),
                                 **budget)


def test_every_request_is_charged_cached_or_not():
    f = objective(max_calls=5)
    x = np.array([1.0, 0.0])
    for _ in range(5):  # one evaluation, then four answers from the cache: five requests
        f.value_and_grad(x)
    assert f.n_evaluations == 1 and f.n_requests == 5
    with pytest.raises(BudgetExhausted, match="budget of 5 evaluations"):
        f.grad(x)


def test_a_minimiser_asking_for_one_point_over_and_over_is_stopped():
    # MIGRAD did this for ever where the gradient was NaN (the simplified plugin's n = 0 bins at
    # lambda = 0): no evaluation, so no call limit of MIGRAD's own ever ended it.
    f = objective()
    x = np.array([1.0, 0.0])
    with pytest.raises(MinimiserStuck):
        for _ in range(MAX_REPEATS + 1):
            f.grad(x)
    assert f.n_evaluations == 1


class SlowCounting(CountingBackend):
    """Sleeps 20 ms per evaluation: any inference call takes longer than the limits below."""

    def value_and_grad(self, pars, data):
        time.sleep(0.02)
        return super().value_and_grad(pars, data)


class SlowBatchCounting(BatchCountingBackend):
    def value_and_grad_batch(self, pars, data):
        time.sleep(0.02)
        return super().value_and_grad_batch(pars, data)

    def value_and_grad(self, pars, data):
        time.sleep(0.02)
        return super().value_and_grad(pars, data)


def test_the_time_limit_ends_a_cls_with_a_fit_error_naming_the_fit():
    model = lh.StatisticalModel(SlowCounting(12, 6, 9, delta=0.2), fit_options={"time_limit": 0.1})
    with pytest.raises(FitTimeLimitError, match=r"time limit of 0.1 s") as caught:
        model.cls(1.0)
    assert isinstance(caught.value, FitError)
    assert "[model: SlowCounting]" in str(caught.value) and "fit of the" in str(caught.value)


@pytest.mark.parametrize("backend_type", [SlowCounting, SlowBatchCounting])
def test_the_time_limit_ends_a_toy_run(backend_type):
    model = lh.StatisticalModel(backend_type(12, 6, 9, delta=0.2), fit_options={"time_limit": 0.5})
    with pytest.raises(FitTimeLimitError, match="time limit of 0.5 s"):
        model.cls(1.0, calculator="toys", ntoys=200, rng=np.random.default_rng(1))


def test_one_clock_for_all_the_fits_of_a_calculator():
    # An upper limit calls cls() many times on one calculator: all its fits share its deadline.
    model = lh.StatisticalModel(CountingBackend(12, 6, 9, delta=0.2), fit_options={"time_limit": 60})
    for name in ("asymptotic", "chi2", "toys"):
        calculator = model.calculator(name, ntoys=10, rng=np.random.default_rng(0))
        assert calculator.observed.deadline is calculator.deadline
        assert calculator.deadline.seconds == 60
    calculator = model.calculator()
    assert calculator.asimov.deadline is calculator.deadline


def test_no_time_limit_and_bad_limits():
    assert not Deadline.after(None).expired()
    with pytest.raises(ValueError, match="time_limit"):
        Deadline.after(-1.0)


def test_fit_options_budget_is_documented_and_reaches_every_fit():
    # max_calls bounds a whole fit (all attempts): a likelihood without minimum spends it exactly.
    class Unbounded(CountingBackend):
        def value_and_grad(self, pars, data):
            return float(pars[1]), np.array([0.0, 1.0])

    backend = Unbounded(10, 5, 8, delta=0.1)
    backend.config = backend.config.replace(bounds=[(0, 10), (-np.inf, np.inf)])
    with pytest.raises(FitError, match="budget of 300 evaluations") as caught:
        fit(backend, max_calls=300)
    assert caught.value.result.n_evaluations <= 300


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


class RecordsThreads(CountingBackend):
    """Records the BLAS thread counts its Hessian is computed with (inside the fit)."""

    seen: list

    def hessian(self, pars, data):
        self.seen.append(_blas_threads())
        return super().hessian(pars, data)


def test_fits_run_one_blas_thread_and_restore_the_setting():
    if not _blas_threads():
        pytest.skip("no BLAS library found by threadpoolctl")
    backend = RecordsThreads(12, 6, 9, delta=0.2)
    backend.seen = []
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        assert before == [2] * len(before)
        lh.StatisticalModel(backend).cls(1.0)
        after = _blas_threads()
    assert backend.seen and all(threads == [1] * len(before) for threads in backend.seen)
    assert after == before  # the user's setting is back once the call returns
