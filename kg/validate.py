"""SHACL validation of the knowledge graph with pySHACL, reported for machines and people.

:func:`validate_graph` returns a :class:`ValidationReport` with the pySHACL report graph, a
list of :class:`Issue` (severity, focus node and its label, path, offending value, message) and
a readable text that names each offending node by id and Chinese label, e.g.::

    VIOLATION  site/nanshan (南山摩崖造像)
      path geo:hasGeometry: site has no coordinates (lat/lon empty in the catalog row)

Only ``sh:Violation`` results make a graph non-conforming; warnings and infos are listed.
The data graph is never modified (no inference is run: the builder states every type).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from common import settings
from common.errors import UserError
from kg.namespaces import HRID, PREFIXES, SH

__all__ = [
    "Issue",
    "ShaclViolationError",
    "ValidationReport",
    "load_shapes",
    "validate_graph",
]

SHAPES_PATH = settings.ONTOLOGY_DIR / "shapes.ttl"


@dataclass(frozen=True)
class Issue:
    """One SHACL result."""

    severity: str
    focus: str
    focus_label: str
    path: str
    value: str
    message: str
    shape: str

    def line(self) -> str:
        """One-line form: ``VIOLATION site/x (名称) path: message [value]``."""
        who = self.focus + (f" ({self.focus_label})" if self.focus_label else "")
        val = f" [value: {self.value}]" if self.value else ""
        where = f" {self.path}:" if self.path else ":"
        return f"{self.severity.upper()} {who}{where} {self.message}{val}"


@dataclass
class ValidationReport:
    """Result of :func:`validate_graph`."""

    conforms: bool
    issues: list[Issue] = field(default_factory=list)
    text: str = ""
    report_graph: Graph | None = None

    @property
    def violations(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "Violation"]


class ShaclViolationError(UserError, ValueError):
    """The graph violates its shapes; ``report`` holds every result."""

    hint = "full report: shacl_report.txt in the output folder"

    def __init__(self, report: ValidationReport):
        self.report = report
        n = len(report.violations)
        lines = [i.line() for i in report.violations[:50]]
        more = [f"… and {n - 50} more"] if n > 50 else []
        super().__init__(
            "\n".join([f"the knowledge graph violates its SHACL shapes ({n}):", *lines, *more])
        )


def load_shapes(path: str | Path | None = None) -> Graph:
    """The shapes graph (default ``data/ontology/shapes.ttl``)."""
    g = Graph()
    g.parse(Path(path) if path else SHAPES_PATH, format="turtle")
    return g


def _short(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        text = str(node)
        if text.startswith(str(HRID)):
            return text[len(str(HRID)) :]
        for prefix, ns in PREFIXES.items():
            if text.startswith(str(ns)):
                return f"{prefix}:{text[len(str(ns)) :]}"
        return f"<{text}>"
    if isinstance(node, Literal):
        return repr(str(node))
    return "[]"


def _label(data: Graph, node: Node) -> str:
    zh = en = ""
    for lab in data.objects(node, RDFS.label):
        if isinstance(lab, Literal) and lab.language == "zh" and not zh:
            zh = str(lab)
        elif isinstance(lab, Literal) and not en:
            en = str(lab)
    return zh or en


def _path_text(report: Graph, path: Node | None) -> str:
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return _short(path)
    alts = report.value(path, SH.alternativePath)
    if alts is not None:
        return "|".join(_short(m) for m in Collection(report, alts))
    return "(complex path)"


def validate_graph(
    data: Graph, *, shapes: Graph | None = None, max_issues: int | None = None
) -> ValidationReport:
    """Validate ``data`` against ``shapes`` (default: :func:`load_shapes`).

    Parameters
    ----------
    data
        The graph to check; not modified.
    shapes
        Shapes graph.
    max_issues
        Stop collecting after this many results (``None``: all).

    Returns
    -------
    ValidationReport
        ``conforms`` is False iff there is at least one ``sh:Violation``.
    """
    shapes = shapes if shapes is not None else load_shapes()
    _, report_graph, _ = validate(
        data,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        meta_shacl=False,
        advanced=False,
        debug=False,
    )
    issues: list[Issue] = []
    for result in report_graph.subjects(RDF.type, SH.ValidationResult):
        sev = report_graph.value(result, SH.resultSeverity)
        focus = report_graph.value(result, SH.focusNode)
        msgs = sorted(str(m) for m in report_graph.objects(result, SH.resultMessage))
        issues.append(
            Issue(
                severity=str(sev).rsplit("#", 1)[-1] if sev else "Violation",
                focus=_short(focus),
                focus_label=_label(data, focus) if focus is not None else "",
                path=_path_text(report_graph, report_graph.value(result, SH.resultPath)),
                value=_short(report_graph.value(result, SH.value)),
                message=msgs[0] if msgs else "constraint not met",
                shape=_short(report_graph.value(result, SH.sourceShape)),
            )
        )
        if max_issues is not None and len(issues) >= max_issues:
            break
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    issues.sort(key=lambda i: (order.get(i.severity, 3), i.focus, i.path, i.message, i.value))
    conforms = not any(i.severity == "Violation" for i in issues)
    return ValidationReport(conforms, issues, _render(conforms, issues, len(data)), report_graph)


def _render(conforms: bool, issues: list[Issue], n_triples: int) -> str:
    counts: dict[str, int] = {}
    for i in issues:
        counts[i.severity] = counts.get(i.severity, 0) + 1
    head = [
        "SHACL validation of the heritage knowledge graph (data/ontology/shapes.ttl)",
        f"triples: {n_triples}",
        f"conforms: {'yes' if conforms else 'NO'}",
        "results: "
        + (", ".join(f"{n} {sev.lower()}(s)" for sev, n in sorted(counts.items())) or "none"),
        "",
    ]
    body = []
    last = None
    for i in issues:
        who = i.focus + (f" ({i.focus_label})" if i.focus_label else "")
        if (i.severity, who) != last:
            body.append(f"{i.severity.upper():9s} {who}")
            last = (i.severity, who)
        val = f"  [value: {i.value}]" if i.value else ""
        body.append(f"  {i.path or '(node)'}: {i.message}{val}")
    return "\n".join(head + body) + "\n"
