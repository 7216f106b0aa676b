"""Routes of the OPTW local search: named problem arrays, per-route bookkeeping, insertion.

:class:`RouteBook` holds the problem's arrays under plain names (NumPy arrays for the
vectorised evaluations, nested lists for the scalar loops) and keeps, for every
:class:`Route`, the earliest-start schedule and the slack that tells in O(1) whether a node
fits between two stops (MaxShift, Vansteenwegen et al. 2009)::

    MaxShift(end) = route_close - arrive(end)
    MaxShift(k)   = min(close(k) - start(k), wait(k+1) + MaxShift(k+1))

Inserting ``j`` between ``i`` and ``k`` delays ``k`` by
``Shift_j = travel(i, j) + wait(j) + service(j) + travel(j, k) - travel(i, k)`` and is
feasible iff ``start(j) <= close(j)`` and ``Shift_j <= wait(k) + MaxShift(k)``. All
(candidate, route, position) triples are evaluated at once with NumPy: one ``(positions ×
candidates)`` array per route. The greedy construction (mandatory nodes, then the best ratio
``score² / Shift``) lives here; :mod:`routing.optw_moves` adds the improving moves and
:mod:`routing.optw_search` the iterated local search.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import numpy as np

from routing.optw_model import TIME_EPS, Prepared

__all__ = ["Route", "RouteBook"]

_INF = np.inf
_TINY = 1e-3  # minutes: floor of Shift in the ratio score² / Shift


class Route:
    """One route's stops and its earliest-start bookkeeping (positions include the ends)."""

    __slots__ = (
        "depart",
        "index",
        "leg_travel",
        "next_nodes",
        "prev_nodes",
        "slack",
        "stops",
        "travel",
    )

    index: int
    stops: list[int]
    prev_nodes: np.ndarray  # node at each position but the last (start node, stops)
    next_nodes: np.ndarray  # node at each position but the first (stops, end node)
    depart: np.ndarray  # earliest departure from each position but the last
    slack: np.ndarray  # (wait + MaxShift) of the position after each leg
    leg_travel: np.ndarray  # travel minutes of each leg
    travel: float  # total travel minutes

    def __init__(self, r: int, stops: list[int]) -> None:
        self.index = r
        self.stops = stops


class RouteBook:
    """The problem's arrays, route bookkeeping and insertion (greedy construction)."""

    def __init__(self, P: Prepared) -> None:
        self.prep = P
        self.noise_rng = np.random.default_rng(0)
        self.travel = P.travel
        self.travel_t = np.ascontiguousarray(P.travel.T)
        self.travel_rows = P.travel.tolist()
        self.service = P.service
        self.service_rows = P.service.tolist()
        self.score = P.score
        self.score_rows = P.score.tolist()
        self.open = P.open
        self.close = P.close
        self.open_rows = P.open.tolist()
        self.close_rows = P.close.tolist()
        self.n_routes = P.n_routes
        self.max_stops = P.route_cap()
        self.route_start = P.route_start
        self.route_end = P.route_end
        self.route_open = P.route_open.tolist()
        self.route_close = P.route_close.tolist()
        self.mandatory = P.mandatory
        self.usable = np.array(P.usable, dtype=np.int64)
        self.optional = np.array([v for v in P.usable if v not in P.mandatory], dtype=np.int64)
        self.mandatory_nodes = np.array(
            sorted(v for v in P.usable if v in P.mandatory), dtype=np.int64
        )
        # windows that cannot bind: open before the day starts, close after it ends
        self.loose = (P.open <= P.route_open[:, None] + TIME_EPS) & (
            P.close >= P.route_close[:, None] - TIME_EPS
        )
        self.is_mandatory = np.zeros(P.n, dtype=bool)
        self.is_mandatory[list(P.mandatory)] = True
        self.max_travel = P.max_travel.tolist()  # per route, inf: no limit
        self.travel_limited = P.travel_limited
        self.travel_cost = P.travel_cost  # score per travel minute (0: score only)
        self.priced = self.travel_limited or self.travel_cost > 0

    # ------------------------------------------------------------------ bookkeeping

    def refresh(self, rt: Route) -> None:
        """Recompute the schedule arrays of ``rt`` (earliest starts, waits, MaxShift)."""
        r = rt.index
        T = self.travel_rows
        opn = self.open_rows[r]
        cls = self.close_rows[r]
        d = self.service_rows
        seq = [self.route_start[r], *rt.stops, self.route_end[r]]
        m = len(seq)
        dep = [0.0] * m
        st = [0.0] * m
        wt = [0.0] * m
        t = self.route_open[r]
        dep[0] = st[0] = t
        travel = 0.0
        prev = seq[0]
        for k in range(1, m - 1):
            v = seq[k]
            leg = T[prev][v]
            travel += leg
            a = t + leg
            o = opn[v]
            if a < o:
                st[k] = o
                wt[k] = o - a
            else:
                st[k] = a
            t = st[k] + d[v]
            dep[k] = t
            prev = v
        leg = T[prev][seq[-1]]
        travel += leg
        st[-1] = t + leg
        ms = self.route_close[r] - st[-1]
        slack = [0.0] * (m - 1)
        slack[m - 2] = ms
        for k in range(m - 2, 0, -1):
            ms = min(cls[seq[k]] - st[k], slack[k])
            slack[k - 1] = wt[k] + ms
        rt.prev_nodes = np.array(seq[:-1], dtype=np.int64)
        rt.next_nodes = np.array(seq[1:], dtype=np.int64)
        rt.depart = np.array(dep[:-1])
        rt.slack = np.array(slack)
        rt.leg_travel = self.travel[rt.prev_nodes, rt.next_nodes]
        rt.travel = travel

    def make(self, stops: Sequence[Sequence[int]]) -> list[Route]:
        out = []
        for r, s in enumerate(stops):
            rt = Route(r, list(s))
            self.refresh(rt)
            out.append(rt)
        return out

    def feasible(self, r: int, stops: Sequence[int]) -> bool:
        """Plain O(m) feasibility check of one route (used for asserts and small moves)."""
        T = self.travel_rows
        opn = self.open_rows[r]
        cls = self.close_rows[r]
        t = self.route_open[r]
        prev = self.route_start[r]
        for v in stops:
            a = t + T[prev][v]
            if a < opn[v]:
                a = opn[v]
            if a > cls[v] + TIME_EPS:
                return False
            t = a + self.service_rows[v]
            prev = v
        if t + T[prev][self.route_end[r]] > self.route_close[r] + TIME_EPS:
            return False
        if self.travel_limited:
            nodes = [self.route_start[r], *stops, self.route_end[r]]
            legs = sum(T[a_][b_] for a_, b_ in itertools.pairwise(nodes))
            return legs <= self.max_travel[r] + TIME_EPS
        return True

    def key(self, routes: list[Route]) -> tuple[int, float, float]:
        """Lexicographic quality: mandatory nodes placed, objective (the score, less
        ``travel_cost`` × travel), then less travel."""
        nm = 0
        score = 0.0
        travel = 0.0
        for rt in routes:
            for v in rt.stops:
                score += self.score_rows[v]
                if v in self.mandatory:
                    nm += 1
            travel += rt.travel
        if self.travel_cost:
            score -= self.travel_cost * travel
        return nm, round(score, 9), -round(travel, 9)

    @staticmethod
    def copy(routes: list[Route]) -> list[Route]:
        out = []
        for rt in routes:
            c = Route(rt.index, list(rt.stops))
            c.prev_nodes, c.next_nodes, c.depart, c.slack, c.leg_travel, c.travel = (
                rt.prev_nodes,
                rt.next_nodes,
                rt.depart,
                rt.slack,
                rt.leg_travel,
                rt.travel,
            )
            out.append(c)
        return out

    def _on(self, routes: list[Route]) -> np.ndarray:
        """Boolean mask of the nodes on some route."""
        on = np.zeros(self.prep.n, dtype=bool)
        for rt in routes:
            on[rt.stops] = True
        return on

    # ------------------------------------------------------------------ insertion

    def _shifts(
        self, rt: Route, U: np.ndarray, priced: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(positions × nodes)`` Shift of inserting each node of ``U`` into ``rt`` (and ok).

        Positions whose extra travel breaks the route's travel limit are not ok; with
        ``priced``, neither are those whose extra travel costs more than the node's score.
        """
        r = rt.index
        dep = rt.depart[:, None]
        begin = np.maximum(self.travel[rt.prev_nodes][:, U] + dep, self.open[r, U])
        sh = (
            begin
            + self.service[U]
            + self.travel_t[rt.next_nodes][:, U]
            - (rt.depart + rt.leg_travel)[:, None]
        )
        ok = (begin <= self.close[r, U] + TIME_EPS) & (sh <= rt.slack[:, None] + TIME_EPS)
        if self.priced:
            extra = (
                self.travel[rt.prev_nodes][:, U]
                + self.travel_t[rt.next_nodes][:, U]
                - rt.leg_travel[:, None]
            )
            if self.travel_limited:
                ok &= rt.travel + extra <= self.max_travel[r] + TIME_EPS
            if priced and self.travel_cost:
                ok &= self.score[U] - self.travel_cost * extra > 1e-12
        return sh, ok

    def _eval(
        self, rt: Route, U: np.ndarray, priced: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best insertion of each node of ``U`` into ``rt`` (shift ``inf`` = infeasible).

        Returns (best shift per node, best position per node, feasible-position count).
        """
        sh, ok = self._shifts(rt, U, priced)
        sh = np.where(ok, sh, _INF)
        pos = sh.argmin(0)
        return sh[pos, np.arange(U.size)], pos, ok.sum(0)

    def _best(
        self, routes: list[Route], U: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        best = np.full(U.size, _INF)
        br = np.zeros(U.size, dtype=np.int64)
        bp = np.zeros(U.size, dtype=np.int64)
        cnt = np.zeros(U.size, dtype=np.int64)
        for rt in routes:
            if len(rt.stops) >= self.max_stops:
                continue
            b, p, c = self._eval(rt, U)
            better = b < best
            best = np.where(better, b, best)
            br[better] = rt.index
            bp = np.where(better, p, bp)
            cnt += c
        return best, br, bp, cnt

    def _insert(self, routes: list[Route], r: int, pos: int, v: int) -> None:
        rt = routes[r]
        rt.stops.insert(pos, int(v))
        self.refresh(rt)

    def place_mandatory(self, routes: list[Route], rng: random.Random | None = None) -> None:
        """Insert the missing mandatory nodes, most constrained first (fewest positions).

        Each goes to its smallest-Shift position, or, with ``rng``, to a random feasible one
        (so that the ILS can move a must-visit to another day or place).
        """
        U = self.mandatory_nodes[~self._on(routes)[self.mandatory_nodes]]
        while U.size:
            best, br, bp, cnt = self._best(routes, U)
            feas = np.isfinite(best)
            if not feas.any():
                return
            U, best, br, bp, cnt = U[feas], best[feas], br[feas], bp[feas], cnt[feas]
            k = int(np.lexsort((U, best, cnt))[0]) if rng is None else rng.randrange(U.size)
            r, p = int(br[k]), int(bp[k])
            if rng is not None:
                opts: list[tuple[int, int]] = []
                for rt in routes:
                    if len(rt.stops) < self.max_stops:
                        _, ok = self._shifts(rt, U[k : k + 1])
                        opts.extend((rt.index, int(q)) for q in np.nonzero(ok[:, 0])[0])
                r, p = opts[rng.randrange(len(opts))]
            self._insert(routes, r, p, int(U[k]))
            U = np.delete(U, k)

    def insert_phase(
        self,
        routes: list[Route],
        alpha: float = 2.0,
        U: np.ndarray | None = None,
        noise: float = 0.0,
    ) -> int:
        """Ratio insertion (``score**alpha / Shift``) until nothing fits; returns insertions.

        Candidates that fit nowhere are dropped for the rest of the phase (insertions only
        consume slack; with non-metric travel times this may miss a rare late fit).
        """
        if U is None:
            U = self.optional[~self._on(routes)[self.optional]]
        done = 0
        w = self.score**alpha if alpha != 2.0 else self.score * self.score
        # per-route (best shift, best position) aligned with U; only the route that just
        # received a node is re-evaluated
        cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        while U.size:
            best = np.full(U.size, _INF)
            br = np.zeros(U.size, dtype=np.int64)
            bp = np.zeros(U.size, dtype=np.int64)
            for rt in routes:
                if len(rt.stops) >= self.max_stops:
                    cache.pop(rt.index, None)
                    continue
                if rt.index not in cache:
                    b, p, _ = self._eval(rt, U, priced=True)
                    cache[rt.index] = (b, p)
                b, p = cache[rt.index]
                better = b < best
                best = np.where(better, b, best)
                br[better] = rt.index
                bp = np.where(better, p, bp)
            feas = np.isfinite(best)
            if not feas.all():
                if not feas.any():
                    break
                U, best, br, bp = U[feas], best[feas], br[feas], bp[feas]
                cache = {r: (b[feas], p[feas]) for r, (b, p) in cache.items()}
            ratio = w[U] / np.maximum(best, _TINY)
            if noise:
                ratio *= np.exp(noise * self.noise_rng.standard_normal(U.size))
            k = int(ratio.argmax())
            r = int(br[k])
            self._insert(routes, r, int(bp[k]), int(U[k]))
            U = np.delete(U, k)
            del cache[r]
            cache = {q: (np.delete(b, k), np.delete(p, k)) for q, (b, p) in cache.items()}
            done += 1
        return done

    def greedy(self, stops: Sequence[Sequence[int]] | None = None) -> list[Route]:
        """Mandatory nodes, then best-ratio insertion, from ``stops`` (default: empty)."""
        routes = self.make(stops if stops is not None else [[] for _ in range(self.n_routes)])
        self.place_mandatory(routes)
        self.insert_phase(routes)
        self.drop_unprofitable(routes)
        return routes

    def drop_unprofitable(self, routes: list[Route]) -> int:
        """Remove optional stops whose score is less than the travel they cost (with a
        ``travel_cost``), the worst first; returns how many were removed."""
        if not self.travel_cost:
            return 0
        T = self.travel_rows
        done = 0
        for rt in routes:
            while rt.stops:
                nodes = [self.route_start[rt.index], *rt.stops, self.route_end[rt.index]]
                worst, at = 0.0, -1
                for i, v in enumerate(rt.stops):
                    if v in self.mandatory:
                        continue
                    a, b = nodes[i], nodes[i + 2]
                    saved = T[a][v] + T[v][b] - T[a][b]
                    loss = self.score_rows[v] - self.travel_cost * saved
                    if loss < worst - 1e-12:
                        rest = rt.stops[:i] + rt.stops[i + 1 :]
                        if self.feasible(rt.index, rest):
                            worst, at = loss, i
                if at < 0:
                    break
                del rt.stops[at]
                self.refresh(rt)
                done += 1
        return done
