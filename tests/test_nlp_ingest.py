"""Ingest: encodings, formats, column mappings, rejects, dedupe, idempotence."""

from __future__ import annotations

import csv
import json
import random
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow.parquet as pq
import pytest

from nlp.config import NlpConfig
from nlp.errors import IngestError
from nlp.ingest import (
    CORPUS_SCHEMA,
    corpus_size,
    detect_encoding,
    ingest_file,
    iter_corpus,
    parse_rating,
)

LONG_A = "大足石刻的宝顶山摩崖造像规模宏大，千手观音金光闪闪，讲解员讲得很细致，值得花半天慢慢看。"
LONG_B = "安岳卧佛院游客很少，卧佛安详宁静，圆觉洞也值得一去，交通不太方便，建议自驾前往。"
LONG_C = "北山石刻比宝顶山安静，造像精美，下午光线好，拍照很出片，门票九十元，建议提前预约。"


KEYS = Path(tempfile.mkdtemp(prefix="heritage-test-keys-"))  # author-hash keys, not in $HOME


def _cfg(**kw: object) -> NlpConfig:
    return NlpConfig(**{"chunk_docs": 3, "key_dir": KEYS, **kw})  # type: ignore[arg-type]


def _write_csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _rejects(corpus: Path, report) -> list[dict[str, str]]:
    with open(corpus / report.rejects_file, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _docs(corpus: Path) -> list[dict]:
    return [r for b in iter_corpus(corpus) for r in b.to_pylist()]


def test_gbk_csv_detected_and_ingested(tmp_path: Path) -> None:
    src = _write_csv(
        tmp_path / "export_gbk.csv",
        [
            ["内容", "景点", "评分", "时间", "用户名"],
            [LONG_A, "宝顶山", "5", "2023/5/1", "张三"],
            [LONG_B, "卧佛院", "4分", "2023年6月2日", "李四"],
        ],
        "gbk",
    )
    assert detect_encoding(src) == "gb18030"
    rep = ingest_file(src, tmp_path / "corpus", cfg=_cfg())
    assert (rep.encoding, rep.source, rep.kept, rep.rejected) == ("gb18030", "generic", 2, 0)
    docs = _docs(tmp_path / "corpus")
    assert docs[0]["text"].startswith("大足石刻的宝顶山") and docs[0]["place"] == "宝顶山"
    assert docs[1]["rating"] == 4.0 and docs[1]["date"] == "2023-06-02"
    assert docs[0]["author_hash"] and "张三" not in json.dumps(docs, ensure_ascii=False)
    assert docs[0]["source_line"] == 2 and docs[1]["source_line"] == 3


def test_utf8_bom_csv(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "bom.csv", [["text", "spot"], [LONG_C, "北山"]], "utf-8-sig")
    assert detect_encoding(src) == "utf-8-sig"
    rep = ingest_file(src, tmp_path / "corpus", cfg=_cfg())
    assert rep.kept == 1
    assert _docs(tmp_path / "corpus")[0]["place"] == "北山"


def test_xlsx_ctrip_shape(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["用户名", "点评内容", "评分", "点评时间", "景点"])
    ws.append(["u1", LONG_A, 5, "2024-01-03 10:00", "宝顶山"])
    ws.append([None, None, None, None, None])  # blank row: not a record
    ws.append(["u2", "", 3, "2024-01-04", "北山"])  # empty text
    ws.append(["u3", LONG_B, "很好", "2024-01-05", "卧佛院"])  # bad rating: kept, noted
    path = tmp_path / "ctrip.xlsx"
    wb.save(path)
    rep = ingest_file(path, tmp_path / "corpus", cfg=_cfg())
    assert (rep.source, rep.encoding, rep.kept) == ("ctrip", "xlsx", 2)
    rej = _rejects(tmp_path / "corpus", rep)
    assert {(r["reason"], r["source_line"], r["action"]) for r in rej} == {
        ("empty_text", "4", "dropped"),
        ("bad_rating", "5", "kept"),
    }
    docs = _docs(tmp_path / "corpus")
    assert docs[0]["platform"] == "ctrip" and docs[0]["rating"] == 5.0
    assert docs[1]["rating"] is None


def test_weibo_markup_reposts_and_bad_rows(tmp_path: Path) -> None:
    rows = [
        ["微博正文", "发布时间", "用户昵称", "微博链接"],
        [f"#大足石刻# {LONG_A}[赞] http://t.cn/A6x 展开全文c", "2023-05-01", "a", "u1"],
        [f"太美了//@旅行者:{LONG_A}", "2023-05-02", "b", "u2"],  # repost: near duplicate
        [f"#大足石刻# {LONG_A}[赞]", "2023-05-03", "c", "u3"],  # same text after normalising
        ["转发微博", "2023-05-04", "d", "u4"],  # nothing left after boilerplate
        ["", "2023-05-05", "e", "u5"],
        ["好" * 80, "2023-05-06", "f", "u6"],  # over-long with max_chars=60
        [LONG_B, "2023-05-07", "g", "u7", "extra"],  # malformed: 5 fields
        [LONG_C, "not a date", "h", "u8"],
    ]
    src = _write_csv(tmp_path / "weibo.csv", rows, "utf-8")
    rep = ingest_file(src, tmp_path / "corpus", cfg=_cfg(max_chars=60))
    assert rep.source == "weibo" and rep.kept == 2
    reasons = {r["source_line"]: r["reason"] for r in _rejects(tmp_path / "corpus", rep)}
    assert reasons == {
        "3": "duplicate_near",
        "4": "duplicate_exact",
        "5": "empty_after_normalise",
        "6": "empty_text",
        "7": "too_long",
        "8": "malformed_row",
        "9": "bad_date",
    }
    texts = [d["text"] for d in _docs(tmp_path / "corpus")]
    assert texts[0] == normalize_expected(LONG_A)
    assert all("http" not in t and "#" not in t and "展开全文" not in t for t in texts)
    assert rep.rows == 8 and rep.kept + rep.rejected == rep.rows


def normalize_expected(text: str) -> str:
    from nlp.textnorm import normalize_zh

    return normalize_zh("大足石刻 " + text)


def test_jsonl_with_invalid_line(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    lines = [
        json.dumps({"doc_id": "x1", "text": LONG_A, "destination": "大足", "rating": 5}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"doc_id": "x2", "text": LONG_B, "destination": "安岳", "rating": None}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep = ingest_file(path, tmp_path / "corpus", cfg=_cfg())
    assert rep.kept == 2
    assert [r["reason"] for r in _rejects(tmp_path / "corpus", rep)] == ["invalid_json"] * 2
    docs = _docs(tmp_path / "corpus")
    assert [d["doc_id"] for d in docs] == ["x1", "x2"]
    assert docs[1]["destination"] == "安岳"


def test_missing_text_column_names_file_and_columns(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "no_text.csv", [["标题", "评分"], ["宝顶山", "5"]], "utf-8")
    with pytest.raises(IngestError) as exc:
        ingest_file(src, tmp_path / "corpus", cfg=_cfg())
    msg = str(exc.value)
    assert "no_text.csv" in msg and "标题, 评分" in msg and "内容" in msg


def test_unknown_source_and_unsupported_type(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "a.csv", [["text"], [LONG_A]], "utf-8")
    with pytest.raises(IngestError, match="unknown source"):
        ingest_file(src, tmp_path / "corpus", source="nope", cfg=_cfg())
    bad = tmp_path / "a.pdf"
    bad.write_bytes(b"%PDF")
    with pytest.raises(IngestError, match="unsupported file type"):
        ingest_file(bad, tmp_path / "corpus", cfg=_cfg())


def test_reingest_adds_nothing(tmp_path: Path) -> None:
    rows = [["text", "spot"], [LONG_A, "宝顶山"], [LONG_B, "卧佛院"], ["很好", "北山"]]
    src = _write_csv(tmp_path / "a.csv", rows, "utf-8")
    corpus = tmp_path / "corpus"
    first = ingest_file(src, corpus, cfg=_cfg())
    assert first.kept == 3 and not first.already_ingested
    again = ingest_file(src, corpus, cfg=_cfg())
    assert again.already_ingested and again.kept == 0 and corpus_size(corpus) == 3
    # the same rows in another file (re-export as GBK) are duplicates of kept documents
    other = _write_csv(tmp_path / "b.csv", rows, "gbk")
    rep = ingest_file(other, corpus, cfg=_cfg())
    assert rep.kept == 0 and rep.reasons == {"duplicate_exact": 3}
    assert corpus_size(corpus) == 3


def test_short_identical_reviews_from_different_people_are_kept(tmp_path: Path) -> None:
    rows = [["text", "author", "date"], ["很好", "a", "2023-01-01"], ["很好", "b", "2023-01-01"]]
    src = _write_csv(tmp_path / "short.csv", rows, "utf-8")
    rep = ingest_file(src, tmp_path / "corpus", cfg=_cfg())
    assert rep.kept == 2


def test_parquet_schema_version(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "a.csv", [["text"], [LONG_A]], "utf-8")
    rep = ingest_file(src, tmp_path / "corpus", cfg=_cfg())
    schema = pq.read_schema(tmp_path / "corpus" / rep.part_file)
    assert schema.metadata[b"heritage.schema_version"] == b"1"
    assert schema.names == CORPUS_SCHEMA.names


def test_undecodable_line_is_rejected_not_garbled(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = f"text\n{LONG_A}\n".encode()
    path.write_bytes(good + b"\xff\xfe broken \xc3\n" + f"{LONG_B}\n".encode())
    enc = detect_encoding(path)
    rep = ingest_file(path, tmp_path / "corpus", encoding="utf-8", cfg=_cfg())
    assert enc  # detection succeeds on the sample
    assert rep.kept == 2 and rep.reasons["undecodable_bytes"] == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), (4, 4.0), ("4.5", 4.5), ("3分", 3.0), ("★★★★☆", 4.0)],
)
def test_parse_rating(value: object, expected: float | None) -> None:
    assert parse_rating(value) == expected


@pytest.mark.parametrize("value", ["很好", "7", "-1", True])
def test_parse_rating_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_rating(value)


def test_utf16_tab_separated_excel_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "excel_unicode.txt"
    path.write_text(f"评论内容\t评分\n{LONG_A}\t5\n{LONG_B}\t2\n", encoding="utf-16")
    assert detect_encoding(path) == "utf-16"
    rep = ingest_file(path, tmp_path / "corpus", cfg=_cfg())
    assert rep.kept == 2
    assert [d["rating"] for d in _docs(tmp_path / "corpus")] == [5.0, 2.0]


def test_big5_traditional_export_is_simplified(tmp_path: Path) -> None:
    text = "臺灣遊客說寶頂山的千手觀音非常壯觀，導遊講解很詳細，值得專程前往參觀。"
    src = _write_csv(tmp_path / "big5.csv", [["content"], [text], [text + "再來一次"]], "big5")
    assert detect_encoding(src) == "big5"
    rep = ingest_file(src, tmp_path / "corpus", cfg=_cfg())
    assert rep.kept >= 1
    assert _docs(tmp_path / "corpus")[0]["text"].startswith("台湾游客说宝顶山的千手观音")


def test_key_table_keeps_the_first_value_across_merges() -> None:
    from nlp.dedupe import _KeyTable

    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    table, ref = _KeyTable(merge_at=97), {}  # many merges of unsorted batches
    for i in range(0, len(keys), 10):
        batch = keys[i : i + 10]
        table.add_many(batch, i)
        for k in batch.tolist():
            ref.setdefault(k, i)
    again = rng.choice(keys, size=300)
    table.add_many(again, -1)  # present keys keep their first value
    assert len(table) == len(ref)
    assert table.get_many(keys) == [ref[k] for k in keys.tolist()]
    missing = rng.integers(0, 2**63, size=50, dtype=np.uint64)
    assert table.get_many(missing) == [ref.get(k) for k in missing.tolist()]


def test_near_duplicates_are_found_in_a_large_index() -> None:
    from nlp.dedupe import MinHashIndex

    rng = random.Random(3)
    alphabet = "石刻宝顶山北山大足安岳卧佛院千手观音摩崖造像游客排队门票讲解路况天气很好不错一般"
    docs = ["".join(rng.choice(alphabet) for _ in range(60)) for _ in range(3000)]
    index = MinHashIndex(threshold=0.8)
    for i, d in enumerate(docs):
        index.add(f"d{i}", index.signature(d))
    hits = 0
    for i in rng.sample(range(len(docs)), 200):
        copy = docs[i][:-2] + "！！"  # a repost with a changed ending
        found = index.query(index.signature(copy))
        hits += found is not None and found[0] == f"d{i}"
    assert hits >= 190  # LSH may miss a few by design; not more
    assert index.query(index.signature("".join(rng.choice(alphabet) for _ in range(60)))) is None
