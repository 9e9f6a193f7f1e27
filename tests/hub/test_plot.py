"""likelihub.plot: rendered with Agg; the artists hold the numbers they should."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import norm

import likelihub as lh
from likelihub.running.scan_formats import ScanResult

from .counting import CountingBackend

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

import likelihub.plot as lp  # noqa: E402

# One Poisson bin, n = 15, s = 5, b = 10: mu-hat = (n - b) / s = 1.
N, S, B = 15.0, 5.0, 10.0


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def model():
    return lh.StatisticalModel(CountingBackend(N, S, B))


@pytest.fixture(scope="module")
def scan(model):
    return model.cls_scan(np.linspace(0.0, 6.0, 61))


def test_importing_likelihub_imports_no_matplotlib():
    code = ("import sys, likelihub, likelihub.plot; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.lines}


def test_brazil_band_draws_the_scan_and_marks_the_limits(model, scan):
    limit = model.upper_limit()
    ax = lp.brazil_band(scan, limit=limit)
    lines = lines_by_label(ax)
    np.testing.assert_array_equal(lines["observed"].get_ydata(), scan.cls_obs)
    np.testing.assert_array_equal(lines["expected"].get_ydata(), np.array(scan.cls_exp)[:, 2])
    assert lines["CLs = 0.05"].get_ydata()[0] == pytest.approx(0.05, rel=1e-12)
    observed = [line for label, line in lines.items() if label.startswith("observed limit")][0]
    expected = [line for label, line in lines.items() if label.startswith("expected limit")][0]
    assert observed.get_xdata()[0] == limit.observed
    assert expected.get_xdata()[0] == limit.expected[2]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert [b.get_label() for b in bands] == [r"expected $\pm 2\sigma$", r"expected $\pm 1\sigma$"]
    # the +-2 sigma band spans from the -2 sigma to the +2 sigma CLs at every mu
    vertices = bands[0].get_paths()[0].vertices
    band = np.array(scan.cls_exp)
    assert vertices[:, 1].min() == pytest.approx(band[:, 0].min(), abs=1e-12)
    assert vertices[:, 1].max() == pytest.approx(band[:, 4].max(), abs=1e-12)


def test_brazil_band_of_a_blind_percentile_scan(model):
    # Combine's percentile band is labelled as such; a blind scan has no observed curve
    scan = model.cls_scan(np.linspace(0.0, 6.0, 13), band="percentiles", blind=True)
    ax = lp.brazil_band(scan)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert [b.get_label() for b in bands] == ["expected 2.5-97.5%", "expected 16-84%"]
    assert "observed" not in lines_by_label(ax)


def test_brazil_band_of_a_model_interpolates_the_limits(model):
    ax = lp.brazil_band(model, np.linspace(0.0, 6.0, 61))
    limit = model.upper_limit()
    lines = lines_by_label(ax)
    observed = [line for label, line in lines.items() if label.startswith("observed limit")][0]
    # scan points 0.1 apart, interpolated linearly in log CLs: within 0.01 of TOMS 748's limit
    assert observed.get_xdata()[0] == pytest.approx(limit.observed, abs=0.01)
    with pytest.raises(ValueError, match="mus="):
        lp.brazil_band(model)


def test_profile_likelihood_scan_is_the_closed_form(model):
    mus = np.linspace(0.0, 3.0, 13)
    ax = lp.profile_likelihood_scan(model, mus)
    line = lines_by_label(ax)[r"$-2\ln\lambda(\mu)$"]
    # Poisson: -2 ln lambda = 2 [nu - n ln nu - (n - n ln n)], nu = mu s + b (mu-hat = 1 in bounds)
    nu = mus * S + B
    closed_form = 2 * (nu - N * np.log(nu) - (N - N * np.log(N)))
    # fits to an EDM of 1e-8 in -log L
    np.testing.assert_allclose(line.get_ydata(), closed_form, atol=1e-6)
    assert lines_by_label(ax)["95% CL"].get_ydata()[0] == pytest.approx(3.8414588, rel=1e-7)
    assert lines_by_label(ax)[r"$\hat\mu$ = 1"].get_xdata()[0] == pytest.approx(1.0, abs=1e-3)


def grid():
    x, y = np.meshgrid(np.linspace(0, 10, 11), np.linspace(0, 10, 11))
    x, y = x.ravel(), y.ravel()
    # the significance Z = Phi^-1(1 - CLs) linear in x + y, so each contour is the straight line
    # x + y = const, which the interpolation reproduces exactly (test_contour_interpolation.py)
    z = 2.5 - 0.3 * (x + y)
    cls_exp = norm.sf(z[:, None] - 0.2 - 0.4 * np.arange(-2, 3)[None, :])
    return x, y, norm.sf(z), cls_exp


def test_expected_crossing_sigma():
    # log CLs_exp(n) = log c + 0.4 n: crosses alpha at n = (log alpha - log c) / 0.4
    c = np.array([0.05, 0.02, 0.2])
    cls_exp = c[:, None] * np.exp(0.4 * np.arange(-2, 3))[None, :]
    expected = np.log(0.05 / c) / 0.4
    np.testing.assert_allclose(lp.expected_crossing_sigma(cls_exp, 0.05), expected, rtol=1e-12)
    assert lp.expected_crossing_sigma([[1.0] * 5], 0.05)[0] == -5.0


def drawn_lines(ax, colour):
    return [line for line in ax.lines if line.get_color() == colour and len(line.get_xdata())]


def test_exclusion_contour_lies_where_cls_is_alpha():
    x, y, cls_obs, cls_exp = grid()
    ax = lp.exclusion_contour(x, y, cls_obs, cls_exp, xlabel="m1", ylabel="m2")
    (filled,) = [c for c in ax.collections if hasattr(c, "levels")]
    np.testing.assert_array_equal(filled.levels, [-2, -1, 1, 2])
    (observed,) = drawn_lines(ax, "red")
    (median,) = drawn_lines(ax, "black")
    z95 = norm.ppf(0.95)
    # observed: 2.5 - 0.3 (x + y) = Z95  =>  x + y = (2.5 - Z95) / 0.3
    np.testing.assert_allclose(observed.get_xdata() + observed.get_ydata(), (2.5 - z95) / 0.3, rtol=1e-8)
    # expected median (n = 0): 2.5 - 0.2 - 0.3 (x + y) = Z95
    np.testing.assert_allclose(median.get_xdata() + median.get_ydata(), (2.3 - z95) / 0.3, rtol=1e-8)
    assert ax.get_xlabel() == "m1" and ax.get_ylabel() == "m2"
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"observed", "expected"}


def test_exclusion_contour_of_a_scan_labels_its_axes_with_units():
    x, y, cls_obs, cls_exp = grid()
    rows = [{"name": f"p{k}", "values": [a, b], "cls_obs": o, "cls_exp": list(e)}
            for k, (a, b, o, e) in enumerate(zip(x, y, cls_obs, cls_exp, strict=True))]
    rows.append({"name": "failed", "values": [3.5, 3.5], "error": "FitError: ..."})  # left out
    table = ScanResult(rows, labels=["mst", "mu_scale"], what="cls", mu=1.0)
    ax = lp.exclusion_contour(table)
    # the rule of lp.MASS_LABEL: mst is a mass, mu_scale is not
    assert ax.get_xlabel() == "mst [GeV]" and ax.get_ylabel() == "mu_scale"
    ax = lp.exclusion_contour(table, units={"mst": "TeV", "mu_scale": "pb"}, ylabel="scale")
    assert ax.get_xlabel() == "mst [TeV]" and ax.get_ylabel() == "scale"
    (observed,) = drawn_lines(ax, "red")
    np.testing.assert_allclose(observed.get_xdata() + observed.get_ydata(), (2.5 - norm.ppf(0.95)) / 0.3,
                               rtol=1e-8)
    with pytest.raises(lh.errors.InvalidArgumentError, match="two of the scan's labels"):
        lp.exclusion_contour(ScanResult(rows, labels=[], what="cls"))


@pytest.mark.parametrize("name, label", [("m1", "m1 [GeV]"), ("mst", "mst [GeV]"), ("mn2", "mn2 [GeV]"),
                                         ("m_stop", "m_stop [GeV]"), ("mass", "mass [GeV]"),
                                         ("Mass_C1", "Mass_C1 [GeV]"), ("mu", "mu"), ("mu_sig", "mu_sig"),
                                         ("width", "width"), ("model", "model")])
def test_axis_labels_of_masses_have_gev(name, label):
    assert lp.axis_label(name) == label


def test_exclusion_contour_rejects_bad_shapes():
    x, y, cls_obs, cls_exp = grid()
    with pytest.raises(ValueError, match=r"cls_exp must have shape \(121, 5\)"):
        lp.exclusion_contour(x, y, cls_obs, cls_exp[:, :3])
    with pytest.raises(ValueError, match="same length"):
        lp.exclusion_contour(x, y[:-1], cls_obs)


def test_save_writes_a_png(tmp_path, scan):
    path = lp.save(lp.brazil_band(scan), tmp_path / "brazil.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_profile_likelihood_scan_of_a_scan_result_draws_any_parameter():
    from .gaussian import BatchGaussianBackend

    # x1 of a bivariate normal (variance 2), x0 profiled: -2 Delta ln L = (x1 - m1)^2 / 2
    model = lh.StatisticalModel(BatchGaussianBackend([0.5, -1.0], [[1.0, 0.6], [0.6, 2.0]]))
    result = model.profile_scan({"x1": (-4.0, 2.0, 13)})
    ax = lp.profile_likelihood_scan(result)
    line = lines_by_label(ax)[r"$-2\Delta\ln L$"]
    np.testing.assert_allclose(line.get_ydata(), (result.grid[0] + 1.0) ** 2 / 2.0, atol=1e-7)
    assert lines_by_label(ax)["best fit = -1"].get_xdata()[0] == pytest.approx(-1.0, abs=1e-6)
    assert ax.get_xlabel() == "x1"
    with pytest.raises(lh.errors.InvalidArgumentError, match="argument 'model'"):
        lp.profile_likelihood_scan(model.profile_scan({"x0": (0, 1, 3), "x1": (0, 1, 3)}))
    with pytest.raises(lh.errors.InvalidArgumentError, match="argument 'scan'"):
        lp.profile_scan_2d(result)


def test_profile_scan_2d_draws_the_contours_and_the_best_fit():
    from .gaussian import BatchGaussianBackend

    model = lh.StatisticalModel(BatchGaussianBackend([0.5, -1.0], [[1.0, 0.6], [0.6, 2.0]]))
    result = model.profile_scan({"x0": (-3.0, 4.0, 15), "x1": (-5.0, 3.0, 17)})
    ax = lp.profile_scan_2d(result)
    lines = lines_by_label(ax)
    for contour, label in zip(result.contours(), ("68.27% CL", "95% CL"), strict=True):
        np.testing.assert_array_equal(lines[label].get_xydata(), contour.lines[0])
    best = lines["best fit (0.5, -1)"]
    assert best.get_xdata()[0] == pytest.approx(0.5, abs=1e-6)
    assert best.get_ydata()[0] == pytest.approx(-1.0, abs=1e-6)
    (mesh,) = [c for c in ax.collections if hasattr(c, "get_array") and c.get_array() is not None]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(17, 15), result.twice_delta_nll.T)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x0", "x1")
