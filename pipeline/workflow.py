"""The batch pipeline: stages by name, named pipelines as ordered lists of names, one run report.

Per-document stages (ingest → segment → extract) each take and return a :class:`DocState`; a
document that fails a stage is recorded with its coded issue and the batch goes on. Corpus
stages (link → build) then run once over every document that made it through. All outputs are
written to temporary files and renamed into place, so an interrupted build never leaves a
half-written graph.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from rdflib import Graph
from rdflib.namespace import RDF

from . import ingest
from .build import build_graph, iri, serialize_turtle
from .enrich import EnrichContext, enrich
from .errors import Issue, Severity, XunshiError
from .extract import default_nlp, extract
from .link import link
from .records import BulletinRec, DocumentResult, Extraction, SourceDocument
from .segment import segment
from .vocab import XS


@dataclass
class DocState:
    """One input file on its way through the per-document stages."""

    path: Path
    display: str
    source: SourceDocument | None = None
    bulletins: list[BulletinRec] = field(default_factory=list)
    extractions: list[Extraction] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    outcome: str = "pending"  # ok, skipped, duplicate, not-bulletin, decisions

    @property
    def failed(self) -> bool:
        return self.outcome not in ("pending", "ok")


def stage_ingest(st: DocState, ctx: dict) -> DocState:
    try:
        st.source, warnings = ingest.read_document(st.path, st.display, max_bytes=ctx.get("max_bytes", 200_000_000))
        st.issues.extend(warnings)
    except XunshiError as err:
        st.issues.append(err.issue)
        st.outcome = "skipped"
        return st
    seen: dict[str, str] = ctx.setdefault("seen_sha", {})
    if st.source.sha256 in seen:
        st.issues.append(Issue("W002", st.display, {"other": seen[st.source.sha256]}))
        st.outcome = "duplicate"
    else:
        seen[st.source.sha256] = st.display
    return st


def stage_segment(st: DocState, ctx: dict) -> DocState:
    st.bulletins, issues = segment(st.source)
    st.issues.extend(issues)
    if not st.bulletins:
        st.outcome = "not-bulletin"
    return st


def stage_extract(st: DocState, ctx: dict) -> DocState:
    st.extractions, issues = extract(st.source, st.bulletins, ctx.get("nlp") or default_nlp())
    st.issues.extend(issues)
    st.outcome = "ok"
    return st


DECISIONS_FILE = "decisions.tsv"

STAGES: dict[str, Callable[[DocState, dict], DocState]] = {
    "ingest": stage_ingest,
    "segment": stage_segment,
    "extract": stage_extract,
}
PIPELINES: dict[str, list[str]] = {"default": ["ingest", "segment", "extract"]}


def process(path: Path, ctx: dict, pipeline: str = "default") -> DocState:
    st = DocState(path, ingest.display_path(path))
    for name in PIPELINES[pipeline]:
        st = STAGES[name](st, ctx)
        if st.failed:
            break
    return st


@dataclass
class RunReport:
    """What a build did, file by file; written as ``stats.json``."""

    files: list[DocState]
    graph: Graph | None = None
    build_issues: list[Issue] = field(default_factory=list)
    shacl: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # SourceDocument IRI -> reference text
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues] + self.build_issues

    def counts(self) -> dict:
        g = self.graph
        if g is None:
            return {}
        n = lambda cls: len(set(g.subjects(RDF.type, cls)))  # noqa: E731
        return {
            "bulletins": n(XS.Bulletin),
            "problems": n(XS.Problem),
            "measures": n(XS.Measure),
            "policies": n(XS.Policy),
            "cited_works": n(XS.CitedWork),
            "units": n(XS.Unit),
            "people": n(XS.Person),
            "inspections": n(XS.Inspection),
            "figures": n(XS.Figure),
            "categories": n(XS.FeedbackCategory),
            "evidence_spans": n(XS.Span),
            "triples": len(g),
        }

    def by_status(self) -> dict[str, int]:
        g = self.graph
        if g is None:
            return {}
        c = Counter(str(s).rsplit("#", 1)[-1] for s in g.objects(None, XS.status))
        return {k: c.get(k, 0) for k in ("Completed", "PartiallyCompleted", "NotCompleted", "InProgress", "LongTerm", "Unknown")}

    def as_dict(self) -> dict:
        files = []
        for f in self.files:
            files.append(
                {
                    "path": f.display,
                    "outcome": f.outcome,
                    "sha256": f.source.sha256 if f.source else None,
                    "encoding": f.source.encoding if f.source else None,
                    "bulletins": len(f.extractions),
                    "problems": sum(len(e.bulletin.problems) for e in f.extractions),
                    "issues": [i.code for i in f.issues],
                }
            )
        issues = self.issues
        return {
            "files_seen": len(self.files),
            "files_ok": sum(f.outcome in ("ok", "decisions") for f in self.files),
            "files_skipped": sum(f.outcome not in ("ok", "decisions") for f in self.files),
            "outcomes": dict(sorted(Counter(f.outcome for f in self.files).items())),
            "counts": self.counts(),
            "problems_by_status": self.by_status(),
            "shacl": self.shacl,
            "evidence": self.evidence,
            "issue_counts": dict(sorted(Counter(i.code for i in issues).items())),
            "errors": sum(i.severity is Severity.ERROR for i in issues),
            "warnings": sum(i.severity is Severity.WARNING for i in issues),
            "files": files,
            "issues": [i.as_dict() for i in issues],
            "outputs": dict(sorted(self.outputs.items())),
        }


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_build(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    *,
    html: bool = True,
    shacl: bool = True,
    max_bytes: int = 200_000_000,
    progress: Callable[[DocState], None] | None = None,
    options: dict | None = None,
) -> RunReport:
    """Build the knowledge graph of every file under ``inputs`` into ``out_dir``.

    A file named ``decisions.tsv`` among the inputs (or ``options["decisions"]``) is the
    analysts' decisions file: applied after the automatic passes, not read as a bulletin.
    """
    out = Path(out_dir)
    options = dict(options or {})
    ctx: dict = {"max_bytes": max_bytes}
    states = []
    for path in ingest.discover(list(inputs)):
        if path.name == DECISIONS_FILE:
            st = DocState(path, ingest.display_path(path), outcome="decisions")
            options.setdefault("decisions", path)
        else:
            st = process(path, ctx)
        states.append(st)
        if progress:
            progress(st)
    if options.get("decisions"):
        options.setdefault("decisions_display", ingest.display_path(Path(options["decisions"])))
    good = [s for s in states if s.outcome == "ok"]
    results = [DocumentResult(s.source, tuple(s.extractions), tuple(s.issues)) for s in good]
    graph = build_graph(link(results))
    report = RunReport(states, graph)
    ectx = EnrichContext({str(iri(s.source.id)): s.source.text for s in good}, options=options)
    enrich(graph, ectx)
    report.build_issues.extend(ectx.issues)
    report.texts = ectx.texts
    write_outputs(report, out, html=html, shacl=shacl)
    return report


def write_outputs(report: RunReport, out: Path, *, html: bool = True, shacl: bool = True) -> None:
    from .mirror import problems_csv, write_graphml

    g = report.graph
    files: dict[str, bytes] = {}
    files["xunshi.ttl"] = serialize_turtle(g)
    for st in report.files:
        if st.outcome == "ok" and st.source.needs_text_file:
            files[st.source.text_file_name] = st.source.text.encode("utf-8")
    files["xunshi.graphml"] = write_graphml(g)
    files["problems.csv"] = problems_csv(g)
    from .validate import check_evidence

    bad = check_evidence(g, report.texts)
    report.evidence = {"spans": len(set(g.subjects(RDF.type, XS.Span))), "not_round_tripping": len(bad)}
    if bad:
        report.build_issues.append(Issue("W032", "", {"count": len(bad)}))
    if shacl:
        from .validate import validate_graph

        res = validate_graph(g)
        report.shacl = {"conforms": res.conforms, "violations": res.violations, "report": "shacl-report.ttl"}
        if not res.conforms:
            report.build_issues.append(Issue("W030", "", {"count": res.violations}))
        files["shacl-report.ttl"] = res.report.serialize(format="turtle", encoding="utf-8")
    if html:
        from .view import write_html

        tmp_html = Path(tempfile.mkdtemp()) / "xunshi.html"
        write_html(g, tmp_html)
        files["xunshi.html"] = tmp_html.read_bytes()
        tmp_html.unlink()
        tmp_html.parent.rmdir()
    report.outputs = {name: str(out / name) for name in files if not name.startswith("text/")}
    report.outputs["stats.json"] = str(out / "stats.json")
    for name, data in sorted(files.items()):
        atomic_write(out / name, data)
    stats = json.dumps(report.as_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    atomic_write(out / "stats.json", stats.encode("utf-8"))
