"""A component's place in a combination (likelihub_combiner.components.Component): its parameters,
data, gradient and Hessian moved between its own vectors and the combined ones.

Origin: the definition, element by element in Python loops (combined[index[i]] += scale[i] * g[i],
combined[index[i], index[j]] += scale[i] * scale[j] * H[i, j]); the same products summed in the
same order, hence equality to the bit whatever path (slices or fancy indexing) the component takes.
"""

from __future__ import annotations

import numpy as np
import pytest

from likelihub_combiner.components import MAX_RUNS, Component

SIZE = 12  # combined parameters

LAYOUTS = {
    # name: (combined index of each component parameter, their scales, the order place_hessian
    # takes: "own" / "combined" for blocks of slices, None for one fancy-indexed addition)
    "one run": ([0, 1, 2, 3], [1.0] * 4, "own"),
    "scaled POI in the middle": ([1, 2, 0, 3, 4], [1.0, 1.0, 2.5, 1.0, 1.0], "own"),
    "shuffled": ([5, 3, 4, 0, 2, 1], [1.0, 1.0, 1.0, 0.5, 1.0, 1.0], "combined"),
    "scattered": ([0, 2, 4, 6, 8, 10, 11], [1.0] * 7, None),
}


def reference(index, scale, grad, hessian):
    out_grad, out_hessian = np.zeros((grad.shape[0], SIZE)), np.zeros((grad.shape[0], SIZE, SIZE))
    for n in range(grad.shape[0]):
        for i, a in enumerate(index):
            out_grad[n, a] += scale[i] * grad[n, i]
            for j, b in enumerate(index):
                out_hessian[n, a, b] += scale[i] * scale[j] * hessian[n, i, j]
    return out_grad, out_hessian


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_placements_are_the_definition_element_by_element(layout):
    index, scale, order = LAYOUTS[layout]
    component = Component(name="c", backend=None, signal_scale=1.0, parameter_index=np.array(index),
                          parameter_scale=np.array(scale), data_index=np.arange(len(index)))
    # the path this layout is meant to exercise (MAX_RUNS = 4 runs of consecutive indices)
    assert MAX_RUNS == 4
    blocks = component._blocks
    assert (None if blocks is None else "own" if blocks[0] is None else "combined") == order
    rng = np.random.default_rng(3)
    grad, hessian = rng.standard_normal((2, len(index))), rng.standard_normal((2, len(index), len(index)))
    expected_grad, expected_hessian = reference(index, scale, grad, hessian)
    out_grad, out_hessian = np.zeros((2, SIZE)), np.zeros((2, SIZE, SIZE))
    component.place_gradient(grad, out_grad)
    component.place_hessian(hessian, out_hessian)
    assert np.array_equal(out_grad, expected_grad)
    assert np.array_equal(out_hessian, expected_hessian)
    single = np.zeros((SIZE, SIZE))
    component.place_hessian(hessian[1], single)
    assert np.array_equal(single, expected_hessian[1])
    pars = rng.standard_normal(SIZE)
    assert np.array_equal(component.component_parameters(pars), pars[index] * np.array(scale))
