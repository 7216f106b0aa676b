"""The TSPLIB reader of the benchmarks (``benchmarks/tsplib.py``).

Inline snippets (written for these tests, not taken from any benchmark file) cover every
EDGE_WEIGHT_TYPE / EDGE_WEIGHT_FORMAT the reader supports; the check against the real TSPLIB
optimal tours runs only where ``../shared/benchmarks`` exists beside the repository.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks"
TSPLIB_DIR = SHARED / "tsplib"


def _load_reader():
    spec = importlib.util.spec_from_file_location(
        "_bench_tsplib", ROOT / "benchmarks" / "tsplib.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


tsplib = _load_reader()

# A symmetric 4-node matrix used by every EXPLICIT snippet:
#      0  1  2  3
#  0 [ 0  3  4  5 ]
#  1 [ 3  0  6  7 ]
#  2 [ 4  6  0  8 ]
#  3 [ 5  7  8  0 ]
M4 = np.array([[0, 3, 4, 5], [3, 0, 6, 7], [4, 6, 0, 8], [5, 7, 8, 0]])

EXPLICIT_BODIES = {
    "FULL_MATRIX": "0 3 4 5\n3 0 6 7\n4 6 0 8\n5 7 8 0",
    "UPPER_ROW": "3 4 5\n6 7\n8",
    "LOWER_ROW": "3\n4 6\n5 7 8",
    "UPPER_DIAG_ROW": "0 3 4 5\n0 6 7\n0 8\n0",
    "LOWER_DIAG_ROW": "0\n3 0\n4 6 0\n5 7 8 0",
    "UPPER_COL": "3\n4 6\n5 7 8",
    "LOWER_COL": "3 4 5\n6 7\n8",
    "UPPER_DIAG_COL": "0\n3 0\n4 6 0\n5 7 8 0",
    "LOWER_DIAG_COL": "0 3 4 5\n0 6 7\n0 8\n0",
}


def explicit_text(fmt: str, body: str, *, spaced: bool = False) -> str:
    sep = " : " if spaced else ": "
    return (
        f"NAME{sep}tiny4\nTYPE{sep}TSP\nCOMMENT{sep}made up: four nodes\nDIMENSION{sep}4\n"
        f"EDGE_WEIGHT_TYPE{sep}EXPLICIT\nEDGE_WEIGHT_FORMAT{sep}{fmt} \n"
        f"EDGE_WEIGHT_SECTION\n{body}\nEOF\n"
    )


def coord_text(ewt: str, coords: list[tuple[float, ...]], *, shuffled: bool = False) -> str:
    ids = list(range(1, len(coords) + 1))
    if shuffled:
        ids = ids[::-1]
    lines = "\n".join(f"{i} " + " ".join(str(c) for c in coords[i - 1]) for i in ids)
    return (
        f"NAME : made{ewt}\nTYPE : TSP\nDIMENSION : {len(coords)}\n"
        f"EDGE_WEIGHT_TYPE : {ewt}\nNODE_COORD_SECTION\n{lines}\nEOF\n"
    )


@pytest.mark.parametrize("fmt", sorted(EXPLICIT_BODIES))
def test_explicit_formats(fmt):
    p = tsplib.parse_problem(explicit_text(fmt, EXPLICIT_BODIES[fmt], spaced=fmt.endswith("COL")))
    assert p.kind == f"EXPLICIT:{fmt}"
    assert p.name == "tiny4"
    D = p.matrix()
    assert D.dtype == np.int64
    np.testing.assert_array_equal(D, M4)


def test_explicit_wrong_count_is_an_error():
    with pytest.raises(tsplib.TsplibError, match="needs 6 numbers"):
        tsplib.parse_problem(explicit_text("UPPER_ROW", "3 4 5\n6 7"))


def test_explicit_followed_by_display_data():
    text = explicit_text("UPPER_ROW", EXPLICIT_BODIES["UPPER_ROW"]).replace(
        "EOF\n", "DISPLAY_DATA_SECTION\n1 0 0\n2 1 0\n3 0 1\n4 1 1\nEOF\n"
    )
    np.testing.assert_array_equal(tsplib.parse_problem(text).matrix(), M4)


def test_euc_2d_rounds_to_nearest():
    # distances 5 (3-4-5), 2.5 -> 3 (nint rounds halves up), sqrt(2) -> 1
    p = tsplib.parse_problem(coord_text("EUC_2D", [(0, 0), (3, 4), (0, 2.5), (1, 1)]))
    D = p.matrix()
    assert D[0, 1] == 5
    assert D[0, 2] == 3
    assert D[0, 3] == 1
    np.testing.assert_array_equal(D, D.T)
    assert not D.diagonal().any()


def test_node_ids_place_rows():
    coords = [(0, 0), (3, 4), (0, 2.5), (1, 1)]
    a = tsplib.parse_problem(coord_text("EUC_2D", coords)).matrix()
    b = tsplib.parse_problem(coord_text("EUC_2D", coords, shuffled=True)).matrix()
    np.testing.assert_array_equal(a, b)


def test_euc_3d_ceil_man_max():
    D = tsplib.parse_problem(coord_text("EUC_3D", [(0, 0, 0), (1, 2, 2), (0, 0, 1.4)])).matrix()
    assert (D[0, 1], D[0, 2], D[1, 2]) == (3, 1, 2)  # sqrt(1+4+0.36)=2.31 -> 2
    D = tsplib.parse_problem(coord_text("CEIL_2D", [(0, 0), (1, 1), (3, 4)])).matrix()
    assert (D[0, 1], D[0, 2], D[1, 2]) == (2, 5, 4)  # ceil(1.414), 5, ceil(3.606)
    D = tsplib.parse_problem(coord_text("MAN_2D", [(0, 0), (1.2, 2.4), (3, 4)])).matrix()
    assert (D[0, 1], D[0, 2]) == (4, 7)  # nint(3.6), 7
    D = tsplib.parse_problem(coord_text("MAX_2D", [(0, 0), (1.2, 2.4), (3, 4)])).matrix()
    assert (D[0, 1], D[0, 2]) == (2, 4)  # max(nint 1.2, nint 2.4), max(3, 4)


def test_att_pseudo_euclidean():
    # r = sqrt(100/10) = 3.162 -> nint 3 < r -> 4 ;  r = sqrt(90/10) = 3 exactly -> 3
    D = tsplib.parse_problem(coord_text("ATT", [(0, 0), (6, 8), (9, 3)])).matrix()
    assert D[0, 1] == 4
    assert D[0, 2] == 3


def _geo_reference(a: tuple[float, float], b: tuple[float, float]) -> int:
    """The TSPLIB GEO distance, written out independently (trunc degrees, PI = 3.141592)."""

    def rad(x: float) -> float:
        deg = int(x)
        return 3.141592 * (deg + 5.0 * (x - deg) / 3.0) / 180.0

    la1, lo1, la2, lo2 = rad(a[0]), rad(a[1]), rad(b[0]), rad(b[1])
    q1, q2, q3 = math.cos(lo1 - lo2), math.cos(la1 - la2), math.cos(la1 + la2)
    return int(6378.388 * math.acos(0.5 * ((1 + q1) * q2 - (1 - q1) * q3)) + 1)


def test_geo_truncates_degrees_and_handles_signs():
    pts = [(10.50, 20.30), (-12.55, -33.45), (45.59, 120.01)]
    D = tsplib.parse_problem(coord_text("GEO", pts)).matrix()
    for i in range(3):
        for j in range(3):
            want = 0 if i == j else _geo_reference(pts[i], pts[j])
            assert D[i, j] == want
    # 10.50 is 10 degrees 50 minutes (10.833°), not 10.5° and not nint(10.50) = 11 degrees:
    # one degree of latitude is ~111.3 km, so a 0°50' step measures 93 km (int(...) + 1).
    D2 = tsplib.parse_problem(coord_text("GEO", [(10.0, 0.0), (10.50, 0.0)])).matrix()
    assert D2[0, 1] == 93


def test_tour_parsing_and_length():
    text = "NAME : t\nTYPE : TOUR\nDIMENSION : 4\nTOUR_SECTION\n1\n3 2\n4\n-1\nEOF\n"
    tour = tsplib.parse_tour(text)
    assert tour == [0, 2, 1, 3]
    assert tsplib.tour_length(M4, tour) == 4 + 6 + 7 + 5
    with pytest.raises(tsplib.TsplibError, match="permutation"):
        tsplib.parse_tour(text.replace("3 2", "3 3"))


def test_rejects_asymmetric_and_unknown():
    with pytest.raises(tsplib.TsplibError, match="only symmetric"):
        tsplib.parse_problem(
            explicit_text("FULL_MATRIX", EXPLICIT_BODIES["FULL_MATRIX"]).replace(
                "TYPE: TSP", "TYPE: ATSP"
            )
        )
    lopsided = EXPLICIT_BODIES["FULL_MATRIX"].replace("0 3 4 5", "0 9 4 5")
    with pytest.raises(tsplib.TsplibError, match="not symmetric"):
        tsplib.parse_problem(explicit_text("FULL_MATRIX", lopsided)).matrix()
    with pytest.raises(tsplib.TsplibError, match="EDGE_WEIGHT_TYPE"):
        tsplib.parse_problem(coord_text("XRAY1", [(0, 0), (1, 1)]))


def test_read_optima(tmp_path):
    f = tmp_path / "optimal.csv"
    f.write_text("instance,type,n,optimum,source\na,TSP/EUC_2D,3,10,x\nb,OPTW/x,3,5,y\n")
    assert tsplib.read_optima(f) == {"a": 10}


# ----------------------------------------------------------- against the shared TSPLIB files

needs_shared = pytest.mark.skipif(
    not (TSPLIB_DIR / "opt_tours").is_dir(), reason="../shared/benchmarks not present"
)


@needs_shared
def test_published_optimal_tours_measure_the_optimum():
    optima = tsplib.read_optima(SHARED / "optimal.csv")
    with open(SHARED / "optimal.csv", newline="", encoding="utf-8") as fh:
        types = {r["instance"]: r["type"] for r in csv.DictReader(fh)}
    tours = sorted((TSPLIB_DIR / "opt_tours").glob("*.opt.tour"))
    assert len(tours) == 24
    for tp in tours:
        name = tp.name.removesuffix(".opt.tour")
        p = tsplib.read_problem(TSPLIB_DIR / f"{name}.tsp")
        assert f"TSP/{p.kind}" == types[name]
        length = tsplib.tour_length(p.matrix(), tsplib.read_tour(tp, p.dimension))
        assert length == optima[name], name


@needs_shared
def test_all_instances_parse():
    optima = tsplib.read_optima(SHARED / "optimal.csv")
    files = sorted(TSPLIB_DIR.glob("*.tsp"))
    assert len(files) == 49
    for f in files:
        p = tsplib.read_problem(f)
        D = p.matrix()
        assert D.shape == (p.dimension, p.dimension)
        np.testing.assert_array_equal(D, D.T)
        assert p.name in optima
