"""Typed records that flow between stages.

Each record is a frozen dataclass carrying a content-derived id (see :func:`stable_id`) and the
:class:`Span` of source text it came from. Offsets are character offsets into the document's
reference text (:attr:`SourceDocument.text`): the decoded file for plain text, the extracted
text for HTML and office files. ``doc.text[span.start:span.end] == span.exact`` always holds.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cached_property


def stable_id(kind: str, *parts: object) -> str:
    """A content-derived id: ``kind-`` + 16 hex digits of SHA-256 over the normalised key.

    Reruns on the same input give the same ids (never ``uuid4``); ids never contain raw
    Chinese labels, so IRIs stay ASCII.
    """
    key = "\x1f".join(unicodedata.normalize("NFKC", str(p)) for p in parts)
    return f"{kind}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


@dataclass(frozen=True)
class Span:
    """A stretch of one document's reference text."""

    doc_id: str
    start: int
    end: int
    exact: str

    @cached_property  # frozen: the value never changes; hashing it is a build hot spot
    def id(self) -> str:
        return stable_id("span", self.doc_id, self.start, self.end)

    def shifted(self, delta: int) -> Span:
        return Span(self.doc_id, self.start + delta, self.end + delta, self.exact)


@dataclass(frozen=True)
class SourceDocument:
    """One input file, decoded. ``text`` is the reference for every offset."""

    path: str  # as given to the build, relative to the working directory where possible
    sha256: str  # of the file's bytes
    encoding: str  # utf-8, utf-8-sig, gb18030, or the container's (docx: utf-8)
    media_type: str  # text/plain, text/html, application/vnd.openxmlformats-...
    text: str
    size: int = 0

    @property
    def id(self) -> str:
        return f"doc-{self.sha256[:16]}"

    @property
    def needs_text_file(self) -> bool:
        """HTML and office input: offsets refer to an extracted text saved beside the graph."""
        return self.media_type != "text/plain"

    @property
    def text_file_name(self) -> str:
        return f"text/{self.id}.txt"

    def span(self, start: int, end: int) -> Span:
        return Span(self.id, start, end, self.text[start:end])

    def __reduce__(self):
        # The text goes as UTF-8 bytes. Pickling a str makes CPython keep a UTF-8 copy inside
        # it (PyUnicode_AsUTF8AndSize) for as long as the str lives, and a build keeps every
        # document's text to the end: the document cache's pickling of each document cost
        # ~130 MiB at the peak of a 10,000-bulletin build (3 bytes a character).
        return (_source_document, (self.path, self.sha256, self.encoding, self.media_type,
                                   self.text.encode("utf-8", "surrogatepass"), self.size))


def _source_document(path: str, sha256: str, encoding: str, media_type: str, text: bytes, size: int) -> SourceDocument:
    """A pickled :class:`SourceDocument` back (see its ``__reduce__``)."""
    return SourceDocument(path, sha256, encoding, media_type, text.decode("utf-8", "surrogatepass"), size)


# --- segment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRec:
    """The rectification status as printed and as mapped to ``xs:RectificationStatus``."""

    key: str  # Completed, PartiallyCompleted, NotCompleted, InProgress, LongTerm, Unknown
    text: str = ""  # as printed (完成, 已完成 ...), "" when none was printed
    span: Span | None = None  # the status words in the source
    how: str = "line"  # line (整改结果:…), inline (已整改到位 in the measures), none


@dataclass(frozen=True)
class MeasureRec:
    id: str
    text: str
    span: Span
    ordinal: str = ""  # 一是 / 二是 … as printed, "" when the block is not enumerated
    part: str = ""  # ordinal of the sub-item ((1), (2)) this measure answers, if any


@dataclass(frozen=True)
class ProblemPartRec:
    """A sub-item such as ``(1)学习氛围不够浓厚。`` that belongs to one problem."""

    id: str
    ordinal: str
    text: str
    span: Span


@dataclass(frozen=True)
class ProblemRec:
    id: str
    ordinal: str  # as printed: "1", "问题28", "(五)" …
    text: str  # the statement without its printed number or label
    span: Span  # of ``text``
    line_span: Span  # the whole printed line, number included
    section: int  # index into BulletinRec.sections
    category_id: str | None
    status: StatusRec
    measures: tuple[MeasureRec, ...] = ()
    parts: tuple[ProblemPartRec, ...] = ()
    labelled_ordinal: str = ""  # the 问题N label when printed beside another number (1.问题1:)


@dataclass(frozen=True)
class CategoryRec:
    id: str
    ordinal: str  # (一)
    label: str  # the heading text without ordinal and 反馈问题: label
    span: Span
    is_problem: bool = False  # bulletins that make each category a single problem


@dataclass(frozen=True)
class SectionRec:
    ordinal: str  # 一 / 二 …
    title: str
    span: Span
    kind: str  # organisation, done, unfinished, plan, other
    start: int
    end: int


@dataclass(frozen=True)
class BulletinRec:
    id: str
    doc_id: str
    index: int  # 0 = main bulletin, N = 附件N
    attachment: str  # "" or "附件1" as printed
    start: int
    end: int
    title: str
    title_span: Span
    issuer: str
    issuer_span: Span | None
    date: str  # ISO yyyy-mm-dd or ""
    date_span: Span | None
    opening: Span | None  # the paragraph saying who inspected whom and when
    sections: tuple[SectionRec, ...] = ()
    categories: tuple[CategoryRec, ...] = ()
    problems: tuple[ProblemRec, ...] = ()
    organisation: Span | None = None  # the 组织整改落实情况 section body
    tail: Span | None = None  # plans, contact line and signature


# --- extract ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyMention:
    title: str  # without 《》
    span: Span  # of the title, brackets excluded
    owner: str  # measure, problem or bulletin id
    relation: str  # establishes, cites or mentions
    verb: str = ""  # 出台, 制定, 学习 … as printed, "" when none
    verb_span: Span | None = None
    unclosed: bool = False
    prefix_unit: str = ""  # an issuer written just before 《 (新区《…》)


@dataclass(frozen=True)
class UnitMention:
    name: str
    span: Span
    owner: str
    role: str  # issuer, inspected, concerns, member, mentioned
    anonymised: bool = False
    alias: str = ""  # (以下简称X)


@dataclass(frozen=True)
class PersonMention:
    name: str
    role: str
    span: Span
    role_span: Span
    owner: str  # bulletin id
    unit: str = ""  # the unit the role belongs to, as printed or implied (the issuer)


@dataclass(frozen=True)
class FigureMention:
    value: str  # decimal as a string (exact, no float rounding)
    unit: str  # 亿元, 万元, %, 个, 人 …
    text: str
    span: Span
    owner: str


@dataclass(frozen=True)
class InspectionMention:
    owner: str  # bulletin id
    span: Span  # the opening sentence(s) it was read from
    kind: str  # 巡视, 提级巡视, 延伸巡视, 巡察 …
    team: str = ""  # 省委第十四巡视组
    level: str = ""  # 中央, 省, 市, 区县
    body: str = ""  # 省委
    start: str = ""  # ISO date
    end: str = ""
    feedback: str = ""
    inspected: str = ""  # the inspected unit as printed
    inspected_alias: str = ""
    feedback_to: str = ""
    team_span: Span | None = None
    inspected_span: Span | None = None
    feedback_to_span: Span | None = None
    round: str = ""  # as printed: 十二届省委第四轮
    round_span: Span | None = None


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one bulletin."""

    bulletin: BulletinRec
    policies: tuple[PolicyMention, ...] = ()
    units: tuple[UnitMention, ...] = ()
    people: tuple[PersonMention, ...] = ()
    figures: tuple[FigureMention, ...] = ()
    inspection: InspectionMention | None = None

    def for_link(self) -> Extraction:
        """What the link stage reads of this bulletin (:func:`pipeline.link.link`): its
        units, people, policies and inspection, and the bulletin's own fields without its
        sections, categories and problems, the bulk of the records."""
        b = replace(self.bulletin, sections=(), categories=(), problems=(), organisation=None, tail=None)
        return Extraction(b, self.policies, self.units, self.people, (), self.inspection)


@dataclass(frozen=True)
class DocumentResult:
    """One input file through ingest, segment and extract."""

    source: SourceDocument
    extractions: tuple[Extraction, ...] = ()
    issues: tuple = field(default=())
