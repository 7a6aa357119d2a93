"""spaCy rule components of the extract stage, registered as factories next to their classes.

Each component reads its rule data from a JSONL file in ``pipeline/data`` in
``initialize()`` (or falls back to the packaged file when created without initialising), can
be written and read with ``to_disk``/``from_disk``, and puts plain spans on ``doc.spans`` under
its ``spans_key``. Only plain ids and offsets go on ``Span._`` (``verb_start``/``verb_end``).

The pipeline runs on ``spacy.blank("zh")`` (character tokens): no model is downloaded.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Iterable

import srsly
from spacy.lang.zh import ChineseTokenizer, Segmenter
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import ensure_path

if not Span.has_extension("verb_start"):
    Span.set_extension("verb_start", default=-1)
    Span.set_extension("verb_end", default=-1)


_TEXT_KEY = "xunshi_text"  # Doc.user_data key of the cached text (see doc_text)
_SPACE = re.compile(r"\s")
_CHAR_TOKEN = re.compile(r"(\S)( ?)|(\s+)")


def char_words_and_spaces(text: str) -> tuple[list[str], list[bool]]:
    """The words and spaces of ``spacy.blank("zh")``'s character segmentation of ``text``,
    exactly as ``spacy.util.get_words_and_spaces(list(text), text)`` gives them: every
    non-space character a token, one ASCII space after it its trailing space, any other run
    of whitespace a token of its own. In linear time: spaCy aligns each character by
    searching a fresh copy of the rest of the text (quadratic; a one-paragraph text of a few
    MB took hours)."""
    if not _SPACE.search(text):  # most Chinese text: one token per character, no spaces
        return list(text), [False] * len(text)
    words, spaces = [], []
    for m in _CHAR_TOKEN.finditer(text):
        ch = m.group(1)
        if ch is None:
            words.append(m.group(3))
            spaces.append(False)
        else:
            words.append(ch)
            spaces.append(bool(m.group(2)))
    return words, spaces


class CharTokenizer(ChineseTokenizer):
    """spaCy's Chinese tokenizer with character segmentation, tokens found by
    :func:`char_words_and_spaces` (the same docs as spaCy's, in linear time)."""

    def __call__(self, text: str) -> Doc:
        if self.segmenter != Segmenter.char:
            return super().__call__(text)
        words, spaces = char_words_and_spaces(text)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data[_TEXT_KEY] = text  # what doc.text would rebuild from every token
        return doc


def _read_jsonl(name_or_path: str | Path) -> list[dict]:
    p = Path(name_or_path)
    if not p.is_file():
        p = Path(str(resources.files("pipeline.data") / str(name_or_path)))
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def doc_text(doc: Doc) -> str:
    """The Doc's text, cached: ``Doc.text`` is rebuilt from every token on each access, which
    cost a quarter of a build when four components and the extract stage each read it."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def _char_span(doc: Doc, s: int, e: int, label: str) -> Span | None:
    return doc.char_span(s, e, label=label, alignment_mode="contract")


class _RuleComponent:
    """Shared plumbing: rule rows loaded in ``initialize``, serialised as JSONL."""

    data_name = ""

    def __init__(self, nlp: Language, name: str, spans_key: str, data: str):
        self.name = name
        self.spans_key = spans_key
        self.data = data or self.data_name
        self.rows: list[dict] = []
        self._compile(_read_jsonl(self.data))

    def initialize(self, get_examples=None, *, nlp=None, data: str | None = None) -> None:
        self._compile(_read_jsonl(data or self.data))

    def _compile(self, rows: list[dict]) -> None:
        self.rows = rows

    def to_disk(self, path, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "rules.jsonl", self.rows)

    def from_disk(self, path, exclude: Iterable[str] = ()):
        self._compile(list(srsly.read_jsonl(ensure_path(path) / "rules.jsonl")))
        return self


class RegexSpanner(_RuleComponent):
    """Spans from labelled regular expressions (``{"label": …, "pattern": …}`` rows)."""

    def _compile(self, rows):
        self.rows = rows
        self.patterns = [(r["label"], re.compile(r["pattern"])) for r in rows]

    def __call__(self, doc: Doc) -> Doc:
        found = []
        text = doc_text(doc)
        for label, pat in self.patterns:
            for m in pat.finditer(text):
                sp = _char_span(doc, m.start(), m.end(), label)
                if sp is not None:
                    found.append(sp)
        found.sort(key=lambda s: (s.start_char, -s.end_char, s.label_))
        kept, last_end = [], -1
        for sp in found:  # leftmost-longest, no overlaps
            if sp.start_char >= last_end:
                kept.append(sp)
                last_end = sp.end_char
        doc.spans[self.spans_key] = kept
        return doc


@Language.factory(
    "xunshi_regex",
    default_config={"spans_key": "regex", "data": "figures.jsonl"},
)
def make_regex_spanner(nlp: Language, name: str, spans_key: str, data: str) -> RegexSpanner:
    return RegexSpanner(nlp, name, spans_key, data)


CLAUSE_END = "。;;!?!?\n"
CHAIN = set("、和及与,,“”\"")


class PolicyRecognizer(_RuleComponent):
    """Titles in 《》 with the verb that introduced them.

    The label of each span is the relation: ``establishes`` (出台/制定/印发/修订/下发 …),
    ``cites`` (学习/按照/执行 …) or ``mentions`` (no verb). The verb is the nearest one before
    the title in the same clause, reached across a chain of titles (出台《A》《B》) and across a
    unit name written before the brackets (新区《…》); failing that, a cite verb after the title
    in the same clause (针对《A》等进行集中学习). An unclosed 《 runs to the end of the clause.
    """

    data_name = "policy_verbs.jsonl"

    def _compile(self, rows):
        self.rows = rows
        verbs = sorted(rows, key=lambda r: -len(r["verb"]))
        self.verb_re = re.compile("|".join(re.escape(r["verb"]) for r in verbs))
        self.relation = {r["verb"]: r["relation"] for r in rows}

    def titles(self, text: str) -> list[tuple[int, int, bool]]:
        """(start, end, unclosed) of each title, brackets excluded."""
        out = []
        i = 0
        while True:
            s = text.find("《", i)
            if s < 0:
                return out
            e = text.find("》", s + 1)
            nxt = text.find("《", s + 1)
            stop = min([p for p in (text.find(c, s + 1) for c in "。\n") if p >= 0], default=len(text))
            if e < 0 or (0 <= nxt < e) or e > stop:
                end = stop
                if end > s + 1 and text[end - 1] in ")":
                    pass
                out.append((s + 1, end, True))
                i = end
            else:
                out.append((s + 1, e, False))
                i = e + 1

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        spans = []
        for s, e, unclosed in self.titles(text):
            if e <= s:
                continue
            relation, vs, ve = self._verb(text, s - 1, e)
            label = relation + ("|unclosed" if unclosed else "")
            sp = _char_span(doc, s, e, label)
            if sp is None:
                continue
            sp._.verb_start, sp._.verb_end = vs, ve
            spans.append(sp)
        doc.spans[self.spans_key] = spans
        return doc

    def _verb(self, text: str, open_pos: int, end: int) -> tuple[str, int, int]:
        left = open_pos
        # walk back over a chain of earlier titles, separators and a short unit prefix
        while left > 0:
            ch = text[left - 1]
            if ch == "》":
                k = text.rfind("《", 0, left - 1)
                if k < 0:
                    break
                left = k
            elif ch in CHAIN:
                left -= 1
            else:
                break
        lo = left
        while lo > 0 and text[lo - 1] not in CLAUSE_END and left - lo < 30:
            lo -= 1
        window = text[lo:left]
        hits = list(self.verb_re.finditer(window))
        if hits:
            best = hits[-1]
            # a compound such as 制定落实 / 研究制定并执行: the establishing verb wins
            for prev in reversed(hits[:-1]):
                if prev.end() != best.start():
                    break
                if self.relation[prev.group(0)] == "establishes":
                    best = prev
            return self.relation[best.group(0)], lo + best.start(), lo + best.end()
        # a cite verb after the title in the same clause
        hi = end
        while hi < len(text) and text[hi] not in CLAUSE_END and hi - end < 30:
            hi += 1
        after = text[end:hi]
        for m in self.verb_re.finditer(after):
            if self.relation[m.group(0)] == "cites":
                return "cites", end + m.start(), end + m.end()
        return "mentions", -1, -1


@Language.factory("xunshi_policies", default_config={"spans_key": "policies", "data": "policy_verbs.jsonl"})
def make_policy_recognizer(nlp: Language, name: str, spans_key: str, data: str) -> PolicyRecognizer:
    return PolicyRecognizer(nlp, name, spans_key, data)


class PersonRecognizer(_RuleComponent):
    """People named with their role: ``党工委书记谭勇同志`` → role 党工委书记, name 谭勇.

    The span covers the name and is labelled ``person``; the role's offsets are on
    ``Span._.verb_start``/``verb_end`` (the shared offset slots of this package's spans).
    """

    data_name = "roles.jsonl"
    BOUNDARY = set(",,。;;:“”\"()()以由为是\n")

    def _compile(self, rows):
        self.rows = rows
        suffixes = sorted((r["suffix"] for r in rows), key=len, reverse=True)
        self.pattern = re.compile(
            "(?:" + "|".join(map(re.escape, suffixes)) + r")(?P<name>[\u4e00-\u9fff]{2,3}?)同志"
        )

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        spans = []
        for m in self.pattern.finditer(text):
            ns, ne = m.start("name"), m.end("name")
            rs = m.start()
            while rs > 0 and text[rs - 1] not in self.BOUNDARY and m.start() - rs < 24:
                rs -= 1
            if ns - rs < 2:
                continue
            sp = _char_span(doc, ns, ne, "person")
            if sp is None:
                continue
            sp._.verb_start, sp._.verb_end = rs, ns
            spans.append(sp)
        doc.spans[self.spans_key] = spans
        return doc


@Language.factory("xunshi_people", default_config={"spans_key": "people", "data": "roles.jsonl"})
def make_person_recognizer(nlp: Language, name: str, spans_key: str, data: str) -> PersonRecognizer:
    return PersonRecognizer(nlp, name, spans_key, data)
