"""Label values from the names of patch files: the masses that ATLAS pallets write into them.

HEPData pallets that publish one patch file per signal point carry no labels (ATLAS staus'
``patch.DS_400_40_Staus.json``, sbottom's ``patch.sbottom_1300_205_60.json``); their names do.
The rule, for a point's name (the file name without ``patch.`` and ``.json``):

- the name is split at underscores; each part that is a number is a value, in order, and the
  other parts (``DS``, ``Staus``, ``sbottom``) are not: a number is digits, with a decimal point
  written ``p`` or ``.`` (``350p0`` = 350.0, ATLAS's habit, as in the 3L patchset's
  ``ERJR_350p0_0p0``); digits alone give an integer.
- the values are named ``m1, m2, ...`` (the ATLAS names are masses in GeV: ``DS_mst_mn2_Staus``,
  ``sbottom_msb_mn2_mn1`` by the pallets' READMEs), or by the names the user gives
  (``patch_labels=["msb", "mn2", "mn1"]``, ``--patch-labels msb,mn2,mn1``).
- every point of a scan must give as many numbers: where a name gives none or another count,
  no point has label values (a scan without labels), unless the user gave ``patch_labels``: then
  it is an error that names the file.

    sbottom_1300_205_60 -> (1300, 205, 60)     DS_400_40_Staus -> (400, 40)
    ERJR_350p0_0p0 -> (350.0, 0.0)              signal -> no values
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from likelihub.errors import InvalidArgumentError

__all__ = ["NUMBER", "name_values", "labelled_values"]

#: One underscore-separated part of a name that is a number: digits, a decimal point as p or '.'.
NUMBER = re.compile(r"^(\d+)(?:[p.](\d+))?$")


def name_values(name: str) -> tuple[int | float, ...]:
    """The numbers in a point's name, in order (the rule of the module docstring)."""
    values = []
    for part in name.split("_"):
        number = NUMBER.match(part)
        if number:
            whole, fraction = number.groups()
            values.append(int(whole) if fraction is None else float(f"{whole}.{fraction}"))
    return tuple(values)


def labelled_values(names: Sequence[str],
                    labels: Sequence[str] | None = None) -> tuple[list[tuple], list[str]]:
    """The label values of each named point and the label names, by the rule of the module docstring.

    Parameters
    ----------
    names
        The points' names (file names without ``patch.`` and ``.json``).
    labels
        The names of the values, given by the user; None: ``m1, m2, ...``, and no labels at all
        where the names do not all give as many numbers.

    Returns
    -------
    (values, labels)
        One tuple of values per name (empty where there are no labels) and the label names.
    """
    values = [name_values(name) for name in names]
    if labels is None:
        counts = {len(v) for v in values}
        if len(counts) != 1 or 0 in counts:
            return [() for _ in names], []
        return values, [f"m{k + 1}" for k in range(counts.pop())]
    labels = list(labels)
    if not labels or len(set(labels)) != len(labels) or not all(isinstance(n, str) and n for n in labels):
        raise InvalidArgumentError(f"must be distinct non-empty names, got {labels!r}",
                                   argument="patch_labels")
    for name, numbers in zip(names, values, strict=True):
        if len(numbers) != len(labels):
            raise InvalidArgumentError(
                f"{len(labels)} names {labels} for the numbers in the patch files' names, but the "
                f"name of {name!r} holds {len(numbers)} ({', '.join(map(str, numbers)) or 'none'}); "
                "the numbers are its underscore-separated parts of digits (p or . as the decimal point)",
                argument="patch_labels")
    return values, labels
