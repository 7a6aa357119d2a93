"""The offline viewer: one self-contained HTML file for exploring the graph.

``graph_to_view_data`` is the pure part: it turns the RDF graph into plain, JSON-able view
data (nodes, edges, legend, filter facets, layout groups and per-theme recurrence timelines),
in a deterministic order with positions precomputed. ``render_html``/``write_html`` embed that
data and the vis-network library that pyvis ships into a single page that needs no network:
no CDN links, no remote fonts (system fonts only), no bootstrap (pyvis's own template pulls
bootstrap from a CDN even in ``in_line`` mode, so only its bundled ``vis-network.min.js`` is
used, inlined).

What the page offers:

- a legend (node colour and shape by type, problem fill by rectification status) whose
  checkboxes are the type and status filters; drop-down filters by bulletin, issuing unit,
  round year and theme; a search box; all of them combine;
- "neighbourhood" of a selected node (1 or 2 hops) as one more filter;
- a side panel with the node's properties, its evidence quotes (bulletin, file and offsets)
  and its neighbours as links;
- a recurrence mode: pick a theme and its problems are laid out in lanes, one per round in
  time order, earlier rounds cited by the text included, same-issue links drawn between
  problems (the grouping of :func:`pipeline.recurrence.trace`);
- for large graphs an overview: when more than :data:`COLLAPSE_ABOVE` nodes pass the filters,
  each layout group (a bulletin with its tree, or the shared nodes of one type) is drawn as
  one node with a count, expanded on click. Positions are precomputed in O(n) (a radial tree
  per bulletin, groups packed in rows) and physics is off, so nothing moves on load.

Safety: every piece of document text travels as JSON inside
``<script type="application/json" id="graph-data">`` with ``<``, ``>``, ``&``, U+2028 and
U+2029 written as ``\\u003c`` etc., is read with ``JSON.parse`` and reaches the page only
through ``textContent``, element properties and ``setAttribute``, and vis-network's string
tooltips (which it sets with ``innerText``). A Content-Security-Policy pins the two inline
scripts by hash and forbids every network request.

Section, Span, SourceDocument, IssueLink, ThemeAssignment and Decision nodes are not drawn:
spans appear as evidence quotes on the nodes that point to them, issue links as (candidate)
same-issue edges and panel rows, theme assignments as a property of their problem.

Speed: the graph is read once into two dictionaries keyed by plain strings (an rdflib term's
``__hash__``/``__eq__`` run in Python and dominated the time); nothing else queries rdflib, so a
20,000-node graph is written in a few seconds (``bench/bench_view.py``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable, Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from .memstore import SpanDocs
from .vocab import OA, ORG, PREFIXES, STATUS_KEYS, XS, ontology_graph

__all__ = [
    "COLLAPSE_ABOVE",
    "NODE_TYPES",
    "STATUS_STYLES",
    "graph_to_view_data",
    "render_html",
    "vis_network_js",
    "write_html",
    "write_view",
    "document_scope",
    "VIEW_BUDGET",
]


def _terms(ns, names: str) -> SimpleNamespace:
    """IRIs as plain strings, looked up once (``XS`` is closed, so a typo raises here)."""
    return SimpleNamespace(**{n: str(ns[n]) for n in names.split()})


# The xs:, skos:, dcterms: and oa: terms the view reads, as plain strings: it keys everything
# by str (see _Index), so X.text is "https://w3id.org/xunshi/ontology#text".
X = _terms(
    XS,
    "Bulletin Round Inspection Unit Person FeedbackCategory Problem ProblemPart Measure Policy"
    " CitedWork Figure IssueLink ThemeAssignment text evidence statusEvidence recurrenceEvidence"
    " status statusText inBulletin inCategory partOf addresses forPart hasFigure attachmentLabel"
    " year team inspectionKind unitOfMeasure inDocument textFile position ordinal raisedIn"
    " previouslyRaisedIn reportsOn inRound sameIssueAs source target score method theme problem concept",
)
S = _terms(SKOS, "Concept prefLabel altLabel broader narrower inScheme topConceptOf hasTopConcept")
D = _terms(DCTERMS, "title source isPartOf publisher issued")
A = _terms(OA, "start end exact")
TYPE, LABEL, VALUE = str(RDF.type), str(RDFS.label), str(RDF.value)

# ---------------------------------------------------------------- visual vocabulary


@dataclass(frozen=True)
class NodeType:
    """How one kind of node is drawn: key, Chinese name, colour, vis shape, size, classes."""

    key: str
    name: str
    color: str
    shape: str
    size: int
    classes: tuple[str, ...]


# Order matters: it is the legend order, the node sort order, and the priority when a node
# carries several of these types.
NODE_TYPES: tuple[NodeType, ...] = (
    NodeType("bulletin", "通报", "#37474f", "square", 22, (X.Bulletin,)),
    NodeType("round", "巡视巡察轮次", "#00796b", "star", 20, (X.Round,)),
    NodeType("inspection", "巡视巡察", "#17becf", "star", 16, (X.Inspection,)),
    NodeType("unit", "单位", "#8c564b", "triangle", 16, (X.Unit, str(ORG.Organization))),
    NodeType("person", "人员", "#e377c2", "triangleDown", 13, (X.Person,)),
    NodeType("category", "问题类别", "#7f7f7f", "hexagon", 14, (X.FeedbackCategory,)),
    # Problems are filled with their status colour (STATUS_STYLES); this is the legend swatch.
    NodeType("problem", "反馈问题", "#263238", "dot", 13, (X.Problem,)),
    NodeType("part", "问题子项", "#c7c78a", "dot", 8, (X.ProblemPart,)),
    NodeType("measure", "整改措施", "#bcbd22", "diamond", 9, (X.Measure,)),
    NodeType("policy", "制度文件", "#3949ab", "square", 11, (X.Policy,)),
    NodeType("cited", "引用文献", "#7986cb", "triangleDown", 10, (X.CitedWork,)),
    NodeType("theme", "主题", "#d4a017", "hexagon", 16, (S.Concept,)),
    NodeType("figure", "数据", "#6b8e9e", "dot", 6, (X.Figure,)),
)
_TYPE_BY_KEY = {t.key: t for t in NODE_TYPES}
_TYPE_RANK = {t.key: i for i, t in enumerate(NODE_TYPES)}
_CLASS_RANK = {c: i for i, t in reversed(list(enumerate(NODE_TYPES))) for c in t.classes}

# Rectification status of a problem: key (local name in xs:) -> (Chinese name, fill colour).
STATUS_STYLES: dict[str, tuple[str, str]] = {
    "Completed": ("完成", "#2ca02c"),
    "PartiallyCompleted": ("阶段性完成", "#f5a623"),
    "NotCompleted": ("未完成", "#d62728"),
    "InProgress": ("正在整改", "#1f77b4"),
    "LongTerm": ("长期坚持", "#9467bd"),
    "Unknown": ("未写明", "#b0b0b0"),
}
assert tuple(STATUS_STYLES) == STATUS_KEYS
_STATUS_BY_IRI = {str(XS[k]): k for k in STATUS_KEYS}

# Chinese names for properties outside xs: (xs: names come from the ontology's rdfs:label@zh).
_PROPERTY_NAMES: dict[str, str] = {
    str(k): v
    for k, v in {
        DCTERMS.title: "标题",
        DCTERMS.issued: "发布日期",
        DCTERMS.publisher: "发文单位",
        DCTERMS.isPartOf: "所属主通报",
        DCTERMS.source: "来源",
        DCTERMS.description: "说明",
        ORG.memberOf: "所属单位",
        RDFS.label: "名称",
        RDFS.comment: "说明",
        SKOS.prefLabel: "名称",
        SKOS.altLabel: "别名",
        SKOS.broader: "上位主题",
        SKOS.narrower: "下位主题",
        SKOS.related: "相关主题",
        SKOS.definition: "定义",
        RDF.value: "数值",
        PROV.startedAtTime: "开始时间",
        PROV.endedAtTime: "结束时间",
        PROV.wasDerivedFrom: "来源于",
        XS.inspectedUnit: "被巡视单位",
    }.items()
}
_SAME_ISSUE_NAME = "同一问题"
_CANDIDATE_LINK_NAME = "疑似同一问题"
_METHOD_NAMES = {"label": "规则(主题词)", "similarity": "文本相似"}

# Evidence: (property, kind shown in the panel).
_EVIDENCE_PROPERTIES = (
    (X.evidence, "原文出处"),
    (X.statusEvidence, "整改结果出处"),
    (X.recurrenceEvidence, "反复出现出处"),
)
_THEME_EVIDENCE = "主题依据"
EVIDENCE_KINDS = tuple(kind for _, kind in _EVIDENCE_PROPERTIES) + (_THEME_EVIDENCE,)
# Never properties or edges: evidence is shown as quotes, status as colour, text as the full
# text, scheme membership is implied.
_NOT_SHOWN_AS_PROPERTY = frozenset(
    {TYPE, X.status, X.statusText, X.text, S.inScheme, S.topConceptOf, S.hasTopConcept}
    | {p for p, _ in _EVIDENCE_PROPERTIES}
)

# Overview: when more nodes than this pass the filters, each layout group is drawn as one
# node with a count until it is expanded (click).
COLLAPSE_ABOVE = 2000
LARGE_GRAPH_NODES = 2000  # above this the page hides edges while dragging or zooming
MAX_EVIDENCE = 50  # quotes kept per node in the side panel
# The build's page draws at most about this many nodes: above it, it covers the newest
# documents that fit (:func:`document_scope`). A 1,000-bulletin graph has ~175,000 drawable
# nodes: drawn whole, its page was 93 MB and took 1.5 GB to write; 20,000 nodes make a page
# of ~10 MB that a browser opens in seconds.
VIEW_BUDGET = 20_000

# Layout (pixels): a radial tree per bulletin, shared nodes on a ring around the one bulletin
# they belong to or in a group of their type, groups packed in rows.
_LEAF_SPACING = 30.0
_RING_MIN = 80.0
_GROUP_GAP = 180.0
_SUNFLOWER_SPACING = 50.0
_LAST = 1 << 30  # sorts after any real position

# ---------------------------------------------------------------- the graph, read once


def _key(term) -> str:
    """A node as a plain string: the IRI, or ``_:id`` for a blank node."""
    return "_:" + term if isinstance(term, BNode) else str(term)


def _lang_rank(lit: Literal) -> int:
    lang = (lit.language or "").lower()
    if lang == "zh" or lang.startswith("zh-"):
        return 0
    return 1 if not lang else 2


def _value_key(o) -> tuple:
    if isinstance(o, Literal):
        return (0, _lang_rank(o), str(o))
    return (1, 0, o)


_EMPTY: dict = {}


class _Index:
    """The triples by subject and by object, read in one pass.

    Subjects, predicates and resource objects are plain strings (see :func:`_key`); literal
    objects stay :class:`~rdflib.Literal` (language and datatype matter). Lists keep graph
    order; callers sort wherever order shows.
    """

    def __init__(self, g: Graph, triples: Iterable[tuple] | None = None) -> None:
        out: dict[str, dict[str, list]] = {}
        inc: dict[str, dict[str, list[str]]] = {}
        for s, p, o in g.triples((None, None, None)) if triples is None else triples:  # (a Dataset iterates quads)
            # (type checks by class first: isinstance on rdflib's terms is slow at this scale)
            sk = str(s) if s.__class__ is URIRef else _key(s)
            pk = str(p)
            if o.__class__ is URIRef or (o.__class__ is not Literal and not isinstance(o, Literal)):
                o = str(o) if o.__class__ is URIRef else _key(o)
                by_p = inc.get(o)
                if by_p is None:
                    by_p = inc[o] = {}
                subjects = by_p.get(pk)
                if subjects is None:
                    by_p[pk] = [sk]
                else:
                    subjects.append(sk)
            by_p = out.get(sk)
            if by_p is None:
                by_p = out[sk] = {}
            objects = by_p.get(pk)
            if objects is None:
                by_p[pk] = [o]
            else:
                objects.append(o)
        self.out, self.inc = out, inc

    def props(self, s: str) -> dict[str, list]:
        return self.out.get(s, _EMPTY)

    def objs(self, s: str, p: str) -> list:
        return self.out.get(s, _EMPTY).get(p, [])

    def subs(self, p: str, o: str) -> list[str]:
        return self.inc.get(o, _EMPTY).get(p, [])

    def one(self, s: str | None, p: str):
        """One object of ``s p``: literals first (Chinese first), then resources; ties by text."""
        vals = self.objs(s, p) if s is not None else []
        if len(vals) < 2:
            return vals[0] if vals else None
        return min(vals, key=_value_key)

    def node(self, s: str | None, p: str) -> str | None:
        """The first resource object of ``s p`` (by IRI)."""
        vals = [o for o in self.objs(s, p) if not isinstance(o, Literal)] if s is not None else []
        return min(vals) if vals else None

    def lits(self, s: str, p: str) -> list[Literal]:
        vals = [o for o in self.objs(s, p) if isinstance(o, Literal)]
        if len(vals) > 1:
            vals.sort(key=lambda lit: (_lang_rank(lit), str(lit)))
        return vals

    def pick(self, s: str | None, p: str) -> str | None:
        """The preferred literal: Chinese first, then untagged, then any; ties by text."""
        if s is None:
            return None
        vals = self.lits(s, p)
        return str(vals[0]).strip() if vals else None

    def has(self, s: str, p: str, o: str) -> bool:
        return o in self.objs(s, p)

    def is_a(self, s: str, cls: str) -> bool:
        return cls in self.objs(s, TYPE)


# ---------------------------------------------------------------- text helpers


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shorten(text: str, limit: int) -> str:
    limit = max(limit, 2)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display(lit: Literal) -> str:
    if lit.datatype == XSD.boolean:
        return "是" if lit.toPython() is True else "否"
    return str(lit)


def _int(lit, default: int = 0) -> int:
    try:
        return int(str(lit)) if lit is not None else default
    except ValueError:
        return default


def _local_name(term: str) -> str:
    return re.split(r"[#/:]", term.rstrip("/#"))[-1] or term


def _qname(p: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if p.startswith(ns):
            return f"{prefix}:{p[len(ns):]}"
    return p


def _ordinal_key(o: str | None) -> tuple:
    digits = re.findall(r"\d+", o or "")
    return (int(digits[-1]) if digits else 0, o or "")


class _Names:
    """Chinese names of properties: the ontology's rdfs:label@zh, then a fixed table."""

    def __init__(self) -> None:
        onto = ontology_graph()
        self._names: dict[str, str] = {}
        for p in onto.subjects(RDFS.label, None):
            if (p, RDF.type, OWL.Class) not in onto and not isinstance(p, BNode):
                zh = [o for o in onto.objects(p, RDFS.label) if isinstance(o, Literal) and o.language == "zh"]
                if zh:
                    self._names[str(p)] = str(min(zh))
        self._names.update(_PROPERTY_NAMES)
        self.symmetric = frozenset(str(s) for s in onto.subjects(RDF.type, OWL.SymmetricProperty))
        self._qnames: dict[str, str] = {}

    def __call__(self, p: str) -> str:
        return self._names.get(p) or self.qname(p)

    def qname(self, p: str) -> str:
        if p not in self._qnames:
            self._qnames[p] = _qname(p)
        return self._qnames[p]


# ---------------------------------------------------------------- which nodes, what labels


def _node_types(ix: _Index) -> dict[str, NodeType]:
    """Drawn nodes and their type. Themes are drawn when a problem uses them (or a narrower
    theme that a problem uses): the whole scheme copied into the graph would be noise."""
    types: dict[str, NodeType] = {}
    for s, props in ix.out.items():
        ranks = [_CLASS_RANK[c] for c in props.get(TYPE, ()) if c in _CLASS_RANK]
        if ranks:
            types[s] = NODE_TYPES[min(ranks)]
    used: set[str] = set()
    todo = [c for c, t in types.items() if t.key == "theme" and ix.subs(X.theme, c)]
    while todo:
        c = todo.pop()
        if c not in used:
            used.add(c)
            todo.extend(_broader(ix, c))
    for c in [c for c, t in types.items() if t.key == "theme" and c not in used]:
        del types[c]
    return types


def _broader(ix: _Index, c: str) -> list[str]:
    """The broader concepts of ``c`` (skos:broader, or skos:narrower read backwards)."""
    return sorted({b for b in ix.objs(c, S.broader) if not isinstance(b, Literal)} | set(ix.subs(S.narrower, c)))


def _generic_label(ix: _Index, s: str) -> str | None:
    for p in (S.prefLabel, LABEL, D.title, X.text):
        v = ix.pick(s, p)
        if v:
            return v
    return None


def _labels(ix: _Index, s: str, key: str) -> tuple[str, str]:
    """(name, full text) of a node: the label shortens the name; the full text is for hover."""
    if key == "bulletin":
        # an attachment's title is often the main one's; its label names its unit
        title, att, label = ix.pick(s, D.title), ix.pick(s, X.attachmentLabel), ix.pick(s, LABEL)
        name = f"{att} {title}" if att and title else (title or att)
        if label:
            full = f"{name}({label})" if name and label not in name else (name or label)
            return label, full
        return name or _local_name(s), name or _local_name(s)
    if key in ("inspection", "round"):
        name = ix.pick(s, LABEL)
        if not name:
            parts = [ix.pick(s, X.year), ix.pick(s, X.team), ix.pick(s, X.inspectionKind)]
            name = "".join(x for x in parts if x)
        return name or _local_name(s), name or _local_name(s)
    if key in ("problem", "part", "measure"):
        text = ix.pick(s, X.text)
        short = ix.pick(s, LABEL) or text
        return short or _local_name(s), text or short or _local_name(s)
    if key in ("policy", "cited"):
        name = ix.pick(s, LABEL) or ix.pick(s, S.prefLabel)
        name = f"《{name}》" if name else _local_name(s)
        return name, name
    if key == "figure":
        text = ix.pick(s, X.text)
        if not text:
            value, unit = ix.pick(s, VALUE), ix.pick(s, X.unitOfMeasure)
            text = f"{value or ''}{unit or ''}" or None
        return text or _local_name(s), text or _local_name(s)
    name = _generic_label(ix, s) or _local_name(s)
    return name, name


def _alt_names(ix: _Index, s: str, label: str, full: str) -> list[str]:
    """Other names the search box should find (aliases, short labels)."""
    names = {str(o) for p in (S.altLabel, S.prefLabel, LABEL) for o in ix.lits(s, p)}
    return sorted(n for n in names if n and n not in full and n != label)


# ---------------------------------------------------------------- evidence


class _Evidence:
    """Evidence quotes with the bulletin they sit in: per document, bulletins by the start of
    their first span (a compound file holds the main bulletin and its attachments in order)."""

    def __init__(self, ix: _Index, bulletins: list[str], shown: dict[str, str]) -> None:
        self.ix = ix
        self.docs: list[dict] = []
        self._doc_index: dict[str, int] = {}
        starts: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for b in bulletins:
            spans = [(_int(ix.one(sp, A.start), -1), ix.node(sp, X.inDocument)) for sp in ix.objs(b, X.evidence)]
            spans = sorted((a, doc) for a, doc in spans if doc is not None and a >= 0)
            if spans:
                a, doc = spans[0]
                starts[doc].append((a, int(shown[b][1:]), shown[b]))
        self._starts = {d: sorted(v) for d, v in starts.items()}

    def _doc(self, doc: str) -> int:
        if doc not in self._doc_index:
            entry = {"path": self.ix.pick(doc, D.source) or doc}
            text_file = self.ix.pick(doc, X.textFile)
            if text_file:
                entry["textFile"] = text_file
            self._doc_index[doc] = len(self.docs)
            self.docs.append(entry)
        return self._doc_index[doc]

    def _bulletin_at(self, doc: str, start: int) -> str | None:
        found = None
        for a, _, nid in self._starts.get(doc, ()):
            if a > start:
                break
            found = nid
        return found

    def quotes(self, s: str, full: str, extra: list[tuple[str, str]]) -> list[dict]:
        """Quotes of ``s`` (and of ``extra`` (span, note) pairs, kind "主题依据"), sorted by kind,
        document and offsets; duplicates dropped. ``kind`` indexes :data:`EVIDENCE_KINDS`;
        ``exact`` is left out when it is the node's ``full`` text (most problems and measures:
        it would double the page)."""
        ix = self.ix
        pairs = [(span, k, "") for k, (p, _) in enumerate(_EVIDENCE_PROPERTIES) for span in ix.objs(s, p)]
        pairs += [(span, len(_EVIDENCE_PROPERTIES), note) for span, note in extra]
        if not pairs:
            return []
        raw = set()
        for span, kind, note in pairs:
            doc = ix.node(span, X.inDocument) or ""
            exact = ix.pick(span, A.exact) or ""
            raw.add((kind, doc, _int(ix.one(span, A.start), -1), _int(ix.one(span, A.end), -1), exact, note))
        out = []
        for kind, doc, a, b, exact, note in sorted(raw):
            q: dict = {"kind": kind, "start": None if a < 0 else a, "end": None if b < 0 else b}
            if exact != full:
                q["exact"] = exact
            if note:
                q["note"] = note
            if doc:
                q["doc"] = self._doc(doc)
                bulletin = self._bulletin_at(doc, a)
                if bulletin is not None:
                    q["bulletin"] = bulletin
            out.append(q)
        return out


# ---------------------------------------------------------------- structure and layout


def _tree_parents(ix: _Index, ordered: list[str], types: dict[str, NodeType]) -> dict[str, str]:
    """The parent of each bulletin-local node: category → bulletin, problem → category (or
    bulletin), part → problem, measure → problem (or part), figure → measure (or problem)."""
    parent: dict[str, str] = {}

    def first(cands, want: tuple[str, ...]) -> str | None:
        ok = [c for c in cands if c in types and types[c].key in want]
        return min(ok) if ok else None

    for s in ordered:
        key = types[s].key
        if key == "category":
            p = first(ix.objs(s, X.inBulletin), ("bulletin",))
        elif key == "problem":
            p = first(ix.objs(s, X.inCategory), ("category",)) or first(ix.objs(s, X.inBulletin), ("bulletin",))
        elif key == "part":
            p = first(ix.objs(s, X.partOf), ("problem",))
        elif key == "measure":
            p = first(ix.objs(s, X.addresses), ("problem",)) or first(ix.objs(s, X.forPart), ("part",))
            p = p or first(ix.objs(s, X.inBulletin), ("bulletin",))
        elif key == "figure":
            p = first(ix.subs(X.hasFigure, s), ("measure", "problem", "part", "bulletin"))
        else:
            p = None
        if p is not None:
            parent[s] = p
    return parent


def _home_bulletins(ordered: list[str], types: dict[str, NodeType], parent: dict[str, str]) -> dict[str, str]:
    """The bulletin whose tree a local node hangs in (following parents; cycles give none)."""
    home: dict[str, str] = {}
    for s in ordered:
        seen, cur = {s}, s
        while types[cur].key != "bulletin" and cur in parent:
            cur = parent[cur]
            if cur in seen:
                break
            seen.add(cur)
        if types[cur].key == "bulletin":
            home[s] = cur
    return home


def _radial_tree(root: str, children: dict[str, list[str]]) -> tuple[dict[str, tuple[float, float]], float]:
    """O(n) radial tree: each subtree gets an angle in proportion to its leaves; depth d sits on
    ring d. Returns offsets from the root and the outer radius."""
    order: list[tuple[str, int]] = []
    stack = [(root, 0)]
    while stack:  # preorder, iterative (deep trees must not hit the recursion limit)
        n, d = stack.pop()
        order.append((n, d))
        stack.extend((c, d + 1) for c in reversed(children.get(n, ())))
    leaves: dict[str, int] = {}
    for n, _ in reversed(order):
        kids = children.get(n, ())
        leaves[n] = sum(leaves[c] for c in kids) if kids else 1
    depth_max = max(d for _, d in order)
    if depth_max == 0:
        return {root: (0.0, 0.0)}, 40.0
    outer = max(leaves[root] * _LEAF_SPACING / (2 * math.pi), depth_max * _RING_MIN)
    ring = outer / depth_max
    pos = {root: (0.0, 0.0)}
    span: dict[str, tuple[float, float]] = {root: (-math.pi / 2, 1.5 * math.pi)}
    for n, d in order:
        a0, a1 = span[n]
        a = a0
        for c in children.get(n, ()):
            w = (a1 - a0) * leaves[c] / leaves[n]
            span[c] = (a, a + w)
            mid = a + w / 2
            pos[c] = ((d + 1) * ring * math.cos(mid), (d + 1) * ring * math.sin(mid))
            a += w
    return pos, outer


def _ring(members: list[str], preferred: dict[str, float], radius: float) -> tuple[dict[str, tuple[float, float]], float]:
    """Shared nodes around a tree: each near the mean angle of its neighbours, kept apart."""
    r = max(radius, len(members) * _LEAF_SPACING / (2 * math.pi))
    sep = _LEAF_SPACING / r
    items = sorted(members, key=lambda n: (preferred[n], n))
    angles: list[float] = []
    for n in items:
        angles.append(max(preferred[n], angles[-1] + sep) if angles else preferred[n])
    if angles and angles[-1] - angles[0] > 2 * math.pi - sep:  # too crowded: spread evenly
        angles = [angles[0] + i * 2 * math.pi / len(items) for i in range(len(items))]
    return {n: (r * math.cos(a), r * math.sin(a)) for n, a in zip(items, angles)}, r


def _sunflower(ids: list[str]) -> tuple[dict[str, tuple[float, float]], float]:
    """O(n): nodes on a golden-angle spiral, the first at the centre."""
    golden = math.pi * (3.0 - math.sqrt(5.0))
    pos = {}
    for i, n in enumerate(ids):
        rho = _SUNFLOWER_SPACING * math.sqrt(i)
        pos[n] = (rho * math.cos(i * golden), rho * math.sin(i * golden))
    return pos, _SUNFLOWER_SPACING * math.sqrt(len(ids)) + _SUNFLOWER_SPACING / 2


@dataclass
class _Group:
    """A layout group: one bulletin's tree (with the shared nodes that only it touches), or
    the shared nodes of one type. In the overview a collapsed group is one node."""

    kind: str  # bulletin or type
    node_type: str
    name: str
    members: list[str]
    offsets: dict[str, tuple[float, float]]
    radius: float
    x: float = 0.0
    y: float = 0.0


@dataclass
class _Structure:
    parent: dict[str, str]
    home: dict[str, str]  # local node -> its bulletin
    pos: dict[str, tuple[float, float]]
    groups: list[_Group]
    group_of: dict[str, int]


def _layout(ix: _Index, g: _GraphView) -> _Structure:
    """Positions of all nodes, the layout groups and each node's group."""
    ordered, types, rank = g.ordered, g.types, g.rank
    parent = _tree_parents(ix, ordered, types)
    home = _home_bulletins(ordered, types, parent)
    children: dict[str, list[str]] = defaultdict(list)
    for s in ordered:
        if s in parent and s in home and types[s].key != "bulletin":
            children[parent[s]].append(s)
    for kids in children.values():
        kids.sort(
            key=lambda s: (
                _TYPE_RANK[types[s].key],
                _int(ix.one(s, X.position), _LAST),
                _ordinal_key(ix.pick(s, X.ordinal)),
                rank[s],
            )
        )

    groups: dict[str, _Group] = {}
    for b in (s for s in ordered if types[s].key == "bulletin"):
        offsets, radius = _radial_tree(b, children)
        groups[b] = _Group("bulletin", "bulletin", g.names[b], list(offsets), offsets, radius)
    # shared nodes: on a ring around the one bulletin all their neighbours hang in, else in the
    # group of their type
    ring_members: dict[str, list[str]] = defaultdict(list)
    type_members: dict[str, list[str]] = defaultdict(list)
    preferred: dict[str, float] = {}
    for s in ordered:
        if s in home:
            continue
        homes = {home[o] for o in g.adjacency.get(s, ()) if o in home}
        if len(homes) != 1:
            type_members[types[s].key].append(s)
            continue
        b = homes.pop()
        vx = vy = 0.0
        for o in g.adjacency[s]:
            if home.get(o) == b:
                dx, dy = groups[b].offsets[o]
                length = math.hypot(dx, dy) or 1.0
                vx, vy = vx + dx / length, vy + dy / length
        preferred[s] = math.atan2(vy, vx) if (vx or vy) else 0.0
        ring_members[b].append(s)
    for b, members in ring_members.items():
        grp = groups[b]
        offsets, radius = _ring(members, preferred, grp.radius + _RING_MIN)
        grp.offsets.update(offsets)
        grp.members.extend(members)
        grp.radius = radius
    for t in NODE_TYPES:
        members = type_members.get(t.key)
        if members:
            offsets, radius = _sunflower(members)
            groups["type:" + t.key] = _Group("type", t.key, t.name, members, offsets, radius)

    # pack groups in rows, in reading order (bulletins by file and position, then types)
    order = list(groups.values())
    width = math.sqrt(sum((2 * grp.radius + _GROUP_GAP) ** 2 for grp in order)) if order else 0.0
    x = y = row_height = 0.0
    pos: dict[str, tuple[float, float]] = {}
    for grp in order:
        r = grp.radius
        if x > 0 and x + 2 * r > width:
            x, y, row_height = 0.0, y + row_height + _GROUP_GAP, 0.0
        grp.x, grp.y = x + r, y + r
        for n, (dx, dy) in grp.offsets.items():
            pos[n] = (grp.x + dx, grp.y + dy)
        x += 2 * r + _GROUP_GAP
        row_height = max(row_height, 2 * r)
    group_of = {n: i for i, grp in enumerate(order) for n in grp.members}
    return _Structure(parent, home, pos, order, group_of)


# ---------------------------------------------------------------- the drawn graph


@dataclass
class _GraphView:
    """The drawn nodes in their order, with names and the edges between them."""

    ordered: list[str]
    types: dict[str, NodeType]
    rank: dict[str, int]
    labels: dict[str, tuple[str, str]]  # (name, full text)
    names: dict[str, str]
    edges: list[tuple[int, int, tuple[str, str, str]]]  # (from, to, (label, qname, style))
    adjacency: dict[str, set[str]]

    def nid(self, s: str) -> str:
        return f"n{self.rank[s]}"


def _graph_view(ix: _Index, names_of: _Names) -> _GraphView:
    types = _node_types(ix)

    def order_key(s: str) -> tuple:
        t = types[s].key
        extra: tuple = ()
        if t == "bulletin":  # a compound file's bulletins together, in printed order
            main = ix.node(s, D.isPartOf)
            root = main if main in types else s
            extra = (ix.pick(root, D.source) or "", root, _int(ix.one(s, X.position), -1))
        return (_TYPE_RANK[t], extra, s.startswith("_:"), s)

    ordered = sorted(types, key=order_key)
    rank = {s: i for i, s in enumerate(ordered)}
    rows: set[tuple[int, int, tuple[str, str, str]]] = set()
    for s in ordered:
        a = rank[s]
        for p, objs in ix.props(s).items():
            if p in _NOT_SHOWN_AS_PROPERTY:
                continue
            rel = None
            for o in objs:
                if o.__class__ is not str or o not in rank:  # literals and undrawn nodes
                    continue
                if p == S.narrower and ix.has(o, S.broader, s):
                    continue  # the same fact as the broader edge
                b = rank[o]
                rel = rel or (names_of(p), names_of.qname(p), "")
                if p in names_of.symmetric and (b, a, rel) in rows:
                    continue
                rows.add((a, b, rel))
    # candidate same-issue links below the threshold (analysts review them): dashed edges
    for link in ix.subs(TYPE, X.IssueLink):
        a, b = ix.node(link, X.source), ix.node(link, X.target)
        if a in rank and b in rank and a != b and not ix.has(a, X.sameIssueAs, b) and not ix.has(b, X.sameIssueAs, a):
            x, y = sorted((rank[a], rank[b]))
            rows.add((x, y, (_CANDIDATE_LINK_NAME, "xs:IssueLink", "dashed")))
    edges = sorted(rows, key=lambda e: (e[0], e[1], e[2][1], e[2][0]))
    adjacency: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in edges:
        adjacency[ordered[a]].add(ordered[b])
        adjacency[ordered[b]].add(ordered[a])
    labels = {s: _labels(ix, s, types[s].key) for s in ordered}
    names = {s: name for s, (name, _) in labels.items()}
    return _GraphView(ordered, types, rank, labels, names, edges, adjacency)


# ---------------------------------------------------------------- facets


def _propagate(
    seeds: dict[str, set[int]], ordered: list[str], adjacency: dict[str, set[str]], fixed: frozenset[str] = frozenset()
) -> dict[str, set[int]]:
    """Facet values of every node: its own (seeds), else the union of its neighbours' seeds,
    else (second pass) the union of its neighbours' values from the first pass. Nodes in
    ``fixed`` keep their seed even when it is empty (a problem without a theme has none)."""
    values = {s: v for s, v in seeds.items() if v}
    for _ in range(2):
        new = {}
        for s in ordered:
            if s not in values and s not in fixed:
                acc: set[int] = set()
                for o in adjacency.get(s, ()):
                    if o in values:
                        acc |= values[o]
                if acc:
                    new[s] = acc
        values.update(new)
    return values


def _year(ix: _Index, node: str | None) -> str | None:
    """Year of an inspection (its round's, else its own) or of a round."""
    if node is None:
        return None
    for r in sorted(ix.objs(node, X.inRound)):
        y = ix.pick(r, X.year)
        if y:
            return y[:4]
    y = ix.pick(node, X.year)
    return y[:4] if y else None


@dataclass
class _Facets:
    rows: dict  # the "facets" block of the view data
    by_node: dict[str, dict[str, list[int]]]  # node -> {"fb": [...], "fy": [...], "ft": [...]}


def _facets(ix: _Index, g: _GraphView, st: _Structure) -> _Facets:
    """What the drop-down filters offer, and each node's values for them.

    A node belongs to the bulletin it hangs in; a shared node to the bulletins its neighbours
    hang in. A problem's years are those of the round it was raised in and of the earlier
    rounds its text cites; its themes are its ``xs:theme`` values and their broader themes;
    measures, parts and figures take their problem's themes. Everything else takes the union
    of its neighbours' values (two steps out at most)."""
    ordered, types, rank = g.ordered, g.types, g.rank
    names = g.names
    bulletins = [s for s in ordered if types[s].key == "bulletin"]
    b_index = {b: i for i, b in enumerate(bulletins)}
    facet_b = _propagate({s: {b_index[b]} for s, b in st.home.items()}, ordered, g.adjacency)

    year_seed: dict[str, set[str]] = {}
    for s in ordered:
        key = types[s].key
        if key == "problem":
            ys = {_year(ix, i) for p in (X.raisedIn, X.previouslyRaisedIn) for i in ix.objs(s, p)}
        elif key in ("inspection", "round"):
            ys = {_year(ix, s)}
        elif key == "bulletin":
            ys = {_year(ix, i) for i in ix.objs(s, X.reportsOn)}
        else:
            continue
        ys.discard(None)
        if ys:
            year_seed[s] = ys
    years = sorted({y for ys in year_seed.values() for y in ys})
    y_index = {y: i for i, y in enumerate(years)}
    facet_y = _propagate({s: {y_index[y] for y in ys} for s, ys in year_seed.items()}, ordered, g.adjacency)

    themes = [s for s in ordered if types[s].key == "theme"]
    parents = {c: [b for b in _broader(ix, c) if b in rank] for c in themes}
    ancestors: dict[str, list[str]] = {}
    for c in themes:
        seen, todo = [], [c]
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.append(x)
                todo.extend(parents.get(x, ()))
        ancestors[c] = seen
    # themes in hierarchy order: top concepts, each followed by its narrower themes
    kids: dict[str, list[str]] = defaultdict(list)
    for c in themes:
        for b in parents[c]:
            kids[b].append(c)
    theme_order: list[tuple[str, int]] = []
    placed: set[str] = set()
    tops = sorted((c for c in themes if not parents[c]), key=lambda c: (names[c], rank[c]))
    for top in tops + themes:  # themes caught in a broader cycle end up at the top level
        stack = [(top, 0)]
        while stack:
            x, d = stack.pop()
            if x in placed:
                continue
            placed.add(x)
            theme_order.append((x, d))
            stack.extend((k, d + 1) for k in sorted(kids.get(x, ()), key=lambda k: (names[k], rank[k]), reverse=True))
    t_index = {c: i for i, (c, _) in enumerate(theme_order)}
    seeds_t: dict[str, set[int]] = {}
    for s in ordered:
        key = types[s].key
        if key == "problem":
            seeds_t[s] = {t_index[a] for c in ix.objs(s, X.theme) if c in ancestors for a in ancestors[c]}
        elif key == "theme":
            seeds_t[s] = {t_index[a] for a in ancestors[s]}
    for s in ordered:
        if types[s].key in ("part", "measure", "figure"):
            cur, hops = s, 0
            while cur in st.parent and types[cur].key != "problem" and hops < 4:
                cur, hops = st.parent[cur], hops + 1
            if types[cur].key == "problem":
                seeds_t[s] = seeds_t.get(cur, set())
    fixed = frozenset(s for s in ordered if types[s].key in ("problem", "theme")) | frozenset(seeds_t)
    facet_t = _propagate(seeds_t, ordered, g.adjacency, fixed)

    by_node: dict[str, dict[str, list[int]]] = {}
    count_b, count_y, count_t = [0] * len(bulletins), [0] * len(years), [0] * len(theme_order)
    for s in ordered:
        vals = {}
        for field, values in (("fb", facet_b), ("fy", facet_y), ("ft", facet_t)):
            if values.get(s):
                vals[field] = sorted(values[s])
        by_node[s] = vals
        if types[s].key == "problem":
            for field, counts in (("fb", count_b), ("fy", count_y), ("ft", count_t)):
                for i in vals.get(field, ()):
                    counts[i] += 1
    publishers = sorted({u for b in bulletins for u in ix.objs(b, D.publisher) if u in rank}, key=lambda u: rank[u])
    pub_index = {u: i for i, u in enumerate(publishers)}
    rows = {
        "bulletins": [
            {
                "id": g.nid(b),
                "name": g.labels[b][1],
                "problems": count_b[i],
                "publisher": min((pub_index[u] for u in ix.objs(b, D.publisher) if u in pub_index), default=-1),
            }
            for i, b in enumerate(bulletins)
        ],
        "publishers": [{"id": g.nid(u), "name": names[u]} for u in publishers],
        "years": [{"year": y, "problems": count_y[i]} for i, y in enumerate(years)],
        "themes": [
            {"id": g.nid(c), "name": names[c], "depth": d, "problems": count_t[i]} for i, (c, d) in enumerate(theme_order)
        ],
    }
    return _Facets(rows, by_node)


# ---------------------------------------------------------------- recurrence timelines


def _recurrence(ix: _Index, g: _GraphView, st: _Structure) -> list[dict]:
    """Per theme, its problems across rounds in time order — the grouping of
    :func:`pipeline.recurrence.trace`: the theme's problems and those linked to them by
    ``xs:sameIssueAs``, grouped by the round they were raised in; the earlier rounds that the
    text cites (``xs:previouslyRaisedIn``) as rounds of their own; the same-issue links (and
    candidate ``xs:IssueLink``\\ s) among them.

    Rounds sort by year (an undated earlier round first: it is earlier than the round citing
    it), earlier before current, then label — as ``trace`` orders its entries.
    """
    types, rank, names = g.types, g.rank, g.names
    candidates: dict[str, list[str]] = defaultdict(list)
    for link in ix.subs(TYPE, X.IssueLink):
        a, b = ix.node(link, X.source), ix.node(link, X.target)
        if a in rank and b in rank and a != b:
            candidates[a].append(b)
            candidates[b].append(a)

    def round_of(inspection: str | None) -> str | None:
        return ix.node(inspection, X.inRound) if inspection is not None else None

    def problem_order(p: str) -> tuple:
        b = st.home.get(p)
        return (rank[b] if b else _LAST, _int(ix.one(p, X.position), _LAST), _ordinal_key(ix.pick(p, X.ordinal)), rank[p])

    def entry(entries: dict[str, dict], key: str, round_node: str | None, label: str, year: str | None) -> dict:
        if key not in entries:
            entries[key] = {"label": label, "year": year or "", "problems": [], "cited": []}
            if round_node in rank:
                entries[key]["round"] = g.nid(round_node)
        return entries[key]

    out = []
    for theme in (c for c in g.ordered if types[c].key == "theme"):
        seeds = {p for p in ix.subs(X.theme, theme) if p in types and types[p].key == "problem"}
        if not seeds:
            continue
        problems = set(seeds)
        for p in seeds:
            problems.update(o for o in ix.objs(p, X.sameIssueAs) if o in rank)
        entries: dict[str, dict] = {}
        for p in sorted(problems, key=rank.__getitem__):
            insp = ix.node(p, X.raisedIn)
            if insp is None and p in st.home:  # not linked to its inspection: the bulletin's
                insp = ix.node(st.home[p], X.reportsOn)
            r = round_of(insp)
            node = r or insp
            label = (ix.pick(node, LABEL) or names.get(node) or _local_name(node)) if node else "轮次不详"
            entry(entries, node or "?", r, label, _year(ix, insp))["problems"].append(p)
            for earlier in sorted(ix.objs(p, X.previouslyRaisedIn)):
                er = round_of(earlier)
                label = ix.pick(er, LABEL) or ix.pick(earlier, LABEL) or names.get(earlier) or _local_name(earlier)
                entry(entries, er or earlier, er, label, _year(ix, earlier))["cited"].append((p, earlier))
        rows = []
        for e in entries.values():
            row = {
                "label": e["label"],
                "year": e["year"],
                "kind": "current" if e["problems"] else "earlier",
                "problems": [g.nid(p) for p in sorted(e["problems"], key=problem_order)],
                "cited": [[g.nid(p), g.nid(i)] for p, i in sorted(set(e["cited"]), key=lambda pi: (rank[pi[0]], pi[1])) if i in rank],
            }
            if "round" in e:
                row["round"] = e["round"]
            rows.append(row)
        rows.sort(key=lambda r: (r["year"] or "0000", r["kind"] != "earlier", r["label"]))
        links = set()
        for p in problems:
            for o in ix.objs(p, X.sameIssueAs):
                if o in problems and o != p:
                    links.add((*sorted((rank[p], rank[o])), "same"))
            for o in candidates.get(p, ()):
                if o in problems and not ix.has(p, X.sameIssueAs, o) and not ix.has(o, X.sameIssueAs, p):
                    links.add((*sorted((rank[p], rank[o])), "candidate"))
        out.append(
            {
                "theme": g.nid(theme),
                "name": names[theme],
                "problemCount": len(problems),
                "direct": sorted(rank[p] for p in seeds),
                "rounds": rows,
                "links": [[f"n{a}", f"n{b}", kind] for a, b, kind in sorted(links)],
            }
        )
    for t in out:
        t["direct"] = [f"n{i}" for i in t["direct"]]
    out.sort(key=lambda t: (-len(t["rounds"]), -t["problemCount"], t["name"], int(t["theme"][1:])))
    return out


# ---------------------------------------------------------------- the view data


def _props(ix: _Index, s: str, g: _GraphView, names_of: _Names) -> list[list[str]]:
    """(Chinese name, value) rows of the side panel: literal values, and the labels of
    undrawn resources (e.g. the section a problem sits in)."""
    rows: list[list[str]] = []
    for p in sorted(ix.props(s)):
        if p in _NOT_SHOWN_AS_PROPERTY:
            continue
        objs = ix.objs(s, p)
        for o in sorted(objs, key=_value_key) if len(objs) > 1 else objs:
            if isinstance(o, Literal):
                rows.append([names_of(p), _display(o)])
            elif o not in g.rank and not o.startswith("_:"):
                label = _generic_label(ix, o)
                if label:
                    rows.append([names_of(p), label])
    return rows


def _link_rows(ix: _Index, s: str, g: _GraphView, assignments: dict[str, list[str]]) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """Panel rows for a problem's theme assignments and issue links; the assignments'
    evidence spans as extra quotes."""
    rows: list[list[str]] = []
    extra: list[tuple[str, str]] = []
    for a in sorted(assignments.get(s, ())):
        concept = ix.node(a, X.concept)
        method = ix.pick(a, X.method) or ""
        score = ix.pick(a, X.score)
        text = (g.labels[concept][0] if concept in g.rank else _generic_label(ix, concept or "")) or ""
        detail = " · ".join(x for x in (_METHOD_NAMES.get(method, method), f"得分 {score}" if score else "") if x)
        rows.append(["主题归类", f"{text}({detail})" if detail else text])
        extra.extend((span, text) for span in sorted(ix.objs(a, X.evidence)))
    for link in sorted(set(ix.subs(X.source, s)) | set(ix.subs(X.target, s))):
        if not ix.is_a(link, X.IssueLink):
            continue
        src, tgt = ix.node(link, X.source), ix.node(link, X.target)
        other = tgt if src == s else src
        if other in g.rank and other != s:
            same = ix.has(s, X.sameIssueAs, other) or ix.has(other, X.sameIssueAs, s)
            score, method = ix.pick(link, X.score), ix.pick(link, X.method)
            detail = " · ".join(x for x in (f"相似度 {score}" if score else "", method or "") if x)
            name = g.labels[other][0]
            rows.append([_SAME_ISSUE_NAME if same else _CANDIDATE_LINK_NAME, f"{name}({detail})" if detail else name])
    return rows, extra


# ---------------------------------------------------------------- scope: the documents a page covers


@dataclass
class Scope:
    """The documents a page covers when the graph is too large to draw whole (or the user
    picked some): every node with evidence in them, their evidence quotes from them only,
    and the corpus-level nodes (themes, rounds, issue links …) connected to those."""

    documents: list[str]  # SourceDocument IRIs covered, newest first
    total_documents: int
    total_nodes: int  # drawable nodes in the whole graph
    budget: int | None
    match: str | None
    included: set  # the subjects read (terms as the graph holds them)
    doc_terms: set  # the covered documents as terms
    span_doc: SpanDocs  # the graph's spans' documents (read again by triples)

    def triples(self, g: Graph) -> Iterator[tuple]:
        """The covered subjects' triples, evidence outside the covered documents left out."""
        span_doc = self.span_doc
        docs = self.doc_terms
        for s in sorted(self.included, key=_key):
            for p, o in g.predicate_objects(s):
                if o.__class__ is URIRef:
                    d = span_doc.of_term(o)
                    if d is not None and d not in docs:
                        continue
                yield s, p, o

    @property
    def partial(self) -> bool:
        """Whether the page leaves documents out (or picked them by ``match``)."""
        return self.match is not None or len(self.documents) < self.total_documents

    def note(self) -> str:
        """What the page leaves out, for its header (plain text)."""
        how = f"含“{self.match}”的" if self.match else "最近的"
        limit = f",约 {self.budget:,} 个节点以内" if self.budget else ""
        return (f"本页只收录{how} {len(self.documents):,} 份源文件(共 {self.total_documents:,} 份,"
                f"全图 {self.total_nodes:,} 个节点{limit})。其他文件请用 xunshi view --match 关键词 生成;"
                f"--budget 0 生成全图。(This page covers {len(self.documents):,} of {self.total_documents:,} source files.)")


def _objects(slot) -> tuple:
    from .memstore import objects

    return () if slot is None else objects(slot)


_DRAWN_CLASSES = tuple(URIRef(c) for t in NODE_TYPES for c in t.classes)


def choose_documents(sources: dict, dated: dict, words: dict, own: dict, budget: int | None, match: str | None) -> list:
    """The documents a page covers: of ``sources`` (document → its source path), those whose
    path or ``words`` (bulletin titles, publishers' names) contain ``match`` (if given),
    newest first (``dated``: each one's newest bulletin date, ISO; then by path), as many as
    fit in ``budget`` drawable nodes of their own (``own``; at least one)."""
    candidates = sorted(sources, key=lambda d: (-_date_rank(dated.get(d, "")), sources[d], str(d)))
    if match is not None:
        candidates = [d for d in candidates if match in sources[d] or any(match in w for w in words.get(d, ()))]
    chosen: list = []
    used = 0
    for d in candidates:
        if chosen and budget and used + own.get(d, 0) > budget:
            break
        chosen.append(d)
        used += own.get(d, 0)
    return chosen


def document_scope(g: Graph, budget: int | None = VIEW_BUDGET, match: str | None = None, *,
                   documents: list | None = None, totals: tuple[int, int] | None = None) -> Scope | None:
    """The scope of a page of ``g``: the documents :func:`choose_documents` picks (or the
    given ``documents``, with the whole corpus's ``totals`` (documents, drawable nodes) when
    ``g`` holds only part of it). None when the page can draw the whole graph (nothing to
    match and within the budget, or no budget)."""
    from .build import subject_index
    from .memstore import count_instances, raw_objects, split_index, term

    total = sum(count_instances(g, c) for c in dict.fromkeys(_DRAWN_CLASSES))
    if documents is None and match is None and (not budget or total <= budget):
        return None
    index = subject_index(g)
    span_doc = SpanDocs(g)
    drawn = frozenset(_DRAWN_CLASSES)
    src_doc, bul = XS.SourceDocument, XS.Bulletin

    def docs_of(s, preds) -> set:
        if XS.inDocument in preds:  # a span
            return set(_objects(preds[XS.inDocument]))
        found = set()
        for slot in preds.values():
            for m in raw_objects(slot):
                d = span_doc.of_member(m)
                if d is not None:
                    found.add(d)
        return found

    # the build store's span and figure rows are read by column (spans are never drawn)
    indexed, spans, figures = split_index(index)
    own = defaultdict(int)  # document -> drawable nodes with evidence in it alone
    dated: dict = {}  # document -> its newest bulletin date
    words: dict = defaultdict(list)  # document -> texts --match looks in
    sources: dict = {}
    # each drawable subject's documents, in the order the index gives the subjects (the
    # walk below is in that order again): a list, not a map of ~2M subjects at 10,000
    # bulletins, holding a lone document itself (a set each was ~0.4 GB there); None where
    # the subject is not drawable
    known: list = []
    for s, preds in indexed.items():
        types = _objects(preds.get(RDF.type))
        if src_doc in types:
            sources[s] = " ".join(str(x) for x in _objects(preds.get(DCTERMS.source)))
            known.append(None)
            continue
        if not any(t in drawn for t in types):
            known.append(None)
            continue
        docs = docs_of(s, preds)
        known.append(next(iter(docs)) if len(docs) == 1 else docs)
        if len(docs) == 1:
            own[next(iter(docs))] += 1
        if bul in types and docs:
            issued = max((str(x) for x in _objects(preds.get(DCTERMS.issued))), default="")
            texts = [str(x) for x in _objects(preds.get(DCTERMS.title))]
            for unit in _objects(preds.get(DCTERMS.publisher)):
                up = index.get(unit) or {}
                texts += [str(x) for p in (SKOS.prefLabel, SKOS.altLabel) for x in _objects(up.get(p))]
            for d in docs:
                if issued > dated.get(d, ""):
                    dated[d] = issued
                words[d].extend(texts)
    figure_docs = []  # (figure row, its document)
    if figures is not None:
        for r in figures.live_rows():
            d = span_doc.of_member(figures.evidence[r])
            figure_docs.append((r, d))
            if d is not None:
                own[d] += 1
    if documents is not None:
        chosen = [d for d in documents if d in sources]
    else:
        chosen = choose_documents(sources, dated, words, own, budget, match)
    docs = set(chosen)
    included: set = set(chosen)
    if spans is not None:
        numbers = {n for n, d in enumerate(spans.docs) if d in docs}
        included.update(spans.iri(r) for r, n in enumerate(spans.doc) if n in numbers)
    included.update(figures.iri(r) for r, d in figure_docs if d in docs)
    referenced: set = set()
    homeless: list = []  # (subject, the nodes it points to) of subjects with no evidence
    for (s, preds), found in zip(indexed.items(), known):
        if found is None:
            found = docs_of(s, preds)
        elif type(found) is not set:
            found = {found}
        if found & docs:
            included.add(s)
            for slot in preds.values():
                for m in raw_objects(slot):
                    if type(m) is int and m < 0:
                        referenced.add(term(m))
                    elif isinstance(m, (URIRef, BNode)):
                        referenced.add(m)
        elif not found and not (src_doc in _objects(preds.get(RDF.type))):
            homeless.append((s, [m if type(m) is not int else term(m) for slot in preds.values() for m in raw_objects(slot)
                                 if type(m) is int or isinstance(m, (URIRef, BNode))]))
    changed = True
    while changed:  # themes → their broader groups, rounds, issue links between covered problems …
        changed = False
        rest = []
        for s, members in homeless:
            if s in referenced or any(m in included for m in members):
                included.add(s)
                referenced.update(members)
                changed = True
            else:
                rest.append((s, members))
        homeless = rest
    n_docs, n_nodes = totals if totals is not None else (len(sources), total)
    return Scope([str(d) for d in chosen], n_docs, n_nodes, budget, match, included, docs, span_doc)


def _date_rank(iso: str) -> int:
    """An ISO date as a number (later is larger), 0 when there is none."""
    digits = re.sub(r"\D", "", iso)[:8]
    return int(digits.ljust(8, "0")) if digits else 0


def graph_to_view_data(g: Graph, *, max_label: int = 18, scope: Scope | None = None) -> dict:
    """Turn the knowledge graph into plain JSON-able view data, in a deterministic order.

    Returns a dict with:

    - ``meta``: node and edge counts, ``collapseAbove`` (:data:`COLLAPSE_ABOVE`), ``large``;
    - ``legend``: ``types`` (key, Chinese name, colour, shape, size, count) and ``statuses``;
    - ``nodes``: ``id`` (``n`` + index), ``iri``, ``type``, ``label`` (Chinese, shortened to
      ``max_label``), ``full`` text, ``status``/``statusText`` for problems, ``x``/``y``
      (precomputed), ``g`` (layout group index), ``props`` ((Chinese name, value) pairs),
      ``evidence`` quotes (kind, ``doc`` index, start, end, exact, ``bulletin`` node id),
      ``evidenceTotal``, ``alt`` (other names for search) and facet indexes ``fb`` (bulletins),
      ``fy`` (years), ``ft`` (themes);
    - ``edges``: ``[from index, to index, relation index]``; ``relations``: label, qname, style;
    - ``docs``: source paths (and extracted text files) the quotes refer to;
    - ``groups``: layout groups (kind, type, name, member count, centre, radius);
    - ``facets``: ``bulletins`` (with their issuing unit), ``publishers``, ``years``, ``themes``;
    - ``recurrence``: per theme, its rounds in time order (see :func:`_recurrence`).
    """
    ix = _Index(g, scope.triples(g) if scope is not None else None)
    names_of = _Names()
    gv = _graph_view(ix, names_of)
    st = _layout(ix, gv)
    facets = _facets(ix, gv, st)
    bulletins = [s for s in gv.ordered if gv.types[s].key == "bulletin"]
    evidence = _Evidence(ix, bulletins, {b: gv.nid(b) for b in bulletins})
    assignments: dict[str, list[str]] = defaultdict(list)
    for a in ix.subs(TYPE, X.ThemeAssignment):
        p = ix.node(a, X.problem)
        if p is not None:
            assignments[p].append(a)

    nodes: list[dict] = []
    status_counts = dict.fromkeys(STATUS_KEYS, 0)
    type_counts = dict.fromkeys(_TYPE_BY_KEY, 0)
    for s in gv.ordered:
        key = gv.types[s].key
        type_counts[key] += 1
        name, full = gv.labels[s]
        x, y = st.pos[s]
        node: dict = {"id": gv.nid(s), "iri": names_of.qname(s), "type": key, "label": _shorten(_clean(name), max_label), "full": full}
        if key == "problem":
            statuses = sorted(_STATUS_BY_IRI[o] for o in ix.objs(s, X.status) if o in _STATUS_BY_IRI)
            node["status"] = statuses[0] if statuses else "Unknown"
            status_counts[node["status"]] += 1
            status_text = ix.pick(s, X.statusText)
            if status_text:
                node["statusText"] = status_text
        node["x"], node["y"] = round(x), round(y)
        node["g"] = st.group_of[s]
        props = _props(ix, s, gv, names_of)
        extra: list[tuple[str, str]] = []
        if key == "problem":
            rows, extra = _link_rows(ix, s, gv, assignments)
            props += rows
        node["props"] = props
        quotes = evidence.quotes(s, full, extra)
        node["evidence"] = quotes[:MAX_EVIDENCE]
        if len(quotes) > MAX_EVIDENCE:
            node["evidenceTotal"] = len(quotes)
        alt = _alt_names(ix, s, name, full)
        if alt:
            node["alt"] = alt
        node.update(facets.by_node[s])
        nodes.append(node)

    relations: list[dict] = []
    rel_index: dict[tuple[str, str, str], int] = {}
    edges: list[list[int]] = []
    for a, b, rel in gv.edges:
        if rel not in rel_index:
            rel_index[rel] = len(relations)
            relations.append({"label": rel[0], "prop": rel[1], **({"style": rel[2]} if rel[2] else {})})
        edges.append([a, b, rel_index[rel]])

    legend = {
        "types": [
            {
                "key": t.key,
                "typeName": t.name,
                # problems are filled by status, so their legend row says so
                "name": t.name + "(按整改状态着色)" if t.key == "problem" else t.name,
                "color": t.color,
                "shape": t.shape,
                "size": t.size,
                "count": type_counts[t.key],
            }
            for t in NODE_TYPES
            if type_counts[t.key]
        ],
        "statuses": [
            {"key": k, "name": STATUS_STYLES[k][0], "color": STATUS_STYLES[k][1], "count": status_counts[k]}
            for k in STATUS_KEYS
        ],
    }
    groups = [
        {
            "kind": grp.kind,
            "type": grp.node_type,
            "name": grp.name,
            "count": len(grp.members),
            "x": round(grp.x),
            "y": round(grp.y),
            "r": round(grp.radius),
        }
        for grp in st.groups
    ]
    meta = {
        "nodeCount": len(nodes),
        "edgeCount": len(edges),
        "layout": "radial-tree",
        "collapseAbove": COLLAPSE_ABOVE,
        "large": len(nodes) > LARGE_GRAPH_NODES,
    }
    if scope is not None and scope.partial:
        meta["scope"] = {"documents": len(scope.documents), "totalDocuments": scope.total_documents,
                         "totalNodes": scope.total_nodes, "budget": scope.budget, "match": scope.match, "note": scope.note()}
    return {
        "meta": meta,
        "legend": legend,
        "facets": facets.rows,
        "groups": groups,
        "docs": evidence.docs,
        "evidenceKinds": list(EVIDENCE_KINDS),
        "relations": relations,
        "nodes": nodes,
        "edges": edges,
        "recurrence": _recurrence(ix, gv, st),
    }


# ---------------------------------------------------------------- HTML


def vis_network_js() -> str:
    """The vis-network (standalone) build that pyvis ships, ready to inline in a <script>."""
    lib = resources.files("pyvis") / "templates" / "lib"
    candidates = sorted(
        (d for d in lib.iterdir() if d.name.startswith("vis-") and (d / "vis-network.min.js").is_file()),
        key=lambda d: tuple(int(x) for x in re.findall(r"\d+", d.name)),
    )
    if not candidates:
        # Not an input problem, so no code from errors.py: the installation is broken.
        raise FileNotFoundError(f"pyvis 未附带 vis-network.min.js ({lib}); 请重新安装 pyvis>=0.3.2 / reinstall pyvis")
    js = (candidates[-1] / "vis-network.min.js").read_text(encoding="utf-8")
    # No source-map fetches (devtools would try the network) and nothing that could end the
    # <script> element early.
    js = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.MULTILINE)
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")


_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def render_html(data: dict, *, title: str = "巡视整改知识图谱") -> str:
    """The complete page for already computed view data (see :func:`graph_to_view_data`)."""
    return "".join(_page_parts(data, title))


def _json_chunks(data: dict, size: int = 1 << 20) -> Iterator[str]:
    """The view data as JSON safe to place inside a <script> element (no <, >, &,
    U+2028/2029 left raw: in JSON they can only occur inside strings, where the escapes mean
    the same), in pieces of about ``size`` characters: the page is written without the whole
    JSON text (~30 MB as a str for 20,000 nodes) and its escaped copies."""
    buf: list[str] = []
    n = 0
    for chunk in json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).iterencode(data):
        buf.append(chunk)
        n += len(chunk)
        if n >= size:
            yield _escape_json("".join(buf))
            buf, n = [], 0
    if buf:
        yield _escape_json("".join(buf))


def _escape_json(text: str) -> str:
    # str.replace per character: several times faster than str.translate on 10 MB
    for ch, esc in _JSON_ESCAPES:
        text = text.replace(ch, esc)
    return text


def _page_parts(data: dict, title: str) -> Iterator[str]:
    """The page, piece by piece: the template's text and what goes into its placeholders."""
    vis_js = vis_network_js()
    csp = (
        "default-src 'none'; "
        f"script-src {_csp_hash(vis_js)} {_csp_hash(_APP_JS)}; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    parts = {
        "TITLE": html.escape(title),
        "CSP": html.escape(csp, quote=False),  # no " in it; keep the quotes readable
        "STYLE": _STYLE,
        "VIS_JS": vis_js,
        "APP_JS": _APP_JS,
        "NODES": str(data["meta"]["nodeCount"]),
        "SCOPE": (f'<p id="scope-note" role="note">{html.escape(data["meta"]["scope"]["note"])}</p>'
                  if "scope" in data["meta"] else ""),
    }
    # the template split at its placeholders, so placeholder-like text inside the inserted
    # parts is never rescanned
    pieces = re.split(r"@@([A-Z_]+)@@", _TEMPLATE)
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            yield piece
        elif piece == "DATA":
            yield from _json_chunks(data)
        else:
            yield parts[piece]


def write_html(g: Graph, out: Path, *, title: str = "巡视整改知识图谱", budget: int | None = VIEW_BUDGET,
               match: str | None = None) -> Path:
    """Write the graph as one self-contained, offline HTML page; returns the path written.

    A graph with more than ``budget`` drawable nodes (None or 0: no limit), or a ``match``,
    gives a page of the documents :func:`document_scope` picks, which says so in its header."""
    write_view(g, out, title=title, budget=budget, match=match)
    return Path(out)


def write_view(g: Graph, out: Path, *, title: str = "巡视整改知识图谱", budget: int | None = VIEW_BUDGET,
               match: str | None = None, documents: list | None = None, totals: tuple[int, int] | None = None) -> Scope | None:
    """:func:`write_html`, returning the :class:`Scope` of the page (None: the whole graph);
    ``documents`` and ``totals`` as :func:`document_scope` takes them."""
    out = Path(out)
    scope = document_scope(g, budget, match, documents=documents, totals=totals)
    data = graph_to_view_data(g, scope=scope)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for part in _page_parts(data, title):
            fh.write(part)
    return scope


_STYLE = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; color: #222; font-size: 13px;
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; }
header { display: flex; align-items: center; gap: 10px; padding: 6px 12px;
  background: #263238; color: #fff; flex: 0 0 auto; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; white-space: nowrap; }
header input[type=search] { width: 240px; padding: 4px 6px; border: 1px solid #90a4ae; border-radius: 3px; }
header button { padding: 3px 8px; cursor: pointer; }
.tabs button { border: 1px solid #90a4ae; background: #37474f; color: #fff; padding: 3px 10px; }
.tabs button[aria-pressed=true] { background: #fff; color: #263238; font-weight: 600; }
#counts { margin-left: auto; white-space: nowrap; }
#collapsed-info { color: #ffd54f; white-space: nowrap; }
#scope-note { margin: 0; padding: 4px 12px; background: #fff8e1; border-bottom: 1px solid #ffe082; flex: 0 0 auto; }
main { flex: 1 1 auto; display: flex; min-height: 0; }
#sidebar { width: 230px; flex: 0 0 auto; overflow: auto; padding: 6px 10px; border-right: 1px solid #ddd; background: #fafafa; }
#sidebar h2, #panel h2 { font-size: 14px; margin: 10px 0 4px; }
#sidebar label { display: flex; align-items: center; gap: 5px; margin: 3px 0; cursor: pointer; }
#sidebar select { width: 100%; margin: 2px 0 6px; }
#sidebar .field { color: #555; font-size: 12px; }
#sidebar details { margin: 4px 0; color: #444; line-height: 1.5; }
#sidebar summary { cursor: pointer; font-weight: 600; }
#hood { background: #fff3cd; border: 1px solid #e0c56e; padding: 4px 6px; margin: 6px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; flex: 0 0 auto; border: 1px solid rgba(0,0,0,.35); }
.sh-dot { border-radius: 50%; }
.sh-diamond { transform: rotate(45deg) scale(.8); }
.sh-triangle { clip-path: polygon(50% 0, 100% 100%, 0 100%); border: 0; }
.sh-triangleDown { clip-path: polygon(0 0, 100% 0, 50% 100%); border: 0; }
.sh-hexagon { clip-path: polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%); border: 0; }
.sh-star { clip-path: polygon(50% 0, 61% 35%, 98% 35%, 68% 57%, 79% 91%, 50% 70%, 21% 91%, 32% 57%, 2% 35%, 39% 35%); border: 0; }
.count { color: #777; margin-left: auto; }
#stage { flex: 1 1 auto; min-width: 0; position: relative; display: flex; flex-direction: column; }
#network { flex: 1 1 auto; min-height: 0; position: relative; }
#recurrence { flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column; }
#recurrence[hidden], #network[hidden] { display: none; }
#rec-bar { display: flex; gap: 10px; align-items: center; padding: 6px 10px; border-bottom: 1px solid #ddd; flex-wrap: wrap; }
#rec-bar select { max-width: 420px; }
#rec-summary { color: #555; }
.key { display: inline-flex; align-items: center; gap: 4px; color: #555; font-size: 12px; }
.key svg { width: 28px; height: 8px; }
#lanes-wrap { flex: 1 1 auto; overflow: auto; position: relative; }
#lanes { position: relative; display: flex; gap: 44px; padding: 12px 16px 24px; align-items: flex-start; min-height: 100%; }
body.recurrence-mode #sidebar { display: none; }
#lanes svg.links { position: absolute; left: 0; top: 0; pointer-events: none; overflow: visible; z-index: 2; }
#lanes svg.links path { stroke-opacity: .75; }
.lane { width: 240px; flex: 0 0 auto; position: relative; z-index: 1; }
.lane.earlier { width: 170px; }
.lane-head { background: #00796b; color: #fff; padding: 6px 8px; border-radius: 4px; cursor: pointer; }
.lane.earlier .lane-head { background: #fff; color: #00564d; border: 2px dashed #00796b; }
.lane-head .year { font-size: 18px; font-weight: 700; }
.lane-head .kind { font-size: 11px; opacity: .85; }
.card { background: #fff; border: 1px solid #cfd8dc; border-left: 6px solid #999; border-radius: 3px;
  padding: 5px 7px; margin: 8px 0; cursor: pointer; line-height: 1.4; }
.card:hover { background: #f1f7f9; }
.card.linked { border-style: dashed; border-left-style: solid; }
.card .meta { color: #666; font-size: 11px; }
.cite { font-size: 12px; color: #444; margin: 6px 0; padding: 4px 6px; background: #eef5f4; border-radius: 3px; cursor: pointer; }
.empty { color: #777; padding: 20px; }
#panel { width: 360px; flex: 0 0 auto; overflow: auto; padding: 8px 12px; border-left: 1px solid #ddd; }
#panel .hint { color: #777; }
#panel .full { white-space: pre-wrap; line-height: 1.5; margin: 4px 0 8px; }
#panel table { border-collapse: collapse; width: 100%; margin-bottom: 6px; }
#panel td { border-top: 1px solid #eee; padding: 3px 4px; vertical-align: top; word-break: break-all; }
#panel td:first-child { color: #555; white-space: nowrap; width: 1%; }
#panel .actions { display: flex; flex-wrap: wrap; gap: 4px; margin: 6px 0; }
#panel .actions button { font: inherit; font-size: 12px; padding: 2px 6px; cursor: pointer; }
.badge { display: inline-block; padding: 1px 6px; border-radius: 3px; color: #fff; }
blockquote { margin: 6px 0 2px; padding: 4px 8px; border-left: 3px solid #90a4ae; background: #f5f7f8; white-space: pre-wrap; }
.src { color: #666; font-size: 12px; word-break: break-all; margin-bottom: 6px; }
.linkish { color: #1a5fb4; cursor: pointer; text-decoration: underline; background: none; border: 0; padding: 0; font: inherit; }
.nb { display: block; width: 100%; text-align: left; margin: 2px 0; padding: 3px 5px; border: 1px solid #ddd;
  background: #fff; cursor: pointer; font: inherit; }
.nb:hover { background: #eef3f6; }
.rel { color: #555; font-size: 12px; margin-top: 6px; }
div.vis-tooltip { position: absolute; visibility: hidden; pointer-events: none; z-index: 5;
  max-width: 480px; white-space: pre-wrap; word-break: break-all; line-height: 1.45;
  background: #fffef6; border: 1px solid #888; border-radius: 3px; padding: 6px 8px;
  box-shadow: 2px 2px 8px rgba(0,0,0,.2); font-size: 12px; color: #222; }
"""

# The page's own script. It reads the data with JSON.parse and writes document text only
# through textContent and element properties (never innerHTML); vis-network sets string
# tooltips with innerText.
_APP_JS = r"""
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("graph-data").textContent);
  const META = DATA.meta;
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function shorten(t, n) { return t.length <= n ? t : t.slice(0, n - 1) + "…"; }

  // ---------------------------------------------------------------- data
  const TYPES = new Map(DATA.legend.types.map((t) => [t.key, t]));
  const STATUS = new Map(DATA.legend.statuses.map((s) => [s.key, s]));
  const nodes = DATA.nodes;
  const byId = new Map();
  nodes.forEach((n) => {
    const t = TYPES.get(n.type);
    n.typeName = t.typeName;
    n.color = n.type === "problem" ? STATUS.get(n.status).color : t.color;
    n.search = [n.label, n.full].concat(n.alt || []).join("\n").toLowerCase();
    // quotes left out "exact" when it is the node's full text; the total only when cut
    if (n.evidenceTotal === undefined) n.evidenceTotal = n.evidence.length;
    n.evidence.forEach((q) => {
      if (q.exact === undefined) q.exact = n.full;
      q.kindName = DATA.evidenceKinds[q.kind] + (q.note ? ":" + q.note : "");
    });
    byId.set(n.id, n);
  });
  const REL = DATA.relations;
  const adj = new Map();
  function link(a, item) { if (!adj.has(a)) adj.set(a, []); adj.get(a).push(item); }
  DATA.edges.forEach((e) => {
    const a = "n" + e[0], b = "n" + e[1], r = REL[e[2]];
    link(a, { other: b, rel: r, out: true });
    if (a !== b) link(b, { other: a, rel: r, out: false });
  });
  const groups = DATA.groups;
  const pubOfBulletin = DATA.facets.bulletins.map((b) => b.publisher);
  function docPath(q) { return q.doc === undefined ? "" : DATA.docs[q.doc].path; }

  function tooltip(n) {
    const lines = ["【" + n.typeName + "】" + (n.type === "problem" ? " 整改状态:" + STATUS.get(n.status).name : ""), n.full];
    if (n.statusText) lines.push("整改结果原文:" + n.statusText);
    if (n.evidence.length) {
      lines.push("—— 原文出处 ——");
      n.evidence.slice(0, 3).forEach((q) => {
        lines.push("「" + shorten(q.exact.replace(/\s+/g, " "), 160) + "」");
        lines.push("    " + docPath(q) + " [" + q.start + "–" + q.end + "]");
      });
      if (n.evidenceTotal > 3) lines.push("……另有 " + (n.evidenceTotal - 3) + " 处,点击节点查看");
    }
    return lines.join("\n");
  }

  // ---------------------------------------------------------------- filter state
  const state = {
    types: new Set(DATA.legend.types.map((t) => t.key)),
    statuses: new Set(DATA.legend.statuses.map((s) => s.key)),
    bulletin: -1, publisher: -1, year: -1, theme: -1, query: "",
    hood: null, expandAll: false, expanded: new Set(), mode: "graph",
  };
  const visible = new Set();
  const drawn = new Set();
  let groupVisible = new Int32Array(groups.length);
  let collapsed = false;

  function passes(n) {
    if (!state.types.has(n.type)) return false;
    if (n.type === "problem" && !state.statuses.has(n.status)) return false;
    if (state.bulletin >= 0 && !(n.fb && n.fb.includes(state.bulletin))) return false;
    if (state.publisher >= 0 && !(n.fb && n.fb.some((b) => pubOfBulletin[b] === state.publisher))) return false;
    if (state.year >= 0 && !(n.fy && n.fy.includes(state.year))) return false;
    if (state.theme >= 0 && !(n.ft && n.ft.includes(state.theme))) return false;
    if (state.hood && !state.hood.set.has(n.id)) return false;
    return !state.query || n.search.indexOf(state.query) >= 0;
  }
  function groupCollapsed(gi) {
    return collapsed && groups[gi].count > 2 && !state.expanded.has(gi);
  }
  function recompute() {
    visible.clear();
    drawn.clear();
    groupVisible = new Int32Array(groups.length);
    nodes.forEach((n) => { if (passes(n)) { visible.add(n.id); groupVisible[n.g]++; } });
    collapsed = !state.expandAll && visible.size > META.collapseAbove;
    visible.forEach((id) => { if (!groupCollapsed(byId.get(id).g)) drawn.add(id); });
  }

  // ---------------------------------------------------------------- network
  recompute();
  function darker(hex) {
    const v = parseInt(hex.slice(1), 16);
    const c = [v >> 16, (v >> 8) & 255, v & 255].map((x) => Math.round(x * 0.6).toString(16).padStart(2, "0"));
    return "#" + c.join("");
  }
  function nodeItem(n) {
    const t = TYPES.get(n.type);
    const border = darker(n.color);
    const hi = { background: n.color, border: "#000000" };
    return {
      id: n.id, label: n.label, title: tooltip(n), x: n.x, y: n.y, shape: t.shape, size: t.size,
      borderWidth: n.type === "problem" ? 2 : 1,
      color: { background: n.color, border: border, highlight: hi, hover: hi },
    };
  }
  function clusterItem(gi, count) {
    // a collapsed group: a disc about the size of the area its members would fill
    const g = groups[gi];
    const t = TYPES.get(g.type);
    const clamp = (v, a, b) => Math.max(a, Math.min(b, v));
    return {
      id: "c" + gi, cluster: true, gi: gi, x: g.x, y: g.y, shape: "dot",
      size: clamp(g.r * 0.45, 24, 600),
      label: shorten(g.name, 12) + "\n" + count + " 个节点",
      title: (g.kind === "bulletin" ? "通报分组:" : "类型分组:") + g.name + "\n" + count + " 个节点,点击展开",
      color: { background: t ? t.color : "#555555", border: "#111111", highlight: { background: t ? t.color : "#555555", border: "#000000" } },
      font: { size: clamp(g.r * 0.2, 14, 200), color: "#111111", strokeWidth: 4, strokeColor: "#ffffff" },
      borderWidth: 2, opacity: 0.85,
    };
  }
  const nodeSet = new vis.DataSet(nodes.map(nodeItem));
  const edgeSet = new vis.DataSet(DATA.edges.map((e, i) => {
    const r = REL[e[2]];
    const item = { id: "e" + i, from: "n" + e[0], to: "n" + e[1], label: r.label, title: r.label };
    if (r.style === "dashed") { item.dashes = true; item.color = { color: "#d62728" }; item.arrows = { to: { enabled: false } }; }
    if (r.prop === "xs:sameIssueAs") { item.color = { color: "#d62728" }; item.width = 1.6; item.arrows = { to: { enabled: false } }; }
    return item;
  }));
  const nodeView = new vis.DataView(nodeSet, {
    filter: (item) => item.cluster ? (groupCollapsed(item.gi) && groupVisible[item.gi] > 0) : drawn.has(item.id),
  });
  const edgeView = new vis.DataView(edgeSet, {
    filter: (item) => item.agg ? true : (drawn.has(item.from) && drawn.has(item.to)),
  });
  const large = META.large;
  const network = new vis.Network($("network"), { nodes: nodeView, edges: edgeView }, {
    autoResize: true,
    physics: { enabled: false },
    layout: { improvedLayout: false, randomSeed: 1 },
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: large, hideEdgesOnZoom: large,
                   navigationButtons: false, keyboard: false, multiselect: false },
    nodes: { font: { size: 12, color: "#222222" } },
    edges: {
      arrows: { to: { enabled: true, scaleFactor: 0.4 } },
      smooth: false, width: 0.7,
      color: { color: "#b0b7bb", highlight: "#37474f", hover: "#37474f" },
      font: { size: 9, color: "#666666", strokeWidth: 2, align: "middle" },
      scaling: { label: { drawThreshold: 11 } },  // relation names only when zoomed in
    },
  });

  let clusterIds = [];
  let aggIds = [];
  function rep(id) {
    if (drawn.has(id)) return id;
    return "c" + byId.get(id).g;
  }
  function updateClusters() {
    // cluster nodes: one per collapsed group that has visible members
    if (clusterIds.length) nodeSet.remove(clusterIds);
    if (aggIds.length) edgeSet.remove(aggIds);
    clusterIds = [];
    aggIds = [];
    if (!collapsed) return;
    const items = [];
    groups.forEach((g, gi) => {
      if (groupCollapsed(gi) && groupVisible[gi] > 0) { items.push(clusterItem(gi, groupVisible[gi])); clusterIds.push("c" + gi); }
    });
    nodeSet.add(items);
    const agg = new Map();
    DATA.edges.forEach((e) => {
      const a = "n" + e[0], b = "n" + e[1];
      if (!visible.has(a) || !visible.has(b)) return;
      if (drawn.has(a) && drawn.has(b)) return;
      const ra = rep(a), rb = rep(b);
      if (ra === rb) return;
      const key = ra < rb ? ra + "|" + rb : rb + "|" + ra;
      agg.set(key, (agg.get(key) || 0) + 1);
    });
    const edges = [];
    Array.from(agg.keys()).sort().forEach((key) => {
      const [a, b] = key.split("|");
      const c = agg.get(key);
      const id = "a:" + key;
      aggIds.push(id);
      edges.push({ id: id, agg: true, from: a, to: b, width: Math.min(10, 1 + Math.log2(c)),
        title: c + " 条关系", arrows: { to: { enabled: false } }, color: { color: "#90a4ae", opacity: 0.45 } });
    });
    edgeSet.add(edges);
  }

  function updateCounts() {
    $("node-count").textContent = String(visible.size);
    const hidden = visible.size - drawn.size;
    const info = $("collapsed-info");
    if (collapsed && hidden > 0) {
      info.textContent = "概览:" + hidden + " 个节点折叠在 " + clusterIds.length + " 个分组中(点击分组展开)";
      info.hidden = false;
    } else {
      info.textContent = "";
      info.hidden = true;
    }
    $("expand-all").textContent = state.expandAll ? "恢复概览" : (META.large ? "全部展开(节点多,较慢)" : "全部展开");
  }
  function fitDrawn() {
    const ids = drawn.size ? Array.from(drawn) : clusterIds;
    if (ids.length && ids.length <= 5000) network.fit({ nodes: ids, animation: false });
  }
  function refresh() {
    recompute();
    updateClusters();
    nodeView.refresh();
    edgeView.refresh();
    updateCounts();
  }

  // ---------------------------------------------------------------- legend + filters
  function legendRow(container, item, shape, onToggle) {
    const label = el("label");
    const box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.dataset.key = item.key;
    box.addEventListener("change", () => onToggle(box.checked));
    const sw = el("span", null, "swatch sh-" + shape);
    sw.style.backgroundColor = item.color;
    label.appendChild(box);
    label.appendChild(sw);
    label.appendChild(el("span", item.name));
    label.appendChild(el("span", item.count, "count"));
    container.appendChild(label);
  }
  DATA.legend.types.forEach((t) => {
    legendRow($("type-filter"), t, t.shape, (on) => {
      if (on) state.types.add(t.key); else state.types.delete(t.key);
      refresh();
    });
  });
  DATA.legend.statuses.forEach((s) => {
    legendRow($("status-filter"), s, "dot", (on) => {
      if (on) state.statuses.add(s.key); else state.statuses.delete(s.key);
      refresh();
    });
  });
  function fillSelect(sel, rows, text) {
    const all = el("option", "全部");
    all.value = "-1";
    sel.appendChild(all);
    rows.forEach((r, i) => {
      const o = el("option", text(r));
      o.value = String(i);
      sel.appendChild(o);
    });
    sel.disabled = rows.length === 0;
  }
  const F = DATA.facets;
  fillSelect($("f-bulletin"), F.bulletins, (b) => shorten(b.name, 40) + "(" + b.problems + " 个问题)");
  fillSelect($("f-publisher"), F.publishers, (u) => u.name);
  fillSelect($("f-year"), F.years, (y) => y.year + " 年(" + y.problems + " 个问题)");
  fillSelect($("f-theme"), F.themes, (t) => "\u3000".repeat(t.depth) + t.name + "(" + t.problems + ")");
  [["f-bulletin", "bulletin"], ["f-publisher", "publisher"], ["f-year", "year"], ["f-theme", "theme"]].forEach(([id, key]) => {
    $(id).addEventListener("change", () => { state[key] = Number($(id).value); refresh(); fitDrawn(); });
  });
  $("clear-filters").addEventListener("click", () => {
    ["f-bulletin", "f-publisher", "f-year", "f-theme"].forEach((id) => { $(id).value = "-1"; });
    state.bulletin = state.publisher = state.year = state.theme = -1;
    document.querySelectorAll("#type-filter input, #status-filter input").forEach((b) => { b.checked = true; });
    state.types = new Set(DATA.legend.types.map((t) => t.key));
    state.statuses = new Set(DATA.legend.statuses.map((s) => s.key));
    $("search").value = "";
    state.query = "";
    setHood(null);
  });

  // ---------------------------------------------------------------- neighbourhood
  function setHood(id, hops) {
    if (id === null) {
      state.hood = null;
      $("hood").hidden = true;
      refresh();
      return;
    }
    const set = new Set([id]);
    let frontier = [id];
    for (let h = 0; h < hops; h++) {
      const next = [];
      frontier.forEach((a) => (adj.get(a) || []).forEach((nb) => { if (!set.has(nb.other)) { set.add(nb.other); next.push(nb.other); } }));
      frontier = next;
    }
    state.hood = { center: id, hops: hops, set: set };
    $("hood-text").textContent = "邻域:「" + byId.get(id).label + "」" + hops + " 跳内 " + set.size + " 个节点";
    $("hood").hidden = false;
    showMode("graph");
    refresh();
    fitDrawn();
    if (drawn.has(id)) network.selectNodes([id]);
  }
  $("hood-exit").addEventListener("click", () => setHood(null));

  // ---------------------------------------------------------------- side panel
  const panel = $("panel-body");
  function showHint() {
    clear(panel);
    panel.appendChild(el("p", "点击节点查看属性、原文出处和关联节点;分组节点点击后展开。", "hint"));
  }
  function nodeButton(id, prefix) {
    const other = byId.get(id);
    const b = el("button", null, "nb");
    b.type = "button";
    if (prefix) b.appendChild(el("span", prefix, "rel"));
    b.appendChild(el("span", "[" + other.typeName + "] " + other.label));
    b.title = other.full;
    b.addEventListener("click", () => focusNode(id));
    return b;
  }
  function action(container, text, fn, name) {
    const b = el("button", text);
    b.type = "button";
    if (name) b.dataset.action = name;
    b.addEventListener("click", fn);
    container.appendChild(b);
    return b;
  }
  function themesOf(n) {
    if (n.type === "theme") return [n.id];
    return (adj.get(n.id) || []).filter((nb) => byId.get(nb.other).type === "theme").map((nb) => nb.other);
  }
  function showNode(id) {
    const n = byId.get(id);
    if (!n) return showHint();
    clear(panel);
    panel.appendChild(el("h2", n.typeName));
    if (n.type === "problem") {
      const st = STATUS.get(n.status);
      const badge = el("span", "整改状态:" + st.name, "badge");
      badge.style.backgroundColor = st.color;
      panel.appendChild(badge);
    }
    panel.appendChild(el("div", n.full, "full"));
    if (n.statusText) panel.appendChild(el("div", "整改结果原文:" + n.statusText, "src"));
    const acts = el("div", null, "actions");
    action(acts, "邻域 1 跳", () => setHood(id, 1), "hood1");
    action(acts, "邻域 2 跳", () => setHood(id, 2), "hood2");
    if (!visible.has(id)) acts.appendChild(el("span", "(当前被筛选条件隐藏)", "src"));
    if (state.expanded.has(n.g) && collapsed) action(acts, "收起所在分组", () => { state.expanded.delete(n.g); refresh(); });
    themesOf(n).forEach((t) => {
      const ri = RECURRENCE.findIndex((r) => r.theme === t);
      if (ri >= 0) action(acts, "主题演变:" + byId.get(t).label, () => { showMode("recurrence"); chooseTheme(ri); });
    });
    panel.appendChild(acts);
    if (n.props.length) {
      const table = el("table");
      n.props.forEach((kv) => {
        const tr = el("tr");
        tr.appendChild(el("td", kv[0]));
        tr.appendChild(el("td", kv[1]));
        table.appendChild(tr);
      });
      panel.appendChild(table);
    }
    if (n.evidence.length) {
      panel.appendChild(el("h2", "原文出处(" + n.evidenceTotal + ")"));
      n.evidence.forEach((q) => {
        panel.appendChild(el("blockquote", q.exact));
        const where = el("div", null, "src");
        where.appendChild(document.createTextNode(q.kindName + " · "));
        if (q.bulletin) {
          const b = el("button", byId.get(q.bulletin).full, "linkish");
          b.type = "button";
          b.addEventListener("click", () => focusNode(q.bulletin));
          where.appendChild(b);
          where.appendChild(document.createTextNode(" · "));
        }
        let pos = docPath(q) + " 第 " + q.start + "–" + q.end + " 字";
        const doc = q.doc === undefined ? null : DATA.docs[q.doc];
        if (doc && doc.textFile) pos += "(偏移量对应提取文本 " + doc.textFile + ")";
        where.appendChild(document.createTextNode(pos));
        panel.appendChild(where);
      });
      if (n.evidenceTotal > n.evidence.length) {
        panel.appendChild(el("div", "另有 " + (n.evidenceTotal - n.evidence.length) + " 处未列出", "src"));
      }
    }
    const nbs = adj.get(id) || [];
    if (nbs.length) {
      panel.appendChild(el("h2", "关联节点(" + nbs.length + ")"));
      const byRel = new Map();
      nbs.forEach((nb) => {
        const key = (nb.out ? "" : "← ") + nb.rel.label + (nb.out ? " →" : "");
        if (!byRel.has(key)) byRel.set(key, []);
        byRel.get(key).push(nb.other);
      });
      byRel.forEach((ids, key) => {
        panel.appendChild(el("div", key + "(" + ids.length + ")", "rel"));
        const box = el("div");
        const LIMIT = 30;
        ids.slice(0, LIMIT).forEach((o) => box.appendChild(nodeButton(o)));
        if (ids.length > LIMIT) {
          const more = el("button", "显示其余 " + (ids.length - LIMIT) + " 个", "linkish");
          more.type = "button";
          more.addEventListener("click", () => { more.remove(); ids.slice(LIMIT).forEach((o) => box.appendChild(nodeButton(o))); });
          box.appendChild(more);
        }
        panel.appendChild(box);
      });
    }
    panel.appendChild(el("div", n.iri, "src"));
  }
  function showGroup(gi) {
    const g = groups[gi];
    clear(panel);
    panel.appendChild(el("h2", g.kind === "bulletin" ? "通报分组" : "类型分组"));
    panel.appendChild(el("div", g.name, "full"));
    panel.appendChild(el("div", "共 " + g.count + " 个节点,筛选后 " + groupVisible[gi] + " 个。已展开。", "src"));
    const acts = el("div", null, "actions");
    action(acts, "收起该分组", () => { state.expanded.delete(gi); refresh(); showHint(); });
    panel.appendChild(acts);
  }
  function focusNode(id) {
    const n = byId.get(id);
    showMode("graph");
    if (!drawn.has(id) && visible.has(id)) { state.expanded.add(n.g); refresh(); }
    if (drawn.has(id)) {
      network.selectNodes([id]);
      network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    }
    showNode(id);
  }
  network.on("click", (params) => {
    if (!params.nodes.length) return showHint();
    const id = params.nodes[0];
    if (typeof id === "string" && id.charAt(0) === "c") {
      const gi = Number(id.slice(1));
      state.expanded.add(gi);
      refresh();
      showGroup(gi);
      return;
    }
    showNode(id);
  });

  // ---------------------------------------------------------------- recurrence mode
  const RECURRENCE = DATA.recurrence;
  const recSelect = $("rec-theme");
  RECURRENCE.forEach((r, i) => {
    const o = el("option", r.name + "(" + r.rounds.length + " 个轮次," + r.problemCount + " 个问题)");
    o.value = String(i);
    recSelect.appendChild(o);
  });
  recSelect.disabled = RECURRENCE.length === 0;
  recSelect.addEventListener("change", () => chooseTheme(Number(recSelect.value)));
  let currentTheme = -1;
  function chooseTheme(i) {
    currentTheme = i;
    recSelect.value = String(i);
    renderLanes();
  }
  function renderLanes() {
    const lanes = $("lanes");
    clear(lanes);
    if (!RECURRENCE.length) {
      lanes.appendChild(el("div", "图中没有主题归类(xs:theme):主题标注后即可按主题查看跨轮次演变。", "empty"));
      $("rec-summary").textContent = "";
      return;
    }
    const r = RECURRENCE[currentTheme];
    const direct = new Set(r.direct);
    $("rec-summary").textContent = "主题「" + r.name + "」:" + r.rounds.length + " 个轮次," + r.problemCount +
      " 个问题," + r.links.filter((l) => l[2] === "same").length + " 条同一问题关联";
    const cards = new Map();
    const heads = [];
    r.rounds.forEach((row, ri) => {
      const lane = el("div", null, "lane " + row.kind);
      lane.dataset.kind = row.kind;
      const head = el("div", null, "lane-head");
      head.appendChild(el("div", row.year ? row.year + " 年" : "年份不详", "year"));
      head.appendChild(el("div", row.label));
      head.appendChild(el("div", row.kind === "earlier" ? "此前轮次(见于通报原文引用)" : "本轮通报 · " + row.problems.length + " 个问题", "kind"));
      head.title = row.label;
      if (row.round) head.addEventListener("click", () => showNode(row.round));
      lane.appendChild(head);
      heads.push(head);
      row.problems.forEach((pid) => {
        const n = byId.get(pid);
        const st = STATUS.get(n.status);
        const card = el("div", null, direct.has(pid) ? "card" : "card linked");
        card.style.borderLeftColor = st.color;
        card.appendChild(el("div", shorten(n.full.replace(/\s+/g, " "), 60)));
        const b = n.fb && n.fb.length ? F.bulletins[n.fb[0]].name : "";
        card.appendChild(el("div", st.name + " · " + shorten(b, 24) + (direct.has(pid) ? "" : " · 经同一问题关联"), "meta"));
        card.title = n.full;
        card.dataset.node = pid;
        card.addEventListener("click", () => showNode(pid));
        cards.set(pid, card);
        lane.appendChild(card);
      });
      row.cited.forEach((pair) => {
        const by = byId.get(pair[0]), cited = byId.get(pair[1]);
        const c = el("div", "被后来的问题引用:「" + shorten(by.label, 22) + "」", "cite");
        c.title = "引用的轮次:" + cited.full + "\n引用它的问题:" + by.full;
        c.addEventListener("click", () => showNode(pair[0]));
        lane.appendChild(c);
      });
      lanes.appendChild(lane);
    });
    requestAnimationFrame(() => drawLinks(r, cards, heads));
  }
  function centreOf(e, host) {
    const a = e.getBoundingClientRect(), h = host.getBoundingClientRect();
    return { l: a.left - h.left, r: a.right - h.left, y: a.top - h.top + Math.min(a.height / 2, 18) };
  }
  function drawLinks(r, cards, heads) {
    const lanes = $("lanes");
    const old = lanes.querySelector("svg.links");
    if (old) old.remove();
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "links");
    svg.setAttribute("width", String(lanes.scrollWidth));
    svg.setAttribute("height", String(lanes.scrollHeight));
    const defs = document.createElementNS(SVG, "defs");
    const marker = document.createElementNS(SVG, "marker");
    [["id", "arrow"], ["viewBox", "0 0 10 10"], ["refX", "9"], ["refY", "5"], ["markerWidth", "7"], ["markerHeight", "7"], ["orient", "auto"]]
      .forEach(([k, v]) => marker.setAttribute(k, v));
    const tip = document.createElementNS(SVG, "path");
    tip.setAttribute("d", "M0,0 L10,5 L0,10 z");
    tip.setAttribute("fill", "#00796b");
    marker.appendChild(tip);
    defs.appendChild(marker);
    svg.appendChild(defs);
    function curve(a, b, stroke, dash, arrow, kind) {
      let x1, x2;
      if (a.r <= b.l) { x1 = a.r; x2 = b.l; } else if (b.r <= a.l) { x1 = a.l; x2 = b.r; } else { x1 = a.r; x2 = b.r; }
      const dx = Math.max(40, Math.abs(x2 - x1) / 2) * (x2 >= x1 ? 1 : -1);
      const bend = x1 === a.r && x2 === b.r ? 60 : 0;
      const p = document.createElementNS(SVG, "path");
      p.setAttribute("d", "M" + x1 + "," + a.y + " C" + (x1 + dx + bend) + "," + a.y + " " + (x2 - dx + bend) + "," + b.y + " " + x2 + "," + b.y);
      p.setAttribute("fill", "none");
      p.setAttribute("stroke", stroke);
      p.setAttribute("stroke-width", "2");
      if (dash) p.setAttribute("stroke-dasharray", dash);
      if (arrow) p.setAttribute("marker-end", "url(#arrow)");
      p.setAttribute("data-kind", kind);
      svg.appendChild(p);
    }
    r.links.forEach((l) => {
      const a = cards.get(l[0]), b = cards.get(l[1]);
      if (!a || !b) return;
      curve(centreOf(a, lanes), centreOf(b, lanes), "#d62728", l[2] === "same" ? "" : "6 4", false, l[2]);
    });
    r.rounds.forEach((row, ri) => {
      row.cited.forEach((pair) => {
        const a = cards.get(pair[0]);
        if (a) curve(centreOf(a, lanes), centreOf(heads[ri], lanes), "#00796b", "2 3", true, "cited");
      });
    });
    lanes.appendChild(svg);
  }
  window.addEventListener("resize", () => { if (state.mode === "recurrence" && currentTheme >= 0) renderLanes(); });

  function showMode(mode) {
    if (state.mode === mode) return;
    state.mode = mode;
    $("network").hidden = mode !== "graph";
    $("recurrence").hidden = mode !== "recurrence";
    $("tab-graph").setAttribute("aria-pressed", String(mode === "graph"));
    $("tab-recurrence").setAttribute("aria-pressed", String(mode === "recurrence"));
    document.body.classList.toggle("recurrence-mode", mode === "recurrence");
    if (mode === "recurrence") {
      if (currentTheme < 0) {
        const fromFilter = state.theme >= 0 ? RECURRENCE.findIndex((r) => r.theme === F.themes[state.theme].id) : -1;
        chooseTheme(fromFilter >= 0 ? fromFilter : 0);
      } else renderLanes();
    } else network.redraw();
  }
  $("tab-graph").addEventListener("click", () => showMode("graph"));
  $("tab-recurrence").addEventListener("click", () => showMode("recurrence"));

  // ---------------------------------------------------------------- search + buttons
  let timer = null;
  $("search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.query = $("search").value.trim().toLowerCase();
      refresh();
      if (state.query && drawn.size && drawn.size <= 200) network.fit({ nodes: Array.from(drawn), animation: false });
    }, 200);
  });
  $("fit").addEventListener("click", () => network.fit({ animation: false }));
  $("expand-all").addEventListener("click", () => {
    state.expandAll = !state.expandAll;
    if (!state.expandAll) state.expanded.clear();
    refresh();
  });

  // a read-only view of the state, for people debugging in the console and for tests
  window.xunshiView = Object.freeze({
    visibleCount: () => visible.size,
    drawnCount: () => nodeView.getIds().filter((id) => !String(id).startsWith("c")).length,
    clusterCount: () => nodeView.getIds().filter((id) => String(id).startsWith("c")).length,
    edgeCount: () => edgeView.length,
    domPosition: (id) => network.canvasToDOM(network.getPositions([id])[id]),
    isCollapsed: () => collapsed,
  });

  refresh();
  network.fit({ animation: false });
  showHint();
  $("node-total").textContent = String(nodes.length);
  document.body.setAttribute("data-ready", "1");
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@@CSP@@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@TITLE@@</title>
<style>@@STYLE@@</style>
</head>
<body>
<header>
<h1>@@TITLE@@</h1>
<span class="tabs"><button type="button" id="tab-graph" aria-pressed="true">关系图</button><button type="button" id="tab-recurrence" aria-pressed="false">主题演变</button></span>
<input type="search" id="search" placeholder="搜索:问题文本、制度名称、单位名称" aria-label="搜索">
<button type="button" id="fit">适应窗口</button>
<button type="button" id="expand-all">全部展开</button>
<span id="collapsed-info" hidden></span>
<span id="counts">显示 <span id="node-count">0</span> / 共 <span id="node-total">@@NODES@@</span> 个节点</span>
</header>@@SCOPE@@
<main>
<aside id="sidebar">
<details><summary>使用说明</summary>
节点颜色和形状表示类型,反馈问题按整改状态着色(见下方图例)。悬停节点看全文和原文出处,点击节点在右侧查看属性、原文出处(通报、文件与字符位置)和关联节点。下列筛选条件可以组合使用;勾掉图例中的类型或状态即隐藏该类节点。节点较多时先显示概览:每份通报或每类共享节点收成一个分组,点击分组展开。“主题演变”按轮次(年份)排列某一主题的问题,红线连接同一问题(虚线为疑似),绿色虚线箭头指向通报原文引用的此前轮次。
</details>
<h2>筛选</h2>
<div class="field">通报</div><select id="f-bulletin" aria-label="通报"></select>
<div class="field">发文单位</div><select id="f-publisher" aria-label="发文单位"></select>
<div class="field">巡视巡察轮次(年份)</div><select id="f-year" aria-label="年份"></select>
<div class="field">主题</div><select id="f-theme" aria-label="主题"></select>
<button type="button" id="clear-filters">清除全部筛选</button>
<div id="hood" hidden><span id="hood-text"></span> <button type="button" id="hood-exit">退出邻域</button></div>
<h2>节点类型</h2>
<div id="type-filter"></div>
<h2>整改状态(问题)</h2>
<div id="status-filter"></div>
</aside>
<div id="stage">
<div id="network"></div>
<section id="recurrence" hidden>
<div id="rec-bar"><label>主题 <select id="rec-theme" aria-label="主题演变的主题"></select></label>
<span id="rec-summary"></span>
<span class="key"><svg viewBox="0 0 28 8"><line x1="0" y1="4" x2="28" y2="4" stroke="#d62728" stroke-width="2"/></svg>同一问题</span>
<span class="key"><svg viewBox="0 0 28 8"><line x1="0" y1="4" x2="28" y2="4" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/></svg>疑似同一问题</span>
<span class="key"><svg viewBox="0 0 28 8"><line x1="0" y1="4" x2="28" y2="4" stroke="#00796b" stroke-width="2" stroke-dasharray="2 3"/></svg>引用此前轮次</span>
</div>
<div id="lanes-wrap"><div id="lanes"></div></div>
</section>
</div>
<aside id="panel"><div id="panel-body"></div></aside>
</main>
<noscript>此页面需要启用 JavaScript。</noscript>
<script type="application/json" id="graph-data">@@DATA@@</script>
<script>@@VIS_JS@@</script>
<script>@@APP_JS@@</script>
</body>
</html>
"""
