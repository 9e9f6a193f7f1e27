"""Checks of the arguments of the public methods: a clear error at once, naming the argument.

Each function returns the argument in the form the inference code needs (a float, an int, an
array, a generator) or raises :class:`~likelihub.errors.InvalidArgumentError`
(:class:`~likelihub.errors.InvalidDataError` for data sets) whose message starts with
``argument '<name>'``. :class:`likelihub.StatisticalModel` calls them on entry to every public
method, so that a wrong argument never surfaces as an ``AttributeError``, ``IndexError`` or
``TypeError`` from deep inside numpy, nor as a fit that wanders for minutes on a NaN.

What is refused: booleans and strings where numbers are expected (``True`` is not a count and
``"5"`` is not a signal strength), NaN and infinities, fractional counts (``ntoys=1.5``; whole
floats such as ``1e4`` are accepted), random generators that are not
:class:`numpy.random.Generator`, vectors of the wrong length, names of unknown parameters, and
choices outside the documented ones. :func:`free_poi` checks the model rather than an argument:
hypothesis tests need the parameter of interest free.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from likelihub.errors import InvalidArgumentError, InvalidDataError, InvalidModelError

__all__ = [
    "real",
    "signal_strength",
    "whole_number",
    "probability",
    "positive",
    "choice",
    "flag",
    "generator",
    "numbers_array",
    "parameter_vector",
    "fixed_values",
    "data_set",
    "free_poi",
]

#: Bad entries listed in a message, at most.
_SHOWN = 5


def _describe(value) -> str:
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _is_number(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"


def real(value, *, argument: str) -> float:
    """A finite real number (not a boolean, not a string)."""
    if not _is_number(value):
        raise InvalidArgumentError(f"must be a real number, got {_describe(value)}", argument=argument)
    number = float(value)
    if not np.isfinite(number):
        raise InvalidArgumentError(f"must be finite, got {number}", argument=argument)
    return number


def signal_strength(value, *, argument: str = "mu", low: float = -np.inf,
                    reason: str = "") -> float:
    """A finite signal strength at or above ``low`` (the POI's lower bound where it matters).

    ``reason`` says why values below ``low`` are refused (appended to the message).
    """
    mu = real(value, argument=argument)
    if mu < low:
        why = f": {reason}" if reason else ""
        raise InvalidArgumentError(f"{mu:g} lies below the POI's lower bound {low:g}{why}",
                                   argument=argument)
    return mu


def whole_number(value, *, argument: str, minimum: int = 1) -> int:
    """An integer at or above ``minimum``; whole floats (``1e4``) are accepted."""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
        number = int(value)
    elif _is_number(value) and np.isfinite(float(value)) and float(value).is_integer():
        number = int(float(value))
    else:
        raise InvalidArgumentError(f"must be a whole number, got {_describe(value)}", argument=argument)
    if number < minimum:
        raise InvalidArgumentError(f"must be at least {minimum}, got {number}", argument=argument)
    return number


def probability(value, *, argument: str) -> float:
    """A number strictly between 0 and 1 (a confidence level)."""
    number = real(value, argument=argument)
    if not 0.0 < number < 1.0:
        raise InvalidArgumentError(f"must lie strictly between 0 and 1, got {number:g}",
                                   argument=argument)
    return number


def positive(value, *, argument: str) -> float:
    """A finite number above zero (a tolerance)."""
    number = real(value, argument=argument)
    if not number > 0.0:
        raise InvalidArgumentError(f"must be positive, got {number:g}", argument=argument)
    return number


def choice(value, *, argument: str, choices: Sequence[str]) -> str:
    """One of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise InvalidArgumentError(f"must be one of {options}; got {_describe(value)}",
                                   argument=argument)
    return value


def flag(value, *, argument: str) -> bool:
    """True or False (numpy's booleans too); anything else, 0 and 1 included, is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidArgumentError(f"must be True or False; got {_describe(value)}", argument=argument)
    return bool(value)


def generator(value, *, argument: str = "rng") -> np.random.Generator:
    """A :class:`numpy.random.Generator`; None gives a fresh one (seeded by the OS)."""
    if value is None:
        return np.random.default_rng()
    if not isinstance(value, np.random.Generator):
        raise InvalidArgumentError(
            f"must be a numpy.random.Generator, e.g. numpy.random.default_rng(5), or None; got "
            f"{_describe(value)}", argument=argument)
    return value


def _listed(mask: np.ndarray) -> str:
    entries = np.flatnonzero(mask).tolist()
    shown = ", ".join(str(i) for i in entries[:_SHOWN])
    return shown + (f", ... ({len(entries)} in all)" if len(entries) > _SHOWN else "")


def numbers_array(values, *, argument: str, error=InvalidArgumentError) -> np.ndarray:
    """A float array of ``values``: booleans, strings, None and ragged nestings are refused."""
    if isinstance(values, (str, bytes)) or values is None:
        raise error(f"must be numbers, got {_describe(values)}", argument=argument)
    if isinstance(values, (list, tuple)):
        odd = [v for v in values if isinstance(v, (bool, np.bool_, str, bytes)) or v is None]
        if odd:
            raise error(f"must be numbers, got {_describe(odd[0])} among them", argument=argument)
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise error(f"is not an array of numbers ({exc})", argument=argument) from None
    if array.dtype.kind == "b":
        raise error("must be numbers, got booleans", argument=argument)
    if array.dtype.kind in "USc":
        raise error(f"must be real numbers, got an array of {array.dtype}", argument=argument)
    try:
        return np.array(array, dtype=float)
    except (TypeError, ValueError) as exc:
        raise error(f"is not an array of numbers ({exc})", argument=argument) from None


def parameter_vector(values, *, config, argument: str = "pars") -> np.ndarray:
    """One finite number per parameter of ``config``."""
    array = numbers_array(values, argument=argument)
    n = config.n_parameters
    if array.shape != (n,):
        raise InvalidArgumentError(
            f"has shape {array.shape}; the model has {n} parameters ({_names(config)})",
            argument=argument)
    bad = ~np.isfinite(array)
    if bad.any():
        names = [config.parameter_names[i] for i in np.flatnonzero(bad)[:_SHOWN]]
        raise InvalidArgumentError(f"is not finite (NaN or inf) for parameters {names}",
                                   argument=argument)
    return array


def _names(config) -> str:
    names = list(config.parameter_names)
    return ", ".join(names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")


def fixed_values(fixed, *, config, argument: str = "fixed") -> dict[int, float]:
    """``{name: value}`` of parameters to hold fixed, as ``{index: value}``; None is empty."""
    if fixed is None:
        return {}
    if not isinstance(fixed, Mapping):
        raise InvalidArgumentError(f"must be a mapping {{parameter name: value}}, got "
                                   f"{_describe(fixed)}", argument=argument)
    out = {}
    for name, value in fixed.items():
        if not isinstance(name, str) or name not in config.parameter_names:
            raise InvalidArgumentError(f"names no parameter of the model: {name!r}",
                                       argument=argument)
        out[config.index(name)] = real(value, argument=f"{argument}[{name}]")
    return out


def free_parameter(value, *, config, argument: str = "parameter") -> tuple[str, int]:
    """(name, index) of a parameter the model leaves free; None is the POI."""
    name = config.poi_name if value is None else value
    if not isinstance(name, str) or name not in config.parameter_names:
        raise InvalidArgumentError(f"no parameter {name!r} in the model (parameters: {_names(config)})",
                                   argument=argument)
    index = config.index(name)
    if config.fixed is not None and config.fixed[index]:
        raise InvalidArgumentError(f"{name!r} is fixed in the model (it must be free here)",
                                   argument=argument)
    return name, index


def data_set(values, *, n_data: int, kinds: Sequence[str] | None = None,
             what: str = "data", argument: str = "data") -> np.ndarray:
    """A data set: ``n_data`` finite numbers (main then auxiliary), Poisson entries >= 0.

    ``kinds`` (the model's :class:`~likelihub.backend.config.DataLayout` kinds, if it has one) says which
    entries are Poisson counts; negative counts are refused there. Non-integer counts are
    accepted: Asimov data are not whole numbers.
    """
    array = numbers_array(values, argument=argument, error=InvalidDataError)
    if array.ndim != 1 or array.size != n_data:
        raise InvalidDataError(f"{what} has shape {array.shape}; the model expects {n_data} values "
                               "(main then auxiliary)", argument=argument)
    bad = ~np.isfinite(array)
    if bad.any():
        raise InvalidDataError(f"{what} is not finite at entries [{_listed(bad)}]", argument=argument)
    if kinds is not None and len(kinds) == n_data:
        negative = (np.array([k == "poisson" for k in kinds]) & (array < 0))
        if negative.any():
            raise InvalidDataError(
                f"{what} has negative counts {array[negative][:_SHOWN].tolist()} at Poisson "
                f"entries [{_listed(negative)}]", argument=argument)
    return array


def free_poi(config, *, what: str) -> int:
    """The POI's index; an :class:`~likelihub.errors.InvalidModelError` where ``config`` holds
    the POI fixed, for ``what`` (e.g. "CLs and upper limits") needs mu-hat free."""
    poi = config.require_poi()
    if config.fixed[poi]:
        name = config.poi_name
        raise InvalidModelError(
            f"the parameter of interest {name!r} is fixed by the model's configuration (at "
            f"{config.init[poi]:g}), so {what} would pin mu-hat and mean nothing; free it where "
            f"the model is defined (HistFactory: drop \"fixed\": true of {name!r} from the "
            "measurement's parameters)")
    return poi
