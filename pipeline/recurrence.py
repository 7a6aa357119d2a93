"""Rounds, timelines and diffs: the questions the recurrence layer answers.

- The ``round_groups`` pass groups inspections into rounds (``xs:Round``): the inspections one
  team (or, when no team is printed, one inspecting body) carried out in one year. A main
  bulletin and its attachments report on one round; an earlier round cited only by text
  ("2019年省委巡视") is a round of its own, joined to a round of the corpus when the year and
  body match exactly one.
- :func:`trace` gathers a theme's (or a phrase's) problems across rounds into a timeline:
  round → bulletin → problem → status → measures and policies, with quotes.
- :func:`diff` compares two bulletins or two rounds: new, carried-over, reworded,
  status-changed and dropped problems.

All of it reads the graph only (the single source of truth).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .enrich import EnrichContext, register
from .errors import UsageError
from .records import stable_id
from .vocab import OA, STATUS_ZH, XR, XS



def _s(g: Graph, node, prop) -> str:
    """One value as text, the Chinese one when there are several (labels come @zh and @en)."""
    vals = sorted(g.objects(node, prop), key=lambda v: (getattr(v, "language", None) not in ("zh", None), str(v)))
    return str(vals[0]) if vals else ""


# --- rounds ------------------------------------------------------------------------------------


def _round_of(g: Graph, i: URIRef) -> tuple:
    year, team, body = _s(g, i, XS.year), _s(g, i, XS.team), _s(g, i, XS.inspectingBody)
    if year and team:
        return ("team", year, team)
    if year and body:
        return ("body", year, body)
    return ("own", str(i))


@register("round_groups", 15)
def group_rounds(g: Graph, ctx: EnrichContext) -> None:
    """Give every ``xs:Inspection`` its ``xs:inRound``."""
    inspections = sorted(g.subjects(RDF.type, XS.Inspection))
    keys = {i: _round_of(g, i) for i in inspections}
    teams_by_body: dict[tuple[str, str], set[tuple]] = defaultdict(set)
    for i, k in keys.items():
        if k[0] == "team":
            teams_by_body[(k[1], _s(g, i, XS.inspectingBody))].add(k)
    for i in inspections:
        k = keys[i]
        if k[0] == "body" and len(teams_by_body.get((k[1], k[2]), ())) == 1:
            k = next(iter(teams_by_body[(k[1], k[2])]))
        r = XR[stable_id("round", *k)]
        g.add((i, XS.inRound, r))
        if (r, RDF.type, XS.Round) in g:
            continue
        g.add((r, RDF.type, XS.Round))
        if k[0] in ("team", "body"):
            g.add((r, XS.year, Literal(k[1], datatype=XSD.gYear)))
            kind = _s(g, i, XS.inspectionKind)
            word = "巡察" if "巡察" in kind or "巡察" in k[2] else ("巡视" if "巡视" in kind else kind)
            label = f"{k[1]}年{k[2]}" + ("" if k[2].endswith("组") or k[2].endswith(word) else word)
        else:
            label = _s(g, i, RDFS.label) or "此前轮次"
        g.add((r, RDFS.label, Literal(label, lang="zh")))


# --- shared helpers ----------------------------------------------------------------------------


def norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s“”\"'‘’「」『』《》()()、,,。;;::!?!?.]", "", t)


def _status(g: Graph, p) -> str:
    st = g.value(p, XS.status)
    return str(st).rsplit("#", 1)[-1] if st is not None else "Unknown"


def _bulletin_label(g: Graph, b) -> str:
    """附件2 中共…组织工作部 (2023-12-22): attachment, issuer and date."""
    att = _s(g, b, XS.attachmentLabel)
    issuer = g.value(b, DCTERMS.publisher)
    who = _s(g, issuer, SKOS.prefLabel) if issuer is not None else ""
    date = _s(g, b, DCTERMS.issued)
    return f"{att} {who or _s(g, b, DCTERMS.title)}{f' ({date})' if date else ''}".strip()


def _round(g: Graph, inspection) -> URIRef | None:
    return g.value(inspection, XS.inRound) if inspection is not None else None


def _year(g: Graph, node) -> str:
    return _s(g, node, XS.year) if node is not None else ""


@dataclass
class ProblemView:
    iri: str
    bulletin: str
    source: str
    ordinal: str
    text: str
    status: str
    status_text: str
    round: str
    round_label: str
    year: str
    measures: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)


def problem_view(g: Graph, p: URIRef) -> ProblemView:
    b = g.value(p, XS.inBulletin)
    r = _round(g, g.value(p, XS.raisedIn))
    measures = sorted(g.subjects(XS.addresses, p), key=lambda m: int(g.value(m, XS.position) or 0))
    policies = sorted(
        {str(g.value(pol, RDFS.label)) for m in measures for prop in (XS.establishes, XS.cites) for pol in g.objects(m, prop)}
    )
    return ProblemView(
        iri=str(p),
        bulletin=_bulletin_label(g, b),
        source=_s(g, b, DCTERMS.source),
        ordinal=_s(g, p, XS.ordinal),
        text=_s(g, p, XS.text),
        status=_status(g, p),
        status_text=_s(g, p, XS.statusText),
        round=str(r) if r is not None else "",
        round_label=_s(g, r, RDFS.label) if r is not None else "",
        year=_year(g, r),
        measures=[(_s(g, m, XS.ordinal) + _s(g, m, XS.text)) for m in measures],
        policies=policies,
        themes=sorted(_s(g, t, SKOS.prefLabel) for t in g.objects(p, XS.theme)),
    )


# --- trace -------------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    round: str
    round_label: str
    year: str
    kind: str  # current (a bulletin reports on it) or earlier (cited in a problem's text)
    problems: list[ProblemView] = field(default_factory=list)
    citations: list[tuple[str, str]] = field(default_factory=list)  # (quote, cited by)


@dataclass
class Timeline:
    query: str
    themes: list[str]
    method: str  # theme or text
    entries: list[TimelineEntry]

    @property
    def problem_count(self) -> int:
        return len({p.iri for e in self.entries for p in e.problems})


def find_themes(g: Graph, query: str) -> list[URIRef]:
    q = norm(query)
    exact, partial = [], []
    for c in sorted(set(g.subjects(RDF.type, SKOS.Concept))):
        labels = [norm(str(x)) for p in (SKOS.prefLabel, SKOS.altLabel) for x in g.objects(c, p)]
        if q in labels:
            exact.append(c)
        elif any(q in lab for lab in labels if lab):
            partial.append(c)
    return exact or partial


def trace(g: Graph, query: str) -> Timeline:
    """The timeline of a theme (by name or alias) or, failing that, of a phrase in problem texts."""
    themes = find_themes(g, query)
    if themes:
        seeds = {p for t in themes for p in g.subjects(XS.theme, t)}
        method = "theme"
    else:
        q = norm(query)
        seeds = {p for p in g.subjects(RDF.type, XS.Problem) if q and q in norm(_s(g, p, XS.text))}
        method = "text"
    problems = set(seeds)
    for p in list(seeds):
        problems.update(g.objects(p, XS.sameIssueAs))
    entries: dict[str, TimelineEntry] = {}
    for p in sorted(problems):
        pv = problem_view(g, p)
        key = pv.round or pv.iri
        e = entries.setdefault(key, TimelineEntry(pv.round, pv.round_label, pv.year, "current"))
        e.problems.append(pv)
        for earlier in sorted(g.objects(p, XS.previouslyRaisedIn)):
            r = _round(g, earlier) or earlier
            er = entries.setdefault(str(r), TimelineEntry(str(r), _s(g, r, RDFS.label) or _s(g, earlier, RDFS.label), _year(g, r) or _year(g, earlier), "earlier"))
            quote = _quote_in(g, earlier, p) or _s(g, earlier, RDFS.label)
            er.citations.append((quote, f"{pv.bulletin} {pv.ordinal}"))
    # an undated earlier round (上轮…) sorts before every dated one: it is earlier than the
    # round that cites it, and nothing more is known
    ordered = sorted(entries.values(), key=lambda e: (e.year or "0000", e.kind != "earlier", e.round_label))
    for e in ordered:
        e.problems.sort(key=lambda pv: (pv.source, pv.bulletin, _ordinal_key(pv.ordinal)))
        e.citations = sorted(set(e.citations))
    return Timeline(query, [_s(g, t, SKOS.prefLabel) for t in themes], method, ordered)


def _ordinal_key(o: str) -> tuple:
    digits = re.findall(r"\d+", o)
    return (int(digits[-1]) if digits else 0, o)


def _quote_in(g: Graph, earlier: URIRef, p: URIRef) -> str:
    """The words of ``p`` (or its category) that cite ``earlier``."""
    spans = list(g.objects(p, XS.evidence))
    cat = g.value(p, XS.inCategory)
    if cat is not None:
        spans += list(g.objects(cat, XS.evidence))
    for sp in sorted(g.objects(earlier, XS.evidence)):
        s, doc = g.value(sp, OA.start), g.value(sp, XS.inDocument)
        for psp in spans:
            if g.value(psp, XS.inDocument) == doc and int(g.value(psp, OA.start)) <= int(s) < int(g.value(psp, OA.end)):
                return _s(g, sp, OA.exact)
    return ""


def format_timeline(t: Timeline, width: int = 60) -> str:
    out = []
    head = "、".join(t.themes) if t.themes else f"“{t.query}”(按文本检索 / text search)"
    rounds = len(t.entries)
    out.append(f"{head}: {rounds} 个轮次 (rounds), {t.problem_count} 个问题 (problems)")
    for e in t.entries:
        tag = "此前轮次,见于通报原文 (earlier round, cited)" if e.kind == "earlier" and not e.problems else "本轮通报 (reported)"
        out.append(f"\n■ {e.round_label or '(轮次不详)'}  [{tag}]")
        for quote, by in e.citations:
            out.append(f"    ↖ 后续通报引用 (cited later): “{quote}” — {by}")
        for pv in e.problems:
            st = STATUS_ZH.get(pv.status, pv.status)
            out.append(f"  ▸ {pv.bulletin} 第{pv.ordinal}项 [{st}]")
            out.append(f"    “{_clip(pv.text, width)}”")
            for m in pv.measures[:3]:
                out.append(f"      措施: {_clip(m, width - 4)}")
            if len(pv.measures) > 3:
                out.append(f"      … 另有 {len(pv.measures) - 3} 条措施")
            if pv.policies:
                out.append("      制度: " + " ".join(f"《{x}》" for x in pv.policies))
    if not t.entries:
        out.append("未找到相关问题 (nothing found)")
    return "\n".join(out) + "\n"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- diff --------------------------------------------------------------------------------------


@dataclass
class DiffRow:
    change: str  # new, carried-over, reworded, dropped (+ "status-changed" flag)
    status_changed: bool
    score: float
    a: ProblemView | None
    b: ProblemView | None


def select_problems(g: Graph, ref: str) -> tuple[str, list[URIRef]]:
    """The problems a diff side names: a bulletin or round IRI, ``FILE`` or ``FILE|附件N``
    (a bulletin), or a year (every problem raised in a round of that year)."""
    ref = ref.strip()
    problems = [p for p in g.subjects(RDF.type, XS.Problem)]
    if re.fullmatch(r"\d{4}", ref):
        sel = [p for p in problems if _year(g, _round(g, g.value(p, XS.raisedIn))) == ref]
        return f"{ref}年", sorted(sel)
    node = XR[ref[3:]] if ref.startswith("xr:") else (URIRef(ref) if ref.startswith("http") else None)
    if node is not None:
        if (node, RDF.type, XS.Bulletin) in g:
            return _bulletin_label(g, node), sorted(p for p in problems if g.value(p, XS.inBulletin) == node)
        if (node, RDF.type, XS.Round) in g:
            return _s(g, node, RDFS.label), sorted(p for p in problems if _round(g, g.value(p, XS.raisedIn)) == node)
        raise UsageError(f"不是通报或轮次 (not a bulletin or round): {ref}")
    path, _, att = ref.partition("|")
    for b in sorted(g.subjects(RDF.type, XS.Bulletin)):
        if _s(g, b, DCTERMS.source) == path and (_s(g, b, XS.attachmentLabel) or "正文") == (att or "正文"):
            return _bulletin_label(g, b), sorted(p for p in problems if g.value(p, XS.inBulletin) == b)
    raise UsageError(f"找不到通报 (no bulletin): {ref}; 用 IRI、文件路径、文件|附件N 或年份 (use an IRI, FILE, FILE|附件N or a year)")


def _bigrams(text: str) -> set[str]:
    t = norm(text)
    return {t[i:i + 2] for i in range(len(t) - 1)} or {t}


def _similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def _link_score(g: Graph, a: URIRef, b: URIRef) -> float:
    """The score of the same-issue link between a and b (1.0 for an analyst's link)."""
    s, t = sorted((a, b))
    for link in g.subjects(XS.source, s):
        if g.value(link, XS.target) == t and g.value(link, XS.score) is not None:
            return max(float(g.value(link, XS.score)), 0.0) or 1.0
    return 1.0


def diff(g: Graph, ref_a: str, ref_b: str, threshold: float = 0.45) -> tuple[str, str, list[DiffRow]]:
    """Match the problems of A and B (same-issue links first, then text similarity)."""
    label_a, pa = select_problems(g, ref_a)
    label_b, pb = select_problems(g, ref_b)
    views = {p: problem_view(g, p) for p in pa + pb}
    pairs: list[tuple[float, URIRef, URIRef]] = []
    set_b = set(pb)
    for a in pa:
        for b in pb:
            if a == b:
                continue
            linked = (a, XS.sameIssueAs, b) in g
            score = _link_score(g, a, b) if linked else _similarity(views[a].text, views[b].text)
            if linked or score >= threshold:
                pairs.append((score, a, b))
    # linked pairs first (an analyst's or the linker's word beats text similarity), then by score
    pairs.sort(key=lambda x: ((x[1], XS.sameIssueAs, x[2]) not in g, -x[0], str(x[1]), str(x[2])))
    used_a, used_b, rows = set(), set(), []
    for score, a, b in pairs:
        if a in used_a or b in used_b:
            continue
        used_a.add(a)
        used_b.add(b)
        va, vb = views[a], views[b]
        same_text = norm(va.text) == norm(vb.text)
        rows.append(DiffRow("carried-over" if same_text else "reworded", va.status != vb.status, round(score, 3), va, vb))
    rows += [DiffRow("dropped", False, 0.0, views[a], None) for a in pa if a not in used_a]
    rows += [DiffRow("new", False, 0.0, None, views[b]) for b in pb if b not in used_b and b in set_b]
    order = {"carried-over": 0, "reworded": 1, "new": 2, "dropped": 3}
    rows.sort(key=lambda r: (order[r.change], _ordinal_key((r.a or r.b).ordinal), (r.a or r.b).iri))
    return label_a, label_b, rows


CHANGE_ZH = {"carried-over": "延续", "reworded": "改写", "new": "新增", "dropped": "不再出现"}
DIFF_COLUMNS = ["变化", "状态变化", "相似度", "A序号", "A问题", "A状态", "B序号", "B问题", "B状态", "A_IRI", "B_IRI"]


def diff_table_rows(rows: list[DiffRow]) -> list[list[str]]:
    out = []
    for r in rows:
        a, b = r.a, r.b
        out.append(
            [
                CHANGE_ZH[r.change] + f" ({r.change})",
                "是 (status-changed)" if r.status_changed else "",
                f"{r.score:.3f}" if a and b else "",
                a.ordinal if a else "",
                a.text if a else "",
                STATUS_ZH.get(a.status, a.status) if a else "",
                b.ordinal if b else "",
                b.text if b else "",
                STATUS_ZH.get(b.status, b.status) if b else "",
                a.iri if a else "",
                b.iri if b else "",
            ]
        )
    return out
