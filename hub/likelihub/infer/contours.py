"""Contour lines of a function sampled on a rectangular grid: marching squares, no matplotlib.

:func:`contour_lines` finds where ``z(x, y) = level`` on a grid ``z[i, j] = z(x[i], y[j])``: on
every cell edge whose ends lie on either side of the level, the crossing is interpolated linearly
between the two ends; each cell joins its crossings in pairs (two, or four at a saddle, which is
resolved by the mean of the cell's corners, as matplotlib's ``contourpy`` does by default), and
the pieces are chained through the edges they share into polylines, closed where they return to
their first edge. Cells with a corner that is not finite (a failed fit) draw nothing.

Accuracy: where z is quadratic along an edge (a Gaussian likelihood's -2 Delta ln L is), the
linear interpolation misses the level by at most ``|d2z/dt2| h^2 / 8`` in z at a crossing, for an
edge of length h (z minus its chord is ``a t (t - h)`` with ``a = z''/2``, at most ``|a| h^2 / 4``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

__all__ = ["contour_lines"]

# The corners of cell (i, j) and the edges between them. An edge is named by its first corner
# and its direction: ("x", i, j) joins (i, j) to (i + 1, j); ("y", i, j) joins (i, j) to (i, j + 1).
# Corners in turn: a = (i, j), b = (i + 1, j), c = (i + 1, j + 1), d = (i, j + 1).
_EDGES = {"ab": ("x", 0, 0), "bc": ("y", 1, 0), "dc": ("x", 0, 1), "ad": ("y", 0, 0)}
# The two edges that meet at each corner: a saddle's pieces each cut off one corner.
_AROUND = {"a": ("ad", "ab"), "b": ("ab", "bc"), "c": ("bc", "dc"), "d": ("dc", "ad")}


def _crossing(x: np.ndarray, y: np.ndarray, z: np.ndarray, edge: tuple, level: float) -> np.ndarray:
    direction, i, j = edge
    k, m = (i + 1, j) if direction == "x" else (i, j + 1)
    t = (level - z[i, j]) / (z[k, m] - z[i, j])
    return np.array([x[i] + t * (x[k] - x[i]), y[j] + t * (y[m] - y[j])])


def _cell_pieces(z: np.ndarray, i: int, j: int, level: float) -> list[tuple[tuple, tuple]]:
    """The pieces of the contour in cell (i, j), each as the two edges it joins."""
    corners = {"a": z[i, j], "b": z[i + 1, j], "c": z[i + 1, j + 1], "d": z[i, j + 1]}
    if not all(np.isfinite(v) for v in corners.values()):
        return []
    below = {name: value < level for name, value in corners.items()}
    cut = [name for name in _EDGES if below[name[0]] != below[name[1]]]
    if not cut:
        return []

    def named(edge_name):
        direction, di, dj = _EDGES[edge_name]
        return direction, i + di, j + dj

    if len(cut) == 2:
        return [(named(cut[0]), named(cut[1]))]
    # A saddle: the corners on the side the centre is not on are cut off one by one.
    centre_below = np.mean(list(corners.values())) < level
    lonely = [name for name in "abcd" if below[name] != centre_below]
    return [tuple(named(e) for e in _AROUND[name]) for name in lonely]


def contour_lines(x, y, z, level: float) -> list[np.ndarray]:
    """The lines where the grid function ``z`` equals ``level``.

    Parameters
    ----------
    x, y
        Grid coordinates, (n,) and (m,), strictly increasing.
    z
        (n, m) values, ``z[i, j]`` at ``(x[i], y[j])``; NaN or inf where unknown.
    level
        The contour level.

    Returns
    -------
    list of numpy.ndarray
        Each line as a (k, 2) array of (x, y) vertices; a closed line repeats its first vertex
        at the end.
    """
    x, y, z = np.asarray(x, float), np.asarray(y, float), np.asarray(z, float)
    pieces = []
    # only the cells that the level cuts (corners on both sides, all finite), in the order i, then j
    below, finite = z < level, np.isfinite(z)
    corners = [(slice(None, -1), slice(None, -1)), (slice(1, None), slice(None, -1)),
               (slice(1, None), slice(1, None)), (slice(None, -1), slice(1, None))]
    cut = np.any([below[c] != below[corners[0]] for c in corners[1:]], axis=0)
    cut &= np.all([finite[c] for c in corners], axis=0)
    for i, j in zip(*np.nonzero(cut), strict=True):
        pieces.extend(_cell_pieces(z, int(i), int(j), level))
    at_edge: dict[tuple, list[int]] = defaultdict(list)
    for number, piece in enumerate(pieces):
        for edge in piece:
            at_edge[edge].append(number)
    used = [False] * len(pieces)

    def walk(number: int, edge: tuple) -> list[tuple]:
        """Edges from ``edge`` onwards, leaving it through piece ``number``."""
        path = [edge]
        while number is not None and not used[number]:
            used[number] = True
            first, second = pieces[number]
            edge = second if first == edge else first
            path.append(edge)
            following = [n for n in at_edge[edge] if not used[n]]
            number = following[0] if following else None
        return path

    lines = []
    for start in range(len(pieces)):
        if used[start]:
            continue
        first = pieces[start][0]
        forward = walk(start, first)
        if forward[-1] != first:  # an open line: extend it backwards from where it began
            others = [n for n in at_edge[first] if not used[n]]
            if others:
                forward = walk(others[0], first)[::-1] + forward[1:]
        lines.append(np.array([_crossing(x, y, z, edge, level) for edge in forward]))
    return lines
