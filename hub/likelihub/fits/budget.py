"""The budget of fits: how many evaluations one fit may spend, and how long one inference call may run.

Every fit is bounded twice (both are fit options, ``StatisticalModel(..., fit_options={...})``):

- ``max_calls`` (default :data:`DEFAULT_MAX_CALLS`): the requests for -log L, its gradient or its
  Hessian that one fit may make, all its attempts together (MIGRAD, its retries, L-BFGS-B),
  each request counted whether or not it is answered from a cache;
- ``time_limit`` (seconds, default :data:`DEFAULT_TIME_LIMIT`; None for none): the wall-clock time
  of one inference call: a lone fit, or a CLs, a CLs scan, an upper limit, a significance, a toy
  run. The clock is a :class:`Deadline`, made when the call (its calculator) starts and handed to
  every fit the call makes, in this process or in the workers that fit its toys.

A fit that exhausts its evaluations ends in :class:`~likelihub.errors.FitError` naming the model
and the fit (toys count it as a failed toy); a call that runs out of time ends in
:class:`FitTimeLimitError` (a ``FitError``), whatever it was doing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_CALLS", "DEFAULT_TIME_LIMIT", "Deadline", "BudgetExhausted",
           "deadline_from"]

#: Requests for -log L and its derivatives that one fit may make (all attempts together). A fit of
#: ATLAS 1Lbb (121 parameters) takes 10-50 with exact Hessians and about 2,000 with MIGRAD alone.
DEFAULT_MAX_CALLS = 100_000

#: Wall-clock seconds that one inference call (a CLs, a limit, a toy run, ...) may take.
DEFAULT_TIME_LIMIT = 3600.0


class BudgetExhausted(Exception):
    """Raised inside a fit when its evaluations or its call's time are spent;
    :func:`likelihub.fits.engine.fit` turns it into its result (or a
    :class:`~likelihub.errors.FitError`). ``reason`` says which."""

    def __init__(self, reason: str, out_of_time: bool):
        super().__init__(reason)
        self.reason = reason
        self.out_of_time = out_of_time


@dataclass(frozen=True)
class Deadline:
    """When an inference call must stop: ``at`` in seconds since the epoch (``time.time()``, so that
    worker processes on the same clock share it), ``seconds`` the limit it was made from (for
    messages). ``Deadline.after(None)`` never expires."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """A deadline ``seconds`` from now (None or inf: never)."""
        if seconds is None or math.isinf(seconds):
            return cls(math.inf, math.inf)
        seconds = float(seconds)
        if not seconds > 0:
            raise ValueError(f"time_limit must be a positive number of seconds or None, got {seconds}")
        return cls(time.time() + seconds, seconds)

    def expired(self) -> bool:
        """Whether the time is up."""
        return self.at != math.inf and time.time() > self.at

    def check(self) -> None:
        """Raise :class:`BudgetExhausted` once the time is up."""
        if self.expired():
            raise BudgetExhausted(self.message(), out_of_time=True)

    def message(self) -> str:
        return f"the inference call ran past its time limit of {self.seconds:g} s (fit option time_limit)"


def deadline_from(options, deadline: Deadline | None = None) -> Deadline:
    """``deadline`` where given, else a new one from the ``time_limit`` of the fit ``options``."""
    if deadline is not None:
        return deadline
    return Deadline.after(dict(options or {}).get("time_limit", DEFAULT_TIME_LIMIT))
