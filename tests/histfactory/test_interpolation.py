"""Closed-form checks of the interpolation codes (CERN-OPEN-2012-016; pyhf.interpolators)."""

import numpy as np
import pytest

from likelihub_histfactory import interpolation as interp

HI, LO, NOM = 1.3, 0.8, 1.0            # normsys factors
H_UP, H_NOM, H_DN = 12.0, 10.0, 9.0    # histosys templates


@pytest.mark.parametrize("code", [interp.normsys_code1, interp.normsys_code4])
def test_normsys_hits_the_templates(code):
    # By construction: factor 1 at alpha 0, hi at +1, lo at -1 (exact up to rounding).
    assert code(0.0, HI, LO)[0] == pytest.approx(1.0, abs=1e-14)
    assert code(1.0, HI, LO)[0] == pytest.approx(HI, rel=1e-14)
    assert code(-1.0, HI, LO)[0] == pytest.approx(LO, rel=1e-14)
    # exponential extrapolation beyond: hi**2 at alpha 2, lo**2 at -2
    assert code(2.0, HI, LO)[0] == pytest.approx(HI**2, rel=1e-14)
    assert code(-2.0, HI, LO)[0] == pytest.approx(LO**2, rel=1e-14)


def test_code4_polynomial_is_smooth_at_one():
    # Code 4's defining conditions: value, first and second derivative continuous at +-1.
    eps = 1e-6
    for edge in (1.0, -1.0):
        inside = edge - np.sign(edge) * eps
        outside = edge + np.sign(edge) * eps
        v_in, d_in = interp.normsys_code4(inside, HI, LO)
        v_out, d_out = interp.normsys_code4(outside, HI, LO)
        assert v_in == pytest.approx(v_out, rel=1e-5)
        assert d_in == pytest.approx(d_out, rel=1e-5)
        second_in = (interp.normsys_code4(inside, HI, LO)[1]
                     - interp.normsys_code4(inside - np.sign(edge) * eps, HI, LO)[1]) / (np.sign(edge) * eps)
        # exponential branch: d2/dalpha2 base**|alpha| = log(base)^2 base**|alpha|
        base = HI if edge > 0 else LO
        assert second_in == pytest.approx(np.log(base) ** 2 * base, rel=1e-3)


@pytest.mark.parametrize("code", [interp.histosys_code0, interp.histosys_code2, interp.histosys_code4p])
def test_histosys_hits_the_templates(code):
    # Shift 0 at alpha 0, up - nom at +1, down - nom at -1 for every histosys code.
    assert code(0.0, H_NOM, H_UP, H_DN)[0] == pytest.approx(0.0, abs=1e-14)
    assert code(1.0, H_NOM, H_UP, H_DN)[0] == pytest.approx(H_UP - H_NOM, rel=1e-14)
    assert code(-1.0, H_NOM, H_UP, H_DN)[0] == pytest.approx(H_DN - H_NOM, rel=1e-14)


def test_code0_and_4p_extrapolate_linearly():
    # Outside |alpha| <= 1 both are the linear extrapolation of the templates.
    for code in (interp.histosys_code0, interp.histosys_code4p):
        assert code(2.5, H_NOM, H_UP, H_DN)[0] == pytest.approx(2.5 * (H_UP - H_NOM), rel=1e-14)
        assert code(-3.0, H_NOM, H_UP, H_DN)[0] == pytest.approx(-3.0 * (H_NOM - H_DN), rel=1e-14)


def test_code2_is_quadratic_inside_and_continuous_outside():
    a = 0.5 * (H_UP + H_DN) - H_NOM
    b = 0.5 * (H_UP - H_DN)
    assert interp.histosys_code2(0.5, H_NOM, H_UP, H_DN)[0] == pytest.approx(a * 0.25 + b * 0.5, rel=1e-14)
    # RooFit code 2: the tangent line beyond +-1, so value and slope are continuous there.
    for edge in (1.0, -1.0):
        v_in, d_in = interp.histosys_code2(edge, H_NOM, H_UP, H_DN)
        v_out, d_out = interp.histosys_code2(edge * (1 + 1e-9), H_NOM, H_UP, H_DN)
        assert v_out == pytest.approx(v_in, abs=1e-7)
        assert d_out == pytest.approx(d_in, rel=1e-12)


@pytest.mark.parametrize("kind", range(6))
def test_derivatives_match_finite_differences(kind):
    # Central differences with step 1e-6: agreement to 1e-6 relative away from the branch points.
    for alpha in (-2.3, -0.7, -0.2, 0.3, 0.9, 1.7):
        h = 1e-6
        value, derivative = interp.evaluate_term(kind, alpha, H_NOM if kind >= 3 else NOM,
                                                 H_UP if kind >= 3 else HI, H_DN if kind >= 3 else LO)
        up = interp.evaluate_term(kind, alpha + h, H_NOM if kind >= 3 else NOM,
                                  H_UP if kind >= 3 else HI, H_DN if kind >= 3 else LO)[0]
        down = interp.evaluate_term(kind, alpha - h, H_NOM if kind >= 3 else NOM,
                                    H_UP if kind >= 3 else HI, H_DN if kind >= 3 else LO)[0]
        assert derivative == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("kind", range(6))
def test_second_derivatives_match_finite_differences(kind):
    # Central differences of the analytic first derivative, step 1e-6: truncation ~h^2 f'''' and
    # rounding ~1e-16 |f'| / h keep the error below 1e-7 relative away from the branch points.
    for alpha in (-2.3, -0.7, -0.2, 0.3, 0.9, 1.7):
        h = 1e-6
        args = (H_NOM if kind >= 3 else NOM, H_UP if kind >= 3 else HI, H_DN if kind >= 3 else LO)
        second = interp.term_second_derivative(kind, alpha, *args)
        up = interp.evaluate_term(kind, alpha + h, *args)[1]
        down = interp.evaluate_term(kind, alpha - h, *args)[1]
        assert second == pytest.approx((up - down) / (2 * h), rel=1e-7, abs=1e-8)


def test_second_derivatives_closed_forms():
    # Code 1: log(hi)^2 hi**alpha above 0, log(lo)^2 lo**-alpha below (d2/dalpha2 of exp(alpha log hi)).
    assert interp.term_second_derivative(interp.TERM_NORMSYS_CODE1, 0.5, NOM, HI, LO) == pytest.approx(
        np.log(HI) ** 2 * HI**0.5, rel=1e-14)
    assert interp.term_second_derivative(interp.TERM_NORMSYS_CODE1, -0.5, NOM, HI, LO) == pytest.approx(
        np.log(LO) ** 2 * LO**0.5, rel=1e-14)
    # Code 4 at alpha 0: 2 a_2 (the polynomial's quadratic coefficient)
    assert interp.term_second_derivative(interp.TERM_NORMSYS_CODE4, 0.0, NOM, HI, LO) == pytest.approx(
        2 * interp.code4_polynomial(HI, LO)[1], rel=1e-14)
    # Code 2: 2 a = hi + lo - 2 nom inside, 0 outside (linear continuation)
    assert interp.term_second_derivative(interp.TERM_HISTOSYS_CODE2, 0.4, H_NOM, H_UP, H_DN) == pytest.approx(
        H_UP + H_DN - 2 * H_NOM, rel=1e-14)
    assert interp.term_second_derivative(interp.TERM_HISTOSYS_CODE2, 1.5, H_NOM, H_UP, H_DN) == 0.0
    # Code 4p at 0: 30 (up - down) / 16 with up = hi - nom, down = nom - lo; 0 outside
    code4p = interp.term_second_derivative(interp.TERM_HISTOSYS_CODE4P, 0.0, H_NOM, H_UP, H_DN)
    assert code4p == pytest.approx(30 * ((H_UP - H_NOM) - (H_NOM - H_DN)) / 16, rel=1e-14)
    assert interp.term_second_derivative(interp.TERM_HISTOSYS_CODE4P, -1.5, H_NOM, H_UP, H_DN) == 0.0
    assert interp.term_second_derivative(interp.TERM_HISTOSYS_CODE0, 0.3, H_NOM, H_UP, H_DN) == 0.0
