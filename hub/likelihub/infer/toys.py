"""CLs from pseudo-experiments (toys).

For a tested mu, toys are drawn at the conditional fits of the observed data with the POI at
mu (signal plus background) and at 0 (background only), fluctuating the main AND the auxiliary
data. The test statistic of each toy is computed with its own fits. As in pyhf's
``ToyCalculator``: CLs+b = P(q >= q_obs | s+b), CLb = P(q >= q_obs | b), CLs = CLs+b / CLb; the
expected band is the distribution of CLs over the background-only toys, at the quantiles
Phi(n) for n = -2..2 (or 2.5..97.5% with ``band="percentiles"``). Uncertainties: binomial for
the observed values, bootstrap for the band.

Toys come in chunks of :data:`CHUNK_SIZE`, each with its own random stream derived from one seed,
the tested mu, the hypothesis and the chunk's index: a CLs(mu) curve is reproducible (its root
finding well defined), and the chunks may run anywhere (``executor=``: local processes or a Dask
cluster, as for scans, :func:`likelihub.running.scanning.run_scan`) with the same result.

Every toy fit is bounded (:mod:`likelihub.fits.budget`): the calculator's ``time_limit`` covers all of
them, and a fit the lock-step fitter leaves gets :data:`TOY_FIT_MAX_CALLS` evaluations. Toys whose
fits fail are left out and counted (``n_failed_fits``, with a warning); ``progress=True`` (the
default on a terminal) shows a tqdm bar of the toys.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.errors import CapabilityError, FitError, FitTimeLimitError
from likelihub.fits.batch import fit_batch, lockstep_newton, supports_batch_fits
from likelihub.fits.blas import single_blas_thread
from likelihub.fits.budget import DEFAULT_MAX_CALLS, Deadline, deadline_from
from likelihub.fits.engine import fit, model_label
from likelihub.infer.profile import Profiler, poi_bounds_for
from likelihub.infer.test_statistics import statistics_from_minima, test_statistic_value
from likelihub.results import BANDS, CLsResult
from likelihub.running.scanning import ScanPoint, run_scan

__all__ = ["ToyCalculator", "draw_toys", "toy_test_statistics", "empirical_cls"]

#: Largest fraction of toys whose fits may fail before the result is refused. Failed toys are left
#: out of the distributions, counted in ``CLsResult.n_failed_fits`` and reported by a warning: on
#: ATLAS 1Lbb about 2.5% of the toys (48 of 2,000) have an empty bin whose expected count the
#: nuisance parameters can drive below zero, where HistFactory's -log L (= lambda there, as in
#: pyhf) keeps falling, to -1e6 .. -8e6 at the corners of the parameter box: their fits find no
#: valid minimum.
MAX_FAILED_FRACTION = 0.1

#: Toys per chunk; each chunk has its own random stream.
CHUNK_SIZE = 1000

#: Evaluations that one fit of a toy may spend once the lock-step fitter has left it (or the fit
#: options' ``max_calls`` where lower): a toy fit that does not converge in that many is a failed
#: toy, so that one pathological toy cannot hold up the others (:mod:`likelihub.fits.budget`).
TOY_FIT_MAX_CALLS = 2_000

#: Seconds between updates of the progress bar, which the toys of one chunk are fitted for in
#: sub-batches (the same numbers: each toy's fits are independent of the others in the batch).
PROGRESS_INTERVAL = 1.0

#: The toys of a chunk are fitted in lock-step in batches whose (toys, P, P) Hessians take at most
#: this many bytes (ATLAS 1Lbb, 126 parameters: 264 toys), so that memory does not grow with
#: the chunk (1000 toys of 1Lbb at once: 3 GB).
BATCH_BYTES = 2**25


def require_sampler(backend) -> None:
    """Raise :class:`~likelihub.errors.CapabilityError` unless toys can be drawn from ``backend``."""
    if not capabilities(backend).toys:
        raise CapabilityError(
            "toys need a backend with sample(pars, size, rng) or a config.data_layout; "
            f"{type(backend).__name__} has neither"
        )


def draw_toys(backend, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` pseudo-data sets at ``pars``: the backend's ``sample`` or its ``data_layout``."""
    require_sampler(backend)
    if capabilities(backend).sampling:
        return np.asarray(backend.sample(pars, size, rng), dtype=float)
    return backend.config.data_layout.sample(np.asarray(backend.expected_data(pars), dtype=float),
                                             size, rng)


def _toy_fit_options(fit_options: Mapping | None, backend) -> dict:
    """The fit options of toys: the calculator's deadline holds (not a new time limit), and the
    fits that the lock-step fitter leaves get :data:`TOY_FIT_MAX_CALLS` evaluations (toys fitted
    one by one, all with MIGRAD where the backend has no Hessian, keep the fit options' budget)."""
    options = dict(fit_options or {})
    options.pop("time_limit", None)
    if supports_batch_fits(backend):
        options["max_calls"] = min(int(options.get("max_calls", DEFAULT_MAX_CALLS)), TOY_FIT_MAX_CALLS)
    return options


def toy_test_statistics(backend, toys: np.ndarray, mu: float, bounds: np.ndarray,
                        test_statistic: str, start: np.ndarray,
                        fit_options: Mapping | None = None, deadline: Deadline | None = None,
                        label: str = "toy", report: Callable[[int], None] | None = None,
                        first: int = 0) -> tuple[np.ndarray, int]:
    """The test statistic of every toy, and the number of toys whose fits failed (NaN there).

    Backends with batch derivatives are fitted in lock-step (:func:`likelihub.fits.batch.fit_batch`),
    others one toy at a time. Each toy's free and conditional fits are also started from each
    other's minimum and the lower minima kept (:meth:`Profiler.cross_check`). A fit left by the
    lock-step fitter gets :data:`TOY_FIT_MAX_CALLS` evaluations; a toy whose fits fail counts as
    failed. A toy with events where the expected count at ``mu`` is zero whatever the other
    parameters (-log L = inf at mu, finite elsewhere) has q = inf: it excludes mu. Toys are fitted
    in batches of bounded memory (:data:`BATCH_BYTES`), smaller ones where ``report(n)`` is given,
    which is called as toys are done (about every :data:`PROGRESS_INTERVAL` seconds); past the
    ``deadline``, :class:`~likelihub.fits.budget.FitTimeLimitError` is raised. Toy k is named
    "<label> <first + k>" in messages.
    """
    deadline = deadline_from(fit_options, deadline)
    options = _toy_fit_options(fit_options, backend)
    n_parameters = backend.config.n_parameters
    largest = int(np.clip(BATCH_BYTES // (8 * n_parameters**2), 8, CHUNK_SIZE))
    values, failed, done, size = [], 0, 0, (8 if report is not None else largest)
    while done < len(toys):
        begin = time.perf_counter()
        q, bad = _test_statistics(backend, toys[done:done + size], mu, bounds, test_statistic, start,
                                  options, deadline, label, first + done)
        values.append(q)
        failed += bad
        done += len(q)
        if report is not None:
            report(len(q))
            seconds = time.perf_counter() - begin
            size = int(np.clip(size * PROGRESS_INTERVAL / max(seconds, 1e-3), 8, largest))
    return np.concatenate(values), failed


def _test_statistics(backend, toys, mu, bounds, test_statistic, start, options, deadline, label,
                     first: int) -> tuple[np.ndarray, int]:
    with single_blas_thread():
        if supports_batch_fits(backend):
            return _batch_test_statistics(backend, toys, mu, bounds, test_statistic, start, options,
                                          deadline, label, first)
        options = dict(options, raise_on_failure=True)
        values = np.full(len(toys), np.nan)
        failed = 0
        for i, toy in enumerate(toys):
            profiler = Profiler(backend, toy, bounds, options, start=start, label=f"{label} {first + i}",
                                deadline=deadline)
            try:
                profiler.cross_check(mu)
                values[i] = test_statistic_value(test_statistic, profiler, mu)
            except FitTimeLimitError:
                raise
            except FitError:
                failed += 1
        return values, failed


def _batch_test_statistics(backend, toys, mu, bounds, test_statistic, start, options, deadline, label,
                           first):
    poi = backend.config.require_poi()
    edm = {"edm_max": options.pop("edm_max")} if "edm_max" in options else {}
    batch = {"bounds": bounds, "fit_options": options, "deadline": deadline, **edm}
    free = fit_batch(backend, toys, init=start, label=label, first=first, **batch)
    free_values, free_nll, free_ok = free.values, free.nll, free.converged
    conditional_start = np.array(start, dtype=float)
    conditional_start[poi] = mu
    conditional = fit_batch(backend, toys, fixed_values={poi: mu}, init=conditional_start, label=label,
                            first=first, **batch)
    conditional_values, conditional_nll, conditional_ok = (conditional.values, conditional.nll,
                                                           conditional.converged)
    # Each fit again from the other's minimum, the lower minimum wins: toys of low-count models
    # can have several local minima (Profiler.cross_check does the same one toy at a time).
    # Lock-step only: a cross-check that does not converge leaves the first fit standing.
    seeds = free_values.copy()
    seeds[:, poi] = mu
    other = lockstep_newton(backend, toys, fixed_values={poi: mu}, init=seeds, bounds=bounds,
                            deadline=deadline, **edm)
    better = other.converged & (other.nll < conditional_nll)
    conditional_nll[better], conditional_ok[better] = other.nll[better], True
    seeds = np.clip(conditional_values, bounds[:, 0], bounds[:, 1])
    other = lockstep_newton(backend, toys, init=seeds, bounds=bounds, deadline=deadline, **edm)
    better = other.converged & (other.nll < free_nll)
    free_values[better], free_nll[better], free_ok[better] = other.values[better], other.nll[better], True
    missed = np.flatnonzero(free_nll > conditional_nll + 1e-6)
    for i in missed:  # the free fit missed the minimum the conditional fit found: redo it
        refit = fit(backend, toys[i], init=free_values[i], bounds=bounds, deadline=deadline,
                    description=f"free fit of {label} {first + i}",
                    **dict(options, raise_on_failure=False, **edm))
        free_nll[i], free_values[i], free_ok[i] = refit.nll, refit.values, refit.converged
    # Events where the expected count at mu is zero whatever the other parameters: -log L = inf at
    # mu from every start, finite with mu free: the toy excludes mu (q = inf).
    impossible = free_ok & np.isinf(conditional_nll) & (conditional_nll > 0)
    conditional_ok = conditional_ok | impossible
    t = statistics_from_minima(test_statistic, conditional_nll, free_nll, free_values[:, poi], mu)
    ok = free_ok & conditional_ok
    return np.where(ok, t, np.nan), int(np.count_nonzero(~ok))


@dataclass
class ToyChunk:
    """Draws one chunk of toys and computes their test statistics (picklable, for executors)."""

    backend: object
    mu: float
    bounds: np.ndarray
    test_statistic: str
    generating_pars: np.ndarray
    fit_options: Mapping | None = None
    deadline: Deadline | None = None
    label: str = "toy"

    def __call__(self, point: ScanPoint, report: Callable[[int], None] | None = None) -> dict:
        seed_sequence, size, first = point.payload
        toys = draw_toys(self.backend, self.generating_pars, size, np.random.default_rng(seed_sequence))
        q, failed = toy_test_statistics(self.backend, toys, self.mu, self.bounds, self.test_statistic,
                                        self.generating_pars, self.fit_options, self.deadline,
                                        self.label, report, first)
        return {"q": q, "failed": failed}


def empirical_cls(q_obs: float | np.ndarray, q_sb: np.ndarray, q_b: np.ndarray):
    """(CLs, CLs+b, CLb) for one or many observed values, from sorted toy distributions."""
    q_sb, q_b = np.sort(q_sb), np.sort(q_b)
    q_obs = np.asarray(q_obs, dtype=float)
    clsb = 1.0 - np.searchsorted(q_sb, q_obs, side="left") / q_sb.size
    clb = 1.0 - np.searchsorted(q_b, q_obs, side="left") / q_b.size
    with np.errstate(divide="ignore", invalid="ignore"):
        cls = np.where(clb > 0, clsb / clb, 1.0)
    return cls, clsb, clb


def _band(q_sb: np.ndarray, q_b: np.ndarray, quantiles: tuple = BANDS["sigma"]) -> np.ndarray:
    cls_of_b, _, _ = empirical_cls(q_b, q_sb, q_b)
    return np.quantile(cls_of_b, quantiles)


class ToyCalculator:
    """CLs from toys.

    Parameters
    ----------
    backend
        Object satisfying the backend contract, with ``sample`` or a ``config.data_layout``.
    data
        Observed data.
    test_statistic
        ``"qtilde"`` (default) or ``"q"``.
    ntoys
        Toys per hypothesis (signal plus background, and background only).
    rng
        Random generator; one seed is drawn from it, and each mu gets its own stream.
    fit_options
        Keywords for :func:`likelihub.fits.engine.fit`.
    bootstrap
        Resamplings for the uncertainty of the expected band.
    executor
        Where the chunks of toys run (see :func:`likelihub.running.scanning.run_scan`); here by default.
    progress
        Show a tqdm progress bar of the toys (default None: when standard error is a terminal).
    band
        The expected band's quantiles, ``"sigma"`` or ``"percentiles"`` (:data:`likelihub.results.BANDS`).

    The fit options' ``time_limit`` bounds all the calculator's fits together, from its creation
    (:mod:`likelihub.fits.budget`), toys in other processes included; each fit of a toy that the
    lock-step fitter leaves gets at most :data:`TOY_FIT_MAX_CALLS` evaluations.
    """

    name = "toys"

    def __init__(self, backend, data: np.ndarray, test_statistic: str = "qtilde",
                 ntoys: int = 2000, rng: np.random.Generator | None = None,
                 fit_options: Mapping | None = None, bootstrap: int = 200, executor=None,
                 progress: bool | None = None, band: str = "sigma"):
        if ntoys < 1:
            raise ValueError(f"ntoys must be positive, got {ntoys}")
        require_sampler(backend)
        self.backend = backend
        self.test_statistic = test_statistic
        self.ntoys = int(ntoys)
        self.fit_options = fit_options
        self.bootstrap = bootstrap
        self.band = band
        self._quantiles = BANDS[band]
        self.executor = executor
        on_terminal = callable(getattr(sys.stderr, "isatty", None)) and sys.stderr.isatty()
        self.progress = on_terminal if progress is None else bool(progress)
        self.seed = int((rng or np.random.default_rng()).integers(2**63))
        self.bounds = poi_bounds_for(backend.config, test_statistic)
        self.deadline = deadline_from(fit_options)
        self.observed = Profiler(backend, data, self.bounds, fit_options, deadline=self.deadline)

    def _seed_sequence(self, mu: float, stream: int, chunk: int = 0) -> np.random.SeedSequence:
        key = (int(np.float64(mu).view(np.uint64)), stream, chunk)
        return np.random.SeedSequence(self.seed, spawn_key=key)

    def _rng(self, mu: float, stream: int) -> np.random.Generator:
        return np.random.default_rng(self._seed_sequence(mu, stream))

    def _distribution(self, mu: float, generating_mu: float, stream: int, bar) -> tuple[np.ndarray, int]:
        pars = self.observed.conditional_fit(generating_mu).values
        label = f"{'background-only' if stream else 'signal-plus-background'} toy (mu = {mu:g})"
        starts = range(0, self.ntoys, CHUNK_SIZE)
        chunks = [ScanPoint(f"chunk {k}", payload=(self._seed_sequence(mu, stream, k + 1),
                                                   min(CHUNK_SIZE, self.ntoys - first), first))
                  for k, first in enumerate(starts)]
        evaluate = ToyChunk(self.backend, float(mu), self.bounds, self.test_statistic, pars,
                            self.fit_options, self.deadline, label)
        if self.executor is None or self.executor == "serial":
            report = None if bar is None else bar.update
            rows = [evaluate(chunk, report) for chunk in chunks]
        else:
            rows = run_scan(chunks, evaluate, executor=self.executor, progress=False)
            if bar is not None:
                bar.update(self.ntoys)
        broken = [row["error"] for row in rows if row.get("error")]
        if broken:
            error = FitTimeLimitError if broken[0].startswith(FitTimeLimitError.__name__) else FitError
            raise error(f"toys at mu = {mu} failed: {broken[0]}")
        return (np.concatenate([row["q"] for row in rows]),
                sum(int(row["failed"]) for row in rows))

    def _distributions(self, mu: float):
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            # leave=None: a bar nested in another (an upper limit's) goes when done
            bar = tqdm(total=2 * self.ntoys, unit="toy", desc=f"toys at mu = {mu:g}", leave=None)
        try:
            return self._distribution(mu, mu, 0, bar), self._distribution(mu, 0.0, 1, bar)
        finally:
            if bar is not None:
                bar.close()

    def cls(self, mu: float, expected: str = "all") -> CLsResult:
        """CLs at ``mu`` from toys: ``expected`` is "observed", "expected" (the band) or "all"."""
        if expected not in ("observed", "expected", "all"):
            raise ValueError(f"expected must be 'observed', 'expected' or 'all', got {expected!r}")
        (q_sb, failed_sb), (q_b, failed_b) = self._distributions(float(mu))
        failed = failed_sb + failed_b
        if failed > MAX_FAILED_FRACTION * 2 * self.ntoys:
            raise FitError(f"{failed} of {2 * self.ntoys} toys failed at mu = {mu:g} (more than "
                           f"{100 * MAX_FAILED_FRACTION:g}%): their fits found no valid minimum "
                           f"[model: {model_label(self.backend)}]")
        if failed:
            warnings.warn(f"{failed} of {2 * self.ntoys} toys failed at mu = {mu:g} (their fits found "
                          "no valid minimum) and were left out; see CLsResult.n_failed_fits",
                          RuntimeWarning, stacklevel=2)
        q_sb, q_b = q_sb[np.isfinite(q_sb)], q_b[np.isfinite(q_b)]
        result = CLsResult(mu=float(mu), cls_obs=None, cls_exp=None, clsb_obs=None, clb_obs=None,
                           test_statistic=self.test_statistic, calculator=self.name,
                           ntoys=self.ntoys, n_failed_fits=failed, band=self.band)
        if expected in ("observed", "all"):
            q_obs = test_statistic_value(self.test_statistic, self.observed, mu)
            cls, clsb, clb = (float(v) for v in empirical_cls(q_obs, q_sb, q_b))
            # Binomial errors, floored at one toy: a fraction of 0 out of N is known to ~1/N.
            err_sb = max(np.sqrt(clsb * (1 - clsb) / q_sb.size), 1.0 / q_sb.size)
            err_b = max(np.sqrt(clb * (1 - clb) / q_b.size), 1.0 / q_b.size)
            result.cls_obs, result.clsb_obs, result.clb_obs = cls, clsb, clb
            result.test_statistic_obs = float(q_obs)
            result.uncertainty_obs = float(np.hypot(err_sb / clb, cls * err_b / clb)) if clb > 0 else 1.0
        if expected in ("expected", "all"):
            result.cls_exp = _band(q_sb, q_b, self._quantiles).tolist()
            rng = self._rng(mu, 2)
            draws = np.array([
                _band(rng.choice(q_sb, q_sb.size), rng.choice(q_b, q_b.size), self._quantiles)
                for _ in range(self.bootstrap)
            ])
            # Bootstrap spread, floored at one signal-plus-background toy over CLb = Phi(n).
            resolution = 1.0 / (q_sb.size * np.array(self._quantiles))
            result.uncertainty_exp = np.hypot(draws.std(axis=0), resolution).tolist()
        return result
