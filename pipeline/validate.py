"""SHACL validation of a built graph against ``ontology/shapes.ttl``."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph
from rdflib.namespace import RDF, SH

from .vocab import bind_prefixes, ontology_dir, ontology_graph


@dataclass(frozen=True)
class ShaclResult:
    conforms: bool
    violations: int
    report: Graph
    text: str
    engine: str = "native"  # "native" (pipeline.shacl) or "pyshacl"
    # the native engine's results in their order, shapes named as the report names them
    # (pipeline.shacl.portable: an incremental rebuild keeps them); None from pyshacl
    results: tuple | None = None


def shapes_graph() -> Graph:
    g = Graph()
    g.parse(ontology_dir() / "shapes.ttl", format="turtle")
    return g


def validate_graph(data: Graph, shapes: Graph | None = None, *, engine: str = "auto", text_limit: int | None = 200) -> ShaclResult:
    """Validate ``data`` against ``shapes`` (default ``ontology/shapes.ttl``) with the OWL
    ontology mixed in (``sh:class`` sees its ``rdfs:subClassOf``).

    ``engine``: ``"native"`` (:mod:`pipeline.shacl`: one pass over the graph, seconds for a
    1,000-bulletin build), ``"pyshacl"``, or ``"auto"``: native unless the shapes use a
    construct it does not evaluate (someone's own shapes), then pyshacl. Only violations
    break conformance (warnings are reported). ``text``: the results as text, at most
    ``text_limit`` of them (the report graph has them all)."""
    from . import shacl

    sg = shapes if shapes is not None else shapes_graph()
    if engine in ("auto", "native"):
        try:
            compiled = shacl.Shapes(sg)
        except shacl.Unsupported:
            if engine == "native":
                raise
        else:
            results = shacl.validate(data, compiled, ontology_graph())
            conforms, report = shacl.report_graph(results, compiled)
            bind_prefixes(report)
            violations = sum(r.severity == SH.Violation for r in results)
            return ShaclResult(conforms, violations, report, shacl.describe(results, conforms, text_limit), "native",
                               tuple(shacl.portable(results, compiled)))
    return _pyshacl(data, sg)


def _pyshacl(data: Graph, sg: Graph) -> ShaclResult:
    import pyshacl  # imported here: it is slow to import and only this fallback needs it

    copied = not data.store.context_aware
    if copied:
        # the build graph sits in a context-free store (faster, leaner); pyshacl mixes the
        # ontology in through a context-aware graph: give it a copy it may change in place
        # (instead of cloning the data graph a second time)
        copy = Graph()
        for t in data:
            copy.add(t)
        data = copy
    conforms, report, text = pyshacl.validate(
        data,
        shacl_graph=sg,
        ont_graph=ontology_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=copied,
    )
    bind_prefixes(report)
    violations = sum(1 for r in report.subjects(RDF.type, SH.ValidationResult) if report.value(r, SH.resultSeverity) == SH.Violation)
    return ShaclResult(bool(conforms), violations, report, text, "pyshacl")


def check_evidence(data: Graph, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    """Spans whose ``oa:exact`` is not ``text[oa:start:oa:end]`` of their document.

    ``texts`` maps a SourceDocument IRI to its reference text. Returns (span IRI, start, end)
    of every span that does not round-trip (an empty list when all do).
    """

    from .memstore import CompactMemory
    from .vocab import OA, XS

    if isinstance(data.store, CompactMemory):
        facts = data.store.span_facts()  # the span table's rows read directly
    else:  # one scan per property instead of four lookups per span
        docs = dict(data.subject_objects(XS.inDocument))
        starts = dict(data.subject_objects(OA.start))
        ends = dict(data.subject_objects(OA.end))
        exacts = dict(data.subject_objects(OA.exact))
        facts = ((sp, docs.get(sp), starts.get(sp), ends.get(sp), exacts.get(sp)) for sp in data.subjects(RDF.type, XS.Span))
    bad = []
    for sp, doc, start, end, exact in facts:
        text = texts.get(str(doc))
        try:
            s, e = int(start), int(end)
        except (TypeError, ValueError):
            bad.append((str(sp), -1, -1))
            continue
        if text is None or exact is None or text[s:e] != str(exact):
            bad.append((str(sp), s, e))
    return sorted(bad)
