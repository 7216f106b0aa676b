"""The sidebar: the language switch and the trip form (theme or a mix of themes, days, start,
date, transport, pace, must-sees and sites to skip, more options), the edits made on the
timeline, and the reset button."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Final

import streamlit as st

from planner import service
from planner.i18n import LANG_LABELS, LANGS, text
from planner.trip.request import date_bounds
from planner.ui import cache, session, state
from planner.ui.markup import md
from planner.ui.state import MIXED


def _theme_changed() -> None:
    """Switching to a mix starts from the theme that was selected (weight 1), not from an
    empty mix the planner would reject."""
    ss = st.session_state
    if ss["theme"] != MIXED:
        ss["_last_theme"] = ss["theme"]
        return
    if not any(float(ss.get(f"w_{t}", 0.0)) > 0 for t in session.theme_ids()):
        ss[f"w_{ss.get('_last_theme', state.DEFAULT_THEME)}"] = 1.0


#: every input widget keeps its value when another view opens (each page has its own widgets)
_KEEP: Final = "session"


def render(ctx: service.Context) -> None:
    """Draw the sidebar (its widgets hold the plan inputs)."""
    with st.sidebar:
        st.segmented_control(
            text(session.lang(), "ui.lang.label"),
            LANGS,
            format_func=lambda code: LANG_LABELS[code],
            key="lang",
            required=True,
            persist_state=_KEEP,
        )
        lang = session.lang()
        name_of = session.name_of(ctx)
        st.header(text(lang, "ui.form.header"))
        _trip(ctx, lang, name_of)
        with st.expander(text(lang, "ui.form.more")):
            _more(ctx, lang, name_of)
        _edits(ctx, lang, name_of)
        st.button(
            text(lang, "ui.form.reset"),
            icon=":material/restart_alt:",
            on_click=session.reset,
            args=(ctx,),
            key="reset",
        )
        st.caption(text(lang, "ui.form.share"))


def _trip(ctx: service.Context, lang: str, name_of: Callable[[str], str]) -> None:
    """Theme (or a mix with weights), days, start, date, transport, pace, must/skip lists."""
    themes = {t: (zh, en) for t, zh, en in cache.theme_table()}
    st.selectbox(
        text(lang, "ui.form.theme"),
        [*themes, MIXED],
        format_func=lambda t: (
            text(lang, "ui.form.theme_mixed") if t == MIXED else themes[t][0 if lang == "zh" else 1]
        ),
        key="theme",
        on_change=_theme_changed,
        persist_state=_KEEP,
    )
    if st.session_state["theme"] == MIXED:
        st.caption(text(lang, "ui.form.weights"))
        for t, (zh, en) in themes.items():
            st.slider(
                zh if lang == "zh" else en, 0.0, 3.0, step=0.5, key=f"w_{t}", persist_state=_KEEP
            )
    st.number_input(
        text(lang, "ui.form.days"), 1, state.MAX_DAYS, step=1, key="days", persist_state=_KEEP
    )
    st.selectbox(
        text(lang, "ui.form.start"),
        session.towns(ctx),
        format_func=name_of,
        key="start",
        persist_state=_KEEP,
    )
    lo, hi = date_bounds(dt.date.today())
    st.date_input(
        text(lang, "ui.form.date"), min_value=lo, max_value=hi, key="date", persist_state=_KEEP
    )
    for key, options in (("mode", state.MODES), ("pace", state.PACES)):
        st.segmented_control(
            text(lang, f"ui.form.{key}"),
            list(options),
            format_func=functools.partial(_option, lang, key),
            key=key,
            required=True,
            persist_state=_KEEP,
        )
    plannable = session.plannable(ctx)
    for key in ("must", "avoid"):
        st.multiselect(
            text(lang, f"ui.form.{key}"),
            plannable,
            format_func=name_of,
            key=key,
            placeholder=text(lang, "ui.form.choose"),
            persist_state=_KEEP,
        )


def _option(lang: str, key: str, value: str) -> str:
    """The label of a choice (``ui.mode.car``, ``ui.pace.relaxed`` …)."""
    return text(lang, f"ui.{key}.{value}")


def _more(ctx: service.Context, lang: str, name_of: Callable[[str], str]) -> None:
    """Lodging rule, last night, daily driving limit, famous ↔ lesser-known balance, search
    effort."""
    st.segmented_control(
        text(lang, "ui.form.lodging"),
        list(state.LODGING),
        format_func=lambda x: text(lang, f"ui.lodging.{x}"),
        key="lodging",
        required=True,
        help=text(lang, "ui.form.lodging_help"),
        persist_state=_KEEP,
    )
    st.selectbox(
        text(lang, "ui.form.end"),
        ["", *session.towns(ctx)],
        format_func=lambda x: name_of(x) if x else text(lang, "ui.form.end_same"),
        key="end",
        persist_state=_KEEP,
    )
    st.slider(
        text(lang, "ui.form.drive"),
        state.MIN_DRIVE_HOURS,
        state.MAX_DRIVE_HOURS,
        step=0.5,
        key="drive",
        help=text(lang, "ui.form.drive_help"),
        persist_state=_KEEP,
    )
    st.slider(
        text(lang, "ui.form.hot"),
        0.0,
        1.0,
        step=0.1,
        key="hot",
        help=text(lang, "ui.form.hot_help"),
        persist_state=_KEEP,
    )
    st.segmented_control(
        text(lang, "ui.form.effort"),
        list(state.EFFORTS),
        format_func=lambda x: text(lang, f"ui.effort.{x}"),
        key="effort",
        required=True,
        help=text(lang, "ui.form.effort_help"),
        persist_state=_KEEP,
    )


def _edits(ctx: service.Context, lang: str, name_of: Callable[[str], str]) -> None:
    """The locks and day orders made on the timeline, with a button to clear them."""
    locks = st.session_state.get("locks", ())
    orders = st.session_state.get("orders", ())
    if not (locks or orders):
        return
    st.subheader(text(lang, "ui.form.edits"))
    for site, day in locks:
        st.caption(text(lang, "ui.form.lock_item", site=md(name_of(site)), day=day))
    for day, sites in orders:
        names = " → ".join(md(name_of(s)) for s in sites)
        st.caption(text(lang, "ui.form.order_item", day=day, sites=names))
    st.button(
        text(lang, "ui.form.clear_edits"),
        icon=":material/undo:",
        on_click=session.clear_edits,
        args=(ctx,),
        key="clear_edits",
    )
