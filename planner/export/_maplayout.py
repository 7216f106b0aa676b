"""Where things go on the route map: the extent, the corners of the legend, scale bar and
north arrow (away from symbols and legs), and the labels next to the symbols.

Everything here works on plain coordinates (km for the map, pixels for the picture); the
drawing itself is :mod:`planner.export.mapdraw`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties

#: A corner of the picture, as matplotlib's legend ``loc`` names it.
Corner = Literal["upper right", "upper left", "lower left", "lower right"]

#: Points (x, y) in km or in pixels.
Points = list[tuple[float, float]]


NICE_KM = (0.5, 1, 2, 5, 10, 15, 20, 25, 50, 100, 200, 500)


def nice(value: float, choices: tuple[float, ...]) -> float:
    return min(choices, key=lambda c: abs(math.log(c / value)) if value > 0 else c)


def extent(
    xs: list[float], ys: list[float], aspect: float, pad: float = 0.12
) -> tuple[float, float, float, float]:
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    w, h = max(x1 - x0, 2.0), max(y1 - y0, 2.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def overlap(a: Any, b: Any) -> float:
    dx = min(a.x1, b.x1) - max(a.x0, b.x0)
    dy = min(a.y1, b.y1) - max(a.y0, b.y0)
    return dx * dy if dx > 0 and dy > 0 else 0.0


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float


def in_any(p: tuple[float, float], boxes: list[Box], pad: float = 0.0) -> bool:
    return any(b.x0 - pad <= p[0] <= b.x1 + pad and b.y0 - 8 <= p[1] <= b.y1 + 8 for b in boxes)


def choose_corners(
    sizes: dict[str, tuple[float, float]],
    prefs: dict[str, tuple[Corner, ...]],
    obstacles: list[tuple[float, float]],
    width: float,
    height: float,
    *,
    margin: float,
    inflate: float,
    skip: tuple[str, ...] = (),
) -> dict[str, tuple[Corner, Box, int]]:
    """Give each item a distinct corner: fewest obstacles under the boxes in total, then
    the items' preferred corners (every assignment is tried; there are at most 24)."""
    names = [n for n in sizes if n not in skip]
    cells: dict[tuple[str, Corner], tuple[Box, int]] = {}
    for name in names:
        w, h = sizes[name]
        for corner in CORNERS:
            left = margin if "left" in corner else width - margin - w
            bottom = margin if "lower" in corner else height - margin - h
            box = Box(left, bottom, left + w, bottom + h)
            hits = sum(
                box.x0 - inflate <= ox <= box.x1 + inflate
                and box.y0 - inflate <= oy <= box.y1 + inflate
                for ox, oy in obstacles
            )
            cells[name, corner] = (box, hits)
    best: tuple[tuple[int, int], tuple[Corner, ...]] | None = None
    for combo in itertools.permutations(CORNERS, len(names)):
        hits = sum(cells[n, c][1] for n, c in zip(names, combo, strict=True))
        rank = sum(prefs[n].index(c) for n, c in zip(names, combo, strict=True))
        if best is None or (hits, rank) < best[0]:
            best = ((hits, rank), combo)
    assert best is not None
    return {n: (c, *cells[n, c]) for n, c in zip(names, best[1], strict=True)}


CORNERS: tuple[Corner, ...] = ("upper right", "upper left", "lower left", "lower right")


OFFSETS = (  # (dx pt, dy pt, ha, va) tried in this order
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (0.8, 0.8, "left", "bottom"),
    (-0.8, 0.8, "right", "bottom"),
    (0.8, -0.8, "left", "top"),
    (-0.8, -0.8, "right", "top"),
)


@dataclass(frozen=True)
class Frame:
    """The chosen map extent (km), scale-bar length and corner of each piece of furniture."""

    x0: float
    x1: float
    y0: float
    y1: float
    bar_km: float
    corners: dict[str, tuple[Corner, Box, int]]
    scale: float  # pixels per km

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        """Map km (east, north) to pixels of the picture."""
        return (x - self.x0) * self.scale, (y - self.y0) * self.scale


#: Maps km to pixels for the extent ``(x0, y0)`` at ``scale`` pixels per km.
ToPx = Callable[[float, float], tuple[float, float]]


def km_to_px(x0: float, y0: float, scale: float) -> ToPx:
    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * scale, (y - y0) * scale

    return to_px


def obstacles(symbols: Points, lines: list[Points], to_px: ToPx) -> Points:
    """Pixel points that furniture should not cover: the symbols and points along the legs."""
    obstacles = [to_px(*p) for p in symbols]
    for line in lines:
        px = [to_px(*p) for p in line]
        for (ax_, ay), (bx_, by_) in itertools.pairwise(px):
            n = max(2, int(math.hypot(bx_ - ax_, by_ - ay) / 6))
            obstacles += [
                (ax_ + (bx_ - ax_) * i / n, ay + (by_ - ay) * i / n) for i in range(n + 1)
            ]
    return obstacles


def layout_frame(
    symbols: Points,
    lines: list[Points],
    size_px: tuple[float, float],
    *,
    aspect: float,
    legend_size: tuple[float, float] | None,
    inflate: float,
) -> Frame:
    """Grow the margin until the legend, scale bar and north arrow sit in corners free of
    symbols and legs (at most a few rounds; the best layout is kept regardless).

    ``symbols`` and ``lines`` are in km; ``size_px`` is the picture's (width, height);
    ``inflate`` (pixels) widens what counts as under a corner's box; without ``legend_size``
    no corner is given to a legend.
    """
    W, H = size_px
    pad = 0.12
    best: tuple[int, Frame] | None = None
    for _ in range(5):
        x0, x1, y0, y1 = extent([p[0] for p in symbols], [p[1] for p in symbols], aspect, pad)
        sx_ = W / (x1 - x0)
        to_px = km_to_px(x0, y0, sx_)
        bar = nice((x1 - x0) * 0.2, NICE_KM)
        sizes = {
            "legend": legend_size or (0.0, 0.0),
            "scale": (bar * sx_ + 24, H * 0.085),
            "north": (H * 0.07, H * 0.14),
        }
        prefs: dict[str, tuple[Corner, ...]] = {
            "legend": ("lower right", "upper right", "upper left", "lower left"),
            "scale": ("lower left", "lower right", "upper left", "upper right"),
            "north": ("upper right", "upper left", "lower right", "lower left"),
        }
        corners = choose_corners(
            sizes,
            prefs,
            obstacles(symbols, lines, to_px),
            W,
            H,
            margin=6.0,
            inflate=inflate,
            skip=() if legend_size is not None else ("legend",),
        )
        total = sum(hits for _, _, hits in corners.values())
        if best is None or total < best[0]:
            best = (total, Frame(x0, x1, y0, y1, bar, corners, sx_))
        if total == 0:
            break
        pad += 0.1
    assert best is not None
    return best[1]


#: A drawn symbol: x, y and radius in km, and the label to place next to it.
Mark = tuple[float, float, float, str]


def place_labels(
    ax: Axes,
    renderer: RendererAgg,
    size_px: tuple[float, float],
    marks: list[Mark],
    furniture: list[Box],
    *,
    font: FontProperties,
    colour: str,
    km_per_pt: float,
    halo: list[Any],
) -> None:
    """Place each mark's label greedily around it, away from symbols, other labels and
    furniture (the first offset with no overlap, else the least overlapping one)."""
    W, H = size_px
    to_px2 = ax.transData.transform
    symbol_boxes = []
    for mx, my, mr, _ in marks:
        (a0, b0), (a1, b1) = to_px2((mx - mr, my - mr)), to_px2((mx + mr, my + mr))
        symbol_boxes.append(Box(a0, b0, a1, b1))
    placed: list[Box] = []
    for mx, my, mr, text in marks:
        best: tuple[float, Any, Box] | None = None
        gap = mr / km_per_pt + 2.5
        for dx, dy, ha, va in OFFSETS:
            t = ax.annotate(
                text,
                (mx, my),
                xytext=(dx * gap, dy * gap),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontproperties=font,
                color=colour,
                zorder=9,
                path_effects=halo,
            )
            bb = t.get_window_extent(renderer)
            tb = Box(bb.x0 - 1, bb.y0 - 1, bb.x1 + 1, bb.y1 + 1)
            outside = tb.x0 < 0 or tb.x1 > W or tb.y0 < 0 or tb.y1 > H
            cost = (
                sum(overlap(tb, o) for o in placed)
                + sum(overlap(tb, m) for m in symbol_boxes)
                + 4 * sum(overlap(tb, f) for f in furniture)
                + (1e6 if outside else 0.0)
            )
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, t, tb)
            else:
                t.remove()
            if cost == 0:
                break
        assert best is not None
        placed.append(best[2])
