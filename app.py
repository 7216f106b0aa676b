"""Streamlit entry point: ``streamlit run app.py`` (or ``make run``).

A thin shell: the page lives in :mod:`planner.ui.views`, the planning in ``planner``.
"""

from planner.ui.views import main

main()
