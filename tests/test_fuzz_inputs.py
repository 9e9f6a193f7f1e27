"""Property-based tests: mutated inputs give a finite answer or a likelihub error naming the place.

Hypothesis mutates small valid inputs -- the shipped example workspace (two channels, six
modifier types), JSON patches applied to it, and simplified-likelihood inputs -- by replacing,
deleting or adding values anywhere in them (negative, zero, huge, tiny, NaN, infinite, strings,
booleans, nulls, wrong lengths). Whatever comes out, building the model and asking for CLs at
mu = 1 must either give CLs in [0, 1] with a finite expected band, or raise a
:class:`likelihub.errors.LikelihubError`; an :class:`~likelihub.errors.InvalidModelError` must
name where the fault lies (a location, or the argument). Any other exception (a traceback from
deep inside numpy or numba), a hang, or a NaN fails.

The examples are derandomised (the same on every run and machine) and bounded in number, so the
test is deterministic and takes well under a minute.
"""

from __future__ import annotations

import copy
import json
import math
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import likelihub as lh  # noqa: E402
from likelihub.errors import InvalidModelError, LikelihubError  # noqa: E402
from likelihub_histfactory.example import EXAMPLE_WORKSPACE  # noqa: E402

BASE = json.loads(EXAMPLE_WORKSPACE.read_text())
SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=120,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Values that stand in for a number, a list or an object somewhere in an input.
BAD_VALUES = [-1.0, 0.0, -0.0, 1e300, -1e300, 1e-320, 1e200, float("nan"), float("inf"),
              float("-inf"), "1", "x", None, True, False, [], {}, [1.0], [0.0, 0.0, 0.0, 0.0], 7, 2.5]


def _paths(document, prefix=()):
    """Every path (tuple of keys and indices) into a JSON document."""
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*prefix, index))


def _mutate(document, path, action: str, value):
    """A copy of ``document`` with the node at ``path`` replaced, deleted or given a sibling."""
    document = copy.deepcopy(document)
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "append" and isinstance(parent, list):
        parent.append(copy.deepcopy(value if value is not None else parent[last]))
    else:
        parent[last] = value
    return document


ALL_PATHS = list(_paths(BASE))
mutations = st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["replace", "delete", "append"]),
                      st.sampled_from(BAD_VALUES))


def _check_outcome(compute) -> None:
    """``compute()`` gives a finite CLs result or raises a likelihub error naming its place."""
    try:
        with warnings.catch_warnings():
            # a model may warn (unused measurement settings); warnings are not failures here
            warnings.simplefilter("ignore", UserWarning)
            result = compute()
    except InvalidModelError as error:
        assert error.location or "'" in error.reason, f"no place named: {error}"
        return
    except LikelihubError:
        return
    assert 0.0 <= result.cls_obs <= 1.0, result
    assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in result.cls_exp), result


@SETTINGS
@given(mutations)
def test_mutated_workspaces(mutation):
    spec = _mutate(BASE, *mutation)
    _check_outcome(lambda: lh.get_backend("histfactory")(spec, device="cpu").cls(1.0))


patch_ops = st.lists(st.tuples(st.sampled_from(["add", "replace", "remove", "move", "copy", "test"]),
                               st.sampled_from(ALL_PATHS[1:]), st.sampled_from(BAD_VALUES)),
                     min_size=1, max_size=3)


def _pointer(path) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


@SETTINGS
@given(patch_ops)
def test_mutating_patches(operations):
    patch = []
    for op, path, value in operations:
        operation = {"op": op, "path": _pointer(path)}
        if op in ("add", "replace", "test"):
            operation["value"] = value
        if op in ("move", "copy"):
            operation["from"] = _pointer(path[:-1] + (0,)) if path else "/"
        patch.append(operation)
    _check_outcome(lambda: lh.get_backend("histfactory")(BASE, patches=[patch], device="cpu").cls(1.0))


SIMPLIFIED = {"signal_yields": [3.0, 2.0, 1.0], "background_yields": [10.0, 5.0, 2.0],
              "data": [12.0, 4.0, 2.0]}
COVARIANCE = [[4.0, 1.0, 0.2], [1.0, 2.0, 0.1], [0.2, 0.1, 1.0]]
BACKENDS = {
    "simplified.poisson": {},
    "simplified.uncorrelated_background": {"absolute_uncertainties": [2.0, 1.4, 1.0]},
    "simplified.correlated_background": {"covariance_matrix": COVARIANCE},
    "simplified.third_moment_expansion": {"covariance_matrix": COVARIANCE,
                                           "third_moment": [0.5, 0.2, 0.05]},
}
simplified_inputs = st.tuples(
    st.sampled_from(sorted(BACKENDS)), st.sampled_from(sorted(SIMPLIFIED) + ["extra"]),
    st.integers(min_value=-1, max_value=3), st.sampled_from(BAD_VALUES))


@SETTINGS
@given(simplified_inputs)
def test_mutated_simplified_inputs(case):
    backend, argument, index, value = case
    arguments = {**copy.deepcopy(SIMPLIFIED), **copy.deepcopy(BACKENDS[backend])}
    if argument == "extra":  # mutate the backend's own argument (covariance, uncertainties, ...)
        argument = next(iter(BACKENDS[backend]), "data")
    if index < 0 or not isinstance(arguments[argument], list) or index >= len(arguments[argument]):
        arguments[argument] = value
    elif isinstance(arguments[argument][index], list):
        arguments[argument][index] = value if not isinstance(value, float) else [value] * 3
    else:
        arguments[argument][index] = value
    _check_outcome(lambda: lh.get_backend(backend)(**arguments).cls(1.0))


def test_the_unmutated_inputs_give_finite_results():
    # the base cases themselves pass (so the mutation tests test the mutations)
    _check_outcome(lambda: lh.get_backend("histfactory")(BASE, device="cpu").cls(1.0))
    for backend, extra in BACKENDS.items():
        result = lh.get_backend(backend)(**SIMPLIFIED, **extra).cls(1.0)
        assert 0.0 < result.cls_obs < 1.0 and np.all(np.isfinite(result.cls_exp))
