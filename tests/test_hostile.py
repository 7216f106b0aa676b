"""Issue 13, probed as a hostile or careless user would: one row of its table per test (the
rows about files — atomic modes, read-only folders, killed builds — are in
``tests/test_hostile_files.py``). Everything gives one clear line (CLI, exit 2) or one notice
(app): no traceback, no markup from users, no time lost on impossible names.

The real-browser check of the same URL cases is ``tests/test_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from kg import names
from planner.cli import app as cli
from planner.ui import state

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 180
runner = CliRunner()

#: Markdown links, an image, raw HTML, Streamlit's directives, maths and bare URLs; each piece
#: short enough to be repeated whole in a notice (values are cut at 40 characters)
PIECES = (
    "[点此领取免费门票](https://evil.example/phish)",
    "![x](http://127.0.0.1:9/b.png)",
    "<b>bold</b><img src=x onerror=alert(1)>",
    ":red[red] :material/bolt: $x^2$",
    "www.evil.example a@evil.example",
    "`code` **strong** <script>x</script>",
)
PAYLOAD = " ".join(PIECES)
#: what must never reach a Markdown body unescaped
FRAGMENTS = (
    "](http",
    "![",
    "<b>",
    "<img",
    ":red[",
    ":material/bolt:",
    "www.evil",
    "https://evil",
    "a@evil",
    "$x^2$",
    "`code`",
    "**strong**",
    "<script",
)
PARAMS = (
    "theme",
    "w",
    "days",
    "start",
    "end",
    "date",
    "mode",
    "pace",
    "lodging",
    "must",
    "avoid",
    "lock",
    "order1",
    "hot",
    "effort",
    "lang",
    "map",
    "view",
    "site",
)


# ----------------------------------------------------------------------------- helpers


def run(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def one_line_error(res: Any, *needles: str) -> str:
    """The command failed as a user error: exit 2, one short line, no traceback."""
    out = res.output.strip()
    assert res.exit_code == 2, (res.exit_code, out[:500], res.exception)
    assert "Traceback" not in out
    assert len(out.splitlines()) == 1 and len(out) < 400, out[:500]
    for needle in needles:
        assert needle in out, out
    return out


def _app(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _walk(node: Any) -> Iterator[Any]:
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def _bodies(at: AppTest) -> list[tuple[str, bool]]:
    """Every string Streamlit renders as Markdown (bodies, captions, alerts, titles, labels),
    with whether it is the app's own HTML (``unsafe_allow_html``)."""
    out = []
    for root in (at.main, at.sidebar):
        for n in _walk(root):
            proto = getattr(n, "proto", None)
            own_html = bool(getattr(proto, "allow_html", False))
            for attr in ("value", "body", "label", "help", "placeholder"):
                try:
                    v = getattr(n, attr, None)
                except Exception:  # some elements compute attributes lazily
                    continue
                if isinstance(v, str) and v:
                    out.append((v, own_html))
    return out


_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _markup(body: str) -> list[str]:
    """Links, images and HTML that ``body`` would produce as Markdown."""
    found = []
    for tok in _MD.parse(body):
        for t in [tok, *(tok.children or [])]:
            if t.type in ("link_open", "image", "html_inline", "html_block"):
                found.append(f"{t.type}: {t.content or t.attrs}")
    return found


def _plain(body: str) -> str:
    """``body`` without Markdown's backslash escapes and word joiners (what the reader sees)."""
    return re.sub(r"\\(.)", r"\1", body).replace("\u2060", "")


def assert_no_markup_from(at: AppTest) -> list[str]:
    """No body would render a link, an image or HTML, and no fragment of the payload is in
    any body unescaped. The app's own HTML snippets (``unsafe_allow_html``: the map legend,
    the day headers) are only checked for the payload, which they HTML-escape."""
    bodies = _bodies(at)
    for body, own_html in bodies:
        if not own_html:
            assert not _markup(body), (body, _markup(body))
        for fragment in FRAGMENTS:  # absent, or escaped (``\<img`` is text)
            assert not re.search(r"(?<!\\)" + re.escape(fragment), body), (fragment, body)
    return [b for b, _ in bodies]


# ----------------------------------------------------------------------------- the app


def test_markup_in_every_url_parameter_and_name_is_shown_as_text() -> None:
    assert len(_markup(PAYLOAD)) >= 3  # the check can fail: the raw payload is markup
    for piece in PIECES:
        at = _app({p: piece for p in PARAMS})
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert len(at.warning) == 1  # every notice in one
        bodies = assert_no_markup_from(at)
        assert piece in _plain(at.warning[0].value)  # shown, as text
        assert any("巴蜀文化遗产线路" in b for b in bodies)  # the default trip is planned
    # parameter *names*: an order with a link in its name is named in the notice, as text
    at = _app({"order[click](https://e.x)": PAYLOAD, "<b>k</b>": "v", "lang": "en"})
    assert not at.exception and not at.error and len(at.warning) == 1
    assert_no_markup_from(at)
    assert "order[click](https://e.x)" in _plain(at.warning[0].value)


def test_far_future_date_in_the_url_is_one_notice_not_a_red_box() -> None:
    at = _app({"date": "9999-12-31", "days": "2"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.warning) == 1 and "9999-12-31" in _plain(at.warning[0].value)
    assert at.date_input(key="date").value == state.default_date(dt.date.today())
    assert at.query_params["date"] in (
        saturday := state.default_date(dt.date.today()).isoformat(),
        [saturday],
    )


def test_huge_and_numerous_names_in_the_url_cost_no_fuzzy_matching(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = names.rank_candidates

    def counting(query: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(query))
        return real(query, *args, **kwargs)

    monkeypatch.setattr("kg.catalog.model.rank_candidates", counting)
    # 20 names × 5,000 characters: longer than any link the app makes, ignored as a whole
    at = _app({"must": ",".join(f"{k}{'x' * 5000}" for k in range(20))})
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and "100,0" in _plain(at.warning[0].value)  # 100,0xx chars
    assert calls == []
    # 500 unknown names: one notice, at most MAX_UNKNOWN of them looked up
    at = _app({"must": ",".join(f"无此寺{k}" for k in range(500)), "days": "2"})
    assert not at.exception and not at.error
    assert len(at.warning) == 1
    lines = at.warning[0].value.splitlines()
    assert len(lines) <= 9 and "more" not in lines[0]
    assert len(calls) <= state.MAX_UNKNOWN
    # a 101-character name is never fuzzy-matched either
    calls.clear()
    _, _, notices = state.from_query(
        {"start": "宝" * 101},
        resolve=lambda n: (_ for _ in ()).throw(LookupError(n)),
        themes=["stone-carving"],
        towns=["dazu_town"],
        today=dt.date(2026, 12, 5),
    )
    assert [n.code for n in notices] == ["ui.notice.unknown_site_plain"]
    assert len(notices[0].values["name"]) <= names.ECHO_CHARS + 1


def test_query_parsing_is_bounded() -> None:
    today = dt.date(2026, 12, 5)
    many = ",".join(f"x{k}" for k in range(200))
    _, _, notices = state.from_query(
        {
            "lock": many,
            "w": many,
            "order9999999999999": "a",
            "days": "9" * 5000,
            "date": "0001-01-01",
        },
        resolve=lambda n: (_ for _ in ()).throw(LookupError(n)),
        themes=["stone-carving"],
        towns=["dazu_town"],
        today=today,
        max_names=38,
    )
    codes = [n.code for n in notices]
    assert codes.count("ui.notice.too_many") == 2  # lock and w
    assert "ui.notice.date_range" in codes
    assert sum(c.startswith("ui.notice.unknown") for c in codes) <= state.MAX_UNKNOWN
    assert all(len(v) <= 80 for n in notices for v in n.values.values())


# ----------------------------------------------------------------------------- the CLI


def test_itinerary_and_export_with_a_far_future_date(tmp_path: Path) -> None:
    for cmd in (
        ("itinerary", "--theme", "stone-carving"),
        ("export", "--line", "stone-carving", "--out", str(tmp_path / "t.gpx")),
    ):
        res = run(*cmd, "--date", "9999-12-31", "--days", "2")
        one_line_error(res, "9999-12-31")
    assert not (tmp_path / "t.gpx").exists()


def test_travel_minutes_are_at_most_a_day_per_leg(tmp_path: Path) -> None:
    times = tmp_path / "times.csv"
    times.write_text("from,to,minutes\n宝顶山,北山,1e30\n北山,圆觉洞,1441\n", encoding="utf-8")
    res = run("itinerary", "--theme", "stone-carving", "--days", "2", "--times", str(times))
    out = res.output
    assert res.exit_code == 2 and "Traceback" not in out and "internal error" not in out
    assert "times.csv:2: minutes must be at most 1,440" in out
    assert "times.csv:3: minutes must be at most 1,440" in out


def test_ics_export_of_a_plan_whose_title_has_a_newline(tmp_path: Path) -> None:
    from icalendar import Calendar

    plan = tmp_path / "plan.json"
    res = run("itinerary", "--theme", "sichuan-opera", "--days", "1", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    data["title"] = {"code": "text", "args": {"text": "川剧\n一日游"}, "text": "川剧\n一日游"}
    plan.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "trip.ics"
    res = run("export", "--plan", str(plan), "--format", "ics", "--out", str(out))
    assert res.exit_code == 0, res.output
    cal = Calendar.from_ical(out.read_bytes())
    assert str(cal["X-WR-CALNAME"]) == "川剧 一日游"
    assert len(cal.walk("VEVENT")) >= 1


@pytest.mark.parametrize("command", ["plan", "explain"])
def test_a_100_kb_name_answers_at_once_with_a_short_echo(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: Any) -> float:
        raise AssertionError("a 100 KB name was fuzzy-matched")

    monkeypatch.setattr(names, "similarity", never)
    huge = "x" * 100_000
    if command == "plan":
        res = run("plan", "--sites", f"{huge},北山")
    else:
        res = run("kg", "explain", huge, "宝顶山")
    out = one_line_error(res, "100,000 characters")
    assert len(out) < 200


def test_catalog_geocode_with_a_bad_key_or_a_non_json_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg import geocode

    answers = iter([b'{"status":"0","info":"INVALID_USER_KEY","infocode":"10001"}', b"<html>"])

    def urlopen(url: str, timeout: float = 0) -> io.BytesIO:
        assert url.startswith(geocode.AMAP_PLACE_URL)  # nothing else is asked
        return io.BytesIO(next(answers))

    monkeypatch.setattr(geocode.urllib.request, "urlopen", urlopen)
    out = str(tmp_path / "cand.csv")
    one_line_error(run("catalog", "geocode", "--key", "bad", "--sites", "北山", "--out", out))
    one_line_error(run("catalog", "geocode", "--key", "bad", "--sites", "北山", "--out", out))


def test_plan_reports_a_site_given_twice() -> None:
    one_line_error(run("plan", "--sites", "宝顶山,宝顶山,北山"), "baodingshan", "more than once")
    one_line_error(run("plan", "--sites", "北山,beishan,宝顶山"), "beishan", "more than once")


def test_a_scenic_site_is_refused_as_lodging_with_town_suggestions(tmp_path: Path) -> None:
    res = run("itinerary", "--theme", "stone-carving", "--days", "2", "--start", "巴岳山")
    out = one_line_error(res, "巴岳山")
    assert re.search(r"tongliang_town|铜梁", out), out
    res = run(
        "export", "--line", "stone-carving", "--start", "巴岳山", "--out", str(tmp_path / "x.gpx")
    )
    one_line_error(res, "巴岳山")


def test_a_query_file_never_reaches_the_network(tmp_path: Path) -> None:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        for body in (
            f"SELECT ?s WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT ?s FROM <http://127.0.0.1:{port}/g.ttl> WHERE {{ ?s ?p ?o }} LIMIT 1",
            f"SELECT ?s FROM NAMED <http://127.0.0.1:{port}/g> WHERE {{ ?s ?p ?o }} LIMIT 1",
        ):
            query = tmp_path / "q.rq"
            query.write_text(body + "\n", encoding="utf-8")
            one_line_error(run("kg", "query", str(query)), "network")
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody knocked


def test_markup_in_catalog_names_stays_text_on_the_map_and_in_the_brochure(tmp_path: Path) -> None:
    import csv
    import shutil

    from kg.catalog import load_catalog
    from planner import export, service
    from planner.itinerary import TripRequest, plan_itinerary
    from planner.ui.components import route_layer_data

    hostile = "<img src=x onerror=alert(1)>[点击](https://evil.example)"
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "data" / "catalog", catalog)
    sites = catalog / "sites.csv"
    with sites.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["id"] == "beishan":
            row["name_en"] = hostile
    with sites.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields or [])
        writer.writeheader()
        writer.writerows(rows)
    ctx = service.build_context(load_catalog(catalog))
    req = TripRequest(
        theme="stone-carving",
        days=1,
        must=("beishan",),
        date=state.default_date(dt.date.today()),
    )
    it = plan_itinerary(req, ctx=ctx)
    assert "beishan" in [s.site_id for s in it.stops]
    layer = json.dumps(route_layer_data(it, ctx.catalog.sites, basemap="osm", lang="en"))
    assert "<img" not in layer and "&lt;img" in layer
    data = export.collect(it, catalog=ctx.catalog, kgraph=None, with_facts=False)
    page = export.render(data, "html", lang="en").decode("utf-8")
    assert "<img src=x" not in page and "&lt;img src=x" in page
