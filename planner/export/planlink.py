"""The plan link a QR code carries: the app's URL with the request that rebuilds the plan.

``plan_url(it, base)`` → ``base?theme=...&days=...&start=...&date=...&mode=...&pace=...
&must=a,b&avoid=c`` (ids, comma-separated); :func:`plan_query` reads it back for the app.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from planner.model import Itinerary

__all__ = ["PLAN_KEYS", "plan_query", "plan_url"]

PLAN_KEYS = ("theme", "days", "start", "date", "mode", "pace", "must", "avoid")


def _ids(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)


def plan_url(it: Itinerary, base: str = "http://localhost:8501/") -> str:
    """URL that opens ``it`` in the planning app (the request, not the solved plan).

    Values come from ``it.params`` (what the planner recorded); a hand-made itinerary without
    them falls back to its first day's start and date. Existing query parameters of ``base``
    are kept; empty ``must``/``avoid`` are left out.
    """
    p = it.params or {}
    first = it.days[0] if it.days else None
    query = {
        "theme": p.get("theme") or it.theme,
        "days": str(p.get("days") or len(it.days)),
        "start": p.get("start") or (first.start_id if first else ""),
        "date": p.get("date") or (first.date.isoformat() if first else ""),
        "mode": p.get("mode") or it.mode,
        "pace": p.get("pace") or it.pace,
        "must": _ids(p.get("must")),
        "avoid": _ids(p.get("avoid")),
    }
    parts = urlsplit(base)
    kept = [(k, v) for k, vs in parse_qs(parts.query).items() if k not in PLAN_KEYS for v in vs]
    pairs = kept + [(k, v) for k, v in query.items() if v]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe=",")))


def plan_query(url: str) -> dict[str, Any]:
    """Inverse of :func:`plan_url`: ``theme``, ``days`` (int), ``start``, ``date``
    (:class:`datetime.date`), ``mode``, ``pace``, ``must`` and ``avoid`` (tuples of ids).

    Keys absent from the URL are absent from the result.

    Raises
    ------
    ValueError
        If ``days`` is not a positive integer or ``date`` is not ``YYYY-MM-DD``.
    """
    q = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    out: dict[str, Any] = {}
    for key in ("theme", "start", "mode", "pace"):
        if q.get(key):
            out[key] = q[key]
    if "days" in q:
        if not q["days"].isdigit() or int(q["days"]) < 1:
            raise ValueError(f"plan link: days must be a positive integer, got {q['days']!r}")
        out["days"] = int(q["days"])
    if "date" in q:
        try:
            out["date"] = dt.date.fromisoformat(q["date"])
        except ValueError:
            raise ValueError(f"plan link: date must be YYYY-MM-DD, got {q['date']!r}") from None
    for key in ("must", "avoid"):
        if q.get(key):
            out[key] = tuple(x for x in q[key].split(",") if x)
    return out
