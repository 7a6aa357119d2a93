"""Time writing the offline HTML view of a large graph (``pipeline.view.write_html``).

The graph is synthetic but in the real shape (the sample build's proportions: per bulletin
about 8 feedback categories, 28 problems, 2 measures per problem, a figure per measure, a few
new policies and cited works; shared units, inspections grouped into rounds by year, themes
with group concepts, earlier rounds cited, same-issue links and candidate issue links across
rounds, theme assignments, and an evidence span behind every statement). It is cut to exactly
``--nodes`` drawn nodes (default 20,000) by dropping figures, which are leaves.

Prints the seconds (wall clock and CPU time of this process) to compute the view data, to
render and write the page, the total, and the file size. The machines here are shared and
noisy: on a busy machine the wall clock can be several times the CPU time. Nothing is
asserted.

usage: python bench/bench_view.py [--nodes 20000] [--out /tmp/xunshi-bench.html] [--repeat 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import view
from pipeline.vocab import OA, XR, XS

STATUSES = [XS.Completed] * 5 + [XS.PartiallyCompleted] * 4 + [XS.NotCompleted, XS.InProgress, XS.LongTerm, XS.Unknown]
WORDS = ["落实", "主体责任", "不到位", "财政资金", "管理", "不规范", "干部队伍", "建设", "存在", "短板", "选人用人", "工作", "监督", "执纪", "问责", "不严", "专项资金", "结余", "未及时", "清理", "招投标", "监管", "漏洞", "制度", "执行", "走样"]
THEMES = [("group-discipline", "全面从严治党与纪律监督", None)] + [
    (f"t{i:02d}", name, "group-discipline") for i, name in enumerate(["三转", "主体责任", "四风", "监督责任", "巡视整改不到位"])
] + [("group-economy", "经济发展与重点领域监管", None)] + [
    (f"e{i:02d}", name, "group-economy") for i, name in enumerate(["招投标", "国企监管", "财政资金", "政府债务", "营商环境"])
]


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def _sentence(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(WORDS) for _ in range(n)) + "。"


def synthetic_graph(target_nodes: int, seed: int = 1) -> Graph:
    """A corpus-shaped graph with exactly ``target_nodes`` drawn nodes."""
    rng = random.Random(seed)
    g = Graph()
    add = g.add
    cursor: dict = {}  # the document being written and the offset reached in it

    def span(text: str) -> URIRef:
        """An evidence span for ``text``, the next words of the current document."""
        doc, start = cursor["doc"], cursor["at"]
        cursor["at"] += len(text) + 1
        sp = XR[f"span-{str(doc).rsplit('-', 1)[-1]}-{start}"]
        add((sp, RDF.type, XS.Span))
        add((sp, XS.inDocument, doc))
        add((sp, OA.start, Literal(start)))
        add((sp, OA.end, Literal(start + len(text))))
        add((sp, OA.exact, Literal(text)))
        return sp

    theme_iri = {}
    for key, name, broader in THEMES:
        c = URIRef(str(XS) + "theme-" + key)
        theme_iri[key] = c
        add((c, RDF.type, SKOS.Concept))
        add((c, SKOS.prefLabel, _zh(name)))
        add((c, SKOS.inScheme, XS.Themes))
        if broader:
            add((c, SKOS.broader, URIRef(str(XS) + "theme-" + broader)))
    leaf_themes = [theme_iri[k] for k, _, b in THEMES if b]
    units = []
    for i in range(60):
        u = XR[f"unit-{i:04d}"]
        add((u, RDF.type, XS.Unit))
        add((u, SKOS.prefLabel, _zh(f"某市第{i}区委员会")))
        if i % 3 == 0:
            add((u, SKOS.altLabel, _zh(f"{i}区委")))
        units.append(u)
    rounds: dict[tuple[int, int], URIRef] = {}
    policies: list[URIRef] = []
    previous_problems: list[URIRef] = []
    figures: list[URIRef] = []
    counts = {"n": len(THEMES) + len(units)}
    b = 0
    while counts["n"] < target_nodes + 200:
        doc = XR[f"doc-{b:05d}"]
        add((doc, RDF.type, XS.SourceDocument))
        add((doc, DCTERMS.source, Literal(f"corpus/bulletin-{b:05d}.txt")))
        cursor["doc"], cursor["at"] = doc, 0

        year = 2018 + b % 7
        unit = units[b % len(units)]
        bul = XR[f"bulletin-{b:05d}"]
        title = f"中共某市第{b % len(units)}区委员会关于{year}年巡察整改进展情况的通报"
        add((bul, RDF.type, XS.Bulletin))
        add((bul, DCTERMS.title, _zh(title)))
        add((bul, DCTERMS.issued, Literal(f"{year + 1}-03-01", datatype=XSD.date)))
        add((bul, DCTERMS.publisher, unit))
        add((bul, XS.evidence, span(title)))
        insp = XR[f"inspection-{b:05d}"]
        add((insp, RDF.type, XS.Inspection))
        add((insp, RDFS.label, _zh(f"{year}年市委第{b % 5 + 1}巡察组巡察")))
        add((insp, XS.year, Literal(str(year), datatype=XSD.gYear)))
        add((insp, XS.inspectedUnit, unit))
        add((bul, XS.reportsOn, insp))
        key = (year, b % 5)
        if key not in rounds:
            r = XR[f"round-{year}-{b % 5}"]
            add((r, RDF.type, XS.Round))
            add((r, RDFS.label, _zh(f"{year}年市委第{b % 5 + 1}巡察组")))
            add((r, XS.year, Literal(str(year), datatype=XSD.gYear)))
            rounds[key] = r
            counts["n"] += 1
        add((insp, XS.inRound, rounds[key]))
        counts["n"] += 2
        if b % 4 == 0:
            person = XR[f"person-{b:05d}"]
            add((person, RDF.type, XS.Person))
            add((person, RDFS.label, _zh("张某某")))
            add((person, XS.role, _zh("区委书记")))
            add((person, XS.leads, bul))
            counts["n"] += 1
        for k in range(3):
            cw = XR[f"work-{b:05d}-{k}"]
            add((cw, RDF.type, XS.CitedWork))
            add((cw, RDFS.label, _zh(f"中国共产党纪律处分条例第{k}版")))
            counts["n"] += 1
        for k in range(10):
            pol = XR[f"policy-{b:05d}-{k}"]
            name = f"某区{rng.choice(WORDS)}{rng.choice(WORDS)}管理办法"
            add((pol, RDF.type, XS.Policy))
            add((pol, RDFS.label, _zh(name)))
            add((pol, XS.action, _zh("出台")))
            add((pol, XS.evidence, span(name)))
            policies.append(pol)
            counts["n"] += 1
        problems_here = []
        pno = 0
        for c in range(8):
            cat = XR[f"category-{b:05d}-{c}"]
            cat_label = f"{'一二三四五六七八'[c]}、{_sentence(rng, 3)}"
            add((cat, RDF.type, XS.FeedbackCategory))
            add((cat, RDFS.label, _zh(cat_label)))
            add((cat, XS.inBulletin, bul))
            add((cat, XS.evidence, span(cat_label)))
            counts["n"] += 1
            for _ in range(3 + (c % 3 == 0) + (c % 2)):
                pno += 1
                p = XR[f"problem-{b:05d}-{pno}"]
                text = f"问题{pno}:" + _sentence(rng, 14)
                add((p, RDF.type, XS.Problem))
                add((p, XS.text, _zh(text)))
                add((p, RDFS.label, _zh(text[:16])))
                add((p, XS.ordinal, Literal(str(pno))))
                add((p, XS.position, Literal(pno)))
                add((p, XS.inBulletin, bul))
                add((p, XS.inCategory, cat))
                add((p, XS.raisedIn, insp))
                add((p, XS.concernsUnit, unit))
                add((p, XS.evidence, span(text)))
                status = rng.choice(STATUSES)
                if status != XS.Unknown:
                    add((p, XS.status, status))
                    status_text = "已完成整改" if status == XS.Completed else "正在推进"
                    add((p, XS.statusText, _zh(status_text)))
                    add((p, XS.statusEvidence, span(status_text)))
                theme = rng.choice(leaf_themes)
                add((p, XS.theme, theme))
                ta = XR[f"themeassignment-{b:05d}-{pno}"]
                add((ta, RDF.type, XS.ThemeAssignment))
                add((ta, XS.problem, p))
                add((ta, XS.concept, theme))
                add((ta, XS.method, Literal("label")))
                add((ta, XS.score, Literal(Decimal("1.0"))))
                counts["n"] += 1
                problems_here.append(p)
                if previous_problems and rng.random() < 0.15:
                    other = rng.choice(previous_problems)
                    link = XR[f"issuelink-{b:05d}-{pno}"]
                    add((link, RDF.type, XS.IssueLink))
                    add((link, XS.source, other))
                    add((link, XS.target, p))
                    add((link, XS.score, Literal(Decimal("0.71"))))
                    add((link, XS.method, Literal("tfidf")))
                    if rng.random() < 0.6:
                        add((p, XS.sameIssueAs, other))
                        add((other, XS.sameIssueAs, p))
                        earlier = XR[f"inspection-{int(str(other).split('-')[-2]):05d}"]
                        add((p, XS.previouslyRaisedIn, earlier))
                        add((p, XS.recurrenceCue, _zh("仍然存在")))
                if pno % 30 == 0:
                    part = XR[f"part-{b:05d}-{pno}"]
                    add((part, RDF.type, XS.ProblemPart))
                    add((part, XS.text, _zh(_sentence(rng, 6))))
                    add((part, XS.partOf, p))
                    counts["n"] += 1
                for m in range(2):
                    meas = XR[f"measure-{b:05d}-{pno}-{m}"]
                    mtext = f"{'一二'[m]}是" + _sentence(rng, 12)
                    add((meas, RDF.type, XS.Measure))
                    add((meas, XS.text, _zh(mtext)))
                    add((meas, XS.ordinal, _zh(f"{'一二'[m]}是")))
                    add((meas, XS.position, Literal(m)))
                    add((meas, XS.addresses, p))
                    add((meas, XS.evidence, span(mtext)))
                    if rng.random() < 0.35:
                        add((meas, XS.establishes, rng.choice(policies[-60:])))
                    if rng.random() < 0.1:
                        add((meas, XS.cites, XR[f"work-{b:05d}-{rng.randrange(3)}"]))
                    counts["n"] += 1
                    fig = XR[f"figure-{b:05d}-{pno}-{m}"]
                    value = rng.randrange(1, 500)
                    add((fig, RDF.type, XS.Figure))
                    add((fig, RDF.value, Literal(value)))
                    add((fig, XS.unitOfMeasure, _zh("个")))
                    add((fig, XS.text, _zh(f"{value}个")))
                    add((fig, XS.evidence, span(f"{value}个")))
                    add((meas, XS.hasFigure, fig))
                    figures.append(fig)
                    counts["n"] += 1
        previous_problems = (previous_problems + problems_here)[-400:]
        b += 1
    # cut to the exact size: figures are leaves
    excess = counts["n"] - target_nodes
    for fig in figures[len(figures) - excess :]:
        for sp in list(g.objects(fig, XS.evidence)):
            g.remove((sp, None, None))
        g.remove((fig, None, None))
        g.remove((None, XS.hasFigure, fig))
    return g


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=20_000)
    ap.add_argument("--out", type=Path, default=None, help="where to write the page (default: a temporary file)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    g = synthetic_graph(args.nodes)
    t_graph = time.perf_counter() - t0
    out = args.out or Path(tempfile.mkdtemp(prefix="xunshi-bench-")) / "xunshi.html"
    for _ in range(args.repeat):
        w1, c1 = time.perf_counter(), time.process_time()
        data = view.graph_to_view_data(g)
        w2, c2 = time.perf_counter(), time.process_time()
        page = view.render_html(data)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8", newline="\n")
        w3, c3 = time.perf_counter(), time.process_time()
        size = out.stat().st_size
        print(
            f"nodes {data['meta']['nodeCount']:,}  edges {data['meta']['edgeCount']:,}  triples {len(g):,}  "
            f"(synthetic graph built in {t_graph:.1f} s)\n"
            f"  view data     {w2 - w1:6.2f} s wall  {c2 - c1:6.2f} s cpu\n"
            f"  render+write  {w3 - w2:6.2f} s wall  {c3 - c2:6.2f} s cpu\n"
            f"  total         {w3 - w1:6.2f} s wall  {c3 - c1:6.2f} s cpu\n"
            f"  file          {size / 1e6:6.1f} MB  {out}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
