"""The values an HS3 distribution reads: numbers, parameters, observables and ``functions``.

    graph = ValueGraph(document)
    mean = graph.value("n_exp_bin1")      # a closure of a mapping {leaf name: value}
    mean({"r": 1.0})
    graph.leaves("n_exp_bin1")            # {'r'}: the names it finally reads

Functions supported (HS3 v0.2 "Functions"): ``sum`` (``summands``), ``product`` (``factors``),
``generic_function`` (``expression``, :mod:`.expressions`) and ``CMS::process_normalization``
(Combine's ``ProcessNormalization`` as ROOT writes it: ``nominalValue`` times ``exp(theta_i
logKappa_i)`` over ``thetaList`` times the ``otherFactorList``; asymmetric kappas are refused).
A name that is no function is a leaf (a parameter or an observable); a function of another type is
an error naming it, its type and the file. References that loop are an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from likelihub.errors import InvalidModelError

from .document import is_number
from .expressions import parse

__all__ = ["ValueGraph", "SUPPORTED_FUNCTIONS"]

#: The function types this reader evaluates.
SUPPORTED_FUNCTIONS = ("sum", "product", "generic_function", "CMS::process_normalization")


class ValueGraph:
    """Closures of the values of references (numbers, leaves, functions) of a document."""

    def __init__(self, document):
        self.document = document
        self._closures: dict[str, Callable] = {}
        self._leaves: dict[str, frozenset] = {}
        self._building: list[str] = []

    def where(self, name: str | None = None) -> dict:
        return {"file": self.document.file, "argument": name}

    def value(self, reference) -> Callable:
        """A function of ``{leaf: value}`` giving the value of ``reference``."""
        if is_number(reference):
            number = float(reference)
            return lambda values: number
        if not isinstance(reference, str):
            raise InvalidModelError(f"a value must be a number or a name, got {reference!r}", **self.where())
        if reference not in self.document.index["functions"]:
            return lambda values: values[reference]
        if reference not in self._closures:
            self._build(reference)
        return self._closures[reference]

    def leaves(self, reference) -> frozenset:
        """The names of parameters and observables ``reference`` reads (through its functions)."""
        if is_number(reference):
            return frozenset()
        if reference not in self.document.index["functions"]:
            return frozenset([reference])
        if reference not in self._leaves:
            self._build(reference)
        return self._leaves[reference]

    def _build(self, name: str) -> None:
        if name in self._building:
            loop = " -> ".join(self._building[self._building.index(name):] + [name])
            raise InvalidModelError(f"functions refer to each other in a loop: {loop}", **self.where(name))
        self._building.append(name)
        try:
            function = self.document.index["functions"][name]
            kind = function.get("type")
            builder = {"sum": self._sum, "product": self._product, "generic_function": self._generic,
                       "CMS::process_normalization": self._process_normalization}.get(kind)
            if builder is None:
                raise InvalidModelError(f"function {name!r} has type {kind!r}, which this reader does not "
                                        f"evaluate (it does {list(SUPPORTED_FUNCTIONS)})", **self.where(name))
            closure, leaves = builder(name, function)
        finally:
            self._building.pop()
        self._closures[name], self._leaves[name] = closure, frozenset(leaves)

    def _references(self, name: str, function: dict, key: str) -> list:
        references = function.get(key)
        if not isinstance(references, list):
            raise InvalidModelError(f"function {name!r} needs an array {key!r}", **self.where(name))
        return references

    def _sum(self, name: str, function: dict):
        parts = self._references(name, function, "summands")
        closures = [self.value(p) for p in parts]
        return (lambda values: math.fsum(c(values) for c in closures)), self._union(parts)

    def _product(self, name: str, function: dict):
        parts = self._references(name, function, "factors")
        closures = [self.value(p) for p in parts]
        return (lambda values: math.prod(c(values) for c in closures)), self._union(parts)

    def _generic(self, name: str, function: dict):
        expression = parse(function.get("expression"), self.where(name))
        closures = {n: self.value(n) for n in expression.names}
        leaves = self._union(list(expression.names))
        return (lambda values: expression.evaluate({n: c(values) for n, c in closures.items()})), leaves

    def _process_normalization(self, name: str, function: dict):
        if function.get("asymmThetaList") or function.get("logAsymmKappa"):
            raise InvalidModelError(f"function {name!r}: asymmetric kappas of CMS::process_normalization "
                                    "are not supported yet", **self.where(name))
        nominal = function.get("nominalValue")
        if not is_number(nominal):
            raise InvalidModelError(f"function {name!r} needs a numeric 'nominalValue'", **self.where(name))
        thetas = function.get("thetaList", []) or []
        kappas = function.get("logKappa", []) or []
        others = function.get("otherFactorList", []) or []
        if len(thetas) != len(kappas) or not all(is_number(k) for k in kappas):
            raise InvalidModelError(f"function {name!r} needs one numeric logKappa per theta "
                                    f"({len(kappas)} for {len(thetas)})", **self.where(name))
        theta_values = [self.value(t) for t in thetas]
        other_values = [self.value(o) for o in others]
        nominal, kappas = float(nominal), [float(k) for k in kappas]

        def closure(values):
            log = math.fsum(t(values) * k for t, k in zip(theta_values, kappas, strict=True))
            return nominal * math.exp(log) * math.prod(o(values) for o in other_values)

        return closure, self._union(list(thetas) + list(others))

    def _union(self, references: list) -> set:
        leaves: set = set()
        for reference in references:
            leaves |= self.leaves(reference)
        return leaves
