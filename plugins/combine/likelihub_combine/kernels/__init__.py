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
:mod:`.reference`      the NumPy reference: plain, the definition the tests hold the kernels to
=====================  ===========================================================================

The entry points are cached on disk by numba (``cache=True``); numba keys a kernel's cache by its
own source file only: after editing a module the kernels call into, delete the ``__pycache__``
folder here so that they compile again. There is no GPU kernel for Combine cards yet.
"""
