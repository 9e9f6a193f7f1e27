"""One BLAS thread for the small dense algebra of fits, for the duration of a call.

The Hessians of fits are small (tens to a few hundred parameters): OpenBLAS's threads cost more
than they bring there, and on a busy many-core machine they fight over the cores (a 148 x 148
Cholesky factorisation at 15 ms instead of 0.07 ms; ``lh.combine(atlas, cms).upper_limit()`` 44 s
instead of 1.3 s). Fits, lock-step batches and inference calls run inside :func:`single_blas_thread`,
which limits every loaded BLAS to one thread and restores the user's setting when the call returns:
default runs are as fast as runs with ``OPENBLAS_NUM_THREADS=1``, without a lasting side effect.

``threadpoolctl.threadpool_limits`` looks the libraries up anew each time (1.7 ms); the controller
is made once per process (at the first fit, when numpy's and scipy's BLAS are loaded) and only the
thread counts are set on each entry (~40 us), so the context is entered per fit, never per step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from threadpoolctl import ThreadpoolController

__all__ = ["single_blas_thread"]

#: Whether the current context is inside :func:`single_blas_thread` already (nested fits of an
#: inference call then cost nothing more; a context variable, so threads do not share it).
_INSIDE: ContextVar[bool] = ContextVar("likelihub_single_blas_thread", default=False)


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit the loaded BLAS libraries to one thread inside the ``with`` block (where an outer
    block of this context does not already)."""
    if _INSIDE.get():
        yield
        return
    token = _INSIDE.set(True)
    try:
        with _controller().limit(limits=1, user_api="blas"):
            yield
    finally:
        _INSIDE.reset(token)
