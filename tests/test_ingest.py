"""Tests for the ingest stage (pipeline/ingest.py): discovery, decoding, HTML and .docx text."""

from __future__ import annotations

import codecs
import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import MESSAGES, XunshiError
from pipeline.ingest import SUPPORTED, discover, display_path, read_document

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TITLE = "中共青禾县农业农村局党组关于巡察整改进展情况的通报"
OPENING = "根据县委统一部署,2023年4月10日至6月10日,县委第二巡察组对县农业农村局党组进行了巡察。"


def error_code(path: Path, **kwargs) -> str:
    """The code of the XunshiError that reading ``path`` raises."""
    with pytest.raises(XunshiError) as info:
        read_document(path, **kwargs)
    issue = info.value.issue
    assert issue.code in MESSAGES
    assert "{" not in issue.message, issue.message  # every placeholder was filled
    return issue.code


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- plain text ---------------------------------------------------------------------------------


def test_gb18030_text_is_kept_exactly_as_decoded():
    path = FIXTURES / "bulletin-gb18030.txt"
    data = path.read_bytes()
    doc, issues = read_document(path)
    assert issues == []
    assert doc.encoding == "gb18030"
    assert doc.media_type == "text/plain"
    assert doc.text == data.decode("gb18030")  # what an offset checker decodes
    assert doc.text.startswith(TITLE + "\r\n" + OPENING + "\r\n")  # CRLF kept
    assert "䶮字" in doc.text  # a four-byte GB18030 character
    assert doc.size == len(data)
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.id == "doc-" + doc.sha256[:16]
    assert not doc.needs_text_file


def test_utf8_bom_is_stripped():
    path = FIXTURES / "bulletin-utf8-bom.txt"
    data = path.read_bytes()
    doc, issues = read_document(path)
    assert issues == []
    assert doc.encoding == "utf-8-sig"
    assert doc.text == data.decode("utf-8-sig")
    assert doc.text.startswith(TITLE + "\n")
    assert "\ufeff" not in doc.text


def test_plain_utf8(tmp_path):
    text = "一、组织整改落实情况\r\n召开党组会3次。\n"
    doc, issues = read_document(write(tmp_path, "a.txt", text.encode("utf-8")))
    assert (doc.encoding, doc.text, issues) == ("utf-8", text, [])


def test_utf16_with_bom(tmp_path):
    text = "整改结果:完成。\n"
    for data in (codecs.BOM_UTF16_LE + text.encode("utf-16-le"), codecs.BOM_UTF16_BE + text.encode("utf-16-be")):
        doc, issues = read_document(write(tmp_path, "u16.txt", data))
        assert (doc.encoding, doc.text, issues) == ("utf-16", text, [])


def test_control_characters_are_kept_and_warned():
    path = FIXTURES / "controls.txt"
    doc, issues = read_document(path)
    assert doc.text == path.read_bytes().decode("utf-8")
    assert "\x07" in doc.text and "\x1b" in doc.text
    assert [i.code for i in issues] == ["W003"]
    assert issues[0].detail["count"] == 2
    assert issues[0].offset == doc.text.index("\x07")


def test_utf8_with_broken_bytes_is_replaced_not_read_as_gb18030(tmp_path):
    good = "局党组书记履行第一责任人职责,召开党组会3次,研究部署整改工作。".encode("utf-8")
    data = good[:9] + good[10:] + b"\xff"  # one byte of a character cut, one stray byte
    doc, issues = read_document(write(tmp_path, "broken.txt", data))
    assert doc.encoding == "utf-8"
    assert doc.text == data.decode("utf-8", errors="replace")
    assert doc.text.startswith("局党组\ufffd\ufffd记履行")  # lead byte of 书 cut: two orphans
    assert [i.code for i in issues] == ["W001"]
    assert issues[0].detail["count"] == 3


def test_gb18030_with_a_broken_byte(tmp_path):
    data = ("整改情况:一是制定学习制度;二是开展专题学习。" * 4).encode("gb18030") + b"\x80\xff"
    doc, issues = read_document(write(tmp_path, "gb.txt", data))
    assert doc.encoding == "gb18030"
    assert doc.text.startswith("整改情况:一是制定")
    assert [i.code for i in issues] == ["W001"]


def test_garbage_is_undecodable(tmp_path):
    data = b"ab \x80\xff\x80\xff cd \xff\xfe\x80" * 20
    assert error_code(write(tmp_path, "garbage.txt", data)) == "E003"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        "正文".encode("utf-8") + b"\x00\x00\x01\x02",
        b"text\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f",
        b"%PDF-1.7\n",
    ],
)
def test_binary_files(tmp_path, data):
    assert error_code(write(tmp_path, "x.txt", data)) == "E002"


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b" \r\n\t\n"])
def test_empty_files(tmp_path, data):
    assert error_code(write(tmp_path, "empty.txt", data)) == "E001"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\r\t"), min_size=1))
def test_utf8_text_round_trips(tmp_path_factory, text):
    """Any UTF-8 text without control characters is its own reference text."""
    path = tmp_path_factory.mktemp("prop") / "p.txt"
    path.write_bytes(text.encode("utf-8"))
    if not text.strip() or text.startswith("\ufeff"):
        return
    doc, issues = read_document(path)
    assert (doc.text, doc.encoding, issues) == (text, "utf-8", [])


# --- errors for files that cannot be used --------------------------------------------------------


def test_unsupported_and_legacy_types(tmp_path):
    assert error_code(write(tmp_path, "sheet.xlsx", b"PK\x03\x04")) == "E004"
    assert error_code(write(tmp_path, "noext", b"text")) == "E004"
    assert error_code(write(tmp_path, "old.doc", b"\xd0\xcf\x11\xe0")) == "E008"
    # .pdf is read now (pypdf): a PDF that is only a header cannot be opened (E015)
    assert error_code(write(tmp_path, "scan.PDF", b"%PDF-1.4")) == "E015"
    with pytest.raises(XunshiError) as info:
        read_document(tmp_path / "old.doc")
    assert "另存为 .docx" in info.value.issue.message


def test_unreadable_files(tmp_path):
    assert error_code(tmp_path / "missing.txt") == "E005"
    (tmp_path / "folder.txt").mkdir()
    assert error_code(tmp_path / "folder.txt") == "E005"


def test_too_large(tmp_path):
    path = write(tmp_path, "big.txt", "整改".encode("utf-8") * 100)
    assert error_code(path, max_bytes=100) == "E007"
    doc, _ = read_document(path, max_bytes=600)
    assert doc.size == 600


def test_display_path_argument_is_used(tmp_path):
    doc, _ = read_document(write(tmp_path, "a.txt", "整改".encode("utf-8")), display_path="corpus/a.txt")
    assert doc.path == "corpus/a.txt"
    with pytest.raises(XunshiError) as info:
        read_document(tmp_path / "none.txt", display_path="in/none.txt")
    assert info.value.issue.source == "in/none.txt"


# --- HTML ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page():
    return read_document(FIXTURES / "page-gb2312.html")


def test_html_keeps_the_article(page):
    doc, issues = page
    lines = doc.text.split("\n")
    assert issues == []
    assert doc.encoding == "gb18030"  # declared gb2312, read as its superset
    assert doc.media_type == "text/html" and doc.needs_text_file
    assert lines[0] == TITLE  # the <h1> outside the content block is prepended once
    assert doc.text.count(TITLE) == 1
    assert lines[1].startswith(OPENING)  # full-width indentation stripped
    assert "一、组织整改落实情况" in lines
    assert "局党组书记张某某履行第一责任人职责,召开党组会3次,研究部署整改工作。" in lines  # markup line break dropped
    assert "二、集中整改期内已完成的整改事项" in lines  # <br> splits the paragraph
    assert "(一)反馈问题:落实“第一议题”制度不到位" in lines
    assert lines[-2:] == ["中共青禾县农业农村局党组", "2023年12月1日"]
    assert all(line == line.strip() and line for line in lines)


def test_html_table_rows_are_tab_joined(page):
    doc, _ = page
    lines = doc.text.split("\n")
    assert "序号\t问题\t整改措施\t整改结果" in lines
    assert "1\t学习贯彻不深入\t制定《理论学习中心组学习制度》\t完成" in lines
    assert "2\t调研不够\t开展专题调研2次\t正在整改" in lines


@pytest.mark.parametrize(
    "noise",
    [
        "网站首页", "政务公开", "机构概况", "当前位置", "请输入关键词", "搜索按钮", "脚本", "样式表",
        "浏览次数", "1024", "分享到", "打印本页", "关闭窗口", "相关文章", "版权所有", "网站标识码",
        "隐藏的文字", "门户网站", "counter", "发布时间",
    ],
)  # fmt: skip
def test_html_drops_page_furniture(page, noise):
    assert noise not in page[0].text


def test_html_without_cms_names_uses_the_densest_block(tmp_path):
    html = """<?xml version="1.0" encoding="utf-8"?>
<html><head><title>某区教育局党组关于巡察整改进展情况的通报 - 某区人民政府</title></head>
<body><table width="980"><tr>
<td width="200"><a href="/1">首页链接</a><br/><a href="/2">栏目链接</a></td>
<td><div class="box"><p>根据区委统一部署,区委第一巡察组对区教育局党组开展了巡察。</p>
<p>一、组织整改落实情况</p><p>召开专题会议5次,制定整改方案。</p>
<ul><li>整改结果:完成。</li></ul><pre>联系电话:0000-7654321
电子邮箱:jb@example.org</pre></div></td>
</tr></table>
<p class="foot-text">主办:某区人民政府办公室</p></body></html>"""
    doc, issues = read_document(write(tmp_path, "page.htm", html.encode("utf-8")))
    assert (doc.encoding, issues) == ("utf-8", [])
    assert doc.text.split("\n") == [
        "某区教育局党组关于巡察整改进展情况的通报",
        "根据区委统一部署,区委第一巡察组对区教育局党组开展了巡察。",
        "一、组织整改落实情况",
        "召开专题会议5次,制定整改方案。",
        "整改结果:完成。",
        "联系电话:0000-7654321",
        "电子邮箱:jb@example.org",
    ]


def test_html_title_not_repeated_when_the_article_starts_with_it(tmp_path):
    html = (
        "<html><head><meta charset='utf-8'><title>关于巡察整改进展情况的通报_某网</title></head><body>"
        "<div id='content'><p>中共某镇委员会</p><p>关于巡察整改进展情况的通报</p><p>现将整改进展情况予以公布。</p></div>"
        "</body></html>"
    )
    doc, _ = read_document(write(tmp_path, "p.html", html.encode("utf-8")))
    assert doc.text.split("\n") == ["中共某镇委员会", "关于巡察整改进展情况的通报", "现将整改进展情况予以公布。"]


def test_html_wrong_meta_charset_falls_back_to_detection(tmp_path):
    html = "<html><head><meta charset='gb2312'></head><body><p>整改结果:完成。</p></body></html>"
    doc, _ = read_document(write(tmp_path, "p.html", html.encode("utf-8")))
    assert (doc.text, doc.encoding) == ("整改结果:完成。", "utf-8")  # valid UTF-8 wins
    html_gb = html.encode("gb18030")
    doc, _ = read_document(write(tmp_path, "q.html", html_gb.replace(b"gb2312", b"iso-8859-1")))
    assert (doc.text, doc.encoding) == ("整改结果:完成。", "gb18030")


def test_html_without_text(tmp_path):
    html = "<html><head><script>var a = 1;</script></head><body><div id='nav'><a href='/'>首页</a></div></body></html>".encode()
    assert error_code(write(tmp_path, "blank.html", html)) == "E009"
    assert error_code(write(tmp_path, "zero.html", b"")) == "E001"


# --- DOCX ---------------------------------------------------------------------------------------


def build_docx(path: Path) -> Path:
    """A small bulletin: title, empty paragraph, a 台账 table between paragraphs, a soft break."""
    import docx
    from docx.oxml import OxmlElement

    document = docx.Document()
    document.add_paragraph("　　" + TITLE)
    document.add_paragraph("")
    document.add_paragraph(OPENING)
    table = document.add_table(rows=3, cols=4)
    rows = [
        ["序号", "问题", "整改措施", "整改结果"],
        ["1", "学习贯彻不深入", "制定《理论学习中心组学习制度》", "完成"],
        ["2", "调研不够", "开展专题调研2次", ""],
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(2, 2).add_paragraph("第二段措施")
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    merged.cell(0, 2).text = "尾列"
    p = document.add_paragraph("联系电话:0000-1234567")
    p.runs[0].add_break()
    p.add_run("电子邮箱:jb@example.org")
    link = OxmlElement("w:hyperlink")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "(网站链接)"
    run.append(text)
    link.append(run)
    p._p.append(link)
    numbered = document.add_paragraph("编号由 Word 自动生成的段落", style="List Number")
    assert numbered._p.pPr is not None
    document.add_paragraph("2023年12月1日")
    document.save(path)
    return path


def test_docx_paragraphs_and_tables_in_body_order(tmp_path):
    path = build_docx(tmp_path / "bulletin.docx")
    doc, issues = read_document(path)
    assert issues == []
    assert (doc.encoding, doc.media_type) == ("utf-8", DOCX_TYPE)
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.text.split("\n") == [
        TITLE,
        OPENING,
        "序号\t问题\t整改措施\t整改结果",
        "1\t学习贯彻不深入\t制定《理论学习中心组学习制度》\t完成",
        "2\t调研不够\t开展专题调研2次 第二段措施\t",
        "合并单元格\t尾列",
        "联系电话:0000-1234567",
        "电子邮箱:jb@example.org(网站链接)",
        "编号由 Word 自动生成的段落",  # automatic numbering is not in the text (known gap)
        "2023年12月1日",
    ]


def test_broken_docx(tmp_path):
    data = build_docx(tmp_path / "good.docx").read_bytes()
    assert error_code(write(tmp_path, "cut.docx", data[: len(data) // 2])) == "E006"
    assert error_code(write(tmp_path, "text.docx", "整改".encode("utf-8"))) == "E006"
    assert error_code(write(tmp_path, "ole.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)) == "E008"
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("hello.txt", "不是 Word 文档")
    assert error_code(other) == "E006"
    assert error_code(write(tmp_path, "empty.docx", b"")) == "E001"


def test_docx_without_text(tmp_path):
    import docx

    path = tmp_path / "blank.docx"
    docx.Document().save(path)
    assert error_code(path) == "E009"


def test_reading_is_deterministic(tmp_path):
    for path in (FIXTURES / "page-gb2312.html", FIXTURES / "bulletin-gb18030.txt", build_docx(tmp_path / "b.docx")):
        assert read_document(path) == read_document(path)


# --- discovery and paths ------------------------------------------------------------------------


def test_discover_walks_sorts_and_skips_hidden(tmp_path):
    for rel in ["b/2.txt", "b/1.html", "a.docx", "b/c/x.pdf", ".hidden.txt", ".git/config", "b/.cache/y.txt", "README.md"]:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x", encoding="utf-8")
    single = tmp_path / "b" / "2.txt"
    found = discover([tmp_path / "b", tmp_path, single])
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["README.md", "a.docx", "b/1.html", "b/2.txt", "b/c/x.pdf"]  # every file, once
    assert found == sorted(found, key=lambda p: p.as_posix())
    assert discover([str(tmp_path / "b" / "c")]) == [tmp_path / "b" / "c" / "x.pdf"]


def test_discover_keeps_explicit_inputs(tmp_path):
    hidden = write(tmp_path, ".named.txt", b"x")
    missing = tmp_path / "missing.txt"
    assert discover([missing, hidden]) == [hidden, missing]  # reported later, not dropped
    assert discover([]) == []


def test_display_path(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    path = write(tmp_path / "in", "a.txt", b"x")
    monkeypatch.chdir(tmp_path)
    assert display_path(path) == "in/a.txt"
    assert display_path(Path("in") / "a.txt") == "in/a.txt"
    monkeypatch.chdir(tmp_path / "in")
    assert display_path(tmp_path / "other.txt") == (tmp_path / "other.txt").as_posix()
    doc, _ = read_document(Path("a.txt"))
    assert doc.path == "a.txt"


def test_supported_suffixes():
    assert SUPPORTED == {".txt", ".html", ".htm", ".docx", ".pdf"}
    assert os.path.isdir(FIXTURES)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([".txt", ".html", ".docx"]), st.binary(max_size=400))
def test_random_bytes_only_raise_coded_errors(tmp_path_factory, suffix, data):
    """Whatever the bytes, reading gives a document or a coded XunshiError, nothing else."""
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    path.write_bytes(data)
    try:
        doc, issues = read_document(path)
    except XunshiError as exc:
        assert exc.issue.code in MESSAGES and exc.issue.code.startswith("E")
    else:
        assert doc.text.strip() and all(i.code.startswith("W") for i in issues)
