"""The numba kernels of combine.datacard (likelihub_combine.kernels) against the NumPy reference
(kernels/reference.py: the definition, Yields/MCStats as build.py makes them) and finite
differences, on every card of ../shared/data/datacards and on synthetic cards that hold the terms
the published ones lack (shapeN, autoMCStats per-process Poisson and Gaussian terms, formula
functions, asymmetric param lines).

Tolerances. Values: 1e-10 relative (the same sums in another order: rounding, ~1e-15).
Gradients: fourth-order central differences of the NumPy reference, within 1e-7 of the
gradient's largest component (their rounding, about 1e-16 |log L| / h with h = 1e-4, is ~1e-9
of it on the shape cards). Hessians: the same differences of the analytic gradient, within 1e-6.
Points: random, away from the kinks of the likelihood (theta = 0 where a template bin with
nominal 0 is clipped at the floor on one side; the bifurcated Gaussians at their centre).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from likelihub_combine.backend import CombineDatacard, datacard
from likelihub_combine.formula import compile_formula
from likelihub_combine.kernels.formulas import formula_program, run_formula

import likelihub as lh
from likelihub.plugin import StatisticalModel, capabilities, check_backend

from .synthetic_cards import write_everything_card, write_stackable_cards

CARDS = [
    ("cms_sus_20_004/2DTChiHH600_LSP150.txt", None),
    *((f"combine_benchmarks/{name}.txt", None) for name in (
        "counting-B5p5-Obs1-Syst30B", "counting-B5p5-Obs11-Syst30B", "counting-B5p5-Obs6-StatOnly",
        "counting-B5p5-Obs6-Syst1040B", "counting-B5p5-Obs6-Syst30B", "counting-B5p5-Obs6-Syst30C",
        "counting-B5p5-Obs6-Syst30S", "counting-B5p5-Obs6-Syst30U", "counting-B5p5-Obs6-Syst4010B",
        "counting-S1-Sideband10-alpha0p2-Obs2", "counting-Sideband11-alpha0p5-Obs6",
        "twoSignals-3bin-bigBSyst")),
    *((f"combine_docs/hww4ch_1fb_counting/hww4ch-1fb-{name}.txt", None) for name in (
        "B+1-mH160", "B-1-mH140", "B-mH140", "B-mH160", "S-mH140", "S-mH160")),
    ("combine_docs/longexercise_part2_shape/datacard_part2_shapes.txt", "800"),
    ("combine_docs/longexercise_part2_shape/datacard_part2_shapes_autoMCStats.txt", "800"),
    ("combine_docs/longexercise_part3_combined/datacard_part3.txt", "200"),
    ("combine_docs/longexercise_part3_nocrs/datacard_part3_nocrs.txt", "200"),
    ("combine_docs/stat_routines_counting/datacard.txt", None),
    ("combine_docs/summer11_hwws_130/comb_hww.txt", None),
    *((f"combine_tutorials/{name}.txt", None) for name in (
        "datacard-1-counting-experiment", "datacard-4-abcd", "datacard_part1",
        "realistic-counting-experiment", "realistic-multi-channel", "simple-counting-experiment")),
]
VALUE, GRADIENT, HESSIAN = 1e-10, 1e-7, 1e-6


def numpy_path(backend: CombineDatacard) -> CombineDatacard:
    return CombineDatacard(backend.card, backend.built, kernels=False)


def derivative(function, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Fourth-order central differences of ``function`` (a scalar or an array) at ``x``."""
    out = []
    for i in range(x.size):
        h = step * max(1.0, abs(x[i]))

        def at(shift, i=i, h=h):
            moved = x.copy()
            moved[i] += shift * h
            return np.asarray(function(moved), float)

        out.append((8.0 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12.0 * h))
    return np.array(out)


def random_points(backend: CombineDatacard, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Points inside the bounds with every parameter away from its centre (see the docstring)."""
    table = backend.built.table.items
    points = []
    for _ in range(count):
        pars = np.empty(len(table))
        for i, item in enumerate(table):
            if i == 0:
                value = rng.uniform(0.5, 1.5)
            elif item.constraint == "normal":
                pull = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 1.2)
                value = item.center + pull * (item.sigma_high if pull > 0 else item.sigma_low)
            elif item.constraint == "poisson":
                value = max(0.5, item.center) * rng.uniform(0.7, 1.3)
            elif item.origin == "lnU":
                value = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.8)
            else:
                value = (item.init or 1.0) * rng.uniform(0.7, 1.3)
            pars[i] = min(max(value, item.low), item.high)
        points.append(pars)
    return points


def check_against_reference(backend: CombineDatacard, rng: np.random.Generator, n_points: int = 2) -> None:
    reference = numpy_path(backend)
    init = np.array(backend.config.init, float)
    np.testing.assert_allclose(backend.expected_main(init), reference.expected_main(init), rtol=1e-12)
    expected = reference.logpdf(init, backend.data)
    assert backend.logpdf(init, backend.data) == pytest.approx(expected, rel=VALUE)
    for pars in random_points(backend, rng, n_points):
        for data in (backend.data, backend.sample(pars, 1, rng)[0]):
            value, grad = backend.value_and_grad(pars, data)
            assert value == pytest.approx(reference.logpdf(pars, data), rel=VALUE)
            numeric = derivative(lambda p, data=data: reference.logpdf(p, data), pars)
            scale = max(1.0, float(np.max(np.abs(numeric))))
            np.testing.assert_allclose(grad, numeric, rtol=0, atol=GRADIENT * scale)
            again, grad_again, hessian = backend.value_grad_and_hessian(pars, data)
            assert again == value
            np.testing.assert_array_equal(grad_again, grad)
            numeric = derivative(lambda p, data=data: backend.value_and_grad(p, data)[1], pars)
            scale = max(1.0, float(np.max(np.abs(numeric))))
            np.testing.assert_allclose(hessian, numeric, rtol=0, atol=HESSIAN * scale)
            np.testing.assert_array_equal(hessian, hessian.T)


@pytest.mark.parametrize(("card", "mass"), CARDS, ids=[c for c, _ in CARDS])
def test_kernels_match_the_numpy_reference_on_every_card(shared_data, card, mass):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        backend = datacard(shared_data / "datacards" / card, mass=mass)
        check_against_reference(backend, np.random.default_rng(13))


def test_kernels_on_shapen_automcstats_terms_and_formulas(tmp_path):
    # shape and shapeN on one process, per-process autoMCStats Poisson and Gaussian terms and
    # Barlow-Beeston-lite bins, a formula with every function, lnU, gmN, an asymmetric param.
    backend = datacard(write_everything_card(tmp_path))
    stats = backend.built.mc_stats
    assert stats.poisson_bin.size and stats.normal_bin.size and stats.lite_bin.size
    assert backend.built.yields.log_morph_column.size and backend.built.yields.formulas
    rng = np.random.default_rng(7)
    check_against_reference(backend, rng, n_points=4)
    check_backend(backend, pars=random_points(backend, rng, 1)[0])  # at init: the formula's min(1, 1) kink


def test_batches_and_stacks_repeat_the_single_rows(tmp_path):
    # Same code, same sums: a batch row, and a stack row in the stack's parameter order, equal the
    # single evaluation exactly.
    first, second = (datacard(path) for path in write_stackable_cards(tmp_path))
    assert first.parameter_names != second.parameter_names  # same parameters, another order
    rng = np.random.default_rng(3)
    pars = np.stack(random_points(first, rng, 3))
    data = first.sample(pars[0], 3, rng)
    values, grads = first.value_and_grad_batch(pars, data)
    hessians = first.hessian_batch(pars, data)
    for k in range(3):
        value, grad, hessian = first.value_grad_and_hessian(pars[k], data[k])
        assert values[k] == value
        np.testing.assert_array_equal(grads[k], grad)
        np.testing.assert_array_equal(hessians[k], hessian)
    stack = CombineDatacard.stack([first, second])
    members = np.array([0, 1, 1])
    rows = np.stack([stack.to_stack_order(m, random_points(stack.members[m], rng, 1)[0]) for m in members])
    rows_data = np.stack([stack.members[m].data for m in members])
    values, grads = stack.value_and_grad_batch(rows, rows_data, members)
    hessians = stack.hessian_batch(rows, rows_data, members)
    for k, m in enumerate(members):
        member = stack.members[m]
        order = stack.parameter_index[m]
        value, grad, hessian = member.value_grad_and_hessian(stack.to_member_order(m, rows[k]), rows_data[k])
        assert values[k] == pytest.approx(value, rel=1e-14)
        np.testing.assert_allclose(grads[k][order], grad, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(hessians[k][np.ix_(order, order)], hessian, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("formula", [
    "(@0*@1/@2)*@3", "((@0*@1/@2)*@5/(@3+@4+@5))", "exp(@0)*log(@1)-sqrt(@2)", "pow(@0,@1)+@2^2.5",
    "-@0**2+abs(@1-1.1)*min(@2,@3)+max(@0,1.2)", "TMath::Exp(-@0/@1)/(1+@2)", "@0**@1**0.5",
])
def test_formula_programs_carry_value_gradient_and_hessian(formula):
    # Value: the numpy formula (the reference) to 1e-14; derivatives: fourth-order differences.
    n = 1 + max(int(text) for text in re.findall(r"@(\d+)", formula))
    compiled = compile_formula(formula, n, where="card.txt:1", name="f")
    ops, operands, constants = (np.array(x, dtype) for x, dtype in
                                zip(formula_program(compiled.expression), (np.int64, np.int64, float),
                                    strict=True))
    size = max(1, ops.size)
    stack_v, stack_g, stack_h = np.zeros(size), np.zeros((size, n)), np.zeros((size, n, n))

    def jet(x, order=2):
        value = run_formula(ops, operands, constants, x, n, order, stack_v, stack_g, stack_h)
        return value, stack_g[0].copy(), stack_h[0].copy()

    rng = np.random.default_rng(5)
    for _ in range(3):
        x = rng.uniform(0.6, 1.8, n)
        value, grad, hessian = jet(x)
        assert value == pytest.approx(float(compiled(x)), rel=1e-14)
        np.testing.assert_allclose(grad, derivative(lambda a: compiled(a), x), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(hessian, derivative(lambda a: jet(a)[1], x), rtol=1e-7, atol=1e-9)


def test_numpy_path_offers_no_derivatives_and_the_kernels_reach_its_minima(shared_data):
    # "Before" (kernels=False: MIGRAD with finite differences) and "after" (Newton with the
    # kernels' Hessian) minimise the same function: the kernel fits reach a minimum as low
    # (measured on every card: lower by up to 5e-9, never higher by more than 2e-13), within the
    # numpy fits' own tolerance (EDM ~1e-6). The SUS card agrees too but takes 10 s by MIGRAD.
    folder = shared_data / "datacards"
    cards = dict(CARDS)
    for card in ("combine_tutorials/datacard-4-abcd.txt", "combine_tutorials/realistic-multi-channel.txt",
                 "combine_docs/longexercise_part2_shape/datacard_part2_shapes_autoMCStats.txt",
                 "combine_docs/hww4ch_1fb_counting/hww4ch-1fb-B-mH140.txt"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model = lh.get_backend("combine.datacard")(folder / card, mass=cards[card])
            before = StatisticalModel(numpy_path(model.backend))
        assert not capabilities(before.backend).gradient and capabilities(model.backend).hessian
        assert capabilities(model.backend).batch_derivatives and capabilities(model.backend).stacking
        for fixed in (None, {"r": 0.0}):
            after_fit, before_fit = model.fit(fixed=fixed), before.fit(fixed=fixed)
            assert after_fit.nll <= before_fit.nll + 1e-9, card
            assert after_fit.nll == pytest.approx(before_fit.nll, abs=1e-6), card
