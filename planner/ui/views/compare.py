"""The compare view: the optimised plan against the greedy-insertion baseline on the same
request, and the report's nearest-neighbour tour of a line against the shortest tour."""

from __future__ import annotations

import streamlit as st

from planner import service
from planner.i18n import text
from planner.ui import cache, session
from planner.ui.markup import md
from planner.ui.state import PlanInputs


def render() -> None:
    """The optimised plan against the greedy baseline, and the report's single-line tour."""
    ctx = cache.context()
    inputs = session.read_inputs()
    lang = session.lang()
    name_of = session.name_of(ctx)
    st.subheader(text(lang, "ui.cmp.header"))
    st.caption(text(lang, "ui.cmp.caption"))
    opt = session.plan(inputs)
    with st.spinner(session.t("ui.plan.spinner")):
        base = cache.baseline(inputs)
    if opt.itinerary is None or base.itinerary is None:
        st.error(text(lang, "ui.cmp.failed", reason=session.why(opt.error or base.error, lang)))
    else:
        a, b = opt.itinerary, base.itinerary
        rows = [
            {
                "": text(lang, "ui.cmp.optimised"),
                text(lang, "ui.cmp.score"): round(a.total_score, 3),
                text(lang, "ui.cmp.km"): round(a.total_km, 1),
                text(lang, "ui.cmp.stops"): len(a.stops),
            },
            {
                "": text(lang, "ui.cmp.greedy"),
                text(lang, "ui.cmp.score"): round(b.total_score, 3),
                text(lang, "ui.cmp.km"): round(b.total_km, 1),
                text(lang, "ui.cmp.stops"): len(b.stops),
            },
        ]
        st.dataframe(rows, hide_index=True, key="cmp-table")
        d_score = a.total_score - b.total_score
        d_km = b.total_km - a.total_km
        if abs(d_score) < 1e-9 and abs(d_km) < 0.05:
            st.info(text(lang, "ui.cmp.same"))
        else:
            st.success(text(lang, "ui.cmp.gain", score=d_score, km=d_km))
        for title, itin in ((text(lang, "ui.cmp.optimised"), a), (text(lang, "ui.cmp.greedy"), b)):
            st.markdown(f"**{title}**")
            st.markdown(
                "\n".join(
                    f"- {text(lang, 'ui.map.day', n=k)} ({d.km:.0f} {text(lang, 'ui.unit.km')}): "
                    + " → ".join(md(name_of(s.site_id)) for s in d.stops)
                    for k, d in enumerate(itin.days, 1)
                )
            )
    _line_compare(ctx, inputs, lang)


def _line_compare(ctx: service.Context, inputs: PlanInputs, lang: str) -> None:
    name_of = session.name_of(ctx)
    st.subheader(text(lang, "ui.cmp.line_header"))
    st.caption(text(lang, "ui.cmp.line_caption"))
    lines = ctx.catalog.lines
    ids = list(lines)
    if "line" not in st.session_state or st.session_state["line"] not in ids:
        st.session_state["line"] = inputs.theme if inputs.theme in ids else ids[0]
    line = st.selectbox(
        text(lang, "ui.cmp.line"),
        ids,
        format_func=lambda k: lines[k].name_zh if lang == "zh" else lines[k].name_en or k,
        key="line",
        persist_state="session",
    )
    with st.spinner(session.t("ui.plan.spinner")):
        tours = cache.line_tours(line)
    if tours.greedy is None or tours.best is None:
        st.error(text(lang, "ui.cmp.failed", reason=session.why(tours.error, lang)))
        return
    g, b = tours.greedy, tours.best
    with st.container(horizontal=True, gap="small"):
        st.metric(text(lang, "ui.cmp.line_greedy"), f"{g['total_km']:.1f} km", border=True)
        st.metric(
            text(lang, "ui.cmp.line_best"),
            f"{b['total_km']:.1f} km",
            delta=f"{b['total_km'] - g['total_km']:+.1f} km",
            delta_color="inverse",
            border=True,
            help=text(
                lang, "ui.cmp.line_proved" if b["proved_optimal"] else "ui.cmp.line_heuristic"
            ),
        )
    saved = g["total_km"] - b["total_km"]
    if g["total_km"] > 0:
        st.success(text(lang, "ui.cmp.line_saves", km=saved, pct=100 * saved / g["total_km"]))
    for title, tour in ((text(lang, "ui.cmp.line_greedy"), g), (text(lang, "ui.cmp.line_best"), b)):
        st.markdown(f"**{title}** ({md(tour['solver'])})")
        st.caption(" → ".join(md(name_of(s["id"])) for s in tour["stops"]))
