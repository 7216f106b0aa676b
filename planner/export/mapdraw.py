"""An offline route map drawn from the plan's coordinates (no tiles, no network).

The map uses a local equirectangular projection centred on the plan (x = east km,
y = north km, true scale at the centre latitude; over a ~100 km trip the scale error is
below 0.5 %), so north is up and a kilometre scale bar is exact enough to print. It shows

* each day's legs as straight segments in the day's colour, through the sites a leg's
  documented distance passes (they are not road alignments — the legend says so), with an
  arrow giving the direction of travel;
* the stops as numbered discs per day; a stop whose position was derived (``approx``) is a
  hollow disc inside a dashed circle of its 1-sigma uncertainty;
* lodging towns as squares, a graticule with degree labels, a scale bar and a north arrow.

Labels are placed greedily around each symbol to avoid overlaps. Matplotlib's object API
(``Figure`` + Agg canvas) is used, never pyplot, so drawing is safe in a server thread.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Polygon, Rectangle
from PIL import Image

from planner.export._io import ExportError
from planner.export.brand import DEFAULT_BRAND, Brand
from planner.export.facts import ExportData, Place
from planner.export.labels import label

__all__ = ["MapStyle", "draw_route_map", "project", "render_map_image"]

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQ = 111.320
_NICE_KM = (0.5, 1, 2, 5, 10, 15, 20, 25, 50, 100, 200, 500)
_GRID_DEG = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class MapStyle:
    """Visual parameters of the map (sizes in points unless stated)."""

    background: str = "#FBF8F1"
    grid: str = "#D9D2C3"
    text: str = "#2B2B2B"
    lodging: str = "#2B2B2B"
    marker_radius_pt: float = 7.5
    label_size: float = 7.5
    line_width: float = 2.2


@lru_cache(maxsize=2)
def _font(path: str, size: float, weight: str = "normal") -> FontProperties:
    return FontProperties(fname=path, size=size, weight=weight)


def _font_path() -> str:
    from nlp.fonts import find_cjk_font

    return str(find_cjk_font())


def project(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """WGS-84 → local km east/north of ``(lat0, lon0)`` (equirectangular at ``lat0``)."""
    x = (lon - lon0) * _KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    y = (lat - lat0) * _KM_PER_DEG_LAT
    return x, y


def _nice(value: float, choices: tuple[float, ...]) -> float:
    return min(choices, key=lambda c: abs(math.log(c / value)) if value > 0 else c)


def _extent(
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


def _overlap(a: Any, b: Any) -> float:
    dx = min(a.x1, b.x1) - max(a.x0, b.x0)
    dy = min(a.y1, b.y1) - max(a.y0, b.y0)
    return dx * dy if dx > 0 and dy > 0 else 0.0


@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float


def _in_any(p: tuple[float, float], boxes: list[_Box], pad: float = 0.0) -> bool:
    return any(b.x0 - pad <= p[0] <= b.x1 + pad and b.y0 - 8 <= p[1] <= b.y1 + 8 for b in boxes)


def _map_name(p: Place, lang: str) -> str:
    """Short label: the name without parenthetical asides (``Kunfosi (…) Cliff Carvings``)."""
    name = p.name(lang)
    short = re.sub(r"\s*[（(][^()（）]*[)）]", "", name).strip()
    return short or name


def _corners(
    sizes: dict[str, tuple[float, float]],
    prefs: dict[str, tuple[str, ...]],
    obstacles: list[tuple[float, float]],
    width: float,
    height: float,
    *,
    margin: float,
    inflate: float,
    skip: tuple[str, ...] = (),
) -> dict[str, tuple[str, _Box, int]]:
    """Give each item a distinct corner: fewest obstacles under the boxes in total, then
    the items' preferred corners (every assignment is tried; there are at most 24)."""
    names = [n for n in sizes if n not in skip]
    cells: dict[tuple[str, str], tuple[_Box, int]] = {}
    for name in names:
        w, h = sizes[name]
        for corner in _CORNERS:
            left = margin if "left" in corner else width - margin - w
            bottom = margin if "lower" in corner else height - margin - h
            box = _Box(left, bottom, left + w, bottom + h)
            hits = sum(
                box.x0 - inflate <= ox <= box.x1 + inflate
                and box.y0 - inflate <= oy <= box.y1 + inflate
                for ox, oy in obstacles
            )
            cells[name, corner] = (box, hits)
    best: tuple[tuple[int, int], tuple[str, ...]] | None = None
    for combo in itertools.permutations(_CORNERS, len(names)):
        hits = sum(cells[n, c][1] for n, c in zip(names, combo, strict=True))
        rank = sum(prefs[n].index(c) for n, c in zip(names, combo, strict=True))
        if best is None or (hits, rank) < best[0]:
            best = ((hits, rank), combo)
    assert best is not None
    return {n: (c, *cells[n, c]) for n, c in zip(names, best[1], strict=True)}


_CORNERS = ("upper right", "upper left", "lower left", "lower right")
_OFFSETS = (  # (dx pt, dy pt, ha, va) tried in this order
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (0.8, 0.8, "left", "bottom"),
    (-0.8, 0.8, "right", "bottom"),
    (0.8, -0.8, "left", "top"),
    (-0.8, -0.8, "right", "top"),
)


def _draw(
    data: ExportData,
    *,
    lang: str = "zh",
    brand: Brand = DEFAULT_BRAND,
    width_mm: float = 180.0,
    height_mm: float = 130.0,
    dpi: int = 200,
    legend: bool = True,
    style: MapStyle | None = None,
) -> tuple[Figure, FigureCanvasAgg]:
    """Draw the plan's route map on a new figure (see :func:`draw_route_map`).

    Parameters
    ----------
    data
        The plan and its places (:func:`planner.export.facts.collect`).
    lang
        ``zh`` or ``en`` labels (Chinese names are kept in English mode only in the legend
        order; stop labels use ``name_en`` when it exists).
    brand
        Supplies the day colours.
    width_mm, height_mm, dpi
        Size of the picture.
    legend
        Draw the legend box.
    style
        Sizes and neutral colours.

    Raises
    ------
    ValueError
        If no place of the plan has coordinates.
    """
    st = style or MapStyle()
    it = data.itinerary
    chains = [data.day_chain(d, with_via=True) for d in range(len(it.days))]
    pts = [p for chain in chains for p in chain if p.has_coords]
    if not pts:
        raise ExportError("no place of the plan has coordinates: nothing to draw")
    lat0 = sum(float(p.lat) for p in pts) / len(pts)  # type: ignore[arg-type]
    lon0 = sum(float(p.lon) for p in pts) / len(pts)  # type: ignore[arg-type]

    def xy(p: Place) -> tuple[float, float]:
        return project(float(p.lat), float(p.lon), lat0, lon0)  # type: ignore[arg-type]

    fpath = _font_path()
    font = _font(fpath, st.label_size)
    small = _font(fpath, st.label_size - 1.5)
    number_font = _font(fpath, st.marker_radius_pt * 1.05)

    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_facecolor(st.background)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#8A8273")
        spine.set_linewidth(0.8)
    W, H = width_mm / 25.4 * dpi, height_mm / 25.4 * dpi
    pt = dpi / 72.0  # pixels per point

    # What will be drawn, in km (projection) before any limits are set.
    towns: dict[str, Place] = {}
    for day in it.days:
        for tid in (day.start_id, day.end_id):
            if data.place(tid).has_coords:
                towns[tid] = data.place(tid)
    stops = [
        (d, k, data.stop_place(s))
        for d, day in enumerate(it.days)
        for k, s in enumerate(day.stops, 1)
        if data.stop_place(s).has_coords
    ]
    symbols = [xy(p) for p in towns.values()] + [xy(p) for _, _, p in stops]
    lines = [[xy(p) for p in chain if p.has_coords] for chain in chains]

    legend_artist = None
    legend_size = (0.0, 0.0)
    if legend:
        handles = [
            Line2D(
                [0],
                [0],
                color=brand.day_colour(d),
                lw=st.line_width,
                marker="o",
                markersize=6,
                markerfacecolor=brand.day_colour(d),
                markeredgecolor="white",
                label=f"{label('day_n', lang, n=d + 1)}  {day.date:%m-%d}",
            )
            for d, day in enumerate(it.days)
        ]
        handles.append(
            Line2D(
                [0],
                [0],
                color="none",
                marker="s",
                markersize=6,
                markerfacecolor=st.lodging,
                label=label("legend_lodging", lang),
            )
        )
        if any(p.approx for _, _, p in stops):
            handles.append(
                Line2D(
                    [0],
                    [0],
                    color="none",
                    marker="o",
                    markersize=6,
                    markerfacecolor="white",
                    markeredgecolor=st.text,
                    label=label("legend_approx", lang),
                )
            )
        handles.append(Line2D([0], [0], color=st.text, lw=1.0, label=label("legend_legs", lang)))
        legend_artist = ax.legend(
            handles=handles,
            loc="upper right",
            prop=small,
            frameon=True,
            framealpha=0.9,
            edgecolor="#B9B09E",
            fancybox=False,
            borderpad=0.6,
        )
        bb = legend_artist.get_window_extent(renderer)
        legend_size = (bb.width, bb.height)

    # Lay out: grow the margin until the legend, scale bar and north arrow sit in corners
    # free of symbols and legs (at most a few rounds; the last layout is kept regardless).
    pad = 0.12
    best_layout: tuple[int, tuple, dict] | None = None
    for _ in range(5):
        x0, x1, y0, y1 = _extent(
            [p[0] for p in symbols], [p[1] for p in symbols], width_mm / height_mm, pad
        )
        sx_ = W / (x1 - x0)

        def to_px(x: float, y: float, x0: float = x0, y0: float = y0, s: float = sx_) -> tuple:
            return (x - x0) * s, (y - y0) * s

        obstacles = [to_px(*p) for p in symbols]
        for line in lines:
            px = [to_px(*p) for p in line]
            for (ax_, ay), (bx_, by_) in itertools.pairwise(px):
                n = max(2, int(math.hypot(bx_ - ax_, by_ - ay) / 6))
                obstacles += [
                    (ax_ + (bx_ - ax_) * i / n, ay + (by_ - ay) * i / n) for i in range(n + 1)
                ]
        bar = _nice((x1 - x0) * 0.2, _NICE_KM)
        sizes = {
            "legend": legend_size,
            "scale": (bar * sx_ + 24, H * 0.085),
            "north": (H * 0.07, H * 0.14),
        }
        prefs = {
            "legend": ("lower right", "upper right", "upper left", "lower left"),
            "scale": ("lower left", "lower right", "upper left", "upper right"),
            "north": ("upper right", "upper left", "lower right", "lower left"),
        }
        layout = _corners(
            sizes,
            prefs,
            obstacles,
            W,
            H,
            margin=6.0,
            inflate=2 * st.marker_radius_pt * pt + 4,
            skip=() if legend else ("legend",),
        )
        total = sum(hits for _, _, hits in layout.values())
        if best_layout is None or total < best_layout[0]:
            best_layout = (total, (x0, x1, y0, y1, bar), layout)
        if total == 0:
            break
        pad += 0.1
    assert best_layout is not None
    (x0, x1, y0, y1, bar), layout = best_layout[1], best_layout[2]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    km_per_pt = (x1 - x0) / (width_mm / 25.4 * 72)
    r_km = st.marker_radius_pt * km_per_pt
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]

    # Graticule (meridians are vertical lines in this projection); no label under furniture.
    boxes = [box for _, box, _ in layout.values()]
    span_deg = (x1 - x0) / (_KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0)))
    step = _nice(span_deg / 4, _GRID_DEG)
    lon_a = math.floor((lon0 - span_deg) / step) * step
    for i in range(int(2 * span_deg / step) + 3):
        lon = lon_a + i * step
        gx, _ = project(lat0, lon, lat0, lon0)
        if x0 < gx < x1 - 0.06 * (x1 - x0):
            ax.axvline(gx, color=st.grid, lw=0.5, zorder=0)
            if not _in_any(to_px(gx, y0 + 0.01 * (y1 - y0)), boxes, pad=40):
                ax.text(
                    gx,
                    y0,
                    f" {lon:.2f}°E",
                    fontproperties=small,
                    color="#8A8273",
                    va="bottom",
                    ha="left",
                    zorder=1,
                )
    span_lat = (y1 - y0) / _KM_PER_DEG_LAT
    lat_a = math.floor((lat0 - span_lat) / step) * step
    for i in range(int(2 * span_lat / step) + 3):
        lat = lat_a + i * step
        _, gy = project(lat, lon0, lat0, lon0)
        if y0 + 0.04 * (y1 - y0) < gy < y1 - 0.04 * (y1 - y0):
            ax.axhline(gy, color=st.grid, lw=0.5, zorder=0)
            if not _in_any(to_px(x0 + 0.01 * (x1 - x0), gy), boxes, pad=40):
                ax.text(
                    x0,
                    gy,
                    f" {lat:.2f}°N",
                    fontproperties=small,
                    color="#8A8273",
                    va="bottom",
                    ha="left",
                    zorder=1,
                )

    # Legs, with an arrow in the middle of each long enough segment.
    for d, line in enumerate(lines):
        if len(line) < 2:
            continue
        colour = brand.day_colour(d)
        lx, ly = zip(*line, strict=True)
        ax.plot(lx, ly, color="white", lw=st.line_width + 2.2, zorder=2, solid_capstyle="round")
        ax.plot(lx, ly, color=colour, lw=st.line_width, zorder=3, solid_capstyle="round")
        for (ax_, ay), (bx_, by_) in itertools.pairwise(line):
            seg = math.hypot(bx_ - ax_, by_ - ay)
            if seg < 14 * km_per_pt:
                continue
            mx, my = (ax_ + bx_) / 2, (ay + by_) / 2
            ux, uy = (bx_ - ax_) / seg, (by_ - ay) / seg
            h = 3.2 * km_per_pt
            ax.add_artist(
                FancyArrowPatch(
                    (mx - ux * h, my - uy * h),
                    (mx + ux * h, my + uy * h),
                    arrowstyle="-|>",
                    mutation_scale=9,
                    color=colour,
                    lw=0,
                    zorder=4,
                )
            )

    # Symbols: lodging squares, numbered stop discs (hollow + dashed 1-sigma ring if derived).
    marks: list[tuple[float, float, float, str]] = []  # x, y, radius km, label
    for town in towns.values():
        tx, ty = xy(town)
        side = 1.5 * r_km
        ax.add_artist(
            Rectangle(
                (tx - side / 2, ty - side / 2),
                side,
                side,
                facecolor=st.lodging,
                edgecolor="white",
                lw=1.0,
                zorder=6,
            )
        )
        marks.append((tx, ty, side / 2, _map_name(town, lang)))
    for d, k, p in stops:
        colour = brand.day_colour(d)
        px_, py_ = xy(p)
        if p.approx:
            if p.uncertainty_km:
                ax.add_artist(
                    Circle(
                        (px_, py_),
                        p.uncertainty_km,
                        fill=False,
                        ls=(0, (3, 2)),
                        edgecolor=colour,
                        lw=0.7,
                        alpha=0.55,
                        zorder=5,
                    )
                )
            ax.add_artist(
                Circle((px_, py_), r_km, facecolor="white", edgecolor=colour, lw=1.6, zorder=7)
            )
            num_colour = colour
        else:
            ax.add_artist(
                Circle((px_, py_), r_km, facecolor=colour, edgecolor="white", lw=1.0, zorder=7)
            )
            num_colour = "white"
        ax.text(
            px_,
            py_ - 0.08 * r_km,
            str(k),
            fontproperties=number_font,
            color=num_colour,
            ha="center",
            va="center",
            zorder=8,
        )
        marks.append((px_, py_, r_km, _map_name(p, lang)))

    # Furniture in the chosen corners.
    inv = ax.transData.inverted().transform
    furniture = [box for _, box, _ in layout.values()]
    if legend_artist is not None:
        legend_artist.set_loc(layout["legend"][0])
        legend_artist.set_zorder(11)
    box = layout["scale"][1]
    (fx0, fy0), (fx1, fy1) = inv((box.x0, box.y0)), inv((box.x1, box.y1))
    ax.add_artist(
        Rectangle((fx0, fy0), fx1 - fx0, fy1 - fy0, facecolor="white", alpha=0.8, lw=0, zorder=9)
    )
    bx, by = inv((box.x0 + 12, box.y0 + (box.y1 - box.y0) * 0.28))
    bh = (y1 - y0) * 0.012
    for i in range(4):
        ax.add_artist(
            Rectangle(
                (bx + i * bar / 4, by),
                bar / 4,
                bh,
                facecolor=st.text if i % 2 == 0 else "white",
                edgecolor=st.text,
                lw=0.6,
                zorder=10,
            )
        )
    for frac in (0, 0.5, 1):
        value = bar * frac
        text = f"{value:g}" if frac < 1 else f"{value:g} km"
        ax.text(
            bx + bar * frac,
            by + 1.6 * bh,
            text,
            fontproperties=small,
            ha="center",
            va="bottom",
            color=st.text,
            zorder=10,
        )
    box = layout["north"][1]
    cx, cy = inv(((box.x0 + box.x1) / 2, box.y0 + (box.y1 - box.y0) * 0.38))
    nh = (box.y1 - box.y0) * 0.62 / H * (y1 - y0)
    nw = nh * 0.42
    ax.add_artist(
        Polygon(
            [(cx, cy + nh / 2), (cx - nw / 2, cy - nh / 2), (cx, cy - nh / 4)],
            closed=True,
            facecolor=st.text,
            edgecolor=st.text,
            lw=0.6,
            zorder=10,
        )
    )
    ax.add_artist(
        Polygon(
            [(cx, cy + nh / 2), (cx + nw / 2, cy - nh / 2), (cx, cy - nh / 4)],
            closed=True,
            facecolor="white",
            edgecolor=st.text,
            lw=0.6,
            zorder=10,
        )
    )
    ax.text(
        cx,
        cy + nh / 2 + 0.01 * (y1 - y0),
        label("north", lang),
        fontproperties=font,
        ha="center",
        va="bottom",
        color=st.text,
        zorder=10,
        path_effects=halo,
    )

    # Labels: greedy, around each symbol, away from symbols, other labels and furniture.
    to_px2 = ax.transData.transform
    symbol_boxes = []
    for mx, my, mr, _ in marks:
        (a0, b0), (a1, b1) = to_px2((mx - mr, my - mr)), to_px2((mx + mr, my + mr))
        symbol_boxes.append(_Box(a0, b0, a1, b1))
    placed: list[_Box] = []
    for mx, my, mr, text in marks:
        best: tuple[float, Any, _Box] | None = None
        gap = mr / km_per_pt + 2.5
        for dx, dy, ha, va in _OFFSETS:
            t = ax.annotate(
                text,
                (mx, my),
                xytext=(dx * gap, dy * gap),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontproperties=font,
                color=st.text,
                zorder=9,
                path_effects=halo,
            )
            bb = t.get_window_extent(renderer)
            tb = _Box(bb.x0 - 1, bb.y0 - 1, bb.x1 + 1, bb.y1 + 1)
            outside = tb.x0 < 0 or tb.x1 > W or tb.y0 < 0 or tb.y1 > H
            cost = (
                sum(_overlap(tb, o) for o in placed)
                + sum(_overlap(tb, m) for m in symbol_boxes)
                + 4 * sum(_overlap(tb, f) for f in furniture)
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

    return fig, canvas


def draw_route_map(data: ExportData, *, fmt: str = "png", **kw: Any) -> bytes:
    """Draw the plan's route map as ``png`` or ``svg`` bytes (SVG text is outlined, so it
    needs no font on the reader's machine); keywords as for :func:`render_map_image`.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or no place of the plan has coordinates.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"map format must be png or svg, got {fmt!r}")
    fig, canvas = _draw(data, **kw)
    buf = io.BytesIO()
    if fmt == "png":
        canvas.print_png(buf)
    else:
        import matplotlib

        with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "heritage"}):
            fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def render_map_image(
    data: ExportData,
    *,
    lang: str = "zh",
    brand: Brand = DEFAULT_BRAND,
    width_mm: float = 180.0,
    height_mm: float = 130.0,
    dpi: int = 200,
    legend: bool = True,
    style: MapStyle | None = None,
) -> Image.Image:
    """The route map as an RGB :class:`PIL.Image.Image` (no PNG round trip; for the PDF).

    Parameters
    ----------
    data
        The plan and its places (:func:`planner.export.facts.collect`).
    lang
        ``zh`` or ``en`` labels (English names where the catalog has them).
    brand
        Supplies the day colours.
    width_mm, height_mm, dpi
        Size of the picture.
    legend
        Draw the legend box.
    style
        Sizes and neutral colours.
    """
    _, canvas = _draw(
        data,
        lang=lang,
        brand=brand,
        width_mm=width_mm,
        height_mm=height_mm,
        dpi=dpi,
        legend=legend,
        style=style,
    )
    canvas.draw()
    return Image.frombuffer(
        "RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
    ).convert("RGB")
