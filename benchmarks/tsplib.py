"""A small reader for symmetric TSPLIB instances (``.tsp``) and tours (``.tour``).

Only what the benchmarks need, written from the TSPLIB 95 format description
(Reinelt 1995) and the conventions of the reference implementation:

* ``EUC_2D`` / ``EUC_3D``: ``nint(sqrt(dx² + dy² [+ dz²]))`` with ``nint(x) = int(x + 0.5)``;
  ``CEIL_2D``: ``ceil`` instead of ``nint``; ``MAN_2D`` / ``MAX_2D``: ``nint`` of the L1 / L∞ norm.
* ``ATT`` (pseudo-Euclidean): ``r = sqrt((dx² + dy²) / 10)``, ``t = nint(r)``,
  ``d = t + 1 if t < r else t``.
* ``GEO``: coordinates are ``DDD.MM`` (degrees.minutes). The degrees are **truncated**
  (``int(x)``, as in the reference C code; the TSPLIB document's ``nint`` is wrong and gives
  gr96 = 55386 instead of 55209 on its optimal tour), ``PI = 3.141592``, Earth radius
  6378.388 km, ``d = int(R * acos(½((1 + q1) q2 − (1 − q1) q3)) + 1)``.
* ``EXPLICIT`` with any of the nine symmetric ``EDGE_WEIGHT_FORMAT`` layouts
  (``FULL_MATRIX``, ``{UPPER,LOWER}_{ROW,COL}``, ``{UPPER,LOWER}_DIAG_{ROW,COL}``).

Node ids in the files are 1-based; everything returned here is 0-based (index = id − 1).
Distances are exact integers (``int64``); the GEO formula runs in plain ``math`` per pair so
the truncation is not at the mercy of a vectorised ``cos``/``acos`` that may differ by an ulp.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = [
    "GEO_PI",
    "GEO_RADIUS",
    "Problem",
    "TsplibError",
    "distance_matrix",
    "parse_problem",
    "parse_tour",
    "read_optima",
    "read_problem",
    "read_tour",
    "tour_length",
]

GEO_PI = 3.141592
GEO_RADIUS = 6378.388

COORD_TYPES = ("EUC_2D", "EUC_3D", "CEIL_2D", "MAN_2D", "MAX_2D", "ATT", "GEO")
MATRIX_FORMATS = (
    "FULL_MATRIX",
    "UPPER_ROW",
    "LOWER_ROW",
    "UPPER_DIAG_ROW",
    "LOWER_DIAG_ROW",
    "UPPER_COL",
    "LOWER_COL",
    "UPPER_DIAG_COL",
    "LOWER_DIAG_COL",
)
# For a symmetric matrix a column-wise triangle lists the same numbers as the opposite
# row-wise triangle: entry (i, j) of the upper triangle read column by column is entry (j, i)
# of the lower triangle read row by row.
_COL_AS_ROW = {
    "UPPER_COL": "LOWER_ROW",
    "LOWER_COL": "UPPER_ROW",
    "UPPER_DIAG_COL": "LOWER_DIAG_ROW",
    "LOWER_DIAG_COL": "UPPER_DIAG_ROW",
}
_SECTIONS = (
    "NODE_COORD_SECTION",
    "EDGE_WEIGHT_SECTION",
    "DISPLAY_DATA_SECTION",
    "TOUR_SECTION",
    "FIXED_EDGES_SECTION",
    "DEPOT_SECTION",
    "DEMAND_SECTION",
)
_KEYWORD = re.compile(r"^([A-Z_][A-Z0-9_]*)\s*:\s*(.*)$")


class TsplibError(ValueError):
    """A file that is not a TSPLIB instance or tour this reader understands."""


@dataclass(frozen=True)
class Problem:
    """One symmetric TSPLIB instance as read from the file (no distances computed yet)."""

    name: str
    dimension: int
    edge_weight_type: str
    edge_weight_format: str | None = None
    comment: str = ""
    coords: np.ndarray | None = None  # (n, 2) or (n, 3) floats, row = node index
    weights: list[float] = field(default_factory=list, repr=False)  # EXPLICIT numbers, flat

    @property
    def kind(self) -> str:
        """``EUC_2D``, ``GEO``, … or ``EXPLICIT:FULL_MATRIX`` (as in ``optimal.csv``)."""
        if self.edge_weight_type == "EXPLICIT":
            return f"EXPLICIT:{self.edge_weight_format}"
        return self.edge_weight_type

    def matrix(self) -> np.ndarray:
        """The ``n × n`` integer distance matrix (zero diagonal)."""
        return distance_matrix(self)


def _split(text: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Keywords (``KEY : value``) and the whitespace tokens of every data section."""
    keys: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "EOF":
            break
        head = line.split(":")[0].strip().upper()
        if head in _SECTIONS:
            current = sections.setdefault(head, [])
            rest = line[len(line.split(":")[0]) + 1 :] if ":" in line else ""
            current.extend(rest.split())
            continue
        m = _KEYWORD.match(line)
        if m and not line[0].isdigit():
            keys[m.group(1).upper()] = m.group(2).strip()
            current = None
            continue
        if current is None:
            raise TsplibError(f"data outside a section: {line[:40]!r}")
        current.extend(line.split())
    return keys, sections


def parse_problem(text: str) -> Problem:
    """Parse the text of a symmetric TSPLIB ``.tsp`` file."""
    keys, sections = _split(text)
    ptype = keys.get("TYPE", "TSP").split()[0].upper()
    if ptype != "TSP":
        raise TsplibError(f"only symmetric TSP instances are supported (TYPE is {ptype})")
    try:
        n = int(keys["DIMENSION"])
    except (KeyError, ValueError) as exc:
        raise TsplibError("missing or bad DIMENSION") from exc
    ewt = keys.get("EDGE_WEIGHT_TYPE", "").upper()
    name = keys.get("NAME", "")
    comment = keys.get("COMMENT", "")
    if ewt == "EXPLICIT":
        fmt = keys.get("EDGE_WEIGHT_FORMAT", "").upper()
        if fmt not in MATRIX_FORMATS:
            raise TsplibError(f"unsupported EDGE_WEIGHT_FORMAT {fmt!r}")
        tokens = sections.get("EDGE_WEIGHT_SECTION")
        if tokens is None:
            raise TsplibError("EXPLICIT instance without EDGE_WEIGHT_SECTION")
        weights = [float(t) for t in tokens]
        want = _format_count(fmt, n)
        if len(weights) != want:
            raise TsplibError(f"{fmt} of dimension {n} needs {want} numbers, got {len(weights)}")
        return Problem(name, n, ewt, fmt, comment, None, weights)
    if ewt not in COORD_TYPES:
        raise TsplibError(f"unsupported EDGE_WEIGHT_TYPE {ewt!r}")
    tokens = sections.get("NODE_COORD_SECTION")
    if tokens is None:
        raise TsplibError(f"{ewt} instance without NODE_COORD_SECTION")
    dim = 3 if ewt == "EUC_3D" else 2
    if len(tokens) != n * (dim + 1):
        raise TsplibError(f"NODE_COORD_SECTION: expected {n} nodes of {dim} coordinates")
    coords = np.full((n, dim), np.nan)
    for k in range(n):
        row = tokens[k * (dim + 1) : (k + 1) * (dim + 1)]
        node = int(row[0])
        if not 1 <= node <= n:
            raise TsplibError(f"node id {node} outside 1..{n}")
        if not np.isnan(coords[node - 1, 0]):
            raise TsplibError(f"node id {node} given twice")
        coords[node - 1] = [float(v) for v in row[1:]]
    fmt = keys.get("EDGE_WEIGHT_FORMAT")
    return Problem(name, n, ewt, fmt.upper() if fmt else None, comment, coords, [])


def read_problem(path: str | Path) -> Problem:
    """Read a ``.tsp`` file; its name is the file stem (ulysses16's NAME says ``ulysses16.tsp``)."""
    path = Path(path)
    return replace(parse_problem(path.read_text(encoding="latin-1")), name=path.stem)


def parse_tour(text: str, dimension: int | None = None) -> list[int]:
    """Parse a ``.tour`` file: the first tour of its TOUR_SECTION, 0-based.

    The section ends at ``-1`` (or at EOF). Checks the tour is a permutation of
    ``0 … n−1`` where ``n`` is ``dimension`` or the file's DIMENSION.
    """
    keys, sections = _split(text)
    tokens = sections.get("TOUR_SECTION")
    if tokens is None:
        raise TsplibError("no TOUR_SECTION")
    tour: list[int] = []
    for t in tokens:
        v = int(t)
        if v == -1:
            break
        tour.append(v - 1)
    n = dimension if dimension is not None else int(keys.get("DIMENSION", len(tour)))
    if sorted(tour) != list(range(n)):
        raise TsplibError(f"tour is not a permutation of 1..{n}")
    return tour


def read_tour(path: str | Path, dimension: int | None = None) -> list[int]:
    """Read a ``.tour`` / ``.opt.tour`` file (0-based node indices)."""
    return parse_tour(Path(path).read_text(encoding="latin-1"), dimension)


def _format_count(fmt: str, n: int) -> int:
    fmt = _COL_AS_ROW.get(fmt, fmt)
    if fmt == "FULL_MATRIX":
        return n * n
    if fmt in ("UPPER_ROW", "LOWER_ROW"):
        return n * (n - 1) // 2
    return n * (n + 1) // 2  # *_DIAG_ROW


def _explicit(p: Problem) -> np.ndarray:
    n = p.dimension
    fmt = _COL_AS_ROW.get(p.edge_weight_format or "", p.edge_weight_format)
    w = np.asarray(p.weights, dtype=float)
    if fmt == "FULL_MATRIX":
        D = w.reshape(n, n)
        if not np.array_equal(D, D.T):
            raise TsplibError("FULL_MATRIX is not symmetric")
        return D
    D = np.zeros((n, n))
    if fmt == "UPPER_ROW":
        rows, cols = np.triu_indices(n, k=1)
    elif fmt == "LOWER_ROW":
        rows, cols = np.tril_indices(n, k=-1)
    elif fmt == "UPPER_DIAG_ROW":
        rows, cols = np.triu_indices(n, k=0)
    elif fmt == "LOWER_DIAG_ROW":
        rows, cols = np.tril_indices(n, k=0)
    else:  # pragma: no cover - guarded by parse_problem
        raise TsplibError(f"unsupported EDGE_WEIGHT_FORMAT {fmt!r}")
    # numpy's triu/tril indices enumerate row by row, i.e. exactly the file order.
    D[rows, cols] = w
    D[cols, rows] = w
    return D


def _nint(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)


def _geo_radians(x: float) -> float:
    deg = math.trunc(x)
    minutes = x - deg
    return GEO_PI * (deg + 5.0 * minutes / 3.0) / 180.0


def _geo(coords: np.ndarray) -> np.ndarray:
    n = len(coords)
    lat = [_geo_radians(float(x)) for x in coords[:, 0]]
    lon = [_geo_radians(float(y)) for y in coords[:, 1]]
    D = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            q1 = math.cos(lon[i] - lon[j])
            q2 = math.cos(lat[i] - lat[j])
            q3 = math.cos(lat[i] + lat[j])
            d = int(GEO_RADIUS * math.acos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0)
            D[i, j] = D[j, i] = d
    return D


def distance_matrix(p: Problem) -> np.ndarray:
    """The integer distance matrix of ``p`` following the TSPLIB conventions (0 diagonal)."""
    if p.edge_weight_type == "EXPLICIT":
        D = _explicit(p)
    else:
        assert p.coords is not None
        c = p.coords
        if p.edge_weight_type == "GEO":
            D = _geo(c)
        else:
            diff = c[:, None, :] - c[None, :, :]
            sq = (diff * diff).sum(axis=2)
            t = p.edge_weight_type
            if t in ("EUC_2D", "EUC_3D"):
                D = _nint(np.sqrt(sq))
            elif t == "CEIL_2D":
                D = np.ceil(np.sqrt(sq))
            elif t == "MAN_2D":
                D = _nint(np.abs(diff).sum(axis=2))
            elif t == "MAX_2D":
                D = np.maximum(_nint(np.abs(diff[..., 0])), _nint(np.abs(diff[..., 1])))
            elif t == "ATT":
                r = np.sqrt(sq / 10.0)
                tt = _nint(r)
                D = np.where(tt < r, tt + 1, tt)
            else:  # pragma: no cover - guarded by parse_problem
                raise TsplibError(f"unsupported EDGE_WEIGHT_TYPE {t!r}")
    np.fill_diagonal(D, 0)
    if not np.all(np.isfinite(D)) or not np.array_equal(D, np.round(D)):
        raise TsplibError("distances are not all integers")
    return D.astype(np.int64)


def tour_length(D: np.ndarray, tour: Sequence[int]) -> int:
    """Length of the closed tour ``tour`` (returning to its first node), as an exact int."""
    idx = np.asarray(tour, dtype=np.int64)
    return int(D[idx, np.roll(idx, -1)].sum())


def read_optima(path: str | Path) -> dict[str, int]:
    """``instance -> optimum`` for the TSP rows of ``optimal.csv``."""
    out: dict[str, int] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["type"].startswith("TSP"):
                out[row["instance"]] = int(row["optimum"])
    return out
