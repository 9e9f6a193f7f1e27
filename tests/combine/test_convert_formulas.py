"""The formulas behind the conversion, side by side: which Combine constructs are which pyhf
modifiers exactly, and which are not (likelihub_combine.model's Combine formulas against
likelihub_histfactory.interpolation's pyhf codes; closed forms where noted).

Equalities are asserted to 1e-13 relative (rounding of a few floating-point operations); the
inequalities by a margin far above rounding (the difference is computed in each case).
"""

from __future__ import annotations

import numpy as np
import pytest
from likelihub_combine.convert.morphs import code4p, code4p_minimum
from likelihub_combine.model import log_kappa, smooth_step

from likelihub_histfactory.interpolation import code1, code4
from likelihub_histfactory.interpolation import code4p as pyhf_code4p

THETAS = np.concatenate([np.linspace(-7.0, 7.0, 57), [-0.5, -0.25, 0.3, 0.5, 0.99, 1.0]])


def combine_morph(theta, nominal, up, down, scale=1.0, region=1.0):
    """Combine's vertical morph of unit templates (FastVerticalInterpHistPdf2, CMSHistFunc)."""
    x = theta * scale
    return nominal + 0.5 * x * ((up - down) + smooth_step(x / region) * (up + down - 2.0 * nominal))


def test_combine_shape_morph_is_pyhf_code4p():
    # Expanding S: x/2 S(x) (up + down - 2 nom) = x^2 (15 - 10 x^2 + 3 x^4) (hi + lo - 2 nom) / 16,
    # pyhf's code 4p term; outside |x| = 1 both are (hi - nom) x and (nom - lo) x.
    rng = np.random.default_rng(1)
    nominal, up, down = rng.uniform(0.1, 1.0, (3, 5))
    for theta in THETAS:
        expected = combine_morph(theta, nominal, up, down)
        for b in range(5):
            shift = pyhf_code4p.reference(theta, nominal[b], up[b], down[b])[0]
            assert nominal[b] + shift == pytest.approx(expected[b], rel=1e-13, abs=1e-15)


def test_a_scaled_shape_is_code4p_of_scaled_templates_only_at_the_smallest_scale():
    nominal, up, down = np.array([0.5]), np.array([0.6]), np.array([0.45])
    scale = 0.5
    hi, lo = nominal + scale * (up - nominal), nominal + scale * (down - nominal)
    for theta in THETAS:  # scale == smoothing region: code 4p of (hi, lo) at theta
        assert combine_morph(theta, nominal, up, down, scale, region=scale)[0] == pytest.approx(
            nominal[0] + code4p(theta, hi - nominal, nominal - lo)[0], rel=1e-13
        )
    # scale 0.5 with another shape line of scale 0.25 on the process: its smooth step ends at
    # theta = 0.5, not 1 (they differ by 1.5e-3, 3.1e-3 of the nominal, at theta = 0.4).
    theta = 0.4
    other = combine_morph(theta, nominal, up, down, scale, region=0.25)[0]
    assert abs(other - nominal[0] - code4p(theta, hi - nominal, nominal - lo)[0]) > 1e-3


def test_symmetric_lnn_is_normsys_code1_and_not_code4():
    kappa = 1.3
    for theta in THETAS:
        assert code1.reference(theta, kappa, 1.0 / kappa)[0] == pytest.approx(kappa**theta, rel=1e-13)
        value = code4.reference(theta, kappa, 1.0 / kappa)[0]
        if abs(theta) >= 1.0:
            assert value == pytest.approx(kappa**theta, rel=1e-13)
    # inside |alpha| < 1 code 4's polynomial differs from kappa^theta: for a symmetric kappa only
    # slightly (4.4e-9 relative at theta = -0.39 for kappa 1.3; 3e-14 for 1.05, 4.7e-6 for 2),
    # which is still far above rounding (1e-16)
    assert abs(code4.reference(-0.39, kappa, 1.0 / kappa)[0] / kappa**-0.39 - 1.0) > 1e-9


def test_asymmetric_lnn_is_code1_only_outside_half_a_sigma():
    low, high = 0.8, 1.4
    for theta in THETAS:
        combine = np.exp(theta * log_kappa(theta, np.log(low), np.log(high)))
        if abs(theta) >= 0.5:
            assert code1.reference(theta, high, low)[0] == pytest.approx(float(combine), rel=1e-13)
    # inside, logKappaForX's smooth step differs from code 1's kink (3.2e-3 at theta = 0.25)
    combine = float(np.exp(0.25 * log_kappa(0.25, np.log(low), np.log(high))))
    assert abs(code1.reference(0.25, high, low)[0] - combine) > 1e-3


def test_barlow_beeston_lite_is_staterror_when_the_processes_share_their_factor():
    # Combine adds x sqrt(sum_k (f_k e_k)^2); pyhf multiplies sum_k f_k t_k by gamma = 1 + delta x,
    # delta = sqrt(sum e_k^2) / sum t_k (pyhf's width).
    t, e = np.array([30.0, 10.0]), np.array([2.0, 1.5])
    delta = np.sqrt(np.sum(e**2)) / t.sum()
    for x in (-2.0, -0.3, 0.0, 1.7):
        for f in (0.7, 1.0, 1.9):
            combine = np.sum(f * t) + x * np.sqrt(np.sum((f * e) ** 2))
            assert (1.0 + delta * x) * np.sum(f * t) == pytest.approx(combine, rel=1e-13)
    # different factors (a signal scaled by r = 2, a background by 1): 0.10 events apart at x = 1
    f = np.array([2.0, 1.0])
    combine = np.sum(f * t) + np.sqrt(np.sum((f * e) ** 2))
    assert abs((1.0 + delta) * np.sum(f * t) - combine) > 0.05


def test_code4p_minimum_is_the_minimum():
    rng = np.random.default_rng(5)
    up, down = rng.normal(0.0, 0.1, (2, 50))
    grid = np.linspace(-4.0, 4.0, 40001)
    dense = np.min([code4p(float(a), up, down) for a in grid], axis=0)
    found = code4p_minimum(up, down, -4.0, 4.0)
    assert np.all(found <= dense + 1e-15)  # never above a sampled value
    # a grid of spacing h = 2e-4 misses a minimum by at most |f''| h^2 / 8 < 1e-8 (|f''| < 2 here)
    assert found == pytest.approx(dense, abs=1e-8)
