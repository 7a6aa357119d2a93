"""Build stage: the linked records → one RDF graph (the single source of truth).

Everything else (GraphML, CSV, HTML, the run report's counts) is derived from the graph this
module emits. IRIs are content-derived (``xr:problem-<hash>`` …), so two builds of the same
input give the same graph, and :func:`serialize_turtle` writes it byte for byte the same.
"""

from __future__ import annotations

import heapq
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import InvalidOperation

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS as _DCTERMS
from rdflib.namespace import PROV as _PROV
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SKOS as _SKOS
from rdflib.namespace import XSD as _XSD

from .extract import count_checks
from .link import Linked
from .memstore import SPAN_PREDICATES, BuildGraph, CompactMemory, index_iri, split_index
from .records import BulletinRec, Extraction, Span, stable_id
from .vocab import (
    LITERAL_TYPES,
    ORG,
    PREFIXES,
    XR,
    XS,
    bind_prefixes,
    closed,
    decimal_literal,
    extended,
    int_literal,
    plain,
    zh,
)

_XR = str(XR)
# rdflib's vocabularies make a new URIRef on every attribute access; the builder's are made
# once (a graph of 2.7 million triples looks up some five million)
DCTERMS, PROV, RDF, RDFS, SKOS, XSD = map(closed, (_DCTERMS, _PROV, _RDF, _RDFS, _SKOS, _XSD))


def iri(rec_id: str) -> URIRef:
    return URIRef(_XR + rec_id)


def short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class GraphBuilder:
    """Emit the graph of a linked corpus per ``../shared/ontology-core.md``."""

    def __init__(self, linked: Linked):
        self.linked = linked
        self.g = bind_prefixes(BuildGraph())
        self.doc_no: dict[str, int] = {}  # document id -> its number in the span table
        self._refs: dict[str, URIRef] = {}  # see ref()
        # straight into the store: every term here is made by this class, so rdflib's
        # per-triple checks in Graph.add (a fifth of this stage) have nothing to catch
        self._store_add = self.g.store.add

    def add(self, s, p, o) -> None:
        self._store_add((s, p, o))

    def ref(self, rec_id: str) -> URIRef:
        """The IRI of a node that others refer to (document, bulletin, section, category,
        unit, policy, person): one object however often it is referred to."""
        got = self._refs.get(rec_id)
        if got is None:
            got = self._refs[rec_id] = iri(rec_id)
        return got

    def evidence(self, node: URIRef, span: Span | None, prop=XS.evidence) -> None:
        """``node prop span``, and the span's own triples the first time (a row of the
        store's span table: :class:`pipeline.memstore.SpanTable`)."""
        if span is None or span.end <= span.start:
            return
        # the store keeps a span once (and holds its IRI as a number: memstore.span_key)
        sp = self.g.store.add_span(iri(span.id), self.doc_no[span.doc_id], span.start, span.end, span.exact)
        self.add(node, prop, sp)

    def build(self, records: Iterable[Sequence[Extraction]] | None = None, nodes: set[str] | None = None) -> Graph:
        for res in self.linked.results:
            self.source_document(res.source)
        for uid, u in self.linked.units.items():
            self.unit(uid, u)
        for pid, p in self.linked.policies.items():
            if nodes is None or pid in nodes:
                self.policy(pid, p)
        for person in self.linked.people.values():
            if nodes is None or person.id in nodes:
                self.person(person)
        results = self.linked.results
        if records is None:
            records = (res.extractions for res in results)
        for res, extractions in zip(results, records, strict=True):
            main = None
            for e in extractions:
                b = e.bulletin
                node = self.bulletin(b, res.source.path)
                if b.index == 0:
                    main = node
                elif main is not None:
                    self.add(node, DCTERMS.isPartOf, main)
                    self.add(main, XS.hasAttachment, node)
                insp = self.inspection(e)
                self.items(e, insp)
                self.summary(e, res.source)
        return self.g

    # nodes ---------------------------------------------------------------------------------

    def source_document(self, doc) -> None:
        d = self.ref(doc.id)
        self.doc_no[doc.id] = self.g.store.add_document(d, doc.text)
        self.add(d, RDF.type, XS.SourceDocument)
        self.add(d, DCTERMS.source, plain(doc.path))
        self.add(d, XS.sha256, plain(doc.sha256))
        self.add(d, XS.encoding, plain(doc.encoding))
        self.add(d, XS.mediaType, plain(doc.media_type))
        if doc.needs_text_file:
            self.add(d, XS.textFile, plain(doc.text_file_name))

    def unit(self, uid: str, u) -> None:
        n = self.ref(uid)
        self.add(n, RDF.type, XS.Unit)
        self.add(n, SKOS.prefLabel, zh(u.label))
        self.add(n, RDFS.label, zh(u.label))
        for alt in u.alt_labels:
            self.add(n, SKOS.altLabel, zh(alt))
        if u.anonymised:
            self.add(n, XS.anonymised, Literal(True))
        for sp in u.spans:
            self.evidence(n, sp)

    def policy(self, pid: str, p) -> None:
        n = self.ref(pid)
        self.add(n, RDF.type, XS.Policy if p.cls == "Policy" else XS.CitedWork)
        self.add(n, RDFS.label, zh(p.label))
        for alt in p.alt_labels:
            self.add(n, SKOS.altLabel, zh(alt))
        if p.cls == "Policy":
            for verb in p.actions:
                self.add(n, XS.action, zh(verb))
        else:
            self.add(n, XS.workKind, plain(p.work_kind or "document"))
        self.add(n, XS.mentionCount, int_literal(len(p.mentions)))
        for m in p.mentions:
            self.evidence(n, m.span)

    def person(self, person) -> None:
        n = self.ref(person.id)
        self.add(n, RDF.type, XS.Person)
        self.add(n, RDFS.label, zh(person.name))
        for role, _role_span in person.roles:
            self.add(n, XS.role, zh(role))
        if person.unit_id:
            self.add(n, ORG.memberOf, self.ref(person.unit_id))
        for b in sorted(person.leads):
            self.add(n, XS.leads, self.ref(b))
        for sp in person.spans:
            self.evidence(n, sp)
        for _role, role_span in person.roles:
            self.evidence(n, role_span)

    def bulletin(self, b: BulletinRec, source: str) -> URIRef:
        n = self.ref(b.id)
        self.add(n, RDF.type, XS.Bulletin)
        self.add(n, DCTERMS.title, zh(b.title))
        self.add(n, RDFS.label, zh((b.attachment + " " if b.attachment else "") + short(b.issuer or b.title, 30)))
        if b.date:
            self.add(n, DCTERMS.issued, Literal(b.date, datatype=XSD.date))
        self.add(n, DCTERMS.source, plain(source))
        self.add(n, XS.position, int_literal(b.index))
        if b.attachment:
            self.add(n, XS.attachmentLabel, zh(b.attachment))
        publisher = self.linked.issuer_ref.get(b.id)
        if publisher:
            self.add(n, DCTERMS.publisher, self.ref(publisher))
        self.evidence(n, b.title_span)
        for i, sec in enumerate(b.sections):
            s = self.ref(stable_id("section", b.id, i))
            self.add(s, RDF.type, XS.Section)
            self.add(s, RDFS.label, zh(sec.title))
            self.add(s, XS.ordinal, zh(sec.ordinal))
            self.add(s, XS.sectionKind, plain(sec.kind))
            self.add(s, XS.inBulletin, n)
            self.add(s, XS.position, int_literal(i))
            self.evidence(s, sec.span)
        for i, c in enumerate(b.categories):
            cn = self.ref(c.id)
            self.add(cn, RDF.type, XS.FeedbackCategory)
            self.add(cn, RDFS.label, zh(c.label))
            self.add(cn, XS.ordinal, zh(c.ordinal))
            self.add(cn, XS.inBulletin, n)
            self.add(cn, XS.position, int_literal(i))
            self.evidence(cn, c.span)
        return n

    def inspection(self, e) -> URIRef | None:
        ins = e.inspection
        if ins is None:
            return None
        b = e.bulletin
        n = iri(stable_id("inspection", b.id))
        self.add(n, RDF.type, XS.Inspection)
        year = ins.start[:4] if ins.start else (ins.feedback[:4] if ins.feedback else "")
        label = f"{ins.team or ins.body}对{ins.inspected}的{ins.kind}" + (f"({year})" if year else "")
        self.add(n, RDFS.label, zh(label))
        self.add(n, XS.inspectionKind, zh(ins.kind))
        if ins.team:
            self.add(n, XS.team, zh(ins.team))
        if ins.body:
            self.add(n, XS.inspectingBody, zh(ins.body))
        if ins.level:
            self.add(n, XS.level, zh(ins.level))
        if ins.round:
            self.add(n, XS.round, zh(ins.round))
        if year:
            self.add(n, XS.year, Literal(year, datatype=XSD.gYear))
        if ins.start:
            self.add(n, PROV.startedAtTime, Literal(ins.start, datatype=XSD.date))
        if ins.end:
            self.add(n, PROV.endedAtTime, Literal(ins.end, datatype=XSD.date))
        if ins.feedback:
            self.add(n, XS.feedbackDate, Literal(ins.feedback, datatype=XSD.date))
        if b.id in self.linked.inspected_ref:
            self.add(n, XS.inspectedUnit, self.ref(self.linked.inspected_ref[b.id]))
        if b.id in self.linked.feedback_ref:
            self.add(n, XS.feedbackTo, self.ref(self.linked.feedback_ref[b.id]))
        self.evidence(n, ins.span)
        self.add(self.ref(b.id), XS.reportsOn, n)
        return n

    def items(self, e, insp: URIRef | None) -> None:
        b = e.bulletin
        bn = self.ref(b.id)
        link = self.linked
        by_owner_fig: dict[str, list] = {}
        for f in e.figures:
            by_owner_fig.setdefault(f.owner, []).append(f)
        by_owner_pol: dict[str, list] = {}
        for m in e.policies:
            by_owner_pol.setdefault(m.owner, []).append(m)
        for m in by_owner_pol.get(b.id, []):
            self.add(bn, XS.mentions, self.ref(link.policy_ref[(m.span.doc_id, m.span.start)]))
        concerns: dict[str, list] = {}
        for u in e.units:
            if u.role in ("concerns", "self"):
                concerns.setdefault(u.owner, []).append(u)
        for pos, p in enumerate(b.problems):
            pn = iri(p.id)
            self.add(pn, RDF.type, XS.Problem)
            self.add(pn, XS.text, zh(p.text))
            self.add(pn, RDFS.label, zh(short(p.text)))
            self.add(pn, XS.ordinal, zh(p.ordinal))
            self.add(pn, XS.position, int_literal(pos))
            self.add(pn, XS.inBulletin, bn)
            if 0 <= p.section < len(b.sections):
                self.add(pn, XS.inSection, self.ref(stable_id("section", b.id, p.section)))
            if p.category_id:
                self.add(pn, XS.inCategory, self.ref(p.category_id))
            if insp is not None:
                self.add(pn, XS.raisedIn, insp)
            self.add(pn, XS.status, XS[p.status.key])
            self.add(pn, XS.statusSource, plain(p.status.how))
            if p.status.text:
                self.add(pn, XS.statusText, zh(p.status.text))
            self.evidence(pn, p.status.span, XS.statusEvidence)
            self.evidence(pn, p.span)
            for u in concerns.get(p.id, []):
                uid = link.unit_ref.get((u.owner, u.name))
                if uid:
                    self.add(pn, XS.concernsUnit, self.ref(uid))
            for f in by_owner_fig.get(p.id, []):
                self.figure(pn, f)
            for m in by_owner_pol.get(p.id, []):
                self.add(pn, XS.mentions, self.ref(link.policy_ref[(m.span.doc_id, m.span.start)]))
            part_ids = {}
            for part in p.parts:
                qn = iri(part.id)
                part_ids[part.ordinal] = qn
                self.add(qn, RDF.type, XS.ProblemPart)
                self.add(qn, XS.text, zh(part.text))
                self.add(qn, XS.ordinal, zh(part.ordinal))
                self.add(qn, XS.partOf, pn)
                self.evidence(qn, part.span)
            for k, m in enumerate(p.measures):
                mn = iri(m.id)
                self.add(mn, RDF.type, XS.Measure)
                self.add(mn, XS.text, zh(m.text))
                self.add(mn, RDFS.label, zh(short((m.ordinal or "") + m.text, 20)))
                if m.ordinal:
                    self.add(mn, XS.ordinal, zh(m.ordinal))
                self.add(mn, XS.position, int_literal(k))
                self.add(mn, XS.addresses, pn)
                if m.part and m.part in part_ids:
                    self.add(mn, XS.forPart, part_ids[m.part])
                self.evidence(mn, m.span)
                for pm in by_owner_pol.get(m.id, []):
                    pid = link.policy_ref[(pm.span.doc_id, pm.span.start)]
                    cls = link.policies[pid].cls
                    prop = XS.establishes if (pm.relation == "establishes" and cls == "Policy") else XS.cites
                    self.add(mn, prop, self.ref(pid))
                for f in by_owner_fig.get(m.id, []):
                    self.figure(mn, f)

    def summary(self, e, doc) -> None:
        """The bulletin's own summary: the figures of its opening (xs:hasFigure), the total of
        problems it reports (xs:reportedCount) and each reported count that the problems found
        do not bear out (xs:countMismatch, the W031/W033/W034 message)."""
        bn = self.ref(e.bulletin.id)
        for f in e.figures:
            if f.owner == e.bulletin.id:
                self.figure(bn, f)
        counts, issues = count_checks(doc, e.bulletin)
        for c in counts:
            if c.what == "total":
                self.add(bn, XS.reportedCount, int_literal(int(c.value)))
        for issue in issues:
            self.add(bn, XS.countMismatch, zh(issue.message.rsplit(" (", 1)[0]))

    def figure(self, owner: URIRef, f) -> None:
        n = iri(stable_id("figure", f.span.doc_id, f.span.start, f.span.end))
        self.add(owner, XS.hasFigure, n)
        try:
            value = decimal_literal(f.value)
        except InvalidOperation:
            value = None
        span = f.span
        if value is not None and span.end > span.start:
            # a row of the store's figure table (pipeline.memstore.FigureTable)
            store = self.g.store
            sp = store.add_span(iri(span.id), self.doc_no[span.doc_id], span.start, span.end, span.exact)
            store.add_figure(n, value, zh(f.unit), zh(f.text), sp)
            return
        self.add(n, RDF.type, XS.Figure)
        if value is not None:
            self.add(n, RDF.value, value)
        self.add(n, XS.unitOfMeasure, zh(f.unit))
        self.add(n, XS.text, zh(f.text))
        self.add(n, RDFS.label, zh(f.text))
        self.evidence(n, f.span)


def build_graph(linked: Linked, records: Iterable[Sequence[Extraction]] | None = None, nodes: set[str] | None = None) -> Graph:
    """The graph of a linked corpus. ``records``: each document's extraction records, in the
    order of ``linked.results``, when these hold only what the link stage reads
    (:meth:`Extraction.for_link`): a build reads them back one document at a time from
    where they wait on disk (:class:`pipeline.workflow.RecordSpill`), so that a large
    corpus's records (~1.2 GB at 10,000 bulletins) are never resident together, nor with
    the graph. ``nodes``: the policies and people to make (their ids), when not all (a
    partial graph: :func:`pipeline.incremental.partial_graph`)."""
    return GraphBuilder(linked).build(records, nodes)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_PNAME_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


_ESCAPE_TABLE = {ord(k): v for k, v in _ESCAPES.items()}
_ESCAPE_TABLE.update({c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in _ESCAPE_TABLE})


_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f]')


def _escape(text: str) -> str:
    # most texts need nothing: one C scan, not translate's dict lookup per character
    return text.translate(_ESCAPE_TABLE) if _NEEDS_ESCAPE.search(text) else text


_RDF_TYPE_S = str(RDF.type)
_XSD_STRING_S = str(XSD.string)


class _TurtleWriter:
    """A small deterministic Turtle writer: subjects, predicates and objects in sorted order.

    rdflib's serializer spends most of a build computing qnames and ordering; this one
    writes the same triples (the tests check isomorphism) several times faster, with the
    project's prefixes, and the bytes depend on nothing but the triples.
    """

    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
        self.cache: dict[str, str] = {}
        # The build's own resources (xr:, millions of them, each written once or twice) are
        # not cached: the cache of every IRI was the build's peak memory at 10,000
        # bulletins (+2.5 GB). Their prefixed name is the first match of the loop in iri()
        # unless a longer namespace extends XR (then everything goes through the loop).
        own = [p for p, ns in prefixes.items() if ns == _XR]
        self.own = (_XR, own[0] + ":") if own and not extended(_XR, prefixes) else None

    def iri(self, u: URIRef) -> str:
        s = str(u)  # an exact str: the cache compares keys in C, not with URIRef.__eq__
        if self.own is not None and s.startswith(self.own[0]):
            local = s[len(self.own[0]) :]
            if _PNAME_LOCAL.match(local):
                return self.own[1] + local
        got = self.cache.get(s)
        if got is None:
            got = f"<{s}>"
            for p, ns in self.prefixes:
                if s.startswith(ns) and _PNAME_LOCAL.match(s[len(ns):]):
                    got = f"{p}:{s[len(ns):]}"
                    break
            self.cache[s] = got
        return got

    def term(self, t) -> str:
        kind = type(t)
        if kind is URIRef:
            return self.iri(t)
        if kind in LITERAL_TYPES or isinstance(t, Literal):
            lex = '"' + _escape(str(t)) + '"'
            lang = t.language
            if lang:
                return f"{lex}@{lang}"
            dt = t.datatype
            if dt is not None and str(dt) != _XSD_STRING_S:
                return f"{lex}^^{self.iri(dt)}"
            return lex
        if kind is int:  # a span or figure, as the build graph holds it (memstore.term)
            return self.iri(index_iri(t))
        if isinstance(t, URIRef):
            return self.iri(t)
        return f"_:{t}"

    @staticmethod
    def order(t) -> tuple:
        kind = type(t)
        if kind in LITERAL_TYPES or (kind is not URIRef and isinstance(t, Literal)):
            return (1, str(t.datatype or ""), t.language or "", str(t))
        if kind is int:
            return (0, "", "", index_iri(t))
        return (0, "", "", str(t))

    def write(self, fh, g: Graph, prefixes: dict[str, str], index: Mapping | None = None, only: set[str] | None = None) -> None:
        """Write the Turtle to the binary file ``fh`` a block of subjects at a time (a large
        graph's Turtle is never held in memory whole); ``only``: the subjects (IRI strings)
        to write, when not all."""
        head = [f"@prefix {p}: <{ns}> ." for p, ns in sorted(prefixes.items())]
        fh.write(("\n".join(head) + "\n").encode("utf-8"))
        by_subject = index if index is not None else subject_index(g)
        term, order, iri = self.term, self.order, self.iri
        # terms are compared as exact strs (rdflib's URIRef.__eq__ and __lt__ are Python
        # functions and were most of this writer's time); the order is the same: URIRefs
        # order as their strings. Subjects are IRIs or blank nodes (never literals).
        pred_head: dict[str, tuple] = {}  # predicate string -> (sort key, "a " or "pname ")

        def pred(p) -> tuple:
            s = str(p)
            got = pred_head.get(s)
            if got is None:
                got = pred_head[s] = ((s != _RDF_TYPE_S, s), "a " if s == _RDF_TYPE_S else iri(p) + " ")
            return got

        # the span table's rows are written from their columns (see span_row)
        indexed, spans, figures = split_index(by_subject)
        span_heads = [(head_p, col) for _, head_p, col in sorted((*pred(p), k) for k, p in enumerate(SPAN_PREDICATES))]
        span_type = term(XS.Span)
        doc_terms = [iri(d) for d in spans.docs] if spans is not None else []
        offsets: dict[int, str] = {}  # offset -> its term

        def offset(n: int) -> str:
            got = offsets.get(n)
            if got is None:
                got = offsets[n] = term(int_literal(n))
            return got

        def span_row(s: str, r: int) -> str:
            # the columns' terms, as term() writes them (the exact text is a plain literal)
            vals = (span_type, doc_terms[spans.doc[r]], offset(spans.start[r]), offset(spans.end[r]), '"' + _escape(spans.exact(r)) + '"')
            return iri(s) + " " + " ;\n    ".join([head_p + vals[col] for head_p, col in span_heads]) + " .\n"

        # the indexed subjects, the span rows and the figure rows, each in string order,
        # merged: (string, subject), (string, row) and (string, (row,)); a string is never
        # in two, so the second members are never compared
        subjects: Iterable[tuple] = ((str(s), s) for s in sorted_by_str(indexed))
        if spans is not None:
            subjects = heapq.merge(subjects, spans.sorted_rows(), ((k, (r,)) for k, r in figures.sorted_rows()))
        block: list[str] = []
        sep = b"\n"  # a blank line after the prefixes and between blocks; the last block ends the file
        if only is not None:
            subjects = ((key, s) for key, s in subjects if key in only)
        for key, s in subjects:
            if type(s) is int:
                block.append(span_row(key, s))
            else:
                parts = []
                if type(s) is tuple:  # a figure row
                    preds = figures.raw_preds(s[0])
                    s = figures.iri(s[0])
                else:
                    preds = indexed[s]
                # predicates' keys are distinct: the sort never compares the slots
                for _, head_p, objs in sorted([(*pred(p), v) for p, v in preds.items()]):
                    if type(objs) is not tuple and type(objs) is not dict:
                        text = term(objs)
                    else:
                        text = ", ".join(term(o) for o in sorted(objs, key=order))
                    parts.append(head_p + text)
                block.append(term(s) + " " + " ;\n    ".join(parts) + " .\n")
            if len(block) >= 2000:
                fh.write(sep + "\n".join(block).encode("utf-8"))
                block.clear()
        if block:
            fh.write(sep + "\n".join(block).encode("utf-8"))


_SORT_PREFIX = len(_XR) + 8  # xr:figure-3…, xr:measure-: a few groups per kind of node


def sorted_by_str(terms: Iterable, prefix: int = _SORT_PREFIX) -> Iterator:
    """``sorted(terms, key=str)``, in that order, without a string copy of every term at
    once: grouped by their first ``prefix`` characters (their order is the groups' order),
    each group sorted in turn. URIRefs sort as their strings; ``key=str`` spares rdflib's
    rich comparisons, but its copies of all 4.4M subjects at 10,000 bulletins were ~500 MB,
    the build's peak while the Turtle was written."""
    groups: dict[str, list] = {}
    for t in terms:
        k = t[:prefix]
        got = groups.get(k)
        if got is None:
            groups[k] = [t]
        else:
            got.append(t)
    for k in sorted(groups):
        group = groups.pop(k)
        group.sort(key=str)
        yield from group


def subject_index(g: Graph) -> Mapping:
    """subject → predicate → objects of every triple, what the Turtle writer and the GraphML
    mirror both walk (one per build, shared). A slot holds a lone object itself and several
    as the keys of a dict (read them with :func:`pipeline.memstore.objects`): the
    :class:`CompactMemory` build graph's own index and span table, read in place
    (:class:`pipeline.memstore.SubjectIndex`, read only); any other graph is indexed in one
    pass."""
    if isinstance(g.store, CompactMemory):
        return g.store.subject_index()
    by_subject: dict = {}
    for s, p, o in g.triples((None, None, None)):  # a Dataset iterates quads
        preds = by_subject.get(s)
        if preds is None:
            preds = by_subject[s] = {}
        cur = preds.get(p)
        if cur is None:
            preds[p] = o
        elif type(cur) is dict:
            cur[o] = None
        else:
            preds[p] = {cur: None, o: None}
    return by_subject


def write_turtle(fh, g: Graph, index: Mapping | None = None, only: set[str] | None = None) -> None:
    """Turtle, deterministic (same triples → same bytes whatever the hash seed), streamed to
    the binary file ``fh``. ``index``: :func:`subject_index` of ``g`` when the caller has it;
    ``only``: the subjects to write (their blocks are as the whole graph's Turtle has them)."""
    _TurtleWriter(PREFIXES).write(fh, g, PREFIXES, index, only)


def serialize_turtle(g: Graph, index: Mapping | None = None, only: set[str] | None = None) -> bytes:
    """:func:`write_turtle` into bytes."""
    buf = io.BytesIO()
    write_turtle(buf, g, index, only)
    return buf.getvalue()
