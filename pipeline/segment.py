"""Segment stage: a document's text → bulletins, sections, categories, problems, statuses, measures.

Pure text work with offsets; no spaCy here. A compound file (main bulletin + 附件1..N) becomes
one :class:`BulletinRec` per bulletin. Inside the sections that list rectification items, each
line is classified (category heading, problem, sub-item, status line, measures, continuation)
and the items are assembled with their spans into the source text.

Numbering styles handled (see ``../shared/domain.md``): ``1.…``, ``(一)反馈问题:…`` (a
category, or a single problem when a status follows directly), ``(一)问题1:…``,
``1.问题1:…``, ``问题1:…``, ``1-2,…`` (a problem carrying the feedback list's number),
``(1)…`` as problems when no numbered problem is open, sub-items ``(1)…`` that belong to one
problem; category headings ``(一)在“…”方面`` / ``(一)关于…`` / ``(一)<sentence>。`` and
section-level ones (``一、在…方面``); bulletins without section headings; 台账 tables (one
tab-separated line per row, from .docx/.html) whose rows are problems with measures and status.

Statuses come from a labelled line (``整改结果:`` …), a bare status line (``已完成。``), a
bracket at the end of the problem (``(已完成)``) or a phrase in the measures (已整改到位 …);
with none, the status is ``Unknown`` (W011), never ``Completed``. Mode words (立行立改) are
not a status (W016).

Matching runs on :func:`pipeline.ingest.match_text` (a simplified view of traditional text,
same length); spans and labels are always taken from the original text. A text without line
breaks is cut at numbering and labels into virtual lines (W015); offsets are unaffected.
Documents that are something else (audit reports, environmental-inspection notices, news
about a round) are recognised from their title and reported as E011.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise

from .errors import Issue
from .ingest import match_text
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
# 1. / 1． / 1、 — after 、 a digit may follow (12、2019年…); after a point it may not (a decimal)
RE_NUMBERED = re.compile(r"^([0-9]{1,3})\s*(?:、|[.．]\s*(?![0-9]))\s*|^([0-9]{1,3})\s*[.．]\s*(?=[0-9]{4}年)")
RE_PROBLEM_LABEL = re.compile(r"^问题\s*([0-9０-９]{1,3})\s*[::.．、]\s*")
RE_FEEDBACK_LABEL = re.compile(r"^(?:反馈问题|存在问题|问题)\s*[::]\s*")
# 1-2,… : a problem carrying the feedback list's number (category-item); never 1-9月…
RE_DASHED = re.compile(r"^([0-9]{1,3})\s*[-－—–]\s*([0-9]{1,3})\s*[,,.．、::]\s*(?:(?![0-9])|(?=[0-9]{4}年))")
RE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
RE_BRACKETED = re.compile(r"[((【\[〔]\s*([^()()【】\[\]〔〕]{1,12}?)\s*[))】\]〕]\s*[。.;;]?$")
RE_STATUS_DECOR = re.compile(r"^[\s((【\[〔]+|[\s))】\]〕。.;;,,!!]+$")
# (1)… / ①… enumerating measures inside one paragraph
RE_CIRCLED = re.compile(r"^([①-⑳])\s*")
RE_TABLE_LEAD = re.compile(r"^附\s*[件表]?\s*[0-9一二三四五六七八九十]*\s*[::]?\s*.{0,16}(?:台账|清单|一览表|情况表)[::]?$")
RE_ENUM_PAREN = re.compile(r"(?:^|(?<=[。;;::,,]))\s*([((]([0-9]{1,2})[))]|([①-⑳]))")
RE_ENUM = re.compile(rf"(?:^|(?<=[。;;!!]))\s*([{CN_DIGITS}]{{1,3}}是)")
RE_SENTENCE_END = re.compile(r"[。;;!?!?]")
_FULLWIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)}


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


def _alt(words) -> str:
    """A regex alternation of ``words``, longest first."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


@lru_cache(maxsize=1)
def _label_res() -> tuple[re.Pattern, re.Pattern]:
    lab = _labels()
    status = re.compile(rf"^(?:{_alt(lab['status_labels'])})\s*[::]\s*")
    measure = re.compile(rf"^(?:{_alt(lab['measure_labels'])})\s*[::]\s*")
    return status, measure


@lru_cache(maxsize=1)
def _inline_label_re() -> re.Pattern:
    """A status or measure label inside a line, after the end of a sentence: where a line that
    packs problem, measures and status together (1.…。整改情况:…。整改结果:完成。) is cut."""
    lab = _labels()
    words = _alt(lab["status_labels"] + lab["measure_labels"])
    return re.compile(rf"(?<=[。;;!!??))】”\"\s])\s*((?:{words})\s*[::])")


@lru_cache(maxsize=1)
def _tail_re() -> re.Pattern:
    """Lines that end the list of items in a bulletin without section headings."""
    return re.compile(rf"^(?:{_alt(_labels()['tail_markers'])})")


@lru_cache(maxsize=1)
def _contact_re() -> re.Pattern:
    """Contact lines (phone, postbox, e-mail): never part of a problem or its measures."""
    return re.compile(rf"^(?:{_alt(_labels()['contact_markers'])})")


@lru_cache(maxsize=1)
def _mode_re() -> re.Pattern:
    return re.compile(_alt(_labels()["mode_words"]))


@lru_cache(maxsize=1)
def _lookalikes() -> tuple[tuple[str, str, re.Pattern, re.Pattern], ...]:
    """(kind, kind_en, title pattern, unless pattern) from ``data/lookalikes.jsonl``."""
    rows = []
    for line in (resources.files("pipeline.data") / "lookalikes.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append((r["kind"], r["kind_en"], re.compile(r["title"]), re.compile(r["unless"])))
    return tuple(rows)


def bare_status(text: str) -> tuple[str, str, int, int] | None:
    """A line (or bracket) that is nothing but a status: ``已完成。`` ``(正在整改)`` ``整改完成``.

    Returns (key, phrase, start, end) of the status words within ``text``, or None. The words
    must make up the line (besides brackets, punctuation and 整改), so a sentence that merely
    contains 完成 is not a status.
    """
    if len(text) > _labels()["bare_status_max"] + 4:
        return None
    core = RE_STATUS_DECOR.sub("", text)
    if not core or len(core) > _labels()["bare_status_max"]:
        return None
    lead = text.find(core)
    for where in ("inline", "line"):
        found = map_status(core, where)
        if found:
            key, phrase, off = found
            rest = core[:off] + core[off + len(phrase):]
            if len(rest.replace("整改", "").replace("已", "")) <= 2:
                return key, core, lead, lead + len(core)
    return None


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


# --- virtual lines ------------------------------------------------------------------------

# A document with at most this many lines, one of them longer than ONE_LINE_CHARS, has lost its
# line breaks (a copy from a web page, a badly saved HTML): it is cut at numbering and labels.
ONE_LINE_MAX_LINES = 5
ONE_LINE_CHARS = 200
_CUT_BEFORE = re.compile(
    r"(?:(?<=[。;;!!??::))】”\"\s])|^)\s*("
    r"附件\s*[0-9０-９一二三四五六七八九十]+\s*[::]?(?=\s)"
    r"|[一二三四五六七八九十]{1,3}、"
    r"|[0-9]{1,3}\s*(?:、|[.．](?![0-9]))"
    r"|[0-9]{1,3}\s*[-－—–]\s*[0-9]{1,3}\s*[,,、](?![0-9])"
    r"|问题\s*[0-9]{1,3}\s*[::]"
    r"|[((][0-9]{1,2}[))]"
    r"|\d{4}年\d{1,2}月\d{1,2}日\s*$"
    r")"
)
_CUT_PAREN_CN = re.compile(r"(?<![第0-9])([((][一二三四五六七八九十]{1,3}[))])")
_CUT_AFTER_TITLE = re.compile(r"(?<=通报)(?=\s*(?:根据|按照|为|近日|现将|20\d\d年))")


def document_lines(text: str) -> tuple[list[Line], bool]:
    """Lines of the (matching) text, and whether they were cut virtually (no line breaks)."""
    lines = split_lines(text)
    if len(lines) > ONE_LINE_MAX_LINES or not any(len(ln.text) > ONE_LINE_CHARS for ln in lines):
        return lines, False
    out: list[Line] = []
    for ln in lines:
        out.extend(_cut_line(text, ln) if len(ln.text) > ONE_LINE_CHARS else [ln])
    if len(out) < len(lines) + 3:  # hardly anything to cut at: leave the text as it is
        return lines, False
    return out, True


def _cut_line(text: str, ln: Line) -> list[Line]:
    """Cut one long line before numbering, labels, 附件N, a final date; and at blanks that close
    a short heading-like fragment (a title, an issuer)."""
    t = ln.text
    cuts = {0, len(t)}
    for m in _CUT_BEFORE.finditer(t):
        cuts.add(m.start(1))
    for m in _CUT_PAREN_CN.finditer(t):
        cuts.add(m.start(1))
    for m in _inline_label_re().finditer(t):
        cuts.add(m.start(1))
    for m in _CUT_AFTER_TITLE.finditer(t[:200]):
        cuts.add(m.start())
    # a blank between Chinese words (not inside Latin text) after a short fragment without a
    # full stop: the end of a title, a heading, an issuer
    for m in re.finditer(r"(?<=[\u3400-\u9fff)）】”0-9])\s+(?=[\u3400-\u9fff(（【“0-9])", t):
        last = max(c for c in cuts if c <= m.start())
        frag = t[last:m.start()]
        if 0 < len(frag) <= 60 and not RE_SENTENCE_END.search(frag):
            cuts.add(m.end())
    for m in re.finditer(r"\s+(?=[^。;;!?!?]{2,40}\s+\d{4}年\d{1,2}月\d{1,2}日\s*$)", t):
        cuts.add(m.end())  # the issuer just before the final date
    out = []
    points = sorted(cuts)
    for a, b in pairwise(points):
        out.extend(split_lines(text, ln.start + a, ln.start + b))
    return out


def _split_inline_labels(text: str, lines: list[Line]) -> list[Line]:
    """Cut lines at status/measure labels that follow the end of a sentence."""
    rx = _inline_label_re()
    out = []
    for ln in lines:
        cuts = [m.start(1) for m in rx.finditer(ln.text) if m.start(1) > 0]
        if not cuts:
            out.append(ln)
            continue
        points = [0, *cuts, len(ln.text)]
        for a, b in pairwise(points):
            out.extend(split_lines(text, ln.start + a, ln.start + b))
    return out


def lookalike(lines: list[Line]) -> tuple[str, str, str] | None:
    """(kind, kind_en, title) when the document's title says it is not a rectification
    bulletin (an audit report, an environmental-inspection notice, news about a round)."""
    head = [ln.text for ln in lines[:6] if len(ln.text) <= 80][:3]
    region = "".join(head)
    for kind, kind_en, pattern, unless in _lookalikes():
        if pattern.search(region) and not unless.search(region):
            title = next((t for t in head if pattern.search(t)), region)
            return kind, kind_en, title
    return None


def split_bulletins(doc: SourceDocument, lines: list[Line] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, attachment label) of each bulletin in a (possibly compound) document."""
    if lines is None:
        lines, _ = document_lines(match_text(doc.text))
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
    style: str = "numbered"  # numbered (1.), dashed (1-2,), paren ((1)), label (问题1:), cn ((一)), table
    status: StatusRec | None = None
    # (span, part ordinal, measure ordinal): ordinal None means "split at 一是/(1) inside"
    measures: list[tuple[Span, str, str | None]] = field(default_factory=list)
    parts: list[tuple[str, Span]] = field(default_factory=list)
    extra_text: list[Line] = field(default_factory=list)
    in_measures: bool = False
    list_next: int = 0  # next number of a 1./2. list of measures under an empty measures label


@dataclass
class _Table:
    """The header of a 台账 table: column index of each role."""

    columns: dict[str, int]
    width: int
    category: str = ""  # the label of the category column's current value
    misfits: int = 0


class BulletinSegmenter:
    """Segment one bulletin's stretch of text; collects :class:`Issue` warnings.

    ``self.text`` is the matching text (see :func:`pipeline.ingest.match_text`): every regular
    expression runs on it; spans and labels are taken from the document's own text.
    """

    def __init__(
        self, doc: SourceDocument, start: int, end: int, index: int, attachment: str, lines: list[Line] | None = None
    ):
        self.doc = doc
        self.text = match_text(doc.text)
        self.start, self.end = start, end
        self.index = index
        self.attachment = attachment
        self.lines = lines
        self.issues: list[Issue] = []
        self.id = stable_id("bulletin", doc.sha256, index)
        self.status_re, self.measure_re = _label_res()
        self.table: _Table | None = None

    def span(self, s: int, e: int) -> Span:
        return self.doc.span(s, e)

    def original(self, ln: Line) -> str:
        """The document's own text of a line (``ln.text`` is the matching text)."""
        return self.doc.text[ln.start:ln.end]

    def warn(self, code: str, offset: int | None = None, **detail) -> None:
        self.issues.append(Issue(code, self.doc.path, detail, offset))

    # header, opening and signature ---------------------------------------------------------

    def run(self) -> BulletinRec | None:
        lines = self.lines if self.lines is not None else split_lines(self.text, self.start, self.end)
        if lines and self.attachment:
            lines = lines[1:]  # the 附件N line itself
        lines = _split_inline_labels(self.text, lines)
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
            issuer, issuer_span = self.original(ln), self.span(ln.start, ln.end)
        elif "关于" in title_ln.text[1:]:
            k = title_ln.text.index("关于", 1)
            issuer, issuer_span = self.doc.text[title_ln.start:title_ln.start + k], self.span(title_ln.start, title_ln.start + k)
        opening = None
        for k, ln in enumerate(head[title_i + 1:], start=title_i + 1):
            if ("巡视" in ln.text or "巡察" in ln.text) and len(ln.text) > 20:
                # with the lines that follow it before the first section (a PDF's wrapped
                # lines, a second paragraph with the feedback date), unless items start there
                last = ln
                for more in head[k + 1:]:
                    if RE_NUMBERED.match(more.text) or RE_PAREN_CN.match(more.text) or RE_PROBLEM_LABEL.match(more.text):
                        break
                    last = more
                opening = self.span(ln.start, last.end)
                break
        date, date_span, sig_issuer, sig_span, sig_at = self._signature(lines)
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
            title=self.original(title_ln),
            title_span=self.span(title_ln.start, title_ln.end),
            issuer=issuer,
            issuer_span=issuer_span,
            date=date,
            date_span=date_span,
            opening=opening,
            sections=tuple(sections),
        )
        item_lines = lines[:sig_at] if sig_at is not None and sig_at > (sec_idx[-1] if sec_idx else title_i) else lines
        categories, problems = self._items(item_lines, sec_idx, sections, title_i)
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

    def _signature(self, lines: list[Line]) -> tuple[str, Span | None, str, Span | None, int | None]:
        """(date, its span, issuer, its span, index of the signature's first line)."""
        for i in range(len(lines) - 1, max(-1, len(lines) - 6), -1):
            m = RE_DATE.match(lines[i].text)
            if m:
                y, mo, d = (int(x) for x in m.groups())
                date = f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else ""
                span = self.span(lines[i].start, lines[i].end) if date else None
                if i > 0 and len(lines[i - 1].text) <= 40 and not RE_SENTENCE_END.search(lines[i - 1].text):
                    prev = lines[i - 1]
                    return date, span, self.original(prev), self.span(prev.start, prev.end), i - 1
                return date, span, "", None, i
        return "", None, "", None, None

    def _sections(self, lines: list[Line], sec_idx: list[int]) -> list[SectionRec]:
        out = []
        for n, i in enumerate(sec_idx):
            m = RE_SECTION.match(lines[i].text)
            end = lines[sec_idx[n + 1]].start if n + 1 < len(sec_idx) else self.end
            out.append(
                SectionRec(
                    ordinal=m.group(1),
                    title=self.doc.text[lines[i].start + m.start(2):lines[i].end],
                    span=self.span(lines[i].start, lines[i].end),
                    kind=_section_kind(m.group(2)),
                    start=lines[i].start,
                    end=end,
                )
            )
        return out

    # items -------------------------------------------------------------------------------

    def _items(self, lines, sec_idx, sections, title_i=0) -> tuple[list[CategoryRec], list[ProblemRec]]:
        categories: list[CategoryRec] = []
        problems: list[ProblemRec] = []
        if sections:
            ranges = [(n, sec_idx[n] + 1, sec_idx[n + 1] if n + 1 < len(sec_idx) else len(lines)) for n in range(len(sections))]
            ranges = [r for r in ranges if sections[r[0]].kind in ("done", "unfinished", "other")]
        else:
            ranges = [(-1, title_i + 1, len(lines))]
        category_re = re.compile(_labels()["category_section"])
        for sec, a, b in ranges:
            cat_id = None
            if sec >= 0 and sections[sec].kind == "other" and (category_re.search(sections[sec].title) or self.table):
                cat = self._section_category(sections[sec], lines[sec_idx[sec]])
                categories.append(cat)
                cat_id = cat.id
            cats, probs = self._section_items(lines[a:b], sec, len(problems), cat_id)
            categories.extend(cats)
            problems.extend(probs)
        return categories, problems

    def _section_category(self, sec: SectionRec, ln: Line) -> CategoryRec:
        """A section heading that names a feedback category (一、在“…”方面)."""
        s = ln.start + ln.text.index("、") + 1
        while s < ln.end and self.text[s] in WS:
            s += 1
        return CategoryRec(
            id=stable_id("category", self.id, s), ordinal=sec.ordinal, label=self.doc.text[s:ln.end], span=self.span(s, ln.end)
        )

    def _classify_paren(self, rest: str) -> tuple[str, str, int]:
        """Inside ``(一)…``: ('problem'|'feedback'|'heading', label number, text offset)."""
        m = RE_PROBLEM_LABEL.match(rest)
        if m:
            return "problem", m.group(1), m.end()
        m = RE_FEEDBACK_LABEL.match(rest)
        if m:
            return "feedback", "", m.end()
        return "heading", "", 0

    def _status_from(self, body: str, s0: int, e0: int, ordinal: str, how: str = "line") -> StatusRec:
        """The status printed in ``body`` (at ``s0:e0``); W016 for a mode word, W012 otherwise."""
        while e0 > s0 and self.text[e0 - 1] in "。.;;,,!! \t\u3000":
            e0 -= 1  # 已完成。 → 已完成
        body = self.text[s0:e0]
        found = map_status(body, "line")
        if found:
            return StatusRec(found[0], self.doc.text[s0:e0], self.span(s0, e0), how)
        mode = _mode_re().search(body)
        if mode:
            self.warn("W016", s0, ordinal=ordinal, text=mode.group(0))
        else:
            self.warn("W012", s0, text=self.doc.text[s0:e0])
        return StatusRec("Unknown", self.doc.text[s0:e0], self.span(s0, e0), how)

    def _section_items(
        self, lines: list[Line], sec: int, base: int, cat_id: str | None = None
    ) -> tuple[list[CategoryRec], list[ProblemRec]]:
        cats: list[CategoryRec] = []
        drafts: list[_Draft] = []
        cur: _Draft | None = None
        last_num = 0
        cur_part = ""

        def is_status(t: str) -> bool:
            return bool(self.status_re.match(t))

        def is_measure(t: str) -> bool:
            return bool(self.measure_re.match(t))

        labelled_after = [False] * (len(lines) + 1)  # a status/measure label at or after line i
        for i in range(len(lines) - 1, -1, -1):
            labelled_after[i] = labelled_after[i + 1] or is_status(lines[i].text) or is_measure(lines[i].text)

        for i, ln in enumerate(lines):
            t = ln.text
            nxt = lines[i + 1].text if i + 1 < len(lines) else ""
            if "\t" in t or (self.table is not None and self._raw_cells(ln)[1:]):
                header = self._table_header(ln)
                if header is not None:
                    self.table, cur = header, None
                    continue
                if self.table is not None:
                    cur, cat_id = self._table_row(ln, sec, cat_id, cats, drafts, cur)
                    continue
            elif self.table is not None and not (RE_PAREN_CN.match(t) or RE_SECTION.match(t)):
                if self.table.misfits:
                    self.warn("W017", ln.start, rows=self.table.misfits)
                self.table = None
                if cur is not None and cur.style == "table":
                    cur = None  # text after the table is not part of its last row
            if sec == -1 and _tail_re().match(t) and not labelled_after[i + 1]:
                break  # plans: the list of items is over
            if _contact_re().match(t) or RE_TABLE_LEAD.match(t):
                cur = None  # a contact line, or the caption of a table that follows
                continue
            m_circ = RE_CIRCLED.match(t)
            if m_circ and cur is not None and cur.in_measures:
                n = ord(m_circ.group(1)) - ord("①") + 1
                if not cur.list_next or n == cur.list_next:
                    ordinal = self.doc.text[ln.start:ln.start + len(m_circ.group(1))]
                    if ln.start + m_circ.end() < ln.end:
                        cur.measures.append((self.span(ln.start + m_circ.end(), ln.end), cur_part, ordinal))
                    cur.list_next = n + 1
                    continue
            m_stat = self.status_re.match(t)
            if m_stat:
                if cur is None:
                    continue
                s0 = ln.start + m_stat.end()
                if s0 < ln.end:
                    cur.status = self._status_from(t[m_stat.end():], s0, ln.end, cur.ordinal)
                else:  # the label alone, the words on the next line
                    cur.status = None
                cur.list_next = 0
                continue
            m_meas = self.measure_re.match(t)
            if m_meas:
                if cur is None:
                    continue
                cur.in_measures = True
                if ln.start + m_meas.end() < ln.end:
                    cur.measures.append((self.span(ln.start + m_meas.end(), ln.end), cur_part, None))
                    cur.list_next = 0
                else:
                    cur.list_next = 1  # an empty label: a 1./2. list of measures may follow
                continue
            m_cn = RE_PAREN_CN.match(t)
            if m_cn:
                ordinal = self.doc.text[ln.start:ln.start + m_cn.start(2)].strip(WS)
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
                        style="label" if label else "cn",
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
            m_dash = RE_DASHED.match(t)
            if m_dash:
                cur = self._new_draft(
                    ordinal=f"{m_dash.group(1)}-{m_dash.group(2)}",
                    labelled="",
                    text_s=ln.start + m_dash.end(),
                    ln=ln,
                    sec=sec,
                    category_id=cat_id,
                    style="dashed",
                )
                drafts.append(cur)
                cur_part = ""
                continue
            m_num = RE_NUMBERED.match(t)
            if m_num:
                n = int(m_num.group(1) or m_num.group(2))
                if (
                    cur is not None
                    and cur.in_measures
                    and cur.list_next
                    and n == cur.list_next
                    and not is_measure(nxt)  # a problem is followed by its measures label
                    # … or by its status line when the current problem has had its own
                    and not (cur.status is not None and n == last_num + 1 and is_status(nxt))
                ):
                    cur.measures.append((self.span(ln.start + m_num.end(), ln.end), cur_part, f"{n}."))
                    cur.list_next += 1
                    continue
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
                    style="label",
                )
                drafts.append(cur)
                cur_part = ""
                continue
            m_sub = RE_PAREN_NUM.match(t)
            if m_sub:
                ordinal = self.doc.text[ln.start:ln.start + m_sub.start(2)].strip(WS)
                n = int(m_sub.group(1).translate(_FULLWIDTH_DIGITS))
                if (
                    cur is not None
                    and cur.in_measures
                    and cur.list_next
                    and n == cur.list_next
                    and not is_measure(nxt)  # a problem is followed by its measures label
                    # … or by its status line when the current problem has had its own
                    and not (cur.status is not None and n == last_num + 1 and is_status(nxt))
                ):
                    # (1)… (2)… listed under an empty 整改措施: label: one measure each
                    cur.measures.append((self.span(ln.start + m_sub.start(2), ln.end), cur_part, ordinal))
                    cur.list_next += 1
                    continue
                if cur is None or cur.style == "paren":
                    # (1)关于…: the problems themselves, under a category heading
                    cur = self._new_draft(
                        ordinal=ordinal,
                        labelled="",
                        text_s=ln.start + m_sub.start(2),
                        ln=ln,
                        sec=sec,
                        category_id=cat_id,
                        style="paren",
                    )
                    drafts.append(cur)
                    cur_part = ""
                    continue
                if cur.in_measures and not cur.parts:
                    # (1)… under 整改措施: one measure each
                    if ln.start + m_sub.start(2) < ln.end:
                        cur.measures.append((self.span(ln.start + m_sub.start(2), ln.end), cur_part, ordinal))
                    continue
                cur.parts.append((ordinal, self.span(ln.start + m_sub.start(2), ln.end)))
                cur_part = ordinal
                continue
            if cur is not None and cur.status is None:
                bare = bare_status(t)
                if bare is not None:
                    key, _words, bs, be = bare
                    cur.status = StatusRec(key, self.doc.text[ln.start + bs:ln.start + be], self.span(ln.start + bs, ln.start + be), "line")
                    cur.list_next = 0
                    continue
            # a continuation line
            if cur is None:
                continue
            if cur.in_measures:
                cur.measures.append((self.span(ln.start, ln.end), cur_part, None))
            elif cur.status is None and not cur.parts:
                cur.extra_text.append(ln)
        if self.table is not None and self.table.misfits:
            self.warn("W017", lines[-1].start if lines else None, rows=self.table.misfits)
            self.table.misfits = 0
        return cats, [self._finish(d, base + k) for k, d in enumerate(drafts)]

    # 台账 tables ---------------------------------------------------------------------------

    def _raw_cells(self, ln: Line) -> list[tuple[int, int]]:
        """(start, end) of each tab-separated cell of the source line holding ``ln`` (cells
        stripped; empty cells kept, so columns stay aligned with the header)."""
        text = self.text
        s = text.rfind("\n", 0, ln.start) + 1
        e = text.find("\n", ln.end)
        e = len(text) if e < 0 else e
        s, e = max(s, self.start), min(e, self.end)
        out = []
        pos = s
        while True:
            tab = text.find("\t", pos, e)
            stop = e if tab < 0 else tab
            a, b = pos, stop
            while a < b and text[a] in WS + "\r":
                a += 1
            while b > a and text[b - 1] in WS + "\r":
                b -= 1
            out.append((a, b))
            if tab < 0:
                return out
            pos = tab + 1

    def _table_header(self, ln: Line) -> _Table | None:
        """The header row of a 台账 table: a problem column and a measures or status column."""
        cells = self._raw_cells(ln)
        if len(cells) < 2:
            return None
        columns: dict[str, int] = {}
        for k, (a, b) in enumerate(cells):
            name = re.sub(r"\s+", "", self.text[a:b])
            if not name or len(name) > 12:
                return None
            for role, words in _labels()["table_columns"]:
                if any(w in name for w in words):
                    columns.setdefault(role, k)
                    break
        if "problem" in columns and ("measure" in columns or "status" in columns):
            return _Table(columns, len(cells))
        return None

    def _table_row(self, ln, sec, cat_id, cats, drafts, cur) -> tuple[_Draft | None, str | None]:
        """One data row of a 台账 table → a problem (or a category row, or more of the last
        problem's measures when the problem cell is empty)."""
        table = self.table
        cells = self._raw_cells(ln)
        filled = [(a, b) for a, b in cells if b > a]
        if len(cells) != table.width:
            if len(filled) == 1:  # a merged row naming a category
                a, b = filled[0]
                cat = self._category("", a, b, is_problem=False)
                cats.append(cat)
                return None, cat.id
            table.misfits += 1

        def cell(role: str) -> tuple[int, int] | None:
            k = table.columns.get(role)
            if k is None or k >= len(cells) or cells[k][1] <= cells[k][0]:
                return None
            return cells[k]

        problem, measure, status = cell("problem"), cell("measure"), cell("status")
        category, ordinal = cell("category"), cell("ordinal")
        if category is not None:
            label = self.text[category[0]:category[1]]
            if label != table.category:
                table.category = label
                cat = self._category("", category[0], category[1], is_problem=False)
                cats.append(cat)
                cat_id = cat.id
        if problem is None:
            if cur is not None and cur.style == "table":
                if measure is not None:
                    cur.measures.append((self.span(*measure), "", None))
                if status is not None and cur.status is None:
                    cur.status = self._status_from(self.text[status[0]:status[1]], status[0], status[1], cur.ordinal)
            return cur, cat_id
        number = self.text[ordinal[0]:ordinal[1]].strip(".．、 ") if ordinal else ""
        text_s = problem[0]
        m_num = RE_NUMBERED.match(self.text[problem[0]:problem[1]])
        if m_num and not number:
            number = m_num.group(1) or m_num.group(2)
            text_s += m_num.end()
        number = number or str(sum(1 for d in drafts if d.style == "table") + 1)
        d = _Draft(
            ordinal=number,
            labelled="",
            text_span=self.span(text_s, problem[1]),
            line_span=self.span(ln.start, ln.end),
            section=sec,
            category_id=cat_id,
            style="table",
        )
        if measure is not None:
            d.measures.append((self.span(*measure), "", None))
            d.in_measures = True
        if status is not None:
            d.status = self._status_from(self.text[status[0]:status[1]], status[0], status[1], number)
        drafts.append(d)
        return d, cat_id

    # drafts ----------------------------------------------------------------------------------

    def _category(self, ordinal: str, s: int, e: int, is_problem: bool) -> CategoryRec:
        text = self.text[s:e]
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

    def _new_draft(self, ordinal, labelled, text_s, ln, sec, category_id, style="numbered") -> _Draft:
        end = ln.end
        status = None
        m = RE_BRACKETED.search(ln.text)
        if m and m.start() > text_s - ln.start:
            bare = bare_status(m.group(1))
            if bare is not None:  # 1.……问题。(已完成)
                key, _words, bs, be = bare
                s0, e0 = ln.start + m.start(1) + bs, ln.start + m.start(1) + be
                status = StatusRec(key, self.doc.text[s0:e0], self.span(s0, e0), "line")
                end = ln.start + m.start()
                while end > text_s and self.text[end - 1] in WS:
                    end -= 1
        return _Draft(
            ordinal=ordinal,
            labelled=labelled,
            text_span=self.span(text_s, end),
            line_span=self.span(ln.start, ln.end),
            section=sec,
            category_id=category_id,
            style=style,
            status=status,
        )

    def _finish(self, d: _Draft, position: int) -> ProblemRec:
        text_span = d.text_span
        if d.extra_text:
            text_span = self.span(d.text_span.start, d.extra_text[-1].end)
        pid = stable_id("problem", self.id, d.section, d.ordinal, text_span.start)
        measures = []
        for span, part, ordinal in d.measures:
            measures.extend(self._split_measures(pid, span, part, len(measures), ordinal))
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

    def _split_measures(self, pid: str, span: Span, part: str, base: int, ordinal: str | None = None) -> list[MeasureRec]:
        """Split a measures paragraph at 一是/二是/… (else at (1)/(2)/… or ①/②/… when they
        run in order from 1), each a Measure; else one Measure. An ``ordinal`` given by the
        caller (a (1)… or 1.… line) makes the span one Measure with that ordinal."""
        if ordinal is not None:
            s, e = span.start, span.end
            while s < e and self.text[s] in WS:
                s += 1
            if e <= s:
                return []
            sp = self.doc.span(s, e)
            return [MeasureRec(stable_id("measure", pid, sp.start), sp.exact, sp, ordinal, part)]
        text = self.text[span.start:span.end]
        hits = [(m.start(1), self.doc.text[span.start + m.start(1):span.start + m.end(1)]) for m in RE_ENUM.finditer(text)]
        if not hits:
            hits = _paren_enumeration(text, self.doc.text[span.start:span.end])
        cuts: list[tuple[int, str]] = []
        if hits:
            if text[: hits[0][0]].strip(WS):
                cuts.append((0, ""))
            cuts.extend(hits)
        else:
            cuts.append((0, ""))
        out = []
        for k, (s, ordinal_) in enumerate(cuts):
            e = cuts[k + 1][0] if k + 1 < len(cuts) else len(text)
            ts = s + len(ordinal_)
            while ts < e and text[ts] in WS:
                ts += 1
            te = e
            while te > ts and text[te - 1] in WS:
                te -= 1
            if te <= ts:
                continue
            sp = self.doc.span(span.start + ts, span.start + te)
            out.append(MeasureRec(stable_id("measure", pid, sp.start), sp.exact, sp, ordinal_, part))
        return out

    def _inline_status(self, measures: list[MeasureRec]) -> StatusRec:
        for m in measures:
            found = map_status(self.text[m.span.start:m.span.end], "inline")
            if found:
                key, phrase, off = found
                s = m.span.start + off
                return StatusRec(key, self.doc.text[s:s + len(phrase)], self.doc.span(s, s + len(phrase)), "inline")
        return StatusRec("Unknown", "", None, "none")


def _paren_enumeration(text: str, original: str) -> list[tuple[int, str]]:
    """(offset, ordinal as printed) of (1)/(2)/… or ①/②/… markers in a measures paragraph,
    when they run 1, 2, 3 … from the first one; else []."""
    hits = []
    expected = 1
    for m in RE_ENUM_PAREN.finditer(text):
        n = int(m.group(2)) if m.group(2) else ord(m.group(3)) - ord("①") + 1
        if n != expected:
            continue
        hits.append((m.start(1), original[m.start(1):m.end(1)]))
        expected += 1
    return hits if len(hits) >= 2 else []


def _replace(rec: BulletinRec, **kw) -> BulletinRec:
    from dataclasses import replace

    return replace(rec, **kw)


def segment(doc: SourceDocument) -> tuple[list[BulletinRec], list[Issue]]:
    """All bulletins of one document, with the warnings met on the way.

    A look-alike (an audit report, an environmental-inspection notice, news about a round) gets
    ``E011``; a document in which no problem is found anywhere gets ``E010`` (not a bulletin).
    A text without line breaks is read through virtual lines and gets ``W015``.
    """
    text = match_text(doc.text)
    lines, virtual = document_lines(text)
    found = lookalike(lines)
    if found is not None:
        kind, kind_en, title = found
        return [], [Issue("E011", doc.path, {"kind": kind, "kind_en": kind_en, "title": title[:40]})]
    bulletins: list[BulletinRec] = []
    issues: list[Issue] = []
    if virtual:
        issues.append(Issue("W015", doc.path, {"chars": len(doc.text)}))
    for index, (s, e, label) in enumerate(split_bulletins(doc, lines)):
        seg = BulletinSegmenter(doc, s, e, index, label, [ln for ln in lines if s <= ln.start < e])
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
