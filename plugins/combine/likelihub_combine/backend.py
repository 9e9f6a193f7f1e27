"""The ``combine.datacard`` backend: Combine's likelihood of a text datacard.

    -log L = sum over bins (nu - n log nu + log n!) + constraint terms

with the Gaussian constraints 0.5 ((theta - theta_In) / sigma)^2 (+ their normalisation), the
Poisson constraints of gmN and of autoMCStats' per-process counts, and the data laid out as the
core expects: the bins of every channel (card order), then one global observable per constrained
parameter (in parameter order). Asimov data built from ``expected_data`` set each global
observable to its parameter's value, which is Combine's a-posteriori Asimov (``toysFrequentist``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from likelihub.errors import InvalidDataError
from likelihub.plugin import (
    DEVICES,
    ConstraintTerm,
    DataLayout,
    ModelConfig,
    arguments,
    optional_method,
    select_device,
)

from .build import Built, build_model
from .card import Datacard
from .edits import apply_edits
from .inputs import CardSource, append_lines, read_cards
from .kernels import cpu as kernels
from .kernels import reference
from .kernels.layout import Constraints, kernel_model
from .parameter_options import apply_parameter_options
from .physics_model import physics_model
from .yields import CombineYieldsMixin

__all__ = ["CombineDatacard", "datacard"]

#: What the kernels add to the contract (the NumPy path, ``kernels=False``, offers none of them).
_KERNEL_METHODS = frozenset({"value_and_grad", "hessian", "value_grad_and_hessian", "value_and_grad_batch",
                             "hessian_batch", "logpdf_batch"})


def _kernel_array(values) -> np.ndarray:
    """``values`` as a C-contiguous, writeable float64 array (copied only where it is not one): the
    kernels are compiled for such arrays, and a read-only one would compile them again."""
    values = np.asarray(values, dtype=np.float64)
    if not (values.flags.c_contiguous and values.flags.writeable):
        values = np.array(values, dtype=np.float64, order="C")
    return values


class CombineDatacard(CombineYieldsMixin):
    """Combine's likelihood of a parsed datacard (see :func:`datacard` for the factory).

    Parameters
    ----------
    card, built
        The parsed card and the model built from it (:func:`~likelihub_combine.build.build_model`).
    kernels
        Evaluate with the numba kernels (:mod:`likelihub_combine.kernels`: analytic gradients and
        Hessians, batches of toys, stacks of models), or, where False, with the NumPy reference
        alone (log L only: fits take MIGRAD with finite differences), for comparisons.
    poi_index
        The position of the POI tested by CLs and limits (``pois``: ``--redefineSignalPOIs``).
    pois
        The positions of every POI (the physics model's, or those of ``--redefineSignalPOIs``),
        ``poi_index`` among them; None: ``poi_index`` alone.
    groups
        The card's groups of nuisance parameters (``group`` lines, and ``autoMCStats``).
    device
        Where batches (``value_and_grad_batch``, ``logpdf_batch``) run: ``"auto"`` (a GPU if
        numba.cuda finds one, else the CPU), ``"cpu"`` or ``"cuda"`` (:mod:`.devices`). Single
        evaluations, Hessians and stacks run on the CPU; without the kernels, everything does.
    """

    def __init__(self, card: Datacard, built: Built, *, kernels: bool = True, poi_index: int = 0,
                 pois: Sequence[int] | None = None, groups: dict[str, tuple[str, ...]] | None = None,
                 device: str = "auto"):
        self.card = card
        self.built = built
        #: The card's groups of nuisance parameters (``group`` lines, and ``autoMCStats``).
        self.groups = dict(groups or {})
        table = built.table.items
        self.parameter_names = [p.name for p in table]
        self.n_main = built.observed.size
        constrained = [i for i, p in enumerate(table) if p.constraint is not None]
        self._normal = np.array([i for i in constrained if table[i].constraint == "normal"], int)
        self._poisson = np.array([i for i in constrained if table[i].constraint == "poisson"], int)
        order = {i: j for j, i in enumerate(constrained)}
        self._normal_aux = self.n_main + np.array([order[i] for i in self._normal], int)
        self._poisson_aux = self.n_main + np.array([order[i] for i in self._poisson], int)
        self._sigma_low = np.array([table[i].sigma_low for i in self._normal])
        self._sigma_high = np.array([table[i].sigma_high for i in self._normal])
        self.constraints = Constraints(self._normal, self._normal_aux, self._sigma_low, self._sigma_high,
                                       self._poisson, self._poisson_aux)
        centers = np.array([table[i].center for i in constrained])
        self.data = np.concatenate([built.observed, centers])
        kinds = ["poisson"] * self.n_main + [
            ("normal" if table[i].constraint == "normal" else "poisson") for i in constrained
        ]
        widths = np.ones(len(kinds))
        for j, i in enumerate(constrained):
            widths[self.n_main + j] = table[i].sigma_high
        fixed = [p.name in built.frozen for p in table]
        self.config = ModelConfig(
            parameter_names=self.parameter_names,
            poi_index=poi_index,
            pois=pois,
            init=[p.init for p in table],
            bounds=[(p.low, p.high) for p in table],
            fixed=fixed,
            n_main=self.n_main,
            data_layout=DataLayout(kinds, widths),
        )
        self.uses_kernels = bool(kernels)
        #: Where batches run: ``"cpu"`` or ``"cuda"``.
        self.device = select_device(device) if kernels else "cpu"
        self._gpu = None  # the CudaRows of this card, made on the first batch on the GPU
        self.offered_methods = _KERNEL_METHODS if kernels else frozenset()
        self.kernel_model = self.kernel_model_in(None) if kernels else None
        if kernels:  # the arguments of kernels.nll_grad_hessian_rows for this one model
            model = self.kernel_model
            self._kernel_arrays = (np.array([0, model.ints.size], np.int64),
                                   np.array([0, model.floats.size], np.int64), model.ints, model.floats)
            self._one_row = np.zeros(1, np.int64)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_gpu"] = None  # device memory stays in its process; made again on first use
        return state

    def kernel_model_in(self, parameter_index: np.ndarray | None):
        """The model as the kernels take it, with the parameters at ``parameter_index`` (a stack's
        order; the card's own where None)."""
        return kernel_model(self.built.yields, self.built.mc_stats, self.constraints, n_data=self.data.size,
                            parameter_index=parameter_index)

    # -- arguments ---------------------------------------------------------------------------
    def _pars(self, pars) -> np.ndarray:
        pars = _kernel_array(pars)
        if pars.shape != (len(self.parameter_names),):
            raise InvalidDataError(f"parameters have shape {pars.shape}; the card has "
                                   f"{len(self.parameter_names)}", argument="pars")
        return pars

    def _data(self, data) -> np.ndarray:
        data = _kernel_array(data)
        if data.shape != self.data.shape:
            raise InvalidDataError(f"data have shape {data.shape}; the card expects {self.data.shape}: "
                                   "the bins, then the global observables", argument="data")
        return data

    def _batch(self, pars, data) -> tuple[np.ndarray, np.ndarray]:
        pars, data = np.asarray(pars, dtype=float), np.asarray(data, dtype=float)
        n = max(pars.shape[0] if pars.ndim == 2 else 1, data.shape[0] if data.ndim == 2 else 1)
        try:
            pars = _kernel_array(np.broadcast_to(pars, (n, len(self.parameter_names))))
            data = _kernel_array(np.broadcast_to(data, (n, self.data.size)))
        except ValueError:
            raise InvalidDataError(f"parameters of shape {pars.shape} and data of shape {data.shape} do not "
                                   f"make a batch of ({len(self.parameter_names)},) parameter and "
                                   f"({self.data.size},) data sets", argument="pars") from None
        return pars, data

    # -- the contract ------------------------------------------------------------------------
    def expected_main(self, pars: np.ndarray) -> np.ndarray:
        """Expected events in every bin at ``pars``."""
        pars = self._pars(pars)
        if self.kernel_model is None:
            return reference.expected_main(self.built.yields, self.built.mc_stats, pars)
        return kernels.expected_main(pars, self.kernel_model.ints, self.kernel_model.floats)

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """Expected bins, then each constrained parameter's value as its global observable."""
        pars = self._pars(pars)
        aux = np.empty(self.data.size - self.n_main)
        aux[self._normal_aux - self.n_main] = pars[self._normal]
        aux[self._poisson_aux - self.n_main] = pars[self._poisson]
        return np.concatenate([self.expected_main(pars), aux])

    def _rows(self, pars: np.ndarray, data: np.ndarray, order: int):
        """The kernel on rows of ``pars`` (N, P) and ``data`` (N, D): -log L, gradients, Hessians."""
        members = self._one_row if pars.shape[0] == 1 else np.zeros(pars.shape[0], np.int64)
        grads = np.empty_like(pars)
        size = pars.shape[1] if order >= 2 else 0
        hessians = np.empty((pars.shape[0], size, size))
        nll = kernels.nll_grad_hessian_rows(pars, data, members, *self._kernel_arrays, order, grads, hessians)
        return nll, grads, hessians

    def _batch_rows(self, pars, data, order: int):
        """-log L and gradients (order <= 1) of a batch, either argument broadcast: on the GPU
        where the card's device is ``"cuda"`` (a shared row sent once), else :meth:`_rows`."""
        if self.device == "cuda":
            return self._gpu_rows().nll_and_grad(pars, data)
        return self._rows(*self._batch(pars, data), order)[:2]

    def _gpu_rows(self):
        """The GPU's evaluator of this card's rows (:class:`~.devices.CudaRows`), made once."""
        if self._gpu is None:
            from .devices import CudaRows

            ints, floats = self.kernel_model.ints, self.kernel_model.floats
            self._gpu = CudaRows(ints, floats, *self._kernel_arrays[:2], self.data.size)
        return self._gpu

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """The log-likelihood of ``data`` (bins then global observables) at ``pars``."""
        pars, data = self._pars(pars), self._data(data)
        if self.kernel_model is None:
            return reference.logpdf(self.built.yields, self.built.mc_stats, self.constraints, pars, data)
        return -float(self._rows(pars[None], data[None], 0)[0][0])

    @optional_method
    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """log L and its analytic gradient."""
        pars, data = self._pars(pars), self._data(data)
        nll, grads, _ = self._rows(pars[None], data[None], 1)
        return -float(nll[0]), np.negative(grads[0])

    @optional_method
    def value_grad_and_hessian(self, pars: np.ndarray, data: np.ndarray
                               ) -> tuple[float, np.ndarray, np.ndarray]:
        """log L, its gradient and its analytic Hessian from one kernel call."""
        pars, data = self._pars(pars), self._data(data)
        nll, grads, hessians = self._rows(pars[None], data[None], 2)
        return -float(nll[0]), np.negative(grads[0]), np.negative(hessians[0])

    @optional_method
    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """The analytic Hessian of log L."""
        return self.value_grad_and_hessian(pars, data)[2]

    @optional_method
    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log L (N,) and gradients (N, P) of N parameter sets (N, P) and N data sets (N, D), either
        broadcast (toys fitted in lock-step); on the GPU where the card's ``device`` is ``"cuda"``."""
        nll, grads = self._batch_rows(pars, data, 1)
        return np.negative(nll, out=nll), np.negative(grads, out=grads)

    @optional_method
    def hessian_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessians (N, P, P) of log L of N parameter and data sets, either broadcast."""
        _, _, hessians = self._rows(*self._batch(pars, data), 2)
        return np.negative(hessians, out=hessians)

    @optional_method
    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """log L (N,) of N parameter and data sets, either broadcast (on the GPU as
        :meth:`value_and_grad_batch`, the gradient computed and dropped)."""
        nll, _ = self._batch_rows(pars, data, 0)
        return np.negative(nll, out=nll)

    @classmethod
    def stack(cls, backends: Sequence[CombineDatacard]):
        """A stack of cards with the same parameters (a scan's mass points), fitted in lock-step
        with one kernel call per batch (:class:`~likelihub_combine.stacking.CombineStack`)."""
        from .stacking import CombineStack

        return CombineStack(backends)

    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` pseudo-data sets at ``pars``: Poisson bins, global observables drawn around
        the parameters (Gaussian, bifurcated where sigma is asymmetric; Poisson for gmN)."""
        expected = self.expected_data(pars)
        toys = np.empty((size, expected.size))
        toys[:, : self.n_main] = rng.poisson(expected[: self.n_main], (size, self.n_main))
        if self._normal.size:
            center = expected[self._normal_aux]
            draws = rng.standard_normal((size, self._normal.size))
            toys[:, self._normal_aux] = (
                center + np.where(draws < 0, self._sigma_low, self._sigma_high) * draws
            )
        if self._poisson.size:
            toys[:, self._poisson_aux] = rng.poisson(expected[self._poisson_aux], (size, self._poisson.size))
        return toys

    def constraint_terms(self) -> tuple[ConstraintTerm, ...]:
        """The constraint term of each constrained parameter: Gaussian (bifurcated where the card's
        sigma is asymmetric) or Poisson of mean theta (gmN, autoMCStats' Poisson counts)."""
        normal = [ConstraintTerm(parameter=int(p), datum=int(d), kind="normal", width=float(high),
                                 width_low=float(low))
                  for p, d, low, high in zip(self._normal, self._normal_aux, self._sigma_low,
                                             self._sigma_high, strict=True)]
        poisson = [ConstraintTerm(parameter=int(p), datum=int(d), kind="poisson")
                   for p, d in zip(self._poisson, self._poisson_aux, strict=True)]
        return tuple(sorted(normal + poisson, key=lambda t: t.datum))

    def describe(self) -> str:
        """A summary of the card for ``likelihub inspect``."""
        card = self.card
        kinds = {}
        for item in self.built.table.items[1:]:
            kinds[item.origin] = kinds.get(item.origin, 0) + 1
        parts = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        return (
            f"Combine datacard {card.title or card.path or '<text>'}: {len(card.channels)} channels, "
            f"{self.n_main} bins, {len(card.processes)} processes ({', '.join(card.signals)} signal); "
            f"POI {self.config.poi_name}; {len(self.parameter_names) - 1} other parameters ({parts})"
        )


def datacard(
    card: CardSource | Mapping[str, CardSource] | Sequence[CardSource],
    *,
    mass: str | float | None = None,
    extra_lines: str | Path | Sequence[str] | None = None,
    physics_options: Sequence[str] | None = None,
    pois: str | Sequence[str] | None = None,
    r_range: tuple[float, float] | None = None,
    parameter_ranges: Mapping[str, tuple[float, float]] | None = None,
    set_parameters: Mapping[str, float] | None = None,
    float_parameters: str | Sequence[str] | None = None,
    freeze: str | Sequence[str] | None = None,
    freeze_groups: str | Sequence[str] | None = None,
    device: str = "auto",
) -> CombineDatacard:
    """Combine's likelihood of a text datacard (or of several, combined), as ``text2workspace.py``
    builds it, with Combine's options on the parameters.

    Parameters
    ----------
    card
        The datacard's file (or a parsed :class:`~likelihub_combine.card.Datacard`); or several
        to combine as ``combineCards.py`` does: ``{"label": "card.txt", ...}`` (channels named
        ``label``, or ``label_<bin>`` for a multi-bin card) or a list (labels ``ch1``, ``ch2``...,
        or ``"label=card.txt"`` items).
    mass
        The value of ``$MASS`` in the card's ``shapes`` lines (Combine's ``-m``).
    extra_lines
        Datacard lines appended to the (combined) card: a file, or a list of lines (e.g. the
        ``rateParam`` lines of the long exercise's ``rateParams.txt``).
    physics_options
        ``--PO`` options of Combine's multi-signal model (``map=bin/process:poi[init,min,max]``,
        ``turnoff=...``); None: the default model, ``r`` scaling every signal process.
    pois
        ``--redefineSignalPOIs``: the POI likelihub tests is the first name (default: the
        physics model's first POI); others float as ordinary parameters.
    r_range
        ``--rMin``, ``--rMax``: the range of the physics model's first POI (default [0, 20]).
    parameter_ranges
        ``--setParameterRanges``: {name: (low, high)}; names may be ``rgx{regex}``.
    set_parameters
        ``--setParameters``: {name: value}, initial values (frozen parameters stay there).
    float_parameters, freeze, freeze_groups
        ``--floatParameters``, ``--freezeParameters``, ``--freezeNuisanceGroups`` (in that order
        of priority: freezing wins); names, ``rgx{regex}``, ``var{regex}``,
        ``allConstrainedNuisances`` (freeze), ``all`` (float); a group ``^name`` freezes the
        nuisances outside it. See :mod:`likelihub_combine.parameter_options`.
    device
        Where batches of rows (toys fitted in lock-step, scans) run: ``"auto"`` (the default: a
        GPU if numba.cuda finds one, the CPU otherwise), ``"cpu"`` or ``"cuda"`` (a
        CapabilityError where no GPU is usable). See :mod:`likelihub_combine.devices`.

    Returns
    -------
    CombineDatacard
        The backend (POI ``r``); ``get_backend("combine.datacard")`` returns it as a StatisticalModel.

    Raises
    ------
    likelihub.errors.InvalidModelError
        A malformed card or a missing template, naming the file and line, channel, process and
        systematic; cards that disagree on a systematic, naming both.
    likelihub.errors.InvalidArgumentError
        An option naming no parameter, a map pattern matching no process, and the like.

    Examples
    --------
    ``combine -M AsymptoticLimits card.txt -m 125 --rMax 10`` (Combine's band: ``band="percentiles"``)::

        print(likelihub.get_backend("combine.datacard")("card.txt", mass=125, r_range=(0, 10)).upper_limit())
    """
    from .shapes import read_templates

    arguments.choice(device, argument="device", choices=DEVICES)  # before any file is read
    parsed = read_cards(card)
    if extra_lines is not None:
        parsed = append_lines(parsed, extra_lines)
    parsed = apply_edits(parsed)
    physics = physics_model(physics_options, parsed)
    mass_text = None if mass is None else (f"{mass:g}" if isinstance(mass, float) else str(mass))
    templates = read_templates(parsed, mass=mass_text) if any(r.file != "FAKE" for r in parsed.shapes) else {}
    built = build_model(parsed, templates, physics=physics)
    pois_indices, groups = apply_parameter_options(
        built, parsed, r_range=r_range, parameter_ranges=parameter_ranges, set_parameters=set_parameters,
        pois=pois, float_parameters=float_parameters, freeze=freeze, freeze_groups=freeze_groups)
    return CombineDatacard(parsed, built, poi_index=pois_indices[0], pois=pois_indices, groups=groups,
                           device=device)
