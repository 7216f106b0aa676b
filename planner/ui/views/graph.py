"""The graph view: the knowledge graph around a site and how two things connect."""

from __future__ import annotations

import streamlit as st

from kg.names import MAX_NAME_CHARS, echo
from planner import service
from planner.i18n import text
from planner.ui import cache, components, session
from planner.ui.markup import md, md_text


def render() -> None:
    """The graph around a site, re-centring on neighbours, and how two things connect."""
    ctx = cache.context()
    inputs = session.read_inputs()
    lang = session.lang()
    name_of = session.name_of(ctx)
    ss = st.session_state
    st.subheader(text(lang, "ui.graph.header"))
    options, in_plan = session.site_options(ctx, inputs)
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
        st.warning(md_text(lang, "ui.graph.unknown", name=name_of(site), suggestions=""))
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
                    md(name_of(sid)),
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
    name_of = session.name_of(ctx)
    st.markdown(f"**{text(lang, 'ui.graph.connect_header')}**")
    others = [s for s in options if s != site]
    ss = st.session_state
    if ss.get("graph_to") not in others:
        ss["graph_to"] = others[0]
    target = st.selectbox(
        text(lang, "ui.graph.connect_to"), others, format_func=name_of, key="graph_to"
    )
    typed = st.text_input(
        text(lang, "ui.graph.connect_text"), key="graph_to_text", max_chars=MAX_NAME_CHARS
    ).strip()
    with st.spinner(text(lang, "ui.card.loading")):
        result = cache.connections(site, typed or target)
    if result.unknown is not None:
        sugg = ", ".join(md(x) for x in result.suggestions)
        st.warning(text(lang, "ui.graph.unknown", name=md(echo(result.unknown)), suggestions=sugg))
        return
    if not result.paths:
        st.info(text(lang, "ui.graph.no_path"))
        return
    st.graphviz_chart(components.paths_dot(result.paths), width="stretch")
    for n, path in enumerate(result.paths, 1):
        st.caption(f"{text(lang, 'ui.graph.path', n=n, cost=path.cost)}: {md(path.text())}")
