"""Distance providers: Dijkstra closure, estimates, auto, circuity fit, provenance."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.geo import haversine_km
from routing.distances import (
    ESTIMATE,
    MIXED,
    SEED,
    DisconnectedError,
    MissingCoordinatesError,
    RoutingError,
    auto_matrix,
    estimate_matrix,
    fit_circuity,
    seed_graph,
    seed_matrix,
)


@st.composite
def connected_edges(draw: st.DrawFn) -> list[tuple[str, str, float]]:
    n = draw(st.integers(2, 9))
    nodes = [f"s{k}" for k in range(n)]
    edges = [
        (nodes[k], nodes[draw(st.integers(0, k - 1))], draw(st.floats(0.1, 100)))
        for k in range(1, n)
    ]  # a random spanning tree keeps the graph connected
    for a, b in itertools.combinations(nodes, 2):
        if draw(st.booleans()):
            edges.append((a, b, draw(st.floats(0.1, 100))))
    return edges


@settings(max_examples=80, deadline=None)
@given(connected_edges())
def test_closure_obeys_triangle_inequality_and_paths_add_up(edges: list) -> None:
    G = seed_graph(edges)
    ids = sorted(G.nodes)
    dm = seed_matrix(G, ids)
    n = len(ids)
    for i, j, k in itertools.product(range(n), repeat=3):
        assert dm.km[i, j] <= dm.km[i, k] + dm.km[k, j] + 1e-9
    for i, j in itertools.permutations(range(n), 2):
        leg = dm.leg(i, j)
        assert leg.from_id == ids[i] and leg.to_id == ids[j]
        assert sum(h.km for h in leg.hops) == pytest.approx(leg.km)
        # The via chain is exactly the interior of the hop chain, and hops are table edges.
        chain = [leg.from_id, *leg.via, leg.to_id]
        assert [h.a for h in leg.hops] + [leg.hops[-1].b] == chain
        for h in leg.hops:
            assert G.has_edge(h.a, h.b) and h.source == SEED


def test_direct_edge_longer_than_a_chain_is_bypassed() -> None:
    G = seed_graph([("a", "b", 10), ("b", "c", 1), ("a", "c", 20)])
    leg = seed_matrix(G, ["a", "c"]).leg(0, 1)
    assert leg.km == 11 and leg.via == ("b",) and leg.source == SEED
    back = seed_matrix(G, ["a", "c"]).leg(1, 0)
    assert back.via == ("b",) and back.from_id == "c"


def test_disconnected_sites_are_named() -> None:
    G = seed_graph([("a", "b", 1), ("c", "d", 1)])
    with pytest.raises(DisconnectedError, match="does not connect a and c"):
        seed_matrix(G, ["a", "b", "c"])
    with pytest.raises(DisconnectedError, match="does not cover x"):
        seed_matrix(G, ["a", "x"])


def test_negative_distance_rejected() -> None:
    with pytest.raises(RoutingError, match="negative"):
        seed_graph([("a", "b", -1)])


def test_duplicate_pairs_keep_the_shorter_distance() -> None:
    G = seed_graph([("a", "b", 5), ("b", "a", 3), ("a", "b", 4)])
    assert G["a"]["b"]["weight"] == 3


def test_circuity_fit_recovers_a_known_factor() -> None:
    pairs = [(f"a{k}", f"b{k}", 1.4 * gc, gc) for k, gc in enumerate([3.0, 10.0, 25.0, 40.0])]
    fit = fit_circuity(pairs)
    assert fit.factor == pytest.approx(1.4)
    assert fit.mean_abs_error_km == pytest.approx(0, abs=1e-9)
    noisy = fit_circuity([("a", "b", 12, 10), ("c", "d", 16, 10)])
    assert noisy.factor == pytest.approx(1.4)
    assert noisy.mean_abs_error_km == pytest.approx(2)
    with pytest.raises(RoutingError):
        fit_circuity([])


COORDS = {
    "a": (29.70, 105.70),
    "b": (29.75, 105.78),
    "c": (30.09, 105.34),
    "d": (30.30, 105.32),
    "x": None,
}


def test_estimate_matrix_is_haversine_times_factor() -> None:
    dm = estimate_matrix(["a", "c"], COORDS, 1.3)
    expected = haversine_km(*COORDS["a"], *COORDS["c"]) * 1.3
    assert dm.km[0, 1] == pytest.approx(expected)
    assert dm.leg(0, 1).source == ESTIMATE
    with pytest.raises(MissingCoordinatesError, match="x"):
        estimate_matrix(["a", "x"], COORDS, 1.3)


def test_auto_uses_the_table_where_it_connects_and_estimates_elsewhere() -> None:
    # Table: a–b (10 km) and c–d (25 km) are two separate components.
    G = seed_graph([("a", "b", 10.0), ("c", "d", 25.0)])
    dm = auto_matrix(G, ["a", "b", "c", "d"], COORDS, 1.3)
    assert dm.leg(0, 1).km == 10 and dm.leg(0, 1).source == SEED
    assert dm.leg(2, 3).km == 25 and dm.leg(2, 3).source == SEED
    cross = dm.leg(0, 3)
    assert cross.source in (ESTIMATE, MIXED)
    assert cross.km <= haversine_km(*COORDS["a"], *COORDS["d"]) * 1.3 + 1e-9
    assert all(not math.isnan(v) for v in dm.km.flat)


def test_auto_needs_coordinates_for_sites_outside_the_table() -> None:
    G = seed_graph([("a", "b", 10.0)])
    with pytest.raises(MissingCoordinatesError, match="x"):
        auto_matrix(G, ["a", "x"], COORDS, 1.3)


def test_graph_is_networkx() -> None:
    assert isinstance(seed_graph([("a", "b", 1)]), nx.Graph)
