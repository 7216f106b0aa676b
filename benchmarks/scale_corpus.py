"""The scale benchmarks' resampled corpus: documents assembled from sentences of the embedded
sample corpus (our own text, ``data/corpus/sample_reviews.jsonl``), seeded."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "corpus" / "sample_reviews.jsonl"

_SENT = re.compile(r"[^。!?;\n]+[。!?;]?")


def make_corpus(n: int, out: Path, seed: int) -> None:
    """Write ``n`` documents assembled from 1–4 random sample sentences (plus metadata)."""
    rng = random.Random(seed)
    docs = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    pool = [(d, s) for d in docs for s in _SENT.findall(d["text"]) if len(s) >= 4]
    with open(out, "w", encoding="utf-8") as fh:
        for i in range(n):
            base, _ = rng.choice(pool)
            parts = [s for _, s in rng.choices(pool, k=rng.randint(1, 4))]
            doc = {
                "doc_id": f"r{i:06d}",
                "platform": base["platform"],
                "destination": base["destination"],
                "place": base["place"],
                "rating": base["rating"],
                "date": base["date"],
                "text": "".join(parts),
            }
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
