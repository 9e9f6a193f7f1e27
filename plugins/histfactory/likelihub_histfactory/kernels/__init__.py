"""The likelihood kernels: compiled (numba) code over the arrays of a
:class:`~likelihub_histfactory.compile.CompiledModel`, and the NumPy reference they are held to.

=====================  ===========================================================================
module                 what it owns
=====================  ===========================================================================
:mod:`.cpu`            -log L and its analytic gradient in one fused pass (one row, or a batch)
:mod:`.hessian`        -log L, gradient and analytic Hessian (one row, or a batch)
:mod:`.hessian_rows`   the Hessian's maths for one row, written once, compiled for the CPU
                       (:mod:`.cpu`) and as CUDA device functions (:mod:`.cuda_hessian`)
:mod:`.stacked`        the same for a stack of models (a scan's points), row k with member k
:mod:`.cuda`           the CUDA kernel (numba.cuda) of batched -log L and gradient; imported only
                       where a GPU is used (:mod:`likelihub_histfactory.devices`)
:mod:`.cuda_hessian`   the CUDA kernel of batched Hessians (one thread per row); likewise
:mod:`.reference`      the NumPy reference: plain, slow, the definition the tests hold the kernels to
=====================  ===========================================================================

Every kernel evaluates a term (one modifier on one bin of one sample) through the scalar functions
of :mod:`likelihub_histfactory.interpolation`, compiled alike into the CPU and the CUDA kernels.
The CPU kernels are cached on disk by numba (``cache=True``). numba keys a kernel's cache by its own
source file only: after editing a module the kernels call into (``interpolation/*.py``,
:mod:`.hessian_rows`, :mod:`.cpu` from :mod:`.hessian`), delete the ``__pycache__`` folders (or
touch the kernel modules) so that they are compiled again.
"""
