"""The page: a sidebar form, a view switcher and five views (trip, compare, site cards,
insights, graph).

Plan inputs live in widget state; edits made on the timeline (skip, lock, move, reorder, add)
are callbacks that rewrite those inputs before the next run. Every input is mirrored in the
URL query parameters (see :mod:`planner.ui.state`), which are read once when a session starts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

import pandas as pd
import streamlit as st

from kg.catalog import UnknownSiteError
from planner import messages, service
from planner.i18n import LANG_LABELS, LANGS, label, site_name, text
from planner.model import Itinerary, itinerary_to_dict
from planner.ui import cache, components, data, state
from planner.ui.state import MIXED, Display, PlanInputs

log = logging.getLogger(__name__)

_ICONS = {
    "plan": ":material/route:",
    "compare": ":material/compare_arrows:",
    "sites": ":material/account_balance:",
    "insights": ":material/insights:",
    "graph": ":material/hub:",
}


# ----------------------------------------------------------------------------- state


def _lang() -> str:
    lang = st.session_state.get("lang", "zh")
    return lang if lang in LANGS else "zh"


def _t(key: str, **values: object) -> str:
    return text(_lang(), key, **values)


def _towns(ctx: service.Context) -> list[str]:
    return [s.id for s in ctx.catalog.sites.values() if s.kind == "town" and s.has_coords]


def _plannable(ctx: service.Context) -> list[str]:
    sites = [s for s in ctx.catalog.sites.values() if s.kind != "town" and s.has_coords]
    return [s.id for s in sorted(sites, key=lambda s: (s.county, s.id))]


def _theme_ids() -> list[str]:
    return [t[0] for t in cache.theme_table()]


def _name_of(ctx: service.Context) -> Callable[[str], str]:
    sites = ctx.catalog.sites
    lang = _lang()

    def name(site_id: str) -> str:
        s = sites.get(site_id)
        return site_name(s.name_zh, s.name_en, lang) if s else site_id

    return name


def _apply(inputs: PlanInputs, ctx: service.Context) -> None:
    """Write plan inputs into the widgets' state (before the widgets are drawn)."""
    ss = st.session_state
    options = set(_plannable(ctx))
    ss["theme"] = inputs.theme
    if inputs.theme != MIXED:
        ss["_last_theme"] = inputs.theme
    weights = dict(inputs.weights)
    for t in _theme_ids():
        ss[f"w_{t}"] = float(weights.get(t, 0.0))
    ss["days"] = inputs.days
    ss["start"] = inputs.start
    ss["end"] = inputs.end or ""
    ss["date"] = inputs.date
    ss["mode"] = inputs.mode
    ss["pace"] = inputs.pace
    ss["lodging"] = inputs.lodging
    ss["must"] = [s for s in inputs.must if s in options]
    ss["avoid"] = [s for s in inputs.avoid if s in options]
    ss["hot"] = float(
        inputs.hot_share if inputs.hot_share is not None else cache.default_hot_share()
    )
    ss["effort"] = inputs.effort
    ss["drive"] = float(
        inputs.max_drive_hours
        if inputs.max_drive_hours is not None
        else cache.default_drive_hours(inputs.mode)
    )
    ss["locks"] = tuple(inputs.locks)
    ss["orders"] = tuple(inputs.orders)


def _apply_display(display: Display) -> None:
    ss = st.session_state
    ss["lang"] = display.lang
    ss["basemap"] = display.basemap
    ss["view"] = display.view
    if display.site:
        ss["card_site"] = display.site
        ss["graph_site"] = display.site


def _read_inputs() -> PlanInputs:
    """The plan inputs as the widgets and edits hold them now."""
    ss = st.session_state
    theme = ss["theme"]
    weights: tuple[tuple[str, float], ...] = ()
    if theme == MIXED:
        weights = tuple((t, float(ss.get(f"w_{t}", 0.0))) for t in _theme_ids())
    hot = float(ss["hot"])
    default_hot = cache.default_hot_share()
    drive = float(ss.get("drive", cache.default_drive_hours(ss["mode"])))
    return PlanInputs(
        date=ss["date"],
        theme=theme,
        weights=weights,
        days=int(ss["days"]),
        start=ss["start"],
        end=ss["end"] or None,
        mode=ss["mode"],
        pace=ss["pace"],
        lodging=ss["lodging"],
        must=tuple(ss["must"]),
        avoid=tuple(ss["avoid"]),
        locks=tuple(ss.get("locks", ())),
        orders=tuple(ss.get("orders", ())),
        hot_share=None if abs(hot - default_hot) < 1e-9 else hot,
        effort=ss["effort"],
        max_drive_hours=None
        if abs(drive - cache.default_drive_hours(ss["mode"])) < 1e-9
        else drive,
    ).normalised()


def _read_display() -> Display:
    ss = st.session_state
    return Display(
        lang=_lang(),
        basemap=ss.get("basemap") or "osm",
        view=ss.get("view") or "plan",
        site={"sites": ss.get("card_site"), "graph": ss.get("graph_site")}.get(ss.get("view")),
    )


def _init(ctx: service.Context) -> None:
    """On a session's first run: restore the inputs from the URL (or the defaults)."""
    ss = st.session_state
    if ss.get("_ready"):
        return
    inputs, display, notices = state.from_query(
        st.query_params.to_dict(),
        resolve=lambda name: ctx.catalog.resolve(name).id,
        themes=_theme_ids(),
        towns=_towns(ctx),
        today=dt.date.today(),
    )
    plannable = set(_plannable(ctx))
    for key, sites in (("must", inputs.must), ("avoid", inputs.avoid)):
        for sid in sites:
            if sid not in plannable:  # a town, or a site without a known position
                site = ctx.catalog.sites[sid]
                notices.append(
                    state.Notice("ui.notice.not_plannable", {"param": key, "name": site.name_zh})
                )
    _apply(inputs, ctx)
    _apply_display(display)
    ss["_notices"] = notices
    ss["_ready"] = True


def _sync_query(inputs: PlanInputs, display: Display) -> None:
    """Mirror the inputs in the URL (only when they changed)."""
    wanted = state.to_query(inputs, display)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# ----------------------------------------------------------------------------- edits


def _edit(ctx: service.Context, change: Callable[[PlanInputs], PlanInputs]) -> None:
    _apply(change(_read_inputs()), ctx)


def _actions(ctx: service.Context) -> components.StopActions:
    def move(day: int, index: int, delta: int) -> None:
        order = st.session_state.get("_day_orders", {}).get(day, [])
        if order:
            _edit(ctx, lambda i: state.with_order(i, day, state.move_stop(order, index, delta)))

    def lock(site: str, day: int | None) -> None:
        _edit(ctx, lambda i: state.with_lock(i, site, day))

    def skip(site: str) -> None:
        _edit(ctx, lambda i: state.without_site(i, site))

    def card(site: str) -> None:
        st.session_state["card_site"] = site
        st.session_state["graph_site"] = site
        st.session_state["view"] = "sites"

    return components.StopActions(move=move, lock=lock, skip=skip, card=card)


def _add_must(ctx: service.Context) -> Callable[[str], None]:
    def add(site: str) -> None:
        _edit(ctx, lambda i: state.with_must(i, site))
        st.session_state["view"] = "plan"

    return add


def _clear_edits(ctx: service.Context) -> None:
    _edit(ctx, state.without_edits)


def _reset(ctx: service.Context) -> None:
    _apply(PlanInputs(date=state.default_date(dt.date.today())), ctx)


# ----------------------------------------------------------------------------- sidebar


def _theme_changed() -> None:
    """Switching to a mix starts from the theme that was selected (weight 1), not from an
    empty mix the planner would reject."""
    ss = st.session_state
    if ss["theme"] != MIXED:
        ss["_last_theme"] = ss["theme"]
        return
    if not any(float(ss.get(f"w_{t}", 0.0)) > 0 for t in _theme_ids()):
        ss[f"w_{ss.get('_last_theme', state.DEFAULT_THEME)}"] = 1.0


def _sidebar(ctx: service.Context) -> None:
    ss = st.session_state
    name_of = _name_of(ctx)
    themes = {t: (zh, en) for t, zh, en in cache.theme_table()}
    lang = _lang()
    with st.sidebar:
        st.segmented_control(
            "语言 Language",
            LANGS,
            format_func=LANG_LABELS.get,
            key="lang",
            required=True,
        )
        lang = _lang()
        st.header(text(lang, "ui.form.header"))
        st.selectbox(
            text(lang, "ui.form.theme"),
            [*themes, MIXED],
            format_func=lambda t: (
                text(lang, "ui.form.theme_mixed")
                if t == MIXED
                else themes[t][0 if lang == "zh" else 1]
            ),
            key="theme",
            on_change=_theme_changed,
        )
        if ss["theme"] == MIXED:
            st.caption(text(lang, "ui.form.weights"))
            for t, (zh, en) in themes.items():
                st.slider(
                    zh if lang == "zh" else en,
                    0.0,
                    3.0,
                    step=0.5,
                    key=f"w_{t}",
                    persist_state="session",
                )
        st.number_input(text(lang, "ui.form.days"), 1, state.MAX_DAYS, step=1, key="days")
        towns = _towns(ctx)
        st.selectbox(text(lang, "ui.form.start"), towns, format_func=name_of, key="start")
        st.date_input(text(lang, "ui.form.date"), key="date")
        st.segmented_control(
            text(lang, "ui.form.mode"),
            list(state.MODES),
            format_func=lambda m: text(lang, f"ui.mode.{m}"),
            key="mode",
            required=True,
        )
        st.segmented_control(
            text(lang, "ui.form.pace"),
            list(state.PACES),
            format_func=lambda p: text(lang, f"ui.pace.{p}"),
            key="pace",
            required=True,
        )
        plannable = _plannable(ctx)
        for key in ("must", "avoid"):
            st.multiselect(
                text(lang, f"ui.form.{key}"),
                plannable,
                format_func=name_of,
                key=key,
                placeholder=text(lang, "ui.form.choose"),
            )
        with st.expander(text(lang, "ui.form.more")):
            st.segmented_control(
                text(lang, "ui.form.lodging"),
                list(state.LODGING),
                format_func=lambda x: text(lang, f"ui.lodging.{x}"),
                key="lodging",
                required=True,
                help=text(lang, "ui.form.lodging_help"),
            )
            st.selectbox(
                text(lang, "ui.form.end"),
                ["", *towns],
                format_func=lambda x: name_of(x) if x else text(lang, "ui.form.end_same"),
                key="end",
            )
            st.slider(
                text(lang, "ui.form.drive"),
                state.MIN_DRIVE_HOURS,
                state.MAX_DRIVE_HOURS,
                step=0.5,
                key="drive",
                help=text(lang, "ui.form.drive_help"),
            )
            st.slider(
                text(lang, "ui.form.hot"),
                0.0,
                1.0,
                step=0.1,
                key="hot",
                help=text(lang, "ui.form.hot_help"),
            )
            st.segmented_control(
                text(lang, "ui.form.effort"),
                list(state.EFFORTS),
                format_func=lambda x: text(lang, f"ui.effort.{x}"),
                key="effort",
                required=True,
                help=text(lang, "ui.form.effort_help"),
            )
        locks = ss.get("locks", ())
        orders = ss.get("orders", ())
        if locks or orders:
            st.subheader(text(lang, "ui.form.edits"))
            for site, day in locks:
                st.caption(text(lang, "ui.form.lock_item", site=name_of(site), day=day))
            for day, sites in orders:
                st.caption(
                    text(lang, "ui.form.order_item", day=day, sites=" → ".join(map(name_of, sites)))
                )
            st.button(
                text(lang, "ui.form.clear_edits"),
                icon=":material/undo:",
                on_click=_clear_edits,
                args=(ctx,),
                key="clear_edits",
            )
        st.button(
            text(lang, "ui.form.reset"),
            icon=":material/restart_alt:",
            on_click=_reset,
            args=(ctx,),
            key="reset",
        )
        st.caption(text(lang, "ui.form.share"))


# ----------------------------------------------------------------------------- plan view


def _plan(inputs: PlanInputs) -> cache.Outcome:
    with st.spinner(_t("ui.plan.spinner"), show_time=True):
        return cache.plan(inputs)


def _why(reason: messages.Message | None, lang: str) -> str:
    return reason.text(lang) if reason is not None else ""


def _plan_view(ctx: service.Context, inputs: PlanInputs) -> None:
    lang = _lang()
    outcome = _plan(inputs)
    if outcome.itinerary is None:
        st.error(text(lang, "ui.plan.failed", reason=_why(outcome.error, lang)))
        st.caption(text(lang, "ui.plan.failed_hint"))
        if inputs.locks or inputs.orders:  # an edit may be what broke it: offer the undo here
            st.button(
                text(lang, "ui.form.clear_edits"),
                icon=":material/undo:",
                on_click=_clear_edits,
                args=(ctx,),
                key="clear_edits_error",
            )
        return
    it = outcome.itinerary
    st.subheader(it.title.text(lang))
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
    if it.warnings:
        with st.expander(text(lang, "ui.warnings.header"), icon=":material/warning:"):
            st.markdown("\n".join(f"- {w.text(lang)}" for w in it.warnings))
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
    for day, sites in inputs.orders:
        for s in sites:
            locked[s] = day
    actions = _actions(ctx)
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
                name_of=_name_of(ctx),
                locked=locked,
                lunch_min=lunch_min,
                actions=actions,
            )
            number += len(day.stops)


def _dropped(ctx: service.Context, it: Itinerary, lang: str) -> None:
    name_of = _name_of(ctx)
    add = _add_must(ctx)
    with st.expander(f"{text(lang, 'ui.dropped.header')} ({len(it.dropped)})"):
        if not it.dropped:
            st.caption(text(lang, "ui.dropped.none"))
        for x in it.dropped:
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                reason = label(lang, "ui.reason", x.reason)
                st.markdown(f"**{name_of(x.site_id)}** · {reason}")
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
                st.caption(x.detail.text(lang))


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
            lambda fmt=fmt: cache.export_bytes(inputs, fmt, lang),
            file_name=f"{stem}.{fmt}",
            mime=mime,
            icon=icon,
            on_click="ignore",
            key=f"dl-{fmt}",
        )
        offered += 1
    return offered


# ----------------------------------------------------------------------------- compare view


def _compare_view(ctx: service.Context, inputs: PlanInputs) -> None:
    lang = _lang()
    name_of = _name_of(ctx)
    st.subheader(text(lang, "ui.cmp.header"))
    st.caption(text(lang, "ui.cmp.caption"))
    opt = _plan(inputs)
    with st.spinner(_t("ui.plan.spinner")):
        base = cache.baseline(inputs)
    if opt.itinerary is None or base.itinerary is None:
        st.error(text(lang, "ui.cmp.failed", reason=_why(opt.error or base.error, lang)))
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
                    + " → ".join(name_of(s.site_id) for s in d.stops)
                    for k, d in enumerate(itin.days, 1)
                )
            )
    _line_compare(ctx, inputs, lang)


def _line_compare(ctx: service.Context, inputs: PlanInputs, lang: str) -> None:
    name_of = _name_of(ctx)
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
    with st.spinner(_t("ui.plan.spinner")):
        tours = cache.line_tours(line)
    if tours.greedy is None or tours.best is None:
        st.error(text(lang, "ui.cmp.failed", reason=_why(tours.error, lang)))
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
        st.markdown(f"**{title}** ({tour['solver']})")
        st.caption(" → ".join(name_of(s["id"]) for s in tour["stops"]))


# ----------------------------------------------------------------------------- sites view


def _site_options(ctx: service.Context, inputs: PlanInputs) -> tuple[list[str], set[str]]:
    outcome = cache.plan(inputs)
    in_plan = [s.site_id for s in outcome.itinerary.stops] if outcome.itinerary else []
    rest = [s for s in _plannable(ctx) if s not in in_plan]
    rest += [s.id for s in ctx.catalog.sites.values() if not s.has_coords and s.kind != "town"]
    return [*in_plan, *rest], set(in_plan)


def _sites_view(ctx: service.Context, inputs: PlanInputs) -> None:
    lang = _lang()
    name_of = _name_of(ctx)
    options, in_plan = _site_options(ctx, inputs)
    ss = st.session_state
    if ss.get("card_site") not in options:
        ss["card_site"] = options[0]
    site = st.selectbox(
        text(lang, "ui.card.pick"),
        options,
        format_func=lambda s: ("★ " if s in in_plan else "") + name_of(s),
        key="card_site",
        persist_state="session",
    )
    with st.spinner(text(lang, "ui.card.loading"), show_time=True):
        card = cache.site_card(site)
    if card is None:
        st.warning(text(lang, "ui.graph.unknown", name=name_of(site), suggestions=""))
        return
    with st.container(border=True, key="site-card"):
        components.render_site_card(
            card, lang=lang, name_of=name_of, on_add=_add_must(ctx), key=f"card-{site}"
        )


# ----------------------------------------------------------------------------- insights view


def _insights_view(ctx: service.Context) -> None:
    lang = _lang()
    st.subheader(text(lang, "ui.ins.header"))
    ins = cache.insights(data.artifact_folders())
    if ins.empty:
        st.info(text(lang, "ui.ins.missing"))
        return
    dests = ins.destinations
    if not dests:
        st.info(text(lang, "ui.ins.missing"))
        return

    def dest_label(g: str) -> str:
        return g if lang == "zh" else f"{g} {data.romanise(g)}"

    ss = st.session_state
    if ss.get("ins_dest") not in dests:
        ss["ins_dest"] = dests[0]
    dest = st.selectbox(
        text(lang, "ui.ins.destination"),
        dests,
        format_func=dest_label,
        key="ins_dest",
        persist_state="session",
    )
    if not ins.groups.empty:
        row = ins.groups[ins.groups["group"] == dest]
        if not row.empty:
            st.caption(
                text(
                    lang,
                    "ui.ins.docs",
                    n=int(row["n_docs"].iloc[0]),
                    share=float(row["doc_share"].iloc[0]),
                )
            )
    st.markdown(f"**{text(lang, 'ui.ins.tfidf')}**")
    kw = ins.keywords[ins.keywords["group"] == dest] if not ins.keywords.empty else ins.keywords
    if not kw.empty:
        st.dataframe(
            kw[["rank", "term", "tfidf_sum", "doc_share", "docs_with_term"]].head(20),
            hide_index=True,
            key="ins-tfidf",
            column_config={
                "rank": st.column_config.NumberColumn(text(lang, "ui.ins.col_rank")),
                "term": st.column_config.TextColumn(text(lang, "ui.ins.col_term")),
                "tfidf_sum": st.column_config.NumberColumn("TF-IDF", format="%.2f"),
                "doc_share": st.column_config.ProgressColumn(
                    text(lang, "ui.ins.col_share"), min_value=0.0, max_value=1.0, format="%.2f"
                ),
                "docs_with_term": st.column_config.NumberColumn(text(lang, "ui.ins.col_docs")),
            },
        )
    if dest in ins.wordclouds:
        st.markdown(f"**{text(lang, 'ui.ins.wordcloud')}**")
        st.image(cache.file_bytes(ins.wordclouds[dest]), caption=dest_label(dest), width=640)
    topics = ins.topics[ins.topics["group"] == dest] if not ins.topics.empty else ins.topics
    if not topics.empty:
        k = int(topics["k"].iloc[0])
        st.markdown(f"**{text(lang, 'ui.ins.topics', k=k)}**")
        st.dataframe(
            [
                {
                    "": text(lang, "ui.ins.topic", n=int(t)),
                    text(lang, "ui.ins.col_terms"): ", ".join(
                        grp.sort_values("rank")["term"].astype(str).head(10)
                    ),
                }
                for t, grp in topics.groupby("topic")
            ],
            hide_index=True,
            key="ins-topics",
        )
    _sentiment_tables(ctx, ins, dest, lang)
    if not ins.report_table.empty:
        with st.expander(text(lang, "ui.ins.report_table")):
            st.dataframe(ins.report_table, hide_index=True, key="ins-report")
    if not ins.coherence.empty:
        with st.expander(text(lang, "ui.ins.coherence")):
            st.dataframe(ins.coherence, hide_index=True, key="ins-coherence")
    for stage, folder in sorted(ins.folders.items()):
        st.caption(f"{stage}: " + text(lang, "ui.ins.provenance", folder=folder))


def _sentiment_tables(ctx: service.Context, ins: data.Insights, dest: str, lang: str) -> None:
    if ins.aspects.empty:
        return
    overall = ins.aspects[ins.aspects["site"] == "*"]
    if not overall.empty:
        st.markdown(f"**{text(lang, 'ui.ins.sentiment')}**")
        chart = pd.DataFrame(
            {
                text(lang, "ui.ins.aspect"): [
                    label(lang, "ui.aspect", a) for a in overall["aspect"]
                ],
                text(lang, "ui.ins.mean"): overall["mean_score"].astype(float).to_list(),
            }
        )
        st.bar_chart(chart, x=text(lang, "ui.ins.aspect"), y=text(lang, "ui.ins.mean"), height=260)
    in_dest = {s.id for s in ctx.catalog.sites_in_county(dest)}
    per_site = ins.aspects[ins.aspects["site"].isin(in_dest)]
    if per_site.empty:
        return
    name_of = _name_of(ctx)
    st.markdown(f"**{text(lang, 'ui.ins.site_sentiment')}**")
    table = per_site.pivot_table(index="site", columns="aspect", values="mean_score")
    table.index = [name_of(s) for s in table.index]
    table.columns = [label(lang, "ui.aspect", c) for c in table.columns]
    st.dataframe(table.round(2), key="ins-site-sentiment")


# ----------------------------------------------------------------------------- graph view


def _graph_view(ctx: service.Context, inputs: PlanInputs) -> None:
    lang = _lang()
    name_of = _name_of(ctx)
    ss = st.session_state
    st.subheader(text(lang, "ui.graph.header"))
    options, in_plan = _site_options(ctx, inputs)
    if ss.get("graph_site") not in options:
        ss["graph_site"] = ss.get("card_site") if ss.get("card_site") in options else options[0]
    site = st.selectbox(
        text(lang, "ui.graph.centre"),
        options,
        format_func=lambda s: ("★ " if s in in_plan else "") + name_of(s),
        key="graph_site",
        persist_state="session",
    )
    keywords = st.toggle(text(lang, "ui.graph.keywords"), key="graph_kw", persist_state="session")
    with st.spinner(text(lang, "ui.card.loading"), show_time=True):
        card = cache.site_card(site)
    if card is None:
        st.warning(text(lang, "ui.graph.unknown", name=name_of(site), suggestions=""))
        return
    idx = 1 if lang == "zh" else 2
    dot = components.neighbourhood_dot(
        card,
        lang=lang,
        name_of=name_of,
        keywords=keywords,
        theme_names={t[0]: t[idx] for t in cache.theme_table()},
    )
    st.graphviz_chart(dot, width="stretch")
    st.caption(text(lang, "ui.graph.legend"))
    neighbours = list(
        dict.fromkeys(
            [s.site.id for s in card.profile.similar]
            + [g.site.id for g in card.gems]
            + [b.site.id for b in card.near.bases]
        )
    )
    if neighbours:
        st.markdown(f"**{text(lang, 'ui.graph.recentre')}**")
        with st.container(horizontal=True, gap="small"):
            for sid in neighbours:
                st.button(
                    name_of(sid),
                    key=f"recentre-{sid}",
                    on_click=_recentre,
                    args=(sid,),
                    type="tertiary",
                    icon=":material/center_focus_strong:",
                )
    _connection(ctx, site, options, lang)


def _recentre(site: str) -> None:
    st.session_state["graph_site"] = site
    st.session_state["card_site"] = site


def _connection(ctx: service.Context, site: str, options: list[str], lang: str) -> None:
    name_of = _name_of(ctx)
    st.markdown(f"**{text(lang, 'ui.graph.connect_header')}**")
    others = [s for s in options if s != site]
    ss = st.session_state
    if ss.get("graph_to") not in others:
        ss["graph_to"] = others[0]
    target = st.selectbox(
        text(lang, "ui.graph.connect_to"), others, format_func=name_of, key="graph_to"
    )
    typed = st.text_input(text(lang, "ui.graph.connect_text"), key="graph_to_text").strip()
    with st.spinner(text(lang, "ui.card.loading")):
        result = cache.connections(site, typed or target)
    if result.unknown is not None:
        sugg = ", ".join(result.suggestions)
        st.warning(text(lang, "ui.graph.unknown", name=result.unknown, suggestions=sugg))
        return
    if not result.paths:
        st.info(text(lang, "ui.graph.no_path"))
        return
    st.graphviz_chart(components.paths_dot(result.paths), width="stretch")
    for n, path in enumerate(result.paths, 1):
        st.caption(f"{text(lang, 'ui.graph.path', n=n, cost=path.cost)}: {path.text()}")


# ----------------------------------------------------------------------------- page


def _notices() -> None:
    for notice in st.session_state.pop("_notices", []):
        st.warning(_t(notice.code, **notice.values), icon=":material/link_off:")


def _view_selector() -> str:
    lang = _lang()
    st.segmented_control(
        text(lang, "ui.view.label"),
        list(state.VIEWS),
        format_func=lambda v: f"{_ICONS[v]} {text(lang, f'ui.view.{v}')}",
        key="view",
        required=True,
        label_visibility="collapsed",
    )
    return st.session_state.get("view") or "plan"


def _render() -> None:
    ctx = cache.context()
    _init(ctx)
    _sidebar(ctx)
    lang = _lang()
    st.title(text(lang, "ui.app.title"))
    st.caption(text(lang, "ui.app.caption"))
    _notices()
    view = _view_selector()
    inputs = _read_inputs()
    if view == "compare":
        _compare_view(ctx, inputs)
    elif view == "sites":
        _sites_view(ctx, inputs)
    elif view == "insights":
        _insights_view(ctx)
    elif view == "graph":
        _graph_view(ctx, inputs)
    else:
        _plan_view(ctx, inputs)
    _sync_query(inputs, _read_display())


def main() -> None:
    """Render the page; an unexpected failure becomes a message, with details in the log."""
    st.set_page_config(
        page_title="巴蜀文化遗产线路 · heritage routes",
        page_icon="🗺️",
        layout="wide",
    )
    try:
        _render()
    except UnknownSiteError as exc:
        st.warning(str(exc))
    except Exception as exc:
        log.exception("the page failed")
        st.error(text(_lang(), "ui.app.unexpected", error=type(exc).__name__))


__all__ = ["main"]
