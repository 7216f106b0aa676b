"""Region-scale planning hooks: candidate and town pruning, day-search bounds, cached legs,
lodging towns from towns.csv."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.catalog import Catalog, CatalogError, Site, load_catalog
from planner import region
from planner.service import load_context
from planner.themes import Candidate

FIX = Path(__file__).parent / "fixtures"


def _site(sid: str, lat: float, lon: float, kind: str = "rock_carving") -> Site:
    return Site(id=sid, name_zh=sid, lat=lat, lon=lon, kind=kind, coord_confidence="medium")


STEP = 0.02  # degrees of longitude between candidates (~1.9 km at 30° N)


def _catalog(n: int) -> Catalog:
    """``n`` candidates on a line eastwards from (30, 104), STEP apart, plus towns."""
    sites = {f"c{k}": _site(f"c{k}", 30.0, 104.0 + STEP * k) for k in range(n)}
    sites |= {f"t{k}": _site(f"t{k}", 30.0, 104.0 + 0.5 * k, "town") for k in range(40)}
    return Catalog(sites)


def _cands(n: int) -> list[Candidate]:
    # score falls with the distance from the start: the nearest are the best
    return [Candidate(f"c{k}", 1.0 - k / (2 * n), 1.0, 0.5, ("stone-carving",)) for k in range(n)]


def _prune(cat: Catalog, cands: list[Candidate], days: int, keep: set[str] = frozenset()):  # type: ignore[assignment]
    return region.prune_candidates(
        cat,
        cands,
        start=cat.sites["t0"],
        end=None,
        days=days,
        max_per_day=3,
        keep=set(keep),
        speed_kmh=45.0,
        day_minutes=510.0,
        circuity=1.5,
    )


def test_small_catalogs_are_not_pruned() -> None:
    cat = _catalog(40)
    kept, pruned = _prune(cat, _cands(40), days=1)
    assert len(kept) == 40 and pruned == []


def test_far_and_low_scoring_candidates_are_pruned_with_reasons() -> None:
    cat = _catalog(300)
    reach = region.reach_km(2, 45.0, 510.0, 1.5)  # 255 km
    kept, pruned = _prune(cat, _cands(300), days=2, keep={"c299"})
    ids = {c.site_id for c in kept}
    assert "c299" in ids  # a must-see is kept however far
    assert len(kept) == region.MIN_CANDIDATES  # must-sees included
    reasons = {p.site_id: p.reason for p in pruned}
    assert set(reasons) | ids == {f"c{k}" for k in range(300)}
    for sid, why in reasons.items():
        km = int(sid[1:]) * STEP * 96.3  # 1° of longitude at 30° N is ~96.3 km
        if km > reach + 2:
            assert why == "too_far", sid
        elif km < reach - 2:
            assert why == "lower_score", sid
    assert all(reasons[f"c{k}"] == "too_far" for k in range(140, 299))
    assert reasons["c70"] == "lower_score"


def test_towns_are_pruned_near_the_kept_candidates() -> None:
    cat = _catalog(30)
    towns = [f"t{k}" for k in range(40)]
    kept = _cands(30)
    out = region.prune_towns(cat, towns, kept, anchors=["t0", "t39"])
    assert out[:2] == ["t0", "t39"] and len(out) <= region.MAX_TOWNS
    assert set(out[2:]) <= {"t0", "t1", "t2"}  # the candidates end at 104.6°E


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_shortest_times_bound_every_route(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 6
    travel = rng.uniform(5, 200, size=(n, n))
    np.fill_diagonal(travel, 0.0)
    d = region.shortest_times(travel)
    assert (d <= travel + 1e-9).all()
    for a, b in itertools.permutations(range(n), 2):
        for via in itertools.permutations([v for v in range(n) if v not in (a, b)], 2):
            path = [a, *via, b]
            cost = sum(travel[u, v] for u, v in itertools.pairwise(path))
            assert d[a, b] <= cost + 1e-9


def test_day_reachable_keeps_a_node_reached_only_through_another() -> None:
    # 0 = start, 3 = end; node 1 is 600 min from the start directly but 60 via node 2
    travel = np.array(
        [[0, 600, 30, 600], [600, 0, 30, 30], [30, 30, 0, 600], [600, 30, 600, 0]], dtype=float
    )
    args = dict(
        travel=travel,
        service=np.array([0, 60, 60, 0.0]),
        open_=np.zeros(4),
        close=np.full(4, 1080.0),
        start=0,
        end=3,
        day_open=510.0,
        day_close=1080.0,
        lunch=60.0,
    )
    assert region.day_reachable([1, 2], **args) == [1, 2]  # type: ignore[arg-type]
    args["close"] = np.array([1080, 500, 1080, 1080.0])  # node 1 closes before the day starts
    assert region.day_reachable([1, 2], **args) == [2]  # type: ignore[arg-type]


def test_leg_table_is_computed_once_per_sites_and_mode() -> None:
    ctx = load_context()
    ids = ["dazu_town", "baodingshan", "beishan"]
    transport = {"speed_kmh": 45, "overhead_min": 5}
    kw = dict(transport=transport, mode="car", travel_times=None, roads=None)
    first = region.cached_leg_table(ctx, ids, **kw)  # type: ignore[arg-type]
    assert region.cached_leg_table(ctx, ids, **kw) is first  # type: ignore[arg-type]
    assert region.cached_leg_table(ctx, ids[::-1], **kw) is not first  # type: ignore[arg-type]


def _copy_catalog(tmp_path: Path) -> Path:
    d = tmp_path / "catalog"
    shutil.copytree(FIX / "kg" / "catalog", d)
    return d


def test_towns_file_adds_lodging_towns(tmp_path: Path) -> None:
    d = _copy_catalog(tmp_path)
    header = (d / "sites.csv").read_text(encoding="utf-8").splitlines()[0]
    cols = header.split(",")
    row = dict.fromkeys(cols, "")
    row |= {
        "id": "town_511100",
        "name_zh": "乐山市区",
        "province": "四川省",
        "city": "乐山市",
        "lat": "29.55487",
        "lon": "103.76347",
        "coord_confidence": "low",
        "coord_uncertainty_km": "2",
        "coord_source": "county_centres.csv adcode 511100",
        "kind": "town",
        "source": "county_centres.csv adcode 511100",
    }
    (d / "towns.csv").write_text(header + "\n" + ",".join(row[c] for c in cols) + "\n", "utf-8")
    cat = load_catalog(d)
    assert cat.resolve("乐山市区").kind == "town"
    bad = dict(row, id="yongxi_guzhen")  # an id of sites.csv
    (d / "towns.csv").write_text(header + "\n" + ",".join(bad[c] for c in cols) + "\n", "utf-8")
    with pytest.raises(CatalogError, match=r"already used in sites\.csv"):
        load_catalog(d)
    bad = dict(row, kind="old_town")
    (d / "towns.csv").write_text(header + "\n" + ",".join(bad[c] for c in cols) + "\n", "utf-8")
    with pytest.raises(CatalogError, match="holds towns only"):
        load_catalog(d)


def test_leg_table_computes_table_chains_over_the_table_sites_only() -> None:
    """The leg table of a region-scale request equals the one from the ``auto`` matrix over
    every site (the old, slower computation): same km, sources and via chains."""
    from planner import providers
    from planner.service import distance_matrix

    ctx = load_context()
    towns = [s.id for s in ctx.catalog.sites.values() if s.kind == "town" and s.has_coords]
    table_sites = [s for s in ctx.graph.nodes if s in ctx.catalog.sites][:25]
    others = [
        s.id
        for s in ctx.catalog.sites.values()
        if s.kind != "town" and s.has_coords and s.id not in ctx.graph
    ][:25]
    ids = [*towns[:10], *table_sites, *others]
    assert len(table_sites) >= 10 and len(others) >= 10
    table = providers.leg_table(ctx, ids, transport={"speed_kmh": 45, "overhead_min": 5})
    full = distance_matrix(ctx, ids, "auto")
    direct = providers._direct_table(ctx)
    chains = 0
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if i == j:
                continue
            km, _, src, via = providers._best(
                ctx, a, b, full.leg(i, j), direct, ctx.circuity.factor
            )
            assert table.km[i, j] == pytest.approx(km), (a, b)
            assert table.sources[i][j] == src and table.via.get((i, j), ()) == tuple(via)
            chains += bool(via)
    assert chains > 0  # some pairs do go through the table's chains


def test_long_legs_are_planned_at_the_expressway_speed_beyond_their_first_km() -> None:
    from planner.providers import drive_minutes, leg_table
    from planner.themes import load_planning

    car = {"speed_kmh": 45, "overhead_min": 5, "long_leg_km": 50, "long_leg_speed_kmh": 80}
    assert drive_minutes(30, car) == pytest.approx(40.0)
    assert drive_minutes(50, car) == pytest.approx(50 / 45 * 60)
    assert drive_minutes(210, car) == pytest.approx(50 / 45 * 60 + 160 / 80 * 60)
    assert drive_minutes(210, {"speed_kmh": 45}) == pytest.approx(280.0)  # no long-leg speed
    planning = load_planning()["transport"]
    assert "long_leg_speed_kmh" in planning["car"] and "long_leg_speed_kmh" not in planning["bus"]
    ctx = load_context()
    ids = [ctx.catalog.resolve("成都市区").id, "dazu_town"]
    table = leg_table(ctx, ids, transport=planning["car"])
    assert table.km[0, 1] > 200 and table.sources[0][1] == "estimate"
    want = drive_minutes(table.km[0, 1], planning["car"]) + planning["car"]["overhead_min"]
    assert table.minutes[0, 1] == pytest.approx(want)
    assert table.minutes[0, 1] < table.km[0, 1] / planning["car"]["speed_kmh"] * 60
