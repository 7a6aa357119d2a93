"""Bad input that loses nothing: every bad file gets a coded, actionable message, the batch
goes on, every input file appears in the run report; and the segmenter survives any text.

Inputs are generated here into a temporary folder (the 100 MB file too, never committed):
empty, binary, wrongly encoded (undecodable, double-encoded), truncated, enormous, one-line
and malicious files (HTML with scripts and deep nesting, text with control characters, a
zip bomb posing as .docx, encrypted and damaged PDFs).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import string
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import MESSAGES, Severity, XunshiError
from pipeline.ingest import MAX_TEXT_BYTES, read_document
from pipeline.records import SourceDocument
from pipeline.segment import segment

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "xiangjiang-2023-12-22.txt"
FORMATS = Path(__file__).parent / "fixtures" / "formats"
BULLETIN = (FORMATS / "no-sections.txt").read_text(encoding="utf-8")


def code_of(path: Path) -> str:
    """The code of the XunshiError reading ``path`` raises; its message is filled and has a hint."""
    with pytest.raises(XunshiError) as info:
        read_document(path)
    issue = info.value.issue
    assert issue.code in MESSAGES and issue.severity is Severity.ERROR
    assert "{" not in issue.message and issue.hint
    return issue.code


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def make_doc(text: str) -> SourceDocument:
    data = text.encode("utf-8", errors="surrogatepass")
    return SourceDocument("mem.txt", hashlib.sha256(data).hexdigest(), "utf-8", "text/plain", text, len(data))


# --- one file at a time ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["e.txt", "e.html", "e.docx", "e.pdf"])
def test_empty_files(tmp_path, name):
    assert code_of(write(tmp_path, name, b"")) == "E001"


@pytest.mark.parametrize(
    "name, data, code",
    [
        ("noise.txt", bytes(range(256)) * 16, "E002"),
        ("image.html", b"\x89PNG\r\n\x1a\n" + bytes(200), "E002"),
        ("image.pdf", b"\x89PNG\r\n\x1a\n" + bytes(200), "E015"),
        ("noise.docx", bytes(range(256)) * 16, "E006"),
    ],
)
def test_binary_files(tmp_path, name, data, code):
    assert code_of(write(tmp_path, name, data)) == code


def test_wrongly_encoded_files(tmp_path):
    text = BULLETIN
    # UTF-8 bytes read as GBK and saved again as UTF-8 (浣犲ソ…)
    double = text.encode("utf-8").decode("gbk", errors="ignore").encode("utf-8")
    assert code_of(write(tmp_path, "double-gbk.txt", double)) == "E014"
    # GBK bytes read as Latin-1 and saved again as UTF-8 (ÖÐ¹²…)
    latin = text.encode("gb18030").decode("latin-1").encode("utf-8")
    assert code_of(write(tmp_path, "double-latin1.txt", latin)) == "E014"
    with pytest.raises(XunshiError) as info:
        read_document(tmp_path / "double-latin1.txt")
    assert "合成测试数据" in info.value.issue.message  # what it should have read
    # neither UTF-8 nor GB18030
    assert code_of(write(tmp_path, "garbage.txt", b"ab \x80\xff\x80\xff cd \xff\xfe\x80" * 30)) == "E003"
    # GB18030 text behind a page that claims UTF-8: detected, read correctly
    page = f"<html><head><meta charset='utf-8'></head><body><pre>{text}</pre></body></html>".encode("gb18030")
    doc, issues = read_document(write(tmp_path, "claims-utf8.html", page))
    assert doc.encoding == "gb18030" and "青溪镇" in doc.text and issues == []
    # western text with accents is not taken for mojibake
    doc, _ = read_document(write(tmp_path, "french.txt", ("Égalité à l'été, où ça? " * 20).encode("utf-8")))
    assert doc.text.startswith("Égalité")


def test_truncated_files(tmp_path):
    # a GB18030 text cut in the middle of a character and of a problem
    data = BULLETIN.encode("gb18030")
    cut = data[: data.index("3.信访".encode("gb18030")) + 5]
    doc, issues = read_document(write(tmp_path, "cut.txt", cut))
    assert [i.code for i in issues] == ["W001"]
    bulletins, seg_issues = segment(doc)
    assert len(bulletins[0].problems) == 3  # what was read is kept
    assert "W014" in [i.code for i in seg_issues]  # no signature: looks truncated
    # a .docx, a PDF and a page cut half-way
    docx_data = (FORMATS / "taizhang.docx").read_bytes()
    assert code_of(write(tmp_path, "cut.docx", docx_data[: len(docx_data) // 2])) == "E006"
    pdf = (FORMATS / "bulletin.pdf").read_bytes()
    try:
        doc, _ = read_document(write(tmp_path, "cut.pdf", pdf[: len(pdf) // 2]))
    except XunshiError as err:
        assert err.issue.code in ("E012", "E015")
    page = (FORMATS / "cms-page.html").read_bytes()
    doc, _ = read_document(write(tmp_path, "cut.html", page[: page.index(b"<tr><td>3")]))
    assert [p.ordinal for b in segment(doc)[0] for p in b.problems] == ["1", "2"]


def test_enormous_file_is_refused_quickly(tmp_path, monkeypatch):
    """100 MB of text: refused before reading (E013): the file is never opened. (A sparse
    file: a bulletin, then a hole; what counts is its size.)"""
    path = tmp_path / "enormous.txt"
    path.write_bytes((BULLETIN + "\n").encode("utf-8"))
    os.truncate(path, 100_000_000)
    assert path.stat().st_size >= 100_000_000 > MAX_TEXT_BYTES
    opened = []
    real_open = Path.open

    def spy(self, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    assert code_of(path) == "E013"
    assert "enormous.txt" not in opened
    read_document(write(tmp_path, "small.txt", (BULLETIN + "\n").encode("utf-8")))
    assert "small.txt" in opened  # the spy sees a file that is read
    monkeypatch.setattr(Path, "open", real_open)
    # an enormous text inside a small container is refused after extraction
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<x>" + b"a" * 400_000_000 + b"</x>")
    assert code_of(write(tmp_path, "bomb.docx", big.getvalue())) == "E006"  # a zip bomb


def test_one_line_text(tmp_path):
    one = BULLETIN.replace("\n", " ")
    doc, _issues = read_document(write(tmp_path, "one.txt", one.encode("utf-8")))
    bulletins, seg_issues = segment(doc)
    assert [i.code for i in seg_issues] == ["W015"]
    assert [(p.ordinal, p.status.key) for p in bulletins[0].problems] == [
        ("1", "Completed"), ("2", "Completed"), ("3", "Completed"), ("4", "InProgress"),
    ]
    # a line too short to hold a bulletin is just not one
    doc, _ = read_document(write(tmp_path, "short.txt", "关于巡察整改进展情况的通报".encode()))
    assert [i.code for i in segment(doc)[1]] == ["E010"]


def test_malicious_html(tmp_path):
    body = "".join(f"<p>{line}</p>" for line in BULLETIN.splitlines())
    html = (
        "<html><head><script>document.write('整改结果:完成');</script>"
        "<style>p{color:red}</style></head><body onload=\"alert('x')\">"
        "<iframe src='javascript:alert(1)'>整改情况:框架</iframe>"
        "<div id='content'>" + body + "<img src=x onerror=\"alert('整改')\">"
        "<a href=\"javascript:alert('问题9:伪造')\">链接</a>"
        "<noscript>问题10:不应出现</noscript><template><p>问题11:模板</p></template></div>"
        "<script>var s='问题12:脚本里的问题';</script></body></html>"
    )
    doc, issues = read_document(write(tmp_path, "evil.html", html.encode("utf-8")))
    assert issues == []
    for text in ("document.write", "alert", "框架", "不应出现", "模板", "脚本里的问题", "color:red"):
        assert text not in doc.text
    bulletins, _ = segment(doc)
    assert [p.ordinal for b in bulletins for p in b.problems] == ["1", "2", "3", "4"]
    # 50,000 nested elements: no crash, a coded outcome
    deep = "<html><body>" + "<div>" * 50_000 + "<p>整改结果:完成</p>" + "</div>" * 50_000 + "</body></html>"
    try:
        read_document(write(tmp_path, "deep.html", deep.encode("utf-8")))
    except XunshiError as err:
        assert err.issue.code == "E009"
    # control characters in a page are removed and reported
    doc, issues = read_document(write(tmp_path, "ctl.html", f"<p>{BULLETIN[:60]}\x07\x1b</p>".encode()))
    assert [i.code for i in issues] == ["W003"] and "\x07" not in doc.text


def test_malicious_pdfs(tmp_path):
    pdf = (FORMATS / "bulletin.pdf").read_bytes()
    # an encrypted PDF (owner password only would open; a user password does not)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    assert code_of(write(tmp_path, "locked.pdf", out.getvalue())) == "E015"
    # a header and nonsense
    assert code_of(write(tmp_path, "junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4)) in ("E012", "E015")


def test_text_with_control_characters_is_read_and_segmented(tmp_path):
    """Control characters stay in plain text (they are part of the offsets) and are reported."""
    text = BULLETIN.replace("村级财务管理不规范", "村级财务\x07管理不规范\x1b")
    doc, issues = read_document(write(tmp_path, "ctl.txt", text.encode("utf-8")))
    assert [i.code for i in issues] == ["W003"] and issues[0].detail["count"] == 2
    bulletins, _ = segment(doc)
    assert bulletins[0].problems[0].text == "村级财务\x07管理不规范\x1b。"
    assert code_of(write(tmp_path, "nul.txt", text.replace("化解积案", "化解\x00积案").encode("utf-8"))) == "E002"


def test_text_with_control_characters_builds(tmp_path):
    """Control characters are kept in plain text (offsets), reported, and survive every output."""
    from pipeline.workflow import run_build

    text = BULLETIN.replace("村级财务管理不规范", "村级财务\x07管理不规范\x1b").replace("化解积案7件", "化解\x00积案7件")
    corpus = tmp_path / "c"
    corpus.mkdir()
    # NUL makes a text file binary (E002); without it, the file is read with W003
    write(corpus, "nul.txt", text.encode("utf-8"))
    write(corpus, "ctl.txt", text.replace("\x00", "").encode("utf-8"))
    report = run_build([corpus], tmp_path / "g", html=True, shacl=False)
    stats = report.as_dict()
    outcome = {Path(f["path"]).name: (f["outcome"], f["issues"]) for f in stats["files"]}
    assert outcome["nul.txt"] == ("skipped", ["E002"])
    assert outcome["ctl.txt"][0] == "ok" and "W003" in outcome["ctl.txt"][1]
    assert stats["evidence"]["not_round_tripping"] == 0
    assert (tmp_path / "g" / "xunshi.graphml").stat().st_size > 0


# --- the batch ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("bad")
    c = work / "corpus"
    c.mkdir()
    shutil.copy(SAMPLE, c / "a-sample.txt")
    write(c, "b-empty.txt", b"")
    write(c, "c-binary.html", bytes(range(256)) * 8)
    write(c, "d-mojibake.txt", BULLETIN.encode("utf-8").decode("gbk", errors="ignore").encode("utf-8"))
    write(c, "e-truncated.docx", (FORMATS / "taizhang.docx").read_bytes()[:5000])
    with (c / "f-enormous.txt").open("wb") as fh:
        fh.seek(MAX_TEXT_BYTES + 1)
        fh.write(b"\n")  # sparse: large on stat, cheap to make
    write(c, "g-one-line.txt", BULLETIN.replace("\n", " ").encode("utf-8"))
    write(c, "h-scan.pdf", (FORMATS / "scan.pdf").read_bytes())
    write(c, "i-audit.txt", (FORMATS / "audit-report.txt").read_bytes())
    write(c, "j-script.html", b"<html><body><script>alert(1)</script></body></html>")
    write(c, "k-legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    write(c, "l-sheet.xlsx", b"PK\x03\x04")
    write(c, "m-notes.txt", "会议纪要\n今天讨论了食堂菜单。\n".encode())
    write(c, "n-copy.txt", SAMPLE.read_bytes())
    return work


EXPECTED = {
    "a-sample.txt": ("ok", []),
    "b-empty.txt": ("skipped", ["E001"]),
    "c-binary.html": ("skipped", ["E002"]),
    "d-mojibake.txt": ("skipped", ["E014"]),
    "e-truncated.docx": ("skipped", ["E006"]),
    "f-enormous.txt": ("skipped", ["E013"]),
    "g-one-line.txt": ("ok", ["W015"]),
    "h-scan.pdf": ("skipped", ["E012"]),
    "i-audit.txt": ("not-bulletin", ["E011"]),
    "j-script.html": ("skipped", ["E009"]),
    "k-legacy.doc": ("skipped", ["E008"]),
    "l-sheet.xlsx": ("skipped", ["E004"]),
    "m-notes.txt": ("not-bulletin", ["E010"]),
    "n-copy.txt": ("duplicate", ["W002"]),
}


def test_batch_goes_on_and_reports_every_file(bad_corpus, capsys):
    from pipeline.cli import main

    old = os.getcwd()
    os.chdir(bad_corpus)
    try:
        code = main(["build", "corpus", "--out", "graphs", "--no-html", "--no-shacl"])
    finally:
        os.chdir(old)
    assert code == 0
    stats = json.loads((bad_corpus / "graphs" / "stats.json").read_text(encoding="utf-8"))
    outcome = {Path(f["path"]).name: (f["outcome"], [c for c in f["issues"] if c != "W020"]) for f in stats["files"]}
    assert outcome == EXPECTED
    assert stats["files_seen"] == len(EXPECTED)
    # the sample's numbers are untouched by its bad neighbours
    assert stats["counts"]["bulletins"] == 5 + 1
    assert stats["counts"]["problems"] == 141 + 4
    # every coded message is on the console too, with its hint
    err = capsys.readouterr().err
    for name, (_, codes) in EXPECTED.items():
        for c in codes:
            assert f"{c} corpus/{name}" in err, (c, name)
    for issue in stats["issues"]:
        assert issue["hint"] and "{" not in issue["message"]


def test_strict_build_fails_when_a_file_was_skipped(bad_corpus):
    from pipeline.cli import main

    old = os.getcwd()
    os.chdir(bad_corpus)
    try:
        assert main(["build", "corpus/b-empty.txt", "corpus/a-sample.txt", "--out", "g2", "--no-html", "--no-shacl", "--strict", "-q"]) == 1
    finally:
        os.chdir(old)


# --- properties of the segmenter -----------------------------------------------------------------

PIECES = [
    "一、组织整改落实情况", "二、集中整改期内已完成的整改事项", "三、下一步整改工作安排", "(一)在“学习”方面", "(二)反馈问题:",
    "(一)问题1:", "1.", "2.", "12.", "1-2,", "(1)", "(2)", "①", "问题3:", "整改结果:", "完成情况:", "整改情况:",
    "整改措施:", "已完成", "阶段性完成", "正在整改", "立行立改", "(已完成)", "一是", "二是", "《办法》", "《未闭合",
    "附件1", "附件 2:", "反馈问题25个,已完成整改19个,完成率76%", "\t", "序号\t问题\t整改措施\t整改结果", "1\t问题\t措施\t完成",
    "2023年12月22日", "中共某县委员会", "联系电话:", "下一步", "\n", "\r\n", "\n\n", " ", "\u3000", "。", ";", "関於", "縣委",
    "巡察", "通报", "\x07", "\ufeff", "\ufffd", "𠀀",
]  # fmt: skip


def _all_spans(doc, bulletins):
    for b in bulletins:
        yield from (b.title_span, b.issuer_span, b.date_span, b.opening, b.organisation, b.tail)
        yield from (s.span for s in b.sections)
        yield from (c.span for c in b.categories)
        for p in b.problems:
            yield from (p.span, p.line_span, p.status.span)
            yield from (m.span for m in p.measures)
            yield from (q.span for q in p.parts)


def _check(text: str) -> None:
    doc = make_doc(text)
    bulletins, issues = segment(doc)
    for sp in _all_spans(doc, bulletins):
        if sp is not None:
            assert 0 <= sp.start <= sp.end <= len(text)
            assert text[sp.start:sp.end] == sp.exact
    for b in bulletins:
        for p in b.problems:
            assert p.text == p.span.exact
    for i in issues:
        # every placeholder of the template filled (the quoted input may hold braces: "{审计整改")
        assert i.code in MESSAGES
        fields = {f for _, f, _, _ in string.Formatter().parse(MESSAGES[i.code][1]) if f}
        assert fields <= set(i.detail), (i.code, fields - set(i.detail))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_segment_survives_any_text(text):
    _check(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES) | st.text(alphabet="整改问题完成一二三1234567890()():: \n", max_size=6), max_size=80).map("".join))
def test_segment_survives_bulletin_like_text(text):
    _check("中共某县委员会关于巡察整改进展情况的通报\n" + text)
    _check(text.replace("\n", " "))  # the same without line breaks (virtual lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=5, max_size=60).map("".join))
def test_extract_keeps_every_span_on_the_text(text):
    from pipeline.extract import extract

    doc = make_doc("中共某县委员会关于巡察整改进展情况的通报\n根据县委统一部署,2023年4月1日至5月30日,县委第二巡察组对某局进行了巡察。\n" + text)
    bulletins, _ = segment(doc)
    extractions, issues = extract(doc, bulletins) if bulletins else ([], [])
    for e in extractions:
        for m in [*e.policies, *e.figures, *e.units, *e.people]:
            assert doc.text[m.span.start:m.span.end] == m.span.exact
    assert all(i.code in MESSAGES for i in issues)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=600))
def test_random_pdf_bytes_only_raise_coded_errors(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("pdf") / "f.pdf"
    path.write_bytes(b"%PDF-1.4\n" + data)
    try:
        doc, _issues = read_document(path)
    except XunshiError as exc:
        assert exc.issue.code in MESSAGES and exc.issue.code.startswith("E")
    else:
        assert doc.text.strip()
