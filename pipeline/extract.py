"""Extract stage: policies, units, people, figures and the inspection of each bulletin.

The segmented bulletins' texts (opening, organisation section, problems, sub-items, measures,
tail) are streamed through one ``spacy.blank("zh")`` pipeline of rule components
(:mod:`pipeline.components`) with ``nlp.pipe(..., as_tuples=True)`` so each text's owner id
and offset travel with its Doc; spans are turned into typed mention records with offsets into
the source document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language

from .components import doc_text  # importing registers the factories
from .errors import Issue
from .records import (
    BulletinRec,
    Extraction,
    FigureMention,
    InspectionMention,
    PersonMention,
    PolicyMention,
    SourceDocument,
    Span,
    UnitMention,
)


def build_nlp() -> Language:
    """The extract pipeline: blank Chinese with rule components, rule data from data files."""
    nlp = spacy.blank("zh")
    nlp.add_pipe("xunshi_policies")
    nlp.add_pipe("xunshi_people")
    nlp.add_pipe("xunshi_regex", name="xunshi_figures", config={"spans_key": "figures", "data": "figures.jsonl"})
    nlp.add_pipe("xunshi_regex", name="xunshi_units", config={"spans_key": "units", "data": "units.jsonl"})
    nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def default_nlp() -> Language:
    return build_nlp()


@dataclass(frozen=True)
class _Ctx:
    bulletin: int  # index into the bulletins list
    owner: str  # the record id the text belongs to
    kind: str  # opening, organisation, problem, part, measure, tail
    base: int  # offset of the text in the document


def _texts(bulletins: list[BulletinRec]):
    for bi, b in enumerate(bulletins):
        if b.opening:
            yield b.opening.exact, _Ctx(bi, b.id, "opening", b.opening.start)
        if b.organisation:
            yield b.organisation.exact, _Ctx(bi, b.id, "organisation", b.organisation.start)
        if b.tail:
            yield b.tail.exact, _Ctx(bi, b.id, "tail", b.tail.start)
        for p in b.problems:
            yield p.text, _Ctx(bi, p.id, "problem", p.span.start)
            for part in p.parts:
                yield part.text, _Ctx(bi, p.id, "part", part.span.start)
            for m in p.measures:
                yield m.text, _Ctx(bi, m.id, "measure", m.span.start)


def extract(doc: SourceDocument, bulletins: list[BulletinRec], nlp: Language | None = None) -> tuple[list[Extraction], list[Issue]]:
    """Mentions of every bulletin of one document."""
    nlp = nlp or default_nlp()
    issues: list[Issue] = []
    per = [
        {"policies": [], "units": [], "people": [], "figures": []} for _ in bulletins
    ]
    for sdoc, ctx in nlp.pipe(_texts(bulletins), as_tuples=True):
        acc = per[ctx.bulletin]
        text = doc_text(sdoc)
        sp = lambda s, e: doc.span(ctx.base + s, ctx.base + e)  # noqa: E731
        for s in sdoc.spans.get("policies", []):
            relation, _, flag = s.label_.partition("|")
            unclosed = flag == "unclosed"
            if unclosed:
                issues.append(Issue("W020", doc.path, {"text": s.text[:30]}, ctx.base + s.start_char))
            verb = text[s._.verb_start:s._.verb_end] if s._.verb_start >= 0 else ""
            vspan = sp(s._.verb_start, s._.verb_end) if verb else None
            title_span = sp(s.start_char, s.end_char)
            title = title_span.exact
            prefix = _unit_prefix(text, s.start_char - 1, s._.verb_end)
            acc["policies"].append(
                PolicyMention(title, title_span, ctx.owner, relation, verb, vspan, unclosed, prefix)
            )
        if ctx.kind in ("problem", "part", "measure"):
            for s in sdoc.spans.get("figures", []):
                m = _FIG.match(text[s.start_char:s.end_char])
                if m:
                    acc["figures"].append(
                        FigureMention(m.group("value"), m.group("unit"), m.group(0), sp(s.start_char, s.end_char), ctx.owner)
                    )
        if ctx.kind in ("problem", "part"):
            for s in sdoc.spans.get("units", []):
                acc["units"].append(
                    UnitMention(
                        text[s.start_char:s.end_char],
                        sp(s.start_char, s.end_char),
                        ctx.owner,
                        "self" if s.label_ == "self" else "concerns",  # 园区 in a park's own bulletin
                        s.label_ == "anonymised",
                    )
                )
        if ctx.kind in ("organisation", "opening"):
            for s in sdoc.spans.get("people", []):
                rs, re_ = s._.verb_start, s._.verb_end
                acc["people"].append(
                    PersonMention(
                        name=text[s.start_char:s.end_char],
                        role=text[rs:re_],
                        span=sp(s.start_char, s.end_char),
                        role_span=sp(rs, re_),
                        owner=ctx.owner,
                        unit=bulletins[ctx.bulletin].issuer,
                    )
                )
    out = []
    for b, acc in zip(bulletins, per):
        insp = parse_inspection(doc, b)
        if insp is None:
            issues.append(Issue("W021", doc.path, {}, b.start))
        units = list(acc["units"])
        if b.issuer_span:
            units.append(UnitMention(b.issuer, b.issuer_span, b.id, "issuer"))
        out.append(
            Extraction(
                bulletin=b,
                policies=tuple(acc["policies"]),
                units=tuple(units),
                people=tuple(acc["people"]),
                figures=tuple(acc["figures"]),
                inspection=insp,
            )
        )
    return out, issues


_FIG = re.compile(r"(?P<value>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>.+)$")
_PREFIX_UNITS = re.compile(r"(?:湖南湘江新区|湘江新区|新区|园区|纪检监察工委|组织工作部|[一-龥]{2,8}(?:党工委|工委|党委|集团|高新区))$")


def _unit_prefix(text: str, open_pos: int, verb_end: int = -1) -> str:
    """A unit written just before the brackets (新区《…》), never including the verb."""
    lo = max(0, open_pos - 16, verb_end)
    m = _PREFIX_UNITS.search(text[lo:open_pos])
    return m.group(0) if m else ""


# --- the inspection in the opening paragraph -------------------------------------------------

CN_NUM = "一二三四五六七八九十百零"
RE_RANGE = re.compile(
    r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:至|到|—|-|–|~|～)\s*(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日"
)
RE_TEAM = re.compile(
    rf"((?:中央|(?:[一-龥]{{0,6}}?)(?:省委|市委|州委|区委|县委|旗委|党委|党组|工委))第[{CN_NUM}]+(?:巡视|巡察)组)"
)
RE_TEAM_ALIAS = re.compile(rf"((?:中央|省委|市委|州委|区委|县委)(?:巡视|巡察)([{CN_NUM}]+)组)")
RE_TARGET = re.compile(
    r"对(?P<unit>[^,,。;]{2,40}?)(?:[((]以下简称(?P<alias>[^))]{1,12})[))](?P<rest>[^,,。;]{0,20}?))?"
    r"(?:进行了|开展了|开展|进行|实施了)(?P<kind>(?:提级|延伸|专项|机动|常规|交叉)?(?:巡视|巡察))"
)
RE_FEEDBACK = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日[,,]?[^。]{0,30}?向(?P<to>[^。,,]{2,30}?)反馈")

LEVELS = (("中央", "中央"), ("省委", "省"), ("省纪委", "省"), ("市委", "市"), ("州委", "市"), ("区委", "区县"), ("县委", "区县"), ("旗委", "区县"))


def _iso(y, m, d) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def parse_inspection(doc: SourceDocument, b: BulletinRec) -> InspectionMention | None:
    """Team, kind, level, dates and inspected unit from the opening paragraph."""
    if b.opening is None:
        return None
    text, base = b.opening.exact, b.opening.start
    m_target = RE_TARGET.search(text)
    if not m_target:
        return None
    kind = m_target.group("kind")
    unit = m_target.group("unit")
    inspected_span = doc.span(base + m_target.start("unit"), base + m_target.end("unit"))
    alias = m_target.group("alias") or ""
    if alias:
        unit = unit + (m_target.group("rest") or "")
        inspected_span = doc.span(base + m_target.start("unit"), base + m_target.end("rest"))
    start = end = ""
    m = RE_RANGE.search(text)
    if m:
        y1, mo1, d1, y2, mo2, d2 = m.groups()
        y2 = y2 or y1
        start, end = _iso(y1, mo1, d1), _iso(y2, mo2, d2)
        if end < start and not m.group(4):  # a range across the year end
            end = _iso(int(y1) + 1, mo2, d2)
    team, team_span = "", None
    m = RE_TEAM.search(text)
    if m:
        team = m.group(1)
        team_span = doc.span(base + m.start(1), base + m.end(1))
    body = ""
    for key, _lvl in LEVELS:
        if team.startswith(key) or text.find(key) >= 0:
            body = key
            break
    level = next((lvl for key, lvl in LEVELS if body == key), "")
    feedback, feedback_to, feedback_to_span = "", "", None
    m = RE_FEEDBACK.search(text)
    if m:
        feedback = _iso(*m.groups()[:3])
        feedback_to = m.group("to")
        feedback_to_span = doc.span(base + m.start("to"), base + m.end("to"))
    return InspectionMention(
        owner=b.id,
        span=b.opening,
        kind=kind,
        team=team,
        level=level,
        body=body,
        start=start,
        end=end,
        feedback=feedback,
        inspected=unit,
        inspected_alias=alias,
        feedback_to=feedback_to,
        team_span=team_span,
        inspected_span=inspected_span,
        feedback_to_span=feedback_to_span,
    )
