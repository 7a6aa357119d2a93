"""The ``rounds`` enrich pass: earlier inspection rounds, recurrence cues, predecessor units.

Bulletins say in words that a problem was flagged before (``2019年省委巡视、2020年岳麓区委巡察
均存在此问题``, ``上轮省委巡视指出…``, ``上级审计反馈的…``) or that it persists (``仍然存在``,
``仍未杜绝``, a category titled ``落实巡视巡察整改不到位``). This pass reads the text of every
problem and of its feedback category (a problem inherits its category's mentions and cues;
the measures are never read, so 上一轮巡察 in a measure is no evidence of recurrence) and adds:

- one ``xs:Inspection`` per earlier round, ``xs:earlierRound true``, with what the text gives
  (year, month, level, kind, inspecting body, round, team, inspected unit), a clean label and an
  evidence span per mention; the problem gets ``xs:previouslyRaisedIn`` it. A round cited
  twice in one unit family is one node (keyed by year, month, body, kind, round and the
  inspected unit, or else the family). A dated mention that is the current inspection of
  another bulletin of the family reuses that node; an undated ``上轮…`` resolves to the latest
  earlier current inspection of the family, else becomes a node relative to the bulletin's
  current inspection. The bulletin's own round is never an earlier round.
- ``xs:recurrenceCue`` (the cue words as printed) and ``xs:recurrenceEvidence`` (their span).
- ``xs:predecessor true`` on units named with 原, and ``successor xs:successorOf predecessor``:
  the successor named in ``successions.jsonl``, else the unit the bulletin family is about.

The patterns are data (``pipeline/data/rounds.jsonl``, ``cues.jsonl``, ``successions.jsonl``).
Everything is iterated in sorted order and every IRI is content-derived, so builds stay
byte-identical.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .enrich import EnrichContext, add_span, evidence_of, register
from .errors import Issue
from .link import unit_key
from .records import stable_id
from .vocab import XR, XS

# ---------------------------------------------------------------- rule data


@dataclass(frozen=True)
class RoundPattern:
    """One row of ``rounds.jsonl`` of type ``pattern``: a regex with named groups (year, month,
    body, teamno, round, term, topic, kind, unit), a fixed ``kind`` when the regex has none,
    and ``not_after``: a regex that, matching the text right before a hit, vetoes it."""

    name: str
    regex: re.Pattern
    kind: str = ""
    not_after: re.Pattern | None = None


@dataclass(frozen=True)
class RoundRules:
    """Everything ``rounds.jsonl`` holds."""

    patterns: tuple[RoundPattern, ...]
    levels: tuple[tuple[str, str], ...]  # (body suffix, level), longest suffix first
    kinds: dict[str, str]  # printed kind -> base kind (提级巡视 -> 巡视)
    relative: dict[str, str]  # printed relative round -> normalised (上一轮 -> 上轮)

    def level_of(self, body: str) -> str:
        return next((lvl for suffix, lvl in self.levels if body.endswith(suffix)), "")

    def body_class(self, body: str) -> str:
        """The suffix that says what kind of body it is: 岳麓区委 -> 区委, 省委 -> 省委."""
        return next((suffix for suffix, _ in self.levels if body.endswith(suffix)), body)

    def base_kind(self, kind: str) -> str:
        return self.kinds.get(kind, kind)


def _rows(name: str) -> list[dict]:
    text = (resources.files("pipeline.data") / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@lru_cache(maxsize=1)
def round_rules() -> RoundRules:
    patterns, levels, kinds, relative = [], [], {}, {}
    for r in _rows("rounds.jsonl"):
        if r["type"] == "pattern":
            veto = re.compile(r["not_after"]) if r.get("not_after") else None
            patterns.append(RoundPattern(r["name"], re.compile(r["pattern"]), r.get("kind", ""), veto))
        elif r["type"] == "level":
            levels.append((r["suffix"], r["level"]))
        elif r["type"] == "kind":
            kinds[r["printed"]] = r["base"]
        elif r["type"] == "relative":
            relative[r["round"]] = r["as"]
    levels.sort(key=lambda sl: (-len(sl[0]), sl[0]))
    return RoundRules(tuple(patterns), tuple(levels), kinds, relative)


@dataclass(frozen=True)
class Cue:
    regex: re.Pattern


@lru_cache(maxsize=1)
def cue_rules() -> tuple[Cue, ...]:
    return tuple(Cue(re.compile(r["pattern"])) for r in _rows("cues.jsonl"))


@lru_cache(maxsize=1)
def successions() -> tuple[dict, ...]:
    return tuple(_rows("successions.jsonl"))


# ---------------------------------------------------------------- finding mentions in text


@dataclass(frozen=True)
class RoundMention:
    """An earlier round named in a text; offsets are into that text."""

    start: int
    end: int
    exact: str
    rule: str
    year: str = ""
    month: str = ""  # 1-12 without a leading zero, "" when not printed
    body: str = ""  # 省委, 岳麓区委, 市纪委监委, 上级 …
    kind: str = ""  # 巡视, 巡察, 交叉检查, 审计 …
    round: str = ""  # 第一轮, 上轮, 十二届省委第四轮 …
    team: str = ""  # 县委第二巡察组, when the number is printed
    topic: str = ""  # 春节期间作风建设
    unit: str = ""  # the inspected unit when printed (湖南, 原长沙高新区)
    unit_start: int = -1
    unit_end: int = -1

    @property
    def relative(self) -> bool:
        """上轮… or an undated mention without a numbered round (上级审计): only meaningful
        relative to the bulletin's current inspection."""
        return self.round in round_rules().relative or (not self.year and not self.round)

    def shifted(self, delta: int) -> RoundMention:
        us = self.unit_start + delta if self.unit_start >= 0 else -1
        ue = self.unit_end + delta if self.unit_end >= 0 else -1
        return replace(self, start=self.start + delta, end=self.end + delta, unit_start=us, unit_end=ue)


def _group(m: re.Match, name: str) -> str:
    return (m.group(name) or "") if name in m.re.groupindex else ""


def _mention(m: re.Match, p: RoundPattern) -> RoundMention:
    body = _group(m, "body")
    kind = _group(m, "kind") or p.kind
    teamno = _group(m, "teamno")
    unit = _group(m, "unit")
    month = _group(m, "month")
    return RoundMention(
        start=m.start(),
        end=m.end(),
        exact=m.group(0),
        rule=p.name,
        year=_group(m, "year"),
        month=str(int(month)) if month else "",
        body=body,
        kind=kind,
        round=_group(m, "round"),
        team=f"{body}{teamno}{kind[-2:]}组" if teamno else "",
        topic=_group(m, "topic"),
        unit=unit,
        unit_start=m.start("unit") if unit else -1,
        unit_end=m.end("unit") if unit else -1,
    )


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def find_rounds(text: str) -> list[RoundMention]:
    """Earlier rounds named in ``text`` (a problem or a category label), in text order, no
    two overlapping (the longer hit wins). ``本轮巡视`` and undated mentions without 上轮 or a
    numbered round are not earlier rounds and are not returned. Full-width digits
    (２０１９年省委巡视) are read as digits (the year comes out as 2019; ``exact`` and the
    offsets stay the printed text's)."""
    folded = text.translate(_FULLWIDTH_DIGITS)  # one character for one: offsets unchanged
    wide = folded != text  # (translate makes a new string either way)
    hits = []
    for p in round_rules().patterns:
        for m in p.regex.finditer(folded):
            if p.not_after is not None and p.not_after.search(folded[: m.start()]):
                continue
            hit = _mention(m, p)
            hits.append(replace(hit, exact=text[hit.start : hit.end]) if wide else hit)
    hits.sort(key=lambda h: (h.start, -(h.end - h.start), h.rule))
    kept: list[RoundMention] = []
    for h in hits:
        if not kept or h.start >= kept[-1].end:
            kept.append(h)
    return kept


def find_cues(text: str) -> list[tuple[int, int, str]]:
    """Recurrence cues in ``text``: (start, end, words as printed), in text order, no overlaps."""
    hits = sorted(
        {(m.start(), m.end(), m.group(0)) for c in cue_rules() for m in c.regex.finditer(text) if m.end() > m.start()},
        key=lambda h: (h[0], -(h[1] - h[0])),
    )
    kept: list[tuple[int, int, str]] = []
    for h in hits:
        if not kept or h[0] >= kept[-1][1]:
            kept.append(h)
    return kept


# ---------------------------------------------------------------- what the graph already holds


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


@dataclass(frozen=True)
class CurrentRound:
    """The current inspection a bulletin reports on, as the build emitted it."""

    node: URIRef
    bulletin: URIRef
    position: int  # 0 = main bulletin
    family: str  # IRI of the unit the bulletin family is about
    kind: str
    body: str
    team: str
    year: str
    date: str  # start, else feedback date, else year: for ordering rounds
    months: frozenset[str]  # months the inspection ran or fed back in ("2023-03" …)
    inspected: str  # IRI of its inspected unit, "" if none


def _str(g: Graph, s, p) -> str:
    v = g.value(s, p)
    return str(v) if v is not None else ""


def _months(start: str, end: str, feedback: str) -> frozenset[str]:
    months = {d[:7] for d in (start, end, feedback) if len(d) >= 7}
    if len(start) >= 7 and len(end) >= 7:
        y, m = int(start[:4]), int(start[5:7])
        while f"{y:04d}-{m:02d}" < end[:7]:
            months.add(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return frozenset(months)


@dataclass
class Corpus:
    """Bulletins, their families and current rounds, units by normalised name."""

    g: Graph
    family: dict[URIRef, str] = field(default_factory=dict)  # bulletin -> family unit IRI
    current: dict[URIRef, CurrentRound] = field(default_factory=dict)  # bulletin -> its round
    doc_family: dict[URIRef, str] = field(default_factory=dict)  # source document -> family
    units: dict[str, URIRef] = field(default_factory=dict)  # unit_key -> unit IRI

    @classmethod
    def read(cls, g: Graph) -> Corpus:
        c = cls(g)
        bulletins = sorted(g.subjects(RDF.type, XS.Bulletin))
        for b in bulletins:
            main = g.value(b, DCTERMS.isPartOf) or b
            ins = g.value(main, XS.reportsOn)
            unit = (g.value(ins, XS.inspectedUnit) if ins is not None else None) or g.value(main, DCTERMS.publisher)
            c.family[b] = str(unit if unit is not None else main)
            ev = evidence_of(g, b)
            if ev is not None and main == b:
                c.doc_family.setdefault(ev[0], c.family[b])
        for b in bulletins:
            ins = g.value(b, XS.reportsOn)
            if ins is not None:
                c.current[b] = c._round(b, ins)
        for u in sorted(g.subjects(RDF.type, XS.Unit)):
            if g.value(u, XS.anonymised) is not None and g.value(u, XS.anonymised).toPython():
                continue
            for p in (SKOS.prefLabel, SKOS.altLabel):
                for label in sorted(str(x) for x in g.objects(u, p)):
                    c.units.setdefault(unit_key(label), u)
        return c

    def _round(self, b: URIRef, ins: URIRef) -> CurrentRound:
        g = self.g
        start, end, fb = _str(g, ins, PROV.startedAtTime), _str(g, ins, PROV.endedAtTime), _str(g, ins, XS.feedbackDate)
        year = _str(g, ins, XS.year)
        pos = g.value(b, XS.position)
        return CurrentRound(
            node=ins,
            bulletin=b,
            position=int(pos) if pos is not None else 0,
            family=self.family[b],
            kind=_str(g, ins, XS.inspectionKind),
            body=_str(g, ins, XS.inspectingBody),
            team=_str(g, ins, XS.team),
            year=year,
            date=start or fb or year,
            months=_months(start, end, fb),
            inspected=_str(g, ins, XS.inspectedUnit),
        )


# ---------------------------------------------------------------- resolving mentions to nodes


@dataclass
class EarlierRound:
    """A new earlier-round node being assembled from its mentions."""

    node: URIRef
    labels: set[str] = field(default_factory=set)
    year: str = ""
    month: str = ""  # yyyy-mm
    body: str = ""
    kind: str = ""
    rounds: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)
    unit: URIRef | None = None


@dataclass(frozen=True)
class Located:
    """A mention with absolute offsets, the problem citing it and where it stands."""

    mention: RoundMention
    problem: URIRef
    bulletin: URIRef
    doc: URIRef


def _anchor_label(r: RoundRules, cur: CurrentRound) -> str:
    """2023年省委第十四巡视组巡视: what a relative mention is relative to."""
    return (f"{cur.year}年" if cur.year else "") + f"{cur.team or cur.body}{r.base_kind(cur.kind)}"


def mention_label(m: RoundMention) -> str:
    """A clean label: the mention without 组, 指出 …: 2021年9月岳麓区委第一轮巡察."""
    when = (f"{m.year}年" if m.year else "") + (f"{m.month}月" if m.month else "")
    if "届" in m.round:
        return f"{when}{m.round}{m.kind}"  # 十二届省委第四轮巡视
    if m.round in round_rules().relative:
        return f"{m.round}{m.body}{m.topic}{m.kind}{m.unit}"
    return f"{when}{m.body}{m.round}{m.topic}{m.kind}{m.unit}"


class Resolver:
    """Turns located mentions into Inspection nodes: reused current rounds or new nodes."""

    def __init__(self, g: Graph, ctx: EnrichContext, corpus: Corpus):
        self.g, self.ctx, self.corpus = g, ctx, corpus
        self.rules = round_rules()
        self.new: dict[URIRef, EarlierRound] = {}
        self.links: set[tuple[URIRef, URIRef]] = set()  # (problem, inspection)
        self.evidence: set[tuple[URIRef, URIRef]] = set()  # (inspection, span)
        self.unit_evidence: set[tuple[URIRef, URIRef]] = set()
        self.new_units: dict[URIRef, str] = {}  # unit IRI -> label
        self.reported: set[tuple] = set()  # (code, document, offset) of issues already reported

    # -- units

    def unit_of(self, loc: Located) -> URIRef | None:
        m = loc.mention
        if not m.unit:
            return None
        key = unit_key(m.unit)
        u = self.corpus.units.get(key)
        if u is None:
            u = XR[stable_id("unit", key)]
            self.new_units.setdefault(u, m.unit)
        text = self.ctx.text_of(loc.doc)
        self.unit_evidence.add((u, add_span(self.g, loc.doc, m.unit_start, m.unit_end, text)))
        return u

    # -- matching current rounds

    def _same_body(self, m: RoundMention, cur: CurrentRound) -> bool:
        return not m.body or self.rules.body_class(m.body) == self.rules.body_class(cur.body)

    def _same_unit(self, cur: CurrentRound, unit: URIRef | None, family: str) -> bool:
        return cur.inspected == str(unit) if unit is not None else cur.family == family

    def _rounds_of(self, unit: URIRef | None, family: str) -> list[CurrentRound]:
        """The current rounds :meth:`_same_unit` accepts, from an index (a scan of every
        bulletin's round per mention made the pass quadratic in the corpus)."""
        current = self.corpus.current
        index = getattr(self, "_round_index", None)
        if index is None or index[0] != len(current):
            by_unit: dict[str, list[CurrentRound]] = {}
            by_family: dict[str, list[CurrentRound]] = {}
            for c in current.values():
                by_unit.setdefault(c.inspected, []).append(c)
                by_family.setdefault(c.family, []).append(c)
            index = self._round_index = (len(current), by_unit, by_family)
        return index[1].get(str(unit), []) if unit is not None else index[2].get(family, [])

    def _month_fits(self, m: RoundMention, cur: CurrentRound) -> bool:
        return not m.month or f"{int(m.year):04d}-{int(m.month):02d}" in cur.months

    def is_own_round(self, m: RoundMention, own: CurrentRound | None) -> bool:
        return (
            own is not None
            and m.year == own.year
            and self.rules.base_kind(m.kind) == self.rules.base_kind(own.kind)
            and self._same_body(m, own)
        )

    def dated_match(self, m: RoundMention, own: CurrentRound | None, unit, family: str) -> CurrentRound | None:
        """The current round of another bulletin that a dated mention names."""
        found = [
            c
            for c in self._rounds_of(unit, family)
            if (own is None or c.node != own.node)
            and c.year == m.year
            and self.rules.base_kind(c.kind) == self.rules.base_kind(m.kind)
            and m.body
            and self._same_body(m, c)
            and self._month_fits(m, c)
            and self._same_unit(c, unit, family)
        ]
        return min(found, key=lambda c: (c.position, str(c.node)), default=None)

    def previous_match(self, m: RoundMention, own: CurrentRound, unit, family: str) -> CurrentRound | None:
        """The latest current round of the family before ``own`` that 上轮… can mean."""
        found = [
            c
            for c in self._rounds_of(unit, family)
            if c.date < own.date
            and self.rules.base_kind(c.kind) == self.rules.base_kind(m.kind)
            and self._same_body(m, c)
            and self._same_unit(c, unit, family)
        ]
        found.sort(key=lambda c: (c.position, str(c.node)))
        return max(found, key=lambda c: c.date, default=None)  # the first of the latest

    # -- the pass

    def add(self, loc: Located) -> None:
        m, corpus = loc.mention, self.corpus
        own = corpus.current.get(loc.bulletin)
        family = corpus.family.get(loc.bulletin, str(loc.bulletin))
        if m.year and own is not None and own.year and (m.year > own.year or self.is_own_round(m, own)):
            if m.year > own.year:
                self._issue("W041", loc, current=_anchor_label(self.rules, own))
            return
        unit = self.unit_of(loc)
        target = None
        if m.year:
            target = self.dated_match(m, own, unit, family)
        elif m.round in self.rules.relative and own is not None:
            target = self.previous_match(m, own, unit, family)
        node = target.node if target is not None else self._earlier_node(loc, own, unit, family)
        text = self.ctx.text_of(loc.doc)
        self.links.add((loc.problem, node))
        self.evidence.add((node, add_span(self.g, loc.doc, m.start, m.end, text)))

    def _earlier_node(self, loc: Located, own: CurrentRound | None, unit, family: str) -> URIRef:
        m, r = loc.mention, self.rules
        scope = str(unit) if unit is not None else family
        round_key = r.relative.get(m.round, m.round)
        key = (nfkc(m.year), m.month, nfkc(m.body), nfkc(m.kind), nfkc(round_key), scope)
        label = mention_label(m)
        if m.relative:
            if own is not None:
                anchor = ("round", own.year, own.team or own.body, r.base_kind(own.kind), own.family)
                label += f"(相对于{_anchor_label(r, own)})"
            else:
                main = self.g.value(loc.bulletin, DCTERMS.isPartOf) or loc.bulletin
                anchor = ("bulletin", str(main))
                label += f"(相对于{self._bulletin_name(main)})"
                self._issue("W040", loc)
            key = key + anchor
        node = XR[stable_id("inspection", "earlier", *key)]
        er = self.new.setdefault(node, EarlierRound(node))
        er.labels.add(label)
        # the mentions of one node agree on these up to NFKC (the key): the smallest printed
        # form is kept, and the unit once any mention names it (a mention naming none shares
        # the node when its family is that unit) — whatever order the mentions come in
        month = f"{int(m.year):04d}-{int(m.month):02d}" if m.month else ""
        for name, value in (("year", m.year), ("body", m.body), ("kind", m.kind), ("month", month)):
            if value and (not getattr(er, name) or value < getattr(er, name)):
                setattr(er, name, value)
        if unit is not None:
            er.unit = unit
        if m.round:
            er.rounds.add(m.round)
        if m.team:
            er.teams.add(m.team)
        return node

    def _bulletin_name(self, b: URIRef) -> str:
        """中共青禾县水利局党组关于…的通报: the issuer and title of a bulletin."""
        title = _str(self.g, b, DCTERMS.title)
        publisher = self.g.value(b, DCTERMS.publisher)
        issuer = _str(self.g, publisher, SKOS.prefLabel) if publisher is not None else ""
        return title if title.startswith(issuer) else issuer + title

    def _issue(self, code: str, loc: Located, **detail) -> None:
        """Report once per mention, however many problems inherit it from their category."""
        key = (code, loc.doc, loc.mention.start)
        if key in self.reported:
            return
        self.reported.add(key)
        source = _str(self.g, loc.doc, DCTERMS.source)
        self.ctx.issues.append(Issue(code, source, {"text": loc.mention.exact, **detail}, loc.mention.start, order=str(loc.problem)))

    def emit(self) -> None:
        g = self.g
        for u, label in sorted(self.new_units.items()):
            g.add((u, RDF.type, XS.Unit))
            g.add((u, SKOS.prefLabel, Literal(label, lang="zh")))
            g.add((u, RDFS.label, Literal(label, lang="zh")))
        for u, sp in sorted(self.unit_evidence):
            g.add((u, XS.evidence, sp))
        for node in sorted(self.new):
            self._emit_round(self.new[node])
        for node, sp in sorted(self.evidence):
            g.add((node, XS.evidence, sp))
        for problem, node in sorted(self.links):
            g.add((problem, XS.previouslyRaisedIn, node))

    def _emit_round(self, er: EarlierRound) -> None:
        g, n, zh = self.g, er.node, (lambda s: Literal(s, lang="zh"))
        g.add((n, RDF.type, XS.Inspection))
        g.add((n, XS.earlierRound, Literal(True)))
        g.add((n, RDFS.label, zh(min(er.labels, key=lambda s: (-len(s), s)))))
        if er.year:
            g.add((n, XS.year, Literal(er.year, datatype=XSD.gYear)))
        if er.month:
            g.add((n, XS.month, Literal(er.month, datatype=XSD.gYearMonth)))
        if er.kind:
            g.add((n, XS.inspectionKind, zh(er.kind)))
        if er.body:
            g.add((n, XS.inspectingBody, zh(er.body)))
            level = self.rules.level_of(er.body)
            if level:
                g.add((n, XS.level, zh(level)))
        for rd in sorted(er.rounds):
            g.add((n, XS.round, zh(rd)))
        if er.teams:
            g.add((n, XS.team, zh(min(er.teams))))
        if er.unit is not None:
            g.add((n, XS.inspectedUnit, er.unit))


# ---------------------------------------------------------------- scanning problems


def scopes(g: Graph, ctx: EnrichContext, problem: URIRef) -> list[tuple[URIRef, int, str]]:
    """(document, start, text) of the problem's own text and of its category's label."""
    out = []
    for node in (problem, g.value(problem, XS.inCategory)):
        ev = evidence_of(g, node) if node is not None else None
        if ev is not None:
            doc, s, e = ev
            text = ctx.text_of(doc)
            if 0 <= s < e <= len(text):
                out.append((doc, s, text[s:e]))
    return out


def scan_problem(g: Graph, ctx: EnrichContext, problem: URIRef, resolver: Resolver) -> None:
    bulletin = g.value(problem, XS.inBulletin)
    cues: set[tuple[URIRef, int, int]] = set()
    seen: set[tuple[URIRef, int, int]] = set()
    for doc, base, text in scopes(g, ctx, problem):
        for m in find_rounds(text):
            if (doc, base + m.start, base + m.end) not in seen:
                seen.add((doc, base + m.start, base + m.end))
                resolver.add(Located(m.shifted(base), problem, bulletin, doc))
        for s, e, _words in find_cues(text):
            cues.add((doc, base + s, base + e))
    for doc, s, e in sorted(cues):
        text = ctx.text_of(doc)
        g.add((problem, XS.recurrenceCue, Literal(text[s:e], lang="zh")))
        g.add((problem, XS.recurrenceEvidence, add_span(g, doc, s, e, text)))


# ---------------------------------------------------------------- predecessor units


def link_predecessors(g: Graph, corpus: Corpus) -> None:
    """原… units: ``xs:predecessor true`` and ``successor xs:successorOf predecessor``."""
    named = {unit_key(r["predecessor"]): r for r in successions()}
    labels = {unit_key(str(lbl)): u for u in sorted(g.subjects(RDF.type, XS.Unit))
              for lbl in sorted(g.objects(u, SKOS.prefLabel)) if not str(lbl).startswith("原")}
    for u in sorted(g.subjects(RDF.type, XS.Unit)):
        label = min((str(x) for x in g.objects(u, SKOS.prefLabel)), default="")
        if not label.startswith("原"):
            continue
        g.add((u, XS.predecessor, Literal(True)))
        row = named.get(unit_key(label))
        successors = set()
        if row is not None and unit_key(row["successor"]) in labels:
            successors.add(labels[unit_key(row["successor"])])
        else:
            for sp in g.objects(u, XS.evidence):
                fam = corpus.doc_family.get(g.value(sp, XS.inDocument))
                if fam:
                    successors.add(URIRef(fam))
        for s in sorted(successors - {u}):
            g.add((s, XS.successorOf, u))
        if row is not None:
            for prop, key in ((XS.validFrom, "validFrom"), (XS.validTo, "validTo")):
                if row.get(key):
                    g.add((u, prop, Literal(str(row[key]), datatype=XSD.gYear)))


# ---------------------------------------------------------------- the pass


@register("rounds", 10)
def rounds_pass(g: Graph, ctx: EnrichContext) -> None:
    """Earlier rounds, recurrence cues and predecessor units (see the module docstring)."""
    corpus = Corpus.read(g)
    resolver = Resolver(g, ctx, corpus)
    for problem in sorted(g.subjects(RDF.type, XS.Problem)):
        scan_problem(g, ctx, problem, resolver)
    resolver.emit()
    link_predecessors(g, corpus)
