"""Outputs derived from the RDF graph: the networkx mirror (GraphML) and the problem table (CSV).

Nothing here reads the pipeline's records: the graph is the single source of truth (compare
RDFLib's ``rdflib/extras/external_graph_libs.py``).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .vocab import OA, PREFIXES, XS

HIDDEN_TYPES = {XS.Span}


def qname(term: URIRef) -> str:
    s = str(term)
    for p, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if s.startswith(ns):
            return f"{p}:{s[len(ns):]}"
    return s


def _label(g: Graph, n: URIRef) -> str:
    for p in (SKOS.prefLabel, RDFS.label, DCTERMS.title, XS.text):
        vals = sorted(str(v) for v in g.objects(n, p))
        if vals:
            return vals[0]
    return qname(n)


def to_networkx(g: Graph) -> nx.MultiDiGraph:
    """A networkx mirror of the graph: resources as nodes (spans folded in as evidence),
    literal properties as node attributes, resource-valued properties as edges."""
    G = nx.MultiDiGraph()
    hidden = {s for t in HIDDEN_TYPES for s in g.subjects(RDF.type, t)}
    nodes = sorted({s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef) and s not in hidden})
    node_set = set(nodes)
    for n in nodes:
        attrs: dict[str, str] = {
            "type": ";".join(sorted(qname(t) for t in g.objects(n, RDF.type))),
            "label": _label(g, n),
        }
        props = defaultdict(list)
        evidence = []
        for p, o in g.predicate_objects(n):
            if p == RDF.type:
                continue
            if isinstance(o, Literal):
                props[qname(p)].append(str(o))
            elif o in hidden:
                ex = g.value(o, OA.exact)
                st = g.value(o, OA.start)
                if ex is not None:
                    evidence.append((int(st) if st is not None else 0, str(ex)))
            elif isinstance(o, URIRef) and o not in node_set:
                props[qname(p)].append(qname(o))  # e.g. xs:status xs:Completed: an attribute to colour by
        for k, vs in sorted(props.items()):
            attrs[k] = " | ".join(sorted(vs))
        if evidence:
            evidence.sort()
            attrs["evidence"] = " … ".join(e for _, e in evidence[:3])
            attrs["evidenceCount"] = str(len(evidence))
        G.add_node(qname(n), **attrs)
    for s in nodes:
        for p, o in sorted(g.predicate_objects(s)):
            if p == RDF.type or not isinstance(o, URIRef) or o in hidden:
                continue
            if o in node_set:
                G.add_edge(qname(s), qname(o), key=qname(p), predicate=qname(p))
    return G


def write_graphml(g: Graph) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(to_networkx(g), buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


STATUS_ZH = {
    "Completed": "完成",
    "PartiallyCompleted": "阶段性完成",
    "NotCompleted": "未完成",
    "InProgress": "正在整改",
    "LongTerm": "长期坚持",
    "Unknown": "未写明",
}


def problems_csv(g: Graph) -> bytes:
    """One row per problem, for Excel: UTF-8 with BOM, Chinese headers."""
    rows = []
    for p in g.subjects(RDF.type, XS.Problem):
        b = g.value(p, XS.inBulletin)
        status = g.value(p, XS.status)
        measures = sorted(g.subjects(XS.addresses, p))
        policies = sorted(
            {_label(g, pol) for m in measures for prop in (XS.establishes, XS.cites) for pol in g.objects(m, prop)}
        )
        units = sorted({_label(g, u) for u in g.objects(p, XS.concernsUnit)})
        themes = sorted({_label(g, t) for t in g.objects(p, XS.theme)})
        earlier = sorted({_label(g, i) for i in g.objects(p, XS.previouslyRaisedIn)})
        ev = g.value(p, XS.evidence)
        cat = g.value(p, XS.inCategory)
        rows.append(
            (
                int(g.value(b, XS.position) or 0) if b is not None else 0,
                str(g.value(b, DCTERMS.source) or ""),
                int(g.value(p, XS.position) or 0),
                [
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
                ],
            )
        )
    rows.sort(key=lambda r: (r[1], r[0], r[2]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(
        ["通报", "日期", "序号", "问题", "整改结果", "整改结果原文", "反馈类别", "主题", "此前巡视巡察", "措施数", "制度文件", "涉及单位", "源文件", "原文位置", "IRI"]
    )
    for r in rows:
        w.writerow(r[3])
    return "\ufeff".encode("utf-8") + buf.getvalue().encode("utf-8")
