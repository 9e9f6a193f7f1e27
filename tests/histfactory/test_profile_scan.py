"""Profile scans of HistFactory models (lock-step batches of the HistFactory kernels).

Origins: every grid value against a direct conditional fit of the same model
(``model.fit(fixed=...)``, Newton then MIGRAD, one point at a time); the 1D crossings against
``profile_interval`` and iminuit's MINOS on the same -log L (tests/histfactory/data/multi_channel.json);
ATLAS SUSY-2019-08 1Lbb (../shared/data, C1N2_Wh_hbb_300_150) on a 4 x 4 grid of mu_SIG and mu_W.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from iminuit import Minuit

import likelihub as lh

MULTI = Path(__file__).parent / "data" / "multi_channel.json"
# HistFactory models fit to EDM <= 1e-10 (likelihub_histfactory.factory.FIT_OPTIONS); -log L lies
# within about the EDM of the minimum, so two fits' 2 Delta NLL agree to ~4e-10 where they reach
# the same minimum. The issue asks for 1e-6; we assert 1e-7.
SAME_MINIMUM = 1e-7


@pytest.fixture(scope="module")
def multi():
    return lh.get_backend("histfactory")(MULTI)


def assert_grid_is_direct_fits(model, scan, best_nll):
    for point in np.ndindex(*scan.shape):
        fixed = {name: float(scan.grid[a][k]) for a, (name, k) in enumerate(zip(scan.parameters, point,
                                                                                 strict=True))}
        direct = model.fit(fixed=fixed, uncertainties=False)
        assert scan.twice_delta_nll[point] == pytest.approx(2 * (direct.nll - best_nll), abs=SAME_MINIMUM)


def test_2d_scan_of_two_normfactors_is_direct_fits(multi):
    scan = multi.profile_scan({"mu": (0.0, 3.0, 7), "mu_ttbar": (0.8, 1.2, 6)})
    assert scan.all_converged and set(scan.methods.ravel()) == {"newton (lock-step)"}
    best = multi.fit()
    assert scan.best_fit.nll == pytest.approx(best.nll, abs=1e-9)
    assert scan.twice_delta_nll.min() >= -SAME_MINIMUM  # never below the global best fit
    assert_grid_is_direct_fits(multi, scan, best.nll)
    # Contours: linear interpolation on a cell edge misses a quadratic's level by at most the
    # edge's second difference / 8 (likelihub.infer.contours); the grid's largest second
    # differences give that bound, doubled for the likelihood's departure from a quadratic.
    t = scan.twice_delta_nll
    bound = 2 * max(np.abs(np.diff(t, 2, axis=k)).max() for k in (0, 1)) / 8
    for contour in scan.contours():
        assert contour.lines
        for line in contour.lines:
            for x, y in line[:: max(1, len(line) // 6)]:
                direct = multi.fit(fixed={"mu": x, "mu_ttbar": y}, uncertainties=False)
                assert 2 * (direct.nll - best.nll) == pytest.approx(contour.threshold, abs=bound)
    # mu's 68% range reaches its bound 0: that contour is open, its ends on the grid's edge mu = 0
    (line,) = scan.contours()[0].lines
    assert line[0, 0] == 0.0 and line[-1, 0] == 0.0


def test_1d_scan_of_a_nuisance_parameter_agrees_with_profile_interval_and_minos(multi):
    # The number, 1e-3 (measured: 2e-5 from profile_interval with a grid step of 0.2).
    name = "jet_energy_scale"
    scan = multi.profile_scan({name: (-2.5, 2.5, 26)})
    interval = multi.profile_interval(name)
    assert scan.crossings() == pytest.approx((interval.low, interval.high), abs=1e-3)
    backend = multi.backend
    free = ~np.asarray(backend.config.fixed)
    template = np.array(backend.config.init, dtype=float)

    def full(x):
        pars = template.copy()
        pars[free] = x
        return pars

    minuit = Minuit(lambda x: -backend.logpdf(full(x), backend.data), template[free],
                    grad=lambda x: -backend.value_and_grad(full(x), backend.data)[1][free],
                    name=[n for n, f in zip(backend.config.parameter_names, free, strict=True) if f])
    minuit.errordef, minuit.strategy, minuit.tol = 0.5, 2, 1e-7
    minuit.limits = [tuple(b) for b in np.asarray(backend.config.bounds)[free]]
    minuit.migrad()
    minuit.minos(name)
    value = minuit.values[name]
    assert scan.crossings() == pytest.approx((value + minuit.merrors[name].lower,
                                              value + minuit.merrors[name].upper), abs=1e-3)


@pytest.mark.shared_data
def test_1lbb_scan_is_direct_fits(shared_data):
    from likelihub_histfactory.factory import build_model
    from likelihub_histfactory.spec.patchset import PatchSet

    archive = shared_data / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz"
    patch = next(p for p in PatchSet(archive, member="patchset.json") if p.name == "C1N2_Wh_hbb_300_150")
    model = build_model(archive, member="BkgOnly.json", patches=[patch])
    scan = model.profile_scan({"mu_SIG": (0.0, 1.5, 4), "mu_W": (0.9, 1.6, 4)})
    best = model.fit()
    assert scan.all_converged and scan.best_fit_from is None
    assert scan.best_fit.nll == pytest.approx(best.nll, abs=1e-9)
    assert scan.twice_delta_nll.min() >= -SAME_MINIMUM
    assert_grid_is_direct_fits(model, scan, best.nll)
