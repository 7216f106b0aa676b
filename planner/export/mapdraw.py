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
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Polygon, Rectangle
from PIL import Image

from planner.export._io import ExportError
from planner.export._maplayout import (
    Frame,
    Mark,
    in_any,
    layout_frame,
    nice,
    place_labels,
)
from planner.export.brand import DEFAULT_BRAND, Brand
from planner.export.facts import ExportData, Place
from planner.export.labels import label

__all__ = ["MapStyle", "draw_route_map", "project", "render_map_image"]

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQ = 111.320
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


def _lat_lon(p: Place) -> tuple[float, float]:
    """The coordinates of a located place (callers keep only places with ``has_coords``)."""
    if p.lat is None or p.lon is None:
        raise ValueError(f"place {p.id!r} has no coordinates")
    return float(p.lat), float(p.lon)


def project(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """WGS-84 → local km east/north of ``(lat0, lon0)`` (equirectangular at ``lat0``)."""
    x = (lon - lon0) * _KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    y = (lat - lat0) * _KM_PER_DEG_LAT
    return x, y


def _map_name(p: Place, lang: str) -> str:
    """Short label: the name without parenthetical asides (``Kunfosi (…) Cliff Carvings``)."""
    name = p.name(lang)
    short = re.sub(r"\s*[（(][^()（）]*[)）]", "", name).strip()
    return short or name


@dataclass(frozen=True)
class _Canvas:
    """The figure being drawn and its size in pixels."""

    fig: Figure
    canvas: FigureCanvasAgg
    ax: Axes
    renderer: RendererAgg
    width_px: float
    height_px: float
    px_per_pt: float


@dataclass(frozen=True)
class _Fonts:
    label: FontProperties
    small: FontProperties
    number: FontProperties


@dataclass(frozen=True)
class _Scene:
    """What will be drawn, in km east/north of the plan's centre ``(lat0, lon0)``."""

    lat0: float
    lon0: float
    towns: dict[str, Place]  # lodging towns
    stops: list[tuple[int, int, Place]]  # (day index, stop number, place)
    symbols: list[tuple[float, float]]  # towns, then stops
    lines: list[list[tuple[float, float]]]  # each day's line (roads or via chain), projected

    def xy(self, p: Place) -> tuple[float, float]:
        return project(*_lat_lon(p), self.lat0, self.lon0)


def _scene(data: ExportData) -> _Scene:
    """Project the plan's located places: lodging towns, stops and each day's chain."""
    it = data.itinerary
    chains = [data.day_chain(d, with_via=True) for d in range(len(it.days))]
    pts = [p for chain in chains for p in chain if p.has_coords]
    if not pts:
        raise ExportError("no place of the plan has coordinates: nothing to draw")
    lat0 = sum(_lat_lon(p)[0] for p in pts) / len(pts)
    lon0 = sum(_lat_lon(p)[1] for p in pts) / len(pts)
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

    def xy(p: Place) -> tuple[float, float]:
        return project(*_lat_lon(p), lat0, lon0)

    symbols = [xy(p) for p in towns.values()] + [xy(p) for *_, p in stops]
    # each day along its legs' road geometry where the plan's road matrix has it, else
    # straight through the legs' via sites (ExportData.day_line)
    lines = [
        [project(lat, lon, lat0, lon0) for lat, lon in data.day_line(d)]
        for d in range(len(it.days))
    ]
    return _Scene(lat0, lon0, towns, stops, symbols, lines)


def _basemap(width_mm: float, height_mm: float, dpi: int, st: MapStyle) -> _Canvas:
    """A new figure with one borderless axes on the map's background colour."""
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
    return _Canvas(fig, canvas, ax, renderer, W, H, dpi / 72.0)


def _legend(
    cv: _Canvas,
    data: ExportData,
    scene: _Scene,
    brand: Brand,
    st: MapStyle,
    lang: str,
    font: FontProperties,
) -> Legend:
    """The legend (days, lodging, derived positions, what legs are); placed by the layout."""
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
        for d, day in enumerate(data.itinerary.days)
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
    if any(p.approx for *_, p in scene.stops):
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
    roads = any(data.follows_roads(d) for d in range(len(data.itinerary.days)))
    legs_label = label("legend_legs_roads" if roads else "legend_legs", lang)
    handles.append(Line2D([0], [0], color=st.text, lw=1.0, label=legs_label))
    return cv.ax.legend(
        handles=handles,
        loc="upper right",
        prop=font,
        frameon=True,
        framealpha=0.9,
        edgecolor="#B9B09E",
        fancybox=False,
        borderpad=0.6,
    )


def _graticule(
    cv: _Canvas,
    fr: Frame,
    scene: _Scene,
    st: MapStyle,
    font: FontProperties,
) -> None:
    """Meridians and parallels with degree labels (none under the furniture's corners)."""
    ax = cv.ax
    x0, x1, y0, y1 = fr.x0, fr.x1, fr.y0, fr.y1
    lat0, lon0 = scene.lat0, scene.lon0
    boxes = [box for _, box, _ in fr.corners.values()]
    span_deg = (x1 - x0) / (_KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0)))
    step = nice(span_deg / 4, _GRID_DEG)
    lon_a = math.floor((lon0 - span_deg) / step) * step
    text_kw: dict[str, Any] = {
        "fontproperties": font,
        "color": "#8A8273",
        "va": "bottom",
        "ha": "left",
        "zorder": 1,
    }
    for i in range(int(2 * span_deg / step) + 3):
        lon = lon_a + i * step
        gx, _ = project(lat0, lon, lat0, lon0)
        if x0 < gx < x1 - 0.06 * (x1 - x0):
            ax.axvline(gx, color=st.grid, lw=0.5, zorder=0)
            if not in_any(fr.to_px(gx, y0 + 0.01 * (y1 - y0)), boxes, pad=40):
                ax.text(gx, y0, f" {lon:.2f}°E", **text_kw)
    span_lat = (y1 - y0) / _KM_PER_DEG_LAT
    lat_a = math.floor((lat0 - span_lat) / step) * step
    for i in range(int(2 * span_lat / step) + 3):
        lat = lat_a + i * step
        _, gy = project(lat, lon0, lat0, lon0)
        if y0 + 0.04 * (y1 - y0) < gy < y1 - 0.04 * (y1 - y0):
            ax.axhline(gy, color=st.grid, lw=0.5, zorder=0)
            if not in_any(fr.to_px(x0 + 0.01 * (x1 - x0), gy), boxes, pad=40):
                ax.text(x0, gy, f" {lat:.2f}°N", **text_kw)


def _legs(ax: Axes, scene: _Scene, brand: Brand, st: MapStyle, km_per_pt: float) -> None:
    """Each day's legs in its colour, with an arrow in the middle of each long enough segment."""
    for d, line in enumerate(scene.lines):
        if len(line) < 2:
            continue
        colour = brand.day_colour(d)
        lx, ly = zip(*line, strict=True)
        ax.plot(
            lx,
            ly,
            color="white",
            lw=st.line_width + 2.2,
            zorder=2,
            solid_capstyle="round",
        )
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


def _lodging(ax: Axes, scene: _Scene, st: MapStyle, r_km: float, lang: str) -> list[Mark]:
    """Lodging towns as squares."""
    marks: list[Mark] = []
    for town in scene.towns.values():
        tx, ty = scene.xy(town)
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
    return marks


def _stops(
    ax: Axes,
    scene: _Scene,
    brand: Brand,
    r_km: float,
    number_font: FontProperties,
    lang: str,
) -> list[Mark]:
    """Numbered stop discs; a derived position is hollow inside a dashed 1-sigma ring."""
    marks: list[Mark] = []
    for d, k, p in scene.stops:
        colour = brand.day_colour(d)
        px_, py_ = scene.xy(p)
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
                Circle(
                    (px_, py_),
                    r_km,
                    facecolor="white",
                    edgecolor=colour,
                    lw=1.6,
                    zorder=7,
                )
            )
            num_colour = colour
        else:
            ax.add_artist(
                Circle(
                    (px_, py_),
                    r_km,
                    facecolor=colour,
                    edgecolor="white",
                    lw=1.0,
                    zorder=7,
                )
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
    return marks


def _scale_bar(ax: Axes, fr: Frame, st: MapStyle, font: FontProperties) -> None:
    """A four-part kilometre bar on a white panel in its corner."""
    inv = ax.transData.inverted().transform
    box = fr.corners["scale"][1]
    bar = fr.bar_km
    (fx0, fy0), (fx1, fy1) = inv((box.x0, box.y0)), inv((box.x1, box.y1))
    ax.add_artist(
        Rectangle(
            (fx0, fy0),
            fx1 - fx0,
            fy1 - fy0,
            facecolor="white",
            alpha=0.8,
            lw=0,
            zorder=9,
        )
    )
    bx, by = inv((box.x0 + 12, box.y0 + (box.y1 - box.y0) * 0.28))
    bh = (fr.y1 - fr.y0) * 0.012
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
            fontproperties=font,
            ha="center",
            va="bottom",
            color=st.text,
            zorder=10,
        )


def _north_arrow(
    cv: _Canvas,
    fr: Frame,
    st: MapStyle,
    font: FontProperties,
    lang: str,
    halo: list[Any],
) -> None:
    """A half-filled north arrow with its label in its corner."""
    ax = cv.ax
    inv = ax.transData.inverted().transform
    box = fr.corners["north"][1]
    cx, cy = inv(((box.x0 + box.x1) / 2, box.y0 + (box.y1 - box.y0) * 0.38))
    nh = (box.y1 - box.y0) * 0.62 / cv.height_px * (fr.y1 - fr.y0)
    nw = nh * 0.42
    for side, fill in ((-1, st.text), (1, "white")):
        ax.add_artist(
            Polygon(
                [
                    (cx, cy + nh / 2),
                    (cx + side * nw / 2, cy - nh / 2),
                    (cx, cy - nh / 4),
                ],
                closed=True,
                facecolor=fill,
                edgecolor=st.text,
                lw=0.6,
                zorder=10,
            )
        )
    ax.text(
        cx,
        cy + nh / 2 + 0.01 * (fr.y1 - fr.y0),
        label("north", lang),
        fontproperties=font,
        ha="center",
        va="bottom",
        color=st.text,
        zorder=10,
        path_effects=halo,
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

    Steps: project the places (:func:`_scene`), a blank map (:func:`_basemap`), the legend,
    the extent and furniture corners (:func:`_layout`), graticule, legs, lodging and stop
    symbols, scale bar, north arrow and finally the labels, which avoid all of them.

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
    scene = _scene(data)
    fpath = _font_path()
    fonts = _Fonts(
        _font(fpath, st.label_size),
        _font(fpath, st.label_size - 1.5),
        _font(fpath, st.marker_radius_pt * 1.05),
    )
    cv = _basemap(width_mm, height_mm, dpi, st)
    ax = cv.ax
    legend_artist = _legend(cv, data, scene, brand, st, lang, fonts.small) if legend else None
    legend_size = None
    if legend_artist is not None:
        bb = legend_artist.get_window_extent(cv.renderer)
        legend_size = (bb.width, bb.height)
    fr = layout_frame(
        scene.symbols,
        scene.lines,
        (cv.width_px, cv.height_px),
        aspect=width_mm / height_mm,
        legend_size=legend_size,
        inflate=2 * st.marker_radius_pt * cv.px_per_pt + 4,
    )
    ax.set_xlim(fr.x0, fr.x1)
    ax.set_ylim(fr.y0, fr.y1)
    ax.set_aspect("equal", adjustable="box")
    km_per_pt = (fr.x1 - fr.x0) / (width_mm / 25.4 * 72)
    r_km = st.marker_radius_pt * km_per_pt
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]

    _graticule(cv, fr, scene, st, fonts.small)
    _legs(ax, scene, brand, st, km_per_pt)
    marks = _lodging(ax, scene, st, r_km, lang) + _stops(ax, scene, brand, r_km, fonts.number, lang)
    if legend_artist is not None:
        legend_artist.set_loc(fr.corners["legend"][0])
        legend_artist.set_zorder(11)
    _scale_bar(ax, fr, st, fonts.small)
    _north_arrow(cv, fr, st, fonts.label, lang, halo)
    furniture = [box for _, box, _ in fr.corners.values()]
    place_labels(
        ax,
        cv.renderer,
        (cv.width_px, cv.height_px),
        marks,
        furniture,
        font=fonts.label,
        colour=st.text,
        km_per_pt=km_per_pt,
        halo=halo,
    )
    return cv.fig, cv.canvas


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
