"""Term co-occurrence network (networkx; GraphML and GEXF for Gephi) and word clouds.

Nodes are the ``top_n`` terms by document frequency; an edge joins two terms that occur in the
same document, weighted by the number of such documents, kept when the weight reaches
``min_weight`` (then at most ``max_edges`` heaviest edges). Counting streams over documents.
Word clouds are rendered by ``wordcloud`` with a CJK font from :func:`nlp.fonts.find_cjk_font`.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import networkx as nx

from nlp.artifacts import atomic_path

__all__ = ["cooccurrence_graph", "render_wordcloud", "write_graph"]


def cooccurrence_graph(
    docs: Callable[[], Iterator[Sequence[str]]],
    *,
    top_n: int = 80,
    min_weight: int = 2,
    max_edges: int = 400,
) -> nx.Graph:
    """Build the co-occurrence graph of frequent terms.

    Parameters
    ----------
    docs
        Returns a fresh iterator of token lists (called twice).
    top_n
        Terms (nodes) kept, by document frequency.
    min_weight
        Minimum co-occurring documents for an edge.
    max_edges
        Heaviest edges kept.

    Returns
    -------
    networkx.Graph
        Node attributes ``df``; edge attribute ``weight``.
    """
    df: Counter[str] = Counter()
    for tokens in docs():
        df.update(set(tokens))
    top = [t for t, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]]
    keep = set(top)
    pairs: Counter[tuple[str, str]] = Counter()
    for tokens in docs():
        present = sorted(keep.intersection(tokens))
        pairs.update(itertools.combinations(present, 2))
    edges = sorted(
        ((a, b, w) for (a, b), w in pairs.items() if w >= min_weight),
        key=lambda e: (-e[2], e[0], e[1]),
    )[:max_edges]
    G = nx.Graph()
    for t in top:
        G.add_node(t, label=t, df=int(df[t]))
    G.add_weighted_edges_from(edges)
    return G


def write_graph(G: nx.Graph, folder: str | Path, stem: str = "cooccurrence") -> list[Path]:
    """Write GraphML and GEXF files atomically; return their paths."""
    folder = Path(folder)
    out = []
    for ext, writer in (("graphml", nx.write_graphml), ("gexf", nx.write_gexf)):
        path = folder / f"{stem}.{ext}"
        with atomic_path(path) as tmp:
            writer(G, tmp)
        out.append(path)
    return out


def render_wordcloud(
    frequencies: Mapping[str, float],
    path: str | Path,
    *,
    font_path: str | Path | None = None,
    width: int = 800,
    height: int = 500,
    seed: int = 42,
) -> Path:
    """Render a word cloud PNG (atomically) from term weights.

    Parameters
    ----------
    frequencies
        Term → weight (e.g. TF-IDF sums).
    path
        Output PNG.
    font_path
        A font with CJK glyphs; default :func:`nlp.fonts.find_cjk_font`.
    width, height
        Image size in pixels.
    seed
        Layout seed.

    Returns
    -------
    Path
    """
    from wordcloud import WordCloud

    from nlp.fonts import find_cjk_font

    if not frequencies:
        raise ValueError("no terms to draw")
    font = str(font_path or find_cjk_font())
    wc = WordCloud(
        font_path=font,
        width=width,
        height=height,
        background_color="white",
        random_state=seed,
        prefer_horizontal=1.0,
        collocations=False,
    ).generate_from_frequencies(dict(frequencies))
    path = Path(path)
    with atomic_path(path) as tmp:
        wc.to_image().save(tmp, format="PNG")
    return path
