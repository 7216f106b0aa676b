"""Readers for the orienteering benchmark files (OPTW Solomon/Cordeau; Tsiligirides/Chao OP).

Only what the benchmarks need, written from ``TOPTW_format.txt`` (KU Leuven) and the notes in
``shared/benchmarks/README.md`` — which are the traps:

* OPTW (``optw/*/*.txt``): line 1 ``k v N t``, line 2 ``D Q`` (ignored), then one line per
  vertex ``i x y d S f a [a ints] O C``. The window is always the **last two tokens** (the
  list in the middle has a variable length). Vertex 0 is start and end; the time budget
  ``Tmax`` is ``C`` of vertex 0. One route.
* Travel time = Euclidean distance, **Solomon: truncated to one decimal**
  (``floor(10 d) / 10``), **Cordeau (pr*)**: **rounded up to two decimals**
  (``ceil(100 d) / 100``) — the matrices the Righini–Salani optima were computed on (the KU
  Leuven readme's "rounded down" is wrong for them).
* OP (Tsiligirides, Chao): line 1 ``Tmax P``, then ``x y score`` per point; **point 1 is the
  start, point 2 the end**; plain Euclidean distances, no rounding, no windows.

Rounding allows 1e-9 of floating-point noise (``floor(10 d + 1e-9)``, ``ceil(100 d - 1e-9)``):
a distance whose exact value is on the grid is not moved off it by the square root's last bit,
and with integer (Solomon) or 0.001-grid (Cordeau) coordinates no off-grid distance is within
1e-7 of the grid.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from routing.orienteering import OPTWProblem

__all__ = [
    "Instance",
    "op_problem",
    "optw_problem",
    "read_op",
    "read_optima",
    "read_optw",
]


@dataclass(frozen=True)
class Instance:
    """A parsed benchmark instance (coordinates, scores, service, windows, matrix)."""

    name: str
    kind: str  # "solomon100", "cordeau", "tsiligirides1..3", "chao64", "chao66"
    xy: np.ndarray
    service: np.ndarray
    score: np.ndarray
    open: np.ndarray
    close: np.ndarray
    travel: np.ndarray
    start: int
    end: int
    budget: float  # Tmax

    @property
    def n(self) -> int:
        """Number of customer vertices (the depot(s) excluded)."""
        return len(self.score) - (1 if self.start == self.end else 2)


def _euclid(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(-1))


def _floor_dec(D: np.ndarray, k: int) -> np.ndarray:
    f = 10**k
    return np.floor(D * f + 1e-9) / f


def _ceil_dec(D: np.ndarray, k: int) -> np.ndarray:
    f = 10**k
    return np.ceil(D * f - 1e-9) / f


def read_optw(path: Path | str, kind: str | None = None) -> Instance:
    """Read one OPTW instance file; ``kind`` defaults to the parent folder name."""
    path = Path(path)
    kind = kind or ("cordeau" if path.parent.name == "cordeau" else path.parent.name)
    lines = [ln.split() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    n_vert = int(lines[0][2]) + 1
    rows = lines[2 : 2 + n_vert]
    if len(rows) != n_vert:
        raise ValueError(f"{path}: expected {n_vert} vertex lines, got {len(rows)}")
    xy = np.array([[float(r[1]), float(r[2])] for r in rows])
    service = np.array([float(r[3]) for r in rows])
    score = np.array([float(r[4]) for r in rows])
    o = np.array([float(r[-2]) for r in rows])
    c = np.array([float(r[-1]) for r in rows])
    for i, r in enumerate(rows):
        if int(r[0]) != i:
            raise ValueError(f"{path}: vertex line {i} has id {r[0]}")
    D = _euclid(xy)
    T = _ceil_dec(D, 2) if kind == "cordeau" else _floor_dec(D, 1)
    np.fill_diagonal(T, 0.0)
    return Instance(path.stem, kind, xy, service, score, o, c, T, 0, 0, float(c[0]))


def read_op(path: Path | str, kind: str) -> Instance:
    """Read a Tsiligirides / Chao OP file (point 1 = start, point 2 = end, budget ``Tmax``)."""
    path = Path(path)
    lines = [ln.split() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    tmax = float(lines[0][0])
    pts = np.array([[float(t) for t in ln[:3]] for ln in lines[1:]])
    n = len(pts)
    T = _euclid(pts[:, :2])
    return Instance(
        path.stem,
        kind,
        pts[:, :2],
        np.zeros(n),
        pts[:, 2].copy(),
        np.zeros(n),
        np.full(n, tmax),
        T,
        0,
        1,
        tmax,
    )


def optw_problem(inst: Instance, routes: int = 1) -> OPTWProblem:
    """The instance as an :class:`OPTWProblem` with ``routes`` identical routes."""
    n = len(inst.score)
    if inst.start == inst.end:
        cands = [v for v in range(n) if v != inst.start]
    else:
        cands = [v for v in range(n) if v not in (inst.start, inst.end)]
    return OPTWProblem(
        travel=inst.travel,
        service=inst.service,
        score=inst.score,
        open=np.tile(inst.open, (routes, 1)),
        close=np.tile(inst.close, (routes, 1)),
        route_start=[inst.start] * routes,
        route_end=[inst.end] * routes,
        route_open=np.zeros(routes),
        route_close=np.full(routes, inst.budget),
        candidates=cands,
    )


op_problem = optw_problem  # OP instances are OPTW instances with wide-open windows


def read_optima(path: Path | str) -> dict[str, tuple[float, str]]:
    """``instance -> (optimum, source)`` from ``optimal.csv``."""
    out = {}
    with Path(path).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out[row["instance"]] = (float(row["optimum"]), row["source"])
    return out


def check_matrix_convention(inst: Instance) -> float:
    """Largest |travel - convention(d)| (0 when the matrix follows the README)."""
    D = _euclid(inst.xy)
    ref = _ceil_dec(D, 2) if inst.kind == "cordeau" else _floor_dec(D, 1)
    np.fill_diagonal(ref, 0.0)
    return float(np.abs(ref - inst.travel).max()) if math.isfinite(ref.max()) else math.inf
