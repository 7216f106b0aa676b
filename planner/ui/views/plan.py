"""The trip view: the plan for the sidebar's inputs, on a map and day by day, with edits
(skip, lock, move, reorder, add) and the downloads."""

from __future__ import annotations

import functools
import json

import streamlit as st

from planner import service
from planner.i18n import label, text
from planner.messages import msg
from planner.model import Itinerary, itinerary_to_dict
from planner.ui import cache, components, session, state
from planner.ui.markup import md
from planner.ui.state import PlanInputs


def render() -> None:
    """The trip: metrics, warnings, the map, the day-by-day timeline with its edits, the sites
    left out and the downloads."""
    ctx = cache.context()
    inputs = session.read_inputs()
    lang = session.lang()
    outcome = session.plan(inputs)
    if outcome.itinerary is None:
        st.error(text(lang, "ui.plan.failed", reason=session.why(outcome.error, lang)))
        st.caption(text(lang, "ui.plan.failed_hint"))
        if inputs.locks or inputs.orders:  # an edit may be what broke it: offer the undo here
            st.button(
                text(lang, "ui.form.clear_edits"),
                icon=":material/undo:",
                on_click=session.clear_edits,
                args=(ctx,),
                key="clear_edits_error",
            )
        return
    it = outcome.itinerary
    st.subheader(it.title.text(lang, md))
    if not it.stops:
        st.info(text(lang, "ui.plan.empty"))
    with st.container(horizontal=True, gap="small", key="metrics"):
        st.metric(text(lang, "ui.metric.days"), len(it.days), border=True, width="content")
        st.metric(text(lang, "ui.metric.stops"), len(it.stops), border=True, width="content")
        st.metric(text(lang, "ui.metric.km"), f"{it.total_km:.0f}", border=True, width="content")
        st.metric(
            text(lang, "ui.metric.drive"),
            f"{it.total_drive_min / 60:.1f}",
            border=True,
            width="content",
        )
        st.metric(
            text(lang, "ui.metric.score"), f"{it.total_score:.2f}", border=True, width="content"
        )
    if "drive_weight" in it.params:  # the trade-off the plan was made with (planning.yaml)
        objective = msg(
            "plan.objective",
            weight=float(it.params["drive_weight"]),
            hours=float(it.params["max_drive_hours"]),
        )
        st.caption(objective.text(lang, md))
    if it.warnings:
        with st.expander(text(lang, "ui.warnings.header"), icon=":material/warning:"):
            st.markdown("\n".join(f"- {w.text(lang, md)}" for w in it.warnings))
    _map_block(ctx, it, lang)
    _timeline(ctx, it, inputs, lang)
    _dropped(ctx, it, lang)
    _downloads(ctx, it, inputs, lang)


def _map_block(ctx: service.Context, it: Itinerary, lang: str) -> None:
    st.segmented_control(
        text(lang, "ui.map.basemap"),
        list(state.BASEMAPS),
        format_func=lambda b: text(lang, f"ui.map.{b}"),
        key="basemap",
        required=True,
        persist_state="session",
    )
    basemap = st.session_state.get("basemap") or "osm"
    fmap = components.build_map(it, ctx.catalog.sites, basemap=basemap, lang=lang)
    with st.container(key="trip-map"):
        components.render_map(fmap, key=f"map-{basemap}")
    components.render_legend(it, lang)
    st.caption(text(lang, "ui.map.offline"))


def _timeline(ctx: service.Context, it: Itinerary, inputs: PlanInputs, lang: str) -> None:
    st.subheader(text(lang, "ui.timeline.header"))
    st.session_state["_day_orders"] = {
        k: [s.site_id for s in d.stops] for k, d in enumerate(it.days, 1)
    }
    locked = dict(inputs.locks)
    for day_no, sites in inputs.orders:
        for s in sites:
            locked[s] = day_no
    actions = session.actions(ctx)
    lunch_min = float(it.params.get("lunch_min", 0.0))
    number = 1
    with st.container(key="timeline"):
        for k, day in enumerate(it.days, 1):
            components.render_day(
                k,
                day,
                first_number=number,
                n_days=len(it.days),
                lang=lang,
                name_of=session.name_of(ctx),
                locked=locked,
                lunch_min=lunch_min,
                actions=actions,
            )
            number += len(day.stops)


def _dropped(ctx: service.Context, it: Itinerary, lang: str) -> None:
    name_of = session.name_of(ctx)
    add = session.add_must(ctx)
    with st.expander(f"{text(lang, 'ui.dropped.header')} ({len(it.dropped)})"):
        if not it.dropped:
            st.caption(text(lang, "ui.dropped.none"))
        for x in it.dropped:
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                reason = md(label(lang, "ui.reason", x.reason))
                st.markdown(f"**{md(name_of(x.site_id))}** · {reason}")
                site = ctx.catalog.sites.get(x.site_id)
                if x.reason != "no_coordinates" and site is not None and site.has_coords:
                    st.button(
                        text(lang, "ui.edit.add"),
                        key=f"add-{x.site_id}",
                        icon=":material/add:",
                        on_click=add,
                        args=(x.site_id,),
                        type="tertiary",
                    )
            if x.detail is not None:
                st.caption(x.detail.text(lang, md))


def _downloads(ctx: service.Context, it: Itinerary, inputs: PlanInputs, lang: str) -> None:
    st.subheader(text(lang, "ui.dl.header"))
    stem = f"heritage-{inputs.theme}-{inputs.date.isoformat()}-{len(it.days)}d"
    with st.container(horizontal=True, gap="small", key="downloads"):
        st.download_button(
            text(lang, "ui.dl.json"),
            json.dumps(itinerary_to_dict(it), ensure_ascii=False, indent=2).encode("utf-8"),
            file_name=f"{stem}.json",
            mime="application/json",
            icon=":material/data_object:",
            on_click="ignore",
        )
        offered = _export_buttons(inputs, lang, stem)
    if not offered:
        st.caption(text(lang, "ui.dl.more"))
    st.caption(text(lang, "ui.form.share"))


_EXPORT_MIME = {
    "pdf": ("application/pdf", ":material/picture_as_pdf:"),
    "html": ("text/html", ":material/article:"),
    "gpx": ("application/gpx+xml", ":material/navigation:"),
    "geojson": ("application/geo+json", ":material/map:"),
    "kml": ("application/vnd.google-earth.kml+xml", ":material/public:"),
    "ics": ("text/calendar", ":material/calendar_month:"),
}


def _export_buttons(inputs: PlanInputs, lang: str, stem: str) -> int:
    """Buttons for the formats ``planner.export`` provides (none until it is importable).

    Hook: ``cache.export_formats()`` lists what the export module offers; each file is made
    on click (``cache.export_bytes``), so the brochure PDF costs nothing until asked for.
    """
    offered = 0
    for fmt in cache.export_formats():
        mime, icon = _EXPORT_MIME.get(fmt, ("application/octet-stream", ":material/download:"))
        st.download_button(
            fmt.upper(),
            functools.partial(cache.export_bytes, inputs, fmt, lang),
            file_name=f"{stem}.{fmt}",
            mime=mime,
            icon=icon,
            on_click="ignore",
            key=f"dl-{fmt}",
        )
        offered += 1
    return offered
