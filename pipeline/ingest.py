"""Ingest: find input files and turn each one into a :class:`SourceDocument`.

The document's ``text`` is the reference for every character offset downstream:

* plain text (``.txt``): the file exactly as decoded (UTF-8, UTF-8 with BOM, GB18030 or
  UTF-16 with BOM); only a leading BOM is removed, line ends are kept as they are;
* web pages (``.html``/``.htm``): the main article text, one line per block element, without
  navigation, menus, search boxes, footers, scripts and counters;
* Word documents (``.docx``): one line per paragraph in body order, each table row as one line
  with its cells joined by a tab; automatic numbering set on a paragraph (``1.``, ``(一)``)
  is written out as Word shows it;
* PDF (``.pdf``, with a text layer, read with ``pypdf`` when it is installed): the text of each
  page, page-number lines dropped.

Traditional-character text is kept as it is (it is the evidence); :func:`match_text` gives a
simplified view of the same length for the rule stages, so offsets stay those of the original.

Bad input never raises anything but :class:`XunshiError` with an ingest code (E001-E009,
E012-E015); problems that do not stop the file come back as warning :class:`Issue` objects
(W001, W003, W004). The same bytes always give the same document.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import Issue, XunshiError
from .records import SourceDocument

SUPPORTED = {".txt", ".html", ".htm", ".docx", ".pdf"}

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}

# Formats we recognise but cannot read yet, with what the analyst should do instead.
LEGACY = {
    ".doc": "请用 Word/WPS 打开并另存为 .docx / open in Word or WPS and save as .docx",
    ".wps": "请用 WPS 打开并另存为 .docx / open in WPS and save as .docx",
}
# .pdf is read with pypdf; without it, the same advice as for a legacy format.
PDF_WITHOUT_PYPDF = (
    "未安装 pypdf:请安装 (pip install pypdf),或保存原网页为 .html、把正文复制到 .txt"
    " / install pypdf, or save the web page as .html or copy the text into a .txt"
)

# Plain text and web pages larger than this are not one bulletin (a crawl dump, a log, a
# database export): refused before reading (E013). A real bulletin is 10-200 kB.
MAX_TEXT_BYTES = 50_000_000
# Extracted text longer than this (characters) is refused the same way, whatever the format.
MAX_TEXT_CHARS = 5_000_000
# A .docx whose parts unpack to more than this is refused (E006): a zip bomb, not a bulletin.
MAX_UNPACKED_BYTES = 300_000_000
# A PDF page count above which the file is not one bulletin's text (E013).
MAX_PDF_PAGES = 2_000

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
    return _display_path(str(path), os.getcwd())


@functools.lru_cache(maxsize=1 << 16)
def _display_path(path: str, cwd: str) -> str:
    """:func:`display_path` of ``path`` seen from ``cwd`` (a build asks for each of its
    files' several times)."""
    absolute = Path(os.path.abspath(path))
    cwd = Path(cwd)
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
    text_limit = MAX_TEXT_BYTES if suffix in (".txt", ".html", ".htm") else 0
    data = _read_bytes(path, source, max_bytes, text_limit)
    if suffix == ".docx":
        text, encoding, issues = _docx_text(data, source), "utf-8", []
    elif suffix == ".pdf":
        text, encoding, issues = _pdf_text(data, source), "utf-8", []
    elif suffix == ".txt":
        text, encoding, issues = _decode(data, source)
        _check_mojibake(text, source)
    else:
        text, encoding, issues = _html_document(data, source)
        _check_mojibake(text, source)
    if not text.strip():
        if suffix == ".txt":
            raise XunshiError("E001", source)
        raise XunshiError("E009", source, detail="文件中没有正文文字 (no text in the file)")
    if len(text) > MAX_TEXT_CHARS:
        raise XunshiError("E013", source, detail=f"{len(text):,} 字符 (characters), 上限 (limit) {MAX_TEXT_CHARS:,}")
    issues.extend(_control_warnings(text, source))
    issues.extend(_traditional_warnings(text, source))
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


def _read_bytes(path: Path, source: str, max_bytes: int, text_limit: int = 0) -> bytes:
    """The file's bytes; E005 when unreadable, E007 when too large, E013 when a text file is
    too large to be one bulletin (checked before reading), E001 when empty."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise XunshiError("E005", source, detail="不是普通文件 (not a regular file)")
        if max_bytes and info.st_size > max_bytes:
            raise XunshiError("E007", source, size=info.st_size, limit=max_bytes)
        if text_limit and info.st_size > text_limit:
            raise XunshiError("E013", source, detail=f"{info.st_size:,} 字节 (bytes), 上限 (limit) {text_limit:,}")
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


# Mojibake: CJK text whose bytes were decoded with the wrong codec and saved again. Two
# shapes are common: UTF-8 read as GBK (浣犲ソ…, 锟斤拷) and GBK or UTF-8 read as Latin-1 (ÖÐ¹ú…).
_LATIN1_SUPPLEMENT = re.compile(r"[\u00c0-\u00ff]")
_MOJIBAKE_PROBE = 4000  # characters looked at


def _check_mojibake(text: str, source: str) -> None:
    """E014 when the text reads as CJK only after undoing a wrong decoding."""
    probe = text[:_MOJIBAKE_PROBE]
    repaired = _undo_wrong_decoding(probe)
    if repaired:
        preview = _SPACES.sub(" ", repaired)[:24]
        raise XunshiError("E014", source, preview=preview)


def _undo_wrong_decoding(probe: str) -> str:
    """The probe as it was meant to read, when it is recognisably double-decoded; else ``""``.

    A repair only counts when it reads as Chinese prose (common function characters), so
    Western text with accents is never taken for mojibake.
    """
    cjk = len(_CJK.findall(probe))
    latin = len(_LATIN1_SUPPLEMENT.findall(probe))
    candidates: list[str] = []
    if latin >= 20 and latin > 4 * cjk:
        for codec in ("cp1252", "latin-1"):
            try:
                raw = probe.encode(codec)
            except UnicodeEncodeError:
                continue
            candidates.extend(raw.decode(meant, errors="ignore") for meant in ("utf-8", "gb18030"))
            break
    elif cjk >= 20:
        if probe.count("锟斤拷") >= 3:
            return probe.replace("锟斤拷", "\ufffd")
        # Genuine GB text re-encoded is practically never UTF-8 (nearly all of it would be
        # replaced); mojibake of UTF-8 is, but for the odd byte lost on the way.
        fixed = probe[:2000].encode("gb18030", errors="ignore").decode("utf-8", errors="replace")
        if fixed.count("\ufffd") <= 0.3 * len(fixed):
            candidates.append(fixed)
    for fixed in candidates:
        if len(_CJK.findall(fixed)) >= 10 and len(_PROSE.findall(fixed)) >= 5:
            return fixed
    return ""


_PROSE = re.compile(r"[的了是在和对为有不将及]")


# --- traditional characters ---------------------------------------------------------------------

# Share of CJK characters that are unambiguously traditional above which a text counts as
# written in traditional characters (and at least this many such characters).
TRADITIONAL_SHARE = 0.03
TRADITIONAL_MIN = 5


@lru_cache(maxsize=1)
def _t2s() -> tuple[dict[int, str], frozenset[int]]:
    """(char map, unambiguous traditional code points) from OpenCC's TSCharacters table.

    Only one-character-to-one-character entries are used, so the simplified view has the
    length of the original and every offset stays valid (OpenCC's phrase tables are not
    length-preserving). Empty when ``opencc-python-reimplemented`` is not installed.
    """
    try:
        table = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
        rows = table.read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}, frozenset()
    mapping: dict[int, str] = {}
    sure: set[int] = set()
    for row in rows:
        key, _, values = row.partition("\t")
        candidates = values.split()
        if len(key) != 1 or not candidates or len(candidates[0]) != 1 or candidates[0] == key:
            continue
        mapping[ord(key)] = candidates[0]
        if key not in candidates:
            sure.add(ord(key))
    return mapping, frozenset(sure)


_IS_CJK, _IS_TRADITIONAL = 1, 2


@lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """One byte per code point: :data:`_IS_CJK` for the CJK ideographs (:data:`_CJK_RANGES`),
    :data:`_IS_TRADITIONAL` for :func:`_t2s`'s unambiguous traditional characters."""
    table = np.zeros(0x110000, dtype=np.uint8)
    for lo, hi in _CJK_RANGES:
        table[lo : hi + 1] = _IS_CJK
    _, sure = _t2s()
    table[np.fromiter(sure, dtype=np.int64, count=len(sure))] |= _IS_TRADITIONAL
    return table


@lru_cache(maxsize=8)  # asked for the same document by the reader and its warnings
def traditional_count(text: str) -> tuple[int, int]:
    """(unambiguously traditional characters, CJK characters) in ``text``, counted by numpy
    over the code points (a Python loop over every character of every document was a tenth
    of ingest)."""
    classes = _char_classes()[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    return int(np.count_nonzero(classes & _IS_TRADITIONAL)), int(np.count_nonzero(classes & _IS_CJK))


def is_traditional(text: str) -> bool:
    """Whether the text is written in traditional characters (see :data:`TRADITIONAL_SHARE`)."""
    trad, cjk = traditional_count(text)
    return trad >= TRADITIONAL_MIN and trad >= TRADITIONAL_SHARE * max(cjk, 1)


# full-width ASCII forms (（）：，；０-９ …) and the ideographic space, folded one for one to
# their ASCII forms: the rules are written once, for the ASCII forms
_FOLD_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD_WIDTH[0x3000] = 0x20
_HAS_WIDE = re.compile("[\uff01-\uff5e\u3000]")


@lru_cache(maxsize=8)
def match_text(text: str) -> str:
    """The text the rule stages match against, of the same length as ``text`` (same offsets):
    full-width punctuation, digits and letters folded to ASCII (Chinese bulletins mix both
    widths), and traditional characters mapped to simplified ones character by character."""
    if is_traditional(text):
        mapping, _ = _t2s()
        text = text.translate(mapping)
    if _HAS_WIDE.search(text):
        text = fold_width(text)
    return text


def fold_width(text: str) -> str:
    """``text.translate(_FOLD_WIDTH)`` over the code points in numpy (a translate with a dict
    looks every character up: ~0.3 s of a 1,000-bulletin build, ten times this)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    cps[(cps >= 0xFF01) & (cps <= 0xFF5E)] -= 0xFEE0
    cps[cps == 0x3000] = 0x20
    return cps.tobytes().decode("utf-32-le", "surrogatepass")


# frequent characters that exist only in traditional writing (used when OpenCC is missing)
_COMMON_TRADITIONAL = re.compile(r"[們這個為與發會關應實專業區縣開學對國內進於歸黨組織]")


def _traditional_warnings(text: str, source: str) -> list[Issue]:
    """W004 for traditional-character text: read through its simplified view."""
    if not _t2s()[0]:
        # without the table nothing counts as traditional; say so when the text looks it
        if len(_COMMON_TRADITIONAL.findall(text[:20000])) >= TRADITIONAL_MIN:
            return [Issue("W004", source, {"detail": "未安装 opencc-python-reimplemented,按原文识别 (converter not installed)"})]
        return []
    if not is_traditional(text):
        return []
    trad, _ = traditional_count(text)
    return [Issue("W004", source, {"detail": f"{trad} 个繁体字已转为简体用于识别,出处保留原文 (matched through a simplified view)"})]


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
_CJK_RANGES = ((0x3400, 0x9FFF), (0xF900, 0xFAFF))  # CJK ideographs (extension A, unified, compatibility)
_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "]")
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
    body, numbering = _docx_body(data, source)
    return "\n".join(_docx_lines(body, numbering))


def _docx_body(data: bytes, source: str) -> tuple:
    """The ``w:body`` element of the document, opened with python-docx, and the document's
    automatic numbering (:class:`_Numbering`)."""
    import docx  # local import keeps module import cheap
    from docx.opc.exceptions import OpcError
    from lxml import etree

    if not data.startswith(b"PK"):
        raise XunshiError("E006", source, detail="不是 zip 容器 (not a zip container)")
    _check_unpacked_size(data, source)
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        numbering = _Numbering.of(document)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OpcError, etree.LxmlError) as exc:
        raise XunshiError("E006", source, detail=f"{type(exc).__name__}: {exc}") from exc
    if body is None:
        raise XunshiError("E006", source, detail="没有正文部分 (no document body)")
    return body, numbering


def _check_unpacked_size(data: bytes, source: str) -> None:
    """E006 for a container that would unpack to far more than any document (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(max(info.file_size, 0) for info in zf.infolist())
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise XunshiError("E006", source, detail=f"{type(exc).__name__}: {exc}") from exc
    if total > MAX_UNPACKED_BYTES:
        raise XunshiError("E006", source, detail=f"解压后 {total:,} 字节,疑为压缩炸弹 (unpacks to {total:,} bytes)")


def _docx_lines(container, numbering: _Numbering | None = None) -> Iterator[str]:
    """Lines of a body-like element: each paragraph's lines, one line per table row."""
    if numbering is None:
        numbering = _Numbering({}, {})
    for child in container.iterchildren():
        if child.tag == f"{_W}p":
            yield from _paragraph_lines(child, numbering)
        elif child.tag == f"{_W}tbl":
            yield from _table_lines(child, numbering)
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _docx_lines(child, numbering)


def _paragraph_lines(p, numbering: _Numbering | None = None) -> list[str]:
    """A paragraph's text, split at manual line breaks, stripped, empty lines dropped; the
    paragraph's automatic number (``1.``, ``(一)``) in front, as Word shows it."""
    lines = [ln.strip() for ln in _paragraph_text(p).split("\n") if ln.strip()]
    label = numbering.label(p) if numbering is not None and lines else ""
    if label:
        lines[0] = label + lines[0]
    return lines


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


def _table_lines(tbl, numbering: _Numbering | None = None) -> Iterator[str]:
    """One line per row with non-empty text, cells joined by a tab (merged cells once)."""
    for row in _children(tbl, "tr"):
        cells = [_docx_cell_text(tc, numbering) for tc in _children(row, "tc")]
        if any(cells):
            yield "\t".join(cells)


def _children(el, name: str) -> Iterable:
    """Direct ``w:name`` children, looking through content controls and custom XML."""
    for child in el.iterchildren():
        if child.tag == f"{_W}{name}":
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _children(child, name)


def _docx_cell_text(tc, numbering: _Numbering | None = None) -> str:
    """A cell's paragraphs (and nested tables) on one line, joined by a space."""
    return " ".join(_docx_lines(tc, numbering or _Numbering({}, {}))).replace("\t", " ")


# --- DOCX automatic numbering ------------------------------------------------------------------------

_CN_NUMERALS = "〇一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (Word's chineseCounting)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_NUMERALS[n]
    if n < 20:
        return "十" + (_CN_NUMERALS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_NUMERALS[n // 10] + "十" + (_CN_NUMERALS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + _CN_NUMERALS[rest] if rest < 10 else _cn_number(rest) if rest >= 20 else "一" + _cn_number(rest))
        return _CN_NUMERALS[n // 100] + "百" + tail
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def _letters(n: int) -> str:
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


_NUM_FORMATS = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: str(n).translate({ord(c): chr(ord(c) + 0xFEE0) for c in "0123456789"}),
    "decimalFullWidth2": lambda n: str(n).translate({ord(c): chr(ord(c) + 0xFEE0) for c in "0123456789"}),
    "decimalHalfWidth": str,
    "chineseCounting": _cn_number,
    "chineseCountingThousand": _cn_number,
    "chineseLegalSimplified": _cn_number,
    "ideographLegalTraditional": _cn_number,
    "japaneseCounting": _cn_number,
    "taiwaneseCounting": _cn_number,
    "taiwaneseCountingThousand": _cn_number,
    "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
    "ideographZodiac": lambda n: "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12],
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalEnclosedParen": lambda n: chr(0x2474 + n - 1) if 1 <= n <= 20 else f"({n})",
    "decimalEnclosedFullstop": lambda n: chr(0x2488 + n - 1) if 1 <= n <= 20 else f"{n}.",
    "upperLetter": _letters,
    "lowerLetter": lambda n: _letters(n).lower(),
    "upperRoman": _roman,
    "lowerRoman": lambda n: _roman(n).lower(),
    "ordinal": str,
    "cardinalText": str,
}


@dataclass
class _Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1


class _Numbering:
    """Word's automatic numbering of paragraphs that carry a ``w:numPr`` of their own.

    Counters run per abstract numbering definition and level, a higher level resets the
    lower ones, ``w:startOverride`` restarts a list instance. Numbering inherited from a
    paragraph style (List Number, numbered headings) is not rendered (a known gap); bullets
    are left out (they carry no number).
    """

    def __init__(self, abstract: dict[str, dict[int, _Level]], nums: dict[str, tuple[str, dict[int, int]]]):
        self.abstract = abstract
        self.nums = nums  # numId -> (abstractNumId, {level: start override})
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()

    @classmethod
    def of(cls, document) -> _Numbering:
        """The numbering definitions of a python-docx document (empty when it has none)."""
        part = None
        for rel in document.part.rels.values():
            if rel.reltype.endswith("/numbering") and not rel.is_external:
                part = rel.target_part
                break
        if part is None:
            return cls({}, {})
        from lxml import etree

        root = part.element if hasattr(part, "element") else etree.fromstring(part.blob)
        abstract: dict[str, dict[int, _Level]] = {}
        for an in root.iter(f"{_W}abstractNum"):
            levels: dict[int, _Level] = {}
            for lvl in an.iter(f"{_W}lvl"):
                ilvl = _int(lvl.get(f"{_W}ilvl"), 0)
                levels[ilvl] = _Level(
                    fmt=_val(lvl.find(f"{_W}numFmt"), "decimal"),
                    text=_val(lvl.find(f"{_W}lvlText"), ""),
                    start=_int(_val(lvl.find(f"{_W}start"), "1"), 1),
                )
            abstract[an.get(f"{_W}abstractNumId", "")] = levels
        nums: dict[str, tuple[str, dict[int, int]]] = {}
        for num in root.iter(f"{_W}num"):
            overrides = {}
            for ov in num.iter(f"{_W}lvlOverride"):
                so = ov.find(f"{_W}startOverride")
                if so is not None:
                    overrides[_int(ov.get(f"{_W}ilvl"), 0)] = _int(so.get(f"{_W}val"), 1)
            nums[num.get(f"{_W}numId", "")] = (_val(num.find(f"{_W}abstractNumId"), ""), overrides)
        return cls(abstract, nums)

    def label(self, p) -> str:
        """The number Word shows before paragraph ``p``, advancing the counters; ``""`` if none."""
        ppr = p.find(f"{_W}pPr")
        numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
        if numpr is None:
            return ""
        num_id = _val(numpr.find(f"{_W}numId"), "")
        ilvl = _int(_val(numpr.find(f"{_W}ilvl"), "0"), 0)
        if num_id not in self.nums:
            return ""  # numId 0 (numbering removed) or undefined
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id, {})
        level = levels.get(ilvl)
        if level is None or level.fmt in ("bullet", "none") or not level.text:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lv, start in overrides.items():
                counters[lv] = start - 1
        counters[ilvl] = counters.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]

        def number(match: re.Match) -> str:
            lv = int(match.group(1)) - 1
            lvl = levels.get(lv, _Level())
            value = counters.get(lv, lvl.start)
            return _NUM_FORMATS.get(lvl.fmt, str)(value)

        return re.sub(r"%([1-9])", number, level.text)


def _val(el, default: str) -> str:
    """The ``w:val`` attribute of ``el``, or ``default``."""
    if el is None:
        return default
    return el.get(f"{_W}val", default)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


# --- PDF ---------------------------------------------------------------------------------------

_PAGE_NUMBER_LINE = re.compile(r"^[\s\-—–·_]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*/\s*(?:共\s*)?\d{1,4}\s*页?)?[\s\-—–·_]*$")


def _pdf_text(data: bytes, source: str) -> str:
    """The text layer of a PDF, page by page, page-number lines dropped.

    E008 when pypdf is not installed, E015 when the file cannot be opened (damaged or
    encrypted), E012 when it has no text layer (a scan), E013 when it has more pages than
    any bulletin.
    """
    try:
        import pypdf
    except ImportError:
        raise XunshiError("E008", source, suffix=".pdf", advice=PDF_WITHOUT_PYPDF) from None
    import logging

    start = data.find(b"%PDF-", 0, 1024)
    if start < 0:
        raise XunshiError("E015", source, detail="没有 PDF 文件头 (no %PDF- header)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings would only be console noise
    try:
        reader = pypdf.PdfReader(io.BytesIO(data[start:]), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise XunshiError("E015", source, detail="已加密 (encrypted)")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise XunshiError("E013", source, detail=f"{len(reader.pages):,} 页 (pages)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except XunshiError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files: each becomes E015
        raise XunshiError("E015", source, detail=f"{type(exc).__name__}: {str(exc)[:80]}") from exc
    lines: list[str] = []
    for page in pages:
        for line in page.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line = _SPACES.sub(" ", line).strip()
            if line and not _PAGE_NUMBER_LINE.match(line):
                lines.append(line)
    text = "\n".join(lines)
    if len(_CJK.findall(text)) < 10 and len(text.strip()) < 40:
        raise XunshiError("E012", source, pages=len(pages))
    return text
