"""Text stages: corpus (ingest), user dictionary, segmentation, keywords and topics."""

from __future__ import annotations

import csv
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from common import settings
from nlp.artifacts import atomic_path
from nlp.config import NlpConfig
from nlp.docslices import DocSlice, plan_slices
from nlp.engine import engine_for, engine_map
from nlp.errors import ThinDataError
from nlp.ingest import (
    IngestOptions,
    IngestReport,
    corpus_fingerprint,
    corpus_size,
    expand_inputs,
    ingest_file,
    iter_corpus,
)
from nlp.lexicon import build_userdict_entries, write_userdict
from nlp.placefrom import PlaceResolver
from nlp.places import PlaceMatcher
from nlp.privacy import AuthorHasher
from nlp.segment import segment_corpus
from nlp.stagebase import (
    NullReporter,
    Reporter,
    StageOutput,
    _doc_groups,
    _file_hash,
    _run,
    _version,
    group_slug,
    iter_docs,
    load_entries,
    load_segmenter,
)

__all__ = ["stage_corpus", "stage_keywords", "stage_segment", "stage_topics", "stage_userdict"]


def stage_corpus(
    inputs: Sequence[str | Path],
    cfg: NlpConfig,
    *,
    source: str | None = None,
    authors: str = "hash",
    place_from: str = "auto",
    place_map: str | Path | None = None,
    sheet: str | None = None,
    rep: Reporter | None = None,
    force: bool = False,
) -> StageOutput:
    """Ingest input files and folders into a corpus artifact (see :mod:`nlp.ingest`)."""
    rep = rep or NullReporter()
    paths = expand_inputs(inputs)
    opts = IngestOptions(
        source=source,
        sheet=sheet,
        authors=authors,
        place_from=place_from,
        place_map=Path(place_map) if place_map else None,
    )
    lex = cfg.lexicon_dir
    params = {
        "source": source,
        "authors": authors,
        "place_from": place_from,
        "sheet": sheet,
        "min_chars": cfg.min_chars,
        "max_chars": cfg.max_chars,
        "near_dup_threshold": cfg.near_dup_threshold,
    }
    names = Counter(p.name for p in paths)  # a name two inputs share is keyed by its path
    in_hashes = {f"input:{p.name if names[p.name] == 1 else p}": _file_hash(p) for p in paths}
    in_hashes |= {
        "boilerplate.txt": _file_hash(lex / "boilerplate.txt"),
        "platforms.yaml": _file_hash(lex / "platforms.yaml"),
        "sources.yaml": _file_hash(lex / "sources.yaml"),
        "sites.csv": _file_hash(cfg.catalog_dir / "sites.csv"),
    }
    if opts.place_map is not None:
        in_hashes["place_map"] = _file_hash(opts.place_map)

    def build(tmp: Path, results: dict[str, Any]) -> None:
        rep.start("corpus", None)
        resolver = PlaceResolver(cfg.catalog_dir, opts.place_map)
        hasher = AuthorHasher.ephemeral(settings.author_key())
        summary = []
        with engine_for(cfg):  # each file's rows are cleaned on the run's engine
            for p in paths:
                r = ingest_file(
                    p,
                    tmp,
                    source=opts.source,
                    sheet=opts.sheet,
                    authors=opts.authors,
                    place_from=opts.place_from,
                    place_map=opts.place_map,
                    cfg=cfg,
                    resolver=resolver,
                    hasher=hasher,
                    progress=lambda k: rep.advance("corpus", k),
                )
                summary.append(_file_summary(p, r))
        results["files"] = summary
        results["documents"] = corpus_size(tmp)
        dests: Counter[str] = Counter()
        for s in summary:
            dests.update(s["destinations"])
        results["destinations"] = dict(sorted(dests.items()))
        _write_rejects_summary(tmp / "rejects_summary.csv", summary)

    return _run(cfg, "corpus", params, in_hashes, build, rep, force=force)


def _file_summary(path: Path, r: IngestReport) -> dict[str, Any]:
    """One input file's line in the corpus stage's results."""
    return {
        "file": str(path),
        "source": r.source,
        "encoding": r.encoding,
        "rows": r.rows,
        "kept": r.kept,
        "rejected": r.rejected,
        "reasons": dict(r.reasons),
        "kept_with_issues": dict(r.kept_with_issues),
        "stripped": dict(r.stripped),
        "masked": dict(r.masked),
        "destinations": dict(r.destinations),
        "place_origin": r.place_origin,
        "unresolved_places": r.unresolved,
        "notices": r.notices,
        "rejects_file": r.rejects_file,
    }


def _write_rejects_summary(path: Path, summary: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "reason", "action", "rows"])
        for s in summary:
            for reason, n in sorted(s["reasons"].items()):
                w.writerow([s["file"], reason, "dropped", n])
            for reason, n in sorted(s["kept_with_issues"].items()):
                w.writerow([s["file"], reason, "kept", n])
            for kind, n in sorted(s["stripped"].items()):
                w.writerow([s["file"], kind, "stripped", n])
            for kind, n in sorted(s["masked"].items()):
                w.writerow([s["file"], kind, "masked", n])


def stage_userdict(cfg: NlpConfig, *, rep: Reporter | None = None) -> StageOutput:
    """Generate the jieba user dictionary from the catalog, heritage items and domain terms."""
    rep = rep or NullReporter()
    cat = cfg.catalog_dir
    inputs = {
        "sites.csv": _file_hash(cat / "sites.csv"),
        "heritage_items.csv": _file_hash(cat / "heritage_items.csv"),
        "domain_terms.txt": _file_hash(cfg.lexicon_dir / "domain_terms.txt"),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        catalog = None
        if (cat / "sites.csv").is_file():
            from kg.catalog import load_catalog  # lazily: nlp does not need kg otherwise

            catalog = load_catalog(cat)
        entries = build_userdict_entries(
            catalog=catalog,
            heritage_csv=cat / "heritage_items.csv",
            domain_terms=cfg.lexicon_dir / "domain_terms.txt",
        )
        write_userdict(tmp / "userdict.txt", entries)
        with open(tmp / "entries.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["word", "tag", "site_id", "origin"])
            for e in entries:
                w.writerow([e.word, e.tag, e.site_id or "", e.origin])
        results["words"] = len(entries)
        results["place_names"] = sum(1 for e in entries if e.site_id)
        results["catalog"] = catalog is not None

    return _run(cfg, "userdict", {}, inputs, build, rep)


def stage_segment(
    corpus: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    backend: str | None = None,
    rep: Reporter | None = None,
    force: bool = False,
) -> StageOutput:
    """Segment the corpus in parallel into ``tokens.parquet`` (see :mod:`nlp.segment`);
    ``backend`` defaults to ``cfg.segmenter``; ``force`` rebuilds an existing artifact."""
    rep = rep or NullReporter()
    backend = backend or cfg.segmenter
    params = {"backend": backend, "min_token_chars": cfg.min_token_chars}
    inputs = {
        "rjieba": str(_version("rjieba") if backend == "rjieba" else None),
        "corpus": corpus_fingerprint(corpus.path),
        "userdict": userdict.key,
        "stopwords_domain.txt": _file_hash(cfg.lexicon_dir / "stopwords_domain.txt"),
        "filler.txt": _file_hash(cfg.lexicon_dir / "filler.txt"),
        "stopwordsiso": str(_version("stopwordsiso")),
        "jieba": str(_version("jieba")),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg, backend=backend)
        matcher = PlaceMatcher(load_entries(userdict.path))
        rep.start("segment", corpus_size(corpus.path))
        with engine_for(cfg) as engine:
            n = segment_corpus(
                plan_slices(
                    corpus.path, columns=("doc_id", "text", "place"), max_rows=cfg.chunk_docs
                ),
                tmp / "tokens.parquet",
                seg,
                matcher=matcher,
                workers=cfg.workers,
                progress=lambda k: rep.advance("segment", k),
                engine=engine,
            )
        results["documents"] = n
        results["workers"] = cfg.workers
        results["corpus_dir"] = str(corpus.path)

    return _run(cfg, "segment", params, inputs, build, rep, force=force)


def stage_keywords(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    group_by: Sequence[str] = ("destination", "site"),
    top_n: int = 100,
    min_df: int = 2,
    rep: Reporter | None = None,
) -> StageOutput:
    """TF-IDF keyword tables per grouping: ``keywords_<by>.csv`` (long), ``table_<by>.csv``
    (report-style top 10), ``groups_<by>.csv`` (document shares), ``vectors_<by>.npz``."""
    from nlp.keywords import fit_keywords

    rep = rep or NullReporter()
    params = {"group_by": list(group_by), "top_n": top_n, "min_df": min_df}
    inputs = {"corpus": corpus.key, "tokens": tokens.key}

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)
        for by in group_by:
            rep.start(f"keywords:{by}", None)

            def chunks() -> Iterator[DocSlice]:
                return plan_slices(
                    corpus.path,
                    columns=("destination", "place"),
                    extra={"tokens": (tokens.path / "tokens.parquet", ("tokens", "sites"))},
                    max_rows=cfg.chunk_docs,
                )

            kt = fit_keywords(
                chunks,
                load=_KeywordDocs(seg, by),
                top_n=top_n,
                min_df=min_df,
                mapper=lambda func, state, items: engine_map(cfg, func, state, items),
            )
            kt.keywords.to_csv(tmp / f"keywords_{by}.csv", index=False, float_format="%.6g")
            kt.groups.to_csv(tmp / f"groups_{by}.csv", index=False, float_format="%.6g")
            kt.wide(10).to_csv(tmp / f"table_{by}.csv", float_format="%.2f")
            sp.save_npz(tmp / f"vectors_{by}.npz", kt.group_vectors)
            (tmp / f"vectors_{by}.json").write_text(
                json.dumps(
                    {"groups": kt.groups["group"].tolist(), "vocabulary": kt.vocabulary},
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            results[by] = {"groups": len(kt.groups), "vocabulary": len(kt.vocabulary)}
            results["documents"] = kt.n_docs

    return _run(cfg, "keywords", params, inputs, build, rep)


@dataclass(frozen=True)
class _KeywordDocs:
    """Turns a slice into :func:`~nlp.keywords.fit_keywords` chunks, in the worker: per
    document its groups under ``by`` and its analysis tokens."""

    seg: Any
    by: str

    def __call__(self, part: DocSlice) -> list[tuple[list[str], list[str]]]:
        expand = self.seg.expand
        return [(_doc_groups(d, self.by), expand(d["tokens"])) for d in part.to_pylist()]


#: documents each topic model is trained on (a seeded sample of the corpus or destination);
#: chosen by measuring coherence against the sample size (docs/benchmarks.md, "LDA training
#: sample")
TOPIC_SAMPLE_DOCS = 20_000


def stage_topics(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    ks: Sequence[int] = (2, 3, 4, 5, 6, 8),
    passes: int = 10,
    iterations: int = 100,
    no_below: int = 3,
    no_above: float = 0.5,
    min_group_docs: int = 30,
    min_docs: int = 10,
    coherence_docs: int = 5000,
    sample_docs: int = TOPIC_SAMPLE_DOCS,
    rep: Reporter | None = None,
) -> StageOutput:
    """LDA over all documents and per destination, k chosen by c_v over ``ks``.

    Each model (overall, and per destination) is trained on a seeded sample of at most
    ``sample_docs`` of its documents (all of them below that), the k values of a sweep in
    parallel; then every document's topics are inferred with the overall model in parallel
    chunks.

    Writes ``coherence.csv`` (group, k, c_v, u_mass, c_npmi, chosen), ``topic_terms.csv``
    (group, k, topic, rank, term, weight), ``doc_topics.parquet`` (overall model) and
    ``models/<slug>/`` (gensim model, dictionary, params).
    """

    rep = rep or NullReporter()
    params = {
        "ks": list(ks),
        "passes": passes,
        "iterations": iterations,
        "no_below": no_below,
        "no_above": no_above,
        "min_group_docs": min_group_docs,
        "min_docs": min_docs,
        "coherence_docs": coherence_docs,
        "sample_docs": sample_docs,
        "seed": cfg.seed,
    }
    inputs = {"corpus": corpus.key, "tokens": tokens.key, "gensim": str(_version("gensim"))}

    sweep_args = {
        "passes": passes,
        "iterations": iterations,
        "no_below": no_below,
        "no_above": no_above,
        "coherence_docs": coherence_docs,
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)
        tokens_path = tokens.path / "tokens.parquet"
        n_docs, sizes = _topic_group_sizes(corpus, min_docs, min_group_docs, results, rep)
        groups: list[str | None] = [None, *sorted(sizes)]
        group_sizes: dict[str | None, int] = {None: n_docs}
        group_sizes.update(sizes)
        samples = _topic_samples(
            corpus, tokens_path, seg.expand, cfg, group_sizes, groups, sample_docs
        )
        coh_rows, term_rows, chosen = [], [], {}
        for group in groups:
            label = group or "all"
            sample = samples.pop(group)
            rep.message(
                f"topics [{label}]: sweeping k over {list(ks)} on {len(sample):,} documents"
            )
            try:
                res = _sweep(functools.partial(iter, sample), ks, label, cfg, rep, **sweep_args)
            except ThinDataError as exc:
                if group is None:
                    raise
                results.setdefault("skipped_groups", {})[label] = str(exc)
                rep.message(f"topics [{label}]: skipped: {exc}")
                continue
            for row in res.table:
                coh_rows.append({"group": label, **row, "chosen": row["k"] == res.best_k})
            model = res.models[res.best_k]
            slug = "all" if group is None else group_slug(group)
            model.save(tmp / "models" / slug)
            for t, terms in enumerate(model.topics(10)):
                for rank, (term, w) in enumerate(terms, 1):
                    term_rows.append((label, res.best_k, t, rank, term, w))
            chosen[label] = {
                "k": res.best_k,
                "folder": f"models/{slug}",
                "docs": model.n_docs_,
                "of": n_docs if group is None else sizes[group],
            }
            if group is None:
                rep.start("topics:infer", n_docs)
                _write_doc_topics(
                    model,
                    seg.expand,
                    corpus,
                    tokens_path,
                    tmp / "doc_topics.parquet",
                    cfg,
                    progress=lambda n: rep.advance("topics:infer", n),
                )
        pd.DataFrame(coh_rows).to_csv(tmp / "coherence.csv", index=False, float_format="%.6f")
        pd.DataFrame(term_rows, columns=["group", "k", "topic", "rank", "term", "weight"]).to_csv(
            tmp / "topic_terms.csv", index=False, float_format="%.6f"
        )
        results["models"] = chosen

    return _run(cfg, "topics", params, inputs, build, rep)


def _topic_group_sizes(
    corpus: StageOutput,
    min_docs: int,
    min_group_docs: int,
    results: dict[str, Any],
    rep: Reporter,
) -> tuple[int, dict[str, int]]:
    """The corpus size and the destinations with enough documents for their own model (the
    others are recorded in ``results["skipped_groups"]`` and reported)."""
    sizes: Counter[str] = Counter()
    for batch in iter_corpus(corpus.path, columns=["destination"]):
        sizes.update(d for d in batch.column("destination").to_pylist() if d)
    n_docs = corpus_size(corpus.path)
    if n_docs < min_docs:
        raise ThinDataError(f"topics need at least {min_docs} documents; the corpus has {n_docs}")
    small = {g: n for g, n in sizes.items() if n < min_group_docs}
    if small:
        results["skipped_groups"] = {
            g: f"{n} documents < min_group_docs={min_group_docs}" for g, n in sorted(small.items())
        }
        rep.message(
            f"topics: no model for {len(small)} destination(s) with fewer than "
            f"{min_group_docs} documents ({', '.join(sorted(small))})"
        )
    return n_docs, {g: n for g, n in sizes.items() if n >= min_group_docs}


def _topic_samples(
    corpus: StageOutput,
    tokens_path: Path,
    expand: Callable[[list[str]], list[str]],
    cfg: NlpConfig,
    sizes: dict[str | None, int],
    groups: Sequence[str | None],
    sample_docs: int,
) -> dict[str | None, list[list[str]]]:
    """Each group's training sample (``None``: the whole corpus), read in one pass: a seeded
    sample of at most ``sample_docs`` of the group's documents, in corpus order, as analysis
    tokens. Equal words share one string object (the samples of a million-document corpus
    stay small)."""
    from nlp.topics import sample_positions

    wanted = {g: set(sample_positions(sizes[g], sample_docs, cfg.seed)) for g in groups}
    seen: Counter[str | None] = Counter()
    out: dict[str | None, list[list[str]]] = {g: [] for g in groups}
    words: dict[str, str] = {}
    for chunk in iter_docs(
        corpus.path,
        tokens_path,
        corpus_columns=("destination",),
        token_columns=("tokens",),
        batch_docs=cfg.chunk_docs,
    ):
        for d in chunk:
            dest = d["destination"]
            for g in (None, dest) if dest is not None and dest in wanted else (None,):
                if seen[g] in wanted[g]:
                    out[g].append([words.setdefault(w, w) for w in expand(d["tokens"])])
                seen[g] += 1
    return out


def _sweep(
    docs: Callable[[], Iterator[list[str]]],
    ks: Sequence[int],
    label: str,
    cfg: NlpConfig,
    rep: Reporter,
    **kwargs: Any,
) -> Any:
    """One coherence sweep (k values in parallel on the run's engine), each k's scores
    reported in order."""
    from nlp.topics import coherence_sweep

    return coherence_sweep(
        docs,
        ks,
        seed=cfg.seed,
        mapper=lambda func, state, items: engine_map(cfg, func, state, items),
        on_k=lambda r: rep.message(
            f"  [{label}] k={r['k']:>2}  c_v={r['c_v']:.4f}  u_mass={r['u_mass']:.4f}  "
            f"c_npmi={r['c_npmi']:.4f}"
        ),
        **kwargs,
    )


def _infer_slice(
    state: tuple[Any, int, Callable[[list[str]], list[str]]], part: DocSlice
) -> tuple[list[str], np.ndarray]:
    """A slice's document ids and topic distributions, in the worker (the slice's number
    seeds it, see :func:`nlp.topics.infer_chunk`)."""
    from nlp.topics import infer_chunk

    model, seed, expand = state
    table = part.table()
    docs = [expand(t) for t in table.column("tokens").to_pylist()]
    return table.column("doc_id").to_pylist(), infer_chunk((model, seed), (part.number, docs))


def _write_doc_topics(
    model: Any,
    expand: Callable[[list[str]], list[str]],
    corpus: StageOutput,
    tokens_path: Path,
    out: Path,
    cfg: NlpConfig,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Infer every document's topics in parallel chunks (each chunk seeded by its number,
    see :func:`nlp.topics.infer_chunk`) and write them in corpus order."""
    k = model.num_topics
    schema = pa.schema(
        [
            ("doc_id", pa.string()),
            ("dominant_topic", pa.int32()),
            ("topics", pa.list_(pa.float32())),
        ]
    )
    slices = plan_slices(
        corpus.path, extra={"tokens": (tokens_path, ("tokens",))}, max_rows=cfg.chunk_docs
    )
    with atomic_path(out) as part:
        writer = pq.ParquetWriter(part, schema)
        try:
            for doc_ids, dist in engine_map(cfg, _infer_slice, (model, cfg.seed, expand), slices):
                dist = dist.reshape(-1, k)
                table = pa.table(
                    {
                        "doc_id": doc_ids,
                        "dominant_topic": np.argmax(dist, axis=1).astype(np.int32),
                        "topics": [list(map(float, row)) for row in dist],
                    },
                    schema=schema,
                )
                writer.write_table(table)
                if progress:
                    progress(len(doc_ids))
        finally:
            writer.close()
