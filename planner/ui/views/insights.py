"""The insights view (for tourism bureaus and researchers): the NLP pipeline's keywords,
topics and sentiment per destination, read from its artifacts."""

from __future__ import annotations

import streamlit as st

from planner import service
from planner.i18n import label, text
from planner.ui import cache, data, session
from planner.ui.markup import md, md_text


def render() -> None:
    """Keywords, topics and sentiment of one destination, from the NLP artifacts."""
    ctx = cache.context()
    lang = session.lang()
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
        st.caption(f"{md(stage)}: " + md_text(lang, "ui.ins.provenance", folder=folder))


def _sentiment_tables(ctx: service.Context, ins: data.Insights, dest: str, lang: str) -> None:
    if ins.aspects.empty:
        return
    import pandas as pd  # only this view needs it (not a new server's first page)

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
    name_of = session.name_of(ctx)
    st.markdown(f"**{text(lang, 'ui.ins.site_sentiment')}**")
    table = per_site.pivot_table(index="site", columns="aspect", values="mean_score")
    table.index = [name_of(s) for s in table.index]
    table.columns = [label(lang, "ui.aspect", c) for c in table.columns]
    st.dataframe(table.round(2), key="ins-site-sentiment")
