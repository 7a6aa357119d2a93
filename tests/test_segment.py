"""Segment stage: golden structure of the sample, and each numbering and status style."""

from __future__ import annotations

import hashlib
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.records import SourceDocument
from pipeline.segment import map_status, segment, split_lines


def make_doc(text: str, path: str = "mem.txt") -> SourceDocument:
    data = text.encode("utf-8")
    return SourceDocument(path, hashlib.sha256(data).hexdigest(), "utf-8", "text/plain", text, len(data))


# --- the sample ------------------------------------------------------------------------------


def test_sample_bulletins_and_problem_counts(sample_bulletins):
    assert [len(b.problems) for b in sample_bulletins] == [71, 11, 14, 9, 36]
    assert [b.attachment for b in sample_bulletins] == ["", "附件1", "附件2", "附件3", "附件4"]
    assert {b.date for b in sample_bulletins} == {"2023-12-22"}
    assert [b.issuer for b in sample_bulletins] == [
        "中共湖南湘江新区工作委员会",
        "中共湖南湘江新区纪检监察工作委员会",
        "中共湖南湘江新区工作委员会组织工作部",
        "湖南湘江新区党工委巡察工作领导小组",
        "中共岳麓高新技术产业开发区工作委员会",
    ]
    assert sample_bulletins[0].title == "中共湖南湘江新区工作委员会关于巡视整改进展情况的通报"
    assert sample_bulletins[1].title == "关于提级巡视整改进展情况的通报"


def test_sample_statuses(sample_bulletins):
    problems = [p for b in sample_bulletins for p in b.problems]
    keys = Counter(p.status.key for p in problems)
    assert keys == {"Completed": 65, "PartiallyCompleted": 75, "NotCompleted": 1}
    printed = Counter(p.status.text for p in problems)
    assert printed == {"完成": 46, "已完成": 19, "阶段性完成": 75, "未完成": 1}
    assert all(p.status.how == "line" for p in problems)
    per_bulletin = [Counter(p.status.key for p in b.problems) for b in sample_bulletins]
    assert per_bulletin[3]["NotCompleted"] == 1
    assert per_bulletin[4] == {"Completed": 19, "PartiallyCompleted": 17}


def test_every_span_round_trips(sample_doc, sample_bulletins):
    text = sample_doc.text
    for b in sample_bulletins:
        for sp in [b.title_span, b.issuer_span, b.date_span, b.opening, *(c.span for c in b.categories)]:
            assert sp is not None and text[sp.start:sp.end] == sp.exact
        for p in b.problems:
            assert text[p.span.start:p.span.end] == p.text
            assert text[p.status.span.start:p.status.span.end] == p.status.text
            for m in p.measures:
                assert text[m.span.start:m.span.end] == m.text


def test_numbering_styles_of_the_sample(sample_bulletins):
    main, att1, att2, att3, att4 = sample_bulletins
    # 1.… with a year right after the number: 4.2019年至2022年…
    p4 = main.problems[3]
    assert p4.ordinal == "4" and p4.text.startswith("2019年至2022年,房地产业税占比")
    assert [p.ordinal for p in main.problems] == [str(i) for i in range(1, 72)]
    assert len(main.categories) == 4 and main.categories[0].ordinal == "(一)"
    assert main.categories[3].label.startswith("整改“后半篇文章”做得不足")
    # (一)反馈问题:… directly followed by a status: a category that is one problem
    assert att1.problems[1].ordinal == "(二)"
    assert att1.problems[1].text.startswith("落实“三转”仍不到位。2019年省委巡视")
    assert att1.categories[1].label == "落实“三转”仍不到位"
    assert att1.problems[1].category_id == att1.categories[1].id
    # (一)问题1:… and the restart in the 未完成 section
    assert [p.ordinal for p in att3.problems] == [f"问题{i}" for i in range(1, 9)] + ["问题1"]
    assert att3.sections[att3.problems[-1].section].kind == "unfinished"
    assert att3.problems[-1].status.key == "NotCompleted"
    # 1.问题1:… under (一)反馈问题: categories, numbers restarting per category
    assert [p.ordinal for p in att4.problems] == [f"问题{i}" for i in range(1, 37)]
    assert att4.problems[0].text == "2021年以来,有20次党工委会议没有落实“第一议题”制度。"
    assert len(att4.categories) == 11


def test_sub_items_belong_to_one_problem(sample_bulletins):
    att4 = sample_bulletins[4]
    p2 = att4.problems[1]
    assert [part.ordinal for part in p2.parts] == ["(1)", "(2)"]
    assert p2.parts[0].text == "学习氛围不够浓厚。"
    assert [(m.part, m.ordinal) for m in p2.measures] == [
        ("(1)", "一是"), ("(1)", "二是"), ("(1)", "三是"), ("(2)", "一是"), ("(2)", "二是"),
    ]


def test_measures_split_at_enumerators(sample_bulletins):
    main = sample_bulletins[0]
    p55 = main.problems[54]
    assert [m.ordinal for m in p55.measures] == ["一是", "二是"]
    assert p55.measures[0].text.startswith("制定《干部监督工作联席会议制度和信息沟通办法(试行)》")
    p1 = main.problems[0]
    assert len(p1.measures) == 1 and p1.measures[0].ordinal == ""
    # a measures paragraph continued on the next line stays with its problem
    att4 = sample_bulletins[4]
    assert att4.problems[33].measures[-1].text.startswith("裕园29户未办证中")


def test_sections_by_kind(sample_bulletins):
    assert [s.kind for s in sample_bulletins[0].sections] == ["organisation", "done", "plan"]
    assert [s.kind for s in sample_bulletins[3].sections] == ["organisation", "done", "unfinished", "plan"]


# --- numbering and status styles, one by one -------------------------------------------------

HEAD = "中共青禾县委员会关于巡察整改进展情况的通报\n根据县委统一部署,2023年4月1日至5月30日,县委第二巡察组对青禾县水利局进行了巡察。\n"
TAIL = "中共青禾县委员会\n2024年1月5日\n"


def problems_of(body: str):
    bulletins, issues = segment(make_doc(HEAD + body + TAIL))
    return [p for b in bulletins for p in b.problems], issues


def test_plain_numbers_with_status_lines():
    ps, _ = problems_of("二、整改事项\n1.水费收缴不及时。\n整改结果:已完成\n整改情况:追缴水费。\n2.项目验收滞后。\n整改结果:正在整改\n")
    assert [(p.ordinal, p.text, p.status.key) for p in ps] == [
        ("1", "水费收缴不及时。", "Completed"),
        ("2", "项目验收滞后。", "InProgress"),
    ]


def test_problem_label_styles():
    ps, _ = problems_of("二、整改事项\n问题1:账目不清。\n完成情况:基本完成\n问题2:制度缺失。\n整改进展:长期坚持\n")
    assert [(p.ordinal, p.text, p.status.key, p.status.text) for p in ps] == [
        ("问题1", "账目不清。", "PartiallyCompleted", "基本完成"),
        ("问题2", "制度缺失。", "LongTerm", "长期坚持"),
    ]


def test_status_inline_in_measures_and_absent():
    ps, issues = problems_of(
        "二、整改事项\n1.河道保洁不到位。\n整改情况:开展专项整治,已整改到位。\n2.档案不全。\n整改情况:立行立改,补齐档案。\n"
    )
    assert ps[0].status.key == "Completed" and ps[0].status.how == "inline"
    assert ps[0].status.text == "已整改到位"
    # 立行立改 names a mode, not a status: no status means Unknown, never Completed
    assert ps[1].status.key == "Unknown" and ps[1].status.how == "none"
    assert "W011" in [i.code for i in issues]


def test_decimal_is_not_a_problem_number():
    ps, _ = problems_of("二、整改事项\n1.资金闲置。\n整改结果:完成\n整改情况:盘活资金\n2.5亿元已拨付到位。\n2.台账缺失。\n整改结果:完成\n")
    assert [p.ordinal for p in ps] == ["1", "2"]
    assert ps[1].text == "台账缺失。"
    assert ps[0].measures[-1].text == "2.5亿元已拨付到位。"


def test_enumeration_comma_before_a_year_and_persisting_status():
    """12、2019年… is problem 12 (after 、 a digit may follow, unlike 2.5亿元); 持续推进 is in progress."""
    ps, issues = problems_of(
        "二、整改事项\n1、水费收缴不及时。\n整改结果:完成\n2、2019年县委巡察指出的问题整改不彻底。\n整改结果:持续推进\n"
    )
    assert [(p.ordinal, p.text, p.status.key) for p in ps] == [
        ("1", "水费收缴不及时。", "Completed"),
        ("2", "2019年县委巡察指出的问题整改不彻底。", "InProgress"),
    ]
    assert "W012" not in [i.code for i in issues]


def test_measure_list_does_not_swallow_the_next_problem():
    """Problem 2 right after a 1./2. … measure list numbered up to 1 is problem 2 when problem 1
    already had its status and a status line follows (the list would otherwise take it)."""
    ps, _ = problems_of(
        "二、整改事项\n1.水费收缴不及时。\n整改结果:完成\n整改措施:\n1.追缴水费。\n"
        "2.项目验收滞后。\n整改结果:阶段性完成\n整改措施:\n1.组织验收。\n2.建立台账。\n"
    )
    assert [(p.ordinal, p.text, p.status.key, [m.text for m in p.measures]) for p in ps] == [
        ("1", "水费收缴不及时。", "Completed", ["追缴水费。"]),
        ("2", "项目验收滞后。", "PartiallyCompleted", ["组织验收。", "建立台账。"]),
    ]


def test_status_after_a_measure_list_belongs_to_its_problem():
    ps, _ = problems_of("二、整改事项\n1.水费收缴不及时。\n整改措施:\n1.追缴水费。\n2.建立台账。\n整改结果:完成\n")
    assert [(p.ordinal, p.status.key, len(p.measures)) for p in ps] == [("1", "Completed", 2)]


def test_unrecognised_status_wording_is_flagged():
    ps, issues = problems_of("二、整改事项\n1.问题。\n整改结果:待定\n")
    assert ps[0].status.key == "Unknown" and ps[0].status.text == "待定"
    assert "W012" in [i.code for i in issues]


def test_map_status_prefers_the_longest_phrase():
    assert map_status("阶段性完成")[0] == "PartiallyCompleted"
    assert map_status("未完成")[0] == "NotCompleted"
    assert map_status("已完成")[0] == "Completed"
    assert map_status("立行立改") is None


def test_not_a_bulletin_gets_E010():
    bulletins, issues = segment(make_doc("今天天气很好。\n我们去公园散步。\n"))
    assert bulletins == [] and [i.code for i in issues] == ["E010"]


def test_truncated_bulletin_keeps_what_was_read():
    text = HEAD + "二、整改事项\n1.水费收缴不及时。\n整改结果:已完成\n2.项目验收滞"
    bulletins, issues = segment(make_doc(text))
    assert len(bulletins[0].problems) == 2
    assert bulletins[0].problems[1].status.key == "Unknown"
    assert "W014" in [i.code for i in issues]  # no signature: no date


def test_crlf_text_offsets():
    text = (HEAD + "二、整改事项\n1.水费收缴不及时。\n整改结果:已完成\n" + TAIL).replace("\n", "\r\n")
    doc = make_doc(text)
    bulletins, _ = segment(doc)
    p = bulletins[0].problems[0]
    assert doc.text[p.span.start:p.span.end] == "水费收缴不及时。"
    assert bulletins[0].date == "2024-01-05"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("1.2、(一)问题:整改结果完成情况已阶段性\n 。一是二是附件3《》\u3000") + ["\r\n", "整改结果:", "整改情况:", "1.", "(1)"]), max_size=120).map("".join))
def test_segment_never_crashes_and_spans_round_trip(text):
    doc = make_doc(HEAD + text)
    bulletins, issues = segment(doc)
    for b in bulletins:
        for p in b.problems:
            assert doc.text[p.span.start:p.span.end] == p.span.exact == p.text
            for m in p.measures:
                assert doc.text[m.span.start:m.span.end] == m.text


def test_split_lines_strips_fullwidth_blanks():
    lines = split_lines("\u3000\u3000第一行 \n\n 第二行\r\n")
    assert [(ln.text, ln.start) for ln in lines] == [("第一行", 2), ("第二行", 9)]
