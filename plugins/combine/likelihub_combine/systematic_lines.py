"""The lines after the rate line of a datacard: per-column systematics (lnN, lnU, gmN, shape...),
``param``, ``flatParam``, ``rateParam``, ``extArg``, ``group``, ``autoMCStats`` and ``nuisance edit``
(Combine's ``DatacardParser.py``), read into the :class:`~likelihub_combine.card.Datacard` by
:class:`SystematicLines`, a part of the parser."""

from __future__ import annotations

import re

from likelihub.errors import InvalidModelError

from .card import (
    SYSTEMATIC_TYPES,
    AutoMCStats,
    Column,
    ExtArg,
    Group,
    NuisanceEdit,
    Param,
    RateParam,
    Systematic,
)

__all__ = ["SystematicLines", "to_float", "value_range"]

_RANGE = re.compile(r"^\[\s*([^,\]]+)\s*,\s*([^,\]]+)\s*\]$")
_UNSUPPORTED = {
    "discrete": "discrete (multipdf) parameters are not supported",
    "shapeU": "shapeU (unconstrained shape) systematics are not supported",
}


def to_float(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidModelError(f"{what}: {text!r} is not a number", file=where) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidModelError(f"{what}: {text!r} is not a finite number", file=where)
    return value


def value_range(text: str, where: str, what: str) -> tuple[float, float]:
    match = _RANGE.match(text)
    if not match:
        raise InvalidModelError(f"{what}: the range {text!r} is not of the form [low,high]", file=where)
    low, high = (to_float(x, where, what) for x in match.groups())
    if not low < high:
        raise InvalidModelError(f"{what}: the range {text!r} is empty (low >= high)", file=where)
    return low, high


class SystematicLines:
    """The systematic and parameter lines (mixed into the parser: it has ``card`` and ``where``)."""

    # -- systematics and parameters ------------------------------------------------------------
    def systematic(self, number: int, fields: list[str]) -> None:
        where = self.where(number)
        if fields[0] == "nuisance" and len(fields) > 2 and fields[1] == "edit":
            self.card.edits.append(NuisanceEdit(fields[2], tuple(fields[3:]), number))
            return
        if len(fields) < 2:
            raise InvalidModelError(f"the line {' '.join(fields)!r} has no type", file=where)
        name, kind = fields[0], fields[1]
        if name.endswith("[nofloat]"):
            raise InvalidModelError("[nofloat] systematics are not supported", file=where, modifier=name)
        if name[0].isdigit() and kind != "autoMCStats":
            name = "theta" + name  # as Combine names a parameter whose name starts with a digit
            fields = [name, *fields[1:]]
        if kind == "autoMCStats":
            self.auto_mc_stats(number, fields)
        elif kind in _UNSUPPORTED:
            raise InvalidModelError(_UNSUPPORTED[kind], file=where, modifier=name)
        elif kind in SYSTEMATIC_TYPES:
            self.per_column(number, fields)
        elif kind in ("param", "flatParam"):
            self.param(number, fields)
        elif kind == "rateParam":
            self.rate_param(number, fields)
        elif kind == "extArg":
            if len(fields) < 3:
                raise InvalidModelError("extArg needs a value", file=where, modifier=name)
            if ":" in fields[2]:
                raise InvalidModelError(
                    f"extArg from a ROOT workspace ({fields[2]!r}) is not supported",
                    file=where,
                    modifier=name,
                )
            value = to_float(fields[2], where, f"extArg {name}")
            bounds = value_range(fields[3], where, f"extArg {name}") if len(fields) > 3 else None
            self.card.ext_args.append(ExtArg(name, value, bounds, number))
        elif kind == "group":
            if len(fields) < 3 or fields[2] not in ("=", "+="):
                raise InvalidModelError(
                    "a group line reads: name group = parameters...", file=where, modifier=name
                )
            if len(fields) == 3:
                raise InvalidModelError(f"the group {name!r} lists no parameters", file=where, modifier=name)
            self.card.groups.append(Group(name, tuple(fields[3:]), number, extend=fields[2] == "+="))
        else:
            raise InvalidModelError(
                f"unknown systematic type {kind!r} (known: {', '.join(SYSTEMATIC_TYPES)}"
                ", param, flatParam, rateParam, extArg, group, autoMCStats)",
                file=where,
                modifier=name,
            )

    def per_column(self, number: int, fields: list[str]) -> None:
        where = self.where(number)
        name, kind = fields[0], fields[1]
        count = None
        values_at = 2
        if kind == "gmN":
            if len(fields) < 3:
                raise InvalidModelError("gmN needs the control-region count N", file=where, modifier=name)
            try:
                count = int(fields[2])
            except ValueError:
                raise InvalidModelError(
                    f"gmN: the count {fields[2]!r} is not an integer", file=where, modifier=name
                ) from None
            if count < 0:
                raise InvalidModelError(f"gmN: negative count {count}", file=where, modifier=name)
            values_at = 3
        texts = fields[values_at : values_at + len(self.card.columns)]
        if len(texts) < len(self.card.columns):
            raise InvalidModelError(
                f"{len(texts)} values for the {len(self.card.columns)} columns of the rate block",
                file=where,
                modifier=name,
            )
        values = []
        for column, text in zip(self.card.columns, texts, strict=False):
            values.append(self.column_value(kind, text, where, name, column))
        if kind == "gmN":
            for column, alpha in zip(self.card.columns, values, strict=False):
                # Combine's check (ModelTools.py): the rate must be alpha * N within
                # max(5% of max(rate, 1), alpha).
                if (
                    alpha is not None
                    and column.rate != -1
                    and abs(column.rate - alpha * count) > max(0.05 * max(column.rate, 1.0), alpha)
                ):
                    raise InvalidModelError(
                        f"gmN: the rate {column.rate} is not alpha * N = {alpha} * {count}",
                        file=where,
                        modifier=name,
                        channel=column.channel,
                        sample=column.process,
                    )
        self.card.systematics.append(Systematic(name, kind, tuple(values), number, count))

    @staticmethod
    def column_value(kind: str, text: str, where: str, name: str, column: Column):
        location = {"file": where, "modifier": name, "channel": column.channel, "sample": column.process}
        if text == "-" * len(text):
            return None
        if "/" in text:
            if kind not in ("lnN", "lnU", "shape?"):
                raise InvalidModelError(
                    f"asymmetric values ({text}) are allowed only for lnN, lnU and shape?", **location
                )
            low_text, high_text = text.split("/", 1)
            low = to_float(low_text, where, f"{name} (lnN) for process {column.process!r}")
            high = to_float(high_text, where, f"{name} (lnN) for process {column.process!r}")
            if low <= 0 or high <= 0:
                raise InvalidModelError(f"{kind} kappa {text} must be positive", **location)
            return (low, high)
        value = to_float(text, where, f"{name} ({kind}) for process {column.process!r}")
        if value == 0:
            return None
        if kind == "lnN" and value == 1:
            return None
        if kind in ("lnN", "lnU") and value < 0:
            raise InvalidModelError(f"{kind} kappa {text} must be positive", **location)
        if kind == "gmN" and value < 0:
            raise InvalidModelError(f"gmN alpha {text} must not be negative", **location)
        if kind == "gmM" and value < 0:
            raise InvalidModelError(f"gmM uncertainty {text} must not be negative", **location)
        if kind.startswith("shape") and value < 0:
            raise InvalidModelError(f"shape scale factor {text} must be positive", **location)
        return value

    def param(self, number: int, fields: list[str]) -> None:
        where = self.where(number)
        name, kind = fields[0], fields[1]
        if kind == "flatParam":
            self.card.params.append(Param(name, 0.0, 0.0, 0.0, None, number, flat=True))
            return
        if len(fields) < 4:
            raise InvalidModelError("param needs a mean and a sigma", file=where, modifier=name)
        mean = to_float(fields[2], where, f"param {name}: mean")
        sigma = fields[3]
        if "/" in sigma:
            low_text, high_text = sigma.split("/", 1)
            low = -to_float(low_text, where, f"param {name}: sigma")
            high = to_float(high_text, where, f"param {name}: sigma")
        else:
            low = high = to_float(sigma, where, f"param {name}: sigma")
        if low <= 0 or high <= 0:
            raise InvalidModelError(
                f"param sigma {sigma} must be positive (asymmetric: -low/+high)", file=where, modifier=name
            )
        bounds = value_range(fields[4], where, f"param {name}") if len(fields) > 4 else None
        self.card.params.append(Param(name, mean, low, high, bounds, number))

    def rate_param(self, number: int, fields: list[str]) -> None:
        where = self.where(number)
        name = fields[0]
        if len(fields) < 5:
            raise InvalidModelError(
                "a rateParam line reads: name rateParam channel process value [range]",
                file=where,
                modifier=name,
            )
        channel, process, value_text = fields[2], fields[3], fields[4]
        try:
            value = float(value_text)
        except ValueError:
            value = None
        if value is not None:
            bounds = value_range(fields[5], where, f"rateParam {name}") if len(fields) > 5 else None
            self.card.rate_params.append(RateParam(name, channel, process, value, bounds, None, (), number))
            return
        if ":" in value_text and len(fields) == 5:
            raise InvalidModelError(
                f"rateParam from a ROOT workspace ({value_text!r}) is not supported",
                file=where,
                modifier=name,
            )
        if len(fields) < 6:
            raise InvalidModelError(
                f"the formula rateParam {value_text!r} names no arguments", file=where, modifier=name
            )
        arguments = tuple(a for a in fields[5].split(",") if a)
        self.card.rate_params.append(
            RateParam(name, channel, process, None, None, value_text, arguments, number)
        )

    def auto_mc_stats(self, number: int, fields: list[str]) -> None:
        where = self.where(number)
        if len(fields) < 3:
            raise InvalidModelError("autoMCStats needs a threshold", file=where, channel=fields[0])
        threshold = to_float(fields[2], where, "autoMCStats threshold")
        include = int(to_float(fields[3], where, "autoMCStats include-signal")) if len(fields) > 3 else 0
        mode = int(to_float(fields[4], where, "autoMCStats hist-mode")) if len(fields) > 4 else 1
        if fields[0] != "*" and fields[0] not in self.card.channels:
            raise InvalidModelError(
                "autoMCStats names a channel the card does not have", file=where, channel=fields[0]
            )
        self.card.auto_mc_stats.append(AutoMCStats(fields[0], threshold, bool(include), mode, number))
