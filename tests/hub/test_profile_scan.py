"""StatisticalModel.profile_scan against closed forms, direct conditional fits and iminuit's MINOS.

Origins: a multivariate normal likelihood (tests/hub/gaussian.py), whose profile -2 Delta ln L
over two parameters is the quadratic form of the inverse of their 2 x 2 covariance block (so its
contours are exact ellipses); the counting model with a nuisance parameter (tests/hub/counting.py)
fitted point by point with ``model.fit(fixed=...)`` and by iminuit's MINOS; a double-well
likelihood whose free fit from the initial values misses the global minimum.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from iminuit import Minuit

import likelihub as lh
from likelihub.errors import InvalidArgumentError

from .counting import BatchCountingBackend, CountingBackend, FromParts
from .gaussian import BatchGaussianBackend, GaussianBackend

MEANS = np.array([0.5, -1.0, 2.0])
COVARIANCE = np.array([[1.0, 0.6, 0.3], [0.6, 2.0, -0.5], [0.3, -0.5, 1.5]])
# Every fit stops within EDM <= 1e-8 of its minimum (the default edm_max); for a quadratic -log L
# the EDM is the distance in -log L, so two fits' 2 Delta NLL differ by at most 2 (1e-8 + 1e-8).
FIT_PRECISION = 4e-8


def gaussian(batch: bool = True) -> lh.StatisticalModel:
    return lh.StatisticalModel((BatchGaussianBackend if batch else GaussianBackend)(MEANS, COVARIANCE))


def quadratic_form(x, y):
    """(x - m)^T C2^-1 (x - m) for the block C2 of (x0, x1): the exact profile -2 Delta ln L."""
    precision = np.linalg.inv(COVARIANCE[:2, :2])
    dx, dy = np.asarray(x) - MEANS[0], np.asarray(y) - MEANS[1]
    return precision[0, 0] * dx**2 + 2 * precision[0, 1] * dx * dy + precision[1, 1] * dy**2


@pytest.mark.parametrize("batch", [True, False], ids=["lock-step", "one-by-one"])
def test_gaussian_2d_scan_is_the_quadratic_form_and_its_contours_are_the_ellipses(batch):
    scan = gaussian(batch).profile_scan({"x0": (-3.0, 4.0, 29), "x1": (-5.0, 3.0, 33)})
    assert scan.shape == (29, 33) and scan.all_converged and scan.best_fit_from is None
    assert np.all(np.char.startswith(scan.methods.astype(str), "newton"))
    x, y = np.meshgrid(*scan.grid, indexing="ij")
    np.testing.assert_allclose(scan.twice_delta_nll, quadratic_form(x, y), rtol=0, atol=FIT_PRECISION)
    # the profiled x2 at its conditional minimum: m2 + C2,01 C01^-1 (x01 - m01) (normal regression)
    regression = COVARIANCE[2, :2] @ np.linalg.inv(COVARIANCE[:2, :2])
    np.testing.assert_allclose(scan.values[..., 2], MEANS[2] + regression[0] * (x - MEANS[0])
                               + regression[1] * (y - MEANS[1]), atol=1e-6)
    precision = np.linalg.inv(COVARIANCE[:2, :2])
    spacing = [np.diff(g)[0] for g in scan.grid]
    # Linear interpolation along an edge of length h misses a quadratic's level by at most
    # |a| h^2 / 4 with a = P_kk (likelihub.infer.contours): the bound over both directions.
    bound = max(precision[k, k] * spacing[k] ** 2 / 4 for k in (0, 1)) + FIT_PRECISION
    contours = scan.contours()
    assert [c.cl for c in contours] == [pytest.approx(0.6826894921370859), 0.95]
    # Wilks with 2 degrees of freedom: chi2.ppf(0.6827, 2) = 2.2957, chi2.ppf(0.95, 2) = 5.9915
    assert [c.threshold for c in contours] == pytest.approx([2.295748928898636, 5.991464547107979],
                                                            rel=1e-12)
    for contour in contours:
        assert len(contour.lines) == 1  # one closed ellipse, inside the grid
        line = contour.lines[0]
        np.testing.assert_array_equal(line[0], line[-1])
        assert np.abs(quadratic_form(line[:, 0], line[:, 1]) - contour.threshold).max() <= bound
        # it goes once around the centre: the angles of its vertices cover the full turn
        angles = np.unwrap(np.arctan2(line[:, 1] - MEANS[1], line[:, 0] - MEANS[0]))
        assert abs(angles[-1] - angles[0]) == pytest.approx(2 * np.pi, rel=1e-12)


def test_lockstep_and_one_by_one_scans_agree():
    together = gaussian(True).profile_scan({"x1": (-4.0, 2.0, 7), "x2": [0.0, 1.0, 2.5, 4.0]})
    alone = gaussian(False).profile_scan({"x1": (-4.0, 2.0, 7), "x2": [0.0, 1.0, 2.5, 4.0]})
    np.testing.assert_allclose(together.twice_delta_nll, alone.twice_delta_nll, atol=FIT_PRECISION)


def test_gaussian_1d_crossings_are_the_normal_quantiles():
    # The profile of x2 is 2 Delta NLL = (x2 - m2)^2 / C22 (a parabola: the cubic spline is exact):
    # crossings of 1 (68.27%) at m2 -+ sqrt(C22), of 3.8415 (95%) at m2 -+ 1.95996 sqrt(C22).
    scan = gaussian().profile_scan({"x2": (-2.0, 6.0, 17)})
    sigma = np.sqrt(COVARIANCE[2, 2])
    assert scan.crossings() == pytest.approx((MEANS[2] - sigma, MEANS[2] + sigma), abs=1e-7)
    assert scan.crossings(0.95) == pytest.approx((MEANS[2] - 1.959963984540054 * sigma,
                                                   MEANS[2] + 1.959963984540054 * sigma), abs=1e-7)
    narrow = gaussian().profile_scan({"x2": (1.0, 6.0, 11)})  # the grid stops before the low end
    assert narrow.crossings()[0] is None


@pytest.mark.parametrize("backend", [CountingBackend, BatchCountingBackend])
def test_every_grid_value_is_a_direct_conditional_fit(backend):
    model = lh.StatisticalModel(backend(18.0, 5.0, 9.0, delta=0.2, mu_bounds=(-1.0, 10.0)))
    scan = model.profile_scan({"mu": (-1.0, 5.0, 13), "theta": (-2.0, 2.0, 9)})
    best = model.fit()
    assert scan.best_fit.nll == pytest.approx(best.nll, abs=1e-8)  # the same free fit, within its EDM
    for i, mu in enumerate(scan.grid[0]):
        for j, theta in enumerate(scan.grid[1]):
            direct = model.fit(fixed={"mu": mu, "theta": theta})
            assert scan.twice_delta_nll[i, j] == pytest.approx(2 * (direct.nll - best.nll), abs=FIT_PRECISION)
    one = model.profile_scan({"theta": (-3.0, 3.0, 13)})  # any parameter, the POI profiled
    for theta, t, values in zip(one.grid[0], one.twice_delta_nll, one.values, strict=True):
        direct = model.fit(fixed={"theta": theta})
        assert t == pytest.approx(2 * (direct.nll - best.nll), abs=FIT_PRECISION)
        # mu-hat-hat of two fits within EDM 1e-8 (sigma_mu sqrt(2 EDM) ~ 1.4e-4 each, sigma_mu ~ 1);
        # both are Newton's converged points of a smooth likelihood, far closer than that bound
        assert values[0] == pytest.approx(direct["mu"], abs=1e-4)
    assert one.twice_delta_nll.min() >= -FIT_PRECISION  # not below the global best fit


def test_1d_crossings_agree_with_profile_interval_and_minos():
    # The number: 1e-3. The scan's spline crossings (grid step 0.2) were measured within
    # 6e-6 of profile_interval's; MINOS (strategy 2, tol 1e-7) within 1e-4 of the exact ends.
    backend = BatchCountingBackend(18.0, 5.0, 9.0, delta=0.2, mu_bounds=(-1.0, 10.0))
    model = lh.StatisticalModel(backend)
    scan = model.profile_scan({"mu": (-1.0, 5.0, 31)})
    minuit = Minuit(lambda mu, theta: -backend.logpdf([mu, theta], backend.data), mu=1.0, theta=0.0)
    minuit.errordef, minuit.strategy, minuit.tol = 0.5, 2, 1e-7
    minuit.limits = [(-1.0, 10.0), (-5.0, 5.0)]
    for cl, errordef in ((0.6826894921370859, 0.5), (0.95, 0.5 * 3.841458820694124)):
        interval = model.profile_interval("mu", cl=cl)
        assert scan.crossings(cl) == pytest.approx((interval.low, interval.high), abs=1e-3)
        minuit.errordef = errordef
        minuit.migrad()
        minuit.minos("mu")
        mu_hat = minuit.values["mu"]
        assert scan.crossings(cl) == pytest.approx((mu_hat + minuit.merrors["mu"].lower,
                                                    mu_hat + minuit.merrors["mu"].upper), abs=1e-3)


class DoubleWell(FromParts):
    """-log L = (y^2 - 1)^2 + 0.3 y + (x - y)^2 / 2: minima at x = y = +0.960 (local, -log L = 0.294)
    and x = y = -1.036 (global, -0.305). MIGRAD and Newton from y = 1.5 stop in the local one."""

    def __init__(self):
        self.config = lh.ModelConfig(["x", "y"], 1, [1.5, 1.5], [(-5.0, 5.0), (-3.0, 3.0)], n_main=1)
        self.data = np.zeros(1)

    def expected_data(self, pars):
        return np.zeros(1)

    def _parts(self, pars, data):
        x, y = np.asarray(pars, float)
        nll = (y * y - 1) ** 2 + 0.3 * y + 0.5 * (x - y) ** 2
        grad = np.array([x - y, 4 * y * (y * y - 1) + 0.3 - (x - y)])
        hess = np.array([[1.0, -1.0], [-1.0, 12 * y * y - 4 + 1.0]])
        return -nll, -grad, -hess


def test_a_grid_point_below_the_free_fit_redoes_it():
    model = lh.StatisticalModel(DoubleWell())
    assert model.fit()["y"] > 0  # the free fit alone misses the global minimum
    scan = model.profile_scan({"y": (-2.0, 2.0, 21)})
    assert scan.best_fit_from == (-1.0,)  # the grid point nearest the global minimum
    # at the minimum x = y and 4y^3 - 4y + 0.3 = 0: the lowest root (numpy.roots), to the fit's 1e-6
    assert scan.best_fit["y"] == pytest.approx(np.roots([4.0, 0.0, -4.0, 0.3]).real.min(), abs=1e-6)
    assert scan.twice_delta_nll.min() >= -FIT_PRECISION
    assert "redone" in str(scan)


def test_result_serialises():
    scan = gaussian().profile_scan({"x0": (-1.0, 2.0, 4), "x1": [-2.0, 0.0]})
    data = json.loads(scan.to_json(allow_nan=False))
    assert data["parameters"] == ["x0", "x1"] and np.shape(data["twice_delta_nll"]) == (4, 2)
    assert np.shape(data["values"]) == (4, 2, 3) and data["best_fit"]["converged"] is True
    rows = scan.rows()
    assert len(rows) == 8 and rows[1]["x0"] == -1.0 and rows[1]["x1"] == 0.0
    assert rows[1]["twice_delta_nll"] == pytest.approx(quadratic_form(-1.0, 0.0), abs=FIT_PRECISION)
    assert rows[1]["value:x1"] == 0.0
    contours = [c.to_dict() for c in scan.contours([0.5])]
    assert contours[0]["threshold"] == pytest.approx(1.3862943611198906)  # chi2.ppf(0.5, 2) = 2 ln 2


@pytest.mark.parametrize(("grid", "match"), [
    ([("x0", (0, 1, 3))], "must be a mapping"),
    ({}, "one or two parameters"),
    ({"x0": (0, 1, 3), "x1": (0, 1, 3), "x2": (0, 1, 3)}, "one or two parameters"),
    ({"nope": (0, 1, 3)}, "no parameter 'nope'"),
    ({"x0": (1.0, 0.0, 3)}, "low < high"),
    ({"x0": (0.0, 1.0, 1)}, "argument 'grid\\[x0\\] n'"),
    ({"x0": (0.0, float("nan"), 3)}, "argument 'grid\\[x0\\] high'"),
    ({"x0": (0.0, 1.0, True)}, "argument 'grid\\[x0\\]'"),
    ({"x0": [0.0, 2.0, 1.0]}, "strictly increasing"),
    ({"x0": [0.0]}, "at least two values"),
    ({"x0": [0.0, np.inf]}, "not finite"),
    ({"x0": ["a", "b"]}, "must be"),
    ({"x0": (-200.0, 0.0, 3)}, "leave the bounds"),
])
def test_bad_grids_are_refused_naming_the_argument(grid, match):
    with pytest.raises(InvalidArgumentError, match=match):
        gaussian().profile_scan(grid)


def test_fixed_parameters_and_wrong_queries_are_refused():
    backend = BatchGaussianBackend(MEANS, COVARIANCE)
    backend.config = backend.config.replace(fixed=[False, True, False])
    with pytest.raises(InvalidArgumentError, match="'x1' is fixed"):
        lh.StatisticalModel(backend).profile_scan({"x1": (0, 1, 3)})
    one = gaussian().profile_scan({"x0": (-1.0, 1.0, 3)})
    with pytest.raises(InvalidArgumentError, match="1D scan"):
        gaussian().profile_scan({"x0": (-1.0, 1.0, 3), "x1": (-1.0, 1.0, 3)}).crossings()
    with pytest.raises(InvalidArgumentError, match="2D scan"):
        one.contours()
    with pytest.raises(InvalidArgumentError, match="argument 'levels\\[0\\]'"):
        gaussian().profile_scan({"x0": (-1.0, 1.0, 3), "x1": (-1.0, 1.0, 3)}).contours([1.5])
    with pytest.raises(InvalidArgumentError, match="argument 'cl'"):
        one.crossings(cl=0.0)
    with pytest.raises(lh.errors.InvalidDataError, match="argument 'data'"):
        gaussian().profile_scan({"x0": (-1.0, 1.0, 3)}, data=[1.0])
