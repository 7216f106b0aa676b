"""Greedy insertion and iterated local search for the team orienteering problem with windows.

The route bookkeeping (earliest starts, waits and MaxShift per position, NumPy evaluation of
every insertion) is :mod:`routing.optw_routes`; the improving moves (replace, exchange, 2-opt,
or-opt) are :mod:`routing.optw_moves`; this module adds the perturbations and the ILS.

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

from routing.optw_model import Prepared
from routing.optw_moves import RouteMoves
from routing.optw_routes import Route

__all__ = ["Route", "Search"]

_INF = math.inf


class Search(RouteMoves):
    """Greedy construction and ILS over a :class:`~routing.optw_model.Prepared` problem.

    The route bookkeeping and insertion live in :class:`~routing.optw_routes.RouteBook`, the
    improving moves in :class:`~routing.optw_moves.RouteMoves`; this class adds the
    perturbations and the iterated local search.
    """

    # Tunables (set on an instance to experiment; the defaults were tuned on the OPTW
    # benchmark and on random small instances against the exact DP).
    use_replace = True  # replace moves after each insertion phase
    use_tighten = True  # 2-opt / or-opt to free time (when the score is near the best)
    gate = 0.97  # tighten only solutions scoring >= gate * best
    p_random = 0.3  # share of perturbations that remove random stops (else the S/R shake)
    frac = 40  # random removal takes 1 .. frac % of a route's stops
    p_tabu = 0.5  # share of iterations where just-removed nodes wait for the others
    noises = (0.0, 0.0, 0.5, 2.0)  # log-normal noise (sigma) on the insertion ratio
    alphas = (1.0, 1.5, 2.0, 2.0, 3.0)  # exponent of the score in the insertion ratio

    def __init__(self, P: Prepared) -> None:
        super().__init__(P)
        self.mandatory_removable = False  # may the current perturbation remove mandatory nodes?
        self.removed: list[int] = []  # nodes removed by the current perturbation

    # ------------------------------------------------------------------ perturbation

    def remove_positions(self, rt: Route, idx: Sequence[int]) -> None:
        """Remove the stops at positions ``idx`` (mandatory ones only if ``mandatory_removable``).

        A removed mandatory node is re-inserted first by the next local search; if that
        fails, the ILS returns to its best solution.
        Without the triangle inequality a stop can be the bridge that makes a later window
        reachable (removing it delays the later stops), so a removal that would make the
        route infeasible is skipped (see :meth:`_feasible_removal`).
        """
        keep = self.mandatory if not self.mandatory_removable else ()
        drop = {i for i in idx if rt.stops[i] not in keep}
        if not drop:
            return
        kept = [v for i, v in enumerate(rt.stops) if i not in drop]
        if not self.feasible(rt.index, kept):
            drop = self._feasible_removal(rt, sorted(drop))
            if not drop:
                return
            kept = [v for i, v in enumerate(rt.stops) if i not in drop]
        self.removed.extend(rt.stops[i] for i in sorted(drop))
        rt.stops = kept
        self.refresh(rt)

    def _feasible_removal(self, rt: Route, idx: Sequence[int]) -> set[int]:
        """The positions of ``idx`` that can be removed one by one, route kept feasible."""
        drop: set[int] = set()
        for i in idx:
            trial = drop | {i}
            if self.feasible(rt.index, [v for k, v in enumerate(rt.stops) if k not in trial]):
                drop = trial
        return drop

    def shake(self, routes: list[Route], S: int, R: int) -> None:
        """Remove ``R`` consecutive stops from position ``S`` of every route (wrapping)."""
        for rt in routes:
            m = len(rt.stops)
            if m == 0:
                continue
            self.remove_positions(rt, [(S + i) % m for i in range(min(R, m))])

    # ------------------------------------------------------------------ ILS

    def local_search(
        self,
        routes: list[Route],
        rng: random.Random | None = None,
        gate: float = -_INF,
    ) -> None:
        """Insert, replace (and drop stops that do not pay for their travel); then, when the
        score reaches ``gate``, 2-opt/or-opt and repeat."""
        alpha = 2.0 if rng is None else rng.choice(self.alphas)
        noise = 0.0 if rng is None else rng.choice(self.noises)
        self.place_mandatory(
            routes, rng if self.mandatory_removable and rng and rng.random() < 0.5 else None
        )
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
        self.drop_unprofitable(routes)
        if not self.use_tighten or self.key(routes)[1] < gate:
            return
        for _ in range(20):
            if not self.tighten(routes):
                break
            if not self.insert_phase(routes, alpha):
                continue
            while self.use_replace and self.replace_pass(routes):
                self.insert_phase(routes, alpha)
            self.drop_unprofitable(routes)

    def random_removal(self, routes: list[Route], rng: random.Random) -> None:
        """Remove a few random stops (each route, 1 to about a fifth of its stops)."""
        for rt in routes:
            m = len(rt.stops)
            if m == 0:
                continue
            k = min(m, rng.randint(1, max(2, (m * self.frac + 99) // 100)))
            self.remove_positions(rt, rng.sample(range(m), k))

    def kick(self, routes: list[Route], rng: random.Random, everything: bool = False) -> None:
        """Strong perturbation: remove half or more of every route's stops, or all of them
        (mandatory ones included: they are re-placed at random feasible positions)."""
        self.mandatory_removable = everything or self.mandatory_removable
        for rt in routes:
            m = len(rt.stops)
            if m:
                k = m if everything else rng.randint((m + 1) // 2, m)
                self.remove_positions(rt, rng.sample(range(m), k))

    def ils(
        self,
        routes: list[Route],
        *,
        max_iter: int,
        stall: int,
        deadline: float,
        seed: int,
        restart_after: int = 100,
        run_stall: int | None = None,
    ) -> tuple[list[Route], int]:
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
        r_max = max(4, len(self.usable) // (3 * self.n_routes))
        it = 0
        since_best = 0
        run = 0
        bound = (len(self.mandatory_nodes), round(float(self.score[self.usable].sum()), 9))
        while it < max_iter and since_best < stall and time.perf_counter() <= deadline:
            if best_key[:2] >= bound:
                break  # every usable node is visited: nothing left to gain
            rng = random.Random(seed * 1_000_003 + run)
            self.noise_rng = np.random.default_rng([seed, run])
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
                self.mandatory_removable = bool(self.mandatory) and rng.random() < 0.5
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
                self.mandatory_removable = False
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
