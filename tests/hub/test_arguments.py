"""Every public method of StatisticalModel refuses arguments that are not what they claim (issue 11).

The test runs over the class: each method x each of its arguments x values of the wrong kind
(type, NaN/inf, length, range, unknown choice). Each must give a likelihub error, at once, whose
one-line message starts with ``argument '<name>'``; before, they surfaced as AttributeError
(``rng=5``), IndexError (``init`` of the wrong length), TypeError (``cls("1")``), a result
(``ntoys=1.5``, ``data=[True]``, NaN to ``logpdf``) or a FitError after 400,000 evaluations
(negative counts, ``mu=nan``).
"""

import inspect
import math

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidArgumentError, InvalidDataError, LikelihubError

from .counting import BatchCountingBackend

NAN, INF = math.nan, math.inf

#: Values of the wrong kind for each kind of argument.
BAD_VALUES = {
    "mu": ["1", True, NAN, INF, -1.0, None, [1.0]],  # -1 lies below the POI's lower bound 0
    "any_mu": ["1", True, NAN, -INF, None],  # conditional fits may hold mu anywhere finite
    "mu_ref": ["1", True, NAN, INF, -1.0],  # None: the best fit
    "data": [[True, 0.0], ["10", "0"], [NAN, 0.0], [-1.0, 0.0], [10.0], "10"],
    "pars": [[NAN, 0.0], [1.0, INF], [1.0], ["1", "0"], [True, 0.0], None],
    "size": [1.5, 0, "3", True],
    "rng": [5, np.random.RandomState(1), "seed"],
    "ntoys": [1.5, 0, "10", True],
    "calculator": ["bogus", None, 1],
    "test_statistic": ["qq", None],
    "expected": ["some", None],
    "asimov_global_observables": ["fit", None],
    "mus": ["ab", [], [NAN], [-1.0], [[1.0]], [1.0, "2"]],
    "cl": [1.5, 0.0, NAN, "0.95", True],
    "rtol": [0.0, -1.0, NAN, "1e-6"],
    "fixed": [{"nu": 1.0}, [1.0], {"mu": NAN}, {"mu": "1"}, {"theta": True}],
    "init": [[1.0], [NAN, 0.0], ["1", "0"]],
    "method": ["newton", None],
    "band": ["quartiles", None, 2],
    "parameter": ["nope", 1, ["mu"]],
    "flag": ["yes", 1, None],  # True or False only (numpy's booleans too)
    "poi": ["nope", 1, None],
    "grid": [[("mu", (0.0, 1.0, 3))], {}, {"nope": (0.0, 1.0, 3)}, {"mu": (1.0, 0.0, 3)},
             {"mu": (0.0, 1.0, 1)}, {"mu": [0.0]}, {"mu": [NAN, 1.0]}, {"mu": [1.0, 0.5]},
             {"mu": (-1.0, 1.0, 3)}, {"mu": (0.0, 1.0, 3), "theta": (0.0, 1.0, 3), "x": [0.0, 1.0]},
             "mu", None],
}

#: The checked arguments of every public method, and their kinds.
_TESTS = {"calculator": "calculator", "test_statistic": "test_statistic",
          "asimov_global_observables": "asimov_global_observables", "data": "data",
          "ntoys": "ntoys", "rng": "rng", "band": "band", "blind": "flag"}
METHODS = {
    "logpdf": {"pars": "pars", "data": "data"},
    "expected_data": {"pars": "pars"},
    "sample": {"pars": "pars", "size": "size", "rng": "rng"},
    "asimov_data": {"mu": "mu", "asimov_global_observables": "asimov_global_observables",
                    "data": "data", "prefit": "flag"},
    "fit": {"data": "data", "fixed": "fixed", "init": "init"},
    "fixed_poi_fit": {"mu": "any_mu", "data": "data"},
    "likelihood": {"mu": "any_mu", "data": "data"},
    "chi2": {"mu": "mu", "mu_ref": "mu_ref", "data": "data"},
    "calculator": dict(_TESTS),
    "cls": {"mu": "mu", "expected": "expected", **_TESTS},
    "cls_scan": {"mus": "mus", "expected": "expected", **_TESTS},
    "upper_limit": {"cl": "cl", "rtol": "rtol", "expected": "expected", **_TESTS},
    "significance": {"asimov_global_observables": "asimov_global_observables",
                     "mu_asimov": "mu", "data": "data"},
    "sigma_mu": {"mu": "mu", "method": "method",
                 "asimov_global_observables": "asimov_global_observables", "data": "data"},
    "profile_interval": {"parameter": "parameter", "cl": "cl", "data": "data"},
    "with_poi": {"poi": "poi", "fixed": "fixed"},
    "profile_scan": {"grid": "grid", "data": "data"},
}
#: Arguments taken as they are: flags (``progress``: a flag, or a tqdm bar or callback of the
#: caller's), and executors (checked by likelihub.running.scanning).
UNCHECKED = {"uncertainties", "raise_on_failure", "executor", "progress"}
#: Valid values of the required arguments.
REQUIRED = {"pars": [1.0, 0.0], "size": 2, "rng": None, "mu": 1.0, "mus": [1.0], "poi": "theta",
            "grid": {"mu": (0.0, 2.0, 3)}}


def model():
    # n ~ Pois(mu s + b (1 + 0.1 theta)) x N(a | theta, 1): data (n, a), Poisson then normal
    return lh.StatisticalModel(BatchCountingBackend(10, 5, 8, delta=0.1))


def public_methods():
    return sorted(name for name, member in inspect.getmembers(lh.StatisticalModel)
                  if inspect.isfunction(member) and not name.startswith("_")
                  and len(inspect.signature(member).parameters) > 1)


def test_the_table_covers_every_public_method_and_argument():
    assert sorted(METHODS) == public_methods()
    for name, checked in METHODS.items():
        parameters = set(inspect.signature(getattr(lh.StatisticalModel, name)).parameters)
        assert parameters - {"self"} - UNCHECKED == set(checked), name


CASES = [(method, argument, bad)
         for method, checked in METHODS.items()
         for argument, kind in checked.items()
         for bad in BAD_VALUES[kind]]


@pytest.mark.parametrize("method, argument, bad", CASES,
                         ids=[f"{m}-{a}={b!r}" for m, a, b in CASES])
def test_bad_arguments_are_refused_naming_them(method, argument, bad):
    signature = inspect.signature(getattr(lh.StatisticalModel, method)).parameters
    kwargs = {k: v for k, v in REQUIRED.items() if k in signature}
    kwargs[argument] = bad
    expected_error = InvalidDataError if argument == "data" else InvalidArgumentError
    with pytest.raises(expected_error) as error:
        getattr(model(), method)(**kwargs)
    message = str(error.value)
    assert message.startswith(f"argument '{argument}"), message
    assert "\n" not in message


def test_sigma_mu_asimov_at_zero_is_refused():
    with pytest.raises(InvalidArgumentError, match="argument 'mu': must not be 0"):
        model().sigma_mu(0.0)


def test_valid_arguments_of_other_types_are_accepted():
    m = model()
    # numpy scalars, 0-d arrays and tuples are numbers; whole floats are counts (1e1 toys)
    assert m.logpdf((np.float32(1.0), np.array(0.0))) == pytest.approx(m.logpdf([1.0, 0.0]),
                                                                     rel=1e-12)
    result = m.cls(np.int64(1), calculator="toys", ntoys=1e1, rng=np.random.default_rng(1))
    assert result.ntoys == 10
    assert m.sample([1.0, 0.0], np.int64(3), np.random.default_rng(2)).shape == (3, 2)
    # auxiliary data of a Gaussian constraint may be negative; Poisson counts need not be whole
    assert m.fit(data=[9.5, -1.2]).converged
    assert m.fit(fixed={"theta": 0.5}, init=(1.0, 0.5))["theta"] == 0.5
    # fits may hold mu at any finite value, also outside its bounds (0, 10)
    assert np.isfinite(m.likelihood(12.0))


def test_errors_are_likelihub_errors_and_value_errors():
    # scripts that caught ValueError before still catch every refusal
    with pytest.raises(ValueError):
        model().cls(1.0, calculator="bogus")
    error = InvalidArgumentError("must be finite, got nan", argument="mu")
    assert isinstance(error, LikelihubError)
    assert str(error) == "argument 'mu': must be finite, got nan"
