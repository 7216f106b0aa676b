"""Streamlit entry point: ``streamlit run app.py`` (or ``make run``).

A thin shell: the page frame and its navigation live in :mod:`planner.ui.page`, one module per
view in :mod:`planner.ui.views`, the planning in ``planner``.
"""

from planner.ui.page import main

main()
