"""SHACL shapes (ontology/shapes.ttl), the SKOS themes (ontology/themes.ttl), and that both and
the named queries only use terms the OWL ontology (ontology/xunshi.ttl) defines."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH, SKOS

from pipeline import shacl
from pipeline.query import named_queries
from pipeline.vocab import OA, XR, XS, XS_URI, ontology_dir

FIXTURE = Path(__file__).parent / "fixtures" / "mini-graph.ttl"
THEME_IRI = re.compile(r"^https://w3id\.org/xunshi/ontology#theme-[a-z0-9]+(?:-[a-z0-9]+)*$")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # plain: pytest probes module globals
THEME = Namespace(XS_URI)  # theme IRIs live in themes.ttl, not in the closed XS namespace
GROUPS = {f"theme-group-{g}" for g in ("political", "discipline", "organisation", "economy", "livelihood", "rectification")}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ontology_dir() / "xunshi.ttl", format="turtle")


@pytest.fixture(scope="module")
def themes() -> Graph:
    return Graph().parse(ontology_dir() / "themes.ttl", format="turtle")


def mini() -> Graph:
    return Graph().parse(FIXTURE, format="turtle")


def validate(data: Graph, shapes: Graph, ontology: Graph) -> tuple[bool, list[tuple[str, str]]]:
    """(conforms, [(focus node, message)]) by pyshacl, after checking that the build's own
    engine (pipeline/shacl.py) finds the same results."""
    native = shacl.validate(data, shapes, ontology)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none")
    results = [
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultMessage)))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]
    assert sorted((r.key()[0], r.key()[4]) for r in native) == sorted(results)
    assert (not native) == conforms
    return conforms, results


# ---------------------------------------------------------------- shapes on the mini graph


def test_mini_graph_conforms(shapes, ontology):
    conforms, results = validate(mini(), shapes, ontology)
    assert conforms, results


def test_mini_graph_conforms_with_theme_concepts_in_the_data(shapes, ontology, themes):
    data = mini()
    data += themes
    conforms, results = validate(data, shapes, ontology)
    assert conforms, results


def test_every_core_class_has_a_shape(shapes):
    targets = set(shapes.objects(None, SH.targetClass))
    for name in ("Bulletin", "Section", "FeedbackCategory", "Problem", "ProblemPart", "Measure", "Policy",
                 "CitedWork", "Unit", "Person", "Inspection", "Figure", "SourceDocument", "Span"):
        assert XS[name] in targets, name
    assert SKOS.Concept in targets


def test_every_shape_constraint_has_a_bilingual_message(shapes):
    for prop in shapes.objects(None, SH.property):
        message = shapes.value(prop, SH.message)
        assert message is not None, shapes.value(prop, SH.path)
        assert re.search(r"[\u4e00-\u9fff]", message) and re.search(r"\([A-Za-z:]", message), message


def test_problem_with_two_statuses(shapes, ontology):
    data = mini()
    data.add((XR["problem-mini-1"], XS.status, XS.NotCompleted))
    conforms, results = validate(data, shapes, ontology)
    assert not conforms
    assert (str(XR["problem-mini-1"]), _msg(shapes, XS.status)) in results
    assert "有且仅有一个整改状态" in _msg(shapes, XS.status)


def test_problem_without_status_or_with_a_foreign_status(shapes, ontology):
    data = mini()
    data.remove((XR["problem-mini-3"], XS.status, None))
    data.set((XR["problem-mini-2"], XS.status, XS.Themes))
    conforms, results = validate(data, shapes, ontology)
    assert not conforms
    focus = {f for f, m in results if m == _msg(shapes, XS.status)}
    assert focus == {str(XR["problem-mini-3"]), str(XR["problem-mini-2"])}


def test_problem_without_evidence_text_or_bulletin(shapes, ontology):
    data = mini()
    p = XR["problem-mini-2"]
    data.remove((p, XS.evidence, None))
    data.remove((p, XS.text, None))
    data.remove((p, XS.inBulletin, None))
    conforms, results = validate(data, shapes, ontology)
    assert not conforms
    messages = {m for f, m in results if f == str(p)}
    assert "问题缺少原文出处 (a problem needs xs:evidence)" in messages
    assert any("xs:text" in m for m in messages)
    assert any("xs:inBulletin" in m for m in messages)


def test_span_with_string_offsets(shapes, ontology):
    data = mini()
    span = XR["span-p1"]
    data.set((span, OA.start, Literal("214")))
    data.set((span, OA.end, Literal("244")))
    conforms, results = validate(data, shapes, ontology)
    assert not conforms
    messages = {m for f, m in results if f == str(span)}
    assert "起始位置须有且仅有一个非负 xsd:integer (a span needs exactly one non-negative xsd:integer oa:start)" in messages
    assert "结束位置须有且仅有一个非负 xsd:integer (a span needs exactly one non-negative xsd:integer oa:end)" in messages


def test_span_end_before_start(shapes, ontology):
    data = mini()
    span = XR["span-p1s"]
    data.set((span, OA.start, Literal(252)))
    data.set((span, OA.end, Literal(250)))
    conforms, results = validate(data, shapes, ontology)
    assert not conforms
    assert (str(span), "起始位置大于结束位置 (oa:start is greater than oa:end)") in results


def test_span_whose_exact_text_does_not_fit_its_offsets():
    """Checked against the source text by check_evidence, not by SHACL (one SPARQL query per
    span made validation of the sample 25 times slower)."""
    from pipeline.validate import check_evidence

    data = mini()
    span = XR["span-p4s"]
    doc = data.value(span, XS.inDocument)
    start, end = int(data.value(span, OA.start)), int(data.value(span, OA.end))
    exact = str(data.value(span, OA.exact))
    text = "x" * start + exact + "y" * 10
    spans_of_doc = {s for s in data.subjects(XS.inDocument, doc)}
    others = {
        str(data.value(s, XS.inDocument)) for s in data.subjects(OA.start, None) if s not in spans_of_doc
    }
    texts = {str(doc): text, **{o: "" for o in others}}
    bad = {b[0] for b in check_evidence(data, texts)}
    assert str(span) not in bad
    data.set((span, OA.end, Literal(end + 1)))
    bad = {b[0] for b in check_evidence(data, texts)}
    assert str(span) in bad


def test_wrong_datatypes_and_classes(shapes, ontology):
    data = mini()
    data.set((XR["figure-mini-320"], RDF.value, Literal("320万")))
    data.set((XR["bulletin-mini-main"], Namespace("http://purl.org/dc/terms/").issued, Literal("2023年12月1日")))
    data.set((XR["unit-mini-soe"], XS.anonymised, Literal("yes")))
    data.set((XR["inspection-mini"], XS.year, Literal("2023", datatype=XSD.integer)))
    data.set((XR["problem-mini-1"], XS.concernsUnit, XR["problem-mini-2"]))
    data.set((XR["problem-mini-1"], XS.theme, URIRef("https://w3id.org/xunshi/ontology#theme-三转")))
    conforms, results = validate(data, shapes, ontology)
    assert not conforms
    focus_messages = {(f.rsplit("/", 1)[-1], m.split(" (")[0]) for f, m in results}
    assert focus_messages == {
        ("figure-mini-320", "数据须有且仅有一个 xsd:decimal 数值"),
        ("bulletin-mini-main", "发文日期至多一个,类型为 xsd:date"),
        ("unit-mini-soe", "匿名标记至多一个 xsd:boolean"),
        ("inspection-mini", "年份至多一个 xsd:gYear"),
        ("problem-mini-1", "涉及单位须为 xs:Unit"),
        ("problem-mini-1", "主题须为 skos:Concept 或 themes.ttl 中的 xs:theme-…"),
    }


def test_inspection_dates_in_order(shapes, ontology):
    data = mini()
    prov = Namespace("http://www.w3.org/ns/prov#")
    data.set((XR["inspection-mini"], prov.startedAtTime, Literal("2023-07-01", datatype=XSD.date)))
    conforms, results = validate(data, shapes, ontology)
    assert not conforms
    assert [m for f, m in results] == [_msg(shapes, prov.startedAtTime)]


def _msg(shapes: Graph, path: URIRef) -> str:
    """The message of the first property shape on ``path`` that has one."""
    for prop in shapes.subjects(SH.path, path):
        message = shapes.value(prop, SH.message)
        if message is not None:
            return str(message)
    raise AssertionError(f"no shape for {path}")


# ---------------------------------------------------------------- themes


def _concepts(themes: Graph) -> list[URIRef]:
    return sorted(themes.subjects(RDF.type, SKOS.Concept))


def test_theme_iris_are_ascii_slugs(themes):
    for concept in _concepts(themes):
        assert THEME_IRI.match(str(concept)), concept


def test_at_least_40_themes_each_fully_described(themes):
    concepts = [c for c in _concepts(themes) if str(c)[len(XS_URI):] not in GROUPS]
    assert len(concepts) >= 40
    groups = {THEME[g] for g in GROUPS}
    for c in concepts:
        zh = [l for l in themes.objects(c, SKOS.prefLabel) if l.language == "zh"]
        en = [l for l in themes.objects(c, SKOS.prefLabel) if l.language == "en"]
        alts = [l for l in themes.objects(c, SKOS.altLabel) if l.language == "zh"]
        assert len(zh) == 1 and len(en) == 1, c
        assert len(alts) >= 2, c
        assert themes.value(c, SKOS.definition) is not None, c
        assert set(themes.objects(c, SKOS.broader)) & groups, c
        assert (c, SKOS.inScheme, XS.Themes) in themes


def test_groups_are_top_concepts(themes):
    for g in GROUPS:
        assert (THEME[g], SKOS.topConceptOf, XS.Themes) in themes
        assert (XS.Themes, SKOS.hasTopConcept, THEME[g]) in themes
        assert themes.value(THEME[g], SKOS.broader) is None


def test_alt_labels_are_unambiguous(themes):
    """A surface string names one theme, and never repeats the concept's own prefLabel."""
    owners = Counter(str(l) for c in _concepts(themes) for l in set(themes.objects(c, SKOS.altLabel)))
    assert [label for label, n in owners.items() if n > 1] == []
    for c in _concepts(themes):
        pref = {str(l) for l in themes.objects(c, SKOS.prefLabel)}
        assert not pref & {str(l) for l in themes.objects(c, SKOS.altLabel)}, c


@pytest.mark.parametrize(
    "surface",
    ["三转", "转职能、转方式、转作风", "四风", "招商引资重招轻管", "一岗双责", "第一议题", "空心党支部", "两新党建",
     "年轻干部培养", "处分决定执行", "问题线索处置", "办案安全", "政商旋转门", "非农化", "非粮化", "雨污分流",
     "拆迁安置", "意识形态工作责任制", "三会一课", "闲置土地", "民主评议党员", "干部人事档案", "政务服务", "营商环境",
     "招投标监管", "国企监管", "债务风险", "违规收受红包礼金", "形式主义官僚主义", "巡视整改不到位", "主体责任",
     "监督责任", "理论学习", "人才工作", "干部交流轮岗", "担当作为", "安全生产", "校外培训", "保交楼", "内涝治理",
     "河长制", "停车难", "公共卫生服务", "学位供给"],
)
def test_genre_themes_are_present(themes, surface):
    labels = {str(l) for p in (SKOS.prefLabel, SKOS.altLabel) for l in themes.objects(None, p)}
    assert surface in labels


def test_themes_conform_to_the_shapes(shapes, ontology, themes):
    conforms, results = validate(themes, shapes, ontology)
    assert conforms, results


def test_fixture_themes_exist(themes):
    for theme in mini().objects(None, XS.theme):
        assert (theme, RDF.type, SKOS.Concept) in themes, theme


# ---------------------------------------------------------------- only defined terms


def _xs_terms_in(text: str) -> set[str]:
    return set(re.findall(r"\bxs:([A-Za-z][A-Za-z0-9_]*)", text))


def test_shapes_and_queries_use_only_ontology_terms(shapes):
    used = {str(t)[len(XS_URI):] for t in shapes.all_nodes() if isinstance(t, URIRef) and str(t).startswith(XS_URI)}
    for path in named_queries().values():
        used |= _xs_terms_in(path.read_text(encoding="utf-8"))
    fixture = {str(t)[len(XS_URI):] for t in mini().all_nodes() if isinstance(t, URIRef) and str(t).startswith(XS_URI)}
    used |= {t for t in fixture if not t.startswith("theme-")}
    used.discard("")
    missing = []
    for term in sorted(used):
        try:
            XS[term]  # a ClosedNamespace raises for a term the ontology does not define
        except (AttributeError, KeyError):
            missing.append(term)
    assert missing == []
