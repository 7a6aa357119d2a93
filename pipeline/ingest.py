"""Ingest: find input files and turn each one into a :class:`SourceDocument`.

The document's ``text`` is the reference for every character offset downstream:

* plain text (``.txt``): the file exactly as decoded (UTF-8, UTF-8 with BOM, GB18030 or
  UTF-16 with BOM); only a leading BOM is removed, line ends are kept as they are;
* web pages (``.html``/``.htm``): the main article text, one line per block element, without
  navigation, menus, search boxes, footers, scripts and counters;
* Word documents (``.docx``): one line per paragraph in body order, each table row as one line
  with its cells joined by a tab.

Bad input never raises anything but :class:`XunshiError` with an ingest code (E001-E009);
problems that do not stop the file come back as warning :class:`Issue` objects (W001, W003).
The same bytes always give the same document.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import Issue, XunshiError
from .records import SourceDocument

SUPPORTED = {".txt", ".html", ".htm", ".docx"}

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# Formats we recognise but cannot read yet, with what the analyst should do instead.
LEGACY = {
    ".doc": "请用 Word/WPS 打开并另存为 .docx / open in Word or WPS and save as .docx",
    ".wps": "请用 WPS 打开并另存为 .docx / open in WPS and save as .docx",
    ".pdf": "请保存原网页为 .html,或把正文复制到 .txt / save the web page as .html or copy the text into a .txt",
}

# Share of bad bytes (among non-ASCII bytes) up to which a file is decoded with replacement.
MAX_BAD_SHARE = 0.1
# Share of C0 control bytes above which a file counts as binary.
MAX_CONTROL_SHARE = 0.1
# An HTML table cell with more Chinese characters than this is page layout, not a data cell.
MAX_CELL_CHARS = 600

_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_BINARY_MAGIC = (
    b"%PDF-",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE2: legacy .doc/.xls/.wps
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
    b"Rar!",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


# --- discovery and paths -----------------------------------------------------------------------


def display_path(path: Path) -> str:
    """The path relative to the working directory when under it (posix), else absolute posix."""
    absolute = Path(os.path.abspath(path))
    cwd = Path(os.getcwd())
    rel = _relative(absolute, cwd)
    if rel is None:
        try:  # the same place reached through a symbolic link
            rel = _relative(absolute.resolve(), cwd.resolve())
        except (OSError, RuntimeError):
            rel = None
    if rel is None:
        return absolute.as_posix()
    return rel.as_posix() if rel.parts else "."


def _relative(path: Path, base: Path) -> Path | None:
    """``path`` relative to ``base``, or None when it is not under it."""
    try:
        return path.relative_to(base)
    except ValueError:
        return None


def discover(inputs: Sequence[str | Path]) -> list[Path]:
    """Every regular file named by ``inputs`` or found under the folders they name.

    Folders are walked recursively; hidden files and folders (names starting with ``.``) found
    while walking are skipped. Files are returned whether their type is supported or not, so
    that every input is accounted for in the run report. A named input that is not a folder is
    returned as given (even if missing, so that reading it reports E005). The result is sorted
    by posix path and holds each file once.
    """
    seen: set[str] = set()
    found: list[Path] = []
    for item in inputs:
        for path in _expand(Path(item)):
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                found.append(path)
    return sorted(found, key=lambda p: p.as_posix())


def _expand(path: Path) -> Iterator[Path]:
    """The files one input stands for: itself, or the visible regular files under a folder."""
    if not path.is_dir():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            candidate = Path(root) / name
            if not name.startswith(".") and candidate.is_file():
                yield candidate


# --- reading -----------------------------------------------------------------------------------


def read_document(
    path: Path, display_path: str | None = None, max_bytes: int = 200_000_000
) -> tuple[SourceDocument, list[Issue]]:
    """Read and decode one input file.

    Returns the document and its warnings (W001 replaced bytes, W003 control characters).
    Raises :class:`XunshiError` for a file that cannot be used: E001 empty, E002 binary,
    E003 undecodable, E004 unsupported type, E005 unreadable, E006 broken .docx, E007 too large,
    E008 legacy .doc/.wps/.pdf, E009 no text could be extracted.
    """
    path = Path(path)
    source = display_path if display_path is not None else _display(path)
    suffix = path.suffix.lower()
    if suffix in LEGACY:
        raise XunshiError("E008", source, suffix=suffix, advice=LEGACY[suffix])
    if suffix not in SUPPORTED:
        raise XunshiError("E004", source, suffix=suffix or "(无扩展名 / no extension)")
    data = _read_bytes(path, source, max_bytes)
    if suffix == ".docx":
        text, encoding, issues = _docx_text(data, source), "utf-8", []
    elif suffix == ".txt":
        text, encoding, issues = _decode(data, source)
    else:
        text, encoding, issues = _html_document(data, source)
    if not text.strip():
        if suffix == ".txt":
            raise XunshiError("E001", source)
        raise XunshiError("E009", source, detail="文件中没有正文文字 (no text in the file)")
    issues.extend(_control_warnings(text, source))
    doc = SourceDocument(
        path=source,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        media_type=MEDIA_TYPES[suffix],
        text=text,
        size=len(data),
    )
    return doc, issues


_display = display_path  # read_document's parameter shadows the public name


def _read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    """The file's bytes; E005 when unreadable, E007 when too large, E001 when empty."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise XunshiError("E005", source, detail="不是普通文件 (not a regular file)")
        if max_bytes and info.st_size > max_bytes:
            raise XunshiError("E007", source, size=info.st_size, limit=max_bytes)
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1) if max_bytes else fh.read()
    except OSError as exc:
        raise XunshiError("E005", source, detail=exc.strerror or str(exc)) from exc
    if max_bytes and len(data) > max_bytes:
        raise XunshiError("E007", source, size=len(data), limit=max_bytes)
    if not data:
        raise XunshiError("E001", source)
    return data


# --- decoding ----------------------------------------------------------------------------------


def _decode(data: bytes, source: str, declared: str | None = None) -> tuple[str, str, list[Issue]]:
    """Decode bytes as text: BOM, UTF-8, then ``declared``, GB18030; E002/E003 when impossible.

    Valid UTF-8 wins over a declared charset (pages re-saved as UTF-8 often keep a stale
    ``charset=gb2312``; GB text is practically never valid UTF-8). UTF-8 with a few bad bytes
    is preferred over a strict GB18030 reading, since GB18030 accepts most byte sequences and
    would turn such a file into mojibake.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_lenient(data, encoding, source, require_share=False)
    if _looks_binary(data):
        raise XunshiError("E002", source)
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared), declared, []
        except (UnicodeError, LookupError):
            pass
    if _bad_share(data, "utf-8") <= MAX_BAD_SHARE:
        return _decode_lenient(data, "utf-8", source)
    try:
        return data.decode("gb18030"), "gb18030", []
    except UnicodeDecodeError:
        pass
    return _decode_lenient(data, "gb18030", source)


def _decode_lenient(
    data: bytes, encoding: str, source: str, require_share: bool = True
) -> tuple[str, str, list[Issue]]:
    """Decode with U+FFFD for bad bytes (W001), or E003 when too much of the file is bad."""
    try:
        return data.decode(encoding), encoding, []
    except UnicodeDecodeError:
        pass
    if require_share and _bad_share(data, encoding) > MAX_BAD_SHARE:
        raise XunshiError("E003", source)
    text = data.decode(encoding, errors="replace")
    count = _bad_bytes(data, encoding)
    return text, encoding, [Issue("W001", source, {"count": count}, offset=text.find("\ufffd"))]


def _bad_bytes(data: bytes, encoding: str) -> int:
    """How many bytes of ``data`` are not part of a valid sequence in ``encoding``."""
    valid = data.decode(encoding, errors="ignore")
    try:
        return max(len(data) - len(valid.encode(encoding)), 0)
    except UnicodeEncodeError:
        replaced = data.decode(encoding, errors="replace")
        return replaced.count("\ufffd") - valid.count("\ufffd")


def _bad_share(data: bytes, encoding: str) -> float:
    """Bad bytes as a share of the non-ASCII bytes (the only ones that can be bad)."""
    non_ascii = len(data.translate(None, bytes(range(128))))
    return _bad_bytes(data, encoding) / max(non_ascii, 1)


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, a known binary signature, or many control bytes."""
    if b"\x00" in data or data.startswith(_BINARY_MAGIC):
        return True
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return controls / len(data) > MAX_CONTROL_SHARE


def _control_warnings(text: str, source: str) -> list[Issue]:
    """W003 when the text holds control characters other than tab, newlines and form feed."""
    found = _CONTROL_CHARS.findall(text)
    if not found:
        return []
    first = _CONTROL_CHARS.search(text)
    return [Issue("W003", source, {"count": len(found)}, offset=first.start() if first else None)]


# --- HTML --------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<(?:meta\b[^>]*?\bcharset|\?xml\b[^>]*?\bencoding)\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_GB_NAMES = {"gb2312", "gbk", "gb18030", "cp936", "ms936", "euc_cn", "gb_2312_80", "x_gbk", "csgb2312", "chinese"}
_IGNORED_CHARSETS = {"latin_1", "iso8859_1", "cp1252", "ascii", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_7"}

_NOISE_TAGS = (
    "script", "style", "noscript", "nav", "aside", "iframe", "select", "button", "input", "textarea",
    "template", "svg", "object", "embed", "map", "canvas", "audio", "video", "label", "option",
)  # fmt: skip
_NOISE_WORDS = re.compile(
    r"nav|menu|footer|foot|header|breadcrumb|crumb|search|sousuo|share|fenxiang|bdshare|sidebar|"
    r"copyright|banquan|counter|visit|fwl|llcs|print|login|toolbar|qrcode|erweima|weixin|logo|"
    r"friendlink|yqlj|links|related|xgxx|xgwz|location|position|dqwz|top|bottom|wza|skip|fontsize|"
    r"zihao|ad|advert|close|gjt|side"
)
_NOISE_TOKEN = re.compile(rf"^(?:{_NOISE_WORDS.pattern})(?:\d*)$")
_NOISE_SUBSTRING = re.compile(r"navigation|navbar|breadcrumb|copyright|sidebar|footer|header|sousuo|bdshare|friendlink")
_CONTENT_NAMES = (
    "trs_editor", "custom_unionstyle", "ucap-content", "zoom", "fontzoom", "article-content",
    "article_content", "articlecontent", "news_content", "newscontent", "main-text", "maintext",
    "content", "article", "detail", "xl_content", "art_con", "artibody", "wznr", "nr", "text",
    "pages_content", "contenttext", "con", "view", "bodylabel", "ccontent", "contxt",
)  # fmt: skip
_CONTAINER_TAGS = {"div", "article", "main", "section", "td", "body", "center"}
_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "thead", "tbody", "tfoot", "caption", "section", "article", "main", "blockquote", "pre",
    "center", "address", "figure", "figcaption", "hr", "form", "fieldset", "header", "footer",
    "body", "html", "tr", "td", "th", "title", "legend", "details", "summary",
}  # fmt: skip
_BOILERPLATE_LINE = re.compile(
    r"浏览次数|访问量|阅读次数|点击数|点击量|浏览量|阅读量|【?字[体号][::]|打印本页|打印文章|【打印】|"
    r"关闭窗口|关闭本页|【关闭】|分享到|扫一扫|当前位置[::]|您现在的位置|上一篇|下一篇"
)
_TITLE_SPLIT = re.compile(r"\s*(?:[_|｜]|——|—|－|(?<!\d)-(?!\d))\s*")
_TITLE_HINT = re.compile(r"通报|整改|巡视|巡察")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WIDE = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]"
_SEGMENT_BREAK = re.compile(r"(?<=(.))[ \t\r\f\v]*\n[ \t\r\n\f\v]*(?=(.))")
_WIDE_CHAR = re.compile(_WIDE)
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u2002-\u200a\u202f\u205f]+")


def _html_document(data: bytes, source: str) -> tuple[str, str, list[Issue]]:
    """Decode a saved web page and extract its article text."""
    markup, encoding, issues = _decode(data, source, _declared_charset(data))
    controls = len(_CONTROL_CHARS.findall(markup))
    if controls:  # invisible in a browser, and lxml refuses them: removed, but reported
        markup = _CONTROL_CHARS.sub("", markup)
        issues.append(Issue("W003", source, {"count": controls}))
    return _html_text(markup, source), encoding, issues


def _declared_charset(data: bytes) -> str | None:
    """The codec named by ``<meta charset>``, http-equiv or an XML declaration, if usable.

    GB2312/GBK are read as GB18030 (their superset); Western single-byte and UTF-16 names,
    often wrong defaults of a CMS, are ignored in favour of detection.
    """
    match = _META_CHARSET.search(data[:65536])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower().replace("-", "_")
    if name in _GB_NAMES or name.startswith("gb"):
        return "gb18030"
    try:
        codec = codecs.lookup(name).name
        b"<".decode(codec)  # rejects bytes-to-bytes codecs such as hex or base64
    except (LookupError, UnicodeError):
        return None
    key = codec.replace("-", "_")
    if key in _IGNORED_CHARSETS or key.startswith(("iso8859", "cp125")):
        return None
    return "utf-8" if key == "utf_8" else codec


def _html_text(markup: str, source: str) -> str:
    """The article text of a page: noise removed, content block chosen, one line per block."""
    from lxml import etree, html  # local import keeps module import cheap

    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)
    parser = html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        root = html.document_fromstring(markup, parser=parser)
        headings = list(root.iter("h1"))
        page_titles = [_text_of(t) for t in root.iter("title")]
        _drop_noise(root)
        lines = [ln for ln in _block_lines(_content_block(root)) if not _is_boilerplate(ln)]
    except (etree.LxmlError, ValueError) as exc:
        raise XunshiError("E009", source, detail=f"{type(exc).__name__}: {exc}") from exc
    title = _pick_title(_title_candidates(root, headings, page_titles), lines)
    if title:
        lines.insert(0, title)
    return "\n".join(lines)


def _text_of(el) -> str:
    """Whitespace-collapsed text content of an element."""
    return _SPACES.sub(" ", el.text_content()).strip()


def _title_candidates(root, headings: list, page_titles: list[str]) -> list[str]:
    """Bulletin-like titles, best first: ``<h1>`` still on the page after noise removal, the
    parts of ``<title>`` (longest first), then ``<h1>`` removed with page furniture."""
    kept = [h for h in headings if any(a is root for a in h.iterancestors())]
    found = [_text_of(h) for h in kept]
    for title in page_titles:
        parts = [p.strip() for p in _TITLE_SPLIT.split(title) if p.strip()]
        found.extend(sorted(parts, key=len, reverse=True))
    found.extend(_text_of(h) for h in headings if h not in kept)
    return [t for t in found if _TITLE_HINT.search(t) and len(t) <= 120]


def _pick_title(titles: list[str], lines: list[str]) -> str:
    """The first title candidate the content does not already start with, or ``""``."""
    if not titles:
        return ""
    head = re.sub(r"\s+", "", "".join(lines[:3]))
    title = titles[0]
    return "" if re.sub(r"\s+", "", title) in head else title


def _classes(el) -> str:
    """The element's id and class attribute, lower case."""
    return f"{el.get('id', '')} {el.get('class', '')}".lower()


def _is_noise_name(names: str) -> bool:
    """Whether an id/class string names navigation, footer, search … rather than content."""
    if _NOISE_SUBSTRING.search(names):
        return True
    tokens = re.split(r"[\s_\-]+", names)
    return any(_NOISE_TOKEN.match(t) for t in tokens if t)


def _is_hidden(el) -> bool:
    """Whether inline style or the ``hidden`` attribute hides the element."""
    style = el.get("style", "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None


def _drop_noise(root) -> None:
    """Remove scripts, navigation, forms, headers, footers and elements named like them."""
    for el in list(root.iter(*_NOISE_TAGS, "head")):
        if el.getparent() is not None:
            el.drop_tree()
    body_chars = _cjk_count(root)
    for el in list(root.iter()):
        if el.getparent() is None or not isinstance(el.tag, str) or el.tag in ("body", "html"):
            continue
        if _is_noise_element(el, body_chars):
            el.drop_tree()


def _is_noise_element(el, body_chars: int) -> bool:
    """Noise by tag, visibility or name; large text blocks are kept whatever their name."""
    if _is_hidden(el):
        return True
    tag = el.tag
    inside_article = any(a.tag in ("article", "main") for a in el.iterancestors())
    if tag == "footer" or (tag == "header" and not inside_article):
        return True
    if tag == "form":  # a search box, or an ASP.NET page wrapping everything in one form
        return _cjk_count(el) < max(50, body_chars // 2)
    names = _classes(el)
    if names.strip() and _is_noise_name(names):
        return _own_text_chars(el) <= body_chars // 2
    return False


def _cjk_count(el) -> int:
    """Number of CJK characters in an element's text."""
    return len(_CJK.findall(el.text_content()))


def _own_text_chars(el) -> int:
    """CJK characters outside links: the article-like text an element holds."""
    linked = sum(_cjk_count(a) for a in el.iter("a"))
    return _cjk_count(el) - linked


def _content_block(root):
    """The element that holds the article: a known CMS container, else the deepest element
    holding most of the page's non-link text."""
    body = root.find("body")
    body = root if body is None else body
    total = _own_text_chars(body)
    if total == 0:
        return body
    scored = {el: _own_text_chars(el) for el in body.iter() if isinstance(el.tag, str) and el.tag in _BLOCK_TAGS}
    named = [el for el, n in scored.items() if n >= total * 0.5 and el.tag in _CONTAINER_TAGS and _has_content_name(el)]
    if named:
        return _deepest(named)
    return _deepest([el for el, n in scored.items() if n >= total * 0.8])


def _has_content_name(el) -> bool:
    """Whether the element's id or one of its classes is a usual CMS article container name."""
    return any(name in _CONTENT_NAMES for name in _classes(el).split())


def _deepest(elements: list):
    """The element with the most ancestors (ties: the first in document order)."""
    return max(elements, key=lambda el: (sum(1 for _ in el.iterancestors()), -elements.index(el)))


@dataclass
class _Lines:
    """Accumulates inline text into stripped, whitespace-collapsed lines."""

    lines: list[str]
    buffer: list[str]

    def add(self, text: str | None) -> None:
        if text:
            self.buffer.append(text)

    def newline(self) -> None:
        line = _normalise_line("".join(self.buffer))
        self.buffer.clear()
        if line:
            self.lines.append(line)

    def add_line(self, line: str) -> None:
        self.newline()
        if line.strip():
            self.lines.append(line)


def _normalise_line(text: str) -> str:
    """Collapse spaces, drop source line breaks next to Chinese text, strip the ends."""
    text = _SEGMENT_BREAK.sub(_segment_break, text)
    return _SPACES.sub(" ", text).strip()


def _segment_break(match: re.Match) -> str:
    """A line break in the markup renders as nothing next to Chinese text (CSS Text 3 style):
    dropped when one side is a wide character and the other is not a Latin letter."""
    before, after = match.group(1), match.group(2)
    wide = [bool(_WIDE_CHAR.match(c)) for c in (before, after)]
    latin = [c.isascii() and c.isalpha() for c in (before, after)]
    return "" if any(wide) and not any(latin) else " "


def _block_lines(el) -> list[str]:
    """The text of an element as lines: one per block element, ``<br>`` and table row."""
    out = _Lines([], [])
    _walk(el, out, top=True)
    out.newline()
    return out.lines


def _walk(el, out: _Lines, top: bool = False) -> None:
    """Emit ``el``'s text into ``out`` (its tail too unless it is the top element)."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "br":
        out.newline()
    elif tag == "pre":
        for line in el.text_content().splitlines():
            out.add_line(_normalise_line(line))
    elif tag == "tr" and _is_data_row(el):
        out.add_line("\t".join(_cell_text(c) for c in _cells(el)))
    else:
        block = tag in _BLOCK_TAGS
        if block:
            out.newline()
        out.add(el.text)
        for child in el:
            _walk(child, out)
        if block:
            out.newline()
    if not top:
        out.add(el.tail)


def _cells(row) -> list:
    """The ``td``/``th`` cells of a table row."""
    return [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]


def _is_data_row(row) -> bool:
    """A row of a data table (two or more filled cells, no nested table, no article-sized
    cell), not a row of a layout table."""
    cells = _cells(row)
    if sum(1 for c in cells if _text_of(c)) < 2:
        return False
    return not any(c.find(".//table") is not None or _cjk_count(c) > MAX_CELL_CHARS for c in cells)


def _cell_text(cell) -> str:
    """One cell's text on one line (its own lines joined by a space)."""
    return " ".join(_block_lines(cell)).replace("\t", " ")


def _is_boilerplate(line: str) -> bool:
    """Short page-furniture lines: counters, print/close links, font-size switches."""
    return len(line) <= 80 and bool(_BOILERPLATE_LINE.search(line))


# --- DOCX --------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP_INSIDE = {f"{_W}txbxContent", _MC_FALLBACK, f"{_W}del", f"{_W}moveFrom"}


def _docx_text(data: bytes, source: str) -> str:
    """Body text of a .docx: paragraphs and table rows in order; E006/E008 when unreadable."""
    if data.startswith(_OLE_MAGIC):
        raise XunshiError("E008", source, suffix=".doc", advice=LEGACY[".doc"])
    body = _docx_body(data, source)
    return "\n".join(_docx_lines(body))


def _docx_body(data: bytes, source: str):
    """The ``w:body`` element of the document, opened with python-docx."""
    import docx  # local import keeps module import cheap
    from docx.opc.exceptions import OpcError
    from lxml import etree

    if not data.startswith(b"PK"):
        raise XunshiError("E006", source, detail="不是 zip 容器 (not a zip container)")
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OpcError, etree.LxmlError) as exc:
        raise XunshiError("E006", source, detail=f"{type(exc).__name__}: {exc}") from exc
    if body is None:
        raise XunshiError("E006", source, detail="没有正文部分 (no document body)")
    return body


def _docx_lines(container) -> Iterator[str]:
    """Lines of a body-like element: each paragraph's lines, one line per table row."""
    for child in container.iterchildren():
        if child.tag == f"{_W}p":
            yield from _paragraph_lines(child)
        elif child.tag == f"{_W}tbl":
            yield from _table_lines(child)
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _docx_lines(child)


def _paragraph_lines(p) -> list[str]:
    """A paragraph's text, split at manual line breaks, stripped, empty lines dropped."""
    return [ln.strip() for ln in _paragraph_text(p).split("\n") if ln.strip()]


def _paragraph_text(p) -> str:
    """Visible text of one ``w:p``: runs, hyperlinks, insertions; tabs become spaces."""
    parts: list[str] = []
    for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}noBreakHyphen"):
        if _skipped(el, p):
            continue
        if el.tag == f"{_W}t":
            parts.append(el.text or "")
        elif el.tag == f"{_W}tab":
            if el.getparent() is not None and el.getparent().tag == f"{_W}r":  # not a tab stop
                parts.append(" ")
        elif el.tag == f"{_W}noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _skipped(el, stop) -> bool:
    """Whether ``el`` sits in a text box, a fallback copy or deleted text within ``stop``."""
    for ancestor in el.iterancestors():
        if ancestor is stop:
            return False
        if ancestor.tag in _SKIP_INSIDE:
            return True
    return False


def _table_lines(tbl) -> Iterator[str]:
    """One line per row with non-empty text, cells joined by a tab (merged cells once)."""
    for row in _children(tbl, "tr"):
        cells = [_docx_cell_text(tc) for tc in _children(row, "tc")]
        if any(cells):
            yield "\t".join(cells)


def _children(el, name: str) -> Iterable:
    """Direct ``w:name`` children, looking through content controls and custom XML."""
    for child in el.iterchildren():
        if child.tag == f"{_W}{name}":
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _children(child, name)


def _docx_cell_text(tc) -> str:
    """A cell's paragraphs (and nested tables) on one line, joined by a space."""
    return " ".join(_docx_lines(tc)).replace("\t", " ")
