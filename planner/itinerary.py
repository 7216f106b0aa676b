"""Multi-day themed itineraries: the public names (the code lives in :mod:`planner.trip`)."""

from planner.trip.days import USER_SOURCE
from planner.trip.plan import WARN_NOTES, greedy_baseline, plan_itinerary
from planner.trip.request import (
    Effort,
    Lodging,
    Mode,
    Pace,
    RequestError,
    Solver,
    TripRequest,
)

MODES = tuple(m.value for m in Mode)
PACES = tuple(p.value for p in Pace)
LODGING = tuple(x.value for x in Lodging)

__all__ = [
    "LODGING",
    "MODES",
    "PACES",
    "USER_SOURCE",
    "WARN_NOTES",
    "Effort",
    "Lodging",
    "Mode",
    "Pace",
    "RequestError",
    "Solver",
    "TripRequest",
    "greedy_baseline",
    "plan_itinerary",
]
