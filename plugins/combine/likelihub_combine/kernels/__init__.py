"""The likelihood kernels of ``combine.datacard``: compiled (numba) code over a built card, and
the NumPy reference they are held to.

=====================  ===========================================================================
module                 what it owns
=====================  ===========================================================================
:mod:`.layout`         a built card (Yields, MCStats, constraints) as the kernels' arrays
:mod:`.buffers`        those arrays packed into one int64 and one float64 buffer (cheap calls)
:mod:`.scalars`        smooth step, logKappaForX and morph coefficients with two derivatives
:mod:`.formulas`       formula rateParams as postfix programs, run with their derivatives
:mod:`.columns`        one column's factor and morphed unit shape, with derivatives
:mod:`.cpu`            -log L, analytic gradient and Hessian of rows: a batch of toys of one card,
                       or a stack of cards (a scan's points), row k with member k
:mod:`.cuda`           the same rows' -log L and gradient on a GPU (numba.cuda), one thread per
                       row: the CPU kernels' functions compiled again as device functions;
                       imported only where a GPU is used (:mod:`likelihub_combine.devices`)
:mod:`.reference`      the NumPy reference: plain, the definition the tests hold the kernels to
=====================  ===========================================================================

The entry points are cached on disk by numba (``cache=True``); numba keys a kernel's cache by its
own source file only: after editing a module the kernels call into, delete the ``__pycache__``
folder here so that they compile again. The CUDA kernel is compiled when first launched (not
cached); it reads the CPU kernels' code, so it follows every change to it. So every function
:func:`.cpu.evaluate` reaches must compile for both targets: no allocation (scratch is passed in,
:func:`.cpu.allocate` outside), an array returned only by a function inlined at numba's IR level
(``inline="always"``, as :func:`.buffers.ints_of`), scalars, ``math`` and array indexing; arrays
used only by second derivatives are empty below order 2 (:func:`.cpu.scratch_shapes`).
"""
