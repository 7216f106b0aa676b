"""The Streamlit web app over ``planner`` (entry point: ``app.py``).

``state``       plan inputs ⇄ URL query parameters ⇄ :class:`planner.itinerary.TripRequest`
``data``        readers for the NLP pipeline's artifacts (insights view)
``cache``       the only place with ``st.cache_resource`` / ``st.cache_data``
``components``  map, timeline, site card and graph drawing
``views``       the sidebar form and the plan, compare, sites, insights and graph views

Every text comes from the one bilingual catalogue, :mod:`planner.i18n` (section ``ui``).
Only this package and ``app.py`` import streamlit; the planning itself lives in ``planner``.
"""
