"""Self-describing topic-model results for papers, and the plots the notebooks show.

:func:`write_topics_report` completes a folder that ``heritage nlp topics --out DIR`` filled
with the topics artifact (models, ``coherence.csv``, ``topic_terms.csv``, ``manifest.json``).
It adds what a paper needs to cite exactly what was run:

``run.json``
    parameters, seed, the corpus (each input file's SHA-256, documents kept), the upstream
    artifact keys, Python and package versions, platform, git commit, command line, time.
``tables/``
    ``coherence.csv``, ``topic_terms.csv``, ``topics_wide.csv`` (one row per topic, terms
    joined) and ``doc_topics.csv`` (the overall model's document–topic weights).
``plots/``
    coherence against k (``coherence.png``/``.svg``) and each group's topic–term bars
    (``topics_<group>.png``/``.svg``), Chinese labels in the bundled CJK font.
``SHA256SUMS``
    checksums of the tables: two runs with the same seed and corpus give the same file.
``README.md``
    what each file is and the command that reproduces it.

Plots are built with matplotlib's object API (``Figure``, no pyplot state), so the same
functions serve the CLI and the notebooks. SVGs are written with a fixed hash salt and no
date, so they too are byte-identical across identical runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from common.artifacts import library_versions
from nlp.artifacts import atomic_write_json, atomic_write_text, load_manifest, sha256_file

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.figure import Figure

    from nlp.config import NlpConfig
    from nlp.pipeline import StageOutput
    from nlp.topics import TopicModel

__all__ = [
    "REPORT_PACKAGES",
    "compare_topics",
    "environment",
    "fit_group_topics",
    "group_token_docs",
    "ldavis_prepare",
    "plot_coherence",
    "plot_term_network",
    "plot_topic_terms",
    "save_figure",
    "topics_wide",
    "write_topics_report",
]

#: Packages whose versions shape topic results or their plots.
REPORT_PACKAGES = (
    "heritage-routes",
    "jieba",
    "gensim",
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "pyarrow",
    "snownlp",
    "networkx",
    "matplotlib",
    "wordcloud",
    "opencc-python-reimplemented",
    "stopwordsiso",
)
_SVG_SALT = "heritage-routes"


def environment(packages: Sequence[str] = REPORT_PACKAGES) -> dict[str, Any]:
    """Python version, platform and installed versions of ``packages`` (``None`` if absent)."""
    versions = library_versions(packages)
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
    }


# ============================================================================ tables


def topics_wide(terms: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """One row per (group, k, topic) with its top terms joined by spaces and their weights."""
    rows = []
    for (g, k, t), part in terms.groupby(["group", "k", "topic"], sort=True):
        part = part.sort_values("rank").head(top)
        rows.append(
            {
                "group": g,
                "k": int(k),
                "topic": int(t),
                "terms": " ".join(part["term"].astype(str)),
                "weights": " ".join(f"{w:.4f}" for w in part["weight"]),
            }
        )
    return pd.DataFrame(rows, columns=["group", "k", "topic", "terms", "weights"])


def compare_topics(
    ours: Sequence[Sequence[str]], reference: Sequence[Sequence[str]]
) -> pd.DataFrame:
    """Match our topics to reference topics (one to one) by overlap of their top words.

    The assignment maximises the total Jaccard overlap (Hungarian algorithm,
    :func:`scipy.optimize.linear_sum_assignment`); unmatched topics of the longer list are
    reported with no partner.

    Returns
    -------
    pandas.DataFrame
        ``reference_topic, our_topic, jaccard, shared, reference_only, ours_only`` (topics
        numbered from 1), best matches first.
    """
    from scipy.optimize import linear_sum_assignment

    ref_sets = [set(t) for t in reference]
    our_sets = [set(t) for t in ours]
    J = np.zeros((len(ref_sets), len(our_sets)))
    for i, a in enumerate(ref_sets):
        for j, b in enumerate(our_sets):
            J[i, j] = len(a & b) / len(a | b) if a | b else 0.0
    ri, ci = linear_sum_assignment(-J) if J.size else (np.array([], int), np.array([], int))
    rows = []
    for i, j in zip(ri, ci, strict=True):
        a, b = ref_sets[i], our_sets[j]
        rows.append(
            {
                "reference_topic": i + 1,
                "our_topic": j + 1,
                "jaccard": round(float(J[i, j]), 4),
                "shared": " ".join(w for w in reference[i] if w in b),
                "reference_only": " ".join(w for w in reference[i] if w not in b),
                "ours_only": " ".join(w for w in ours[j] if w not in a),
            }
        )
    for i in sorted(set(range(len(ref_sets))) - set(ri.tolist())):
        rows.append(
            {
                "reference_topic": i + 1,
                "our_topic": None,
                "jaccard": 0.0,
                "shared": "",
                "reference_only": " ".join(reference[i]),
                "ours_only": "",
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["jaccard", "reference_topic"], ascending=[False, True]).reset_index(
        drop=True
    )


# ============================================================================ models


def group_token_docs(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    destinations: Sequence[str] | None = None,
) -> list[list[str]]:
    """Token lists (as the topics stage feeds LDA) of the documents of some destinations.

    Held in memory: meant for notebooks and corpora of up to some hundred thousand reviews;
    the pipeline's own stages stream.
    """
    from nlp.pipeline import iter_docs, load_segmenter

    wanted = set(destinations) if destinations is not None else None
    seg = load_segmenter(userdict.path, cfg)
    out = []
    for chunk in iter_docs(corpus.path, tokens.path / "tokens.parquet", batch_docs=cfg.chunk_docs):
        for d in chunk:
            if wanted is None or d["destination"] in wanted:
                out.append(seg.expand(d["tokens"]))
    return out


def fit_group_topics(
    docs: Sequence[Sequence[str]],
    k: int,
    *,
    seed: int = 42,
    passes: int = 10,
    iterations: int = 100,
    no_below: int = 3,
    no_above: float = 0.5,
) -> TopicModel:
    """A seeded LDA with a fixed k on given token lists (e.g. the report's k = 4 for 资阳).

    Raises
    ------
    ValueError
        When no documents are given or the dictionary is empty after pruning.
    """
    from nlp.topics import TopicModel

    if not docs:
        raise ValueError("no documents for this group: check the destination names")
    return TopicModel(
        k,
        passes=passes,
        iterations=iterations,
        random_state=seed,
        no_below=no_below,
        no_above=no_above,
    ).fit(lambda: iter(docs))


def ldavis_prepare(model: TopicModel, docs: Sequence[Sequence[str]]) -> Any | None:
    """pyLDAvis data for a fitted model (``pyLDAvis.display`` / ``save_html`` it).

    Returns ``None`` when pyLDAvis is not installed (it is in the ``dev`` and ``notebooks``
    extras). Runs in one process, PCoA layout, topics in the model's order (numbered from 1).
    """
    try:
        import pyLDAvis.gensim_models
    except ImportError:
        return None
    bow = [model.dictionary_.doc2bow(list(d)) for d in docs]
    return pyLDAvis.gensim_models.prepare(
        model.model_, bow, model.dictionary_, sort_topics=False, n_jobs=1, mds=pcoa_layout
    )


def pcoa_layout(distributions: np.ndarray) -> np.ndarray:
    """Two-dimensional PCoA of topic-term distributions (Jensen–Shannon divergence).

    pyLDAvis's own ``"pcoa"`` uses a general eigensolver, which on current numpy returns complex
    values for this symmetric matrix and then fails to serialise; ``eigh`` keeps it real.
    """
    from scipy.spatial.distance import jensenshannon, pdist, squareform

    dist = np.asarray(distributions, dtype=float)
    pair = squareform(pdist(dist, metric=jensenshannon)) ** 2  # JS divergence, as pyLDAvis
    n = pair.shape[0]
    centre = np.eye(n) - np.ones((n, n)) / n
    b = -centre @ (pair**2) @ centre / 2
    vals, vecs = np.linalg.eigh((b + b.T) / 2)
    order = np.argsort(vals)[::-1][:2]
    return np.asarray(vecs[:, order] * np.sqrt(np.clip(vals[order], 0.0, None)))


# ============================================================================ plots


def _cjk_font() -> Any:
    from matplotlib.font_manager import FontProperties

    from nlp.fonts import find_cjk_font

    return FontProperties(fname=str(find_cjk_font()))


def plot_coherence(coherence: pd.DataFrame, *, measures: Sequence[str] | None = None) -> Figure:
    """Coherence against k, one panel per measure, one line per group; chosen k circled.

    Parameters
    ----------
    coherence
        ``coherence.csv`` of the topics stage (``group, k, <measures>, chosen``).
    measures
        Columns to plot (default: those of ``c_v, u_mass, c_npmi`` present).
    """
    from matplotlib.figure import Figure

    measures = list(measures or [m for m in ("c_v", "u_mass", "c_npmi") if m in coherence])
    font = _cjk_font()
    fig = Figure(figsize=(4.2 * len(measures), 3.4), layout="constrained")
    axes = fig.subplots(1, len(measures), squeeze=False)[0]
    for ax, m in zip(axes, measures, strict=True):
        for g, part in coherence.groupby("group", sort=True):
            part = part.sort_values("k")
            (line,) = ax.plot(part["k"], part[m], marker=".", label=str(g))
            chosen = part[part["chosen"].astype(bool)]
            ax.scatter(chosen["k"], chosen[m], s=90, facecolors="none", edgecolors=line.get_color())
        ax.set_xlabel("k (topics)")
        ax.set_title(m)
        ax.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", prop=font, title="○ chosen (c_v)")
    return fig


def plot_topic_terms(
    terms: pd.DataFrame, group: str, *, k: int | None = None, top: int = 10, cols: int = 4
) -> Figure:
    """Horizontal bars of each topic's top terms and weights for one group.

    ``k`` defaults to the (only) k present for the group in ``terms`` (the chosen model).
    """
    from matplotlib.figure import Figure

    part = terms[terms["group"] == group]
    if part.empty:
        raise ValueError(
            f"no topics for group {group!r}; groups: {sorted(terms['group'].unique())}"
        )
    k = int(k if k is not None else part["k"].max())
    part = part[part["k"] == k]
    topics = sorted(part["topic"].unique())
    ncols = min(cols, len(topics))
    nrows = -(-len(topics) // ncols)
    font = _cjk_font()
    fig = Figure(figsize=(3.0 * ncols, 0.28 * top * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, t in zip(axes, topics, strict=False):
        rows = part[part["topic"] == t].sort_values("rank").head(top)
        ax.barh(range(len(rows))[::-1], rows["weight"], color="#4c72b0")
        ax.set_yticks(range(len(rows))[::-1], rows["term"].astype(str), fontproperties=font)
        ax.set_title(f"topic {t + 1}", fontsize=10)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[len(topics) :]:
        ax.set_visible(False)
    fig.suptitle(f"{group}: LDA k={k}", fontproperties=font)
    return fig


def plot_term_network(
    G: nx.Graph, *, top: int = 40, seed: int = 42, min_weight: float | None = None
) -> Figure:
    """Draw the co-occurrence network of the ``top`` most connected terms (spring layout).

    Node size follows document frequency (``df`` attribute) when present, edge width the
    co-occurrence weight. The layout is seeded.
    """
    import networkx as nx
    from matplotlib.figure import Figure

    strength = dict(G.degree(weight="weight"))
    keep = sorted(strength, key=lambda n: (-strength[n], str(n)))[:top]
    H = G.subgraph(keep).copy()
    if min_weight is not None:
        H.remove_edges_from([(a, b) for a, b, w in H.edges(data="weight") if w < min_weight])
    pos = nx.spring_layout(H, seed=seed, weight="weight")
    fig = Figure(figsize=(8, 6.5), layout="constrained")
    ax = fig.subplots()
    widths = np.array([w for *_, w in H.edges(data="weight", default=1.0)], dtype=float)
    if widths.size:
        widths = 0.3 + 3.0 * widths / widths.max()
    df = np.array([H.nodes[n].get("df", strength.get(n, 1)) for n in H], dtype=float)
    sizes = 80 + 900 * df / df.max() if df.size else []
    nx.draw_networkx_edges(H, pos, ax=ax, width=widths, alpha=0.35, edge_color="#777777")
    nx.draw_networkx_nodes(H, pos, ax=ax, node_size=sizes, node_color="#dd8452", alpha=0.85)
    font = _cjk_font()
    for n, (x, y) in pos.items():
        ax.text(x, y, str(n), fontproperties=font, fontsize=9, ha="center", va="center")
    ax.set_axis_off()
    return fig


def save_figure(
    fig: Figure, stem: str | Path, *, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (reproducible: fixed SVG ids, no date)."""
    import matplotlib as mpl

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with mpl.rc_context({"svg.hashsalt": _SVG_SALT, "svg.fonttype": "path"}):
        for fmt in formats:
            path = stem.with_suffix(f".{fmt}")
            meta = {"Date": None} if fmt in ("svg", "pdf") else {"Software": None}
            fig.savefig(path, format=fmt, dpi=150, metadata=meta)
            out.append(path)
    return out


# ============================================================================ the folder


def _corpus_record(corpus_dir: Path) -> dict[str, Any]:
    m = load_manifest(corpus_dir)
    files = []
    for f in m.get("results", {}).get("files", []):
        name = Path(f["file"]).name
        files.append(
            {
                "file": name,
                "sha256": m.get("inputs", {}).get(f"input:{name}"),
                "encoding": f.get("encoding"),
                "source": f.get("source"),
                "rows": f.get("rows"),
                "kept": f.get("kept"),
                "rejected": f.get("rejected"),
            }
        )
    return {
        "artifact_key": m.get("key"),
        "documents": m.get("results", {}).get("documents"),
        "files": files,
        "params": m.get("params", {}),
    }


def write_topics_report(
    dest: str | Path,
    *,
    corpus_dir: str | Path,
    topics_dir: str | Path | None = None,
    command: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Complete a topics result folder: ``run.json``, CSV tables, plots, checksums, README.

    Parameters
    ----------
    dest
        The result folder.
    corpus_dir
        The corpus artifact the topics were fitted on (for file hashes and counts).
    topics_dir
        The topics artifact, copied into ``dest``; default: ``dest`` already holds a copy.
    command
        The command line to record (default ``sys.argv``).

    Returns
    -------
    dict
        The content of ``run.json``.
    """
    dest = Path(dest)
    src = Path(topics_dir) if topics_dir else dest
    if src.resolve() != dest.resolve():  # bring models and manifest along
        import shutil

        shutil.copytree(src, dest, dirs_exist_ok=True)
    manifest = load_manifest(src)
    coh = pd.read_csv(src / "coherence.csv")
    terms = pd.read_csv(src / "topic_terms.csv")
    tables = dest / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    coh.to_csv(tables / "coherence.csv", index=False, float_format="%.6f")
    terms.to_csv(tables / "topic_terms.csv", index=False, float_format="%.6f")
    topics_wide(terms).to_csv(tables / "topics_wide.csv", index=False)
    if (src / "doc_topics.parquet").is_file():
        dt_ = pd.read_parquet(src / "doc_topics.parquet")
        weights = pd.DataFrame(
            np.vstack(dt_["topics"].to_numpy()) if len(dt_) else np.zeros((0, 0)),
            columns=[
                f"topic_{i + 1}" for i in range(len(dt_["topics"].iloc[0]) if len(dt_) else 0)
            ],
        )
        pd.concat(
            [dt_[["doc_id"]], (dt_["dominant_topic"] + 1).rename("dominant_topic"), weights], axis=1
        ).to_csv(tables / "doc_topics.csv", index=False, float_format="%.6f")
    plots = dest / "plots"
    written = save_figure(plot_coherence(coh), plots / "coherence")
    from nlp.pipeline import group_slug

    for g in sorted(terms["group"].unique()):
        slug = "all" if g == "all" else group_slug(str(g))
        written += save_figure(plot_topic_terms(terms, str(g)), plots / f"topics_{slug}")
    sums = "".join(
        f"{sha256_file(p)}  {p.relative_to(dest).as_posix()}\n"
        for p in sorted(tables.glob("*.csv"))
    )
    atomic_write_text(dest / "SHA256SUMS", sums)
    cmd = list(command) if command is not None else list(sys.argv)
    run = {
        "what": "LDA topic models per destination and overall, k chosen by c_v coherence",
        "parameters": manifest.get("params", {}),
        "seed": manifest.get("seed"),
        "chosen": manifest.get("results", {}).get("models", {}),
        "corpus": _corpus_record(Path(corpus_dir)),
        "upstream_artifacts": manifest.get("inputs", {}),
        "environment": environment(),
        "git_commit": manifest.get("git_commit"),
        "command": " ".join(shlex.quote(c) for c in cmd),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tables_sha256": hashlib.sha256(sums.encode("utf-8")).hexdigest(),
        "files": sorted(p.relative_to(dest).as_posix() for p in [*tables.glob("*.csv"), *written]),
    }
    atomic_write_json(dest / "run.json", run)
    atomic_write_text(dest / "README.md", _readme(run))
    return run


def _readme(run: Mapping[str, Any]) -> str:
    p = run["parameters"]
    files = "\n".join(
        f"- `{f['file']}` sha256 `{f['sha256']}` ({f['kept']} of {f['rows']} rows kept)"
        for f in run["corpus"]["files"]
    )
    chosen = "\n".join(
        f"- {g}: k = {m['k']} ({m['docs']} documents)" for g, m in run["chosen"].items()
    )
    return f"""# Topic models — result folder

Produced by `{run["command"]}` at {run["created_utc"]} (git `{run["git_commit"]}`).

## Corpus

{run["corpus"]["documents"]} documents after normalisation and de-duplication, from:

{files}

## Parameters

Seed {run["seed"]}; k swept over {p.get("ks")}; {p.get("passes")} passes, {p.get("iterations")}
iterations; dictionary: terms in at least {p.get("no_below")} documents and at most
{p.get("no_above")} of them; groups with at least {p.get("min_group_docs")} documents get their
own model. Chosen k per group (highest c_v; ties to the smaller k):

{chosen}

## Files

- `run.json` — everything above plus Python and package versions and the platform.
- `tables/coherence.csv` — c_v, u_mass and c_npmi for every group and k.
- `tables/topic_terms.csv`, `tables/topics_wide.csv` — top terms and weights of the chosen models.
- `tables/doc_topics.csv` — document–topic weights of the overall model (topics numbered from 1).
- `plots/*.png`, `plots/*.svg` — coherence against k; topic–term bars per group.
- `models/<group>/` — the gensim models and dictionaries (`nlp.topics.TopicModel.load`).
- `manifest.json` — the pipeline artifact's own manifest.
- `SHA256SUMS` — checksums of the tables; an identical rerun reproduces them
  (`sha256sum -c SHA256SUMS`).

Topics in `topic_terms.csv` are numbered from 0 (gensim's numbering); plots and
`doc_topics.csv` number them from 1.
"""
