"""Greedy insertion and iterated local search for the team orienteering problem with windows.

Bookkeeping
-----------
Every route keeps, per position ``k`` (start node, stops, end node), the earliest
``arrive``, ``start``, ``wait`` and ``depart`` times and ``MaxShift``, the largest delay of
the service start at ``k`` that keeps every later stop (and the arrival at the end node)
within its window (Vansteenwegen et al. 2009)::

    MaxShift(end) = route_close - arrive(end)
    MaxShift(k)   = min(close(k) - start(k), wait(k+1) + MaxShift(k+1))

Inserting ``j`` between ``i`` and ``k`` delays ``k`` by
``Shift_j = travel(i, j) + wait(j) + service(j) + travel(j, k) - travel(i, k)`` and is
feasible iff ``start(j) <= close(j)`` and ``Shift_j <= wait(k) + MaxShift(k)``. All
(candidate, route, position) triples are evaluated at once with NumPy: one ``(positions ×
candidates)`` array per route.

Methods
-------
``greedy``
    Mandatory nodes first (the one with the fewest feasible positions, then the smallest
    shift), then repeatedly the insertion with the best ratio ``score² / Shift`` (the ratio
    of Vansteenwegen et al. 2009), until nothing fits.
``ils``
    Iterated local search after Vansteenwegen, Souffriau, Vanden Berghe & Van Oudheusden
    (2009), started from ``greedy`` (so it never ends below it). Each iteration perturbs
    the current solution and re-optimises it:

    * **perturbation**: the paper's *shake* (remove ``R`` consecutive stops from position
      ``S`` of every route, with its deterministic ``S``/``R`` schedule) or, in
      :attr:`Search.p_random` of the iterations, a seeded random removal of 1 to 40 % of
      each route's stops. Half of the time mandatory nodes may be removed too (they are
      re-inserted first, at a random feasible position, so a must-visit can change day);
    * **local search**: mandatory nodes, then ratio insertion with a random exponent
      (``score^a / Shift``, ``a`` in 1–3) and, in half of the iterations, log-normal noise
      on the ratio; in half of them the nodes just removed may only come back after the
      others had their chance (a one-iteration tabu); then *replace* moves (an unvisited
      node takes the place of a lower-scoring stop) and, for solutions scoring at least
      97 % of the best, 2-opt and or-opt inside each route (first improvement, checked in
      O(1) per move by concatenating segment summaries, Vidal et al. 2013) that shorten
      travel and so free time, followed by insertion again;
    * **acceptance**: always continue from the new solution (as the paper), but return to
      the run's best after each 100 iterations without improvement — in turn as it is,
      after a hard kick (half or more of the stops removed), rebuilt from scratch.

    The iterations are grouped in *runs*; a run ends after ``run_stall`` iterations
    without improving its own best and the next one starts from a fresh randomised
    construction (best-of restarts). Mandatory nodes count first in every comparison
    (lexicographic: mandatory placed, score, then less travel). The search stops after
    ``max_iter`` iterations, ``stall`` iterations without a new overall best, or once every
    usable node is visited (deterministic for a seed) — or at the wall-clock deadline, a
    safety net that makes the result machine-dependent.

References
----------
Vansteenwegen, Souffriau, Vanden Berghe & Van Oudheusden (2009), *Iterated local search for
the team orienteering problem with time windows*, Computers & OR 36(12).
Vidal, Crainic, Gendreau & Prins (2013), *A hybrid genetic algorithm with adaptive diversity
management for a large class of vehicle routing problems with time-windows*, Computers & OR
40(1) (segment concatenation for time windows).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence

import numpy as np

from routing.optw_model import TIME_EPS, Prepared

__all__ = ["Search"]

_INF = math.inf
_TINY = 1e-3  # minutes: floor of Shift in the ratio score² / Shift


class _Route:
    """One route's stops and its earliest-start bookkeeping (positions include the ends)."""

    __slots__ = ("dep", "nxt", "prev", "r", "slack", "stops", "tpn", "travel")

    def __init__(self, r: int, stops: list[int]) -> None:
        self.r = r
        self.stops = stops


class Search:
    """Greedy construction and ILS over a :class:`~routing.optw_model.Prepared` problem."""

    # Tunables (set on an instance to experiment; the defaults were tuned on the OPTW
    # benchmark and on random small instances against the exact DP).
    use_replace = True  # replace moves after each insertion phase
    use_tighten = True  # 2-opt / or-opt to free time (when the score is near the best)
    use_exchange = True  # remove a stop, insert a better node anywhere (short routes)
    exchange_max = 12  # ... on routes with at most this many stops
    span = 8  # or-opt moves a segment at most this many positions
    gate = 0.97  # tighten only solutions scoring >= gate * best
    p_random = 0.3  # share of perturbations that remove random stops (else the S/R shake)
    frac = 40  # random removal takes 1 .. frac % of a route's stops
    p_tabu = 0.5  # share of iterations where just-removed nodes wait for the others
    noises = (0.0, 0.0, 0.5, 2.0)  # log-normal noise (sigma) on the insertion ratio
    alphas = (1.0, 1.5, 2.0, 2.0, 3.0)  # exponent of the score in the insertion ratio

    def __init__(self, P: Prepared) -> None:
        self.P = P
        self.free = False  # may the current perturbation remove mandatory nodes?
        self.removed: list[int] = []
        self.gen = np.random.default_rng(0)
        self.T = P.travel
        self.TT = np.ascontiguousarray(P.travel.T)
        self.TL = P.travel.tolist()
        self.d = P.service
        self.dL = P.service.tolist()
        self.sc = P.score
        self.scL = P.score.tolist()
        self.O = P.open
        self.C = P.close
        self.OL = P.open.tolist()
        self.CL = P.close.tolist()
        self.R = P.n_routes
        self.cap = P.route_cap()
        self.starts = P.route_start
        self.ends = P.route_end
        self.ropen = P.route_open.tolist()
        self.rclose = P.route_close.tolist()
        self.mand = P.mandatory
        self.usable = np.array(P.usable, dtype=np.int64)
        self.optional = np.array([v for v in P.usable if v not in P.mandatory], dtype=np.int64)
        self.mand_arr = np.array(sorted(v for v in P.usable if v in P.mandatory), dtype=np.int64)
        # windows that cannot bind: open before the day starts, close after it ends
        self.wide = (P.open <= P.route_open[:, None] + TIME_EPS) & (
            P.close >= P.route_close[:, None] - TIME_EPS
        )
        self.is_mand = np.zeros(P.n, dtype=bool)
        self.is_mand[list(P.mandatory)] = True

    # ------------------------------------------------------------------ bookkeeping

    def refresh(self, rt: _Route) -> None:
        """Recompute the schedule arrays of ``rt`` (earliest starts, waits, MaxShift)."""
        r = rt.r
        T = self.TL
        opn = self.OL[r]
        cls = self.CL[r]
        d = self.dL
        seq = [self.starts[r], *rt.stops, self.ends[r]]
        m = len(seq)
        dep = [0.0] * m
        st = [0.0] * m
        wt = [0.0] * m
        t = self.ropen[r]
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
        ms = self.rclose[r] - st[-1]
        slack = [0.0] * (m - 1)
        slack[m - 2] = ms
        for k in range(m - 2, 0, -1):
            ms = min(cls[seq[k]] - st[k], slack[k])
            slack[k - 1] = wt[k] + ms
        rt.prev = np.array(seq[:-1], dtype=np.int64)
        rt.nxt = np.array(seq[1:], dtype=np.int64)
        rt.dep = np.array(dep[:-1])
        rt.slack = np.array(slack)
        rt.tpn = self.T[rt.prev, rt.nxt]
        rt.travel = travel

    def make(self, stops: Sequence[Sequence[int]]) -> list[_Route]:
        out = []
        for r, s in enumerate(stops):
            rt = _Route(r, list(s))
            self.refresh(rt)
            out.append(rt)
        return out

    def feasible(self, r: int, stops: Sequence[int]) -> bool:
        """Plain O(m) feasibility check of one route (used for asserts and small moves)."""
        T = self.TL
        opn = self.OL[r]
        cls = self.CL[r]
        t = self.ropen[r]
        prev = self.starts[r]
        for v in stops:
            a = t + T[prev][v]
            if a < opn[v]:
                a = opn[v]
            if a > cls[v] + TIME_EPS:
                return False
            t = a + self.dL[v]
            prev = v
        return t + T[prev][self.ends[r]] <= self.rclose[r] + TIME_EPS

    def key(self, routes: list[_Route]) -> tuple[int, float, float]:
        """Lexicographic quality: mandatory nodes placed, score, then less travel."""
        nm = 0
        score = 0.0
        travel = 0.0
        for rt in routes:
            for v in rt.stops:
                score += self.scL[v]
                if v in self.mand:
                    nm += 1
            travel += rt.travel
        return nm, round(score, 9), -round(travel, 9)

    @staticmethod
    def copy(routes: list[_Route]) -> list[_Route]:
        out = []
        for rt in routes:
            c = _Route(rt.r, list(rt.stops))
            c.prev, c.nxt, c.dep, c.slack, c.tpn, c.travel = (
                rt.prev,
                rt.nxt,
                rt.dep,
                rt.slack,
                rt.tpn,
                rt.travel,
            )
            out.append(c)
        return out

    def _on(self, routes: list[_Route]) -> np.ndarray:
        """Boolean mask of the nodes on some route."""
        on = np.zeros(self.P.n, dtype=bool)
        for rt in routes:
            on[rt.stops] = True
        return on

    # ------------------------------------------------------------------ insertion

    def _shifts(self, rt: _Route, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(positions × nodes)`` Shift of inserting each node of ``U`` into ``rt`` (and ok)."""
        r = rt.r
        dep = rt.dep[:, None]
        begin = np.maximum(self.T[rt.prev][:, U] + dep, self.O[r, U])
        sh = begin + self.d[U] + self.TT[rt.nxt][:, U] - (rt.dep + rt.tpn)[:, None]
        ok = (begin <= self.C[r, U] + TIME_EPS) & (sh <= rt.slack[:, None] + TIME_EPS)
        return sh, ok

    def _eval(self, rt: _Route, U: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best insertion of each node of ``U`` into ``rt`` (shift ``inf`` = infeasible).

        Returns (best shift per node, best position per node, feasible-position count).
        """
        sh, ok = self._shifts(rt, U)
        sh = np.where(ok, sh, _INF)
        pos = sh.argmin(0)
        return sh[pos, np.arange(U.size)], pos, ok.sum(0)

    def _best(
        self, routes: list[_Route], U: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        best = np.full(U.size, _INF)
        br = np.zeros(U.size, dtype=np.int64)
        bp = np.zeros(U.size, dtype=np.int64)
        cnt = np.zeros(U.size, dtype=np.int64)
        for rt in routes:
            if len(rt.stops) >= self.cap:
                continue
            b, p, c = self._eval(rt, U)
            better = b < best
            best = np.where(better, b, best)
            br[better] = rt.r
            bp = np.where(better, p, bp)
            cnt += c
        return best, br, bp, cnt

    def _insert(self, routes: list[_Route], r: int, pos: int, v: int) -> None:
        rt = routes[r]
        rt.stops.insert(pos, int(v))
        self.refresh(rt)

    def place_mandatory(self, routes: list[_Route], rng: random.Random | None = None) -> None:
        """Insert the missing mandatory nodes, most constrained first (fewest positions).

        Each goes to its smallest-Shift position, or, with ``rng``, to a random feasible one
        (so that the ILS can move a must-visit to another day or place).
        """
        U = self.mand_arr[~self._on(routes)[self.mand_arr]]
        while U.size:
            best, br, bp, cnt = self._best(routes, U)
            feas = np.isfinite(best)
            if not feas.any():
                return
            U, best, br, bp, cnt = U[feas], best[feas], br[feas], bp[feas], cnt[feas]
            k = int(np.lexsort((U, best, cnt))[0]) if rng is None else rng.randrange(U.size)
            r, p = int(br[k]), int(bp[k])
            if rng is not None:
                opts = []
                for rt in routes:
                    if len(rt.stops) < self.cap:
                        _, ok = self._shifts(rt, U[k : k + 1])
                        opts.extend((rt.r, int(q)) for q in np.nonzero(ok[:, 0])[0])
                r, p = opts[rng.randrange(len(opts))]
            self._insert(routes, r, p, int(U[k]))
            U = np.delete(U, k)

    def insert_phase(
        self,
        routes: list[_Route],
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
        w = self.sc**alpha if alpha != 2.0 else self.sc * self.sc
        # per-route (best shift, best position) aligned with U; only the route that just
        # received a node is re-evaluated
        cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        while U.size:
            best = np.full(U.size, _INF)
            br = np.zeros(U.size, dtype=np.int64)
            bp = np.zeros(U.size, dtype=np.int64)
            for rt in routes:
                if len(rt.stops) >= self.cap:
                    cache.pop(rt.r, None)
                    continue
                if rt.r not in cache:
                    b, p, _ = self._eval(rt, U)
                    cache[rt.r] = (b, p)
                b, p = cache[rt.r]
                better = b < best
                best = np.where(better, b, best)
                br[better] = rt.r
                bp = np.where(better, p, bp)
            feas = np.isfinite(best)
            if not feas.all():
                if not feas.any():
                    break
                U, best, br, bp = U[feas], best[feas], br[feas], bp[feas]
                cache = {r: (b[feas], p[feas]) for r, (b, p) in cache.items()}
            ratio = w[U] / np.maximum(best, _TINY)
            if noise:
                ratio *= np.exp(noise * self.gen.standard_normal(U.size))
            k = int(ratio.argmax())
            r = int(br[k])
            self._insert(routes, r, int(bp[k]), int(U[k]))
            U = np.delete(U, k)
            del cache[r]
            cache = {q: (np.delete(b, k), np.delete(p, k)) for q, (b, p) in cache.items()}
            done += 1
        return done

    def greedy(self, stops: Sequence[Sequence[int]] | None = None) -> list[_Route]:
        """Mandatory nodes, then best-ratio insertion, from ``stops`` (default: empty)."""
        routes = self.make(stops if stops is not None else [[] for _ in range(self.R)])
        self.place_mandatory(routes)
        self.insert_phase(routes)
        return routes

    # ------------------------------------------------------------------ replace

    def replace_pass(self, routes: list[_Route], U: np.ndarray | None = None) -> bool:
        """Best *replace* move: an unvisited node takes the place of a lower-scoring stop.

        For every stop ``v`` (not mandatory) and unvisited ``u`` with ``score(u) >
        score(v)``, ``u`` is put exactly where ``v`` was; feasible iff ``u``'s window holds
        and the next position absorbs the change of its arrival. Applies the move with the
        largest score gain (ties: the smallest delay) and returns whether one was applied.
        """
        if U is None:
            U = self.optional[~self._on(routes)[self.optional]]
        if U.size == 0:
            return False
        best = (0.0, 0.0)
        choice = None
        su = self.sc[U]
        for rt in routes:
            m = len(rt.stops)
            if m == 0:
                continue
            r = rt.r
            stops = np.array(rt.stops, dtype=np.int64)
            prev = rt.prev[:m]  # node before each stop
            dep = rt.dep[:m]  # departure from that node
            nxt = rt.nxt[1:]  # node after each stop
            arr_next = rt.dep[1:] + rt.tpn[1:]  # current arrival after each stop
            slack_next = rt.slack[1:]
            gain = su[None, :] - self.sc[stops][:, None]
            begin = np.maximum(self.T[prev][:, U] + dep[:, None], self.O[r, U])
            delta = begin + self.d[U] + self.TT[nxt][:, U] - arr_next[:, None]
            ok = (gain > 1e-9) & (begin <= self.C[r, U] + TIME_EPS)
            ok &= delta <= slack_next[:, None] + TIME_EPS
            if self.mand:
                ok &= ~self.is_mand[stops][:, None]
            if not ok.any():
                continue
            g = np.where(ok, gain, -_INF)
            gmax = float(g.max())
            cand = np.nonzero(g >= gmax - 1e-9)
            dl = delta[cand]
            k = int(dl.argmin())
            key = (gmax, -float(dl[k]))
            if key > best:
                best = key
                choice = (rt, int(cand[0][k]), int(U[cand[1][k]]))
        if choice is None:
            return self.exchange_pass(routes, U) if self.use_exchange else False
        rt, pos, u = choice
        rt.stops[pos] = u
        self.refresh(rt)
        return True

    def exchange_pass(self, routes: list[_Route], U: np.ndarray) -> bool:
        """Remove one stop ``v`` and insert a better-scoring unvisited node anywhere.

        Generalises the in-place replace (the newcomer may go to another position of the
        same route, e.g. when the route is at ``max_stops``). ``O(m)`` evaluations per
        route, so only routes with at most :attr:`exchange_max` stops are tried.
        """
        best = (0.0, 0.0)
        choice = None
        for rt in routes:
            m = len(rt.stops)
            if m == 0 or m > self.exchange_max:
                continue
            for i, v in enumerate(rt.stops):
                if v in self.mand:
                    continue
                W = U[self.sc[U] > self.scL[v] + 1e-9]
                if W.size == 0:
                    continue
                rest = rt.stops[:i] + rt.stops[i + 1 :]
                if not self.feasible(rt.r, rest):
                    continue  # v bridges a later window (travel times without the triangle rule)
                tmp = _Route(rt.r, rest)
                self.refresh(tmp)
                b, p, _ = self._eval(tmp, W)
                if not np.isfinite(b).any():
                    continue
                gain = np.where(np.isfinite(b), self.sc[W] - self.scL[v], -_INF)
                k = int(np.lexsort((b, -gain))[0])
                key = (float(gain[k]), -float(b[k]))
                if key > best:
                    best = key
                    choice = (tmp, int(p[k]), int(W[k]))
        if choice is None:
            return False
        tmp, pos, u = choice
        tmp.stops.insert(pos, u)
        self.refresh(tmp)
        routes[tmp.r] = tmp
        return True

    # ------------------------------------------------------------------ intra-route moves

    def _segs(self, r: int, seq: list[int]) -> tuple[list[tuple], list[tuple]]:
        """Forward and backward segment summaries ``(D, E, L)`` of ``seq`` (with ends)."""
        m = len(seq)
        nodes = self._node_segs(r, seq)
        fwd = [nodes[0]] * m
        for k in range(1, m):
            fwd[k] = self._cat(fwd[k - 1], seq[k - 1], nodes[k], seq[k])
        bwd = [nodes[-1]] * m
        for k in range(m - 2, -1, -1):
            bwd[k] = self._cat(nodes[k], seq[k], bwd[k + 1], seq[k + 1])
        return fwd, bwd

    def _node_segs(self, r: int, seq: list[int]) -> list[tuple]:
        opn = self.OL[r]
        cls = self.CL[r]
        d = self.dL
        out = [(0.0, self.ropen[r], self.rclose[r])]
        out.extend((d[v], opn[v], cls[v]) for v in seq[1:-1])
        out.append((0.0, -_INF, self.rclose[r]))
        return out

    def _cat(self, a: tuple | None, ia: int, b: tuple | None, ib: int) -> tuple | None:
        """Concatenate segment ``a`` (last node ``ia``) with ``b`` (first node ``ib``).

        ``None`` stands for an infeasible segment (time warp, Vidal et al. 2013).
        """
        if a is None or b is None:
            return None
        D1, E1, L1 = a
        D2, E2, L2 = b
        delta = D1 + self.TL[ia][ib]
        if E1 + delta > L2 + TIME_EPS:
            return None
        wt = E2 - delta - L1
        if wt > 0:
            return (delta + D2 + wt, L1, min(L2 - delta, L1))
        return (delta + D2, max(E2 - delta, E1), min(L2 - delta, L1))

    def _free(self, rt: _Route) -> bool:
        """True if no stop's window can bind on this route (any order that travels less is
        feasible, e.g. the orienteering problem without windows)."""
        return bool(self.wide[rt.r, rt.stops].all())

    def _two_opt_free(self, rt: _Route) -> bool:
        """First-improvement 2-opt in NumPy for a route whose windows cannot bind."""
        s = np.array([self.starts[rt.r], *rt.stops, self.ends[rt.r]], dtype=np.int64)
        m = len(s)
        T = self.T
        F = np.concatenate(([0.0], np.cumsum(T[s[:-1], s[1:]])))  # forward travel to k
        B = np.concatenate(([0.0], np.cumsum(T[s[1:], s[:-1]])))  # same legs reversed
        i, j = np.triu_indices(m - 1, 1)
        keep = i >= 1
        i, j = i[keep], j[keep]
        old = T[s[i - 1], s[i]] + (F[j] - F[i]) + T[s[j], s[j + 1]]
        new = T[s[i - 1], s[j]] + (B[j] - B[i]) + T[s[i], s[j + 1]]
        good = (old - new) > 1e-7
        if not good.any():
            return False
        k = int(good.argmax())  # the first improving move in scan order (as the loop version)
        a, b = int(i[k]), int(j[k])
        seq = s.tolist()
        rt.stops = seq[1:a] + seq[a : b + 1][::-1] + seq[b + 1 : -1]
        self.refresh(rt)
        return True

    def two_opt(self, rt: _Route) -> bool:
        """First-improvement 2-opt (segment reversal) that shortens travel, feasibility kept."""
        seq = [self.starts[rt.r], *rt.stops, self.ends[rt.r]]
        m = len(seq)
        if m < 4:
            return False
        if self._free(rt):
            return self._two_opt_free(rt)
        T = self.TL
        fwd, bwd = self._segs(rt.r, seq)
        nodes = self._node_segs(rt.r, seq)
        for i in range(1, m - 2):
            a = seq[i - 1]
            rev = nodes[i]
            inner_old = 0.0
            inner_new = 0.0
            for j in range(i + 1, m - 1):
                inner_old += T[seq[j - 1]][seq[j]]
                inner_new += T[seq[j]][seq[j - 1]]
                rev = self._cat(nodes[j], seq[j], rev, seq[j - 1])
                if rev is None:
                    break
                b = seq[j + 1]
                gain = (T[a][seq[i]] + inner_old + T[seq[j]][b]) - (
                    T[a][seq[j]] + inner_new + T[seq[i]][b]
                )
                if gain <= 1e-7:
                    continue
                whole = self._cat(self._cat(fwd[i - 1], a, rev, seq[j]), seq[i], bwd[j + 1], b)
                if whole is not None:
                    rt.stops = seq[1:i] + seq[i : j + 1][::-1] + seq[j + 1 : -1]
                    self.refresh(rt)
                    return True
        return False

    def or_opt(self, rt: _Route) -> bool:
        """First-improvement or-opt: move 1–3 consecutive stops elsewhere in the route."""
        seq = [self.starts[rt.r], *rt.stops, self.ends[rt.r]]
        m = len(seq)
        if m < 4:
            return False
        T = self.TL
        free = self._free(rt)
        fwd, bwd = self._segs(rt.r, seq) if not free else ([], [])
        nodes = self._node_segs(rt.r, seq)
        for L in (1, 2, 3):
            for i in range(1, m - L):
                j = i + L - 1  # segment seq[i..j]
                if j > m - 2:
                    break
                seg = nodes[i]
                for k in range(i + 1, j + 1 if not free else i + 1):
                    seg = self._cat(seg, seq[k - 1], nodes[k], seq[k])
                if seg is None:
                    continue
                si, sj = seq[i], seq[j]
                p_, n_ = seq[i - 1], seq[j + 1]
                removed = T[p_][si] + T[sj][n_] - T[p_][n_]
                # backwards: between seq[p] and seq[p+1], p = i-2 .. 0
                mid = None
                for p in range(i - 2, max(-1, i - 2 - self.span), -1):
                    if not free:
                        mid = (
                            nodes[p + 1]
                            if mid is None
                            else self._cat(nodes[p + 1], seq[p + 1], mid, seq[p + 2])
                        )
                        if mid is None:
                            break
                    u, w = seq[p], seq[p + 1]
                    added = T[u][si] + T[sj][w] - T[u][w]
                    if removed - added <= 1e-7:
                        continue
                    x = nodes[0]
                    if not free:
                        x = self._cat(fwd[p], u, seg, si)
                        x = self._cat(x, sj, mid, w)
                        x = self._cat(x, seq[i - 1], bwd[j + 1], n_)
                    if x is not None:
                        rt.stops = (
                            seq[1 : p + 1] + seq[i : j + 1] + seq[p + 1 : i] + seq[j + 1 : -1]
                        )
                        self.refresh(rt)
                        return True
                # forwards: between seq[p] and seq[p+1], p = j+1 .. m-2
                mid = None
                for p in range(j + 1, min(m - 1, j + 1 + self.span)):
                    if not free:
                        mid = (
                            nodes[p]
                            if mid is None
                            else self._cat(mid, seq[p - 1], nodes[p], seq[p])
                        )
                        if mid is None:
                            break
                    u, w = seq[p], seq[p + 1]
                    added = T[u][si] + T[sj][w] - T[u][w]
                    if removed - added <= 1e-7:
                        continue
                    x = nodes[0]
                    if not free:
                        x = self._cat(fwd[i - 1], p_, mid, n_)
                        x = self._cat(x, u, seg, si)
                        x = self._cat(x, sj, bwd[p + 1], w)
                    if x is not None:
                        rt.stops = seq[1:i] + seq[j + 1 : p + 1] + seq[i : j + 1] + seq[p + 1 : -1]
                        self.refresh(rt)
                        return True
        return False

    def tighten(self, routes: list[_Route], max_moves: int = 50) -> int:
        """2-opt and or-opt on every route until no move shortens travel (or ``max_moves``)."""
        moves = 0
        for rt in routes:
            while moves < max_moves and (self.two_opt(rt) or self.or_opt(rt)):
                moves += 1
        return moves

    # ------------------------------------------------------------------ perturbation

    def remove_positions(self, rt: _Route, idx: Sequence[int]) -> None:
        """Remove the stops at positions ``idx`` (mandatory stops stay unless ``self.free``).

        A removed mandatory node is re-inserted first by the next local search; if that
        fails, the ILS returns to its best solution.
        Without the triangle inequality a stop can be the bridge that makes a later window
        reachable (removing it delays the later stops), so a removal that would make the
        route infeasible is skipped (see :meth:`_feasible_removal`).
        """
        keep = self.mand if not self.free else ()
        drop = {i for i in idx if rt.stops[i] not in keep}
        if not drop:
            return
        kept = [v for i, v in enumerate(rt.stops) if i not in drop]
        if not self.feasible(rt.r, kept):
            drop = self._feasible_removal(rt, sorted(drop))
            if not drop:
                return
            kept = [v for i, v in enumerate(rt.stops) if i not in drop]
        self.removed.extend(rt.stops[i] for i in sorted(drop))
        rt.stops = kept
        self.refresh(rt)

    def _feasible_removal(self, rt: _Route, idx: Sequence[int]) -> set[int]:
        """The positions of ``idx`` that can be removed one by one, route kept feasible."""
        drop: set[int] = set()
        for i in idx:
            trial = drop | {i}
            if self.feasible(rt.r, [v for k, v in enumerate(rt.stops) if k not in trial]):
                drop = trial
        return drop

    def shake(self, routes: list[_Route], S: int, R: int) -> None:
        """Remove ``R`` consecutive stops from position ``S`` of every route (wrapping)."""
        for rt in routes:
            m = len(rt.stops)
            if m == 0:
                continue
            self.remove_positions(rt, [(S + i) % m for i in range(min(R, m))])

    # ------------------------------------------------------------------ ILS

    def local_search(
        self,
        routes: list[_Route],
        rng: random.Random | None = None,
        gate: float = -_INF,
    ) -> None:
        """Insert, replace; then, when the score reaches ``gate``, 2-opt/or-opt and repeat."""
        alpha = 2.0 if rng is None else rng.choice(self.alphas)
        noise = 0.0 if rng is None else rng.choice(self.noises)
        self.place_mandatory(routes, rng if self.free and rng and rng.random() < 0.5 else None)
        if self.removed and rng is not None and rng.random() < self.p_tabu:
            # the nodes just removed wait until the others had their chance
            on = self._on(routes)
            on[self.removed] = True
            U = self.optional[~on[self.optional]]
            self.insert_phase(routes, alpha, U=U, noise=noise)
        self.removed = []
        self.insert_phase(routes, alpha, noise=noise)
        while self.use_replace and self.replace_pass(routes):
            self.insert_phase(routes, alpha)
        if not self.use_tighten or self.key(routes)[1] < gate:
            return
        for _ in range(20):
            if not self.tighten(routes):
                break
            if not self.insert_phase(routes, alpha):
                continue
            while self.use_replace and self.replace_pass(routes):
                self.insert_phase(routes, alpha)

    def random_removal(self, routes: list[_Route], rng: random.Random) -> None:
        """Remove a few random stops (each route, 1 to about a fifth of its stops)."""
        for rt in routes:
            m = len(rt.stops)
            if m == 0:
                continue
            k = min(m, rng.randint(1, max(2, (m * self.frac + 99) // 100)))
            self.remove_positions(rt, rng.sample(range(m), k))

    def kick(self, routes: list[_Route], rng: random.Random, everything: bool = False) -> None:
        """Strong perturbation: remove half or more of every route's stops, or all of them
        (mandatory ones included: they are re-placed at random feasible positions)."""
        self.free = everything or self.free
        for rt in routes:
            m = len(rt.stops)
            if m:
                k = m if everything else rng.randint((m + 1) // 2, m)
                self.remove_positions(rt, rng.sample(range(m), k))

    def ils(
        self,
        routes: list[_Route],
        *,
        max_iter: int,
        stall: int,
        deadline: float,
        seed: int,
        restart_after: int = 100,
        run_stall: int | None = None,
    ) -> tuple[list[_Route], int]:
        """Iterated local search from ``routes``; returns (best routes, iterations done).

        The search is a sequence of *runs*. A run perturbs and re-optimises its current
        solution every iteration; after ``restart_after`` iterations without improving the
        run's best it returns to that best (every second time with a hard kick, every third
        time rebuilt from scratch). A run ends after ``run_stall`` iterations without
        improvement (``None``: never); the next run starts from a fresh randomised
        construction with its own random stream. Everything stops after ``max_iter``
        iterations in total, ``stall`` iterations without improving the overall best, or
        at ``deadline`` (``time.perf_counter`` value).
        """
        start = self.copy(routes)
        self.local_search(start)
        best = self.copy(start)
        best_key = self.key(best)
        r_max = max(4, len(self.usable) // (3 * self.R))
        it = 0
        since_best = 0
        run = 0
        bound = (len(self.mand_arr), round(float(self.sc[self.usable].sum()), 9))
        while it < max_iter and since_best < stall and time.perf_counter() <= deadline:
            if best_key[:2] >= bound:
                break  # every usable node is visited: nothing left to gain
            rng = random.Random(seed * 1_000_003 + run)
            self.gen = np.random.default_rng([seed, run])
            cur = self.copy(start)
            run_best, run_key = self.copy(cur), self.key(cur)
            kick = 2 if run else 0
            run += 1
            pos, length = 0, 1
            since = 0
            while it < max_iter and since_best < stall and best_key[:2] < bound:
                if run_stall is not None and since >= run_stall:
                    break
                if time.perf_counter() > deadline:
                    break
                it += 1
                self.free = bool(self.mand) and rng.random() < 0.5
                if kick:
                    self.kick(cur, rng, everything=kick == 2)
                    kick = 0
                elif rng.random() < self.p_random:
                    self.random_removal(cur, rng)
                else:
                    self.shake(cur, pos, length)
                    pos += length
                    length += 1
                    smallest = min(len(rt.stops) for rt in cur)
                    pos = pos - smallest if 0 < smallest <= pos else (pos if smallest else 0)
                    if length >= r_max:
                        length = 1
                self.local_search(cur, rng, best_key[1] * self.gate)
                self.free = False
                k = self.key(cur)
                since_best += 1
                if k > best_key:
                    best, best_key = self.copy(cur), k
                    since_best = 0
                if k > run_key:
                    run_best, run_key = self.copy(cur), k
                    length = 1
                    since = 0
                    continue
                since += 1
                if since % restart_after == 0 or k[0] < run_key[0]:
                    # back to the run's best; every 2nd/3rd time also kicked hard / rebuilt
                    cur = self.copy(run_best)
                    phase = (since // restart_after) % 3
                    kick = 1 if phase == 2 else 2 if phase == 0 and since else 0
        return best, it
