"""Corpus-level passes over the built graph: earlier rounds, recurrence cues, themes,
same-issue links, analysts' decisions.

Each pass reads what the graph already holds (problems, their text and evidence, bulletins,
inspections) and adds triples; new facts get evidence spans into the same source texts, so
the round-trip guarantee holds for them too. Passes are registered by name in ``PASSES`` and
run in the order of ``ENRICH_PIPELINE``; a pass reports problems as coded :class:`Issue`\\ s in
the context, never by printing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .errors import Issue
from .memstore import CompactMemory
from .records import stable_id
from .vocab import OA, XR, XS, int_literal, text_literal


@dataclass
class EnrichContext:
    """What a pass may need beside the graph."""

    texts: dict[str, str]  # SourceDocument IRI -> its reference text (offsets refer to it)
    issues: list[Issue] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # e.g. {"decisions": Path}
    fitted: dict = field(default_factory=dict)  # statistics the passes fitted, by pass (see pipeline.reference)

    def text_of(self, doc: URIRef) -> str:
        return self.texts.get(str(doc), "")


def doc_id_of(doc: URIRef) -> str:
    """``xr:doc-…`` → ``doc-…`` (the id records use)."""
    return str(doc)[len(str(XR)):]


def add_span(g: Graph, doc: URIRef, start: int, end: int, text: str) -> URIRef:
    """The ``xs:Span`` node of ``text[start:end]`` in ``doc`` (created once; same IRI as the
    build gives the same span): a row of the span table in a build graph, else triples."""
    sp = XR[stable_id("span", doc_id_of(doc), start, end)]
    if isinstance(g.store, CompactMemory):
        n = g.store.spans.doc_no.get(doc)
        if n is not None:
            return g.store.add_span(sp, n, start, end, text[start:end])
    if (sp, RDF.type, XS.Span) not in g:
        g.add((sp, RDF.type, XS.Span))
        g.add((sp, XS.inDocument, doc))
        g.add((sp, OA.start, int_literal(start)))
        g.add((sp, OA.end, int_literal(end)))
        g.add((sp, OA.exact, text_literal(text[start:end], None)))
    return sp


def adder(g: Graph) -> Callable[[tuple], None]:
    """``g.add`` for a pass that adds many triples of terms it made itself: on a build graph
    straight into its store (rdflib's ``Graph.add`` checks every term's type first, and was a
    third of the themes pass's writing)."""
    if isinstance(g.store, CompactMemory):
        return g.store.add
    return g.add


def evidence_of(g: Graph, node: URIRef) -> tuple[URIRef, int, int] | None:
    """(document, start, end) of a node's first evidence span (by start offset)."""
    best = None
    for sp in g.objects(node, XS.evidence):
        doc, s, e = g.value(sp, XS.inDocument), g.value(sp, OA.start), g.value(sp, OA.end)
        if doc is None or s is None or e is None:
            continue
        cand = (doc, int(s), int(e))
        if best is None or cand[1:] < best[1:]:
            best = cand
    return best


Pass = Callable[[Graph, EnrichContext], None]
PASSES: dict[str, Pass] = {}
ENRICH_PIPELINE: list[str] = []


def register(name: str, order: int) -> Callable[[Pass], Pass]:
    """Register a pass under ``name``; ``order`` places it in ``ENRICH_PIPELINE``."""

    def deco(fn: Pass) -> Pass:
        PASSES[name] = fn
        _ORDER[name] = order
        ENRICH_PIPELINE[:] = sorted(PASSES, key=lambda n: (_ORDER[n], n))
        return fn

    return deco


_ORDER: dict[str, int] = {}


def load_passes() -> None:
    """Import the modules that register passes (kept out of import time of this module)."""
    import importlib

    for mod in ("rounds", "recurrence", "themes", "sameissue", "decisions"):
        try:
            importlib.import_module(f"pipeline.{mod}")
        except ModuleNotFoundError as err:
            if err.name != f"pipeline.{mod}":
                raise


def enrich(g: Graph, ctx: EnrichContext, names: list[str] | None = None, started: Callable[[str], None] | None = None) -> Graph:
    """Run the passes ``names`` (default: every registered one, in order) over ``g``;
    ``started(name)`` is called as each begins (a build's progress)."""
    load_passes()
    for name in names if names is not None else list(ENRICH_PIPELINE):
        if started:
            started(name)
        PASSES[name](g, ctx)
    return g
