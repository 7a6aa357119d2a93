"""Extract stage: policies, units, people, figures and the inspection of each bulletin.

The segmented bulletins' texts (opening, organisation section, problems, sub-items, measures,
tail) are streamed through one ``spacy.blank("zh")`` pipeline of rule components
(:mod:`pipeline.components`) with ``nlp.pipe(..., as_tuples=True)`` so each text's owner id
and offset travel with its Doc; spans are turned into typed mention records with offsets into
the source document. The texts fed to spaCy are the matching text
(:func:`pipeline.ingest.match_text`, simplified for traditional-character documents); spans
keep the original.

The bulletin's own summary (反馈问题25个,已完成整改19个,完成率76% … in the opening) becomes
figures owned by the bulletin, and :func:`count_checks` compares the reported counts with the
statuses of the problems found (W031, W033, W034).
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

import spacy
from spacy.language import Language

from .components import CharTokenizer, doc_text  # importing registers the factories
from .errors import Issue
from .ingest import match_text
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
    nlp.tokenizer = CharTokenizer(nlp.vocab)  # the same tokens as spaCy's, in linear time
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


def _texts(bulletins: list[BulletinRec], text: str):
    """(matching text, context) of every stretch of each bulletin that mentions are read from."""
    for bi, b in enumerate(bulletins):
        for sp, kind in ((b.opening, "opening"), (b.organisation, "organisation"), (b.tail, "tail")):
            if sp:
                yield text[sp.start:sp.end], _Ctx(bi, b.id, kind, sp.start)
        for p in b.problems:
            yield text[p.span.start:p.span.end], _Ctx(bi, p.id, "problem", p.span.start)
            for part in p.parts:
                yield text[part.span.start:part.span.end], _Ctx(bi, p.id, "part", part.span.start)
            for m in p.measures:
                yield text[m.span.start:m.span.end], _Ctx(bi, m.id, "measure", m.span.start)


def extract(doc: SourceDocument, bulletins: list[BulletinRec], nlp: Language | None = None) -> tuple[list[Extraction], list[Issue]]:
    """Mentions of every bulletin of one document."""
    nlp = nlp or default_nlp()
    issues: list[Issue] = []
    per = [
        {"policies": [], "units": [], "people": [], "figures": []} for _ in bulletins
    ]
    mtext = match_text(doc.text)
    for sdoc, ctx in nlp.pipe(_texts(bulletins, mtext), as_tuples=True):
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
        acc["figures"].extend(summary_figures(doc, b, nlp if "xunshi_figures" in nlp.pipe_names else None))
        issues.extend(count_checks(doc, b)[1])
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
# a date as printed in an opening: 2023年3月9日, 3月9日, 2023年3月, 3月下旬, 3月底
_DATE = r"(?:(?P<{p}y>\d{{4}})年)?(?P<{p}m>\d{{1,2}})月(?:(?P<{p}d>\d{{1,2}})日|(?P<{p}v>上旬|中旬|下旬|初|底|末|中旬|中|份))?"
RE_SPAN = re.compile(
    _DATE.format(p="a")
    + r"\s*(?:至|到|—|-|–|~|～)\s*(?:"
    + _DATE.format(p="b")
    + r"|(?P<bday>\d{1,2})日)"
)
RE_TEAM = re.compile(
    rf"((?:中央|(?:[一-龥]{{0,6}}?)(?:省委|市委|州委|区委|县委|旗委|党委|党组|工委))第[{CN_NUM}0-9]+(?:巡视|巡察)组)"
)
# 县委巡察三组 / 县委巡察第三组 / 县委第3巡察组: the same team as 县委第三巡察组
RE_TEAM_ALIAS = re.compile(
    rf"((?:中央|(?:[一-龥]{{0,6}}?)(?:省委|市委|州委|区委|县委|旗委|党委|党组|工委)))(巡视|巡察)第?([{CN_NUM}]+|[0-9]+)组"
)
RE_ROUND = re.compile(
    rf"(?:[{CN_NUM}0-9]+届)?(?:中央|省委|市委|州委|区委|县委|旗委|党委|党组|工委)?(?:[0-9]{{4}}年(?:度)?)?第[{CN_NUM}0-9]+轮"
)
_KIND = r"(?P<kind>(?:提级|延伸|专项|机动|常规|交叉|联动|点穴式)?(?:巡视|巡察))"
RE_TARGET = re.compile(
    r"对(?P<unit>[^,,。;]{2,40}?)(?:[((]以下简称(?P<alias>[^))]{1,12})[))](?P<rest>[^,,。;]{0,20}?))?"
    r"(?:进行了|开展了|开展|进行|实施了|实施)(?:为期[^,,。;]{1,12}?的)?" + _KIND
)
RE_TARGET_STATIONED = re.compile(
    r"进驻(?P<unit>[^,,。;]{2,40}?)(?:[((]以下简称(?P<alias>[^))]{1,12})[))](?P<rest>)?)?"
    r"(?:进行了|开展了|开展|进行|实施了|实施)(?:为期[^,,。;]{1,12}?的)?" + _KIND
)
# how the feedback was given, between the unit and 反馈 (向…党组集中反馈, 向…正式反馈了): not the unit's name
_FEEDBACK_MANNER = r"(?:集中|正式|书面|当面|分别)?(?:进行了|进行|作了)?"
RE_FEEDBACK = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日[,,]?[^。]{0,30}?向(?P<to>[^。,,]{2,30}?)" + _FEEDBACK_MANNER + "反馈")
RE_DATE_ANY = re.compile(r"(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
RE_FEEDBACK_TO = re.compile(r"向(?P<to>[^。,,]{2,30}?)" + _FEEDBACK_MANNER + "$")

LEVELS = (("中央", "中央"), ("省委", "省"), ("省纪委", "省"), ("市委", "市"), ("州委", "市"), ("区委", "区县"), ("县委", "区县"), ("旗委", "区县"))
_VAGUE_START = {"初": 1, "上旬": 1, "中": 11, "中旬": 11, "下旬": 21, "底": 21, "末": 21, "份": 1, None: 1}
_VAGUE_END = {"初": 10, "上旬": 10, "中": 20, "中旬": 20}


def _iso(y, m, d) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _valid(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1]


def _cn_int(text: str) -> int:
    """十四 → 14, 三 → 3, 12 → 12 (numbers up to 99)."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
    return digits.get(text, 0)


def _cn_str(n: int) -> str:
    """14 → 十四 (as teams are usually printed)."""
    d = "零一二三四五六七八九"
    if n < 10:
        return d[n]
    if n < 20:
        return "十" + (d[n % 10] if n % 10 else "")
    return d[n // 10] + "十" + (d[n % 10] if n % 10 else "")


def canonical_team(text: str) -> str:
    """The team name in its usual form: 县委巡察三组 / 县委第3巡察组 → 县委第三巡察组."""
    m = RE_TEAM_ALIAS.fullmatch(text)
    if m:
        return f"{m.group(1)}第{_cn_str(_cn_int(m.group(3)))}{m.group(2)}组"
    m = re.fullmatch(r"(.*第)([0-9]+)((?:巡视|巡察)组)", text)
    if m:
        return f"{m.group(1)}{_cn_str(int(m.group(2)))}{m.group(3)}"
    return text


def inspection_dates(text: str) -> tuple[str, str]:
    """(start, end) ISO dates of the inspection period printed in ``text``.

    The second date may omit its year (2023年11月8日至1月10日 runs across the year end) or its
    month (3月9日至29日); vague ends are resolved to the bounds of the period they name: a start
    of 下旬 is the 21st, an end of 月底 the last day of that month, a month alone its first or
    last day.
    """
    m = RE_SPAN.search(text)
    if not m or not m.group("ay"):
        return "", ""
    y1, m1 = int(m.group("ay")), int(m.group("am"))
    d1 = int(m.group("ad")) if m.group("ad") else _VAGUE_START.get(m.group("av"), 1)
    if m.group("bday"):
        y2, m2, d2 = y1, m1, int(m.group("bday"))
    else:
        y2 = int(m.group("by")) if m.group("by") else y1
        m2 = int(m.group("bm"))
        if m.group("bd"):
            d2 = int(m.group("bd"))
        elif 1 <= m2 <= 12:
            d2 = _VAGUE_END.get(m.group("bv"), calendar.monthrange(y2, m2)[1])
        else:
            d2 = 0
        if not m.group("by") and (m2, d2) < (m1, d1):
            y2 += 1  # a range across the year end
            if not m.group("bd") and 1 <= m2 <= 12:
                d2 = _VAGUE_END.get(m.group("bv"), calendar.monthrange(y2, m2)[1])
    if not (_valid(y1, m1, d1) and _valid(y2, m2, d2)):
        return "", ""
    return _iso(y1, m1, d1), _iso(y2, m2, d2)


def inspection_round(doc: SourceDocument, b: BulletinRec) -> tuple[str, Span | None]:
    """The round named in the opening (十二届省委第四轮, 2023年县委第二轮), as printed, and its span."""
    if b.opening is None:
        return "", None
    text = match_text(doc.text)[b.opening.start:b.opening.end]
    m = RE_ROUND.search(text)
    if not m:
        return "", None
    sp = doc.span(b.opening.start + m.start(), b.opening.start + m.end())
    return sp.exact, sp


def parse_inspection(doc: SourceDocument, b: BulletinRec) -> InspectionMention | None:
    """Team, kind, level, dates and inspected unit from the opening paragraph."""
    if b.opening is None:
        return None
    base = b.opening.start
    text = match_text(doc.text)[base:b.opening.end]
    m_target = RE_TARGET.search(text) or RE_TARGET_STATIONED.search(text)
    if not m_target:
        return None
    kind = m_target.group("kind")
    unit = doc.text[base + m_target.start("unit"):base + m_target.end("unit")]
    inspected_span = doc.span(base + m_target.start("unit"), base + m_target.end("unit"))
    alias = m_target.group("alias") or ""
    if alias:
        rest = m_target.group("rest")
        end = m_target.end("rest") if rest is not None else m_target.end("unit")
        if rest:
            unit = unit + doc.text[base + m_target.start("rest"):base + end]
        inspected_span = doc.span(base + m_target.start("unit"), base + end)
        alias = doc.text[base + m_target.start("alias"):base + m_target.end("alias")]
    start, end = inspection_dates(text)
    team, team_span = "", None
    m = RE_TEAM.search(text) or RE_TEAM_ALIAS.search(text)
    if m:
        team = canonical_team(m.group(0))
        team_span = doc.span(base + m.start(), base + m.end())
    body = ""
    if team:
        body = next((key for key, _lvl in LEVELS if team.startswith(key) or key in team), "")
    if not body:
        found = [(text.find(key), key) for key, _lvl in LEVELS if key in text]
        body = min(found)[1] if found else ""
    level = next((lvl for key, lvl in LEVELS if body == key), "")
    feedback, feedback_to, feedback_to_span = "", "", None
    m = RE_FEEDBACK.search(text)
    if m:
        feedback = _iso(*m.groups()[:3])
        feedback_to = doc.text[base + m.start("to"):base + m.end("to")]
        feedback_to_span = doc.span(base + m.start("to"), base + m.end("to"))
    else:
        feedback, feedback_to, feedback_to_span = _feedback_without_year(doc, text, base, start or end)
    round_text, round_span = inspection_round(doc, b)
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
        round=round_text,
        round_span=round_span,
    )


def _feedback_without_year(doc: SourceDocument, text: str, base: int, period: str) -> tuple[str, str, Span | None]:
    """The feedback date when printed without a year (7月10日,…反馈) or without 向…: the date
    nearest before 反馈 in the same sentence; without a year, the inspection's year (the next
    one when the month comes before the period's end)."""
    for fb in re.finditer("反馈", text):
        lo = max(text.rfind("。", 0, fb.start()) + 1, fb.start() - 50)
        dates = list(RE_DATE_ANY.finditer(text, lo, fb.start()))
        if not dates:
            continue
        m = dates[-1]
        mo, d = int(m.group("m")), int(m.group("d"))
        if m.group("y"):
            y = int(m.group("y"))
        elif period:
            y = int(period[:4]) + (1 if (mo, d) < (int(period[5:7]), int(period[8:10])) else 0)
        else:
            continue
        if not _valid(y, mo, d):
            continue
        to = RE_FEEDBACK_TO.search(text, m.end(), fb.start())
        if to:
            sp = doc.span(base + to.start("to"), base + to.end("to"))
            return _iso(y, mo, d), sp.exact, sp
        return _iso(y, mo, d), "", None
    return "", "", None


# --- the bulletin's own summary: figures and reported counts ---------------------------------

_CLAUSE_STOP = set(",,。;;::、!!??\n()()“”\"")
_FIGURE_NOUN = re.compile(r"(?:具体)?(?:问题|事项|任务)")


@dataclass(frozen=True)
class ReportedCount:
    """A count the bulletin reports about itself (反馈问题25个 …)."""

    what: str  # total, completed, partial, in_progress, long_term, not_completed, rate
    label: str  # 反馈问题, 已完成整改 … (for messages)
    value: Decimal
    span: Span


@lru_cache(maxsize=1)
def _summary_rules() -> tuple[tuple[str, str, re.Pattern], ...]:
    rows = []
    for line in (resources.files("pipeline.data") / "summary.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append((r["what"], r["label"], re.compile(r["pattern"])))
    return tuple(rows)


def summary_regions(b: BulletinRec) -> list[tuple[int, int]]:
    """Where a bulletin states its own summary: the opening (after the title, before the first
    section, category or problem) and the lead-in of each section listing items (between the
    heading and its first item). The organisation section is not one: its counts are of
    meetings and of the problems one leader took on."""
    firsts = [c.span.start for c in b.categories] + [p.line_span.start for p in b.problems]
    out = []
    stop = min([s.start for s in b.sections] + firsts + [b.end])
    if b.title_span.end < stop:
        out.append((b.title_span.end, stop))
    for sec in b.sections:
        if sec.kind not in ("done", "unfinished"):
            continue
        inside = [x for x in firsts if sec.span.end <= x < sec.end]
        stop = min(inside + [sec.end])
        if inside and sec.span.end < stop:
            out.append((sec.span.end, stop))
    return out


def summary_figures(doc: SourceDocument, b: BulletinRec, nlp: Language | None = None) -> list[FigureMention]:
    """Figures printed in the bulletin's summary, owned by the bulletin; each span takes in the
    words before the number up to the clause start (反馈问题25个, 追缴资金7.13万元)."""
    nlp = nlp or default_nlp()
    mtext = match_text(doc.text)
    out: list[FigureMention] = []
    for s0, e0 in summary_regions(b):
        sdoc = nlp.make_doc(mtext[s0:e0])
        figures = nlp.get_pipe("xunshi_figures")(sdoc).spans.get("figures", [])
        text = mtext[s0:e0]
        prev_end = 0
        for sp in figures:
            m = _FIG.match(text[sp.start_char:sp.end_char])
            if not m:
                continue
            left = sp.start_char
            while left > prev_end and sp.start_char - left < 16 and text[left - 1] not in _CLAUSE_STOP:
                left -= 1
            right = sp.end_char
            noun = _FIGURE_NOUN.match(text, right)
            if noun:
                right = noun.end()
            prev_end = right
            span = doc.span(s0 + left, s0 + right)
            out.append(FigureMention(m.group("value"), m.group("unit"), span.exact, span, b.id))
    return out


def reported_counts(doc: SourceDocument, b: BulletinRec) -> list[ReportedCount]:
    """The counts a bulletin reports about its own problems, first of each kind, in text order
    (overlapping wordings: the leftmost, then longest, wins: 阶段性完成4个 is not 完成4个)."""
    mtext = match_text(doc.text)
    found = []
    for s0, e0 in summary_regions(b):
        region = mtext[s0:e0]
        for what, label, rx in _summary_rules():
            for m in rx.finditer(region):
                found.append((s0 + m.start(), -(m.end() - m.start()), what, label, m, s0))
    found.sort(key=lambda r: (r[0], r[1]))
    out: dict[str, ReportedCount] = {}
    last_end = -1
    for start, neg_len, what, label, m, s0 in found:
        if start < last_end:
            continue
        last_end = start - neg_len
        if what in out:
            continue
        try:
            value = Decimal(m.group("n"))
        except InvalidOperation:
            continue
        out[what] = ReportedCount(what, label, value, doc.span(start, last_end))
    return sorted(out.values(), key=lambda c: c.span.start)


def count_checks(doc: SourceDocument, b: BulletinRec) -> tuple[list[ReportedCount], list[Issue]]:
    """The bulletin's reported counts, and a warning for each that the problems found do not
    bear out: W031 a count of problems or of a status, W034 the completion rate, W033 parts
    that do not add up to the reported total.

    Status counts are only compared when at least one problem has a known status (with no
    status printed at all, W011 already says so for every problem). 正在整改 counts the
    partly completed too unless the bulletin reports 阶段性完成 separately; 未完成 counts every
    problem not completed.
    """
    counts = reported_counts(doc, b)
    if not counts:
        return [], []
    rep = {c.what: c for c in counts}
    keys = [p.status.key for p in b.problems]
    n = {k: keys.count(k) for k in ("Completed", "PartiallyCompleted", "NotCompleted", "InProgress", "LongTerm", "Unknown")}
    known = len(keys) - n["Unknown"]
    found = {
        "total": len(keys),
        "completed": n["Completed"],
        "partial": n["PartiallyCompleted"],
        "in_progress": n["InProgress"] + (0 if "partial" in rep else n["PartiallyCompleted"]),
        "long_term": n["LongTerm"],
        "not_completed": n["NotCompleted"] + n["InProgress"] + n["PartiallyCompleted"] + n["LongTerm"],
    }
    issues: list[Issue] = []
    for c in counts:
        if c.what == "rate":
            if known and keys:
                rate = Decimal(100 * n["Completed"]) / Decimal(len(keys))
                if abs(rate - c.value) > 1:
                    issues.append(Issue("W034", doc.path, {"reported": _num(c.value), "found": _num(rate.quantize(Decimal("0.1")))}, c.span.start))
            continue
        if c.what != "total" and not known:
            continue
        if Decimal(found[c.what]) != c.value:
            issues.append(Issue("W031", doc.path, {"what": c.label, "reported": _num(c.value), "found": found[c.what]}, c.span.start))
    if "total" in rep and "completed" in rep:
        names = ("not_completed",) if "not_completed" in rep else ("partial", "in_progress", "long_term")
        parts = [rep["completed"]] + [rep[k] for k in names if k in rep]
        if len(parts) >= 2:
            total = sum(p.value for p in parts)
            if total != rep["total"].value:
                detail = "+".join(f"{p.label}{_num(p.value)}" for p in parts)
                issues.append(Issue("W033", doc.path, {"reported": _num(rep["total"].value), "found": _num(total), "parts": detail}, rep["total"].span.start))
    return counts, issues


def _num(value: Decimal) -> str:
    """A decimal without a trailing .0 (76, 76.5)."""
    text = format(value.normalize(), "f")
    return text
