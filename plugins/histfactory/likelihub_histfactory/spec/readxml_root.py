"""Histograms of HistFactory XML models: TH1 bin contents and errors read from ROOT files by uproot.

    with HistogramFiles(resolve) as files:
        values, errors = files.read("data/hists.root", "SR", "ttbar", where)

As pyhf's ``readxml.import_root_histogram`` (pyhf 0.7.6): the histogram is looked up by its name,
then by ``path/name`` (leading and trailing slashes of the path dropped); the bin contents are
those without under- and overflow; the errors are the square roots of the sums of squared
weights where the histogram has them (``Sumw2``), else of the contents (Poisson). Each file is
opened once. uproot is an optional dependency (``pip install 'likelihub-histfactory[xmlio]'``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from likelihub.errors import InvalidModelError

__all__ = ["HistogramFiles", "require_uproot", "UPROOT_MISSING"]

#: The message of the error raised where uproot is not installed.
UPROOT_MISSING = ("reading HistFactory XML needs uproot (ROOT files): pip install "
                  "'likelihub-histfactory[xmlio]' (or uproot)")


def require_uproot():
    """The uproot module; ModuleNotFoundError saying how to install it where it is missing."""
    try:
        import uproot
    except ModuleNotFoundError:
        raise ModuleNotFoundError(UPROOT_MISSING) from None
    return uproot


class HistogramFiles:
    """ROOT files opened on first use and closed by :meth:`close` (or leaving a ``with`` block).

    Parameters
    ----------
    resolve
        Maps a file name written in the XML to the path to open (``--basedir``, mounts).
    """

    def __init__(self, resolve: Callable[[str], Path]):
        self._uproot = require_uproot()
        self._resolve = resolve
        self._files: dict[str, tuple] = {}

    def __enter__(self) -> HistogramFiles:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close every file opened."""
        for handle, _ in self._files.values():
            handle.close()
        self._files.clear()

    def _open(self, filename: str, where: dict) -> tuple:
        path = str(self._resolve(filename))
        if path not in self._files:
            if not Path(path).is_file():
                raise InvalidModelError(f"no ROOT file {filename!r} (looked for {path})", **where)
            try:
                handle = self._uproot.open(path)
                keys = set(handle.keys(cycle=False))
            except Exception as error:  # uproot raises many kinds on a file that is not ROOT
                raise InvalidModelError(f"cannot read the ROOT file {path}: {type(error).__name__}: "
                                        f"{error}", **where) from None
            self._files[path] = (handle, keys)
        return self._files[path]

    def read(self, filename: str, histopath: str | None, name: str,
             where: dict) -> tuple[list[float], list[float]]:
        """Bin contents and errors of the TH1 ``name`` (or ``histopath/name``) of ``filename``.

        Parameters
        ----------
        filename, histopath, name
            As written in the XML.
        where
            Location keys of :class:`~likelihub.errors.InvalidModelError` (``file``, ``channel``,
            ``sample``, ``modifier``) naming the XML file and element in errors.

        Raises
        ------
        InvalidModelError
            For a missing or unreadable file, a missing histogram, or an object that is not a
            one-dimensional histogram.
        """
        handle, keys = self._open(filename, where)
        path = (histopath or "").strip("/")
        full = "/".join([path, name])
        if name in keys:
            key = name
        elif full in keys:
            key = full
        else:
            also = f" nor {full!r}" if path else ""
            raise InvalidModelError(f"no histogram {name!r}{also} in the ROOT file {filename}", **where)
        try:
            histogram = handle[key]
        except Exception as error:
            raise InvalidModelError(f"{key!r} in {filename} cannot be read: {type(error).__name__}: "
                                    f"{error}", **where) from None
        arrays = histogram.to_numpy() if hasattr(histogram, "to_numpy") else ()
        if len(arrays) != 2 or not hasattr(histogram, "variances"):
            raise InvalidModelError(f"{key!r} in {filename} is not a one-dimensional histogram (TH1) "
                                    f"but a {type(histogram).__name__}", **where)
        values = arrays[0]
        variances = histogram.variances() if histogram.weighted else values
        return values.tolist(), np.sqrt(variances).tolist()
