"""The page frame: Streamlit's own navigation over the five views, the sidebar, the notices
about the link, and the URL mirror.

Each view is one module of :mod:`planner.ui.views` with a ``render()`` function, registered as
an ``st.Page`` with its own address (``/``, ``/compare``, ``/sites``, ``/insights``,
``/graph``); the plan inputs stay in the query string, so a copied address opens the same view
of the same trip. A link from before the views had addresses (``?view=compare``) still opens
that view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from kg.catalog import UnknownSiteError
from planner.i18n import text
from planner.ui import cache, session, sidebar, state
from planner.ui.markup import md, md_text
from planner.ui.views import compare, graph, insights, plan, sites

log = logging.getLogger(__name__)

#: view → (render function, icon); the order of the navigation bar
VIEWS: dict[str, tuple[Callable[[], None], str]] = {
    "plan": (plan.render, ":material/route:"),
    "compare": (compare.render, ":material/compare_arrows:"),
    "sites": (sites.render, ":material/account_balance:"),
    "insights": (insights.render, ":material/insights:"),
    "graph": (graph.render, ":material/hub:"),
}
assert tuple(VIEWS) == state.VIEWS


def _pages(lang: str) -> dict[str, st.Page]:
    """One ``st.Page`` per view, titled in ``lang``; the trip is the default page (``/``)."""
    return {
        view: st.Page(
            render,
            title=text(lang, f"ui.view.{view}"),
            icon=icon,
            url_path=view,
            default=view == "plan",
        )
        for view, (render, icon) in VIEWS.items()
    }


#: at most this many notices are spelt out; the rest are counted
MAX_NOTICES = 8


def _notices() -> None:
    """What the link held that could not be used: one warning, however many there are (every
    value from the link escaped)."""
    notices: list[state.Notice] = st.session_state.pop("_notices", [])
    if not notices:
        return
    lang = session.lang()
    lines = [md_text(lang, n.code, **n.values) for n in notices[:MAX_NOTICES]]
    if len(notices) > MAX_NOTICES:
        lines.append(text(lang, "ui.notice.more", n=len(notices) - MAX_NOTICES))
    body = lines[0] if len(lines) == 1 else "\n".join(f"- {x}" for x in lines)
    st.warning(body, icon=":material/link_off:")


def _render() -> None:
    ctx = cache.context()
    session.init(ctx)
    pages = _pages(session.lang())
    current = st.navigation(list(pages.values()), position="top")
    view = next((v for v, p in pages.items() if p.url_path == current.url_path), "plan")
    sidebar.render(ctx)  # first: a page switch keeps only the widgets drawn before it
    wanted = st.session_state.pop(session.GOTO, None)
    if wanted in pages and wanted != view:
        st.switch_page(pages[wanted], query_params=st.query_params.to_dict())
    lang = session.lang()
    st.title(text(lang, "ui.app.title"))
    st.caption(text(lang, "ui.app.caption"))
    _notices()
    current.run()
    session.sync_query(session.read_inputs(), session.read_display(view))
    cache.prefetch_graph()  # the page is out: load the graph for the visitor's next change


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
        st.warning(md(str(exc)))
    except Exception as exc:  # st.switch_page's control flow is a BaseException: not caught
        log.exception("the page failed")
        st.error(text(session.lang(), "ui.app.unexpected", error=type(exc).__name__))
