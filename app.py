"""Streamlit entry point: a thin UI over ``planner`` (no business logic here).

Run with ``make run``. Pick a built-in line (or your own sites), a solver and a distance
source; the route appears on a map with every leg's distance and where it came from.
"""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from planner import service

st.set_page_config(page_title="heritage-routes 巴蜀文化遗产线路", layout="wide")


@st.cache_resource
def _context() -> service.Context:
    return service.load_context()


@st.cache_data
def _plan(line: str, start: str, solver: str, distances: str, loop: bool) -> dict:
    plan = service.plan_route(
        line=line, start=start, solver=solver, distances=distances, loop=loop, ctx=_context()
    )
    return service.plan_to_dict(plan)


def _map(plan: dict, ctx: service.Context) -> folium.Map:
    sites = ctx.catalog.sites
    pts = [sites[s["id"]] for s in plan["stops"] if sites[s["id"]].has_coords]
    lat = sum(s.lat for s in pts) / len(pts) if pts else 29.9
    lon = sum(s.lon for s in pts) / len(pts) if pts else 105.5
    fmap = folium.Map(location=[lat, lon], zoom_start=9, tiles="OpenStreetMap")
    for k, stop in enumerate(plan["stops"], 1):
        site = sites[stop["id"]]
        if not site.has_coords:
            continue
        approx = site.coord_confidence == "approx"
        folium.Marker(
            [site.lat, site.lon],
            tooltip=f"{k}. {site.name_zh}" + (" (位置为估计 approx.)" if approx else ""),
            popup=folium.Popup(
                f"<b>{k}. {site.name_zh}</b><br>{site.name_en}<br>"
                f"{site.county}<br>坐标 coordinate: {site.coord_confidence or 'none'}",
                max_width=260,
            ),
            icon=folium.DivIcon(
                html=(
                    f'<div style="background:{"#f0ad4e" if approx else "#b03a2e"};color:#fff;'
                    "border-radius:12px;width:24px;height:24px;text-align:center;"
                    f'line-height:24px;font-weight:bold">{k}</div>'
                )
            ),
        ).add_to(fmap)
    for leg in plan["legs"]:
        chain = [leg["from"], *leg["via"], leg["to"]]
        line = [(sites[c].lat, sites[c].lon) for c in chain if sites[c].has_coords]
        if len(line) >= 2:
            folium.PolyLine(
                line,
                weight=4,
                color="#b03a2e" if leg["source"] == "seed" else "#5b7db1",
                dash_array=None if leg["source"] == "seed" else "6",
                tooltip=f"{leg['km']} km ({leg['source']})",
            ).add_to(fmap)
    return fmap


def main() -> None:
    """Render the page."""
    ctx = _context()
    cat = ctx.catalog
    st.title("巴蜀文化遗产线路 · heritage-routes")
    st.caption(
        "Routes over the report's distance table (表 6) and coordinate estimates; "
        "every leg says where its kilometres come from."
    )
    with st.sidebar:
        line = st.selectbox(
            "线路 Line",
            list(cat.lines),
            format_func=lambda k: f"{cat.lines[k].name_zh} ({k})",
        )
        ln = cat.lines[line]
        start = st.selectbox(
            "起点 Start",
            list(ln.sites),
            index=list(ln.sites).index(ln.start) if ln.start in ln.sites else 0,
            format_func=lambda k: cat.sites[k].name_zh,
        )
        solver = st.selectbox("求解器 Solver", ["auto", "exact", "greedy", "local", "lkh"])
        needs_auto = any(s not in ctx.graph for s in ln.sites)
        distances = st.selectbox(
            "距离来源 Distances",
            ["auto", "estimate", "seed"] if needs_auto else ["seed", "auto", "estimate"],
        )
        loop = st.checkbox("回到起点 Return to start", value=ln.loop)
    try:
        plan = _plan(line, start, solver, distances, loop)
        greedy = _plan(line, start, "greedy", distances, loop)
    except ValueError as exc:
        st.error(str(exc))
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("总里程 Total km", f"{plan['total_km']:.2f}")
    c2.metric(
        "报告的贪心法 Report's greedy",
        f"{greedy['total_km']:.2f}",
        delta=f"{plan['total_km'] - greedy['total_km']:+.2f} km",
        delta_color="inverse",
    )
    c3.metric("最优性 Optimality", "proved" if plan["proved_optimal"] else plan["solver"])
    st_folium(_map(plan, ctx), height=480, use_container_width=True, returned_objects=[])
    rows = []
    for k, leg in enumerate(plan["legs"], 1):
        rows.append(
            {
                "#": k,
                "from": cat.sites[leg["from"]].name_zh,
                "to": cat.sites[leg["to"]].name_zh,
                "km": leg["km"],
                "via": " → ".join(cat.sites[v].name_zh for v in leg["via"]),
                "source": leg["source"],
            }
        )
    st.dataframe(rows, hide_index=True, width="stretch")
    if distances != "seed":
        st.caption(f"Estimates use a circuity factor of {ctx.circuity.factor:.3f} (fitted).")


main()
