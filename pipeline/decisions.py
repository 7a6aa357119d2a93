"""Analysts' decisions, applied on every build and shown in the graph as such.

A decisions file (``decisions.tsv`` in an input folder, or ``xunshi build --decisions FILE``)
is UTF-8 tab-separated text with a header line::

    action  subject  object  value  who  when  why

Actions:

- ``accept-link A B``: A and B state the same issue (``xs:sameIssueAs``, an ``xs:IssueLink``
  with method ``analyst``), whatever the automatic score;
- ``reject-link A B``: they do not (any automatic ``xs:sameIssueAs`` is removed; the
  ``xs:IssueLink`` stays, marked rejected);
- ``merge A B``: B is the same unit or policy as A (B's statements move to A, B's labels
  become A's ``skos:altLabel``);
- ``split A TITLE``: the mentions of policy (or cited work) A printed as ``TITLE`` are another
  document: they move to a new node, with the measures that name them;
- ``status P KEY``: problem P's status is corrected to ``KEY`` (Completed, PartiallyCompleted,
  NotCompleted, InProgress, LongTerm, Unknown); the printed ``xs:statusText`` is kept.

A reference is an IRI (``xr:problem-…`` or the full IRI, as shown in the HTML view and the
CSV), or for problems ``FILE|BULLETIN|ORDINAL`` (``corpus/x.txt|附件2|(五)``, ``正文`` for the
main bulletin), or for units and policies an exact label. Each applied line becomes an
``xs:Decision`` node (who, when, why, evidence: its line in the file, which is a source document
of the build too), and every fact it changed points to it with ``xs:decidedIn``. A line that
cannot be applied gets a coded warning (W050–W053) with its line number; the build goes on.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .enrich import EnrichContext, add_span, register
from .errors import Issue
from .records import stable_id
from .vocab import OA, XR, XS, STATUS_KEYS

ACTIONS = ("accept-link", "reject-link", "merge", "split", "status")
COLUMNS = ["action", "subject", "object", "value", "who", "when", "why"]


def resolve(g: Graph, ref: str) -> URIRef | None:
    """The node a decision's reference names, or None."""
    ref = ref.strip()
    if not ref:
        return None
    if ref.startswith("xr:"):
        node = XR[ref[3:]]
        return node if (node, None, None) in g else None
    if ref.startswith("http"):
        node = URIRef(ref)
        return node if (node, None, None) in g else None
    if ref.count("|") == 2:
        path, bulletin, ordinal = (x.strip() for x in ref.split("|"))
        hits = []
        for p in sorted(g.subjects(XS.ordinal, Literal(ordinal, lang="zh"))):
            if (p, RDF.type, XS.Problem) not in g:
                continue
            b = g.value(p, XS.inBulletin)
            att = str(g.value(b, XS.attachmentLabel) or "正文")
            if str(g.value(b, DCTERMS.source)) == path and att == (bulletin or "正文"):
                hits.append(p)
        if len(hits) > 1:
            raise AmbiguousReference(ref)
        return hits[0] if hits else None
    for prop in (SKOS.prefLabel, RDFS.label, SKOS.altLabel):
        hits = sorted(s for s in g.subjects(prop, Literal(ref, lang="zh")) if _is_entity(g, s))
        if hits:
            return hits[0]
    return None


class AmbiguousReference(ValueError):
    """A ``FILE|BULLETIN|ORDINAL`` reference that names more than one problem."""


def _is_entity(g: Graph, node) -> bool:
    return any((node, RDF.type, c) in g for c in (XS.Unit, XS.Policy, XS.CitedWork, XS.Problem))


def read_decisions(path: Path) -> tuple[list[tuple[int, int, int, dict]], str]:
    """Rows of a decisions file with (line number, start, end offset) and the file's text."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = []
    offset = 0
    for n, line in enumerate(text.splitlines(keepends=True), start=1):
        start, body = offset, line.rstrip("\r\n")
        offset += len(line)
        if n == 1 or not body.strip() or body.lstrip().startswith("#"):
            continue
        cells = next(csv.reader(io.StringIO(body), delimiter="\t"))
        row = dict(zip(COLUMNS, [c.strip() for c in cells] + [""] * (len(COLUMNS) - len(cells))))
        rows.append((n, start, start + len(body), row))
    return rows, text


@register("decisions", 90)
def apply_decisions(g: Graph, ctx: EnrichContext) -> None:
    path = ctx.options.get("decisions")
    if not path:
        return
    path = Path(path)
    rows, text = read_decisions(path)
    source = ctx.options.get("decisions_display", path.as_posix())
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    doc = XR[f"doc-{sha[:16]}"]
    g.add((doc, RDF.type, XS.SourceDocument))
    g.add((doc, DCTERMS.source, Literal(source)))
    g.add((doc, XS.sha256, Literal(sha)))
    g.add((doc, XS.encoding, Literal("utf-8")))
    g.add((doc, XS.mediaType, Literal("text/tab-separated-values")))
    ctx.texts[str(doc)] = text
    for line_no, start, end, row in rows:
        _apply(g, ctx, doc, text, source, line_no, start, end, row)


def _apply(g, ctx, doc, text, source, line_no, start, end, row) -> None:
    action = row["action"]
    warn = lambda code, **d: ctx.issues.append(Issue(code, source, {"line": line_no, **d}, start))  # noqa: E731
    if action not in ACTIONS:
        warn("W050", detail=f"未知操作 “{action}” (unknown action; one of {', '.join(ACTIONS)})")
        return
    try:
        a = resolve(g, row["subject"])
        b = resolve(g, row["object"]) if action in ("accept-link", "reject-link", "merge") else None
    except AmbiguousReference as err:
        warn("W053", detail=f"“{err}” 指向多个问题,请改用 IRI (ambiguous: use the IRI)")
        return
    for ref, node in ((row["subject"], a), (row["object"], b)):
        if node is None and (ref is row["subject"] or action in ("accept-link", "reject-link", "merge")):
            warn("W051", ref=ref)
            return
    if action == "status" and row["value"] not in STATUS_KEYS:
        warn("W052", value=row["value"])
        return
    if action == "split" and not row["value"] and not row["object"]:
        warn("W053", detail="split 需要标题 (split needs the title to move)")
        return
    d = XR[stable_id("decision", source, line_no, text[start:end])]
    g.add((d, RDF.type, XS.Decision))
    g.add((d, XS.decision, Literal(action)))
    g.add((d, RDFS.label, Literal(f"{action} ({source}:{line_no})")))
    if row["who"]:
        g.add((d, XS.decidedBy, Literal(row["who"])))
    if row["when"]:
        g.add((d, XS.decidedOn, Literal(row["when"], datatype=XSD.date)))
    if row["why"]:
        g.add((d, XS.reason, Literal(row["why"], lang="zh")))
    g.add((d, XS.evidence, add_span(g, doc, start, end, text)))
    for n in (a, b):
        if n is not None:
            g.add((d, XS.appliesTo, n))
    if action in ("accept-link", "reject-link"):
        _link(g, d, a, b, accept=action == "accept-link")
    elif action == "merge":
        _merge(g, d, a, b)
    elif action == "split":
        _split(g, d, a, row["value"] or row["object"])
    elif action == "status":
        g.remove((a, XS.status, None))
        g.add((a, XS.status, XS[row["value"]]))
        g.set((a, XS.statusSource, Literal("decision")))
        g.add((a, XS.decidedIn, d))


def _link(g: Graph, d, a, b, accept: bool) -> None:
    s, t = sorted((a, b))
    link = XR[stable_id("issuelink", str(s), str(t))]
    if (link, RDF.type, XS.IssueLink) not in g:
        g.add((link, RDF.type, XS.IssueLink))
        g.add((link, XS.source, s))
        g.add((link, XS.target, t))
        g.add((link, XS.method, Literal("analyst")))
        g.add((link, XS.score, Literal("1.000" if accept else "0.000", datatype=XSD.decimal)))
    g.add((link, XS.decidedIn, d))
    g.set((link, XS.decision, Literal("accept" if accept else "reject")))
    if accept:
        g.add((a, XS.sameIssueAs, b))
        g.add((b, XS.sameIssueAs, a))
    else:
        g.remove((a, XS.sameIssueAs, b))
        g.remove((b, XS.sameIssueAs, a))


def _merge(g: Graph, d, keep, drop) -> None:
    """Move every statement about ``drop`` to ``keep``; ``drop``'s labels become altLabels."""
    if keep == drop:
        return
    for p, o in list(g.predicate_objects(drop)):
        g.remove((drop, p, o))
        if p in (SKOS.prefLabel, RDFS.label):
            if (keep, p, o) not in g:
                g.add((keep, SKOS.altLabel, o))
            continue
        g.add((keep, p, o))
    for s, p in list(g.subject_predicates(drop)):
        g.remove((s, p, drop))
        g.add((s, p, keep))
    g.add((keep, XS.decidedIn, d))


def _split(g: Graph, d, node, title: str) -> None:
    """Mentions of ``node`` printed as ``title`` become a node of their own."""
    spans = [sp for sp in g.objects(node, XS.evidence) if str(g.value(sp, OA.exact)) == title]
    if not spans:
        return
    new = XR[stable_id("split", str(node), title)]
    for t in g.objects(node, RDF.type):
        g.add((new, RDF.type, t))
    g.add((new, RDFS.label, Literal(title, lang="zh")))
    g.remove((node, SKOS.altLabel, Literal(title, lang="zh")))
    g.add((new, XS.decidedIn, d))
    g.add((node, XS.decidedIn, d))
    for sp in spans:
        g.remove((node, XS.evidence, sp))
        g.add((new, XS.evidence, sp))
        doc, s, e = g.value(sp, XS.inDocument), int(g.value(sp, OA.start)), int(g.value(sp, OA.end))
        for prop in (XS.establishes, XS.cites, XS.mentions):
            for m in list(g.subjects(prop, node)):
                for msp in g.objects(m, XS.evidence):
                    if g.value(msp, XS.inDocument) == doc and int(g.value(msp, OA.start)) <= s and e <= int(g.value(msp, OA.end)):
                        g.remove((m, prop, node))
                        g.add((m, prop, new))
    for v in g.objects(node, XS.action):
        g.add((new, XS.action, v))
    g.set((node, XS.mentionCount, Literal(len(list(g.objects(node, XS.evidence))))))
    g.set((new, XS.mentionCount, Literal(len(spans))))
