"""The app's session: plan inputs in widget state, the URL mirror, edits and view switches.

Plan inputs live in widget state; edits made on the timeline (skip, lock, move, reorder, add)
are callbacks that rewrite those inputs before the next run. Every input is mirrored in the
URL query parameters (see :mod:`planner.ui.state`), which are read once when a session starts;
the open view is the page's own address (``/compare``, ``/sites`` …, Streamlit's navigation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from planner import messages, service
from planner.i18n import LANGS, site_name, text
from planner.ui import cache, components, state
from planner.ui.markup import md
from planner.ui.state import MIXED, Display, PlanInputs

#: the session key a callback sets to open another view on the next run
GOTO = "_goto"


def lang() -> str:
    """The language chosen in the sidebar."""
    value = st.session_state.get("lang", "zh")
    return value if value in LANGS else "zh"


def t(key: str, **values: object) -> str:
    """The catalogue text ``key`` in the session's language."""
    return text(lang(), key, **values)


def towns(ctx: service.Context) -> list[str]:
    """Towns a trip may start or end in."""
    return [s.id for s in ctx.catalog.sites.values() if s.kind == "town" and s.has_coords]


def plannable(ctx: service.Context) -> list[str]:
    """Sites a trip may visit (not towns; with a known position), by county."""
    sites = [s for s in ctx.catalog.sites.values() if s.kind != "town" and s.has_coords]
    return [s.id for s in sorted(sites, key=lambda s: (s.county, s.id))]


def theme_ids() -> list[str]:
    """The graph's theme ids."""
    return [row[0] for row in cache.theme_table()]


def name_of(ctx: service.Context) -> Callable[[str], str]:
    """Site id → its name in the session's language (the id itself for an unknown one)."""
    sites = ctx.catalog.sites
    current = lang()

    def name(site_id: str) -> str:
        s = sites.get(site_id)
        return site_name(s.name_zh, s.name_en, current) if s else site_id  # plain: md() it

    return name


def why(reason: messages.Message | None, lang_: str) -> str:
    """A failure's reason in ``lang_``, escaped for Markdown (empty when there is none)."""
    return reason.text(lang_, md) if reason is not None else ""


def plan(inputs: PlanInputs) -> cache.Outcome:
    """The plan for ``inputs`` (cached), with a spinner while it is computed."""
    with st.spinner(t("ui.plan.spinner"), show_time=True):
        return cache.plan(inputs)


def site_options(ctx: service.Context, inputs: PlanInputs) -> tuple[list[str], set[str]]:
    """Sites for the card and graph pickers: the plan's stops first, then the rest."""
    outcome = cache.plan(inputs)
    in_plan = [s.site_id for s in outcome.itinerary.stops] if outcome.itinerary else []
    rest = [s for s in plannable(ctx) if s not in in_plan]
    rest += [s.id for s in ctx.catalog.sites.values() if not s.has_coords and s.kind != "town"]
    return [*in_plan, *rest], set(in_plan)


# ----------------------------------------------------------------------------- inputs ⇄ widgets


def apply_inputs(inputs: PlanInputs, ctx: service.Context) -> None:
    """Write plan inputs into the widgets' state (before the widgets are drawn)."""
    ss = st.session_state
    options = set(plannable(ctx))
    ss["theme"] = inputs.theme
    if inputs.theme != MIXED:
        ss["_last_theme"] = inputs.theme
    weights = dict(inputs.weights)
    for theme in theme_ids():
        ss[f"w_{theme}"] = float(weights.get(theme, 0.0))
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


def read_inputs() -> PlanInputs:
    """The plan inputs as the widgets and edits hold them now."""
    ss = st.session_state
    theme = ss["theme"]
    weights: tuple[tuple[str, float], ...] = ()
    if theme == MIXED:
        weights = tuple((t, float(ss.get(f"w_{t}", 0.0))) for t in theme_ids())
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


def read_display(view: str) -> Display:
    """The display settings, ``view`` being the page shown."""
    ss = st.session_state
    return Display(
        lang=lang(),
        basemap=ss.get("basemap") or "osm",
        view=view,
        site={"sites": ss.get("card_site"), "graph": ss.get("graph_site")}.get(view),
    )


def init(ctx: service.Context) -> None:
    """On a session's first run: restore the inputs from the URL (or the defaults), and open
    the view an older link names with ``view=``."""
    ss = st.session_state
    if ss.get("_ready"):
        return
    inputs, display, notices = state.from_query(
        st.query_params.to_dict(),
        resolve=lambda name: ctx.catalog.resolve(name).id,
        themes=theme_ids(),
        towns=towns(ctx),
        today=dt.date.today(),
        max_names=len(ctx.catalog.sites),
    )
    allowed = set(plannable(ctx))
    for key, sites in (("must", inputs.must), ("avoid", inputs.avoid)):
        for sid in sites:
            if sid not in allowed:  # a town, or a site without a known position
                site = ctx.catalog.sites[sid]
                notices.append(
                    state.Notice("ui.notice.not_plannable", {"param": key, "name": site.name_zh})
                )
    apply_inputs(inputs, ctx)
    ss["lang"] = display.lang
    ss["basemap"] = display.basemap
    if display.site:
        ss["card_site"] = display.site
        ss["graph_site"] = display.site
    if display.view != "plan":
        ss[GOTO] = display.view
    ss["_notices"] = notices
    ss["_ready"] = True


def sync_query(inputs: PlanInputs, display: Display) -> None:
    """Mirror the inputs in the URL (only when they changed)."""
    wanted = state.to_query(inputs, display)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# ----------------------------------------------------------------------------- edits (callbacks)


def goto(view: str) -> None:
    """Open ``view`` on the next run (for callbacks, which cannot switch pages themselves)."""
    st.session_state[GOTO] = view


def edit(ctx: service.Context, change: Callable[[PlanInputs], PlanInputs]) -> None:
    """Apply ``change`` to the current inputs."""
    apply_inputs(change(read_inputs()), ctx)


def actions(ctx: service.Context) -> components.StopActions:
    """The timeline's per-stop callbacks."""

    def move(day: int, index: int, delta: int) -> None:
        order = st.session_state.get("_day_orders", {}).get(day, [])
        if order:
            edit(ctx, lambda i: state.with_order(i, day, state.move_stop(order, index, delta)))

    def lock(site: str, day: int | None) -> None:
        edit(ctx, lambda i: state.with_lock(i, site, day))

    def skip(site: str) -> None:
        edit(ctx, lambda i: state.without_site(i, site))

    def card(site: str) -> None:
        st.session_state["card_site"] = site
        st.session_state["graph_site"] = site
        goto("sites")

    return components.StopActions(move=move, lock=lock, skip=skip, card=card)


def add_must(ctx: service.Context) -> Callable[[str], None]:
    """A callback adding a site to the must-sees and showing the plan."""

    def add(site: str) -> None:
        edit(ctx, lambda i: state.with_must(i, site))
        goto("plan")

    return add


def clear_edits(ctx: service.Context) -> None:
    """Drop every lock and day order."""
    edit(ctx, state.without_edits)


def reset(ctx: service.Context) -> None:
    """Back to the default trip."""
    apply_inputs(PlanInputs(date=state.default_date(dt.date.today())), ctx)
