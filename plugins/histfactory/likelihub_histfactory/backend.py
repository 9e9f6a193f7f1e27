"""The ``histfactory`` backend: a compiled HistFactory model behind the likelihub backend contract.

    import likelihub as lh
    model = lh.get_backend("histfactory")(
        "atlas-susy-2019-08-1Lbb.tar.gz", member="BkgOnly.json",
        patchset="patchset.json", patch_name="C1N2_Wh_hbb_900_250")
    model.cls(1.0); model.upper_limit()

:func:`~.factory.build_backend` reads the workspace (:func:`.spec.model_spec.load_model_spec`),
compiles it (:mod:`.compile`) and returns a :class:`HistFactoryBackend`, whose likelihood runs in
the numba kernels (:mod:`.kernels.cpu`, :mod:`.kernels.hessian`); batches of many parameter and
data sets (toys, scans) run on a GPU where one is present (:mod:`.devices`, :mod:`.kernels.cuda`);
:func:`~.factory.build_model`, the registered factory, wraps it in a
:class:`likelihub.StatisticalModel` with tight fits.
"""

from __future__ import annotations

import numpy as np

from likelihub import DataLayout, ModelConfig
from likelihub.errors import InvalidDataError
from likelihub.plugin import ConstraintTerm

from .compile import CompiledModel
from .devices import BatchEvaluator, select_device
from .kernels import cpu as kernels
from .kernels import hessian as hessian_kernels
from .stacking import HistFactoryStack
from .yields import YieldsMixin

__all__ = ["HistFactoryBackend"]

class HistFactoryBackend(YieldsMixin):
    """A HistFactory likelihood (pyhf JSON semantics) with analytic gradients and batched kernels.

    Parameters
    ----------
    compiled
        The model as dense arrays (:func:`likelihub_histfactory.compile.compile_model`).
    device
        Where batches run: ``"auto"`` (a GPU if numba.cuda finds one, else the CPU), ``"cpu"`` or
        ``"cuda"``. Single evaluations always run on the CPU.
    """

    def __init__(self, compiled: CompiledModel, device: str = "auto"):
        self.compiled = compiled
        self.device = select_device(device)
        self._gpu = BatchEvaluator(compiled, "cuda") if self.device == "cuda" else None
        aux = compiled.n_aux
        kinds = ("poisson",) * compiled.n_main + tuple(
            "poisson" if p else "normal" for p in compiled.aux_is_poisson)
        widths = np.concatenate([np.zeros(compiled.n_main),
                                 np.where(compiled.aux_is_poisson, 0.0, compiled.aux_width)])
        self.config = ModelConfig(
            parameter_names=compiled.parameter_names, poi_index=compiled.poi_index,
            init=compiled.init, bounds=compiled.bounds, fixed=compiled.fixed,
            n_main=compiled.n_main, data_layout=DataLayout(kinds, widths),
        )
        self.data = compiled.observed.copy()
        self.data.setflags(write=False)
        self._n_data = compiled.n_main + aux
        c = compiled
        self._model_arrays = (c.entry_bin, c.entry_nominal, c.term_start, c.term_kind, c.term_parameter,
                              c.term_coefficients)
        self._aux_arrays = (c.aux_parameter, c.aux_is_poisson, c.aux_width)
        self._kernel_arrays = (c.n_main, *self._model_arrays, *self._aux_arrays)

    # -- the contract --------------------------------------------------------------------------
    def _pars(self, pars) -> np.ndarray:
        pars = np.ascontiguousarray(pars, dtype=np.float64)
        if pars.shape != (self.compiled.n_parameters,):
            raise InvalidDataError(f"parameters have shape {pars.shape}; the model has "
                                   f"{self.compiled.n_parameters}", argument="pars")
        return pars

    def _data(self, data) -> np.ndarray:
        data = np.ascontiguousarray(data, dtype=float)
        if data.shape != (self._n_data,):
            raise InvalidDataError(f"data have shape {data.shape}; the model expects "
                                   f"({self._n_data},): main then auxiliary", argument="data")
        return data

    def expected_main(self, pars) -> np.ndarray:
        """Expected counts of the main measurements."""
        return kernels.expected_main(self._pars(pars), self.compiled.n_main, *self._model_arrays)

    def expected_main_batch(self, pars) -> np.ndarray:
        """Expected counts of the main measurements (N, n_main) for N parameter sets (N, P), in one
        compiled loop (toys of the nuisance parameters: :mod:`likelihub_histfactory.simplify`)."""
        pars = np.ascontiguousarray(pars, dtype=np.float64)
        if pars.ndim != 2 or pars.shape[1] != self.compiled.n_parameters:
            raise InvalidDataError(f"parameters have shape {pars.shape}; expected (N, "
                                   f"{self.compiled.n_parameters})", argument="pars")
        return kernels.expected_main_batch(pars, self.compiled.n_main, *self._model_arrays)

    def expected_data(self, pars) -> np.ndarray:
        """Expected main counts then auxiliary data (theta, or tau theta for Poisson constraints)."""
        pars = self._pars(pars)
        c = self.compiled
        theta = pars[c.aux_parameter]
        aux = np.where(c.aux_is_poisson, c.aux_width * theta, theta)
        return np.concatenate([self.expected_main(pars), aux])

    def value_and_grad(self, pars, data) -> tuple[float, np.ndarray]:
        """log L and its gradient (analytic, from the fused kernel).

        Where ``data`` has probability zero at ``pars`` (observed events in a bin with no
        expected events, e.g. a bin of background 0 at mu = 0), log L is ``-inf`` and the
        gradient NaN in every component (see :mod:`.kernels.cpu`); no exception is raised.
        """
        pars, data = self._pars(pars), self._data(data)
        grad = np.empty(pars.size)
        nll = kernels.nll_and_grad(pars, data, *self._kernel_arrays, grad)
        return -nll, np.negative(grad, out=grad)  # in place: this runs once per fit iteration

    def logpdf(self, pars, data) -> float:
        """Full log-likelihood (main and constraint terms), normalised as ``pyhf.Model.logpdf``."""
        return self.value_and_grad(pars, data)[0]

    def hessian(self, pars, data) -> np.ndarray:
        """Hessian of log L: analytic (second derivatives of every term, :mod:`.kernels.hessian`);
        NaN in every element where log L is ``-inf``."""
        return self.value_grad_and_hessian(pars, data)[2]

    def value_grad_and_hessian(self, pars, data) -> tuple[float, np.ndarray, np.ndarray]:
        """log L, its gradient and its Hessian from one fused kernel call."""
        pars, data = self._pars(pars), self._data(data)
        grad = np.empty(pars.size)
        hessian = np.empty((pars.size, pars.size))
        nll = hessian_kernels.nll_grad_hessian(pars, data, self.compiled.n_main, *self._model_arrays,
                                               *self._aux_arrays, grad, hessian)
        return -float(nll), -grad, -hessian

    def hessian_batch(self, pars, data) -> np.ndarray:
        """Hessians of log L (N, P, P) for N parameter sets (N, P) and N data sets (N, D), broadcast;
        on the GPU where the backend's ``device`` is ``"cuda"`` (:mod:`.kernels.cuda_hessian`)."""
        if self._gpu is not None:
            return self._gpu.hessian_batch(pars, data)
        pars, data = self._batch(pars, data)
        grads = np.empty_like(pars)
        hessians = np.empty((pars.shape[0], pars.shape[1], pars.shape[1]))
        hessian_kernels.nll_grad_hessian_batch(pars, data, self.compiled.n_main, *self._model_arrays,
                                               *self._aux_arrays, grads, hessians)
        return -hessians

    def _batch(self, pars, data) -> tuple[np.ndarray, np.ndarray]:
        pars = np.asarray(pars, dtype=float)
        data = np.asarray(data, dtype=float)
        n = max(pars.shape[0] if pars.ndim == 2 else 1, data.shape[0] if data.ndim == 2 else 1)
        try:
            pars = np.ascontiguousarray(np.broadcast_to(pars, (n, self.compiled.n_parameters)))
            data = np.ascontiguousarray(np.broadcast_to(data, (n, self._n_data)))
        except ValueError:
            raise InvalidDataError(f"parameters of shape {pars.shape} and data of shape {data.shape} do "
                                   f"not make a batch of ({self.compiled.n_parameters},) parameter and "
                                   f"({self._n_data},) data sets", argument="pars") from None
        return pars, data

    def value_and_grad_batch(self, pars, data) -> tuple[np.ndarray, np.ndarray]:
        """log L and gradients for N parameter sets (N, P) and N data sets (N, D), either broadcast;
        on the GPU where the backend's ``device`` is ``"cuda"``."""
        if self._gpu is not None:
            return self._gpu.value_and_grad_batch(pars, data)
        pars, data = self._batch(pars, data)
        grads = np.empty_like(pars)
        nll = kernels.nll_and_grad_batch(pars, data, self.compiled.n_main, *self._model_arrays,
                                         *self._aux_arrays, grads)
        return -nll, -grads

    def logpdf_batch(self, pars, data) -> np.ndarray:
        """log L for N parameter sets (N, P) and N data sets (N, D), either broadcast."""
        return self.value_and_grad_batch(pars, data)[0]

    def sample(self, pars, size: int, rng: np.random.Generator) -> np.ndarray:
        """Toys at ``pars``: Poisson main counts; Gaussian or Poisson auxiliary data, as pyhf."""
        pars = self._pars(pars)
        c = self.compiled
        expected = self.expected_data(pars)
        out = np.empty((size, expected.size))
        out[:, :c.n_main] = rng.poisson(expected[:c.n_main], (size, c.n_main))
        aux = expected[c.n_main:]
        gauss = ~c.aux_is_poisson
        out[:, c.n_main:][:, gauss] = rng.normal(aux[gauss], c.aux_width[gauss], (size, int(gauss.sum())))
        out[:, c.n_main:][:, ~gauss] = rng.poisson(aux[~gauss], (size, int((~gauss).sum())))
        return out

    def constraint_terms(self) -> tuple[ConstraintTerm, ...]:
        """The constraint term of each constrained parameter, in the order of the auxiliary data:
        Gaussian (normsys, histosys, lumi, staterror: width sigma) or Poisson (shapesys: scale tau)."""
        c = self.compiled
        return tuple(ConstraintTerm(parameter=int(p), datum=c.n_main + j,
                                    kind="poisson" if poisson else "normal",
                                    **({"scale": float(w)} if poisson else {"width": float(w)}))
                     for j, (p, poisson, w) in enumerate(zip(c.aux_parameter, c.aux_is_poisson, c.aux_width,
                                                             strict=True)))

    @classmethod
    def stack(cls, members) -> HistFactoryStack:
        """A stack of HistFactory backends with the same parameters, for fits in lock-step
        (:func:`likelihub.infer.lockstep.make_stack`)."""
        return HistFactoryStack(members)

    def describe(self) -> str:
        """Channels with their bins, samples, parameters and interpolation codes."""
        c = self.compiled
        channels = ", ".join(f"{name} ({n})" for name, n in zip(c.channel_names, c.channel_bins, strict=True))
        poi = "none" if c.poi_index is None else c.parameter_names[c.poi_index]
        return (f"HistFactory model: {len(c.channel_names)} channels, {c.n_main} bins, "
                f"{len(c.sample_names)} samples, {c.n_parameters} parameters "
                f"({int(c.fixed.sum())} fixed), {c.n_aux} auxiliary data; POI {poi}; "
                f"interpolation normsys {c.interpolation_codes['normsys']}, histosys "
                f"{c.interpolation_codes['histosys']}\n  channels: {channels}\n"
                f"  samples: {', '.join(c.sample_names)}")
