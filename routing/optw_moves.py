"""Improving moves of the OPTW local search: replace, exchange, 2-opt and or-opt.

*replace* and *exchange* raise the score (an unvisited node takes the place of a lower-scoring
stop); 2-opt and or-opt shorten a route's travel and so free time for more insertions. Time
windows are checked in O(1) per move by concatenating segment summaries ``(duration,
earliest start, latest start)`` (Vidal, Crainic, Gendreau & Prins 2013); routes whose windows
cannot bind use a vectorised 2-opt.
"""

from __future__ import annotations

import itertools

import numpy as np

from routing.optw_model import TIME_EPS
from routing.optw_routes import Route, RouteBook

__all__ = ["RouteMoves"]

_INF = np.inf
#: a segment summary (duration, earliest start, latest start); None = infeasible
Seg = tuple[float, float, float] | None


class RouteMoves(RouteBook):
    """:class:`~routing.optw_routes.RouteBook` plus the improving moves."""

    use_exchange = True  # remove a stop, insert a better node anywhere (short routes)
    exchange_max = 12  # ... on routes with at most this many stops
    span = 8  # or-opt moves a segment at most this many positions

    # ------------------------------------------------------------------ replace

    def replace_pass(self, routes: list[Route], U: np.ndarray | None = None) -> bool:
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
        su = self.score[U]
        for rt in routes:
            m = len(rt.stops)
            if m == 0:
                continue
            r = rt.index
            stops = np.array(rt.stops, dtype=np.int64)
            prev = rt.prev_nodes[:m]  # node before each stop
            dep = rt.depart[:m]  # departure from that node
            nxt = rt.next_nodes[1:]  # node after each stop
            arr_next = rt.depart[1:] + rt.leg_travel[1:]  # current arrival after each stop
            slack_next = rt.slack[1:]
            gain = su[None, :] - self.score[stops][:, None]
            begin = np.maximum(self.travel[prev][:, U] + dep[:, None], self.open[r, U])
            delta = begin + self.service[U] + self.travel_t[nxt][:, U] - arr_next[:, None]
            if self.priced:  # travel gained or saved by the swap: limit and price
                dtravel = (
                    self.travel[prev][:, U]
                    + self.travel_t[nxt][:, U]
                    - (rt.leg_travel[:m] + rt.leg_travel[1:])[:, None]
                )
                gain = gain - self.travel_cost * dtravel
            ok = (gain > 1e-9) & (begin <= self.close[r, U] + TIME_EPS)
            ok &= delta <= slack_next[:, None] + TIME_EPS
            if self.travel_limited:
                ok &= rt.travel + dtravel <= self.max_travel[r] + TIME_EPS
            if self.mandatory:
                ok &= ~self.is_mandatory[stops][:, None]
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

    def exchange_pass(self, routes: list[Route], U: np.ndarray) -> bool:
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
                if v in self.mandatory:
                    continue
                W = U[self.score[U] > self.score_rows[v] + 1e-9]
                if W.size == 0:
                    continue
                rest = rt.stops[:i] + rt.stops[i + 1 :]
                if not self.feasible(rt.index, rest):
                    continue  # v bridges a later window (travel times without the triangle rule)
                tmp = Route(rt.index, rest)
                self.refresh(tmp)
                b, p, _ = self._eval(tmp, W)
                if not np.isfinite(b).any():
                    continue
                gain = np.where(np.isfinite(b), self.score[W] - self.score_rows[v], -_INF)
                k = int(np.lexsort((b, -gain))[0])
                key = (float(gain[k]), -float(b[k]))
                if key > best and self.travel_cost:  # the newcomer's travel must pay too
                    seq = [*tmp.stops[: int(p[k])], int(W[k]), *tmp.stops[int(p[k]) :]]
                    nodes = [self.route_start[rt.index], *seq, self.route_end[rt.index]]
                    after = sum(self.travel_rows[a][b_] for a, b_ in itertools.pairwise(nodes))
                    if key[0] - self.travel_cost * (after - rt.travel) <= 1e-9:
                        continue
                if key > best:
                    best = key
                    choice = (tmp, int(p[k]), int(W[k]))
        if choice is None:
            return False
        tmp, pos, u = choice
        tmp.stops.insert(pos, u)
        self.refresh(tmp)
        routes[tmp.index] = tmp
        return True

    # ------------------------------------------------------------------ intra-route moves

    def _segs(self, r: int, seq: list[int]) -> tuple[list[Seg], list[Seg]]:
        """Forward and backward segment summaries ``(D, E, L)`` of ``seq`` (with ends)."""
        m = len(seq)
        nodes = self._node_segs(r, seq)
        fwd: list[Seg] = [nodes[0]] * m
        for k in range(1, m):
            fwd[k] = self._cat(fwd[k - 1], seq[k - 1], nodes[k], seq[k])
        bwd: list[Seg] = [nodes[-1]] * m
        for k in range(m - 2, -1, -1):
            bwd[k] = self._cat(nodes[k], seq[k], bwd[k + 1], seq[k + 1])
        return fwd, bwd

    def _node_segs(self, r: int, seq: list[int]) -> list[Seg]:
        opn = self.open_rows[r]
        cls = self.close_rows[r]
        d = self.service_rows
        out: list[Seg] = [(0.0, self.route_open[r], self.route_close[r])]
        out.extend((d[v], opn[v], cls[v]) for v in seq[1:-1])
        out.append((0.0, -_INF, self.route_close[r]))
        return out

    def _cat(self, a: Seg, ia: int, b: Seg, ib: int) -> Seg:
        """Concatenate segment ``a`` (last node ``ia``) with ``b`` (first node ``ib``).

        ``None`` stands for an infeasible segment (time warp, Vidal et al. 2013).
        """
        if a is None or b is None:
            return None
        D1, E1, L1 = a
        D2, E2, L2 = b
        delta = D1 + self.travel_rows[ia][ib]
        if E1 + delta > L2 + TIME_EPS:
            return None
        wt = E2 - delta - L1
        if wt > 0:
            return (delta + D2 + wt, L1, min(L2 - delta, L1))
        return (delta + D2, max(E2 - delta, E1), min(L2 - delta, L1))

    def _free(self, rt: Route) -> bool:
        """True if no stop's window can bind on this route (any order that travels less is
        feasible, e.g. the orienteering problem without windows)."""
        return bool(self.loose[rt.index, rt.stops].all())

    def _two_opt_free(self, rt: Route) -> bool:
        """First-improvement 2-opt in NumPy for a route whose windows cannot bind."""
        s = np.array(
            [self.route_start[rt.index], *rt.stops, self.route_end[rt.index]], dtype=np.int64
        )
        m = len(s)
        T = self.travel
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

    def two_opt(self, rt: Route) -> bool:
        """First-improvement 2-opt (segment reversal) that shortens travel, feasibility kept."""
        seq = [self.route_start[rt.index], *rt.stops, self.route_end[rt.index]]
        m = len(seq)
        if m < 4:
            return False
        if self._free(rt):
            return self._two_opt_free(rt)
        T = self.travel_rows
        fwd, bwd = self._segs(rt.index, seq)
        nodes = self._node_segs(rt.index, seq)
        for i in range(1, m - 2):
            a = seq[i - 1]
            rev: Seg = nodes[i]
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

    def or_opt(self, rt: Route) -> bool:  # noqa: C901
        """First-improvement or-opt: move 1–3 consecutive stops elsewhere in the route."""
        seq = [self.route_start[rt.index], *rt.stops, self.route_end[rt.index]]
        m = len(seq)
        if m < 4:
            return False
        T = self.travel_rows
        free = self._free(rt)
        fwd, bwd = self._segs(rt.index, seq) if not free else ([], [])
        nodes = self._node_segs(rt.index, seq)
        for L in (1, 2, 3):
            for i in range(1, m - L):
                j = i + L - 1  # segment seq[i..j]
                if j > m - 2:
                    break
                seg: Seg = nodes[i]
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
                    x: Seg = nodes[0]
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

    def tighten(self, routes: list[Route], max_moves: int = 50) -> int:
        """2-opt and or-opt on every route until no move shortens travel (or ``max_moves``)."""
        moves = 0
        for rt in routes:
            while moves < max_moves and (self.two_opt(rt) or self.or_opt(rt)):
                moves += 1
        return moves
