"""Multi-day themed itineraries: request → candidates → time-windowed orienteering → days.

The trip is a team orienteering problem with time windows (one route per day) solved by
:func:`routing.orienteering.solve_optw`:

``request``  :class:`TripRequest` and its enums, validated once (declarative constraints)
``setup``    the request → node arrays: candidates, travel minutes, visit lengths, windows
``solve``    the orienteering problem per sequence of nights, and the choice of nights
``days``     each day timed with its lunch break, re-optimised exactly when small
``plan``     :func:`plan_itinerary`: the timed days, the sites left out and why, warnings

The public names are re-exported by :mod:`planner.itinerary` (this package stays cheap to
import: the CLI reads the request enums without loading the solvers).
"""
