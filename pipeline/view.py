"""The offline viewer: one self-contained HTML file for exploring the graph.

``graph_to_view_data`` is the pure part: it turns the RDF graph into plain, JSON-able nodes,
edges and a legend (deterministic order, positions precomputed). ``write_html`` embeds that
data and the vis-network library that pyvis ships into a single page that needs no network:
no CDN links, no remote fonts, no bootstrap (pyvis's own template pulls bootstrap from a CDN
even in ``in_line`` mode, so we use only its bundled ``vis-network.min.js``, inlined).

Safety: every piece of document text travels as JSON inside
``<script type="application/json" id="graph-data">`` with ``<``, ``>``, ``&``, U+2028 and
U+2029 written as ``\\u003c`` etc., is read with ``JSON.parse`` and reaches the page only
through ``textContent`` (and vis-network's string tooltips, which it sets with
``innerText``). A Content-Security-Policy pins the two inline scripts by hash and forbids
every network request.

Section, Span and SourceDocument nodes are not drawn: spans appear as evidence quotes (the
``oa:exact`` text with document path and offsets) on the nodes that point to them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import networkx as nx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from .vocab import OA, ORG, PREFIXES, STATUS_KEYS, XS, ontology_graph

__all__ = ["graph_to_view_data", "write_html", "render_html", "vis_network_js", "NODE_TYPES", "STATUS_STYLES"]

# ---------------------------------------------------------------- visual vocabulary


@dataclass(frozen=True)
class NodeType:
    """How one kind of node is drawn: key, Chinese name, colour, vis shape and size."""

    key: str
    name: str
    color: str
    shape: str
    size: int
    classes: tuple[URIRef, ...]


# Order matters: it is the legend order, the node sort order, and the priority when a node
# carries several of these types.
NODE_TYPES: tuple[NodeType, ...] = (
    NodeType("bulletin", "通报", "#37474f", "square", 22, (XS.Bulletin,)),
    NodeType("inspection", "巡视巡察", "#17becf", "star", 18, (XS.Inspection,)),
    NodeType("unit", "单位", "#8c564b", "triangle", 16, (XS.Unit, ORG.Organization)),
    NodeType("person", "人员", "#e377c2", "triangleDown", 13, (XS.Person,)),
    NodeType("category", "问题类别", "#7f7f7f", "hexagon", 14, (XS.FeedbackCategory,)),
    # Problems are filled with their status colour (STATUS_STYLES); this is the legend swatch.
    NodeType("problem", "反馈问题", "#263238", "dot", 13, (XS.Problem,)),
    NodeType("part", "问题子项", "#c7c78a", "dot", 8, (XS.ProblemPart,)),
    NodeType("measure", "整改措施", "#bcbd22", "diamond", 9, (XS.Measure,)),
    NodeType("policy", "制度文件", "#3949ab", "square", 11, (XS.Policy,)),
    NodeType("cited", "引用文献", "#7986cb", "triangleDown", 10, (XS.CitedWork,)),
    NodeType("theme", "主题", "#c49c94", "hexagon", 15, (SKOS.Concept,)),
    NodeType("figure", "数据", "#6b8e9e", "dot", 6, (XS.Figure,)),
)
_TYPE_BY_KEY = {t.key: t for t in NODE_TYPES}
_TYPE_RANK = {t.key: i for i, t in enumerate(NODE_TYPES)}

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
_STATUS_BY_IRI = {XS[k]: k for k in STATUS_KEYS}

# Chinese names for properties outside xs: (xs: names come from the ontology's rdfs:label@zh).
_PROPERTY_NAMES: dict[URIRef, str] = {
    DCTERMS.title: "标题",
    DCTERMS.issued: "发布日期",
    DCTERMS.publisher: "发文单位",
    DCTERMS.isPartOf: "所属主通报",
    DCTERMS.source: "来源",
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
}

# Links that never become edges or properties: evidence is shown as quotes, status as colour.
_EVIDENCE_PROPERTIES = ((XS.evidence, "原文出处"), (XS.statusEvidence, "整改结果出处"))
_NOT_SHOWN_AS_PROPERTY = {RDF.type, XS.evidence, XS.statusEvidence, XS.status, XS.text, SKOS.inScheme}

# How a node finds "its" bulletin for the grouped layout of large graphs.
_ANCHOR_FORWARD = (XS.inBulletin, XS.partOf, XS.addresses, XS.leads)
_ANCHOR_BACKWARD = (XS.hasFigure,)

# Layout: one spring layout for the whole graph up to SPRING_MAX_NODES; above that, groups
# (one per bulletin) each with its own spring layout up to GROUPED_SPRING_MAX_NODES in all,
# and an O(n) spiral per group beyond, so that even a whole corpus opens at once.
SPRING_MAX_NODES = 400
GROUPED_SPRING_MAX_NODES = 3000
_NX_DENSE_LIMIT = 500  # networkx's spring_layout needs scipy from here on
LARGE_GRAPH_NODES = 2000  # above this the page hides edges while dragging or zooming
LAYOUT_SEED = 7
MAX_EVIDENCE = 50  # quotes kept per node in the side panel
MAX_TITLE_EVIDENCE = 3  # quotes shown in the hover tooltip
MAX_TITLE_QUOTE = 160  # characters of one quote in the tooltip

# ---------------------------------------------------------------- literal helpers


def _lang_rank(lit: Literal) -> int:
    lang = (lit.language or "").lower()
    if lang == "zh" or lang.startswith("zh-"):
        return 0
    return 1 if not lang else 2


def _literals(g: Graph, s: Node, p: URIRef) -> list[Literal]:
    vals = [o for o in g.objects(s, p) if isinstance(o, Literal)]
    vals.sort(key=lambda lit: (_lang_rank(lit), str(lit)))
    return vals


def _pick(g: Graph, s: Node, p: URIRef) -> str | None:
    """The preferred literal value: Chinese first, then untagged, then any; ties by text."""
    vals = _literals(g, s, p)
    return str(vals[0]).strip() if vals else None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shorten(text: str, limit: int) -> str:
    limit = max(limit, 2)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display(lit: Literal) -> str:
    if lit.datatype == XSD.boolean:
        return "是" if lit.toPython() is True else "否"
    return str(lit)


def _darker(colour: str, factor: float = 0.65) -> str:
    """``#rrggbb`` darkened, for borders."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(round(c * factor) for c in (r, g, b)))


def _local_name(term: Node) -> str:
    s = str(term)
    return re.split(r"[#/]", s.rstrip("/#"))[-1] or s


def _qname(p: URIRef) -> str:
    s = str(p)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if s.startswith(ns):
            return f"{prefix}:{s[len(ns):]}"
    return s


class _Names:
    """Chinese names of properties: the ontology's rdfs:label@zh, then a fixed table."""

    def __init__(self) -> None:
        onto = ontology_graph()
        self._names: dict[URIRef, str] = {}
        for p in onto.subjects(RDFS.label, None):
            if isinstance(p, URIRef) and (p, RDF.type, OWL.Class) not in onto:
                zh = [o for o in onto.objects(p, RDFS.label) if isinstance(o, Literal) and o.language == "zh"]
                if zh:
                    self._names[p] = str(sorted(zh)[0])
        self._names.update(_PROPERTY_NAMES)
        self.symmetric = frozenset(s for s in onto.subjects(RDF.type, OWL.SymmetricProperty) if isinstance(s, URIRef))

    def __call__(self, p: URIRef) -> str:
        return self._names.get(p) or _qname(p)


# ---------------------------------------------------------------- nodes


def _node_type(g: Graph, s: Node) -> NodeType | None:
    types = set(g.objects(s, RDF.type))
    for t in NODE_TYPES:
        if any(c in types for c in t.classes):
            return t
    return None


def _generic_label(g: Graph, s: Node) -> str | None:
    for p in (SKOS.prefLabel, RDFS.label, DCTERMS.title, XS.text):
        v = _pick(g, s, p)
        if v:
            return v
    return None


def _labels(g: Graph, s: Node, t: NodeType) -> tuple[str, str]:
    """(name, full text) of a node: the name is what the label shortens; full is for hover."""
    key = t.key
    if key == "bulletin":
        title = _pick(g, s, DCTERMS.title)
        att = _pick(g, s, XS.attachmentLabel)
        name = f"{att} {title}" if att and title else (title or att)
        return name or _local_name(s), name or _local_name(s)
    if key == "inspection":
        name = _pick(g, s, RDFS.label)
        if not name:
            parts = [_pick(g, s, XS.year), _pick(g, s, XS.team), _pick(g, s, XS.inspectionKind)]
            name = "".join(x for x in parts if x)
        return name or _local_name(s), name or _local_name(s)
    if key in ("problem", "part", "measure"):
        text = _pick(g, s, XS.text)
        short = _pick(g, s, RDFS.label) or text
        return short or _local_name(s), text or short or _local_name(s)
    if key in ("policy", "cited"):
        name = _pick(g, s, RDFS.label) or _pick(g, s, SKOS.prefLabel)
        name = f"《{name}》" if name else _local_name(s)
        return name, name
    if key == "figure":
        text = _pick(g, s, XS.text)
        if not text:
            value, unit = _pick(g, s, RDF.value), _pick(g, s, XS.unitOfMeasure)
            text = f"{value or ''}{unit or ''}" or None
        return text or _local_name(s), text or _local_name(s)
    name = _generic_label(g, s) or _local_name(s)
    return name, name


def _evidence(g: Graph, s: Node) -> list[dict]:
    """Evidence quotes of a node, sorted by kind, document and offsets.

    ``doc`` is the source path (dcterms:source); for HTML and office input the offsets refer
    to the extracted text file, given as ``textFile``.
    """
    quotes = set()
    for rank, (p, kind) in enumerate(_EVIDENCE_PROPERTIES):
        for span in g.objects(s, p):
            doc = g.value(span, XS.inDocument)
            path = (_pick(g, doc, DCTERMS.source) or str(doc)) if doc is not None else ""
            text_file = (_pick(g, doc, XS.textFile) or "") if doc is not None else ""
            start, end = g.value(span, OA.start), g.value(span, OA.end)
            exact = _literals(g, span, OA.exact)
            quotes.add(
                (
                    rank,
                    kind,
                    path,
                    int(start) if isinstance(start, Literal) else -1,
                    int(end) if isinstance(end, Literal) else -1,
                    str(exact[0]) if exact else "",
                    text_file,
                )
            )
    out = []
    for _, kind, path, a, b, exact, text_file in sorted(quotes):
        q = {"kind": kind, "doc": path, "start": None if a < 0 else a, "end": None if b < 0 else b, "exact": exact}
        if text_file:
            q["textFile"] = text_file
        out.append(q)
    return out


def _title(type_name: str, full: str, status_name: str | None, status_text: str | None, evidence: list[dict]) -> str:
    """The hover tooltip as plain text (vis-network 9 sets string titles with innerText)."""
    lines = [f"【{type_name}】" + (f" 整改状态:{status_name}" if status_name else ""), full]
    if status_text:
        lines.append(f"整改结果原文:{status_text}")
    if evidence:
        lines.append("—— 原文出处 ——")
        for q in evidence[:MAX_TITLE_EVIDENCE]:
            lines.append(f"「{_shorten(_clean(q['exact']), MAX_TITLE_QUOTE)}」")
            lines.append(f"    {q['doc']} [{q['start']}–{q['end']}]")
        if len(evidence) > MAX_TITLE_EVIDENCE:
            lines.append(f"……另有 {len(evidence) - MAX_TITLE_EVIDENCE} 处,点击节点查看")
    return "\n".join(lines)


# ---------------------------------------------------------------- layout


def _spring_layout(ids: list[str], edges: list[dict]) -> tuple[dict[str, tuple[float, float]], float]:
    """networkx's spring layout (fixed seed), scaled to pixels; returns positions and radius.

    Only used below 500 nodes, where networkx takes its dense numpy path: the sparse path
    it switches to at 500 needs scipy, which is not a dependency of this project.
    """
    if len(ids) == 1:
        return {ids[0]: (0.0, 0.0)}, 40.0
    members = set(ids)
    nxg = nx.Graph()
    nxg.add_nodes_from(ids)
    nxg.add_edges_from(
        (e["from"], e["to"]) for e in edges if e["from"] != e["to"] and e["from"] in members and e["to"] in members
    )
    radius = 70.0 * math.sqrt(len(ids)) + 60.0
    k = 2.5 / math.sqrt(len(ids))  # looser than the default, for readable labels
    pos = nx.spring_layout(nxg, k=k, seed=LAYOUT_SEED, iterations=80, scale=radius)
    return {n: (float(x), float(y)) for n, (x, y) in pos.items()}, radius


def _sunflower_layout(ids: list[str]) -> tuple[dict[str, tuple[float, float]], float]:
    """O(n): nodes on a golden-angle spiral, the first (a bulletin) at the centre."""
    spacing = 55.0
    golden = math.pi * (3.0 - math.sqrt(5.0))
    pos = {}
    for i, n in enumerate(ids):
        rho = spacing * math.sqrt(i)
        pos[n] = (rho * math.cos(i * golden), rho * math.sin(i * golden))
    return pos, spacing * math.sqrt(len(ids)) + spacing


def _grouped_layout(
    ids: list[str], groups: dict[str, str], edges: list[dict], *, spring: bool
) -> dict[str, tuple[float, float]]:
    """Layout for large graphs: each group laid out on its own, groups packed in rows.

    A group is one bulletin with its categories, problems, measures and figures; nodes shared
    across the corpus (units, policies, themes …) form one group per type. Within a group the
    spring layout is used when ``spring`` is set and the group is small, else the spiral.
    """
    gap = 160.0
    members: dict[str, list[str]] = {}
    for n in ids:  # ids are in type order, so a bulletin comes first in its group
        members.setdefault(groups[n], []).append(n)
    local: dict[str, tuple[dict[str, tuple[float, float]], float]] = {}
    for key in sorted(members):
        m = members[key]
        local[key] = _spring_layout(m, edges) if spring and len(m) < _NX_DENSE_LIMIT else _sunflower_layout(m)
    order = sorted(members, key=lambda k: (-len(members[k]), k))
    width = math.sqrt(sum((2 * local[k][1] + gap) ** 2 for k in order))
    pos: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for key in order:
        offsets, r = local[key]
        if x > 0 and x + 2 * r > width:
            x, y, row_height = 0.0, y + row_height + gap, 0.0
        cx, cy = x + r, y + r
        for n, (dx, dy) in offsets.items():
            pos[n] = (cx + dx, cy + dy)
        x += 2 * r + gap
        row_height = max(row_height, 2 * r)
    return pos


def _component_groups(ids: list[str], edges: list[dict]) -> dict[str, str]:
    """Group = connected component, named after its first node id."""
    nxg = nx.Graph()
    nxg.add_nodes_from(ids)
    nxg.add_edges_from((e["from"], e["to"]) for e in edges)
    groups = {}
    for comp in nx.connected_components(nxg):
        key = min(comp, key=lambda n: int(n[1:]))
        groups.update(dict.fromkeys(comp, key))
    return groups


def _anchor_groups(g: Graph, shown: dict[Node, str], types: dict[Node, NodeType]) -> dict[str, str]:
    """Group of each node for the grouped layout: its (main) bulletin if it has one, else its type."""

    def bulletin_of(s: Node, depth: int) -> str | None:
        if types[s].key == "bulletin":
            mains = sorted(o for o in g.objects(s, DCTERMS.isPartOf) if o in shown and types[o].key == "bulletin")
            return shown[mains[0]] if mains else shown[s]
        if depth >= 4:  # figure -> measure -> problem -> bulletin is the longest path
            return None
        cands = sorted(o for p in _ANCHOR_FORWARD for o in g.objects(s, p) if o in shown)
        cands += sorted(o for p in _ANCHOR_BACKWARD for o in g.subjects(p, s) if o in shown)
        for c in cands:
            found = bulletin_of(c, depth + 1)
            if found:
                return found
        return None

    return {nid: (bulletin_of(s, 0) or "type:" + types[s].key) for s, nid in shown.items()}


# ---------------------------------------------------------------- the view data


def graph_to_view_data(g: Graph, *, max_label: int = 18) -> dict:
    """Turn the knowledge graph into plain JSON-able view data, in a deterministic order.

    Returns ``{"meta", "legend", "nodes", "edges"}``. Each node has a short id (``n0``…), its
    IRI, ``type`` (a key of :data:`NODE_TYPES`), the Chinese ``label`` shortened to
    ``max_label`` characters, the ``full`` text, ``status``/``statusName`` for problems,
    colours, shape, size, precomputed ``x``/``y``, a plain-text hover ``title``, ``props``
    (Chinese name, value) pairs and ``evidence`` quotes (kind, doc, start, end, exact). Each
    edge links two shown nodes through an object property and carries its Chinese ``label``.
    """
    names = _Names()
    types: dict[Node, NodeType] = {}
    for s in set(g.subjects(RDF.type, None)):
        if isinstance(s, (URIRef, BNode)):
            t = _node_type(g, s)
            if t is not None:
                types[s] = t
    ordered = sorted(types, key=lambda s: (_TYPE_RANK[types[s].key], isinstance(s, BNode), str(s)))
    shown = {s: f"n{i}" for i, s in enumerate(ordered)}

    nodes: list[dict] = []
    status_counts = dict.fromkeys(STATUS_KEYS, 0)
    type_counts = dict.fromkeys(_TYPE_BY_KEY, 0)
    for s in ordered:
        t = types[s]
        type_counts[t.key] += 1
        name, full = _labels(g, s, t)
        node: dict = {
            "id": shown[s],
            "iri": str(s) if isinstance(s, URIRef) else f"_:{s}",
            "type": t.key,
            "typeName": t.name,
            "label": _shorten(_clean(name), max_label),
            "full": full,
            "color": t.color,
            "border": t.color,
            "shape": t.shape,
            "size": t.size,
        }
        status_name = status_text = None
        if t.key == "problem":
            statuses = sorted(_STATUS_BY_IRI[o] for o in g.objects(s, XS.status) if o in _STATUS_BY_IRI)
            status = statuses[0] if statuses else "Unknown"
            status_counts[status] += 1
            status_name, colour = STATUS_STYLES[status]
            status_text = _pick(g, s, XS.statusText)
            node.update(status=status, statusName=status_name, color=colour, border=_darker(colour))
        props: list[list[str]] = []
        for p, o in sorted(g.predicate_objects(s), key=lambda po: (str(po[0]), _sort_key(po[1]))):
            if p in _NOT_SHOWN_AS_PROPERTY:
                continue
            if isinstance(o, Literal):
                props.append([names(p), _display(o)])
            elif o not in shown and not isinstance(o, BNode):
                label = _generic_label(g, o)  # e.g. the section a problem sits in
                if label:
                    props.append([names(p), label])
        node["props"] = props
        evidence = _evidence(g, s)
        node["evidenceTotal"] = len(evidence)
        node["evidence"] = evidence[:MAX_EVIDENCE]
        node["title"] = _title(t.name, full, status_name, status_text, evidence)
        nodes.append(node)

    edges: list[dict] = []
    seen_symmetric: set[tuple] = set()
    for s in ordered:
        for p, o in g.predicate_objects(s):
            if p == RDF.type or o not in shown or not isinstance(p, URIRef):
                continue
            a, b = shown[s], shown[o]
            if p in names.symmetric:
                key = (p, *sorted((a, b)))
                if key in seen_symmetric:
                    continue
                seen_symmetric.add(key)
            edges.append({"from": a, "to": b, "label": names(p), "prop": _qname(p)})
    edges.sort(key=lambda e: (int(e["from"][1:]), int(e["to"][1:]), e["prop"]))
    for i, e in enumerate(edges):
        e["id"] = f"e{i}"

    ids = [n["id"] for n in nodes]
    if not ids:
        layout, pos = "spring", {}
    elif len(ids) <= min(SPRING_MAX_NODES, _NX_DENSE_LIMIT - 1):
        # one spring layout per connected component, so that a few isolated nodes do not
        # squeeze the rest into the middle
        layout = "spring"
        pos = _grouped_layout(ids, _component_groups(ids, edges), edges, spring=True)
    else:
        spring = len(ids) <= GROUPED_SPRING_MAX_NODES
        layout = "grouped-spring" if spring else "grouped"
        pos = _grouped_layout(ids, _anchor_groups(g, shown, types), edges, spring=spring)
    for n in nodes:
        x, y = pos[n["id"]]
        n["x"], n["y"] = round(x, 1), round(y, 1)

    legend = {
        "types": [
            {
                "key": t.key,
                # problems are filled by status, so their legend row says so
                "name": t.name + "(按整改状态着色)" if t.key == "problem" else t.name,
                "color": t.color,
                "shape": t.shape,
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
    meta = {"nodeCount": len(nodes), "edgeCount": len(edges), "layout": layout, "large": len(nodes) > LARGE_GRAPH_NODES}
    return {"meta": meta, "legend": legend, "nodes": nodes, "edges": edges}


def _sort_key(o: Node) -> tuple:
    if isinstance(o, Literal):
        return (0, _lang_rank(o), str(o))
    return (1, 0, str(o))


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


def _json_for_script(data: dict) -> str:
    """JSON safe to place inside a <script> element (no <, >, &, U+2028/2029 left raw)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def render_html(data: dict, *, title: str = "巡视整改知识图谱") -> str:
    """The complete page for already computed view data (see :func:`graph_to_view_data`)."""
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
        "DATA": _json_for_script(data),
        "VIS_JS": vis_js,
        "APP_JS": _APP_JS,
        "NODES": str(data["meta"]["nodeCount"]),
    }
    # One pass, so placeholder-like text inside the inserted parts is never rescanned.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: parts[m.group(1)], _TEMPLATE)


def write_html(g: Graph, out: Path, *, title: str = "巡视整改知识图谱") -> Path:
    """Write the graph as one self-contained, offline HTML page; returns the path written."""
    out = Path(out)
    page = render_html(graph_to_view_data(g), title=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8", newline="\n")
    return out


_STYLE = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; color: #222; font-size: 13px;
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; }
header { display: flex; align-items: center; gap: 14px; padding: 6px 12px;
  background: #263238; color: #fff; flex: 0 0 auto; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; white-space: nowrap; }
header input[type=search] { width: 260px; padding: 4px 6px; border: 1px solid #90a4ae; border-radius: 3px; }
header button { padding: 3px 8px; }
#counts { margin-left: auto; white-space: nowrap; }
main { flex: 1 1 auto; display: flex; min-height: 0; }
#sidebar { width: 190px; flex: 0 0 auto; overflow: auto; padding: 8px 10px; border-right: 1px solid #ddd; background: #fafafa; }
#sidebar h2, #panel h2 { font-size: 14px; margin: 8px 0 4px; }
#sidebar label { display: flex; align-items: center; gap: 5px; margin: 3px 0; cursor: pointer; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; border: 1px solid #555; flex: 0 0 auto; }
.swatch.dot { border-radius: 50%; }
.count { color: #777; margin-left: auto; }
#network { flex: 1 1 auto; min-width: 0; position: relative; }
#panel { width: 360px; flex: 0 0 auto; overflow: auto; padding: 8px 12px; border-left: 1px solid #ddd; }
#panel .hint { color: #777; }
#panel .full { white-space: pre-wrap; line-height: 1.5; margin: 4px 0 8px; }
#panel table { border-collapse: collapse; width: 100%; margin-bottom: 6px; }
#panel td { border-top: 1px solid #eee; padding: 3px 4px; vertical-align: top; word-break: break-all; }
#panel td:first-child { color: #555; white-space: nowrap; width: 1%; }
.badge { display: inline-block; padding: 1px 6px; border-radius: 3px; color: #fff; }
blockquote { margin: 6px 0 2px; padding: 4px 8px; border-left: 3px solid #90a4ae; background: #f5f7f8; white-space: pre-wrap; }
.src { color: #666; font-size: 12px; word-break: break-all; margin-bottom: 6px; }
.nb { display: block; width: 100%; text-align: left; margin: 2px 0; padding: 3px 5px; border: 1px solid #ddd;
  background: #fff; cursor: pointer; font: inherit; }
.nb:hover { background: #eef3f6; }
.nb .rel { color: #777; }
div.vis-tooltip { position: absolute; visibility: hidden; pointer-events: none; z-index: 5;
  max-width: 480px; white-space: pre-wrap; word-break: break-all; line-height: 1.45;
  background: #fffef6; border: 1px solid #888; border-radius: 3px; padding: 6px 8px;
  box-shadow: 2px 2px 8px rgba(0,0,0,.2); font-size: 12px; color: #222; }
"""

# The page's own script. It reads the data with JSON.parse and writes document text only
# through textContent (never innerHTML); vis-network sets string tooltips with innerText.
_APP_JS = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("graph-data").textContent);
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  var byId = new Map();
  DATA.nodes.forEach(function (n) {
    n.search = (n.label + "\n" + n.full).toLowerCase();
    byId.set(n.id, n);
  });
  var adj = new Map();
  function link(a, item) { if (!adj.has(a)) adj.set(a, []); adj.get(a).push(item); }
  DATA.edges.forEach(function (e) {
    link(e.from, { other: e.to, label: e.label, out: true });
    if (e.to !== e.from) link(e.to, { other: e.from, label: e.label, out: false });
  });

  var activeTypes = new Set(DATA.legend.types.map(function (t) { return t.key; }));
  var activeStatuses = new Set(DATA.legend.statuses.map(function (s) { return s.key; }));
  var query = "";
  var visible = new Set();
  function passes(n) {
    if (!activeTypes.has(n.type)) return false;
    if (n.type === "problem" && !activeStatuses.has(n.status)) return false;
    return !query || n.search.indexOf(query) >= 0;
  }
  function recompute() {
    visible.clear();
    DATA.nodes.forEach(function (n) { if (passes(n)) visible.add(n.id); });
  }

  // ---- legend + filters (the legend's checkboxes are the filters)
  function legendRow(container, item, round, onToggle) {
    var label = el("label");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.addEventListener("change", function () { onToggle(box.checked); });
    var sw = el("span", null, round ? "swatch dot" : "swatch");
    sw.style.backgroundColor = item.color;
    label.appendChild(box);
    label.appendChild(sw);
    label.appendChild(el("span", item.name));
    label.appendChild(el("span", item.count, "count"));
    container.appendChild(label);
  }
  DATA.legend.types.forEach(function (t) {
    legendRow($("type-filter"), t, t.shape === "dot", function (on) {
      if (on) activeTypes.add(t.key); else activeTypes.delete(t.key);
      refresh();
    });
  });
  DATA.legend.statuses.forEach(function (s) {
    legendRow($("status-filter"), s, true, function (on) {
      if (on) activeStatuses.add(s.key); else activeStatuses.delete(s.key);
      refresh();
    });
  });

  // ---- network
  recompute();
  var nodeSet = new vis.DataSet(DATA.nodes.map(function (n) {
    var hi = { background: n.color, border: "#000000" };
    return {
      id: n.id, label: n.label, title: n.title, x: n.x, y: n.y, shape: n.shape, size: n.size,
      borderWidth: n.type === "problem" ? 1.5 : 1,
      color: { background: n.color, border: n.border, highlight: hi, hover: hi }
    };
  }));
  var edgeSet = new vis.DataSet(DATA.edges.map(function (e) {
    return { id: e.id, from: e.from, to: e.to, label: e.label, title: e.label };
  }));
  var nodeView = new vis.DataView(nodeSet, { filter: function (item) { return visible.has(item.id); } });
  var edgeView = new vis.DataView(edgeSet, {
    filter: function (item) { return visible.has(item.from) && visible.has(item.to); }
  });
  var large = DATA.meta.large;
  var network = new vis.Network($("network"), { nodes: nodeView, edges: edgeView }, {
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
      font: { size: 9, color: "#666666", strokeWidth: 2, align: "middle" }
    }
  });

  function refresh() {
    recompute();
    nodeView.refresh();
    edgeView.refresh();
    $("node-count").textContent = String(visible.size);
  }

  // ---- side panel
  var panel = $("panel-body");
  function clearPanel() {
    while (panel.firstChild) panel.removeChild(panel.firstChild);
  }
  function showHint() {
    clearPanel();
    panel.appendChild(el("p", "点击节点查看属性和原文出处。", "hint"));
  }
  function showNode(id) {
    var n = byId.get(id);
    if (!n) return showHint();
    clearPanel();
    panel.appendChild(el("h2", n.typeName));
    if (n.statusName) {
      var badge = el("span", "整改状态:" + n.statusName, "badge");
      badge.style.backgroundColor = n.color;
      panel.appendChild(badge);
    }
    panel.appendChild(el("div", n.full, "full"));
    if (n.props.length) {
      var table = el("table");
      n.props.forEach(function (kv) {
        var tr = el("tr");
        tr.appendChild(el("td", kv[0]));
        tr.appendChild(el("td", kv[1]));
        table.appendChild(tr);
      });
      panel.appendChild(table);
    }
    if (n.evidence.length) {
      panel.appendChild(el("h2", "原文出处(" + n.evidenceTotal + ")"));
      n.evidence.forEach(function (q) {
        panel.appendChild(el("blockquote", q.exact));
        var where = q.kind + " · " + q.doc + " [" + q.start + "–" + q.end + "]";
        if (q.textFile) where += " · 偏移量对应提取文本 " + q.textFile;
        panel.appendChild(el("div", where, "src"));
      });
      if (n.evidenceTotal > n.evidence.length) {
        panel.appendChild(el("div", "另有 " + (n.evidenceTotal - n.evidence.length) + " 处未列出", "src"));
      }
    }
    var nbs = adj.get(id) || [];
    if (nbs.length) {
      panel.appendChild(el("h2", "关联节点(" + nbs.length + ")"));
      nbs.forEach(function (nb) {
        var other = byId.get(nb.other);
        var b = el("button", null, "nb");
        b.type = "button";
        b.appendChild(el("span", (nb.out ? nb.label + " → " : "← " + nb.label + " "), "rel"));
        b.appendChild(el("span", "[" + other.typeName + "] " + other.label));
        b.title = other.full;
        b.addEventListener("click", function () { focusNode(nb.other); });
        panel.appendChild(b);
      });
    }
    panel.appendChild(el("div", n.iri, "src"));
  }
  function focusNode(id) {
    if (visible.has(id)) {
      network.selectNodes([id]);
      network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    }
    showNode(id);
  }
  network.on("click", function (params) {
    if (params.nodes.length) showNode(params.nodes[0]); else showHint();
  });

  // ---- search + buttons
  var timer = null;
  $("search").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      query = $("search").value.trim().toLowerCase();
      refresh();
    }, 200);
  });
  $("fit").addEventListener("click", function () { network.fit({ animation: false }); });

  showHint();
  $("node-count").textContent = String(visible.size);
  $("node-total").textContent = String(DATA.nodes.length);
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
<input type="search" id="search" placeholder="搜索节点名称或文本" aria-label="搜索">
<button type="button" id="fit">适应窗口</button>
<span id="counts">显示 <span id="node-count">0</span> / 共 <span id="node-total">@@NODES@@</span> 个节点</span>
</header>
<main>
<aside id="sidebar">
<h2>节点类型</h2>
<div id="type-filter"></div>
<h2>整改状态(问题)</h2>
<div id="status-filter"></div>
</aside>
<div id="network"></div>
<aside id="panel"><div id="panel-body"></div></aside>
</main>
<noscript>此页面需要启用 JavaScript。</noscript>
<script type="application/json" id="graph-data">@@DATA@@</script>
<script>@@VIS_JS@@</script>
<script>@@APP_JS@@</script>
</body>
</html>
"""
