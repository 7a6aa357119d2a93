"""Precision and recall of the same-issue links on the gold pairs of the sample.

Builds the sample (``corpus/``) in a temporary folder with the real pipeline, reads its
problems back from the graph (with whatever ``xs:theme`` the themes pass gave them), runs
:func:`pipeline.sameissue.link_problems` and compares the links with
``tests/eval/same_issue_gold.tsv``:

- precision = gold-"same" pairs linked / gold pairs linked; a linked pair the gold does not
  label is listed as *unlabelled* (read it and add it to the gold), one labelled "unsure" as
  such; neither is counted;
- recall = gold-"same" pairs linked / gold-"same" pairs;
- both on all gold pairs and on the high-confidence ones, at the threshold and at a few others;
- the synthetic cross-round cases (``CROSS_ROUND``: a later round restating, or not, a problem
  of the sample in other words), since the sample has a single round.

Options: ``--exhaustive`` scores every cross-bulletin pair instead of the blocked candidates
(what blocking hides); ``--no-themes`` ignores ``xs:theme`` (as without a themes pass);
``--simulate-themes`` tags themes by label matching when the graph has none; ``--show`` lists
the signals of every gold pair; ``--calibrate`` grid-searches the weights and the threshold
(F1 on the gold with blocking, then without) and prints the best settings: the defaults in
``pipeline/sameissue.py`` come from such a run. The same gold serves for calibration and
evaluation (there is no held-out set): read the numbers as an upper bound.

Synthetic mode (``--synthetic DIR`` or ``--generate N [--seed S]``): builds a corpus of
``bench/gen_corpus.py`` (``DIR/bulletins``) with the real pipeline, no HTML, no SHACL (about
40–60 s for 200–300 files) and scores the links against its manifest: gold pairs = every
unordered pair of distinct problems sharing a ``family``. A graph problem is mapped to the
manifest by its bulletin's ``dcterms:source`` (the file) and ``xs:position`` (0 = main bulletin,
k = 附件k) and its own ``xs:position`` in the bulletin: manifest position = the problem counts
of the file's earlier bulletins + that position (a bulletin whose problem count differs from
the manifest's is left unmapped and reported). Prints precision/recall/F1 of (a)
``xs:sameIssueAs`` and (b) every ``xs:IssueLink`` pair (plus a sweep of ``xs:score`` cut-offs),
recall per kind of restatement (manifest ``round``/``attachment`` links, ``round-indirect``:
pairs of a family across non-adjacent rounds or via an attachment) with the reasons of the
misses (re-scored with :class:`pipeline.sameissue.Scorer`: scope, blocking, score), and the
false positives by pattern (same file or same unit; ``round-theme`` pairs, families a
round-theme link joins, shared ``xs:theme``), which content evidence carried them, and
examples. ``--out DIR`` keeps the build (reuse its ``xunshi.ttl`` with ``--graph``);
``--examples K`` examples per pattern.

usage: python bench/eval_same_issue.py [--exhaustive] [--no-themes] [--show] [--calibrate]
                                       [--graph xunshi.ttl]
       python bench/eval_same_issue.py --synthetic DIR | --generate N [--seed S]
                                       [--out BUILD_DIR | --graph xunshi.ttl] [--examples K]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "eval" / "same_issue_gold.tsv"
sys.path.insert(0, str(ROOT))

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from pipeline import sameissue as si
from pipeline.vocab import XS


@dataclass(frozen=True)
class GoldPair:
    a: str  # problem IRI
    b: str
    same: bool
    high: bool
    row: str  # as written in the gold file, for messages

    @property
    def key(self) -> tuple[str, str]:
        return tuple(sorted((self.a, self.b)))  # type: ignore[return-value]


def build_sample_graph() -> Graph:
    """The sample built by the real pipeline (enrich passes included), without writing HTML."""
    from pipeline.workflow import run_build

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            report = run_build(["corpus"], tmp, html=False, shacl=False)
    finally:
        os.chdir(old)
    return report.graph


def problem_index(g: Graph) -> dict[tuple[int, str], list[tuple[str, str]]]:
    """(bulletin position, ordinal) → [(problem IRI, text)]."""
    idx: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for p in sorted(set(g.subjects(RDF.type, XS.Problem))):
        b = g.value(p, XS.inBulletin)
        pos = g.value(b, XS.position) if b is not None else None
        ordinal = g.value(p, XS.ordinal)
        if pos is None or ordinal is None:
            continue
        idx.setdefault((int(pos), str(ordinal)), []).append((str(p), str(g.value(p, XS.text) or "")))
    return idx


def resolve(idx, pos: str, ordinal: str, prefix: str) -> str:
    """The one problem at (position, ordinal) whose text starts with ``prefix``."""
    hits = [p for p, text in idx.get((int(pos), ordinal), []) if text.startswith(prefix)]
    if len(hits) != 1:
        raise LookupError(f"gold reference {pos}/{ordinal}/{prefix}: {len(hits)} problems match")
    return hits[0]


UNSURE: set[tuple[str, str]] = set()  # gold pairs labelled "unsure" (filled by read_gold)


def read_gold(g: Graph, path: Path = GOLD) -> list[GoldPair]:
    idx = problem_index(g)
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    out = []
    for row in csv.DictReader(lines, delimiter="\t"):
        a = resolve(idx, row["pos_a"], row["ordinal_a"], row["prefix_a"])
        b = resolve(idx, row["pos_b"], row["ordinal_b"], row["prefix_b"])
        if row["label"] not in ("same", "different"):
            UNSURE.add(tuple(sorted((a, b))))
            continue  # "unsure": read, but too ambiguous to score against
        desc = f"{row['pos_a']}/{row['ordinal_a']} ↔ {row['pos_b']}/{row['ordinal_b']}"
        out.append(GoldPair(a, b, row["label"] == "same", row["confidence"] == "high", desc))
    return out


def simulate_themes(items: list) -> list:
    """Dev aid when no themes pass ran: tag items whose text contains a label of a theme of
    ontology/themes.ttl (quotes ignored), as a rule-based tagger would."""
    from rdflib.namespace import SKOS

    t = Graph().parse(ROOT / "ontology" / "themes.ttl")
    top = set(t.subjects(SKOS.topConceptOf, None))
    strip = si.normalise
    labels = []
    for c in sorted(set(t.subjects(SKOS.inScheme, None)) - top):
        for lab in list(t.objects(c, SKOS.prefLabel)) + list(t.objects(c, SKOS.altLabel)):
            if getattr(lab, "language", None) == "zh" and len(strip(str(lab))) >= 2:
                labels.append((strip(str(lab)), str(c)))
    out = []
    for it in items:
        norm = strip(it.text)
        out.append(replace(it, themes=frozenset(c for lab, c in labels if lab in norm)))
    return out


def prf(gold: list[GoldPair], linked: set[tuple[str, str]]) -> tuple[float, float, float, int, int, int]:
    tp = sum(1 for gp in gold if gp.same and gp.key in linked)
    fp = sum(1 for gp in gold if not gp.same and gp.key in linked)
    fn = sum(1 for gp in gold if gp.same and gp.key not in linked)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


def score_all(items, params: si.Params) -> list:
    """Every cross-bulletin pair scored, no blocking (the sample is small): what blocking hides."""
    sc = si.Scorer(sorted(items, key=lambda it: it.id), params)
    out = []
    for i in range(len(sc.items)):
        for j in range(i + 1, len(sc.items)):
            if sc.items[i].bulletin == sc.items[j].bulletin:
                continue
            f = sc.features(i, j)
            s = sc.combine(f)
            if s >= params.floor:
                out.append(si.Link(sc.items[i].id, sc.items[j].id, s, sc.method(f), s >= params.threshold))
    return out


def evaluate(items, gold, params: si.Params, exhaustive: bool = False) -> dict:
    links = score_all(items, params) if exhaustive else si.link_problems(items, params)
    scores = {(lk.source, lk.target): lk.score for lk in links}
    out = {"links": links, "scores": scores, "at": {}}
    for th in sorted({params.threshold, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60}):
        linked = {k for k, s in scores.items() if s >= th}
        out["at"][th] = {"all": prf(gold, linked), "high": prf([gp for gp in gold if gp.high], linked)}
    return out


# Synthetic cross-round cases (a later round of the main bulletin's publisher restating, or
# not, one of the sample's problems in other words): the sample has no second round, and the
# calibration must not buy precision on attachments by losing these. (text, prefix of the
# sample problem of the main bulletin, expected link)
CROSS_ROUND = [
    ("年轻干部培养选拔力度不够。", "年轻干部选拔培养", True),
    ("“三转”落实不到位问题仍未整改到位。", "“三转不到位”", True),
    ("干部选拔任用监督信息沟通机制还不够健全。", "干部选拔任用监督", True),
    ("房地产业税收占比较高,挤占产业发展空间。", "2019年至2022年,房", True),
    ("招商引资“重招轻管”问题依然存在。", "“招商引资重招轻管”", True),
    ("部分小区雨污分流改造尚未完成。", "部分小区未实现雨污", True),
    ("部分小区停车难问题突出。", "存在停车难问题", True),
    ("个别街道纪工委书记分管与监督无关的工作。", "某街道纪工委书记", True),
    ("年轻干部交流轮岗力度不大。", "年轻干部选拔培养", False),
    ("房地产项目烂尾楼问题突出。", "2019年至2022年,房", False),
    ("机关党建工作质量不高。", "党工委落实党建主体", False),
]


def cross_round_items(items: list) -> tuple[list, list[tuple[str, str, bool]]]:
    """The sample's items plus one later-round bulletin of the main publisher (CROSS_ROUND)."""
    main = next(it for it in items if not it.parent)
    extra, pairs = [], []
    for k, (text, prefix, expected) in enumerate(CROSS_ROUND):
        old = next(it for it in items if not it.parent and it.text.startswith(prefix))
        new = si.Item(f"zz-round2-{k:02d}", "zz-round2", text, publisher=main.publisher,
                      publisher_label=main.publisher_label)
        extra.append(new)
        pairs.append((new.id, old.id, expected))
    return items + extra, pairs


def cross_round_check(items, params: si.Params) -> tuple[int, list[str]]:
    """How many CROSS_ROUND cases come out as expected (blocking included), and the misses."""
    allitems, pairs = cross_round_items(items)
    links = {(lk.source, lk.target): lk for lk in si.link_problems(allitems, params)}
    ok, bad = 0, []
    for new, old, expected in pairs:
        lk = links.get(tuple(sorted((new, old))))
        got = bool(lk and lk.same)
        ok += got == expected
        if got != expected:
            text = next(it.text for it in allitems if it.id == new)
            bad.append(f"{text} (score {lk.score if lk else 0:.3f}, expected {'link' if expected else 'none'})")
    return ok, bad


def calibrate(items, gold) -> si.Params:
    """Coarse grid search of the weights and threshold. Best first by the cross-round cases
    right, then by F1 on all gold pairs with the blocked candidates, then with every pair."""
    base = si.DEFAULT
    allitems, cross_pairs = cross_round_items(items)
    xscorer = si.Scorer(sorted(allitems, key=lambda it: it.id), base)
    xpos = {it.id: i for i, it in enumerate(xscorer.items)}
    xcands = set(xscorer.candidates())
    cross = []
    for new, old, expected in cross_pairs:
        i, j = sorted((xpos[new], xpos[old]))
        cross.append((xscorer.features(i, j), (i, j) in xcands, expected))
    scorer = si.Scorer(sorted(items, key=lambda it: it.id), base)
    ids = [it.id for it in scorer.items]
    cands = set(scorer.candidates())
    feats = {}
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if scorer.items[i].bulletin != scorer.items[j].bulletin:
                feats[(ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i])] = (scorer.features(i, j), (i, j) in cands)
    grid = itertools.product(
        ((0.0, 0.2, 0.8), (0.0, 0.4, 0.6), (0.2, 0.4, 0.4)),  # text weights: cosine, containment, chars
        (0.5, 0.6),  # text gate
        (0.8, 1.0),  # w_measures
        (0.0, 0.2),  # measure_text
        (0.05, 0.1),  # theme bonus
        (0.1,),  # unit bonus
        (0.1, 0.3),  # figures (one round)
        (0.0, 0.05),  # category
        [x / 100 for x in range(30, 51, 5)],  # threshold
    )
    best = None
    for (wc, wk, wch), gate, wm, mt, tb, ub, fw, wcat, thr in grid:
        p = replace(base, w_cosine=wc, w_containment=wk, w_chars=wch, text_gate=gate, w_measures=wm,
                    measure_text=mt, theme_bonus=tb, unit_bonus=ub, figure_weight=fw, w_category=wcat,
                    threshold=thr)
        scorer.params = xscorer.params = p
        cross_ok = sum((c and xscorer.combine(f) >= thr) == expected for f, c, expected in cross)
        scores = {k: (scorer.combine(f), c) for k, (f, c) in feats.items()}
        blocked = {k for k, (s, c) in scores.items() if c and s >= thr}
        every = {k for k, (s, c) in scores.items() if s >= thr}
        _, _, f_blocked, *_ = prf(gold, blocked)
        _, _, f_every, *_ = prf(gold, every)
        key = (cross_ok, round(f_blocked, 3), round(f_every, 3))
        if best is None or key > best[0]:
            best = (key, p)
    (_, f_blocked, f_every), params = best
    ok, bad = cross_round_check(items, params)
    print(f"best: F1={f_blocked:.3f} (blocked) {f_every:.3f} (every pair); cross-round cases {ok}/{len(CROSS_ROUND)}")
    print(f"  {params}")
    for b in bad:
        print(f"  cross-round miss: {b}")
    return params


# --- synthetic corpora (--synthetic DIR / --generate N) ---------------------------------------
#
# A corpus of bench/gen_corpus.py comes with its answer: manifest.json gives every problem an
# issue family (restatements share their original's) and lists the restatements under
# ``links``. Gold pairs = all unordered pairs of distinct problems sharing a family.
#
# Mapping graph → manifest. A file's manifest positions run over the whole file (main bulletin
# first, then 附件1, 附件2 …, ``per_bulletin`` giving each bulletin's problem count). In the
# graph a problem has ``xs:inBulletin`` and ``xs:position`` (0-based within its bulletin), the
# bulletin has ``dcterms:source`` (the file's path) and ``xs:position`` (0 = main bulletin,
# k = 附件k). So manifest position = sum of the problem counts of the file's earlier bulletins
# (manifest) + the problem's ``xs:position``. A bulletin is mapped only when its file is in the
# manifest, its position exists there and it holds exactly the manifest's number of problems
# (else its problems stay unmapped and are reported); the issuer label is checked too.

SYN_THRESHOLDS = (0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.60)


@dataclass
class SynProblem:
    key: tuple[str, int]  # (manifest path, position in the file)
    family: int
    unit: str  # manifest unit_id (a unit's rounds and its attachments' issuers share it)
    bindex: int  # 0 = main bulletin, k = 附件k
    iri: str = ""  # the graph problem, once mapped
    text: str = ""


def load_manifest(folder: Path) -> tuple[dict, dict[tuple[str, int], SynProblem], dict]:
    """The manifest, its problems by (path, position), and its links by unordered key pair → kind."""
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    probs: dict[tuple[str, int], SynProblem] = {}
    for f in m["files"]:
        q = 0
        for bi, pb in enumerate(f["per_bulletin"]):
            for _ in range(pb["problems"]):
                probs[(f["path"], q)] = SynProblem((f["path"], q), f["families"][q], f["unit_id"], bi)
                q += 1
        assert q == f["problems"] == len(f["families"]), f["path"]
    links = {}
    for f in m["files"]:
        for q, path, q0, kind in f["links"]:
            links[tuple(sorted(((f["path"], q), (path, q0))))] = kind
    return m, probs, links


def _manifest_path(source: str, folder: Path, bdir: str) -> str:
    """A ``dcterms:source`` as a manifest path (relative to the folder holding the manifest)."""
    p = Path(source)
    try:
        return p.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:  # the corpus was built elsewhere: fall back on the bulletins folder name
        return f"{bdir}/{p.name}"


def map_problems(g: Graph, folder: Path, manifest: dict, probs: dict) -> tuple[dict[str, tuple[str, int]], list[str]]:
    """Graph problem IRI → manifest key (see above), and the problems left unmapped."""
    from rdflib.namespace import DCTERMS, RDFS

    files = {f["path"]: f for f in manifest["files"]}
    bdir = manifest.get("bulletins", "bulletins")
    by_bulletin: dict = {}
    for p in set(g.subjects(RDF.type, XS.Problem)):
        by_bulletin.setdefault(g.value(p, XS.inBulletin), []).append(p)
    mapping: dict[str, tuple[str, int]] = {}
    notes = []
    for b, ps in sorted(by_bulletin.items(), key=lambda kv: str(kv[0])):
        src = g.value(b, DCTERMS.source) if b is not None else None
        bpos = g.value(b, XS.position) if b is not None else None
        path = _manifest_path(str(src), folder, bdir) if src is not None else None
        f = files.get(path)
        why = None
        if f is None or bpos is None:
            why = f"no manifest file for {src}" if f is None else f"bulletin of {path} without xs:position"
        elif int(bpos) >= len(f["per_bulletin"]):
            why = f"{path} bulletin {bpos}: manifest has {len(f['per_bulletin'])} bulletin(s)"
        elif len(ps) != f["per_bulletin"][int(bpos)]["problems"]:
            why = f"{path} bulletin {bpos}: {len(ps)} problems, manifest {f['per_bulletin'][int(bpos)]['problems']}"
        if why:
            notes.append(f"unmapped ({len(ps)} problems): {why}")
            continue
        bi = int(bpos)
        label = re.sub(r"^附件\s*\d+\s*", "", str(g.value(b, RDFS.label) or ""))  # 附件1 中共…
        if label != f["per_bulletin"][bi]["issuer"]:
            notes.append(f"issuer differs (mapped anyway): {path} bulletin {bi}: {label} ≠ {f['per_bulletin'][bi]['issuer']}")
        offset = sum(x["problems"] for x in f["per_bulletin"][:bi])
        positions = sorted(int(g.value(p, XS.position) if g.value(p, XS.position) is not None else -1) for p in ps)
        if positions != list(range(len(ps))):
            notes.append(f"unmapped ({len(ps)} problems): {path} bulletin {bi}: positions not 0…{len(ps) - 1}")
            continue
        for p in ps:
            key = (path, offset + int(g.value(p, XS.position)))
            mapping[str(p)] = key
            probs[key].iri = str(p)
            probs[key].text = str(g.value(p, XS.text) or "")
    return mapping, notes


def gold_pairs(probs: dict[tuple[str, int], SynProblem]) -> set[tuple]:
    """All unordered pairs of distinct problems sharing a family (keys sorted within a pair)."""
    fam: dict[int, list] = {}
    for k, sp in probs.items():
        fam.setdefault(sp.family, []).append(k)
    return {tuple(sorted(ab)) for ks in fam.values() for ab in itertools.combinations(sorted(ks), 2)}


def pair_kind(pair, probs, links) -> str:
    """How a gold pair restates: the manifest's link kind when it lists the pair (``round``,
    ``attachment``), else how the two are related through their family: ``round-indirect``
    (different files: a family over three or more rounds, or via an attachment's restatement),
    ``attachment-siblings`` (two attachments of one file restating the same main problem),
    ``attachment-indirect`` (a main problem and an attachment of its file, not listed),
    ``same-bulletin``."""
    kind = links.get(pair)
    if kind:
        return kind
    a, b = probs[pair[0]], probs[pair[1]]
    if a.key[0] != b.key[0]:
        return "round-indirect"
    if a.bindex == b.bindex:
        return "same-bulletin"
    return "attachment-siblings" if a.bindex and b.bindex else "attachment-indirect"


def relation(a: SynProblem, b: SynProblem) -> str:
    if a.key[0] == b.key[0]:
        if a.bindex == b.bindex:
            return "same bulletin"
        return "same file, sibling attachments" if a.bindex and b.bindex else "same file, main↔attachment"
    return "same unit, other round" if a.unit == b.unit else "different units"


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def build_synthetic_graph(folder: Path, out: str | None = None) -> Graph:
    """``folder/bulletins`` built by the real pipeline (enrich passes included), no HTML, no SHACL."""
    from pipeline.workflow import run_build

    bulletins = folder / "bulletins"
    if out:
        return run_build([bulletins], out, html=False, shacl=False).graph
    with tempfile.TemporaryDirectory() as tmp:
        return run_build([bulletins], tmp, html=False, shacl=False).graph


def generate_corpus(n: int, seed: int, out: Path) -> dict:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "bench" / "gen_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_corpus", mod)
    spec.loader.exec_module(mod)
    return mod.generate(n, out, seed)


def evaluate_synthetic(g: Graph, folder: Path) -> dict:
    """Everything the report prints (also used by the tests)."""
    from rdflib.namespace import SKOS

    manifest, probs, links = load_manifest(folder)
    mapping, notes = map_problems(g, folder, manifest, probs)
    gold = gold_pairs(probs)
    kinds = {pr: pair_kind(pr, probs, links) for pr in gold}
    # families a round-theme link joins (same theme, another statement: not the same issue)
    theme_fams = set()
    for (ka, kb), kind in links.items():
        if kind == "round-theme":
            theme_fams.add(frozenset((probs[ka].family, probs[kb].family)))
    top = set(g.subjects(SKOS.topConceptOf, None))
    themes = {iri: frozenset(str(t) for t in g.objects(URIRef(iri), XS.theme) if t not in top) for iri in mapping}

    def key_pair(a, b):
        if str(a) not in mapping or str(b) not in mapping:
            return None
        return tuple(sorted((mapping[str(a)], mapping[str(b)])))

    same, unmapped_links = set(), 0
    for a, b in g.subject_objects(XS.sameIssueAs):
        kp = key_pair(a, b)
        if kp is None:
            unmapped_links += 1
        elif kp[0] != kp[1]:
            same.add(kp)
    issue_links: dict[tuple, tuple[float, str]] = {}
    for node in g.subjects(RDF.type, XS.IssueLink):
        kp = key_pair(g.value(node, XS.source), g.value(node, XS.target))
        if kp is None:
            unmapped_links += 1
            continue
        issue_links[kp] = (float(g.value(node, XS.score) or 0.0), str(g.value(node, XS.method) or ""))

    # the linker's own view of every gold pair and false positive: scope, candidate, score
    items = si.items_from_graph(g)
    scorer = si.Scorer(sorted(items, key=lambda it: it.id), si.DEFAULT)
    idx = {it.id: i for i, it in enumerate(scorer.items)}
    cands = set(scorer.candidates())
    iri_of = {k: sp.iri for k, sp in probs.items() if sp.iri}

    def diagnose(pr) -> dict:
        a, b = iri_of.get(pr[0]), iri_of.get(pr[1])
        if not a or not b:
            return {"reason": "unmapped"}
        i, j = sorted((idx[a], idx[b]))
        f = scorer.features(i, j)
        d = {"score": scorer.combine(f), "scope": int(f["scope"]), "candidate": (i, j) in cands, "features": f,
             "shares": _measure_shares(scorer, i, j)}
        if pr in same:
            d["reason"] = "linked"
        elif pr in issue_links:
            d["reason"] = "near-miss IssueLink"
        elif scorer.items[i].bulletin == scorer.items[j].bulletin:
            d["reason"] = "same bulletin (never paired)"
        elif f["scope"] < 0:
            d["reason"] = "other bodies (scope −1: capped below the threshold)"
        elif (i, j) not in cands:
            d["reason"] = "not a candidate (blocking)"
        else:
            d["reason"] = "scored below the floor"
        return d

    diag = {pr: diagnose(pr) for pr in gold}
    fps = sorted(same - gold)
    for pr in set(fps) | (same & gold):
        diag.setdefault(pr, diagnose(pr))
    fp_near = sorted(set(issue_links) - gold)

    def fp_pattern(pr) -> tuple[str, str]:
        a, b = probs[pr[0]], probs[pr[1]]
        if links.get(pr) == "round-theme":
            th = "round-theme pair (manifest link)"
        elif frozenset((a.family, b.family)) in theme_fams:
            th = "families joined by a round-theme link"
        else:
            ta, tb = themes.get(a.iri, frozenset()), themes.get(b.iri, frozenset())
            th = ("shared xs:theme" if ta & tb else "different xs:theme") if ta and tb else "xs:theme missing on one side"
        return relation(a, b), th

    return {
        "manifest": manifest, "probs": probs, "links": links, "mapping": mapping, "notes": notes,
        "gold": gold, "kinds": kinds, "same": same, "issue_links": issue_links, "diag": diag,
        "fps": fps, "fp_near": fp_near, "fp_pattern": fp_pattern, "unmapped_links": unmapped_links,
        "n_graph_problems": len(set(g.subjects(RDF.type, XS.Problem))),
    }


def _short(text: str, n: int = 34) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def _where(sp: SynProblem) -> str:
    return f"{Path(sp.key[0]).stem.replace('synthetic-', '#')}:{'main' if not sp.bindex else f'附件{sp.bindex}'}/{sp.key[1]}"


_TITLE = re.compile(r"《([^》]*)》")


def _measure_shares(scorer: si.Scorer, i: int, j: int) -> tuple[float, float]:
    """Of the IDF weight the two problems' measures share: the part in n-grams of the issuers'
    names (葭岭县蘅垴镇, printed in policy titles and measures: rare in the corpus, so heavy),
    and the part in n-grams of 《policy titles》 of either side."""
    sp = scorer.measures
    shared = sp.grams_of(i) & sp.grams_of(j)
    total = sum(sp.weight(g) for g in shared)
    if not total:
        return 0.0, 0.0
    a, b = scorer.items[i], scorer.items[j]
    names = si.ngrams(a.publisher_label) | si.ngrams(b.publisher_label)
    titles = frozenset().union(*(si.ngrams(t) for t in _TITLE.findall(a.measures_text + b.measures_text)))
    return (sum(sp.weight(g) for g in shared & names) / total, sum(sp.weight(g) for g in shared & titles) / total)


def _led_by(f: dict, p: si.Params = si.DEFAULT) -> str:
    """Which content evidence carried a pair (as :meth:`pipeline.sameissue.Scorer.combine`
    takes the larger of the gated text evidence and the measure evidence)."""
    t = p.w_cosine * f["cosine"] + p.w_containment * f["containment"] + p.w_chars * f["chars"]
    text = max(0.0, (t - p.text_gate) / (1.0 - p.text_gate))
    measures = p.w_measures * f["measures"] + p.measure_text * t
    if text <= 0:
        return "measures only (text below the gate)"
    return "text-led" if text >= measures else "measures-led (text above the gate)"


def report_synthetic(res: dict, examples: int = 3) -> None:
    from collections import Counter

    m, probs, gold, same, il = res["manifest"], res["probs"], res["gold"], res["same"], res["issue_links"]
    t = m["totals"]
    link_kinds = Counter(res["links"].values())
    print(f"synthetic corpus: n={m['n']} seed={m['seed']} (generator {m['version']}): {t['files']} files, "
          f"{t['bulletins']} bulletins, {t['problems']} problems, {len({sp.family for sp in probs.values()})} families; "
          f"manifest links: " + ", ".join(f"{k} {v}" for k, v in sorted(link_kinds.items())))
    mapped = len(res["mapping"])
    print(f"mapping: {mapped}/{res['n_graph_problems']} graph problems → {mapped}/{len(probs)} manifest problems "
          f"(dcterms:source of the bulletin + its xs:position + the problem's xs:position)")
    for note in res["notes"][:10]:
        print(f"  {note}")
    if len(res["notes"]) > 10:
        print(f"  … {len(res['notes']) - 10} more")
    if res["unmapped_links"]:
        print(f"  {res['unmapped_links']} link triples/nodes touch an unmapped problem (not scored)")
    kinds = Counter(res["kinds"].values())
    print(f"gold: {len(gold)} pairs sharing a family: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    print(f"links: {len(same)} xs:sameIssueAs pairs, {len(il)} xs:IssueLink pairs "
          f"({len(set(il) - same)} below the threshold)")
    print(f"{'':<22} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn")
    for name, pred in (("(a) xs:sameIssueAs", same), ("(b) all xs:IssueLink", set(il))):
        tp, fp, fn = len(pred & gold), len(pred - gold), len(gold - pred)
        p, r, f = _prf(tp, fp, fn)
        print(f"{name:<22} {p:>6.3f} {r:>6.3f} {f:>6.3f}  {tp}/{fp}/{fn}")
    print("xs:IssueLink pairs by xs:score cut-off (the threshold is "
          f"{si.THRESHOLD}, the floor {si.REPORT_FLOOR}):")
    for th in SYN_THRESHOLDS:
        pred = {k for k, (s, _) in il.items() if s >= th}
        tp, fp, fn = len(pred & gold), len(pred - gold), len(gold - pred)
        p, r, f = _prf(tp, fp, fn)
        mark = " <- threshold" if th == si.THRESHOLD else ""
        print(f"  score >= {th:.2f}  P={p:.3f} R={r:.3f} F1={f:.3f}  {tp}/{fp}/{fn}{mark}")

    print("recall by kind (gold pairs; sameIssueAs, any IssueLink; why the rest is missed):")
    by_kind: dict[str, list] = {}
    for pr, k in res["kinds"].items():
        by_kind.setdefault(k, []).append(pr)
    order = ["round", "attachment", "round-indirect", "attachment-siblings", "attachment-indirect", "same-bulletin"]
    for k in sorted(by_kind, key=lambda k: order.index(k) if k in order else 99):
        prs = by_kind[k]
        n_same = sum(pr in same for pr in prs)
        n_il = sum(pr in il for pr in prs)
        reasons = Counter(res["diag"][pr]["reason"] for pr in prs if pr not in same)
        print(f"  {k:<20} {len(prs):>5}  R(sameIssueAs)={n_same / len(prs):.3f}  R(IssueLink)={n_il / len(prs):.3f}")
        for why, c in reasons.most_common():
            print(f"      missed: {c:>4} {why}")
    # false positives
    fps, pat = res["fps"], res["fp_pattern"]
    print(f"false positives of xs:sameIssueAs: {len(fps)}; by pattern (relation of the two problems; themes):")
    pats = Counter(pat(pr) for pr in fps)
    for (rel, th), c in pats.most_common():
        print(f"  {c:>4}  {rel}; {th}")
    n_rt = sum(pat(pr)[1].startswith(("round-theme", "families joined")) for pr in fps)
    n_rt_direct = sum(res["links"].get(pr) == "round-theme" for pr in fps)
    n_rt_all = sum(1 for k in res["links"].values() if k == "round-theme")
    n_rt_il = sum(1 for pr, k in res["links"].items() if k == "round-theme" and pr in il)
    print(f"  round-theme: {n_rt_direct} false positives are manifest round-theme pairs, {n_rt - n_rt_direct} more "
          f"join families a round-theme link joins; of the {n_rt_all} round-theme pairs, "
          f"{sum(1 for pr, k in res['links'].items() if k == 'round-theme' and pr in same)} got xs:sameIssueAs "
          f"and {n_rt_il} an xs:IssueLink")
    led = Counter(_led_by(res["diag"][pr]["features"]) for pr in fps)
    led_tp = Counter(_led_by(res["diag"][pr]["features"]) for pr in same & gold)
    print("  content evidence (re-scored): " + ", ".join(f"{k} {v}" for k, v in led.most_common())
          + "; true positives: " + ", ".join(f"{k} {v}" for k, v in led_tp.most_common()))
    for name, prs in (("false positives", fps), ("true positives", sorted(same & gold))):
        if prs:
            fs = [res["diag"][pr]["features"] for pr in prs]
            print(f"  mean signals of the {name}: " + " ".join(
                f"{n}={sum(f[n] for f in fs) / len(fs):.2f}" for n in ("containment", "chars", "measures", "figures", "theme", "unit")))
    for name, prs in (("false positives", fps), ("true positives", sorted(same & gold))):
        if prs:
            sh = [res["diag"][pr]["shares"] for pr in prs]
            print(f"  shared measure weight of the {name}: {sum(x for x, _ in sh) / len(sh):.0%} in n-grams of the "
                  f"issuers' names, {sum(y for _, y in sh) / len(sh):.0%} in n-grams of 《policy titles》 (means)")
    agree = sum(abs(res["diag"][pr]["score"] - il[pr][0]) < 1e-9 for pr in fps + sorted(same & gold))
    print(f"  (re-scored = graph xs:score for {agree}/{len(fps) + len(same & gold)} linked pairs)")
    methods = Counter(il[pr][1] for pr in fps)
    print("  methods: " + ", ".join(f"{mth} {c}" for mth, c in methods.most_common(6)))
    scores = Counter(min(int(il[pr][0] * 10) / 10, 0.9) for pr in fps)
    print("  scores: " + ", ".join(f"[{s:.1f},{s + 0.1:.1f}) {c}" for s, c in sorted(scores.items())))
    near_pats = Counter(pat(pr) for pr in res["fp_near"] if pr not in same)
    print(f"near-miss IssueLinks outside the gold: {sum(near_pats.values())}; by pattern:")
    for (rel, th), c in near_pats.most_common(6):
        print(f"  {c:>4}  {rel}; {th}")
    if examples:
        print("examples of false positives (score method | where: text):")
        for (rel, th), _ in pats.most_common():
            for pr in [pr for pr in fps if pat(pr) == (rel, th)][:examples]:
                a, b = probs[pr[0]], probs[pr[1]]
                print(f"  [{rel}; {th}] {il[pr][0]:.3f} {il[pr][1]}")
                print(f"      {_where(a)} f{a.family}: {_short(a.text, 60)}")
                print(f"      {_where(b)} f{b.family}: {_short(b.text, 60)}")
        print("examples of missed gold pairs (re-scored by the linker):")
        for k in sorted(by_kind, key=lambda k: order.index(k) if k in order else 99):
            missed = [pr for pr in by_kind[k] if pr not in same]
            shown: dict[str, int] = {}
            for pr in missed:  # up to ``examples`` of each reason
                why = res["diag"][pr]["reason"]
                if shown.get(why, 0) >= examples:
                    continue
                shown[why] = shown.get(why, 0) + 1
                a, b = probs[pr[0]], probs[pr[1]]
                d = res["diag"][pr]
                fs = " ".join(f"{n}={v:.2f}" for n, v in d.get("features", {}).items() if n != "cosine")
                print(f"  [{k}] {d['reason']}; score {d.get('score', 0):.3f}  {fs}")
                print(f"      {_where(a)} f{a.family}: {_short(a.text, 60)}")
                print(f"      {_where(b)} f{b.family}: {_short(b.text, 60)}")


def synthetic_main(args) -> int:
    tmp = None
    if args.generate:
        tmp = tempfile.TemporaryDirectory()
        folder = Path(tmp.name)
        generate_corpus(args.generate, args.seed, folder)
    else:
        folder = Path(args.synthetic)
    try:
        g = Graph().parse(args.graph) if args.graph else build_synthetic_graph(folder, args.out)
        report_synthetic(evaluate_synthetic(g, folder), args.examples)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--show", action="store_true", help="list the scores of every gold pair and link")
    ap.add_argument("--exhaustive", action="store_true",
                    help="score every cross-bulletin pair instead of the blocked candidates")
    ap.add_argument("--graph", help="read a built xunshi.ttl instead of building the sample")
    ap.add_argument("--no-themes", action="store_true", help="ignore xs:theme (as without a themes pass)")
    ap.add_argument("--simulate-themes", action="store_true",
                    help="tag themes by label matching when the graph has none (no themes pass yet)")
    syn = ap.add_argument_group("synthetic corpora (bench/gen_corpus.py; gold from the manifest's families)")
    syn.add_argument("--synthetic", metavar="DIR", help="evaluate on a generated corpus (DIR holds manifest.json and bulletins/)")
    syn.add_argument("--generate", type=int, metavar="N", help="generate N files into a temporary folder and evaluate on them")
    syn.add_argument("--seed", type=int, default=0, help="seed for --generate (default 0)")
    syn.add_argument("--out", metavar="DIR", help="keep the synthetic build in DIR (xunshi.ttl, reusable with --graph)")
    syn.add_argument("--examples", type=int, default=3, metavar="K", help="examples per false-positive pattern / miss kind")
    args = ap.parse_args()
    if args.synthetic or args.generate:
        return synthetic_main(args)
    g = Graph().parse(args.graph) if args.graph else build_sample_graph()
    items = si.items_from_graph(g)
    if args.no_themes:
        items = [replace(it, themes=frozenset()) for it in items]
        print("themes: ignored (--no-themes)")
    if args.simulate_themes and not any(it.themes for it in items):
        items = simulate_themes(items)
        print("themes: simulated by label matching (no xs:theme in the graph)")
    gold = read_gold(g)
    n_same = sum(gp.same for gp in gold)
    themed = sum(1 for it in items if it.themes)
    print(f"sample: {len(items)} problems ({themed} with xs:theme); gold: {len(gold)} pairs, {n_same} same "
          f"({sum(gp.same and gp.high for gp in gold)} high-confidence), {len(gold) - n_same} different")
    params = calibrate(items, gold) if args.calibrate else si.DEFAULT
    res = evaluate(items, gold, params, args.exhaustive)
    if args.exhaustive:
        print("exhaustive: every cross-bulletin pair scored (no blocking)")
    links = res["links"]
    n_same_links = sum(lk.same for lk in links)
    print(f"links: {n_same_links} sameIssueAs (score >= {params.threshold}), "
          f"{len(links) - n_same_links} near-miss IssueLinks ({params.floor} <= score < {params.threshold})")
    print(f"{'threshold':>9}  {'P(all)':>6} {'R(all)':>6} {'F1':>5}  {'P(high)':>7} {'R(high)':>7}  tp/fp/fn(all)")
    for th, r in res["at"].items():
        pa, ra, fa, tp, fp, fn = r["all"]
        ph, rh, *_ = r["high"]
        mark = " <- threshold" if th == params.threshold else ""
        print(f"{th:>9.2f}  {pa:>6.3f} {ra:>6.3f} {fa:>5.3f}  {ph:>7.3f} {rh:>7.3f}  {tp}/{fp}/{fn}{mark}")
    ok, bad = cross_round_check(items, params)
    print(f"cross-round paraphrase cases (synthetic second round): {ok}/{len(CROSS_ROUND)} as expected")
    for b in bad:
        print(f"  cross-round miss: {b}")
    gold_keys = {gp.key: gp for gp in gold}
    text = {it.id: it.text for it in items}
    misses = [gp for gp in gold if gp.same and res["scores"].get(gp.key, 0.0) < params.threshold]
    fps = [gp for gp in gold if not gp.same and res["scores"].get(gp.key, 0.0) >= params.threshold]
    unlabelled = [lk for lk in links if lk.same and (lk.source, lk.target) not in gold_keys]
    for title, rows in (("missed", misses), ("false links", fps)):
        for gp in rows:
            print(f"  {title}: {gp.row} score={res['scores'].get(gp.key, 0.0):.3f}"
                  f"  {text[gp.a][:24]} | {text[gp.b][:24]}")
    for lk in unlabelled:
        kind = "unsure-labelled" if (lk.source, lk.target) in UNSURE else "unlabelled"
        print(f"  {kind} link: {lk.score:.3f} {lk.method}  {text[lk.source][:28]} | {text[lk.target][:28]}")
    if args.show:
        scorer = si.Scorer(sorted(items, key=lambda it: it.id), params)
        pos = {it.id: i for i, it in enumerate(scorer.items)}
        for gp in gold:
            f = scorer.features(pos[gp.a], pos[gp.b])
            fs = " ".join(f"{k}={v:.2f}" for k, v in f.items())
            print(f"  {'SAME' if gp.same else 'diff'} {gp.row:<22} {scorer.combine(f):.3f} "
                  f"{'(blocked out)' if gp.key not in res['scores'] and scorer.combine(f) >= params.floor else ''} {fs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
