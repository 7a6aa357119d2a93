"""Incremental builds: rebuild only what a change reaches, splice it into the outputs.

A one-file rebuild of a large corpus can only be fast if it recomputes the part of the graph
the change can reach and keeps the rest as the last build wrote it (issue 6; the couplings
behind it are listed in ``docs/incremental-inventory.md``). Four steps:

1. **Reach.** :func:`read` summarises a built graph's couplings (:class:`CorpusLinks`): per
   document, the keys that couple it to others and the corpus-level nodes it refers to; per
   corpus-level node, what the passes read of it. :func:`reach` compares the summaries of
   the graph before and after a change and closes the set of changed documents over

   - **families** (the inspected unit a bulletin reports on, else its publisher): people,
     the unit's own rules and its rounds (current, earlier, 上轮…) are resolved within one;
   - **round scopes**: the unit an earlier-round mention names, whose current rounds it is
     matched against (a document of another family can cite the unit's round);
   - **same-issue groups** (a bulletin's publisher, or ``*`` for none): the candidate
     pairs, and the cap on a key's postings, are worked out over a whole group;
   - **labels**: a node whose labels change (a longer spelling of a unit arrives) changes
     the problems table and the same-issue scores of every document that refers to it, and
     a unit label's key decides which unit an earlier-round mention resolves to;
   - **round groups**: a body-only inspection joins the round of the year's single team of
     its inspecting body, so a change to which round that is reaches it;
   - **predecessor units** (原…): their successors are worked out from every document
     with evidence on them.

2. **Partial graph.** :func:`partial_graph` builds the reached documents alone, with what
   the rest of the corpus gives them taken from the last build's summary; :func:`written`
   says which of its subjects a rebuild writes (of the last build's graph: which it drops).

3. **Splices.** :func:`splice_turtle`, :func:`splice_graphml` and :func:`splice_csv` replace
   those subjects' blocks in the last build's outputs, found by bisection (the writers put
   their blocks in IRI order), the bytes between copied as they are.

4. **Rebuild.** A build without the HTML view, pinned to a reference, keeps a
   :class:`State` (the summary, counts, pass issues, what each document owns, the SHACL
   results); :func:`rebuild` runs the steps above from it, validates the subjects it
   rewrites (:func:`revalidate`), works out the run report and keeps the updated state
   (:func:`update`).

Each step is checked against clean builds in ``tests/test_incremental.py``: the reach covers
every subject and problems-table row a change alters, the partial graph makes the reached
subjects as a clean build does, and a rebuild writes a clean build's bytes.
"""

from __future__ import annotations

import os
import re
from array import array
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, SKOS

from .link import unit_key
from .memstore import SpanDocs, objects, raw_objects, split_index
from .vocab import XR, XS

# corpus-level nodes: shared by documents, or pointing from one document into another
SHARED_CLASSES = (XS.Unit, XS.Policy, XS.CitedWork, XS.Person, XS.Inspection, XS.Round, XS.IssueLink)
_SHARED = frozenset(SHARED_CLASSES)
LABELS = (SKOS.prefLabel, SKOS.altLabel, RDFS.label)
_LABEL_NAMES = {p: str(p) for p in LABELS}  # one str each, shared by every label kept
# what the round-groups pass reads of an inspection (a partial graph holds them for the rest)
ROUND_FACTS = (RDF.type, XS.year, XS.inspectingBody, XS.team, XS.inspectionKind, RDFS.label)
# predicates whose objects are evidence spans (a subject's documents are theirs)
SPAN_LINKS = (XS.evidence, XS.statusEvidence, XS.recurrenceEvidence)
# terms the walks over every subject test (a namespace's attribute makes its term anew each time)
_TYPE, _IN_DOCUMENT, _IN_ROUND, _SOURCE, _TARGET = RDF.type, XS.inDocument, XS.inRound, XS.source, XS.target
_SOURCE_DOCUMENT, _ISSUE_LINK, _ROUND, _BULLETIN, _UNIT = XS.SourceDocument, XS.IssueLink, XS.Round, XS.Bulletin, XS.Unit
_INSPECTION, _EVIDENCE, _PREDECESSOR = XS.Inspection, XS.evidence, XS.predecessor


@dataclass(frozen=True)
class DocLinks:
    """What couples one source document to others."""

    keys: frozenset[str]  # "family:", "scope:" (round scope), "group:" (same-issue) keys
    refs: frozenset[str]  # corpus-level nodes it refers to or has evidence on
    unit_keys: frozenset[str]  # unit_key of every printed name of its evidence on units
    rounds: frozenset[tuple[str, str]]  # (year, inspecting body) of the body-only inspections it refers to


@dataclass
class CorpusLinks:
    """A built graph's couplings (see the module docstring)."""

    docs: dict[str, DocLinks] = field(default_factory=dict)  # source document IRI -> links
    labels: dict[str, frozenset | bytes] = field(default_factory=dict)  # unit -> its (predicate, label)s; other node -> their digest
    label_keys: dict[str, str] = field(default_factory=dict)  # unit_key(label) -> unit
    teams: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (year, body) -> teams
    successors: dict[str, frozenset[str]] = field(default_factory=dict)  # 原 unit -> successors
    # what a partial graph takes from the rest of the corpus (see partial_graph)
    inspections: dict[str, tuple] = field(default_factory=dict)  # inspection -> (documents, its round-group facts)
    unit_evidence: dict[str, tuple] = field(default_factory=dict)  # unit -> its evidence spans' facts
    sources: dict[str, str] = field(default_factory=dict)  # source document -> its path (dcterms:source)
    named: frozenset[str] = frozenset()  # the units not anonymised (their labels give label_keys)


@dataclass
class Reach:
    """What a change reaches: the documents to rebuild, and corpus-level nodes to rewrite
    that no rebuilt document refers to."""

    docs: set[str]
    nodes: set[str]


def _digest(labels: frozenset) -> bytes:
    """A digest of a node's (predicate, label)s, the same in every run."""
    import hashlib

    return hashlib.blake2b("\x1f".join(sorted(f"{p}\x1e{x}" for p, x in labels)).encode("utf-8"), digest_size=16).digest()


def _str(x) -> str:
    return "" if x is None else str(x)


_EMPTY: frozenset = frozenset()


class _Owners:
    """Every subject's source documents, worked out from its evidence spans, read from the
    graph's subject index (the build store's own index and span table, read in place).
    Nothing is kept per subject (at 10,000 bulletins there are millions): classes and
    document sets are shared objects, one per distinct value."""

    def __init__(self, g: Graph):
        from .build import subject_index

        self.index = subject_index(g)
        self.indexed = split_index(self.index)[0]
        self.spans = SpanDocs(g)
        self.in_round: dict = defaultdict(list)  # round -> its inspections
        self._classes: dict = {}  # a type slot -> its classes
        self._names: dict = {}  # a term -> its IRI as a str
        self._sets: dict = {}  # a set of documents -> itself
        self.shared: set = set()  # the corpus-level nodes (SHARED_CLASSES)
        self.documents: list = []  # the source documents
        for s, preds in self.indexed.items():
            r = preds.get(_IN_ROUND)
            if r is not None:
                for x in objects(r):
                    self.in_round[x].append(s)
            types = self.types(s, preds)
            if not _SHARED.isdisjoint(types):
                self.shared.add(s)
            if _SOURCE_DOCUMENT in types:
                self.documents.append(s)

    def name(self, t) -> str:
        """``str(t)``, one str per distinct term."""
        got = self._names.get(t)
        if got is None:
            got = self._names[t] = str(t)
        return got

    def types(self, s, preds=None) -> frozenset:
        """The classes of subject ``s`` (``preds`` its slots)."""
        if preds is None:
            preds = self.indexed.get(s) or {}
        t = preds.get(_TYPE)
        if t is None:
            return _EMPTY
        try:
            got = self._classes.get(t)
        except TypeError:  # several classes in an unhashable slot
            return frozenset(objects(t))
        if got is None:
            got = self._classes[t] = frozenset(objects(t))
        return got

    def _set(self, docs) -> frozenset[str]:
        fs = frozenset(docs)
        return self._sets.setdefault(fs, fs)

    def doc_of(self, m) -> str | None:
        """The document of an index member ``m`` if it is a span."""
        d = self.spans.of_member(m)
        return None if d is None else self.name(d)

    def of(self, s, preds=None) -> frozenset[str]:
        """The documents of subject ``s`` (as the index holds it; ``preds`` its slots)."""
        if preds is None:
            preds = self.indexed.get(s) or {}
        d = preds.get(_IN_DOCUMENT)
        if d is not None:
            return self._set(self.name(x) for x in objects(d))
        types = self.types(s, preds)
        if _SOURCE_DOCUMENT in types:
            return self._set((self.name(s),))
        found = set()
        for p in SPAN_LINKS:
            slot = preds.get(p)
            if slot is not None:
                for m in raw_objects(slot):
                    doc = self.doc_of(m)
                    if doc is not None:
                        found.add(doc)
        if not found and _ISSUE_LINK in types:
            for p in (_SOURCE, _TARGET):
                slot = preds.get(p)
                if slot is not None:
                    for o in objects(slot):
                        found |= self.of(o)
        elif not found and _ROUND in types:
            for i in self.in_round.get(s, ()):
                found |= self.of(i)
        return self._set(found)


def owners(g: Graph) -> dict[str, frozenset[str]]:
    """Every subject of ``g`` → the source documents it derives from (empty for the theme
    scheme's concepts, which no document owns)."""
    o = _Owners(g)
    return {str(s): o.of(s, preds) for s, preds in o.index.items()}


def _is_shared(types: frozenset) -> bool:
    return not _SHARED.isdisjoint(types)


def _value(preds: dict, p) -> str:
    slot = preds.get(p)
    return "" if slot is None else str(min(objects(slot), key=str))


def read(g: Graph, own: _Owners | None = None) -> CorpusLinks:
    """The couplings of a built graph (after the passes). ``own``: an :class:`_Owners` of
    ``g`` when the caller has one."""
    from .rounds import Corpus

    own = own or _Owners(g)
    out = CorpusLinks()
    corpus = Corpus.read(g)
    shared = own.shared
    docs = set()
    for s in own.documents:
        docs.add(own.name(s))
        out.sources[own.name(s)] = _value(own.indexed[s], DCTERMS.source)
    keys: dict[str, set[str]] = defaultdict(set)
    refs: dict[str, set[str]] = defaultdict(set)
    ukeys: dict[str, set[str]] = defaultdict(set)
    rounds: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for s, preds in own.indexed.items():
        types = own.types(s, preds)
        if _BULLETIN in types:
            pub = preds.get(DCTERMS.publisher)
            group = "group:" + ("*" if pub is None else str(min(objects(pub), key=str)))
            for d in own.of(s, preds):
                keys[d].add("family:" + corpus.family[s])
                keys[d].add(group)
        if s in shared:
            of = own.of(s, preds)
            name = own.name(s)
            # the corpus-level nodes each document has evidence on
            for d in of:
                refs[d].add(name)
            if _UNIT in types and _EVIDENCE in preds:
                facts = []
                for m in raw_objects(preds[_EVIDENCE]):
                    f = own.spans.facts(m)
                    if f is not None:
                        facts.append(f)
                        ukeys[own.name(f[1])].add(unit_key(f[4]))
                out.unit_evidence[name] = tuple(sorted(facts, key=lambda f: (str(f[1]), f[2], f[3])))
            if _UNIT in types and _PREDECESSOR in preds:
                # a 原 unit's successors are worked out from every document with evidence on it
                for d in of:
                    keys[d].add("predecessor:" + name)
            if _INSPECTION in types:
                # its round group, and the round scope of the documents citing it
                year, body = _value(preds, XS.year), _value(preds, XS.inspectingBody)
                out.inspections[name] = (of, tuple(sorted(
                    ((p, o) for p in ROUND_FACTS if p in preds for o in objects(preds[p])), key=lambda po: (str(po[0]), str(po[1])))))
                unit = preds.get(XS.inspectedUnit)
                body_only = year and body and XS.team not in preds
                for d in of:
                    if body_only:  # it joins the year's team round if the body had one team
                        rounds[d].add((year, body))
                    if unit is not None:
                        keys[d].update("scope:" + str(u) for u in objects(unit))
            labels = frozenset((_LABEL_NAMES[p], str(x)) for p in LABELS if p in preds for x in objects(preds[p]))
            if labels:
                # a unit's labels resolve printed names (label_keys); any other node's are
                # only compared, so a digest of them does
                out.labels[name] = labels if _UNIT in types else _digest(labels)
            if _PREDECESSOR in preds:
                out.successors[name] = frozenset()
        else:
            # ... or points at from its own subjects
            targets = [o for slot in preds.values() for o in raw_objects(slot) if type(o) is not int and o in shared]
            if targets:
                for d in own.of(s, preds):
                    refs[d].update(own.name(o) for o in targets)
    for s, preds in own.indexed.items():
        if XS.successorOf in preds:
            for u in objects(preds[XS.successorOf]):
                if str(u) in out.successors:
                    out.successors[str(u)] = out.successors[str(u)] | {str(s)}
    for d in docs:
        for k in list(keys[d]):
            if k.startswith("family:"):
                keys[d].add("scope:" + k[len("family:"):])
    # what the passes count and resolve by, worked out as update() works them out again
    out.teams = _teams(out.inspections)
    out.named = frozenset(own.name(s) for s in shared if _UNIT in own.types(s)
                          and not any(o.toPython() is True for o in objects(own.indexed[s].get(XS.anonymised, ()))))
    out.label_keys = _label_keys(out.labels, out.named)
    for d in sorted(docs):  # (each document's sets let go as its links are made)
        out.docs[d] = DocLinks(frozenset(keys.pop(d, ())), frozenset(refs.pop(d, ())), frozenset(ukeys.pop(d, ())),
                               frozenset(rounds.pop(d, ())))
    return out


def _joins(teams: dict) -> dict:
    """(year, body) → the team round a body-only inspection of that year joins (the year's
    one team of that body), or None (the round groups pass, G1)."""
    return {k: next(iter(v)) if len(v) == 1 else None for k, v in teams.items()}


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
    regrouped = _changed(_joins(before.teams), _joins(after.teams))
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


def partial_graph(good: list, docs: set[str], before: CorpusLinks, options: dict | None = None, stage=None,
                  records=None, issues: list | None = None, linked=None) -> Graph:
    """The graph of the documents ``docs`` (a :func:`reach`: deleted documents may be among
    them) among ``good`` (every document of the corpus through the per-document stages,
    its records kept as objects), with what the rest of the corpus adds to them taken from
    ``before`` (the last build's summary of it):

    - the link stage runs over every document (its nodes' labels, counts and evidence are
      the whole corpus's; 0.4 s at 1,000 bulletins), the records of ``docs`` alone become
      triples;
    - every other inspection's round-group facts are there for the round-groups pass (a
      body-only inspection joins the year's single team round);
    - after the passes, the evidence other documents' earlier-round mentions gave a unit.

    The subjects ``docs`` own, and the corpus-level nodes they refer to, are then as a
    clean build of the corpus makes them (``tests/test_incremental.py``); the rest of the
    graph is partial and not to be written. ``records(state)``: a document's extraction
    records (default: those the state holds as objects); ``issues`` gets the passes' issues;
    ``linked``: the link stage's result over ``good``, when already made (it does not depend
    on ``docs``, and the graph builder only reads it).
    """
    from .build import build_graph, iri
    from .enrich import EnrichContext, enrich
    from .link import link

    if linked is None:
        linked = link([s.link_result() for s in good])
    present = {str(iri(s.source.id)) for s in good}
    rest = present - docs  # what the last build made of these is still true
    keep = [str(iri(s.source.id)) in docs for s in good]
    records = records or (lambda st: tuple(st.extractions))
    # the policies and people the reached documents name now or named before (the rest are
    # not written, and no pass reads them)
    ids = {s.source.id for s, k in zip(good, keep) if k}
    base = len(str(XR))
    nodes = {n[base:] for d in docs if d in before.docs for n in before.docs[d].refs}
    nodes.update(pid for pid, p in linked.policies.items() if any(m.span is not None and m.span.doc_id in ids for m in p.mentions))
    nodes.update(p.id for p in linked.people.values()
                 if any(sp.doc_id in ids for sp in (*p.spans, *(rs for _, rs in p.roles)) if sp is not None))
    g = build_graph(linked, (records(s) if k else () for s, k in zip(good, keep)), nodes)
    for i, (owners_, facts) in before.inspections.items():
        if owners_ and owners_ <= rest:
            node = URIRef(i)
            for p, o in facts:
                g.add((node, p, o))
    texts = {str(iri(s.source.id)): s.source.text for s, k in zip(good, keep) if k}
    ectx = EnrichContext(texts, options=dict(options or {}))
    enrich(g, ectx, None, stage or (lambda name: None))
    if issues is not None:
        issues.extend(ectx.issues)
    store = g.store
    for u, facts in before.unit_evidence.items():
        node = URIRef(u)
        if (node, RDF.type, XS.Unit) not in g:
            continue
        for sp, doc, start, end, exact in facts:
            if str(doc) in rest:
                g.add((node, XS.evidence, _span(g, store, sp, doc, start, end, exact)))
    return g


def _span(g: Graph, store, sp, doc, start: int, end: int, exact: str):
    """Span ``sp`` in ``g`` (a row of the build store's span table, else its triples)."""
    from .memstore import CompactMemory
    from .vocab import OA, int_literal

    if isinstance(store, CompactMemory) and doc in store.spans.doc_no:
        return store.add_span(sp, store.spans.doc_no[doc], start, end, exact)
    for p, o in ((RDF.type, XS.Span), (XS.inDocument, doc), (OA.start, int_literal(start)), (OA.end, int_literal(end)),
                 (OA.exact, Literal(exact))):
        g.add((sp, p, o))
    return sp


# --- outputs spliced ---------------------------------------------------------------------------
#
# The writers put their blocks in the order of their subjects' IRIs, so a rebuild need not
# read the last build's outputs whole: each subject the reach rewrites or drops is found by a
# bisection over the file's bytes, read where a probe looks, and the bytes between are copied
# as they are, file to file.


def _pname_iri(name: str, _xr: str = str(XR)) -> str:
    """A prefixed name (or ``<IRI>``) as written by the Turtle writer / a GraphML id → its IRI."""
    if name.startswith("xr:"):  # the build's own resources: nearly every block
        return _xr + name[3:]
    if name.startswith("<"):
        return name[1:-1]
    from .vocab import PREFIXES

    prefix, _, local = name.partition(":")
    return PREFIXES[prefix] + local if prefix in PREFIXES and not local.startswith("//") else name


_STEP = 1 << 11  # bytes below which a bisection steps from block to block


class _SortedBlocks:
    """The blocks of ``data[start:end]``, each beginning with ``marker`` (a block ends where
    the next begins) and coming in the order of their keys, which ``key_at(position)`` reads
    (several consecutive blocks may share a key). A block is found by bisecting the bytes:
    each probe looks for the first block starting after a position and reads its key, so a
    lookup reads a few kilobytes of the file however large it is (``data`` may be a memory
    map). Probes are remembered, and lookups in key order share their first steps."""

    def __init__(self, data, start: int, end: int, marker: bytes, key_at, skip: int = 0, step: int | None = None):
        self.data, self.start, self.end, self.marker, self.skip = data, start, end, marker, skip
        self.step = step or _STEP
        self._key_at = key_at
        self._starts: dict[int, int] = {}
        self._keys: dict[int, str] = {}
        self._spans: dict[str, tuple[int, int]] = {}

    def key_at(self, p: int) -> str:
        k = self._keys.get(p)
        if k is None:
            k = self._keys[p] = self._key_at(p)
        return k

    def _next(self, at: int) -> int:
        """The start of the first block at or after ``at`` (``end`` if none)."""
        if at <= self.start:
            return self.start
        p = self._starts.get(at)
        if p is None:
            p = self.data.find(self.marker, at - self.skip, self.end)
            p = self._starts[at] = self.end if p < 0 else p + self.skip
        return p

    def span(self, key: str, after: int | None = None) -> tuple[int, int]:
        """Where the blocks of ``key`` begin and end (an empty span where they would be).
        ``after``: a position every block before which has a smaller key (lookups in key
        order pass where the last one ended)."""
        got = self._spans.get(key)
        if got is None:
            lo = self.bound(key, after=after)
            # (a node's edges can be thousands of blocks: galloped over, not stepped through)
            hi = lo if lo >= self.end or self.key_at(lo) != key else self.bound(key, above=True, after=lo)
            got = self._spans[key] = (lo, hi)
        return got

    def bound(self, key: str, above: bool = False, after: int | None = None) -> int:
        """The start of the first block whose key is ``>= key`` (``> key`` if ``above``);
        ``after``: see :meth:`span`."""

        def beyond(k: str) -> bool:
            return k > key or (k == key and not above)

        # every block starting before lo has a smaller key; the answer is a block starting
        # in [lo, top), else found
        lo, top, found = self.start, self.end, self.end
        if after is not None and after > lo:
            # galloping from there: the next block is often near
            lo, d = min(after, self.end), self.step
            while lo + d < top:
                p = self._next(lo + d)
                if p >= top:
                    top = lo + d
                    break
                if beyond(self.key_at(p)):
                    found, top = p, lo + d
                    break
                lo, d = p + 1, d * 2
        while top - lo > self.step:
            mid = (lo + top) // 2
            p = self._next(mid)
            if p >= top:  # no block starts in [mid, top)
                top = mid
            elif beyond(self.key_at(p)):
                found, top = p, mid
            else:
                lo = p + 1
        p = self._next(lo)
        while p < top:
            if beyond(self.key_at(p)):
                return p
            p = self._next(p + 1)
        return found


def _splice(data, blocks: _SortedBlocks, replace: dict[str, bytes], drop: set[str], removed: list | None = None) -> list:
    """``data[blocks.start:blocks.end]`` without the blocks of the keys in ``drop`` or
    ``replace``, with ``replace``'s in their place (each key's blocks, in order): pieces to
    join, each new bytes or a ``slice`` of ``data`` (the bytes between are not read).
    ``removed`` gets the blocks taken out."""
    out: list = []
    at = blocks.start
    for key in sorted(drop | replace.keys()):
        lo, hi = blocks.span(key, at)
        if removed is not None and hi > lo:
            removed.append(bytes(data[lo:hi]))
        if lo > at:
            out.append(slice(at, lo))
        if key in replace:
            out.append(replace[key])
        at = max(at, hi)
    if blocks.end > at:
        out.append(slice(at, blocks.end))
    return out


def _joined(data, pieces: list) -> bytes:
    """``pieces`` (:func:`_splice`) as one bytes."""
    return b"".join(bytes(data[p]) if type(p) is slice else p for p in pieces)


def _writer(data, pieces: list, fd: int | None = None):
    """A function writing ``pieces`` (:func:`_splice`; their slices are of ``data``) to the
    binary file it is given (for :class:`pipeline.fsio.Staged`). With ``fd``, the open file
    ``data`` maps, the slices are copied file to file by the kernel where it can, never read
    whole into memory."""

    def fill(fh) -> None:
        for p in pieces:
            if type(p) is not slice:
                fh.write(p)
                continue
            if fd is not None:
                fh.flush()
                if _copy_range(fd, p.start, p.stop, fh):
                    continue
            for at in range(p.start, p.stop, 1 << 24):
                fh.write(data[at : min(at + (1 << 24), p.stop)])

    return fill


class _FileBytes:
    """The bytes of an open file, read where asked (``os.pread``), never whole: what the
    splices need of an old output (``len``, ``find``, ``rfind``, slices). A memory map would
    do as much, but every page a lookup touches (and the kernel maps ~64 KB around each)
    counts as the process's memory: ~1 GB for the bisections and scans of a 10,000-bulletin
    build's GraphML."""

    PAGE = 1 << 14  # what a lookup reads at least, kept for the next lookups nearby
    PAGES = 1024  # pages kept at most (16 MB)

    def __init__(self, fd: int):
        self.fd = fd
        self.size = os.fstat(fd).st_size
        self._pages: dict[int, bytes] = {}

    def __len__(self) -> int:
        return self.size

    def _page(self, i: int) -> bytes:
        got = self._pages.get(i)
        if got is None:
            if len(self._pages) >= self.PAGES:
                self._pages.clear()
            got = self._pages[i] = os.pread(self.fd, self.PAGE, i * self.PAGE)
        return got

    def __getitem__(self, key: slice) -> bytes:
        start, stop, step = key.indices(self.size)
        if step != 1:
            raise ValueError("only contiguous slices")
        if stop <= start:
            return b""
        i, j = start // self.PAGE, (stop - 1) // self.PAGE
        if j - i <= 1:  # a key or a short block: from the pages
            base = i * self.PAGE
            window = self._page(i) if i == j else self._page(i) + self._page(j)
            return window[start - base : stop - base]
        return os.pread(self.fd, stop - start, start)

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = self.size if end is None else min(end, self.size)
        start = max(0, start)
        i, n = start // self.PAGE, len(sub)
        for _ in range(8):  # nearby, as lookups find theirs: in the kept pages
            base = i * self.PAGE
            if base >= end:
                return -1
            page = self._page(i)
            p = page.find(sub, max(0, start - base), end - base)
            if p >= 0:
                return base + p
            if n > 1 and base + self.PAGE < end:  # one across the page's end
                cut = max(start - base, self.PAGE - n + 1)
                p = (page[cut:] + self._page(i + 1)[: n - 1]).find(sub, 0, end - base - cut)
                if p >= 0:
                    return base + cut + p
            i += 1
        # farther (a scan): large reads, not kept
        at, chunk = max(start, i * self.PAGE), 1 << 16
        while at < end:
            data = os.pread(self.fd, min(chunk + len(sub) - 1, end - at), at)
            p = data.find(sub)
            if p >= 0:
                return at + p
            if len(data) < len(sub):
                break
            at += chunk
            chunk = min(chunk * 2, 1 << 20)
        return -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = self.size if end is None else min(end, self.size)
        start = max(0, start)
        hi, chunk = end, 1 << 12
        while hi > start:
            lo = max(start, hi - chunk)
            data = os.pread(self.fd, min(end, hi + len(sub) - 1) - lo, lo)
            p = data.rfind(sub)
            if p >= 0:
                return lo + p
            hi = lo
            chunk = min(chunk * 4, 1 << 20)
        return -1


@contextmanager
def _opened(path: Path):
    """``(file descriptor, its bytes as a _FileBytes)`` of the file ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        yield fd, _FileBytes(fd)
    finally:
        os.close(fd)


def _copy_range(src: int, lo: int, hi: int, fh) -> bool:
    """Bytes ``lo:hi`` of the open file ``src`` appended to ``fh`` by ``os.copy_file_range``;
    False (nothing written) where the system cannot."""
    if not hasattr(os, "copy_file_range"):
        return False
    dst = fh.fileno()
    first = True
    while lo < hi:
        try:
            n = os.copy_file_range(src, dst, hi - lo, lo)
        except OSError:
            if first:
                return False
            raise
        if n <= 0:
            if first:
                return False
            raise OSError(f"copy_file_range stopped {hi - lo} bytes short")
        first = False
        lo += n
    return True


def _find(data, sub: bytes, start: int) -> int:
    """``data.index(sub, start)`` for bytes or a :class:`_FileBytes` (which has no ``index``)."""
    p = data.find(sub, start)
    if p < 0:
        raise ValueError(f"{sub!r} not found after byte {start}")
    return p


def _turtle_key(data):
    def key_at(p: int) -> str:
        return _pname_iri(bytes(data[p : _find(data, b" ", p)]).decode("utf-8"))

    return key_at


def turtle_blocks(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The prefixes and the subject blocks, in order, of Turtle that
    :func:`pipeline.build.write_turtle` wrote: ``(prefixes, [(subject IRI, block)])``. Its
    blocks are separated by a blank line, which no block holds (literals escape their line
    breaks)."""
    parts = data.rstrip(b"\n").split(b"\n\n")
    return parts[0], [(_pname_iri(b[: b.index(b" ")].decode("utf-8")), b) for b in parts[1:]]


def splice_turtle(old: bytes, drop: set[str], g: Graph, write: set[str]) -> bytes:
    """``old`` Turtle without the subjects in ``drop``, with the subjects ``write`` as
    ``g`` has them, in the writer's order: the bytes :func:`pipeline.build.write_turtle`
    gives for the graph so changed."""
    return _joined(old, _splice_turtle(old, drop, g, write)[0])


def _turtle_sorted_blocks(old) -> tuple[int, _SortedBlocks]:
    """(where the prefixes end, the subject blocks) of Turtle :func:`pipeline.build.write_turtle`
    wrote (``old`` may be read in place): blocks are separated by a blank line, the last one
    ends the file with a single line break."""
    n = len(old)
    first = old.find(b"\n\n")
    if first < 0:  # prefixes alone
        first = n - 1
    return first, _SortedBlocks(old, min(first + 2, n), n, b"\n\n", _turtle_key(old), skip=2)


def _splice_turtle(old, drop: set[str], g: Graph, write: set[str]) -> tuple[list, list[bytes], list[bytes]]:
    """:func:`splice_turtle` as pieces to write (:func:`_splice`; ``old`` may be a memory
    map), and the blocks it took out and put in."""
    from .build import serialize_turtle

    new_head, new = turtle_blocks(serialize_turtle(g, only=write))
    n = len(old)
    first, blocks = _turtle_sorted_blocks(old)
    if bytes(old[:first]) != new_head:
        raise ValueError("the Turtle to splice into has other prefixes")
    removed: list[bytes] = []
    spliced = _splice(old, blocks, {k: b + b"\n\n" for k, b in new}, drop, removed)
    pieces: list = [new_head + b"\n\n"]
    for p in spliced:
        pieces.append(p)
        if type(p) is slice and p.stop == n and p is not spliced[-1]:
            pieces.append(b"\n")  # the old last block, now followed by others
    if len(pieces) > 1:  # the file ends with its last block's line
        last = pieces[-1]
        if type(last) is slice:
            if bytes(old[last.stop - 2 : last.stop]) == b"\n\n":
                pieces[-1] = slice(last.start, last.stop - 1)
        elif last.endswith(b"\n\n"):
            pieces[-1] = last[:-1]
    return pieces, removed, [b for _, b in new]


class OwnedIRIs:
    """A set of the build's IRIs kept small: those ending in ``-`` and 16 hex digits (every
    subject the build makes, spans and figures as their table rows' numbers) as 64-bit
    numbers per prefix, any other as itself. At 10,000 bulletins the documents own ~4M
    subjects: ~35 MB so, where their IRIs as strs in sets took over a gigabyte."""

    __slots__ = ("numbers", "other")

    def __init__(self) -> None:
        self.numbers: dict[str, array] = {}
        self.other: set[str] = set()

    def add(self, iri: str) -> None:
        prefix, dash, tail = iri.rpartition("-")
        if dash and len(tail) == 16 and _HEX16.fullmatch(tail):
            self.add_number(_PREFIX_STRS.setdefault(prefix, prefix + dash), int(tail, 16))
        else:
            self.other.add(iri)

    def add_number(self, prefix: str, n: int) -> None:
        got = self.numbers.get(prefix)
        if got is None:
            got = self.numbers[prefix] = array("Q")
        got.append(n)

    def iris(self) -> set[str]:
        out = set(self.other)
        for prefix, numbers in self.numbers.items():
            out.update(f"{prefix}{n:016x}" for n in numbers)
        return out

    def __getstate__(self):
        return ({p: array("Q", sorted(set(a))).tobytes() for p, a in sorted(self.numbers.items())}, tuple(sorted(self.other)))

    def __setstate__(self, state) -> None:
        numbers, other = state
        self.numbers = {}
        for p, data in numbers.items():
            a = array("Q")
            a.frombytes(data)
            self.numbers[p] = a
        self.other = set(other)


_HEX16 = re.compile(r"[0-9a-f]{16}")
_PREFIX_STRS: dict[str, str] = {}  # an IRI's prefix without its dash -> the one str with it

# classes whose nodes a document can own alone, though they can also be shared
_OWNABLE = (XS.Inspection, XS.IssueLink)
_OWNABLE_SET = frozenset(_OWNABLE)


def owned(g: Graph, docs: set[str] | None = None, own: _Owners | None = None, packed: bool = False) -> dict:
    """Per source document (of ``docs``, or every one), the subjects of ``g`` it owns
    (:func:`owners`; corpus-level nodes aside, but for an inspection or an issue link, which
    a document can own): what a rebuild that reaches it drops of the last build's outputs.
    A subject several documents own is each one's. Each document's as a set of IRIs, or
    (``packed``) an :class:`OwnedIRIs`. ``own``: an :class:`_Owners` of ``g``."""
    from .memstore import SPAN_BASE

    own = own or _Owners(g)
    out: dict[str, OwnedIRIs] = defaultdict(OwnedIRIs)
    for s, preds in own.indexed.items():
        types = own.types(s, preds)
        if s not in own.shared or not _OWNABLE_SET.isdisjoint(types):
            ds = own.of(s, preds)
            if ds:
                name = str(s)
                for d in ds:
                    if docs is None or d in docs:
                        out[d].add(name)
    if own.spans.table is not None:
        t = own.spans.table
        numbers = {n: own.name(d) for n, d in enumerate(t.docs) if docs is None or str(d) in docs}
        base = str(SPAN_BASE)
        for r in t.live_rows():
            d = numbers.get(t.doc[r])
            if d is not None:
                out[d].add_number(base, t.keys[r])
        figures = own.index.figures
        for r in figures.live_rows():
            d = own.doc_of(figures.evidence[r])
            if d is not None and (docs is None or d in docs):
                out[d].add_number(figures.BASE, figures.keys[r])
    if packed:
        return dict(out)
    return {d: o.iris() for d, o in out.items()}


def written(g: Graph, reach: Reach, before: CorpusLinks, after: CorpusLinks | None = None,
            owned_by: dict[str, set[str]] | None = None) -> set[str]:
    """The subjects of partial graph ``g`` (:func:`partial_graph`) a rebuild writes: those
    reached documents own (:func:`owned`), the corpus-level nodes reached documents refer
    to, before or after the change (``after``: :func:`read` of ``g``), and the nodes the
    reach names; each as ``g`` has it, if it has it. Of the last build's graph, the same
    gives what the rebuild drops. ``owned_by``: :func:`owned` of ``g`` for the reach, when
    the caller has it."""
    after = after or read(g)
    out = set().union(*(owned(g, reach.docs) if owned_by is None else owned_by).values())
    refs = set(reach.nodes)
    for c in (before, after):
        for d in reach.docs:
            if d in c.docs:
                refs |= c.docs[d].refs
    from .build import subject_index

    present = {str(s) for s in split_index(subject_index(g))[0]}
    return out | (refs & present)


def splice_csv(old: bytes, sources: set[str], g: Graph) -> bytes:
    """``old`` problems table without the rows of the source files ``sources``, with the
    rows ``g`` (a partial graph, holding the problems of those files alone) gives them: the
    table :func:`pipeline.mirror.write_problems_csv` writes, whose rows are grouped by
    source file in path order."""
    import io

    buf = io.BytesIO()
    _splice_csv_to(buf, io.BytesIO(old), sources, g)
    return buf.getvalue()


def _splice_csv_to(fh, old, sources: set[str], g: Graph) -> None:
    """:func:`splice_csv` from the binary file ``old`` to the binary file ``fh``, a row at a
    time (at 10,000 bulletins the old table's rows, held, were ~400 MB)."""
    import csv
    import heapq
    import io

    from .mirror import CSV_HEADER, problems_csv

    col = CSV_HEADER.index("源文件")
    _, *new = csv.reader(io.StringIO(problems_csv(g).decode("utf-8-sig"), newline=""))
    stray = {r[col] for r in new} - sources
    if stray:
        raise ValueError(f"the partial graph holds problems of other files: {sorted(stray)[:3]}")
    rows = csv.reader(io.TextIOWrapper(old, encoding="utf-8-sig", newline=""))
    if next(rows, None) != CSV_HEADER:
        raise ValueError("the problems table to splice into has other columns")
    kept = (r for r in rows if r[col] not in sources)
    text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
    try:
        text.write("\ufeff")
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow(CSV_HEADER)
        w.writerows(heapq.merge(kept, new, key=lambda r: r[col]))
        text.flush()
    finally:
        text.detach()  # the caller's file stays open


_GRAPH_OPEN = b'<graph edgedefault="directed">\n'
_NODE, _EDGE = b'<node id="', b'<edge source="'


def _graphml_regions(data) -> tuple[int, int, int, dict[str, bytes]]:
    """(where the nodes begin, where the edges begin, where they end, the node attributes'
    ``<key>`` lines by attribute name) of GraphML that
    :func:`pipeline.mirror.write_graphml_to` wrote."""
    import html

    nodes = _find(data, _GRAPH_OPEN, 0) + len(_GRAPH_OPEN)
    end = data.rfind(b"</graph>")
    if end < nodes:
        raise ValueError("the GraphML to splice into has no end")
    edges = _edges_start(data, nodes, end)
    keys = {}
    for m in re.finditer(rb'<key id="[^"]*" for="node" attr.name="([^"]*)"[^\n]*\n', bytes(data[:nodes])):
        keys[html.unescape(m.group(1).decode("utf-8"))] = m.group(0)
    return nodes, edges, end, keys


def _edges_start(data, lo: int, hi: int) -> int:
    """Where the first edge of ``data[lo:hi]`` (every node, then every edge) begins, ``hi``
    if none: by bisection, each probe reading the next line's start (markup's own ``<``
    begins a line or follows its indent; texts are escaped)."""
    found = hi
    while hi - lo > 1 << 12:
        mid = (lo + hi) // 2
        q = data.find(b"\n<", mid - 1, hi)  # the first line to start at or after mid
        if q < 0:
            hi = mid
            continue
        line = bytes(data[q + 1 : q + 1 + len(_EDGE)])
        if line == _EDGE:
            found = hi = q + 1
        elif line.startswith(b"</edge>"):  # an edge's last line: the edge began before
            hi = q + 1
        else:
            lo = q + 1
    p = data.find(_EDGE, lo, hi)
    return found if p < 0 else p


def _graphml_key(data, marker: bytes):
    import html

    def key_at(p: int) -> str:
        p += len(marker)
        name = bytes(data[p : _find(data, b'"', p)]).decode("utf-8")
        return _pname_iri(html.unescape(name) if "&" in name else name)

    return key_at


def _graphml_blocks(data: bytes) -> tuple[dict[str, bytes], dict[str, bytes], dict[str, bytes]]:
    """(node attribute keys, each node's block, each node's edges) of a whole (small) GraphML."""
    nodes, edges, end, keys = _graphml_regions(data)
    out = []
    for lo, hi, marker in ((nodes, edges, _NODE), (edges, end, _EDGE)):
        key_at = _graphml_key(data, marker)
        got: dict[str, bytes] = {}
        p = lo
        while p < hi:
            q = data.find(marker, p + 1, hi)
            q = hi if q < 0 else q
            k = key_at(p)
            got[k] = got.get(k, b"") + data[p:q]
            p = q
        out.append(got)
    return keys, out[0], out[1]


def splice_graphml(old: bytes, drop: set[str], g: Graph, write: set[str], holders: dict[str, str] | None = None) -> bytes:
    """``old`` GraphML without the nodes (and their edges) in ``drop``, with the nodes
    ``write`` as ``g`` makes them: the bytes :func:`pipeline.mirror.write_graphml_to` gives
    for the graph so changed. An edge from a written node to a node ``g`` does not hold is
    an edge if the old GraphML has that node (and it is not dropped). The node attributes'
    keys are those some node still uses. ``holders``: per attribute, a node of ``old``
    holding it, if known (:func:`_splice_graphml`)."""
    return _joined(old, _splice_graphml(old, drop, g, write, holders)[0])


def _key_id(line: bytes) -> bytes:
    """The id of a GraphML ``<key id="…" …>`` line."""
    start = len(b'<key id="')
    return line[start : line.index(b'"', start)]


def _splice_graphml(old, drop: set[str], g: Graph, write: set[str], holders: dict[str, str] | None = None) -> tuple[list, dict[str, str]]:
    """:func:`splice_graphml` as pieces to write (:func:`_splice`; ``old`` may be a
    :class:`_FileBytes`), and per node attribute of the result the IRI of a node holding it.
    An attribute the written nodes lack keeps its key if its holder in ``holders`` is kept;
    else the old nodes are searched for another (a scan: an attribute's first holder can be
    a gigabyte into a 10,000-bulletin build's nodes)."""
    from .mirror import _EDGE_KEY, _GRAPHML_HEAD, write_graphml

    n0, e0, end, old_keys = _graphml_regions(old)
    nodes = _SortedBlocks(old, n0, e0, _NODE, _graphml_key(old, _NODE))
    edges = _SortedBlocks(old, e0, end, _EDGE, _graphml_key(old, _EDGE))
    gone = drop | write
    # the nodes a written node may point to that only the old GraphML holds
    known = {k for k in _outside_targets(g, write) if k not in gone and len(set(nodes.span(k))) == 2}
    new_keys, new_nodes, new_edges = _graphml_blocks(write_graphml(g, only=write, known=known))
    node_pieces = _splice(old, nodes, new_nodes, drop)
    edge_pieces = _splice(old, edges, new_edges, drop)
    holders = dict(holders or {})
    found: dict[str, str] = {}
    # the written nodes' attributes: a holder each (a kept old one, else the first written)
    names = {_key_id(line): name for name, line in new_keys.items()}
    for node, block in sorted(new_nodes.items()):
        for kid in re.findall(rb'<data key="([^"]*)">', block):
            name = names.get(kid)
            if name is not None and name not in found:
                h = holders.get(name)
                found[name] = h if h is not None and h not in gone else node
    # an old attribute key stays if a node kept holds it
    dropped = None
    keys = dict(new_keys)
    for name, line in old_keys.items():
        if name in keys:
            continue
        h = holders.get(name)
        if h is not None and h not in gone:
            keys[name], found[name] = line, h
            continue
        if dropped is None:
            dropped = [nodes.span(k) for k in sorted(gone)]
        needle = b'<data key="' + _key_id(line) + b'">'
        p = old.find(needle, n0, e0)
        while p >= 0 and any(lo <= p < hi for lo, hi in dropped):
            p = old.find(needle, p + 1, e0)
        if p >= 0:
            keys[name], found[name] = line, nodes.key_at(_node_start(old, n0, p))
    head = [_GRAPHML_HEAD.encode("utf-8"), *(keys[k] for k in sorted(keys))]
    head.append(f'<key id="{_EDGE_KEY}" for="edge" attr.name="predicate" attr.type="string"/>\n'.encode("utf-8") + _GRAPH_OPEN)
    return [*head, *node_pieces, *edge_pieces, b"</graph>\n</graphml>\n"], found


def _node_start(data, n0: int, p: int) -> int:
    """Where the node block holding position ``p`` of the nodes (from ``n0``) begins."""
    q = data.rfind(_NODE, n0, p + 1)
    if q < 0:
        raise ValueError(f"no node begins before byte {p}")
    return q


def _outside_targets(g: Graph, write: set[str]) -> set[str]:
    """The IRIs the subjects ``write`` of ``g`` point to that ``g`` holds no triples of."""
    from .build import subject_index
    from .memstore import split_index

    index = subject_index(g)
    indexed = split_index(index)[0]
    out = set()
    for s in write:
        preds = indexed.get(URIRef(s))
        if preds is None:
            continue
        for slot in preds.values():
            for o in raw_objects(slot):
                if type(o) is URIRef and o not in indexed and index.get(o) is None:
                    out.add(str(o))
    return out


def _label_keys(labels: dict[str, frozenset], named: frozenset[str]) -> dict[str, str]:
    """unit_key(label) → unit, as the rounds pass resolves printed names
    (:meth:`pipeline.rounds.Corpus.read`: units in IRI order, the first to claim a key keeps it)."""
    out: dict[str, str] = {}
    for u in sorted(named):
        for p in (SKOS.prefLabel, SKOS.altLabel):
            for label in sorted(x for q, x in labels.get(u, ()) if q == str(p)):
                out.setdefault(unit_key(label), u)
    return dict(sorted(out.items()))


def _teams(inspections: dict[str, tuple]) -> dict[tuple[str, str], frozenset[str]]:
    """(year, inspecting body) → the teams of its inspections (what the round-groups pass counts)."""
    teams: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _owners, facts in inspections.values():
        v = {}
        for p, o in facts:
            if p in (XS.year, XS.inspectingBody, XS.team):
                v[p] = min(v.get(p, str(o)), str(o))
        if v.get(XS.year) and v.get(XS.team):
            teams[(v[XS.year], v.get(XS.inspectingBody, ""))].add(v[XS.team])
    return {k: frozenset(t) for k, t in teams.items()}


def update(before: CorpusLinks, partial: CorpusLinks, reach: Reach, drop: set[str], write: set[str]) -> CorpusLinks:
    """The summary of the graph a rebuild writes: ``before`` (the last build's) with the
    reached documents and the rewritten nodes as ``partial`` (:func:`read` of the partial
    graph) has them, the dropped ones gone, and what is derived from them worked out again."""
    gone = drop | write

    def nodes(old: dict, new: dict) -> dict:
        return {**{k: v for k, v in old.items() if k not in gone}, **{k: v for k, v in new.items() if k in write}}

    def documents(old: dict, new: dict) -> dict:
        return {**{k: v for k, v in old.items() if k not in reach.docs}, **{k: v for k, v in new.items() if k in reach.docs}}

    out = CorpusLinks(
        docs=documents(before.docs, partial.docs),
        labels=nodes(before.labels, partial.labels),
        successors=nodes(before.successors, partial.successors),
        inspections=nodes(before.inspections, partial.inspections),
        unit_evidence=nodes(before.unit_evidence, partial.unit_evidence),
        sources=documents(before.sources, partial.sources),
        named=frozenset(u for u in before.named if u not in gone) | frozenset(u for u in partial.named if u in write),
    )
    out.label_keys = _label_keys(out.labels, out.named)
    out.teams = _teams(out.inspections)
    return out


# --- the rebuild -------------------------------------------------------------------------------
#
# A build without the HTML view pinned to a reference (no decisions file, no byte-identical
# copies) keeps what the next one needs beside its outputs, in OUT/.cache/incremental: the
# graph's summary, its counts, the passes' issues, its SHACL results when it validated, and
# what each document owns (one file each, read only for the documents a change reaches).
# The next build with the same code, options and reference then rebuilds the documents a
# change reaches and splices them into the outputs.

STATE_DIR = "incremental"
STATE_FILE = "state.pickle"
STATE_VERSION = 4  # 2: owned files hold OwnedIRIs; 3: GraphML keys' nodes; 4: SHACL results
# a rebuild that would redo more than this share of the documents builds them all instead
MAX_SHARE = 0.3


@dataclass
class State:
    """What a build keeps for an incremental rebuild (see above)."""

    key: str  # what the outputs depend on besides the inputs: code, ontology, options, reference
    summary: CorpusLinks
    counts: dict  # the run report's counts and problems by status
    statuses: dict
    bad_spans: dict[str, int]  # source document -> its spans that do not round-trip
    issues: list  # the corpus passes' issues (each knows its source file and pass order)
    graphml_keys: dict = field(default_factory=dict)  # GraphML node attribute -> the IRI of a node holding it
    # the SHACL results (pipeline.shacl.portable), in the report's order; None: the build did not validate
    shacl: list | None = None
    version: int = STATE_VERSION


def _folder(out) -> Path:
    return Path(out) / ".cache" / STATE_DIR


def _owned_file(out, doc: str) -> Path:
    return _folder(out) / "owned" / (doc.rsplit("/", 1)[-1] + ".pickle")


def save_state(out, state: State, owned_by: dict, forget: set[str] = frozenset(), every: bool = True) -> None:
    """Keep ``state`` and what each document owns (``owned_by``: sets of IRIs or
    :class:`OwnedIRIs`); the owned files of the documents ``forget`` go. ``every``:
    ``owned_by`` holds every document (a full build): the owned files of any other go too.
    The state is written last: it is what makes the owned files used."""
    from .fsio import atomic_write

    folder = _folder(out)
    (folder / "owned").mkdir(parents=True, exist_ok=True)
    write_owned(out, owned_by)
    keep = {_owned_file(out, d).name for d in owned_by} if every else None
    for f in (folder / "owned").glob("*.pickle"):
        if (keep is not None and f.name not in keep) or f.name in {_owned_file(out, d).name for d in forget}:
            f.unlink(missing_ok=True)
    atomic_write(folder / STATE_FILE, lambda fh: _dump_state(fh, state))


_CHUNK = 2000  # a summary's dicts are pickled this many items at a time
_END = "end of state"


def _dump_state(fh, state: State) -> None:
    """``state`` pickled into ``fh`` a piece at a time: its summary field by field, each dict
    ``_CHUNK`` items at a time. A pickler remembers every object it wrote (a memo of ~100
    bytes each; ~100 MB for a summary at 10,000 bulletins): so only a piece's at once."""
    import dataclasses
    import pickle

    def dump(x) -> None:
        pickle.dump(x, fh, protocol=pickle.HIGHEST_PROTOCOL)

    dump(dataclasses.replace(state, summary=None))
    for f in dataclasses.fields(CorpusLinks):
        value = getattr(state.summary, f.name)
        if isinstance(value, dict):
            keys = list(value)
            dump((f.name, len(keys)))
            for i in range(0, len(keys), _CHUNK):
                dump([(k, value[k]) for k in keys[i : i + _CHUNK]])
        else:
            dump((f.name, None))
            dump(value)
    dump((_END, None))


def _load_state(fh) -> State:
    """:func:`_dump_state`'s state back."""
    import pickle

    state = pickle.load(fh)
    if not isinstance(state, State) or state.version != STATE_VERSION:
        raise ValueError("a state of another version")
    summary = CorpusLinks()
    names = {f.name for f in fields(CorpusLinks)}
    while True:
        name, n = pickle.load(fh)  # EOFError if cut off before its end
        if name == _END:
            break
        if name not in names:
            raise ValueError(f"a state with an unknown field {name!r}")
        if n is None:
            setattr(summary, name, pickle.load(fh))
            continue
        d: dict = {}
        while len(d) < n:
            d.update(pickle.load(fh))
        setattr(summary, name, d)
    state.summary = summary
    return state


def write_owned(out, owned_by: dict) -> None:
    """Keep what each document owns (``owned_by``: sets of IRIs or :class:`OwnedIRIs`), one
    file per document. The state that uses them is written after them."""
    import pickle

    from .fsio import atomic_write

    (_folder(out) / "owned").mkdir(parents=True, exist_ok=True)
    for d, subjects in owned_by.items():
        if not isinstance(subjects, OwnedIRIs):
            packed = OwnedIRIs()
            for s in subjects:
                packed.add(s)
            subjects = packed
        atomic_write(_owned_file(out, d), pickle.dumps(subjects, protocol=pickle.HIGHEST_PROTOCOL))


def load_state(out, key: str) -> State | None:
    """The state the last build into ``out`` kept, if it was made with ``key``."""
    import pickle

    try:
        with open(_folder(out) / STATE_FILE, "rb") as fh:
            state = _load_state(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None
    if not isinstance(state, State) or state.version != STATE_VERSION or state.key != key:
        return None
    return state


def forget_state(out) -> None:
    """A build that keeps no state leaves none behind (a later rebuild would splice into
    outputs the state does not describe)."""
    import shutil

    shutil.rmtree(_folder(out), ignore_errors=True)


def _load_owned(out, docs: set[str]) -> set[str] | None:
    import pickle

    found: set[str] = set()
    for d in docs:
        try:
            got = pickle.loads(_owned_file(out, d).read_bytes())
        except FileNotFoundError:
            continue  # a document the last build did not have
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None
        if not isinstance(got, OwnedIRIs):
            return None
        found.update(got.iris())
    return found


_LITERAL = re.compile(rb'"(?:[^"\\]|\\.)*"')  # a quoted literal as the Turtle writer escapes it


def block_counts(blocks: list[bytes]) -> tuple[dict, dict]:
    """The run report's counts and problems by status of the triples of ``blocks`` (subject
    blocks as :func:`pipeline.build.write_turtle` writes them), read from their text: a
    block is ``subject predicate object, object ;\n    predicate object .``, and no literal
    holds a line break (they are escaped)."""
    from collections import Counter

    from .vocab import STATUS_KEYS
    from .workflow import COUNTED

    classes = {str(cls): name for name, cls in COUNTED}
    counts: Counter = Counter()
    status: Counter = Counter()
    triples = 0
    for block in blocks:
        body = _LITERAL.sub(b"L", block.rstrip(b"\n"))
        body = body[body.index(b" ") + 1 : -2]  # without the subject and the final " ."
        for pair in body.split(b" ;\n    "):
            pred, _, objs = pair.partition(b" ")
            values = objs.split(b", ")
            triples += len(values)
            if pred == b"a":
                for v in values:
                    name = classes.get(_pname_iri(v.decode("utf-8")))
                    if name:
                        counts[name] += 1
            elif pred == b"xs:status":
                for v in values:
                    status[_pname_iri(v.decode("utf-8")).rsplit("#", 1)[-1]] += 1
    return ({**{name: counts.get(name, 0) for name, _ in COUNTED}, "triples": triples},
            {k: status.get(k, 0) for k in STATUS_KEYS})


def keep_state(out, key: str, g: Graph, report) -> None:
    """Keep the state a full build leaves for the next one (``g`` its graph, ``report`` its
    run report, its outputs written): what each document owns first, then the summary. One
    at a time, as the build's peak memory is near (at 10,000 bulletins the graph holds
    ~1.7 GB; the summary and the owned sets ~100 MB each, the summary's pickling as much)."""
    own = _Owners(g)
    by_doc = owned(g, own=own, packed=True)
    forget_state(out)
    write_owned(out, by_doc)
    del by_doc
    bad: dict[str, int] = defaultdict(int)
    for sp, _start, _end in report.bad_spans:
        bad[str(own.spans.of_term(URIRef(sp)) or "")] += 1
    issues = [i for i in report.build_issues if i.order]
    holders = {k: _pname_iri(v) for k, v in report.graphml_keys.items()}
    shacl = None if report.shacl_results is None else list(report.shacl_results)
    save_state(out, State(key, read(g, own), report.counts(), report.by_status(), dict(bad), issues, holders, shacl), {},
               every=False)


def rebuild(state: State, out, states: list, good: list, options: dict, records, stage, pinned: dict | None,
            shacl: bool = False):
    """The run report of an incremental rebuild into ``out`` (its outputs written, its state
    kept), or None when a full build is due: nothing the state knows changed, or the change
    reaches too much. ``states``: every input's state; ``good``: those built, in order;
    ``shacl``: validate (the state then holds the last build's results)."""
    from . import reference
    from .build import iri
    from .errors import Issue
    from .fsio import Staged, atomic_write
    from .link import link
    from .validate import check_evidence
    from .workflow import RunReport

    out = Path(out)
    before = state.summary
    now = {str(iri(s.source.id)): s for s in good}
    changed = set(before.docs) ^ set(now)
    changed |= {d for d in set(before.docs) & set(now) if before.sources.get(d) != now[d].source.path}
    if not changed:
        return None
    shapes = None
    if shacl:
        from . import shacl as engine
        from . import validate

        if state.shacl is None:
            return None
        try:
            shapes = engine.Shapes(validate.shapes_graph())
        except engine.Unsupported:
            return None
    r = reach(changed, before, before)
    linked = None  # the link stage over every document, made once (2.9 s at 10,000 bulletins)
    for _ in range(4):  # until the change reaches no further than the graph it made says
        if len(r.docs) > MAX_SHARE * max(len(now), len(before.docs)):
            return None
        stage("partial")
        issues: list = []
        if linked is None:
            linked = link([s.link_result() for s in good])
        pg = partial_graph(good, r.docs, before, options, stage, records, issues, linked)
        stage("reach")
        lp = read(pg)
        new_owned = owned(pg, r.docs)
        write = written(pg, r, before, lp, new_owned)
        drop = _load_owned(out, r.docs)
        if drop is None:
            return None
        drop |= set(r.nodes)
        for d in r.docs:
            if d in before.docs:
                drop |= before.docs[d].refs
        after = update(before, lp, r, drop, write)
        again = reach(changed, before, after)
        if again.docs <= r.docs and again.nodes <= r.nodes:
            break
        r = Reach(r.docs | again.docs, r.nodes | again.nodes)
    else:
        return None
    paths = {c.sources[d] for c in (before, lp) for d in r.docs if d in c.sources}
    staged = Staged(out)
    try:
        stage("turtle")
        with _opened(out / "xunshi.ttl") as (fd, old):
            pieces, removed, added = _splice_turtle(old, drop, pg, write)
            staged.write("xunshi.ttl", _writer(old, pieces, fd))
            del pieces
        counts, statuses = dict(state.counts), dict(state.statuses)
        for sign, blocks in ((-1, removed), (1, added)):
            if blocks:
                c, st = block_counts(blocks)
                for k, v in c.items():
                    counts[k] = counts.get(k, 0) + sign * v
                for k, v in st.items():
                    statuses[k] = statuses.get(k, 0) + sign * v
        for st in good:
            if str(iri(st.source.id)) in r.docs and st.source.needs_text_file:
                staged.put(st.source.text_file_name, st.source.text.encode("utf-8"))
        stage("graphml")
        with _opened(out / "xunshi.graphml") as (fd, old):
            pieces, holders = _splice_graphml(old, drop, pg, write, state.graphml_keys)
            staged.write("xunshi.graphml", _writer(old, pieces, fd))
            del pieces
        stage("csv")
        with open(out / "problems.csv", "rb") as old_csv:
            staged.write("problems.csv", lambda fh: _splice_csv_to(fh, old_csv, paths, pg))
        stage("evidence")
        bad = {d: n for d, n in state.bad_spans.items() if d not in r.docs}
        spans = SpanDocs(pg)
        for sp, _s, _e in check_evidence(pg, {d: s.source.text for d, s in now.items()}):
            if sp in write:
                d = str(spans.of_term(URIRef(sp)) or "")
                bad[d] = bad.get(d, 0) + 1
        report = RunReport(states, None, counted=counts, statuses=statuses)
        # the passes' issues in their order: the other documents' as they were, the rebuilt ones' anew
        report.build_issues.extend(sorted([i for i in state.issues if i.source not in paths] +
                                          [i for i in issues if i.order and i.source in paths], key=lambda i: i.order))
        if pinned is not None:
            report.reference["used"] = pinned.get("digest", "")
            grown = reference.stale(pinned, counts.get("problems", 0))
            if grown is not None:
                report.build_issues.append(grown)
        n_bad = sum(bad.values())
        report.evidence = {"spans": counts.get("evidence_spans", 0), "not_round_tripping": n_bad}
        if n_bad:
            report.build_issues.append(Issue("W032", "", {"count": n_bad}))
        names = ["xunshi.ttl", "xunshi.graphml", "problems.csv"]
        results = None
        if shapes is not None:
            stage("shacl")
            results = revalidate(state.shacl, pg, write, drop, out / "xunshi.ttl", shapes)
            staged.put("shacl-report.ttl", shacl_report(results, shapes))
            violations = sum(r.severity == SH.Violation for r in results)
            report.shacl = {"conforms": not violations, "violations": violations, "report": "shacl-report.ttl"}
            if violations:
                report.build_issues.append(Issue("W030", "", {"count": violations}))
            names.append("shacl-report.ttl")
        report.outputs = {name: str(out / name) for name in names}
        report.outputs["stats.json"] = str(out / "stats.json")
        texts_written = [st.source.text_file_name for st in states if st.outcome == "ok" and st.source.needs_text_file]
        report.written = sorted([*names, *texts_written, "stats.json"])
        def files(docs: set[str]) -> int:  # a changed file is two documents (its old and new bytes)
            return len({before.sources[d] for d in docs if d in before.sources} | {now[d].source.path for d in docs if d in now})

        report.rebuilt = {"documents": files(r.docs), "changed": files(changed), "subjects": len(write)}
        stage("state")
        # the state describes the outputs until they are replaced, then the new ones
        (_folder(out) / STATE_FILE).unlink(missing_ok=True)
        staged.commit()
    finally:
        staged.discard()
    import json

    stats = json.dumps(report.as_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    atomic_write(out / "stats.json", stats.encode("utf-8"))
    new_owned = {d: subjects for d, subjects in new_owned.items() if d in now}
    save_state(out, State(state.key, after, counts, statuses, bad, [i for i in report.build_issues if i.order], holders,
                          results), new_owned, forget=r.docs - set(now), every=False)
    return report


def revalidate(kept: list, g: Graph, write: set[str], drop: set[str], turtle, shapes) -> list:
    """The SHACL results (:func:`pipeline.shacl.portable`, in the report's order) of the graph
    a rebuild writes: the last build's ``kept`` but those of the subjects it drops or
    rewrites (``drop``, ``write``), and those partial graph ``g`` gives the subjects it
    writes. A subject's results depend on its own triples, as ``g`` has them, and on the
    classes of the nodes it points to (``sh:class``): of those ``g`` holds nothing of, the
    classes are read from the last build's Turtle ``turtle`` (their blocks found by
    bisection) unless they are dropped. ``shapes``: :class:`pipeline.shacl.Shapes`."""
    from . import shacl as engine
    from .vocab import ontology_graph

    ont = Graph()  # the ontology (a copy: it is shared), and the classes of the nodes outside g beside it
    for t in ontology_graph():
        ont.add(t)
    outside = sorted(_outside_targets(g, write) - drop)
    if outside:
        with _opened(Path(turtle)) as (_fd, old):
            first, blocks = _turtle_sorted_blocks(old)
            head = bytes(old[:first]) + b"\n\n"
            at = None
            for key in outside:
                lo, hi = blocks.span(key, at)
                at = hi
                if hi > lo:
                    block = Graph().parse(data=head + bytes(old[lo:hi]), format="turtle")
                    for s, o in block.subject_objects(RDF.type):
                        ont.add((s, RDF.type, o))
    fresh = [r for r in engine.validate(g, shapes, ont) if str(r.focus) in write]
    gone = write | drop
    merged = [r for r in kept if str(r.focus) not in gone] + engine.portable(fresh, shapes)
    return sorted(merged, key=engine.Result.key)


def shacl_report(results: list, shapes) -> bytes:
    """The bytes of ``shacl-report.ttl`` for :func:`pipeline.shacl.portable` ``results``,
    as a full build writes them."""
    from . import shacl as engine
    from .vocab import bind_prefixes

    _conforms, report = engine.report_graph(engine.attach(results, shapes), shapes)
    bind_prefixes(report)
    return report.serialize(format="turtle", encoding="utf-8")
