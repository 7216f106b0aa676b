"""The site-card view: what the knowledge graph knows about one site."""

from __future__ import annotations

import streamlit as st

from planner.i18n import text
from planner.ui import cache, components, session
from planner.ui.markup import md_text


def render() -> None:
    """A site's card, picked from the plan's stops first."""
    ctx = cache.context()
    inputs = session.read_inputs()
    lang = session.lang()
    name_of = session.name_of(ctx)
    options, in_plan = session.site_options(ctx, inputs)
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
        st.warning(md_text(lang, "ui.graph.unknown", name=name_of(site), suggestions=""))
        return
    with st.container(border=True, key="site-card"):
        components.render_site_card(
            card, lang=lang, name_of=name_of, on_add=session.add_must(ctx), key=f"card-{site}"
        )
