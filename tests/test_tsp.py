"""Tour solvers: exact equals brute force, heuristics never beat exact, tours are valid."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.distances import RoutingError
from routing.tsp import (
    EXACT_MAX_NODES,
    exact_tour,
    greedy_tour,
    improve,
    lkh_tour,
    solve_tour,
    tour_length,
)

HEURISTICS = ("greedy", "local", "lkh", "auto")


@st.composite
def matrices(draw: st.DrawFn, max_n: int = 8) -> np.ndarray:
    """Symmetric non-negative matrices: Euclidean points or arbitrary (non-metric) weights."""
    n = draw(st.integers(min_value=2, max_value=max_n))
    if draw(st.booleans()):
        pts = np.array(
            draw(
                st.lists(
                    st.tuples(st.integers(0, 100), st.integers(0, 100)), min_size=n, max_size=n
                )
            ),
            dtype=float,
        )
        return np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    vals = draw(st.lists(st.integers(0, 50), min_size=n * n, max_size=n * n))
    D = np.array(vals, dtype=float).reshape(n, n)
    D = np.triu(D, 1)
    return D + D.T


@st.composite
def problems(draw: st.DrawFn, max_n: int = 8) -> tuple[np.ndarray, int, int | None, bool]:
    D = draw(matrices(max_n))
    n = len(D)
    start = draw(st.integers(0, n - 1))
    shape = draw(st.sampled_from(["open", "end", "loop"]))
    if shape == "loop":
        return D, start, None, True
    if shape == "end" and n > 1:
        end = draw(st.integers(0, n - 1).filter(lambda v: v != start))
        return D, start, end, False
    return D, start, None, False


def brute_force(D: np.ndarray, start: int, end: int | None, loop: bool) -> float:
    n = len(D)
    middle = [v for v in range(n) if v != start and v != end]
    best = float("inf")
    for perm in itertools.permutations(middle):
        order = [start, *perm] + ([end] if end is not None else [])
        best = min(best, tour_length(D, order, loop=loop))
    return best


def assert_valid(order: tuple[int, ...] | list[int], n: int, start: int, end: int | None) -> None:
    assert sorted(order) == list(range(n)), "every site exactly once"
    assert order[0] == start
    if end is not None:
        assert order[-1] == end


@settings(max_examples=150, deadline=None)
@given(problems())
def test_exact_equals_brute_force(p: tuple[np.ndarray, int, int | None, bool]) -> None:
    D, start, end, loop = p
    tour = solve_tour(D, start, end=end, loop=loop, method="exact")
    assert_valid(tour.order, len(D), start, end)
    assert tour.proved_optimal
    assert tour.length == pytest.approx(brute_force(D, start, end, loop), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(problems(max_n=9))
def test_exact_is_never_beaten_and_heuristics_are_valid(
    p: tuple[np.ndarray, int, int | None, bool],
) -> None:
    D, start, end, loop = p
    best = solve_tour(D, start, end=end, loop=loop, method="exact").length
    for method in HEURISTICS:
        tour = solve_tour(D, start, end=end, loop=loop, method=method)
        assert_valid(tour.order, len(D), start, end)
        assert tour.length >= best - 1e-9, method
        # The reported total is the sum of its legs.
        legs = [D[a, b] for a, b in itertools.pairwise(tour.order)]
        if loop and len(tour.order) > 1:
            legs.append(D[tour.order[-1], tour.order[0]])
        assert tour.length == pytest.approx(sum(legs), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(problems(max_n=12))
def test_improve_never_worsens(p: tuple[np.ndarray, int, int | None, bool]) -> None:
    D, start, end, loop = p
    base = greedy_tour(D, start, end=end, loop=loop)
    better = improve(D, base, end=end, loop=loop)
    assert_valid(better, len(D), start, end)
    assert tour_length(D, better, loop=loop) <= tour_length(D, base, loop=loop) + 1e-9


def test_greedy_is_nearest_neighbour_with_ties_to_lowest_index() -> None:
    D = np.array(
        [
            [0, 2, 2, 9],
            [2, 0, 5, 1],
            [2, 5, 0, 1],
            [9, 1, 1, 0],
        ],
        dtype=float,
    )
    # From 0, nodes 1 and 2 tie at 2 km: the lower index (1) wins.
    assert greedy_tour(D, 0) == [0, 1, 3, 2]
    assert greedy_tour(D, 0, end=3) == [0, 1, 2, 3]


def test_lkh_handles_open_paths_on_larger_instances() -> None:
    rng = np.random.default_rng(7)
    pts = rng.random((40, 2)) * 100
    D = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    for end, loop in ((None, False), (17, False), (None, True)):
        order = lkh_tour(D, 5, end=end, loop=loop)
        assert_valid(order, 40, 5, end)
        greedy = tour_length(D, greedy_tour(D, 5, end=end, loop=loop), loop=loop)
        assert tour_length(D, order, loop=loop) < greedy


def test_auto_reports_how_it_solved() -> None:
    rng = np.random.default_rng(3)
    small = rng.random((10, 10))
    small = small + small.T
    np.fill_diagonal(small, 0)
    t = solve_tour(small, 0, method="auto")
    assert t.solver == "auto:exact" and t.proved_optimal
    big = rng.random((30, 30))
    big = big + big.T
    np.fill_diagonal(big, 0)
    t = solve_tour(big, 0, method="auto")
    assert t.solver == "auto:lkh" and not t.proved_optimal


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "nope"}, "unknown solver"),
        ({"start": 9}, "start index"),
        ({"end": 0}, "end equals start"),
        ({"end": 2, "loop": True}, "do not also give an end"),
    ],
)
def test_bad_requests_raise_routing_errors(kwargs: dict, message: str) -> None:
    D = np.ones((4, 4)) - np.eye(4)
    args = {"start": 0, **kwargs}
    with pytest.raises(RoutingError, match=message):
        solve_tour(D, args.pop("start"), **args)


def test_exact_refuses_huge_instances() -> None:
    n = EXACT_MAX_NODES + 1
    with pytest.raises(RoutingError, match="at most"):
        exact_tour(np.ones((n, n)) - np.eye(n), 0)


def test_empty_matrix_is_an_error() -> None:
    with pytest.raises(RoutingError, match="no sites"):
        solve_tour(np.zeros((0, 0)), 0)


def test_auto_never_asks_exact_for_more_than_it_can_do() -> None:
    rng = np.random.default_rng(11)
    pts = rng.random((EXACT_MAX_NODES + 4, 2))
    D = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    tour = solve_tour(D, 0, loop=True, method="auto", exact_limit=100)
    assert tour.solver == "auto:lkh"
    assert sorted(tour.order) == list(range(len(D)))
