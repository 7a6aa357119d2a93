"""Outputs derived from the RDF graph: the networkx mirror (GraphML) and the problem table (CSV).

Nothing here reads the pipeline's records: the graph is the single source of truth (compare
RDFLib's ``rdflib/extras/external_graph_libs.py``).
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .build import sorted_by_str, subject_index
from .memstore import figure_iri, objects, raw_objects, span_iri, split_index
from .vocab import LITERAL_TYPES, OA, PREFIXES, STATUS_ZH, XR_URI, XS, extended

HIDDEN_TYPES = {XS.Span}


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_XR_LEN = len(XR_URI)
_XR_NAMES = PREFIXES.get("xr") == XR_URI and not extended(XR_URI, PREFIXES)  # xr: + the rest
_QNAMES: dict[str, str] = {}


def qname(term: URIRef) -> str:
    s = str(term)
    if _XR_NAMES and s.startswith(XR_URI):  # every instance node, without the cache
        return "xr:" + s[_XR_LEN:]
    got = _QNAMES.get(s)
    if got is None:
        got = s
        for p, ns in _BY_LENGTH:
            if s.startswith(ns):
                got = f"{p}:{s[len(ns):]}"
                break
        if len(_QNAMES) < 1_000_000:
            _QNAMES[s] = got
    return got


_LABEL_PROPS = (SKOS.prefLabel, RDFS.label, DCTERMS.title, XS.text)


def _label(g: Graph, n: URIRef) -> str:
    return _label_of({p: list(g.objects(n, p)) for p in _LABEL_PROPS}, n)


def _label_of(props: dict, n: URIRef) -> str:
    """:func:`_label` from a subject's predicate → objects map (no graph lookups)."""
    for p in _LABEL_PROPS:
        vals = props.get(p)
        if vals is not None and (vals := objects(vals)):
            return min(str(v) for v in vals)
    return qname(n)


def _offset(slot) -> int:
    """A span's ``oa:start`` (its first, if several) as the evidence's sort key; 0 when it
    has none or it is not an integer (the build writes integers; a graph edited by hand may
    not)."""
    try:
        return int(objects(slot)[0]) if slot is not None else 0
    except (TypeError, ValueError):
        return 0


def _mirror_nodes(g: Graph, index: Mapping | None = None, only: set[str] | None = None, known: set[str] | None = None):
    """Per node, in IRI order: (node name, attributes, its out-edges as (target, predicate)
    sorted). Resources are nodes (spans folded in as evidence), literal properties node
    attributes, resource-valued properties edges. ``only``: the nodes (IRI strings) to
    give, when not all; ``known``: IRIs that are nodes though ``g`` (part of a graph) does
    not hold them (an edge to one is an edge)."""
    by_subject = index if index is not None else subject_index(g)
    rdf_type, oa_exact, oa_start = RDF.type, OA.exact, OA.start
    type_s = str(rdf_type)
    # the span table's rows (xs:Span, hidden: never nodes) are read from their columns, the
    # figure table's are nodes (their IRIs made one at a time, in order)
    indexed, spans, figures = split_index(by_subject) if XS.Span in HIDDEN_TYPES else (by_subject, None, None)
    # the hidden subjects of the indexes (the span table's rows are found in the table: a set
    # of their IRIs was ~100 MB at 10,000 bulletins)
    hidden = {s for s, props in indexed.items() if any(t in HIDDEN_TYPES for t in objects(props.get(rdf_type, ())))}
    find_key = spans.find_key if spans is not None else (lambda k: None)
    # in IRI order, as their strings (sorted_by_str: without a copy of every IRI at once)
    nodes = list(sorted_by_str(
        s for s, props in indexed.items() if (type(s) is URIRef or isinstance(s, URIRef)) and rdf_type in props and s not in hidden
    ))
    node_set = set(nodes)
    if known:
        node_set |= {URIRef(k) for k in known}
    is_figure_row = figures.find_key if figures is not None else (lambda k: None)
    merged: Iterable[tuple] = ((str(n), n) for n in nodes)
    if figures is not None:
        merged = heapq.merge(merged, figures.sorted_rows())
    if only is not None:
        merged = ((k, n) for k, n in merged if k in only)
    for _, n in merged:
        if type(n) is int:  # a figure row
            props = figures.raw_preds(n)
            n = figures.iri(n)
        else:
            props = indexed[n]
        attrs: dict[str, str] = {"type": ";".join(sorted(qname(t) for t in objects(props[rdf_type]))), "label": _label_of(props, n)}
        lits = defaultdict(list)
        evidence = []
        edges = []
        # predicates compared as exact strs (URIRef.__eq__ is a Python call per predicate)
        # predicates' strings are distinct: the sort never compares the slots
        for ps, p, slot in sorted([(str(p), p, v) for p, v in props.items()]):
            if ps == type_s:
                continue
            for o in raw_objects(slot):
                kind = type(o)
                if kind is int and o < 0:  # a figure, held as its number's complement (memstore.term)
                    if is_figure_row(~o) is not None:
                        edges.append((qname(figure_iri(~o)), qname(p)))
                        continue
                    o = figure_iri(~o)
                    kind = URIRef
                elif kind is int:  # a span, held as its number (memstore.span_key)
                    if (r := find_key(o)) is not None:
                        evidence.append((spans.start[r], spans.exact(r)))
                        continue
                    o = span_iri(o)
                    kind = URIRef
                if kind in LITERAL_TYPES or (kind is not URIRef and isinstance(o, Literal)):
                    lits[qname(p)].append(str(o))
                elif o in hidden:
                    sp = by_subject[o]
                    if oa_exact in sp:
                        st = sp.get(oa_start)
                        evidence.append((_offset(st), str(objects(sp[oa_exact])[0])))
                elif o in node_set:
                    edges.append((qname(o), qname(p)))
                elif kind is URIRef or isinstance(o, URIRef):
                    lits[qname(p)].append(qname(o))  # e.g. xs:status xs:Completed: an attribute to colour by
        for k, vs in sorted(lits.items()):
            attrs[k] = " | ".join(sorted(vs))
        if evidence:
            evidence.sort()
            attrs["evidence"] = " … ".join(e for _, e in evidence[:3])
            attrs["evidenceCount"] = str(len(evidence))
        edges.sort()
        yield qname(n), attrs, edges


def mirror(g: Graph, index: Mapping | None = None) -> tuple[list[tuple[str, dict[str, str]]], list[tuple[str, str, str]]]:
    """The mirror's rows: (node name, attributes) in IRI order and (source, target, predicate)
    edges, sorted (see :func:`_mirror_nodes`)."""
    rows, edges = [], []
    for name, attrs, out in _mirror_nodes(g, index):
        rows.append((name, attrs))
        edges.extend((name, o, p) for o, p in out)
    edges.sort()
    return rows, edges


def to_networkx(g: Graph) -> nx.MultiDiGraph:
    """A networkx mirror of the graph (see :func:`mirror`)."""
    rows, edges = mirror(g)
    G = nx.MultiDiGraph()
    for name, attrs in rows:
        G.add_node(name, **attrs)
    for s, o, p in edges:
        G.add_edge(s, o, key=p, predicate=p)
    return G


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


_XML_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ATTR_SPECIAL = re.compile('[&<>"\r\n\t]')


def _xml_text(v: str) -> str:
    if not _XML_TEXT_SPECIAL.search(v):  # most values: one C scan (translate is a lookup per character)
        return v
    if _XML_INVALID.search(v):
        v = _XML_INVALID.sub("", v)
    return v.translate(_XML_TEXT)


def _xml_attr(v: str) -> str:
    return v.translate(_XML_ATTR) if _XML_ATTR_SPECIAL.search(v) else v


_EDGE_KEY = "e0"
_KEY_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]*")


def key_id(name: str) -> str:
    """A node attribute's GraphML key id: the attribute's own name when it is a valid id
    (``label``, ``xs:text``), else ``k`` and a digest of it — never a number given in order
    of appearance, so that a node's markup does not depend on the other nodes of the graph."""
    if _KEY_ID.fullmatch(name) and name != _EDGE_KEY:
        return name
    return "k" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def write_graphml_to(fh, g: Graph, index: Mapping | None = None, only: set[str] | None = None, known: set[str] | None = None,
                     first_use: dict[str, str] | None = None) -> None:
    """GraphML of the mirror, streamed to the binary file ``fh`` (networkx's writer took a
    third of a large build, and a large graph's GraphML is never held in memory whole);
    ``networkx.read_graphml`` reads back exactly :func:`to_networkx`'s graph. Nodes come in
    IRI order, then the edges by source node. The attribute keys, which GraphML wants first,
    are only known once every node is seen: nodes and edges are spooled to temporary files
    and copied in after the keys (sorted by name; each key's id is its name,
    :func:`key_id`). XML 1.0 cannot carry control characters, which source
    texts sometimes hold (W003): they are dropped here, in this derived output only.
    ``index``: :func:`subject_index` of ``g``; ``only``, ``known``: see :func:`_mirror_nodes`;
    ``first_use`` gets, per node attribute, the name of the first node that holds it (what
    an incremental rebuild checks before it drops the attribute's key)."""
    keys: dict[str, str] = {}
    edge_tail: dict[str, str] = {}
    with tempfile.TemporaryFile() as node_fh, tempfile.TemporaryFile() as edge_fh:
        nodes_out: list[str] = []
        edges_out: list[str] = []
        for name, attrs, out in _mirror_nodes(g, index, only, known):
            for k in attrs:
                if k not in keys:
                    keys[k] = key_id(k)
                    if first_use is not None:
                        first_use[k] = name
            data = "".join(f'\n  <data key="{keys[k]}">{_xml_text(v)}</data>' for k, v in attrs.items())
            na = _xml_attr(name)
            nodes_out.append(f'<node id="{na}">{data}\n</node>\n')
            for o, p in out:
                tail = edge_tail.get(p)
                if tail is None:  # a few dozen predicates: their markup is made once
                    tail = edge_tail[p] = f'" id="{p.translate(_XML_ATTR)}">\n  <data key="{_EDGE_KEY}">{_xml_text(p)}</data>\n</edge>\n'
                edges_out.append(f'<edge source="{na}" target="{_xml_attr(o)}{tail}')
            if len(nodes_out) >= 2000:
                node_fh.write("".join(nodes_out).encode("utf-8"))
                edge_fh.write("".join(edges_out).encode("utf-8"))
                nodes_out.clear()
                edges_out.clear()
        node_fh.write("".join(nodes_out).encode("utf-8"))
        edge_fh.write("".join(edges_out).encode("utf-8"))
        head = [_GRAPHML_HEAD]
        for k, kid in sorted(keys.items()):
            head.append(f'<key id="{kid}" for="node" attr.name="{k.translate(_XML_ATTR)}" attr.type="string"/>\n')
        head.append(f'<key id="{_EDGE_KEY}" for="edge" attr.name="predicate" attr.type="string"/>\n')
        head.append('<graph edgedefault="directed">\n')
        fh.write("".join(head).encode("utf-8"))
        for spool in (node_fh, edge_fh):
            spool.seek(0)
            shutil.copyfileobj(spool, fh, 1 << 20)
        fh.write(b"</graph>\n</graphml>\n")


def write_graphml(g: Graph, index: Mapping | None = None, only: set[str] | None = None, known: set[str] | None = None) -> bytes:
    """:func:`write_graphml_to` into bytes."""
    buf = io.BytesIO()
    write_graphml_to(buf, g, index, only, known)
    return buf.getvalue()


CSV_HEADER = ["通报", "日期", "序号", "问题", "整改结果", "整改结果原文", "反馈类别", "主题", "此前巡视巡察", "措施数", "制度文件", "涉及单位", "源文件", "原文位置", "IRI"]


def write_problems_csv(fh, g: Graph) -> None:
    """One row per problem, for Excel (UTF-8 with BOM, Chinese headers), streamed to the
    binary file ``fh``: by source file, bulletin and position, each row made as it is
    written (the rows and the text of all 180,000 problems at 10,000 bulletins, held
    together, were ~450 MB, the build's peak)."""
    sources: dict[str, str] = {}  # one copy of each source path
    order = []
    for k, p in enumerate(g.subjects(RDF.type, XS.Problem)):
        b = g.value(p, XS.inBulletin)
        source = str(g.value(b, DCTERMS.source) or "")
        order.append(
            (
                sources.setdefault(source, source),
                int(g.value(b, XS.position) or 0) if b is not None else 0,
                int(g.value(p, XS.position) or 0),
                k,  # ties keep the graph's order
                p,
            )
        )
    order.sort(key=lambda r: r[:4])
    text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
    try:
        text.write("\ufeff")
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow(CSV_HEADER)
        for *_, p in order:
            w.writerow(_problem_row(g, p))
        text.flush()
    finally:
        text.detach()  # the caller's file stays open


def _problem_row(g: Graph, p) -> list[str]:
    b = g.value(p, XS.inBulletin)
    status = g.value(p, XS.status)
    measures = sorted(g.subjects(XS.addresses, p))
    policies = sorted({_label(g, pol) for m in measures for prop in (XS.establishes, XS.cites) for pol in g.objects(m, prop)})
    units = sorted({_label(g, u) for u in g.objects(p, XS.concernsUnit)})
    themes = sorted({_label(g, t) for t in g.objects(p, XS.theme)})
    earlier = sorted({_label(g, i) for i in g.objects(p, XS.previouslyRaisedIn)})
    ev = g.value(p, XS.evidence)
    cat = g.value(p, XS.inCategory)
    return [
        str(g.value(b, RDFS.label) or "") if b is not None else "",
        str(g.value(b, DCTERMS.issued) or "") if b is not None else "",
        str(g.value(p, XS.ordinal) or ""),
        str(g.value(p, XS.text) or ""),
        STATUS_ZH.get(str(status).rsplit("#", 1)[-1], "") if status else "",
        str(g.value(p, XS.statusText) or ""),
        _label(g, cat) if cat is not None else "",
        "; ".join(themes),
        "; ".join(earlier),
        str(len(measures)),
        "; ".join(policies),
        "; ".join(units),
        str(g.value(b, DCTERMS.source) or "") if b is not None else "",
        f"{g.value(ev, OA.start)}-{g.value(ev, OA.end)}" if ev is not None else "",
        qname(p),
    ]


def problems_csv(g: Graph) -> bytes:
    """:func:`write_problems_csv` into bytes."""
    buf = io.BytesIO()
    write_problems_csv(buf, g)
    return buf.getvalue()
