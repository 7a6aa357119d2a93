"""Real-world bulletin formats, one synthetic fixture each (``tests/fixtures/formats/``).

Each fixture is read through ingest → segment → extract and its problems, statuses, measures,
policies, inspection, summary figures and warnings are asserted; a build of the whole folder
then checks what reaches the graph (figures on the bulletin, reported counts and mismatches,
look-alikes reported, every evidence span round-tripping, SHACL).

The .docx, .pdf and one-line fixtures are written by ``fixtures/formats/make_fixtures.py``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF

from pipeline.errors import XunshiError
from pipeline.extract import (
    canonical_team,
    count_checks,
    extract,
    inspection_dates,
    inspection_round,
)
from pipeline.ingest import is_traditional, match_text, read_document
from pipeline.segment import segment
from pipeline.vocab import XS

FORMATS = Path(__file__).parent / "fixtures" / "formats"


class Read:
    """One fixture through the per-document stages."""

    def __init__(self, name: str):
        self.doc, ingest_issues = read_document(FORMATS / name, f"formats/{name}")
        self.bulletins, seg_issues = segment(self.doc)
        self.extractions, ext_issues = extract(self.doc, self.bulletins) if self.bulletins else ([], [])
        self.issues = [*ingest_issues, *seg_issues, *ext_issues]

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]

    @property
    def problems(self):
        return [p for b in self.bulletins for p in b.problems]

    def rows(self) -> list[tuple[str, str, str]]:
        """(ordinal, text, status key) of every problem."""
        return [(p.ordinal, p.text, p.status.key) for p in self.problems]

    def policies(self) -> list[tuple[str, str]]:
        return [(m.title, m.relation) for e in self.extractions for m in e.policies]

    def bulletin_figures(self) -> list[str]:
        return [f.text for e in self.extractions for f in e.figures if f.owner == e.bulletin.id]

    def assert_spans_round_trip(self) -> None:
        text = self.doc.text
        for b in self.bulletins:
            spans = [b.title_span, b.issuer_span, b.date_span, b.opening, *(c.span for c in b.categories)]
            for p in b.problems:
                spans += [p.span, p.line_span, p.status.span, *(m.span for m in p.measures), *(q.span for q in p.parts)]
            for sp in spans:
                if sp is not None:
                    assert text[sp.start:sp.end] == sp.exact
        for e in self.extractions:
            for m in [*e.policies, *e.figures, *e.units, *e.people]:
                assert text[m.span.start:m.span.end] == m.span.exact


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Read]:
    names = sorted(p.name for p in FORMATS.iterdir() if p.suffix in (".txt", ".html", ".docx", ".pdf"))
    out = {}
    for name in names:
        try:
            out[name] = Read(name)
        except XunshiError:
            pass  # scan.pdf: asserted below
    return out


def test_every_fixture_is_marked_synthetic():
    for path in FORMATS.iterdir():
        if path.suffix in (".txt", ".html"):
            assert "synthetic" in path.read_text(encoding="utf-8")[:300], path.name
        elif path.suffix == ".pdf":
            assert b"synthetic" in path.read_bytes()[:100], path.name


def test_every_span_round_trips(fixtures):
    for r in fixtures.values():
        r.assert_spans_round_trip()


# --- category headings and problem numbering ---------------------------------------------------


def test_category_zai_fangmian_and_guanyu_problem_headings(fixtures):
    r = fixtures["category-zai-fangmian.txt"]
    (b,) = r.bulletins
    assert [(c.ordinal, c.label) for c in b.categories] == [
        ("(一)", "在“贯彻落实党的路线方针政策”方面"),
        ("(二)", "在“落实全面从严治党责任”方面"),
    ]
    assert r.rows() == [
        ("1", "关于“学习贯彻习近平新时代中国特色社会主义思想不够深入”问题的整改", "Completed"),
        ("2", "关于“农村公路养护责任落实不到位”问题的整改", "PartiallyCompleted"),
        ("3", "关于“公务用车管理不规范”问题的整改", "Completed"),
    ]
    assert [p.category_id for p in b.problems] == [b.categories[0].id, b.categories[0].id, b.categories[1].id]
    assert [m.ordinal for m in b.problems[0].measures] == ["一是", "二是"]  # 整改措施: 一是…二是…
    assert r.policies() == [
        ("局党组理论学习中心组学习制度", "establishes"),
        ("农村公路养护考核办法", "establishes"),
        ("公务用车使用管理办法", "establishes"),
    ]
    assert r.codes == []


def test_category_guanyu_with_paren_problems_and_paren_measures(fixtures):
    r = fixtures["category-guanyu.txt"]
    (b,) = r.bulletins
    assert [c.label for c in b.categories] == ["关于党的领导弱化方面", "关于党的建设缺失方面"]
    assert r.rows() == [
        ("(1)", "关于“重大事项集体决策执行不严”", "Completed"),
        ("(2)", "关于“医疗服务价格监督检查不到位”", "Completed"),  # 已整改到位 in the measures
        ("(1)", "关于“基层党支部组织生活不规范”", "Unknown"),  # 立行立改 is a mode, not a status
        ("(2)", "关于“发展党员程序不规范”", "InProgress"),  # 正在整改 in the measures
    ]
    first = b.problems[0]
    assert [(m.ordinal, m.text) for m in first.measures] == [
        ("(1)", "修订《党组工作规则》,明确集体决策事项清单;"),
        ("(2)", "对2022年以来的18项重大事项开展回头看。"),
    ]
    assert (first.status.text, first.status.how) == ("已完成", "line")  # 完成情况:已完成
    assert [p.status.how for p in b.problems] == ["line", "inline", "none", "inline"]
    assert r.codes == ["W011"]
    assert r.issues[0].detail["ordinal"] == "(1)"
    assert ("党组工作规则", "establishes") in r.policies()


def test_category_sentence_with_problem_labels(fixtures):
    r = fixtures["category-sentence.txt"]
    (b,) = r.bulletins
    assert [c.label for c in b.categories] == ["落实管党治党主体责任有差距。", "选人用人工作不够规范。"]
    assert r.rows() == [
        ("问题1", "党委会议事规则执行不严格。", "Completed"),
        ("问题2", "对下属公司监督不力。", "InProgress"),
        ("问题3", "干部档案审核不严。", "LongTerm"),
    ]
    assert [p.status.text for p in b.problems] == ["已完成", "正在推进", "长期坚持"]  # 整改进展:
    assert b.problems[0].measures[0].text == "修订《集团党委会议事规则》,规范议题提交程序。"  # 整改成效:
    # the opening reports 14 problems of the round; three are listed: flagged, not hidden
    assert r.codes == ["W031"]
    assert r.issues[0].detail == {"what": "反馈问题", "reported": "14", "found": 3}


def test_section_level_categories_inline_statuses_and_summary_counts(fixtures):
    r = fixtures["section-categories.txt"]
    (b,) = r.bulletins
    assert [(c.ordinal, c.label) for c in b.categories] == [("一", "在落实安全生产责任方面"), ("二", "在干部队伍建设方面")]
    assert [(p.ordinal, p.status.key, p.status.text) for p in b.problems] == [
        ("问题1", "Completed", "已整改到位"),
        ("问题2", "Completed", "已完成整改"),
        ("问题3", "PartiallyCompleted", "阶段性完成整改"),
        ("问题4", "LongTerm", "需长期坚持"),
        ("问题5", "InProgress", "正在整改"),
        ("问题6", "Completed", "整改销号"),
        ("问题7", "NotCompleted", "申请延期整改"),
        ("问题8", "Unknown", ""),  # 立行立改 only: unknown, never completed
    ]
    assert all(p.status.how in ("inline", "none") for p in b.problems)
    assert [p.category_id for p in b.problems] == [b.categories[0].id] * 3 + [b.categories[1].id] * 5
    # the summary of the opening: figures on the bulletin
    assert r.bulletin_figures() == [
        "县委巡察组共反馈问题8个", "已完成整改6个", "正在整改2个", "整改完成率75%", "制定制度12项", "追缴资金3.5万元", "问责2人",
    ]
    counts, issues = count_checks(r.doc, b)
    assert [(c.what, str(c.value)) for c in counts] == [("total", "8"), ("completed", "6"), ("in_progress", "2"), ("rate", "75")]
    # 6 completed reported, 3 found; 75% reported, 37.5% found; 2 in progress = 1 + 1 partly done
    assert Counter(r.codes) == {"W011": 1, "W031": 1, "W034": 1}
    w031 = next(i for i in r.issues if i.code == "W031")
    assert w031.detail == {"what": "已完成整改", "reported": "6", "found": 3}
    assert next(i for i in r.issues if i.code == "W034").detail == {"reported": "75", "found": "37.5"}
    assert [i.code for i in issues] == ["W031", "W034"]
    # vague dates: 3月下旬 starts on the 21st, 5月底 ends on the 31st
    ins = r.extractions[0].inspection
    assert (ins.start, ins.end, ins.feedback) == ("2024-03-21", "2024-05-31", "2024-06-18")


def test_dashed_numbers_carry_the_feedback_list_number(fixtures):
    r = fixtures["dashed-numbers.txt"]
    assert r.rows() == [
        ("1-2", "惠农补贴发放审核把关不严。", "Completed"),
        ("1-5", "高标准农田项目验收不规范。", "InProgress"),
        ("3-1", "2019年县委巡察反馈的“村级集体经济薄弱”问题整改不彻底。", "LongTerm"),
    ]
    assert r.codes == []


def test_bulletin_without_section_headings(fixtures):
    r = fixtures["no-sections.txt"]
    (b,) = r.bulletins
    assert b.sections == ()
    assert [(p.ordinal, p.text, p.status.key, p.status.text, p.status.how) for p in b.problems] == [
        ("1", "村级财务管理不规范。", "Completed", "已完成", "line"),  # one line: problem。整改情况:…。整改结果:…
        ("2", "人居环境整治成效不明显。", "Completed", "已完成", "line"),  # (已完成) at the end of the line
        ("3", "信访积案化解不力。", "Completed", "已完成整改", "inline"),
        ("4", "党员教育管理不严格。", "InProgress", "正在整改", "line"),
    ]
    assert b.problems[0].measures[0].text == "制定《村级财务管理细则》,对12个村开展财务清查。"
    assert not any("联系电话" in m.text for p in b.problems for m in p.measures)  # the contact line ends the list
    # the reported counts add up: figures, no warning
    assert r.bulletin_figures() == ["县委巡察组反馈的4个问题", "已完成整改3个", "正在整改1个"]
    assert r.codes == []
    ins = r.extractions[0].inspection
    assert (ins.feedback, ins.inspected) == ("2023-08-02", "青溪镇党委")  # 并于…反馈: no 向…


def test_status_label_alone_then_bare_status_line():
    text = (
        "中共某镇委员会关于巡察整改进展情况的通报\n根据县委统一部署,2023年4月1日至5月30日,县委第二巡察组对某镇党委进行了巡察。\n"
        "二、整改事项\n1.账目不清。\n整改结果:\n已完成。\n2.制度缺失。\n【正在整改】\n3.台账缺失。\n整改结果:立行立改\n"
        "中共某镇委员会\n2024年1月5日\n"
    )
    from tests.test_segment import make_doc

    bulletins, issues = segment(make_doc(text))
    assert [(p.status.key, p.status.text) for p in bulletins[0].problems] == [
        ("Completed", "已完成"), ("InProgress", "正在整改"), ("Unknown", "立行立改"),
    ]
    assert [i.code for i in issues] == ["W016"]  # a mode word where the status should be


# --- opening paragraphs: dates, team aliases, rounds -------------------------------------------


def test_opening_dates_aliases_and_round(fixtures):
    r = fixtures["category-sentence.txt"]
    ins = r.extractions[0].inspection
    # 2022年11月8日至1月10日: no year on the second date, a range across the year end
    assert (ins.start, ins.end) == ("2022-11-08", "2023-01-10")
    assert ins.feedback == "2023-01-20"  # 1月20日: the inspection's next year
    assert ins.team == "市委第三巡察组"  # printed 市委巡察三组
    assert ins.team_span.exact == "市委巡察三组"
    assert (ins.kind, ins.body, ins.level) == ("巡察", "市委", "市")  # 开展了为期两个月的巡察
    assert inspection_round(r.doc, r.bulletins[0])[0] == "十二届市委第四轮"


@pytest.mark.parametrize(
    "printed, expected",
    [
        ("2023年3月9日至6月9日", ("2023-03-09", "2023-06-09")),
        ("2023年11月8日至2024年1月10日", ("2023-11-08", "2024-01-10")),
        ("2023年11月8日至1月10日", ("2023-11-08", "2024-01-10")),
        ("2023年3月9日至29日", ("2023-03-09", "2023-03-29")),
        ("2024年3月下旬至5月底", ("2024-03-21", "2024-05-31")),
        ("2023年2月至4月", ("2023-02-01", "2023-04-30")),
        ("2023年11月中旬至1月上旬", ("2023-11-11", "2024-01-10")),
        ("2023年2月30日至3月5日", ("", "")),  # no such day: no date rather than a wrong one
        ("3月9日至6月9日", ("", "")),  # no year anywhere
    ],
)
def test_inspection_dates(printed, expected):
    assert inspection_dates(f"根据县委统一部署,{printed},县委第一巡察组对某局进行了巡察。") == expected


@pytest.mark.parametrize(
    "printed, canonical",
    [("县委巡察三组", "县委第三巡察组"), ("县委巡察第三组", "县委第三巡察组"), ("县委第3巡察组", "县委第三巡察组"),
     ("省委巡视十四组", "省委第十四巡视组"), ("县委第三巡察组", "县委第三巡察组")],
)  # fmt: skip
def test_team_aliases(printed, canonical):
    assert canonical_team(printed) == canonical


# --- saved web pages, Word, PDF, traditional characters ----------------------------------------


def test_cms_page_keeps_the_article_and_reads_its_table(fixtures):
    r = fixtures["cms-page.html"]
    lines = r.doc.text.split("\n")
    assert lines[0] == "中共云岫县市场监督管理局党组关于巡察整改进展情况的通报"
    assert lines[-2:] == ["中共云岫县市场监督管理局党组", "2023年12月8日"]
    for noise in ("首页", "请输入搜索内容", "您现在的位置", "栏目导航", "浏览次数", "4721", "字体", "分享到", "打印本页",
                  "上一篇", "相关链接", "主办", "网站标识码", "访问量", "恶意脚本", "document.write", "无障碍"):  # fmt: skip
        assert noise not in r.doc.text, noise
    assert r.rows() == [
        ("1", "食品安全抽检覆盖面不足", "Completed"),
        ("2", "“双随机、一公开”监管落实不到位", "InProgress"),
        ("3", "特种设备安全隐患排查不彻底", "PartiallyCompleted"),
        ("4", "行政处罚案卷不规范", "Unknown"),  # empty status cell, 立行立改 in the measures
    ]
    p1 = r.problems[0]
    assert [(m.ordinal, m.text) for m in p1.measures] == [("一是", "制定《食品安全抽检工作计划》;"), ("二是", "新增抽检批次360批次。")]
    assert p1.status.span.exact == "已完成"
    assert r.policies() == [("食品安全抽检工作计划", "establishes"), ("双随机抽查工作细则", "establishes")]
    assert r.codes == ["W011"]


def test_docx_with_word_numbering_and_a_taizhang_table(fixtures):
    r = fixtures["taizhang.docx"]
    text = r.doc.text
    assert "(一)在耕地保护方面" in text.split("\n")  # Word's numbering written out
    assert "1.耕地“非农化”问题查处不及时。" in text.split("\n")
    assert "①推行“一窗受理”;" in text.split("\n")
    (b,) = r.bulletins
    assert [c.label for c in b.categories] == ["在耕地保护方面", "在干部作风方面"]
    assert r.rows() == [
        ("1", "耕地“非农化”问题查处不及时。", "Completed"),
        ("2", "土地出让金征收不及时。", "Completed"),
        ("1", "窗口服务效率不高。", "Completed"),  # the list restarts (w:startOverride)
        ("4", "不动产登记资料管理混乱", "Completed"),  # 台账 rows
        ("5", "执法监察不到位", "InProgress"),
    ]
    assert [(m.ordinal, m.text) for m in b.problems[2].measures] == [("①", "推行“一窗受理”;"), ("②", "压缩办理时限30%。")]
    assert [m.ordinal for m in b.problems[3].measures] == ["一是", "二是"]
    assert ("不动产登记档案管理办法", "establishes") in r.policies()
    assert r.codes == []  # 5 reported, 4 completed + 1 in progress: it adds up


def test_pdf_with_a_text_layer(fixtures):
    r = fixtures["bulletin.pdf"]
    assert r.doc.media_type == "application/pdf" and r.doc.needs_text_file
    assert "— 1 —" not in r.doc.text and "— 2 —" not in r.doc.text  # page numbers dropped
    assert r.rows() == [("1", "医保基金监管存在漏洞。", "Completed"), ("2", "定点医药机构协议管理不严。", "InProgress")]
    ins = r.extractions[0].inspection
    assert (ins.start, ins.end, ins.feedback) == ("2023-08-07", "2023-09-29", "2023-10-31")  # the next line of the opening
    assert r.policies() == [("医保基金监管工作规程", "establishes")]
    assert r.bulletins[0].date == "2024-01-10"
    assert r.codes == []


def test_pdf_without_a_text_layer():
    with pytest.raises(XunshiError) as info:
        read_document(FORMATS / "scan.pdf")
    assert info.value.issue.code == "E012"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("這個會議關於組織發展们这个台湾臺灣乾隆干部後來后来豐丰 a1，\u3400\u9fff\uf900\ufaff\U00020000\ud800")))
def test_traditional_count_is_the_per_character_count(text):
    from pipeline.ingest import _CJK, _t2s, traditional_count

    sure = _t2s()[1]
    assert traditional_count(text) == (sum(ord(c) in sure for c in text), len(_CJK.findall(text)))


def test_traditional_characters_are_matched_simplified_and_kept_as_printed(fixtures):
    r = fixtures["traditional.html"]
    assert is_traditional(r.doc.text)
    assert len(match_text(r.doc.text)) == len(r.doc.text)
    assert r.codes == ["W004"]
    (b,) = r.bulletins
    assert b.title == "關於巡察整改進展情況的通報" and b.issuer == "中共雲岫縣文化旅遊局黨組"
    assert r.rows() == [("1", "景區門票收入管理不規範。", "Completed"), ("2", "文物安全巡查不到位。", "InProgress")]
    assert b.problems[0].status.text == "已完成"
    assert b.problems[1].status.text == "正在整改"
    assert r.policies() == [("景區門票收入管理辦法", "establishes"), ("文物安全巡查制度", "establishes")]
    ins = r.extractions[0].inspection
    assert (ins.team, ins.kind, ins.feedback) == ("县委第六巡察组", "巡察", "2023-09-12")
    assert ins.team_span.exact == "縣委第六巡察組"  # evidence in the original characters
    assert ins.inspected == "縣文化旅遊局黨組"
    # simplified text is never "converted": the sample's view is itself
    text = "中共湖南湘江新区工作委员会关于巡视整改进展情况的通报"
    assert match_text(text) is text


def test_one_line_text_is_cut_at_numbering_and_labels(fixtures):
    r = fixtures["one-line.txt"]
    assert "\n" not in r.doc.text
    assert r.codes == ["W015"]
    (b,) = r.bulletins
    assert b.title == "中共云岫县司法局党组关于巡察整改进展情况的通报"
    assert (b.issuer, b.date) == ("中共云岫县司法局党组", "2023-09-01")
    assert [s.kind for s in b.sections] == ["organisation", "done", "plan"]
    assert r.rows() == [
        ("1", "社区矫正对象监管不严。", "Completed"),
        ("2", "法律援助案件质量不高。", "InProgress"),
        ("3", "人民调解员培训不足。", "Completed"),
        ("4", "普法宣传针对性不强。", "PartiallyCompleted"),
    ]


# --- look-alikes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, kind",
    [
        ("audit-report.txt", "审计整改报告"),
        ("env-inspection.txt", "生态环境保护督察整改材料"),
        ("news-stationed.html", "巡视巡察工作动态(进驻、动员、公告、反馈会)"),
    ],
)
def test_look_alikes_are_recognised_not_forced_into_problems(fixtures, name, kind):
    r = fixtures[name]
    assert r.bulletins == []
    assert r.codes == ["E011"]
    assert r.issues[0].detail["kind"] == kind
    assert "{" not in r.issues[0].message


# --- the build: what reaches the graph -----------------------------------------------------------


@pytest.fixture(scope="module")
def formats_build(tmp_path_factory):
    from pipeline.workflow import run_build

    work = tmp_path_factory.mktemp("formats")
    shutil.copytree(FORMATS, work / "formats", ignore=shutil.ignore_patterns("*.py"))
    old = os.getcwd()
    os.chdir(work)
    try:
        report = run_build(["formats"], "graphs", html=False)
    finally:
        os.chdir(old)
    stats = json.loads((work / "graphs" / "stats.json").read_text(encoding="utf-8"))
    return work, report, stats


def test_build_reports_every_file_with_its_outcome(formats_build):
    _, _, stats = formats_build
    outcome = {f["path"]: f["outcome"] for f in stats["files"]}
    assert len(outcome) == len([p for p in FORMATS.iterdir() if p.suffix != ".py"])
    for name in ("audit-report.txt", "env-inspection.txt", "news-stationed.html"):
        assert outcome[f"formats/{name}"] == "not-bulletin"
    assert outcome["formats/scan.pdf"] == "skipped"
    assert sum(o == "ok" for o in outcome.values()) == 11
    assert stats["shacl"]["conforms"] is True
    assert stats["evidence"]["not_round_tripping"] == 0
    codes = stats["issue_counts"]
    assert codes["E011"] == 3 and codes["E012"] == 1 and codes["W031"] == 2 and codes["W034"] == 1


def test_build_puts_summary_figures_and_count_flags_on_the_bulletin(formats_build):
    work, _, _ = formats_build
    g = Graph().parse(work / "graphs" / "xunshi.ttl")
    by_source = {str(g.value(b, DCTERMS.source)): b for b in g.subjects(RDF.type, XS.Bulletin)}
    b = by_source["formats/section-categories.txt"]
    figures = sorted(str(g.value(f, XS.text)) for f in g.objects(b, XS.hasFigure))
    assert "追缴资金3.5万元" in figures and "整改完成率75%" in figures and len(figures) == 7
    for f in g.objects(b, XS.hasFigure):
        assert g.value(f, XS.evidence) is not None
    assert set(g.objects(b, XS.reportedCount)) == {Literal(8)}
    assert sorted(str(m) for m in g.objects(b, XS.countMismatch)) == [
        "通报称已完成整改6个,逐条统计为3个",
        "通报称整改完成率75%,按逐条整改结果计算为37.5%",
    ]
    ok = by_source["formats/no-sections.txt"]
    assert set(g.objects(ok, XS.reportedCount)) == {Literal(4)}
    assert list(g.objects(ok, XS.countMismatch)) == []
    statuses = Counter(str(g.value(p, XS.status)).rsplit("#", 1)[-1] for p in g.subjects(XS.inBulletin, b))
    assert statuses["Unknown"] == 1


_WIDE = {ord(a): chr(ord(a) + 0xFEE0) for a in "(),:;!?0123456789"}


@pytest.mark.parametrize(
    "fixture",
    sorted(
        [p for p in FORMATS.glob("*.txt")]
        + [p for p in (FORMATS.parent / "rounds").glob("*.txt")],
        key=lambda p: p.name,
    ),
    ids=lambda p: p.name,
)
def test_full_width_punctuation_and_digits_read_like_ascii(fixture, tmp_path):
    """Bulletins print （一）、整改结果：、，；and ２０２３ as often as the ASCII forms: the same
    bulletin in either width gives the same problems, statuses, measures, policies and figures,
    and every span of the full-width copy round-trips against the full-width text."""
    narrow = fixture.read_text(encoding="utf-8")
    wide = narrow.translate(_WIDE)
    assert wide != narrow
    (tmp_path / "wide.txt").write_text(wide, encoding="utf-8")

    def read(path):
        doc, _ = read_document(path, path.name)
        bulletins, _ = segment(doc)
        extractions, _ = extract(doc, bulletins) if bulletins else ([], [])
        fold = lambda s: match_text(s) if s else s  # noqa: E731
        rows = [(fold(p.ordinal), fold(p.text), p.status.key, len(p.measures), len(p.parts)) for b in bulletins for p in b.problems]
        mentions = sorted((type(m).__name__, fold(m.span.exact)) for e in extractions for m in [*e.policies, *e.figures, *e.units, *e.people])
        for e in extractions:
            for m in [*e.policies, *e.figures, *e.units, *e.people]:
                assert doc.text[m.span.start:m.span.end] == m.span.exact
        for p in (p for b in bulletins for p in b.problems):
            for sp in (p.span, p.status.span, *(m.span for m in p.measures)):
                if sp is not None:
                    assert doc.text[sp.start:sp.end] == sp.exact
        return rows, mentions, [fold(b.title) for b in bulletins]

    rows_n, mentions_n, titles_n = read(fixture)
    rows_w, mentions_w, titles_w = read(tmp_path / "wide.txt")
    assert rows_w == rows_n
    assert mentions_w == mentions_n
    assert titles_w == titles_n


def test_reported_total_after_a_count_of_aspects(tmp_path):
    """反馈问题4个方面25个: the total is 25, not the 4 aspects (the categories)."""
    from pipeline.extract import reported_counts

    text = (
        "中共青禾县委员会关于巡察整改进展情况的通报\n"
        "根据县委统一部署,2023年4月1日至5月30日,县委第二巡察组对青禾县水利局进行了巡察,反馈问题2个方面3个。\n"
        "二、整改事项\n(一)关于党的建设方面\n1.水费收缴不及时。\n整改结果:完成\n2.台账缺失。\n整改结果:完成\n"
        "(二)关于作风建设方面\n3.公务接待超标。\n整改结果:阶段性完成\n中共青禾县委员会\n2024年1月5日\n"
    )
    path = tmp_path / "aspects.txt"
    path.write_text(text, encoding="utf-8")
    doc, _ = read_document(path, "aspects.txt")
    (b,), _ = segment(doc)
    assert len(b.problems) == 3
    total = [c for c in reported_counts(doc, b) if c.what == "total"]
    assert [(c.value, c.span.exact) for c in total] == [(3, "反馈问题2个方面3个")]
    assert count_checks(doc, b)[1] == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from("，：；（）ＡＺａｚ０９\uff01\uff5e\uff5f\uff00\u3000 \n中文"), st.characters())))
def test_width_folding_in_numpy_is_the_translate_table(text):
    from pipeline.ingest import _FOLD_WIDTH, fold_width

    assert fold_width(text) == text.translate(_FOLD_WIDTH)
    assert fold_width("\ud800，甲\U00020000") == "\ud800,甲\U00020000"  # lone surrogates, astral
