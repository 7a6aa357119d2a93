"""Extract stage: spaCy rule components and the mentions they yield on the sample."""

from __future__ import annotations

from collections import Counter

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.util import get_words_and_spaces

from pipeline.components import char_words_and_spaces, doc_text
from pipeline.extract import build_nlp, parse_inspection


def test_components_are_registered_factories_with_rule_data(tmp_path):
    nlp = build_nlp()
    assert nlp.pipe_names == ["xunshi_policies", "xunshi_people", "xunshi_figures", "xunshi_units"]
    assert nlp.lang == "zh"
    doc = nlp("严格执行《干部选拔任用工作条例》,制定落实《政务热线月度考评管理办法》《工单管理办法》。")
    spans = [(s.text, s.label_) for s in doc.spans["policies"]]
    assert spans == [
        ("干部选拔任用工作条例", "cites"),
        ("政务热线月度考评管理办法", "establishes"),
        ("工单管理办法", "establishes"),
    ]
    # serialisable: to_disk / from_disk keep the rule data
    nlp.to_disk(tmp_path / "nlp")
    again = spacy.load(tmp_path / "nlp")
    doc = again("修订《租金收缴管理办法》")
    assert [s.label_ for s in doc.spans["policies"]] == ["establishes"]


def test_policy_verbs_across_chains_and_after_the_title():
    nlp = build_nlp()
    doc = nlp("组织专题业务培训,针对《规范问题线索管理和处置》《纪检监察机关问题线索管理办法》等进行集中学习。将《中国共产党党支部工作条例(试行)》列入学习议题。")
    assert [(s.text, s.label_) for s in doc.spans["policies"]] == [
        ("规范问题线索管理和处置", "cites"),
        ("纪检监察机关问题线索管理办法", "cites"),
        ("中国共产党党支部工作条例(试行)", "cites"),
    ]
    doc = nlp("结合实际制定了《湖南湘江新区党工委巡察工作规划(2023-2026年)。巡察工作领导小组")
    (s,) = doc.spans["policies"]
    assert s.text == "湖南湘江新区党工委巡察工作规划(2023-2026年)" and s.label_ == "establishes|unclosed"


def test_people_with_roles():
    nlp = build_nlp()
    doc = nlp("同时,成立以新区纪检监察工委书记钱胜同志为组长的督查工作领导小组。")
    (s,) = doc.spans["people"]
    assert s.text == "钱胜"
    assert doc.text[s._.verb_start:s._.verb_end] == "新区纪检监察工委书记"


def test_figures_and_units():
    nlp = build_nlp()
    doc = nlp("兑现帮扶资金38亿元,增长25.3%,新增企业768家;某国企子公司和个别街道纪工委书记。")
    assert [(s.text, s.label_) for s in doc.spans["figures"]] == [
        ("38亿元", "figure"), ("25.3%", "figure"), ("768家", "figure"),
    ]
    assert [(s.text, s.label_) for s in doc.spans["units"]] == [("某国企子公司", "anonymised"), ("个别街道", "anonymised")]


def test_a_named_unit_never_starts_with_an_anonymising_word():
    """某国企子公司基本账户未纳入集团 is not a company called so: the anonymised unit is 某国企子公司
    (a generated bulletin's wording; the sample's longer one was out of the pattern's reach)."""
    doc = build_nlp()("国有企业层级多、下属公司多,某国企子公司基本账户未纳入集团监管,湘江发展集团有限公司未落实。")
    assert [(s.text, s.label_) for s in doc.spans["units"]] == [("某国企子公司", "anonymised"), ("湘江发展集团有限公司", "named")]
    # a company's whole name, not its first suffix (the prefix is lazy: the longer suffixes first)
    for name in ("湘江发展集团股份有限公司", "湖南智谷集团公司", "长沙建工有限责任公司"):
        doc = build_nlp()(f"经查,{name}未落实。")
        assert [s.text for s in doc.spans["units"]] == [name]


def test_how_the_feedback_was_given_is_not_part_of_the_unit():
    from pipeline.extract import RE_FEEDBACK, RE_FEEDBACK_TO

    for text, unit in [
        ("2020年7月9日，县委第五巡察组向樾洲县工业和信息化局党组集中反馈了巡察意见。", "樾洲县工业和信息化局党组"),
        ("2023年7月24日,省委第十四巡视组向湘江新区党工委反馈了巡视意见。", "湘江新区党工委"),
        ("2021年3月2日,市委巡察组向某某局党委正式进行了反馈。", "某某局党委"),
    ]:
        assert RE_FEEDBACK.search(text).group("to") == unit
    assert RE_FEEDBACK_TO.search("县委第三巡察组向蘅阳县财政局党组集中").group("to") == "蘅阳县财政局党组"


def test_sample_inspections(sample_doc, sample_bulletins):
    kinds = []
    for b in sample_bulletins:
        ins = parse_inspection(sample_doc, b)
        assert ins.team == "省委第十四巡视组"
        assert (ins.start, ins.end, ins.feedback) == ("2023-03-09", "2023-06-09", "2023-07-24")
        assert ins.level == "省" and ins.body == "省委"
        kinds.append((ins.kind, ins.inspected))
    assert kinds == [
        ("巡视", "湖南湘江新区"),
        ("提级巡视", "湘江新区纪检监察工委"),
        ("提级巡视", "湖南湘江新区组织工作部"),
        ("巡视", "湘江新区党工委巡察机构"),
        ("延伸巡视", "岳麓高新区"),
    ]


def test_sample_mentions(sample_extractions):
    titles = [m for e in sample_extractions for m in e.policies]
    assert len(titles) == 140  # every 《》 in the file, the unclosed one included
    assert sum(m.unclosed for m in titles) == 1
    rel = Counter(m.relation for m in titles)
    assert rel["establishes"] > 100 and rel["cites"] >= 20
    people = {(p.name, p.role) for e in sample_extractions for p in e.people}
    assert people == {
        ("谭勇", "党工委书记"),
        ("钱胜", "新区纪检监察工委书记"),
        ("师军", "新区党工委委员、组织工作部部长"),
        ("钱胜", "巡察工作领导小组组长"),
    }
    figs = [f for e in sample_extractions for f in e.figures]
    assert ("38", "亿元") in {(f.value, f.unit) for f in figs}
    assert ("9439.91", "万元") in {(f.value, f.unit) for f in figs}
    concerns = {u.name for e in sample_extractions for u in e.units if u.role == "concerns"}
    assert {"某国企", "某园区", "个别街镇", "湖南智谷集团", "长沙人和未来医疗器械有限公司"} <= concerns
    for e in sample_extractions:
        for m in [*e.policies, *e.people, *e.figures, *e.units]:
            assert m.span.exact  # every mention carries its source span


CHAR_TEXTS = ["", " ", "甲", "甲 乙", "甲  乙", " 甲", "甲 ", "甲\t 乙", "甲\n\n 乙 \u3000丙", "a b\r\nc", "\u00a0甲\u2003"]


def test_character_tokens_are_spacys():
    for text in CHAR_TEXTS:
        assert char_words_and_spaces(text) == get_words_and_spaces(list(text), text), text
    nlp = build_nlp()
    doc = nlp.make_doc("整改 情况\n（一）问题")
    assert doc.text == "整改 情况\n（一）问题" and [t.text for t in doc][:3] == ["整", "改", "情"] and doc[1].whitespace_ == " "
    assert doc_text(doc) == doc.text  # cached by the tokenizer


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("甲乙丙a1 \t\n\r\u3000\u00a0\u2003\x0b\x1c，")), max_size=40))
def test_character_tokens_are_spacys_on_any_text(text):
    assert char_words_and_spaces(text) == get_words_and_spaces(list(text), text)


def test_character_tokens_of_a_long_paragraph():
    """A one-paragraph text of 440,000 characters (where spaCy's own alignment, copying the rest
    of the text for every character, takes seconds; bench numbers in the README): one token
    per character, each ASCII space a trailing space."""
    text = "巡察反馈问题整改 情况," * 40_000
    words, spaces = char_words_and_spaces(text)
    assert len(words) == len(text) - 40_000 and sum(spaces) == 40_000
    assert "".join(w + (" " if sp else "") for w, sp in zip(words, spaces)) == text
