"""The web app's main flows with Streamlit's AppTest, plus its pure helpers (URL state, strings).

AppTest runs ``app.py`` in-process on the embedded data: default plan, theme and days, a
must-see, the language toggle, an impossible request, restoring from query parameters, the
timeline edits, and the compare, site-card, graph and insights views.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from planner import i18n
from planner.itinerary import TripRequest, plan_itinerary
from planner.service import load_context
from planner.ui import cache, state
from planner.ui.state import Display, PlanInputs

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 180


# ----------------------------------------------------------------------------- helpers


def _app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _walk(node: Any):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def _block(at: AppTest, key: str) -> Any:
    for node in _walk(at.main):
        if type(node).__name__ == "Block" and getattr(node, "key", None) == key:
            return node
    return None


def _texts(node: Any) -> list[str]:
    """Markdown and caption texts as read (names from the catalog are escaped: ``\\,``)."""
    out = []
    for n in _walk(node):
        value = getattr(n, "value", None)
        if isinstance(value, str) and type(n).__name__ in ("Markdown", "Caption"):
            out.append(re.sub(r"\\(.)", r"\1", value).replace("\u2060", ""))
    return out


def _day_headers(at: AppTest, lang: str = "zh") -> list[int]:
    pattern = r"第 (\d+) 天 · \d{4}-\d\d-\d\d" if lang == "zh" else r"Day (\d+) · \d{4}-\d\d-\d\d"
    timeline = _block(at, "timeline")
    assert timeline is not None, "no timeline"
    return [int(m.group(1)) for t in _texts(timeline) if (m := re.search(pattern, t))]


def _stop_headers(at: AppTest) -> list[str]:
    """The timeline's stop titles (``**1. 宝顶山摩崖造像 · …**``), in order."""
    timeline = _block(at, "timeline")
    return [t for t in _texts(timeline) if re.match(r"\*\*\d+\. ", t)]


def _stop_names(at: AppTest) -> list[str]:
    """Chinese names of the timeline's stops, in order."""
    return [re.match(r"\*\*\d+\. ([^*·]+?)(?: · |\*\*)", t).group(1) for t in _stop_headers(at)]


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _open_view(at: AppTest, view: str) -> AppTest:
    """Open another view in the same session, as the timeline's "card" button does (AppTest
    cannot click Streamlit's navigation bar; the real browser test does)."""
    at.session_state["_goto"] = view
    return at.run()


def _query(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k] for k in at.query_params}


def _next_saturday() -> str:
    return state.default_date(dt.date.today()).isoformat()


# ----------------------------------------------------------------------------- main flows


def test_default_plan_renders_map_timeline_and_link() -> None:
    at = _app()
    _ok(at)
    assert at.title[0].value == i18n.text("zh", "ui.app.title")
    assert _day_headers(at) == [1, 2, 3]
    assert len(_stop_names(at)) >= 3
    trip_map = _block(at, "trip-map")
    assert trip_map is not None
    components = [n for n in _walk(trip_map) if type(n).__name__ == "UnknownElement"]
    assert [c.type for c in components] == ["component_instance"]
    assert "st_folium" in components[0].proto.component_name
    assert [m.label for m in at.metric][:2] == ["天数", "遗址"]
    assert i18n.text("zh", "ui.metric.drive") in [m.label for m in at.metric]  # issue 16
    assert any("每天最多行车" in c.value for c in at.caption)  # the objective and the limit
    q = _query(at)
    assert q["theme"] == "stone-carving" and q["days"] == "3" and q["start"] == "dazu_town"
    assert q["date"] == _next_saturday()
    names = [b.label for b in _block(at, "downloads").children.values()]
    assert names[0] == i18n.text("zh", "ui.dl.json")


def test_change_theme_and_days_replans() -> None:
    at = _app()
    at.selectbox(key="theme").set_value("sichuan-opera")
    at.number_input(key="days").set_value(2)
    at.run()
    _ok(at)
    assert _day_headers(at) == [1, 2]
    assert "川剧 · 2 天" in at.subheader[0].value
    want = plan_itinerary(
        TripRequest(theme="sichuan-opera", days=2, date=state.default_date(dt.date.today())),
        ctx=cache.context(),
        kgraph=cache.knowledge_graph(),  # the app's graph (a second copy would load again)
    )
    assert _stop_names(at) == [s.name_zh for s in want.stops]  # exact solver: one answer
    assert _query(at)["theme"] == "sichuan-opera"
    assert _query(at)["days"] == "2"


def test_add_must_see_from_the_form_and_from_dropped_sites() -> None:
    at = _app()
    dropped = [k.removeprefix("add-") for b in at.button if (k := b.key or "").startswith("add-")]
    assert dropped, "the default plan leaves sites out"
    site = dropped[0]
    name = load_context().catalog.sites[site].name_zh
    assert name not in _stop_names(at)
    at.button(key=f"add-{site}").click().run()
    _ok(at)
    assert at.multiselect(key="must").value == [site]
    assert name in _stop_names(at)
    assert _query(at)["must"] == site
    # and straight from the form
    at.multiselect(key="must").set_value([site, "huayan_dong"]).run()
    _ok(at)
    assert {name, "华严洞摩崖造像"} <= set(_stop_names(at))


def test_switch_language_changes_every_string() -> None:
    at = _app()
    zh_sidebar = [w.label for w in at.sidebar.selectbox]
    at.segmented_control(key="lang").set_value("en").run()
    _ok(at)
    assert at.title[0].value == i18n.text("en", "ui.app.title")
    assert [w.label for w in at.sidebar.selectbox] != zh_sidebar
    assert at.sidebar.selectbox(key="theme").label == i18n.text("en", "ui.form.theme")
    assert _day_headers(at, "en") == [1, 2, 3]
    sites = {s.name_zh: s for s in load_context().catalog.sites.values()}
    for header, name in zip(_stop_headers(at), _stop_names(at), strict=True):
        assert sites[name].name_en in header  # 宝顶山摩崖造像 · Baodingshan Rock Carvings …
    assert [m.label for m in at.metric][:2] == ["Days", "Sites"]
    assert _query(at)["lang"] == "en"


def test_impossible_request_gets_a_friendly_error() -> None:
    at = _app()
    at.number_input(key="days").set_value(1)
    at.multiselect(key="must").set_value(
        ["baodingshan", "wofoyuan", "banyueshan_dafo", "huayan_dong"]
    )
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("无法安排这个行程")
    assert "第 1 天" in message and ("卧佛院" in message or "半月山大佛" in message)
    assert "day" not in message  # the planner's reason is in the user's language too
    assert _block(at, "timeline") is None
    at.segmented_control(key="lang").set_value("en").run()
    message = at.error[0].value
    assert "day 1" in message and "needs" in message and "第 1 天" not in message


def test_restore_from_query_parameters() -> None:
    at = _app(
        {
            "theme": "sichuan-opera",
            "days": "2",
            "start": "安岳县城",  # a Chinese name resolves to its id
            "date": "2026-05-02",
            "mode": "bus",
            "pace": "relaxed",
            "lodging": "fixed",
            "avoid": "yongxi_guzhen",
            "lang": "en",
            "map": "amap",
        }
    )
    _ok(at)
    assert at.selectbox(key="theme").value == "sichuan-opera"
    assert at.number_input(key="days").value == 2
    assert at.selectbox(key="start").value == "anyue_town"
    assert at.date_input(key="date").value == dt.date(2026, 5, 2)
    assert at.segmented_control(key="mode").value == "bus"
    assert at.segmented_control(key="pace").value == "relaxed"
    assert at.segmented_control(key="lodging").value == "fixed"
    assert at.multiselect(key="avoid").value == ["yongxi_guzhen"]
    assert at.segmented_control(key="basemap").value == "amap"
    assert at.title[0].value == i18n.text("en", "ui.app.title")
    assert _day_headers(at, "en") == [1, 2]
    assert "雍溪古镇" not in _stop_names(at)
    q = _query(at)
    assert q["start"] == "anyue_town" and q["date"] == "2026-05-02" and q["map"] == "amap"


def test_unknown_site_in_url_is_named_then_ignored() -> None:
    at = _app({"must": "宝顶山,不存在的寺", "days": "2"})
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert any("不存在的寺" in w and "did you mean" not in w for w in warnings), warnings
    assert at.multiselect(key="must").value == ["baodingshan"]
    assert "宝顶山摩崖造像" in _stop_names(at)
    assert _query(at)["must"] == "baodingshan"
    at.run()  # the notice is shown once, on load
    assert not at.warning


def test_unknown_site_suggests_matches_and_bad_values_fall_back() -> None:
    at = _app({"must": "宝顶,宝森柠檬旅游区", "days": "99", "mode": "plane"})
    assert not at.exception and not at.error
    text = " ".join(w.value for w in at.warning)
    assert "宝顶" in text and "baodingshan" in text  # suggestion with its id
    assert "宝森柠檬旅游区" in text  # known, but has no position: cannot be planned
    assert "days=99" in text and "mode=plane" in text
    assert at.number_input(key="days").value == state.DEFAULT_DAYS
    assert at.multiselect(key="must").value == []


def test_timeline_edits_skip_lock_and_reorder() -> None:
    # day 1 fixed to 北山 → 宝顶山 (10 km apart, both open all day): any order of the two fits
    at = _app({"days": "2", "lodging": "fixed", "order1": "beishan,baodingshan"})
    _ok(at)

    def day(n: int) -> list[str]:
        return [k.split("-", 2)[2] for x in at.button if (k := x.key or "").startswith(f"up-{n}-")]

    assert day(1) == ["beishan", "baodingshan"]
    # reorder: move 北山 down → day 1 is fixed to the new order
    at.button(key="down-1-beishan").click().run()
    _ok(at)
    assert _query(at)["order1"] == "baodingshan,beishan"
    assert day(1) == ["baodingshan", "beishan"]
    # move 北山 to day 2 (a lock); it leaves day 1's order
    at.button(key="move-1-beishan-2").click().run()
    _ok(at)
    assert _query(at)["lock"] == "beishan:2" and _query(at)["order1"] == "baodingshan"
    assert "beishan" in day(2) and day(1) == ["baodingshan"]
    # skip it: on the avoid list, out of the locks, out of the plan
    at.button(key="skip-2-beishan").click().run()
    _ok(at)
    assert at.multiselect(key="avoid").value == ["beishan"]
    assert "lock" not in _query(at)
    assert "beishan" not in day(1) + day(2)
    # clear the remaining edit (day 1's order)
    at.button(key="clear_edits").click().run()
    _ok(at)
    assert "order1" not in _query(at)


def test_compare_view_shows_baseline_and_line_tour() -> None:
    at = _app({"view": "compare", "theme": "classic", "days": "2", "lodging": "fixed"})
    _ok(at)
    assert len(at.dataframe) >= 1
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == ["优化方案", "贪心基线"]
    score, km = table.columns[1], table.columns[2]
    assert table[score].iloc[0] >= table[score].iloc[1] - 1e-9  # never worse than greedy
    assert at.success or at.info
    labels = [m.label for m in at.metric]
    assert "报告的贪心巡游" in labels and "最短巡游" in labels
    greedy = float(at.metric[labels.index("报告的贪心巡游")].value.split()[0])
    best = float(at.metric[labels.index("最短巡游")].value.split()[0])
    assert best <= greedy + 1e-6
    assert km


def test_site_card_and_graph_views() -> None:
    at = _app({"view": "sites", "site": "宝顶山"})
    _ok(at)
    card = _block(at, "site-card")
    assert card is not None
    body = " ".join(_texts(card))
    assert "宝顶山摩崖造像" in at.subheader[0].value
    for key in ("card.era", "card.heritage", "card.similar", "card.gems"):
        assert i18n.text("zh", f"ui.{key}") in body
    assert "UNESCO" in body or "世界" in body
    _open_view(at, "graph")
    _ok(at)
    assert at.selectbox(key="graph_site").value == "baodingshan"
    charts = [n for n in _walk(at.main) if type(n).__name__ == "UnknownElement"]
    assert "graphviz_chart" in [c.type for c in charts]


def test_card_button_on_the_timeline_opens_the_site_card_view() -> None:
    at = _app({"days": "2"})
    _ok(at)
    first = next(b for b in at.button if (b.key or "").startswith("card-1-"))
    site = first.key.split("-", 2)[2]
    first.click().run()
    _ok(at)
    assert _block(at, "site-card") is not None and _block(at, "timeline") is None
    assert at.selectbox(key="card_site").value == site
    assert _query(at)["site"] == site and "view" not in _query(at)
    _open_view(at, "plan")
    _ok(at)
    assert _block(at, "timeline") is not None and "site" not in _query(at)


def test_insights_view_reads_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kw = tmp_path / "keywords"
    kw.mkdir()
    (kw / "groups_destination.csv").write_text(
        "group,n_docs,doc_share\n大足,30,0.6\n安岳,20,0.4\n", encoding="utf-8"
    )
    (kw / "keywords_destination.csv").write_text(
        "group,rank,term,tfidf_sum,tfidf_mean,doc_share,docs_with_term\n"
        "大足,1,千手观音,9.5,0.3,0.5,15\n大足,2,牧牛图,4.1,0.1,0.2,6\n"
        "安岳,1,卧佛,8.0,0.4,0.6,12\n",
        encoding="utf-8",
    )
    (kw / "table_destination.csv").write_text(
        "rank,大足,大足_tfidf,安岳,安岳_tfidf\n1,千手观音,9.5,卧佛,8.0\n", encoding="utf-8"
    )
    sent = tmp_path / "sentiment"
    sent.mkdir()
    (sent / "aspect_sentiment.csv").write_text(
        "site,aspect,n_clauses,mean_score,share_positive\n*,food,10,0.7,0.6\n"
        "baodingshan,carvings,5,0.9,0.8\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(
        "planner.ui.data.artifact_folders",
        lambda root=None: {"keywords": str(kw), "sentiment": str(sent)},
    )
    at = _app({"view": "insights"})
    _ok(at)
    assert at.selectbox(key="ins_dest").value == "大足"
    tfidf = at.dataframe[0].value
    assert list(tfidf["term"])[:2] == ["千手观音", "牧牛图"]
    by_site = [d.value for d in at.dataframe if list(d.value.columns) == ["石刻"]]
    assert by_site and by_site[0].iloc[0, 0] == 0.9  # 宝顶山's carvings, from the CSV
    monkeypatch.setattr("planner.ui.data.artifact_folders", lambda root=None: {})
    at = _app({"view": "insights", "lang": "en"})
    _ok(at)
    assert at.info and "heritage nlp run" in at.info[0].value


# ----------------------------------------------------------------------------- pure helpers


def _resolver(name: str) -> str:
    return load_context().catalog.resolve(name).id


TOWNS = ["dazu_town", "anyue_town", "lezhi_town", "ziyang_town", "tongliang_town"]
THEMES = ["classic", "folk-crafts", "food-eco", "sichuan-opera", "stone-carving"]


def test_query_round_trip_keeps_every_input() -> None:
    inputs = PlanInputs(
        date=dt.date(2026, 10, 3),
        theme="mixed",
        weights=(("stone-carving", 2.0), ("sichuan-opera", 0.5)),
        days=4,
        start="anyue_town",
        end="ziyang_town",
        mode="bus",
        pace="intense",
        lodging="fixed",
        must=("wofoyuan", "baodingshan"),
        avoid=("tapo",),
        locks=(("wofoyuan", 2),),
        orders=((1, ("beishan", "baodingshan")),),
        hot_share=0.2,
        effort="thorough",
        max_drive_hours=3.5,
    ).normalised()
    display = Display(lang="en", basemap="amap", view="graph", site="beishan")
    q = state.to_query(inputs, display)
    assert "view" not in q  # the view is the page's address (/graph), not a parameter
    back, back_display, notices = state.from_query(
        {**q, "view": "graph"},
        resolve=_resolver,
        themes=THEMES,
        towns=TOWNS,
        today=dt.date(2026, 1, 1),
    )
    assert notices == []
    assert back == inputs
    assert back_display == display  # and links from before (``view=graph``) still say which
    req = back.to_request()
    assert req.effort == "thorough" and req.max_drive_hours == 3.5
    assert req.orders == ((1, ("beishan", "baodingshan")),) and req.locks == (("wofoyuan", 2),)


def test_query_defaults_and_notices() -> None:
    today = dt.date(2026, 11, 29)  # a Sunday
    inputs, display, notices = state.from_query(
        {}, resolve=_resolver, themes=THEMES, towns=TOWNS, today=today
    )
    assert inputs == PlanInputs(date=dt.date(2026, 12, 5))
    assert display == Display()
    assert notices == []
    _, _, notices = state.from_query(
        {"start": "宝顶山", "lock": "wofoyuan:9", "order7": "beishan", "hot": "2", "w": "x:1"},
        resolve=_resolver,
        themes=THEMES,
        towns=TOWNS,
        today=today,
    )
    params = sorted(n.values["param"] for n in notices)
    assert params == ["hot", "lock", "order7", "start", "w"]  # a site is not a town either


@pytest.mark.parametrize(
    ("today", "saturday"),
    [
        (dt.date(2026, 12, 5), dt.date(2026, 12, 5)),
        (dt.date(2026, 12, 6), dt.date(2026, 12, 12)),
        (dt.date(2026, 12, 4), dt.date(2026, 12, 5)),
    ],
)
def test_default_date_is_today_or_next_saturday(today: dt.date, saturday: dt.date) -> None:
    assert state.default_date(today) == saturday


def test_edit_helpers() -> None:
    base = PlanInputs(date=dt.date(2026, 12, 5), must=("tapo",), avoid=("beishan",))
    assert state.move_stop(["a", "b", "c"], 0, 1) == ["b", "a", "c"]
    assert state.move_stop(["a", "b", "c"], 2, 5) == ["a", "b", "c"]
    moved = state.with_order(base, 1, ["x", "y"])
    locked = state.with_lock(moved, "x", 2)
    assert locked.locks == (("x", 2),) and locked.orders == ((1, ("y",)),)
    assert state.with_lock(locked, "x", None).locks == ()
    skipped = state.without_site(locked, "y")
    assert "y" in skipped.avoid and skipped.orders == ()
    added = state.with_must(base, "beishan")
    assert added.must == ("tapo", "beishan") and added.avoid == ()
    shorter = replace_days(state.with_lock(base, "x", 3), 2)
    assert shorter.locks == ()


def replace_days(inputs: PlanInputs, days: int) -> PlanInputs:
    from dataclasses import replace

    return replace(inputs, days=days).normalised()


def test_ui_has_no_strings_of_its_own() -> None:
    """Every text comes from the one catalogue (planner/i18n.toml): no language tables here."""
    ui = Path(cache.__file__).parent
    for p in [*ui.glob("*.py"), Path(APP)]:
        source = p.read_text(encoding="utf-8")
        assert not re.search(r"^(LANGS|ZH|EN|STRINGS)\b\s*[:=]", source, re.M), p.name


def test_no_other_module_caches() -> None:
    ui = Path(cache.__file__).parent
    users = sorted(
        p.name
        for p in [*ui.glob("*.py"), Path(APP)]
        if re.search(r"@st\.cache_(data|resource)", p.read_text(encoding="utf-8"))
    )
    assert users == ["cache.py"]


def test_map_data_follows_via_chains_and_converts_only_for_amap() -> None:
    from common.geo import wgs84_to_gcj02
    from planner.ui.components import route_layer_data

    ctx = load_context()
    it = plan_itinerary(
        TripRequest(theme="sichuan-opera", days=2, date=dt.date(2026, 12, 5)),
        ctx=ctx,
        kgraph=cache.knowledge_graph(),
    )
    osm = route_layer_data(it, ctx.catalog.sites, basemap="osm", lang="zh")
    amap = route_layer_data(it, ctx.catalog.sites, basemap="amap", lang="en")
    stops = [m for m in osm["markers"] if m["z"]]
    assert [m["site"] for m in stops] == [s.site_id for s in it.stops]
    for o, a in zip(osm["markers"], amap["markers"], strict=True):
        site = ctx.catalog.sites[o["site"]]
        assert o["point"] == [site.lat, site.lon]  # WGS-84 inside
        assert a["point"] == list(wgs84_to_gcj02(site.lat, site.lon))  # GCJ-02 at the edge
        assert a["point"] != o["point"]
    legs = [leg for d in it.days for leg in d.legs]
    assert len(osm["lines"]) == len(legs)
    for line, leg in zip(osm["lines"], legs, strict=True):
        assert len(line["points"]) == 2 + len(leg.via)  # drawn through the via sites
        assert (line["dash"] is None) == (leg.source == "seed")
    days = {line["day"]: line["colour"] for line in osm["lines"]}
    assert len(set(days.values())) == len(days)  # one colour per day


def test_export_downloads_render_for_the_app_plan() -> None:
    import json as json_mod
    import xml.etree.ElementTree as ET

    formats = cache.export_formats()
    if not formats:
        pytest.skip("planner.export is not available")
    inputs = PlanInputs(date=dt.date(2026, 12, 5), theme="sichuan-opera", days=2)
    it = cache.plan(inputs).itinerary
    assert it is not None
    for fmt in ("gpx", "kml", "geojson", "ics"):
        if fmt not in formats:
            continue
        payload = cache.export_bytes(inputs, fmt, "zh")
        if fmt in ("gpx", "kml"):
            ET.fromstring(payload)
        elif fmt == "geojson":
            assert json_mod.loads(payload)["type"] == "FeatureCollection"
        else:
            assert payload.startswith(b"BEGIN:VCALENDAR")
        assert it.stops[0].name_zh.encode("utf-8") in payload


def test_mixed_theme_starts_from_the_selected_theme_and_mixes() -> None:
    at = _app({"theme": "sichuan-opera", "days": "2"})
    at.selectbox(key="theme").set_value("mixed").run()
    _ok(at)
    assert at.slider(key="w_sichuan-opera").value == 1.0
    assert _query(at)["w"] == "sichuan-opera:1"
    at.slider(key="w_stone-carving").set_value(2.0).run()
    _ok(at)
    assert _query(at)["w"] == "sichuan-opera:1,stone-carving:2"
    assert "石刻" in at.subheader[0].value and "川剧" in at.subheader[0].value
    carvings = {
        s.name_zh for s in load_context().catalog.sites.values() if s.kind == "rock_carving"
    }
    assert set(_stop_names(at)) & carvings  # the mix brings carvings in


def test_an_order_that_cannot_fit_is_explained_and_undone() -> None:
    at = _app({"order1": "baodingshan,wofoyuan,banyueshan_dafo,kunfo_si", "days": "2"})
    assert not at.exception
    assert len(at.error) == 1 and "第 1 天" in at.error[0].value
    at.button(key="clear_edits_error").click().run()
    _ok(at)
    assert "order1" not in _query(at)
    assert _day_headers(at) == [1, 2]
