"""Progress bars of long computations (toys, upper limits, profile scans), on standard error.

Every public method that runs one takes ``progress``:

- ``None`` (the default): a tqdm bar where standard error is a terminal, shown only once the
  computation has run for :data:`DELAY` seconds (quick ones stay silent);
- ``True``: a tqdm bar at once; ``False``: none;
- the caller's bar (an object with ``update(n)``, e.g. a ``tqdm`` of its own), advanced as the
  work is done and left open.

The bars change no number: they count what is done.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

__all__ = ["progress_bar", "wanted", "DELAY"]

#: Seconds a computation runs before its automatic bar (``progress=None``) appears.
DELAY = 1.0


def wanted(progress) -> bool:
    """Whether ``progress`` asks for a bar of our own: True, or None on a terminal."""
    if progress is None:
        stderr = sys.stderr
        return bool(callable(getattr(stderr, "isatty", None)) and stderr.isatty())
    return progress is True


class _Silent:
    """A bar that shows nothing."""

    total = 0

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        pass

    def refresh(self) -> None:
        pass


class _Callers:
    """The caller's bar, advanced and told the postfix where it takes one, never closed."""

    def __init__(self, bar):
        self.bar = bar

    @property
    def total(self):
        return getattr(self.bar, "total", 0)

    @total.setter
    def total(self, value) -> None:
        if hasattr(self.bar, "total"):
            self.bar.total = value

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        if hasattr(self.bar, "set_postfix_str"):
            self.bar.set_postfix_str(text, refresh=refresh)

    def refresh(self) -> None:
        if hasattr(self.bar, "refresh"):
            self.bar.refresh()


@contextlib.contextmanager
def progress_bar(progress, *, total: int | None, unit: str, desc: str) -> Iterator:
    """A bar for ``progress`` (see the module docstring), closed on leaving the block.

    Parameters
    ----------
    progress
        None, True, False or the caller's bar.
    total
        The units of work expected (None: unknown); the bar's ``total`` may grow later.
    unit, desc
        What the bar counts (``"fit"``) and what it is of (``"profile scan"``).
    """
    if progress is not None and not isinstance(progress, bool) and hasattr(progress, "update"):
        yield _Callers(progress)
        return
    if not wanted(progress):
        yield _Silent()
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit=unit, desc=desc, leave=None, delay=DELAY if progress is None else 0.0)
    try:
        yield bar
    finally:
        bar.close()
