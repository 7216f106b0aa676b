"""The Streamlit web app over ``planner`` (entry point: ``app.py``).

``page``        the frame: Streamlit's navigation (``st.navigation`` + ``st.Page``) over the
                views, the sidebar, the notices about the link, the URL mirror
``views/``      one module per view, each a ``render()``: ``plan`` (the trip), ``compare``,
                ``sites`` (site cards), ``insights``, ``graph``
``sidebar``     the language switch and the trip form
``session``     plan inputs in widget state ⇄ the URL, edits, view switches
``state``       plan inputs ⇄ URL query parameters ⇄ :class:`planner.itinerary.TripRequest`
                (pure, no streamlit)
``markup``      strings from the URL, files and the catalog made safe for Markdown and HTML
``data``        readers for the NLP pipeline's artifacts (insights view)
``cache``       the only place with ``st.cache_resource`` / ``st.cache_data``
``components``  map, timeline, site card and graph drawing

Every text comes from the one bilingual catalogue, :mod:`planner.i18n` (section ``ui``).
Only this package and ``app.py`` import streamlit; the planning itself lives in ``planner``.
"""
