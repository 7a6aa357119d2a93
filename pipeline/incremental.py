"""Incremental builds, first part: how far a change to some documents reaches.

A one-file rebuild of a large corpus can only be fast if it recomputes the part of the graph
the change can reach and keeps the rest as the last build wrote it (issue 6; the plan is in
``docs/incremental-inventory.md``). This module answers the first question of that plan:
given the documents that were added, changed or deleted, which documents must be rebuilt
with them (their triples can change), and which corpus-level nodes must be written anew.

It reads a built graph into a :class:`CorpusLinks` summary: per document, the keys that
couple it to others and the corpus-level nodes it refers to; per corpus-level node, what the
passes read of it. :func:`reach` compares the summaries of the graph before and after a
change and closes the set of changed documents over

- **families** (the inspected unit a bulletin reports on, else its publisher): people,
  the unit's own rules and its rounds (current, earlier, 上轮…) are resolved within one;
- **round scopes**: the unit an earlier-round mention names, whose current rounds it is
  matched against (a document of another family can cite the unit's round);
- **same-issue groups** (a bulletin's publisher, or ``*`` for none): the candidate pairs,
  and the cap on a key's postings, are worked out over a whole group;
- **labels**: a node whose labels change (a longer spelling of a unit arrives) changes
  the problems table and the same-issue scores of every document that refers to it, and a
  unit label's key decides which unit an earlier-round mention resolves to;
- **round groups**: a body-only inspection joins the round of the year's single team of its
  inspecting body, so a change to that body's teams in that year reaches its inspections;
- **predecessor units** (原…): their successors are worked out from every document with
  evidence on them; a change there rewrites the successor units.

The summary is read from the graph alone (the build's single source of truth), so the same
function serves the full graph of the last build and the partial graph of a rebuild.
:func:`owners` gives every subject's documents, what the tests check :func:`reach` against:
every subject whose triples differ between two clean builds belongs to a reached document
or is a reached node.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .link import unit_key
from .vocab import XS

# corpus-level nodes: shared by documents, or pointing from one document into another
SHARED_CLASSES = (XS.Unit, XS.Policy, XS.CitedWork, XS.Person, XS.Inspection, XS.Round, XS.IssueLink)
LABELS = (SKOS.prefLabel, SKOS.altLabel, RDFS.label)
# predicates whose objects are evidence spans (a subject's documents are theirs)
SPAN_LINKS = (XS.evidence, XS.statusEvidence, XS.recurrenceEvidence)


@dataclass(frozen=True)
class DocLinks:
    """What couples one source document to others."""

    keys: frozenset[str]  # "family:", "scope:" (round scope), "group:" (same-issue) keys
    refs: frozenset[str]  # corpus-level nodes it refers to or has evidence on
    unit_keys: frozenset[str]  # unit_key of every printed name of its evidence on units
    rounds: frozenset[tuple[str, str]]  # (year, inspecting body) of the inspections it refers to


@dataclass
class CorpusLinks:
    """A built graph's couplings (see the module docstring)."""

    docs: dict[str, DocLinks] = field(default_factory=dict)  # source document IRI -> links
    labels: dict[str, frozenset] = field(default_factory=dict)  # node -> its (predicate, label)s
    label_keys: dict[str, str] = field(default_factory=dict)  # unit_key(label) -> unit
    teams: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (year, body) -> teams
    successors: dict[str, frozenset[str]] = field(default_factory=dict)  # 原 unit -> successors


@dataclass
class Reach:
    """What a change reaches: the documents to rebuild, and corpus-level nodes to rewrite
    that no rebuilt document refers to."""

    docs: set[str]
    nodes: set[str]


def _str(x) -> str:
    return "" if x is None else str(x)


class _Owners:
    """Every subject's source documents, worked out from its evidence spans."""

    def __init__(self, g: Graph):
        self.g = g
        self.span_doc = {str(s): str(d) for s, d in g.subject_objects(XS.inDocument)}
        self.types: dict[str, set[str]] = defaultdict(set)
        for s, t in g.subject_objects(RDF.type):
            self.types[str(s)].add(str(t))
        self._memo: dict[str, frozenset[str]] = {}

    def of(self, s: str) -> frozenset[str]:
        got = self._memo.get(s)
        if got is not None:
            return got
        g, node = self.g, URIRef(s)
        if s in self.span_doc:
            got = frozenset([self.span_doc[s]])
        elif str(XS.SourceDocument) in self.types.get(s, ()):
            got = frozenset([s])
        else:
            found = set()
            for p in SPAN_LINKS:
                for o in g.objects(node, p):
                    d = self.span_doc.get(str(o))
                    if d is not None:
                        found.add(d)
            types = self.types.get(s, ())
            if not found and str(XS.IssueLink) in types:
                for p in (XS.source, XS.target):
                    for o in g.objects(node, p):
                        found |= self.of(str(o))
            elif not found and str(XS.Round) in types:
                for i in g.subjects(XS.inRound, node):
                    found |= self.of(str(i))
            elif not found and str(XS.Figure) in types:
                pass  # a figure's evidence is an xs:evidence span (above)
            got = frozenset(found)
        self._memo[s] = got
        return got


def owners(g: Graph) -> dict[str, frozenset[str]]:
    """Every subject of ``g`` → the source documents it derives from (empty for the theme
    scheme's concepts, which no document owns)."""
    o = _Owners(g)
    return {str(s): o.of(str(s)) for s in set(g.subjects())}


def _is_shared(types: set[str]) -> bool:
    return any(str(c) in types for c in SHARED_CLASSES)


def read(g: Graph) -> CorpusLinks:
    """The couplings of a built graph (after the passes)."""
    from .rounds import Corpus

    own = _Owners(g)
    out = CorpusLinks()
    corpus = Corpus.read(g)
    shared = {s for s, ts in own.types.items() if _is_shared(ts)}
    keys: dict[str, set[str]] = defaultdict(set)
    refs: dict[str, set[str]] = defaultdict(set)
    ukeys: dict[str, set[str]] = defaultdict(set)
    rounds: dict[str, set[tuple[str, str]]] = defaultdict(set)
    docs = {s for s, ts in own.types.items() if str(XS.SourceDocument) in ts}
    for b in g.subjects(RDF.type, XS.Bulletin):
        for d in own.of(str(b)):
            keys[d].add("family:" + corpus.family[b])
            pub = g.value(b, DCTERMS.publisher)
            keys[d].add("group:" + (str(pub) if pub is not None else "*"))
    # the corpus-level nodes each document has evidence on, or points at from its own subjects
    for s in shared:
        for d in own.of(s):
            refs[d].add(s)
    for s, p, o in g:
        so = str(o)
        if so in shared and str(s) not in shared:
            for d in own.of(str(s)):
                refs[d].add(so)
    span_exact = {str(s): str(x) for s, x in g.subject_objects(URIRef("http://www.w3.org/ns/oa#exact"))}
    for u in g.subjects(RDF.type, XS.Unit):
        for sp in g.objects(u, XS.evidence):
            d = own.span_doc.get(str(sp))
            if d is not None and str(sp) in span_exact:
                ukeys[d].add(unit_key(span_exact[str(sp)]))
    # inspections: their round group, and the round scopes of the documents citing them
    teams: dict[tuple[str, str], set[str]] = defaultdict(set)
    for i in g.subjects(RDF.type, XS.Inspection):
        year, body, team = _str(g.value(i, XS.year)), _str(g.value(i, XS.inspectingBody)), _str(g.value(i, XS.team))
        unit = g.value(i, XS.inspectedUnit)
        if year and team:
            teams[(year, body)].add(team)
        for d in own.of(str(i)):
            if year and body:
                rounds[d].add((year, body))
            if unit is not None:
                keys[d].add("scope:" + str(unit))
    for d in docs:
        for k in list(keys[d]):
            if k.startswith("family:"):
                keys[d].add("scope:" + k[len("family:"):])
    out.teams = {k: frozenset(v) for k, v in teams.items()}
    for s in shared:
        node = URIRef(s)
        labels = frozenset((str(p), str(x)) for p in LABELS for x in g.objects(node, p))
        if labels:
            out.labels[s] = labels
    out.label_keys = dict(sorted((k, str(u)) for k, u in corpus.units.items()))
    for s, _ in g.subject_objects(XS.predecessor):
        out.successors[str(s)] = frozenset(str(x) for x in g.subjects(XS.successorOf, s))
    for d in sorted(docs):
        out.docs[d] = DocLinks(frozenset(keys[d]), frozenset(refs[d]), frozenset(ukeys[d]), frozenset(rounds[d]))
    return out


def _changed(a: dict, b: dict) -> set:
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


def reach(changed: set[str], before: CorpusLinks, after: CorpusLinks) -> Reach:
    """The documents a change to ``changed`` (source document IRIs: added, changed or
    deleted) reaches, given the summaries of the graph before and after it."""
    docs = set(changed)
    nodes: set[str] = set()
    both = [before, after]
    # couplings that hold whatever changed: by key, in either graph
    by_key: dict[str, set[str]] = defaultdict(set)
    for c in both:
        for d, links in c.docs.items():
            for k in links.keys:
                by_key[k].add(d)
    # couplings through what changed: labels, label keys, round groups, successors
    relabelled = _changed(before.labels, after.labels)
    rekeyed = _changed(before.label_keys, after.label_keys)
    regrouped = _changed(before.teams, after.teams)
    for c in both:
        for d, links in c.docs.items():
            if links.refs & relabelled or links.unit_keys & rekeyed or links.rounds & regrouped:
                docs.add(d)
    for u in _changed(before.successors, after.successors):
        nodes.add(u)
        for c in both:
            nodes |= c.successors.get(u, frozenset())
    # closed over the keys of every reached document
    todo = list(docs)
    seen_keys: set[str] = set()
    while todo:
        d = todo.pop()
        for c in both:
            links = c.docs.get(d)
            if links is None:
                continue
            for k in links.keys - seen_keys:
                seen_keys.add(k)
                for other in by_key[k] - docs:
                    docs.add(other)
                    todo.append(other)
    return Reach(docs, nodes)
