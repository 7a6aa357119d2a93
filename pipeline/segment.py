"""Segment stage: a document's text → bulletins, sections, categories, problems, statuses, measures.

Pure text work with offsets; no spaCy here. A compound file (main bulletin + 附件1..N) becomes
one :class:`BulletinRec` per bulletin. Inside the sections that list rectification items, each
line is classified (category heading, problem, sub-item, status line, measures, continuation)
and the items are assembled with their spans into the source text.

Numbering styles handled (see ``../shared/domain.md``): ``1.…``, ``(一)反馈问题:…`` (a
category, or a single problem when a status follows directly), ``(一)问题1:…``,
``1.问题1:…``, ``问题1:…``, sub-items ``(1)…`` that belong to one problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .errors import Issue
from .records import (
    BulletinRec,
    CategoryRec,
    MeasureRec,
    ProblemPartRec,
    ProblemRec,
    SectionRec,
    SourceDocument,
    Span,
    StatusRec,
    stable_id,
)

CN_DIGITS = "零一二三四五六七八九十百"
WS = " \t\r\u3000\u00a0\ufeff"

RE_ATTACHMENT = re.compile(r"^附件\s*([0-9０-９]+|[一二三四五六七八九十]+)\s*[::]?$")
RE_SECTION = re.compile(rf"^([{CN_DIGITS}]+)、\s*(.+)$")
RE_PAREN_CN = re.compile(rf"^[((]([{CN_DIGITS}]+)[))]\s*(.*)$")
RE_PAREN_NUM = re.compile(r"^[((]([0-9０-９]{1,2})[))]\s*(.*)$")
# "12." / "12、" / "12." followed by the statement; a digit right after the separator is only
# allowed when it starts a year (4.2019年至2022年…), so 2.5亿元 is never a problem number.
RE_NUMBERED = re.compile(r"^([0-9]{1,3})\s*[.．、]\s*(?![0-9])|^([0-9]{1,3})\s*[.．]\s*(?=[0-9]{4}年)")
RE_PROBLEM_LABEL = re.compile(r"^问题\s*([0-9０-９]{1,3})\s*[::.．、]\s*")
RE_FEEDBACK_LABEL = re.compile(r"^(?:反馈问题|存在问题|问题)\s*[::]\s*")
RE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
RE_ENUM = re.compile(rf"(?:^|(?<=[。;;!!]))\s*([{CN_DIGITS}]{{1,3}}是)")
RE_SENTENCE_END = re.compile(r"[。;;!?!?]")


@lru_cache(maxsize=1)
def _labels() -> dict:
    return json.loads((resources.files("pipeline.data") / "labels.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def status_phrases() -> tuple[tuple[str, str, str], ...]:
    """(phrase, status key, where) from ``data/status.jsonl``, longest phrase first."""
    rows = []
    for line in (resources.files("pipeline.data") / "status.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append((r["phrase"], r["status"], r["where"]))
    return tuple(sorted(rows, key=lambda r: (-len(r[0]), r[0])))


@lru_cache(maxsize=1)
def _label_res() -> tuple[re.Pattern, re.Pattern]:
    lab = _labels()
    alt = lambda xs: "|".join(sorted(map(re.escape, xs), key=len, reverse=True))  # noqa: E731
    status = re.compile(rf"^(?:{alt(lab['status_labels'])})\s*[::]\s*")
    measure = re.compile(rf"^(?:{alt(lab['measure_labels'])})\s*[::]\s*")
    return status, measure


def map_status(text: str, where: str = "line") -> tuple[str, str, int] | None:
    """Map status wording to a status key: (key, phrase, offset in text) or None.

    For a status line the phrase must make up the wording (完成, 已完成, 阶段性完成 …); words
    that only name a mode (立行立改) are not a status.
    """
    for phrase, key, w in status_phrases():
        if w != where:
            continue
        i = text.find(phrase)
        if i < 0:
            continue
        if where == "line":
            # the printed wording may carry punctuation or a trailing note, but not a negation
            if i > 0 and text[i - 1] in "未尚没":
                continue
        return key, phrase, i
    return None


# --- lines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    start: int  # offset of the first non-blank character
    end: int  # offset after the last non-blank character
    text: str

    @property
    def empty(self) -> bool:
        return not self.text


def split_lines(text: str, begin: int = 0, end: int | None = None) -> list[Line]:
    """Lines of ``text[begin:end]`` with offsets, stripped of blanks (full-width too)."""
    end = len(text) if end is None else end
    out = []
    pos = begin
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        s, e = pos, stop
        while s < e and text[s] in WS:
            s += 1
        while e > s and text[e - 1] in WS:
            e -= 1
        if e > s:
            out.append(Line(s, e, text[s:e]))
        pos = stop + 1
    return out


# --- bulletins -----------------------------------------------------------------------------


def split_bulletins(doc: SourceDocument) -> list[tuple[int, int, str]]:
    """(start, end, attachment label) of each bulletin in a (possibly compound) document."""
    lines = split_lines(doc.text)
    marks = [(ln.start, ln.text) for ln in lines if RE_ATTACHMENT.match(ln.text)]
    bounds = [(0, "")] + marks
    out = []
    for i, (s, label) in enumerate(bounds):
        e = bounds[i + 1][0] if i + 1 < len(bounds) else len(doc.text)
        out.append((s, e, label))
    return out


def _section_kind(title: str) -> str:
    for kind, words in _labels()["section_kinds"]:
        if any(w in title for w in words):
            return kind
    return "other"


@dataclass
class _Draft:
    """A problem being assembled line by line."""

    ordinal: str
    labelled: str
    text_span: Span
    line_span: Span
    section: int
    category_id: str | None
    status: StatusRec | None = None
    measures: list[tuple[Span, str]] = field(default_factory=list)  # (span, part ordinal)
    parts: list[tuple[str, Span]] = field(default_factory=list)
    extra_text: list[Line] = field(default_factory=list)
    in_measures: bool = False


class BulletinSegmenter:
    """Segment one bulletin's stretch of text; collects :class:`Issue` warnings."""

    def __init__(self, doc: SourceDocument, start: int, end: int, index: int, attachment: str):
        self.doc = doc
        self.start, self.end = start, end
        self.index = index
        self.attachment = attachment
        self.issues: list[Issue] = []
        self.id = stable_id("bulletin", doc.sha256, index)
        self.status_re, self.measure_re = _label_res()

    def span(self, s: int, e: int) -> Span:
        return self.doc.span(s, e)

    def warn(self, code: str, offset: int | None = None, **detail) -> None:
        self.issues.append(Issue(code, self.doc.path, detail, offset))

    # header, opening and signature ---------------------------------------------------------

    def run(self) -> BulletinRec | None:
        lines = split_lines(self.doc.text, self.start, self.end)
        if lines and self.attachment:
            lines = lines[1:]  # the 附件N line itself
        if not lines:
            return None
        sec_idx = [i for i, ln in enumerate(lines) if RE_SECTION.match(ln.text) and len(ln.text) <= 60]
        first_sec = sec_idx[0] if sec_idx else len(lines)
        head = lines[:first_sec]
        title_i = next((i for i, ln in enumerate(head[:4]) if "通报" in ln.text or "报告" in ln.text), None)
        if title_i is None:
            title_i = 0
        title_ln = head[title_i] if head else lines[0]
        issuer, issuer_span = "", None
        if title_i > 0 and len(head[title_i - 1].text) <= 40:
            ln = head[title_i - 1]
            issuer, issuer_span = ln.text, self.span(ln.start, ln.end)
        elif "关于" in title_ln.text[1:]:
            k = title_ln.text.index("关于", 1)
            issuer, issuer_span = title_ln.text[:k], self.span(title_ln.start, title_ln.start + k)
        opening = None
        for ln in head[title_i + 1:]:
            if ("巡视" in ln.text or "巡察" in ln.text) and len(ln.text) > 20:
                opening = self.span(ln.start, ln.end)
                break
        date, date_span, sig_issuer, sig_span = self._signature(lines)
        if sig_issuer and not issuer:
            issuer, issuer_span = sig_issuer, sig_span
        if not issuer or not date:
            self.warn("W014", title_ln.start, detail="发文单位" if not issuer else "日期")
        sections = self._sections(lines, sec_idx)
        rec = BulletinRec(
            id=self.id,
            doc_id=self.doc.id,
            index=self.index,
            attachment=self.attachment,
            start=self.start,
            end=self.end,
            title=title_ln.text,
            title_span=self.span(title_ln.start, title_ln.end),
            issuer=issuer,
            issuer_span=issuer_span,
            date=date,
            date_span=date_span,
            opening=opening,
            sections=tuple(sections),
        )
        categories, problems = self._items(lines, sec_idx, sections)
        org = next((s for s in sections if s.kind == "organisation"), None)
        organisation = self._trimmed(org.span.end, org.end) if org else None
        plan = next((s for s in sections if s.kind == "plan"), None)
        tail = self._trimmed(plan.start, self.end) if plan else None
        return _replace(
            rec, categories=tuple(categories), problems=tuple(problems), organisation=organisation, tail=tail
        )

    def _trimmed(self, s: int, e: int) -> Span | None:
        text = self.doc.text
        while s < e and text[s] in WS + "\n":
            s += 1
        while e > s and text[e - 1] in WS + "\n":
            e -= 1
        return self.span(s, e) if e > s else None

    def _signature(self, lines: list[Line]) -> tuple[str, Span | None, str, Span | None]:
        for i in range(len(lines) - 1, max(-1, len(lines) - 6), -1):
            m = RE_DATE.match(lines[i].text)
            if m:
                y, mo, d = (int(x) for x in m.groups())
                date = f"{y:04d}-{mo:02d}-{d:02d}"
                span = self.span(lines[i].start, lines[i].end)
                if i > 0 and len(lines[i - 1].text) <= 40 and not RE_SENTENCE_END.search(lines[i - 1].text):
                    prev = lines[i - 1]
                    return date, span, prev.text, self.span(prev.start, prev.end)
                return date, span, "", None
        return "", None, "", None

    def _sections(self, lines: list[Line], sec_idx: list[int]) -> list[SectionRec]:
        out = []
        for n, i in enumerate(sec_idx):
            m = RE_SECTION.match(lines[i].text)
            end = lines[sec_idx[n + 1]].start if n + 1 < len(sec_idx) else self.end
            out.append(
                SectionRec(
                    ordinal=m.group(1),
                    title=m.group(2),
                    span=self.span(lines[i].start, lines[i].end),
                    kind=_section_kind(m.group(2)),
                    start=lines[i].start,
                    end=end,
                )
            )
        return out

    # items -------------------------------------------------------------------------------

    def _items(self, lines, sec_idx, sections) -> tuple[list[CategoryRec], list[ProblemRec]]:
        categories: list[CategoryRec] = []
        problems: list[ProblemRec] = []
        if sections:
            ranges = [(n, sec_idx[n] + 1, sec_idx[n + 1] if n + 1 < len(sec_idx) else len(lines)) for n in range(len(sections))]
            ranges = [r for r in ranges if sections[r[0]].kind in ("done", "unfinished", "other")]
        else:
            ranges = [(-1, 0, len(lines))]
        for sec, a, b in ranges:
            cats, probs = self._section_items(lines[a:b], sec, len(problems))
            categories.extend(cats)
            problems.extend(probs)
        return categories, problems

    def _classify_paren(self, rest: str) -> tuple[str, str, int]:
        """Inside ``(一)…``: ('problem'|'feedback'|'heading', label number, text offset)."""
        m = RE_PROBLEM_LABEL.match(rest)
        if m:
            return "problem", m.group(1), m.end()
        m = RE_FEEDBACK_LABEL.match(rest)
        if m:
            return "feedback", "", m.end()
        return "heading", "", 0

    def _section_items(self, lines: list[Line], sec: int, base: int) -> tuple[list[CategoryRec], list[ProblemRec]]:
        cats: list[CategoryRec] = []
        drafts: list[_Draft] = []
        cur: _Draft | None = None
        cat_id: str | None = None
        last_num = 0
        cur_part = ""

        def is_status(t: str) -> bool:
            return bool(self.status_re.match(t))

        def is_measure(t: str) -> bool:
            return bool(self.measure_re.match(t))

        for i, ln in enumerate(lines):
            t = ln.text
            nxt = lines[i + 1].text if i + 1 < len(lines) else ""
            m_stat = self.status_re.match(t)
            if m_stat:
                if cur is None:
                    continue
                body = t[m_stat.end():]
                s0 = ln.start + m_stat.end()
                found = map_status(body, "line")
                if found:
                    key, _phrase, _off = found
                    cur.status = StatusRec(key, body, self.span(s0, ln.end), "line")
                else:
                    cur.status = StatusRec("Unknown", body, self.span(s0, ln.end), "line")
                    self.warn("W012", s0, text=body)
                continue
            m_meas = self.measure_re.match(t)
            if m_meas:
                if cur is None:
                    continue
                cur.in_measures = True
                if ln.start + m_meas.end() < ln.end:
                    cur.measures.append((self.span(ln.start + m_meas.end(), ln.end), cur_part))
                continue
            m_cn = RE_PAREN_CN.match(t)
            if m_cn:
                ordinal = t[: m_cn.start(2)].strip(WS)
                rest = m_cn.group(2)
                rest_off = ln.start + m_cn.start(2)
                kind, label, k = self._classify_paren(rest)
                direct = is_status(nxt) or is_measure(nxt)
                if kind == "problem" or (kind == "feedback" and direct) or (kind == "heading" and direct and cats == [] and last_num == 0):
                    cur = self._new_draft(
                        ordinal=f"问题{label}" if label else ordinal,
                        labelled=f"问题{label}" if label else "",
                        text_s=rest_off + k,
                        ln=ln,
                        sec=sec,
                        category_id=None,
                    )
                    if kind == "feedback":
                        # a category that is a single problem: keep the category too
                        cat = self._category(ordinal, rest_off + k, ln.end, is_problem=True)
                        cats.append(cat)
                        cur.category_id = cat.id
                    drafts.append(cur)
                    cur_part = ""
                    continue
                cat = self._category(ordinal, rest_off + k, ln.end, is_problem=False)
                cats.append(cat)
                cat_id = cat.id
                cur = None
                cur_part = ""
                continue
            m_num = RE_NUMBERED.match(t)
            if m_num:
                n = int(m_num.group(1) or m_num.group(2))
                if n == last_num + 1 or n == 1 or cur is None:
                    if not (n == last_num + 1 or n == 1):
                        self.warn("W013", ln.start, detail=f"{last_num} → {n}")
                    rest = t[m_num.end():]
                    rest_off = ln.start + m_num.end()
                    m_lab = RE_PROBLEM_LABEL.match(rest)
                    label = m_lab.group(1) if m_lab else ""
                    k = m_lab.end() if m_lab else 0
                    cur = self._new_draft(
                        ordinal=f"问题{label}" if label else str(n),
                        labelled=f"问题{label}" if label else "",
                        text_s=rest_off + k,
                        ln=ln,
                        sec=sec,
                        category_id=cat_id,
                    )
                    drafts.append(cur)
                    last_num = n
                    cur_part = ""
                    continue
            m_lab = RE_PROBLEM_LABEL.match(t)
            if m_lab:
                cur = self._new_draft(
                    ordinal=f"问题{m_lab.group(1)}",
                    labelled=f"问题{m_lab.group(1)}",
                    text_s=ln.start + m_lab.end(),
                    ln=ln,
                    sec=sec,
                    category_id=cat_id,
                )
                drafts.append(cur)
                cur_part = ""
                continue
            m_sub = RE_PAREN_NUM.match(t)
            if m_sub and cur is not None:
                ordinal = t[: m_sub.start(2)].strip(WS)
                cur.parts.append((ordinal, self.span(ln.start + m_sub.start(2), ln.end)))
                cur_part = ordinal
                continue
            # a continuation line
            if cur is None:
                continue
            if cur.in_measures:
                cur.measures.append((self.span(ln.start, ln.end), cur_part))
            elif cur.status is None and not cur.parts:
                cur.extra_text.append(ln)
        return cats, [self._finish(d, base + k) for k, d in enumerate(drafts)]

    def _category(self, ordinal: str, s: int, e: int, is_problem: bool) -> CategoryRec:
        text = self.doc.text[s:e]
        label_end = e
        if is_problem:
            m = RE_SENTENCE_END.search(text)
            if m and m.end() < len(text):
                label_end = s + m.start()
        return CategoryRec(
            id=stable_id("category", self.id, s),
            ordinal=ordinal,
            label=self.doc.text[s:label_end],
            span=self.span(s, label_end),
            is_problem=is_problem,
        )

    def _new_draft(self, ordinal, labelled, text_s, ln, sec, category_id) -> _Draft:
        return _Draft(
            ordinal=ordinal,
            labelled=labelled,
            text_span=self.span(text_s, ln.end),
            line_span=self.span(ln.start, ln.end),
            section=sec,
            category_id=category_id,
        )

    def _finish(self, d: _Draft, position: int) -> ProblemRec:
        text_span = d.text_span
        if d.extra_text:
            text_span = self.span(d.text_span.start, d.extra_text[-1].end)
        pid = stable_id("problem", self.id, d.section, d.ordinal, text_span.start)
        measures = []
        for k, (span, part) in enumerate(d.measures):
            measures.extend(self._split_measures(pid, span, part, len(measures)))
        status = d.status
        if status is None:
            status = self._inline_status(measures)
        if status.key == "Unknown" and status.how == "none":
            self.warn("W011", text_span.start, ordinal=d.ordinal)
        parts = tuple(
            ProblemPartRec(stable_id("part", pid, o, sp.start), o, sp.exact, sp) for o, sp in d.parts
        )
        return ProblemRec(
            id=pid,
            ordinal=d.ordinal,
            text=text_span.exact,
            span=text_span,
            line_span=d.line_span,
            section=d.section,
            category_id=d.category_id,
            status=status,
            measures=tuple(measures),
            parts=parts,
            labelled_ordinal=d.labelled,
        )

    def _split_measures(self, pid: str, span: Span, part: str, base: int) -> list[MeasureRec]:
        """Split a measures paragraph at 一是/二是/… (each a Measure); else one Measure."""
        text = span.exact
        hits = [m for m in RE_ENUM.finditer(text)]
        cuts: list[tuple[int, str]] = []
        if hits:
            if text[: hits[0].start(1)].strip(WS):
                cuts.append((0, ""))
            cuts.extend((m.start(1), m.group(1)) for m in hits)
        else:
            cuts.append((0, ""))
        out = []
        for k, (s, ordinal) in enumerate(cuts):
            e = cuts[k + 1][0] if k + 1 < len(cuts) else len(text)
            ts = s + len(ordinal)
            while ts < e and text[ts] in WS:
                ts += 1
            te = e
            while te > ts and text[te - 1] in WS:
                te -= 1
            if te <= ts:
                continue
            sp = self.doc.span(span.start + ts, span.start + te)
            out.append(MeasureRec(stable_id("measure", pid, sp.start), sp.exact, sp, ordinal, part))
        return out

    def _inline_status(self, measures: list[MeasureRec]) -> StatusRec:
        for m in measures:
            found = map_status(m.text, "inline")
            if found:
                key, phrase, off = found
                s = m.span.start + off
                return StatusRec(key, phrase, self.doc.span(s, s + len(phrase)), "inline")
        return StatusRec("Unknown", "", None, "none")


def _replace(rec: BulletinRec, **kw) -> BulletinRec:
    from dataclasses import replace

    return replace(rec, **kw)


def segment(doc: SourceDocument) -> tuple[list[BulletinRec], list[Issue]]:
    """All bulletins of one document, with the warnings met on the way.

    A document in which no problem is found anywhere gets ``E010`` (not a bulletin).
    """
    bulletins: list[BulletinRec] = []
    issues: list[Issue] = []
    for index, (s, e, label) in enumerate(split_bulletins(doc)):
        seg = BulletinSegmenter(doc, s, e, index, label)
        rec = seg.run()
        issues.extend(seg.issues)
        if rec is not None:
            bulletins.append(rec)
    if not any(b.problems for b in bulletins):
        return [], [Issue("E010", doc.path)]  # other warnings would only be noise
    for b in bulletins:
        if not b.problems:
            issues.append(Issue("W010", doc.path, {"detail": f"{b.attachment or '正文'}未找到问题"}, b.start))
    return bulletins, issues
