"""likelihub.contour_interpolation: exclusion contours of scattered points against closed forms.

The fields are chosen so that the contour is known: a significance Z = Phi^-1(1 - CLs) that is
linear in the coordinates (its contour is a straight line, which a thin-plate spline with a linear
polynomial and linear interpolation both reproduce exactly, with or without smoothing), and one
that is quadratic in the distance from a centre (its contour is a circle).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from likelihub.contour_interpolation import (
    band_crossing_sigma,
    clip_to_hull,
    exclusion_lines,
    expected_crossing_sigma,
    interpolate_on_grid,
    significance,
)
from likelihub.errors import InvalidArgumentError

DATA = Path(__file__).parent / "data"
# Phi^-1(0.95), the 95% CL contour's significance (HistFitter's harvestToContours.py: 1.64485362695)
Z95 = 1.6448536269514722


def scattered_points(n: int = 80, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Scattered points over [0, 1000] x [0, 400] (masses in GeV), with the box's corners."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([[0, 1000, 0, 1000], rng.uniform(0, 1000, n)])
    y = np.concatenate([[0, 0, 400, 400], rng.uniform(0, 400, n)])
    return x, y


def linear_z(x, y):
    return 3.5 - 0.004 * x - 0.002 * y  # Z = Z95 on the line 0.004 x + 0.002 y = 3.5 - Z95


def test_significance_is_the_one_sided_normal_quantile():
    # Z = Phi^-1(1 - CLs): CLs = 0.05 is Z95, 0.5 is 0; clipped to +-5 (HistFitter's sigmax)
    np.testing.assert_allclose(significance([0.05, 0.5, 0.15865525393145707]), [Z95, 0.0, 1.0], rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_array_equal(significance([0.0, 1e-300, 1.0]), [5.0, 5.0, -5.0])
    assert np.isnan(significance([np.nan])[0])


@pytest.mark.parametrize("method, smoothing", [("thin_plate", 1e-2), ("thin_plate", 0.0), ("linear", 0.0)])
def test_a_linear_significance_gives_its_straight_line(method, smoothing):
    x, y = scattered_points()
    lines = exclusion_lines(x, y, norm.sf(linear_z(x, y)), method=method, smoothing=smoothing)
    # one straight line across the box, where the closed form puts it: a Z linear in the masses
    # is reproduced exactly by both interpolants, and marching squares is exact on a linear
    # field; 1e-8 in Z is the linear solve's rounding
    assert len(lines.observed) == 1
    line = lines.observed[0]
    np.testing.assert_allclose(linear_z(*line.T), Z95, atol=1e-8)
    # it ends on the box (the convex hull): at x = 0 or 1000, or y = 0 or 400, to rounding
    for end in (line[0], line[-1]):
        assert min(abs(end[0]), abs(end[0] - 1000), abs(end[1]), abs(end[1] - 400)) < 1e-6


def test_the_expected_band_of_a_linear_significance():
    x, y = scattered_points()
    z = linear_z(x, y)
    # expected Z at n_sigma = -2..2: Z - 0.4 n (CLs ascending with n); it crosses Z95 at
    # n = (Z - Z95) / 0.4, linear in the masses, so the crossing sigma on the grid is that exactly
    cls_exp = norm.sf(z[:, None] - 0.4 * np.arange(-2, 3)[None, :])
    lines = exclusion_lines(x, y, None, cls_exp)
    band = lines.band
    nodes_x, nodes_y = np.meshgrid(band.x, band.y, indexing="ij")
    closed_form = np.clip((linear_z(nodes_x, nodes_y) - Z95) / 0.4, -5, 5)
    np.testing.assert_allclose(band.values, closed_form, atol=1e-7)  # the spline's rounding, / 0.4
    assert len(lines.expected) == 1
    np.testing.assert_allclose(linear_z(*lines.expected[0].T), Z95, atol=1e-8)
    assert lines.observed == [] and lines.observed_grid is None


@pytest.mark.parametrize("method, smoothing", [("thin_plate", 1e-2), ("thin_plate", 0.0), ("linear", 0.0)])
def test_a_circular_boundary_gives_one_closed_contour(method, smoothing):
    # Z = Z95 + 2 (R^2 - r^2) on a 21 x 21 grid over [-1, 1]^2 (h = 0.1): excluded inside r = R
    grid = np.linspace(-1.0, 1.0, 21)
    x, y = (a.ravel() for a in np.meshgrid(grid, grid))
    radius = 0.6
    z = Z95 + 2.0 * (radius**2 - (x**2 + y**2))
    lines = exclusion_lines(x, y, norm.sf(z), method=method, smoothing=smoothing)
    assert len(lines.observed) == 1
    circle = lines.observed[0]
    assert np.array_equal(circle[0], circle[-1])  # closed
    # Linear interpolation of a quadratic with Hessian -2k I on triangles of circumradius rho
    # errs by at most k rho^2 in Z; at the circle |grad Z| = 2 k R, so the contour moves by at
    # most rho^2 / (2 R) (rho^2 = h^2 / 2 on the grid's right triangles): 0.0042. The spline is
    # held to the same bound; 10% more for the marching squares on the 200-node grid.
    bound = 1.1 * (0.1**2 / 2) / (2 * radius)
    assert np.max(np.abs(np.hypot(*circle.T) - radius)) < bound


def test_lines_are_clipped_exactly_at_the_hull():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])  # counterclockwise
    # a line from outside through the square and out again: cut at x = 0 and x = 1
    pieces = clip_to_hull([np.array([[-1.0, 0.5], [0.5, 0.5], [2.0, 0.5]])], square)
    assert len(pieces) == 1
    # to 1e-11: the clipping's slack, 1e-12 of the polygon's size, keeps points on its boundary
    np.testing.assert_allclose(pieces[0], [[0.0, 0.5], [0.5, 0.5], [1.0, 0.5]], atol=1e-11)
    # a closed line that leaves the square to the right and comes back is one piece, rejoined
    # across its start: it starts and ends where it crosses x = 1
    theta = np.linspace(0, 2 * np.pi, 73)
    circle = np.column_stack([0.8 + 0.3 * np.cos(theta), 0.5 + 0.3 * np.sin(theta)])
    pieces = clip_to_hull([circle], square)
    assert len(pieces) == 1
    np.testing.assert_allclose(pieces[0][[0, -1], 0], 1.0, atol=1e-12)
    assert np.all(pieces[0][:, 0] <= 1.0 + 1e-12)
    assert clip_to_hull([np.array([[2.0, 2.0], [3.0, 3.0]])], square) == []


def test_crossing_sigma_of_significances_and_of_cls_agree_at_the_band_edges():
    # at n = -2..2 both are exact: where a column crosses the level (log CLs and Z are both
    # monotonic in CLs); between the nodes one is linear in log CLs, the other in Z
    cls_exp = 0.05 * np.exp(0.7 * np.array([[-2, -1, 0, 1, 2], [-3, -2, -1, 0, 1], [-1, 0, 1, 2, 3.0]]))
    np.testing.assert_allclose(expected_crossing_sigma(cls_exp, 0.05), [0.0, 1.0, -1.0], atol=1e-12)
    np.testing.assert_allclose(band_crossing_sigma(significance(cls_exp), Z95), [0.0, 1.0, -1.0], atol=1e-12)


def test_bad_points_are_named():
    x, y = scattered_points(10)
    with pytest.raises(InvalidArgumentError, match="same place"):
        interpolate_on_grid(np.append(x, x[0]), np.append(y, y[0]), np.zeros(x.size + 1))
    with pytest.raises(InvalidArgumentError, match="on one line"):
        interpolate_on_grid([0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3])
    with pytest.raises(InvalidArgumentError, match="span both axes"):
        interpolate_on_grid([0, 1, 2], [5, 5, 5], [0, 1, 2])
    with pytest.raises(InvalidArgumentError, match="unknown interpolation 'cubic'"):
        interpolate_on_grid(x, y, np.zeros(x.size), method="cubic")
    with pytest.raises(InvalidArgumentError, match="at least 3 points"):
        interpolate_on_grid(x[:3], y[:3], [0.0, np.nan, 1.0])
    # a point without a value (a failed fit) is left out, not an error
    values = linear_z(x, y)
    values[5] = np.nan
    field = interpolate_on_grid(x, y, values, resolution=11)
    assert np.all(np.isfinite(field.values))


def read_1lbb_table() -> tuple:
    with (DATA / "exclusion_1Lbb.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    numbers = {key: np.array([float(r[key]) for r in rows]) for key in rows[0]
               if key not in ("name", "error")}
    cls_exp = np.column_stack([numbers[f"cls_exp_{n}"] for n in (-2, -1, 0, 1, 2)])
    return [r["name"] for r in rows], numbers["m1"], numbers["m2"], numbers["cls_obs"], cls_exp


def test_the_1lbb_contours_are_one_line_each():
    # ATLAS 1Lbb, all 125 points (data/exclusion_1Lbb.csv, the CSV of examples/exclusion_contour.py):
    # the points' own scatter drew a detached lobe of the expected contour near m1 = 750,
    # m2 = 300 GeV; the smoothing spline draws one expected and one observed line, from the
    # edge m2 = 0 to the diagonal edge of the points
    _, m1, m2, cls_obs, cls_exp = read_1lbb_table()
    lines = exclusion_lines(m1, m2, cls_obs, cls_exp)
    assert len(lines.expected) == 1 and len(lines.observed) == 1
    for line, (low, high) in ((lines.observed[0], (700, 760)), (lines.expected[0], (800, 870))):
        ends = line[[0, -1]]
        on_axis = ends[np.argmin(ends[:, 1])]
        # where the contour meets m2 = 0: between the points that straddle CLs = 0.05 there
        # (observed 700 and 800 GeV, CLs 0.01 and 0.2; expected 800 and 900 GeV)
        assert on_axis[1] == pytest.approx(0.0, abs=1e-6) and low < on_axis[0] < high


@pytest.mark.shared_data
def test_the_stored_1lbb_table_is_pyhfs(shared_data):
    # The stored table's CLs equal pyhf 0.7.6's on the same patches (shared/data/reference/
    # histfactory-pyhf.json) to 1e-5, the tolerance of tests/histfactory/test_validation_pyhf.py
    cases = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())["cases"]
    names, _, _, cls_obs, cls_exp = read_1lbb_table()
    checked = 0
    for case in (c for c in cases if c["analysis"] == "1Lbb"):
        row = names.index(case["patch"])
        assert cls_obs[row] == pytest.approx(case["cls_obs_mu1"], abs=1e-5)
        np.testing.assert_allclose(cls_exp[row], case["cls_exp_mu1"], rtol=0, atol=1e-5)
        checked += 1
    assert checked == 5
