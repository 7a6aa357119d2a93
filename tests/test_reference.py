"""Reference statistics (``pipeline.reference``): pinned corpus statistics for the themes and
same-issue passes. A build with the reference fitted on its own corpus is the build without
one; a pinned reference keeps every earlier problem's themes and links when bulletins arrive;
the file is deterministic and a bad one is a coded error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from conftest import ROOT, SAMPLE, load_bench
from pipeline import reference
from pipeline.errors import XunshiError
from pipeline.vocab import XS

N, SEED, ARRIVING = 36, 11, 4


def _build(inputs, out: Path, **options):
    from pipeline.workflow import run_build

    return run_build(inputs, out, html=False, shacl=False, use_cache=False, options=options)


@pytest.fixture(scope="module")
def sample_ref(tmp_path_factory):
    """The sample built twice: fitting (and saving) its reference, then with it."""
    tmp = tmp_path_factory.mktemp("ref-sample")
    ref = tmp / "ref.npz"
    first = _build([SAMPLE], tmp / "fit", save_reference=ref)
    pinned = _build([SAMPLE], tmp / "pinned", reference=ref)
    return tmp, ref, first, pinned


def test_the_reference_fitted_on_the_corpus_gives_the_same_build(sample_ref):
    tmp, ref, first, pinned = sample_ref
    for name in ("xunshi.ttl", "xunshi.graphml", "problems.csv"):
        assert (tmp / "fit" / name).read_bytes() == (tmp / "pinned" / name).read_bytes(), name
    r = reference.load(ref)
    assert first.reference == {"saved": r.digest}
    assert pinned.reference == {"used": r.digest}
    assert pinned.as_dict()["reference"] == {"used": r.digest}
    # what the sample's passes fitted: 141 problems in each same-issue space, the themes'
    # vocabulary and one seed per rule-themed problem
    assert {k: sp.n for k, sp in r.same_issue.items()} == {"text": 141, "chars": 141, "category": 141, "measures": 141}
    g = pinned.graph
    labelled = {p for p in g.subjects(RDF.type, XS.ThemeAssignment) if str(g.value(p, XS.method)) == "label"}
    assert len(r.themes.seed_themes) == len({g.value(a, XS.problem) for a in labelled}) == r.meta["themes_seeds"]
    assert all(list(ts) == sorted(ts) and ts for ts in r.themes.seed_themes)
    assert r.meta["problems"] == 141 and r.meta["documents"] == 1


def test_the_file_is_deterministic_and_reads_back(sample_ref):
    _, ref, _, _ = sample_ref
    data = ref.read_bytes()
    r = reference.from_bytes(data)
    assert reference.to_bytes(r.themes, r.same_issue, {"documents": 1, "problems": 141}) == data
    # the chars space: the sample's distinct Han characters, each counted once per problem
    chars = r.same_issue["chars"]
    assert list(chars.grams) == sorted(chars.grams) and chars.df.min() >= 1 and chars.df.max() <= 141
    assert chars.lookup(["整", "\u9fa5\u9fa5", "改"]).tolist()[1] == 0
    assert chars.lookup(["整"])[0] == chars.df[list(chars.grams).index("整")]
    # np.load reads it too (plain .npy members, no pickles)
    with np.load(ref, allow_pickle=False) as z:
        assert z["themes.keys"].tolist() == r.themes.keys.tolist()


def _rezip(data: bytes, meta_edit) -> bytes:
    """The reference's members again, ``meta.json`` edited."""
    import io
    import json
    import zipfile

    src, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "meta.json":
                body = json.dumps(meta_edit(json.loads(body))).encode()
            z.writestr(info.filename, body)
    return buf.getvalue()


@pytest.mark.parametrize(
    "mangle, detail",
    [
        (lambda b: b"not a zip at all", "not a reference file"),
        (lambda b: b[: len(b) // 2], "not a reference file"),
        (lambda b: _rezip(b, lambda m: {**m, "version": 9}), "unsupported version 9"),
        (lambda b: _rezip(b, lambda m: {**m, "format": "something-else"}), "not a reference file"),
        (lambda b: _rezip(b, lambda m: {**m, "same_issue_n": {**m["same_issue_n"], "extra": 3}}), "statistics missing"),
        (lambda b: _rezip(b, lambda m: {**m, "same_issue_n": {k: v for k, v in m["same_issue_n"].items() if k != "chars"}}),
         "statistics missing"),
        (lambda b: _rezip(b, lambda m: {**m, "themes_scheme": None}), "statistics missing"),
    ],
)
def test_a_bad_reference_is_a_coded_error_before_any_work(sample_ref, tmp_path, mangle, detail):
    _, ref, _, _ = sample_ref
    bad = tmp_path / "bad.npz"
    bad.write_bytes(mangle(ref.read_bytes()))
    with pytest.raises(XunshiError) as err:
        _build([SAMPLE], tmp_path / "out", reference=bad)
    assert err.value.issue.code == "E016"
    assert detail in err.value.issue.message
    assert not (tmp_path / "out").exists()
    with pytest.raises(XunshiError, match="E016"):
        _build([SAMPLE], tmp_path / "out", reference=tmp_path / "missing.npz")


def test_inconsistent_arrays_are_refused(sample_ref):
    _, ref, _, _ = sample_ref
    r = reference.load(ref)
    t = r.themes
    broken = reference.ThemeStats(t.keys[::-1].copy(), t.idf, t.seed_indptr, t.seed_indices, t.seed_data, t.seed_themes, t.scheme)
    with pytest.raises(XunshiError, match="inconsistent themes statistics"):
        reference.from_bytes(reference.to_bytes(broken, r.same_issue))
    # half a reference is none: a pinned build would fit the other half on its corpus
    with pytest.raises(ValueError, match="needs the themes"):
        reference.to_bytes(None, r.same_issue)
    with pytest.raises(ValueError, match="needs the themes"):
        reference.to_bytes(t, {k: v for k, v in r.same_issue.items() if k != "category"})


def test_cli_saves_and_uses_a_reference(tmp_path):
    ref = tmp_path / "ref.npz"
    run = lambda *a: subprocess.run([sys.executable, "-m", "pipeline", "build", str(SAMPLE), "--no-html", "--no-shacl", *a],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True)
    res = run("-o", str(tmp_path / "a"), "--save-reference", str(ref))
    assert res.returncode == 0, res.stderr
    assert f"参考统计 (reference statistics): {ref}" in res.stdout
    res = run("-o", str(tmp_path / "b"), "--reference", str(ref))
    assert res.returncode == 0, res.stderr
    assert f"参考统计已固定 (pinned to reference statistics) {reference.load(ref).digest}" in res.stdout
    assert "--no-html" not in res.stdout  # no hint: this build is incremental already
    assert (tmp_path / "a" / "xunshi.ttl").read_bytes() == (tmp_path / "b" / "xunshi.ttl").read_bytes()
    # with the HTML view, which keeps a pinned build from being rebuilt incrementally, a hint
    res = subprocess.run([sys.executable, "-m", "pipeline", "build", str(SAMPLE), "--no-shacl", "-o", str(tmp_path / "v"),
                          "--reference", str(ref)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "提示 (hint): 加 --no-html 时, 下次构建只重建变动涉及的文件 (增量重建)" in res.stdout
    (tmp_path / "junk.npz").write_bytes(b"junk")
    res = run("-o", str(tmp_path / "c"), "--reference", str(tmp_path / "junk.npz"))
    assert res.returncode != 0 and "E016" in res.stderr and "参考统计文件无效" in res.stderr


def test_another_theme_scheme_is_warned(sample_ref, tmp_path):
    _, ref, _, _ = sample_ref
    from pipeline.themes import themes_path

    scheme = tmp_path / "themes.ttl"
    text = themes_path().read_text(encoding="utf-8")
    assert text.count('skos:prefLabel "三转"@zh') == 1
    scheme.write_text(text.replace('skos:prefLabel "三转"@zh', 'skos:prefLabel "三个转变"@zh'), encoding="utf-8")
    report = _build([SAMPLE], tmp_path / "out", reference=ref, themes=scheme)
    assert [i.code for i in report.build_issues if i.code == "W035"] == ["W035"]
    assert not [i for i in _build([SAMPLE], tmp_path / "same", reference=ref).build_issues if i.code == "W035"]


# --- bulletins arriving: a pinned reference keeps the earlier results ------------------------


def _results(g: Graph, problems: set) -> tuple[set, set]:
    """The themes (problem, concept, method, score) and the same-issue links (source,
    target, score, method) of ``problems``."""
    themes = set()
    for a in g.subjects(RDF.type, XS.ThemeAssignment):
        p = g.value(a, XS.problem)
        if p in problems:
            themes.add((p, g.value(a, XS.concept), str(g.value(a, XS.method)), str(g.value(a, XS.score))))
    links = set()
    for lk in g.subjects(RDF.type, XS.IssueLink):
        s, t = g.value(lk, XS.source), g.value(lk, XS.target)
        if s in problems and t in problems:
            links.add((s, t, str(g.value(lk, XS.score)), str(g.value(lk, XS.method))))
    return themes, links


@pytest.fixture(scope="module")
def arrivals(tmp_path_factory):
    """A synthetic archive, and the same with a few bulletins more, each built with and
    without the reference fitted on the archive."""
    gen = load_bench("gen_corpus")
    tmp = tmp_path_factory.mktemp("arrivals")
    gen.generate(N, tmp / "gen", seed=SEED)
    files = sorted((tmp / "gen" / "bulletins").iterdir())
    archive, grown = tmp / "archive", tmp / "grown"
    archive.mkdir()
    grown.mkdir()
    for i, f in enumerate(files):
        shutil.copy(f, grown / f.name)
        if i < len(files) - ARRIVING:
            shutil.copy(f, archive / f.name)
    ref = tmp / "ref.npz"
    old = _build([archive], tmp / "old", save_reference=ref)
    return {
        "old": old.graph,
        "old_pinned": _build([archive], tmp / "old-pinned", reference=ref).graph,
        "new_pinned": _build([grown], tmp / "new-pinned", reference=ref).graph,
        "new_fitted": _build([grown], tmp / "new-fitted").graph,
        "ref": ref,
        "grown": grown,
    }


def test_arriving_bulletins_leave_the_earlier_results_alone(arrivals):
    old, old_pinned, new_pinned = arrivals["old"], arrivals["old_pinned"], arrivals["new_pinned"]
    problems = set(old.subjects(RDF.type, XS.Problem))
    assert len(problems) > 400
    assert set(new_pinned.subjects(RDF.type, XS.Problem)) > problems
    themes, links = _results(old, problems)
    assert len(themes) > 300 and len(links) > 20
    assert _results(old_pinned, problems) == (themes, links)
    # the archive's problems keep every theme and every link among them, with their scores
    assert _results(new_pinned, problems) == (themes, links)


def test_without_a_reference_arrivals_move_earlier_scores(arrivals):
    """What the reference is for: refitted on the grown corpus, the archive's own problems'
    similarity scores and link scores change (the test above can fail)."""
    old, new_fitted = arrivals["old"], arrivals["new_fitted"]
    problems = set(old.subjects(RDF.type, XS.Problem))
    (t0, l0), (t1, l1) = _results(old, problems), _results(new_fitted, problems)
    assert t0 != t1 or l0 != l1


def test_a_changed_reference_is_not_up_to_date(sample_ref, tmp_path):
    from pipeline.workflow import run_build

    _, ref, _, _ = sample_ref
    mine = tmp_path / "ref.npz"
    mine.write_bytes(ref.read_bytes())
    run = lambda: run_build([SAMPLE], tmp_path / "out", html=False, shacl=False, options={"reference": mine},  # noqa: E731
                            skip_unchanged=True)
    assert run().up_to_date is None
    assert run().up_to_date is not None
    r = reference.load(mine)
    mine.write_bytes(reference.to_bytes(r.themes, r.same_issue, {"note": "refitted"}))
    assert run().up_to_date is None


def test_bench_delta_counts_what_an_arrival_changes(tmp_path):
    """bench/bench_delta.py on a small synthetic corpus: pinned, the arrival adds its own
    nodes and touches few others; its block reader splits Turtle by subject."""
    import io
    from contextlib import redirect_stdout

    bench = load_bench("bench_delta")
    ttl = tmp_path / "x.ttl"
    ttl.write_text('@prefix xr: <http://x/> .\nxr:a xs:p 1 ;\n    xs:q 2 .\n\nxr:problem-b xs:p "x" .\n', encoding="utf-8")
    assert bench.blocks(ttl) == {"xr:a": "xr:a xs:p 1 ;\n    xs:q 2 .\n\n", "xr:problem-b": 'xr:problem-b xs:p "x" .\n'}
    assert bench.kind("xr:problem-b") == "problem"
    gen = load_bench("gen_corpus")
    gen.generate(14, tmp_path / "gen", seed=3)
    out = io.StringIO()
    with redirect_stdout(out):
        assert bench.main([str(tmp_path / "gen" / "bulletins"), "--work", str(tmp_path / "work")]) == 0
    text = out.getvalue()
    pinned = next(line for line in text.splitlines() if line.startswith("pinned:"))
    added, removed, changed = (int(x.replace(",", "")) for x in
                               __import__("re").search(r"(\S+) added, (\S+) removed, (\S+) changed", pinned).groups())
    base = bench.blocks(tmp_path / "work" / "base" / "xunshi.ttl")
    grown = bench.blocks(tmp_path / "work" / "pinned" / "xunshi.ttl")
    assert added == len(grown.keys() - base.keys()) > 20
    # what may go: a round node, when the arrival joins its inspections to a round named anew
    assert removed == len(base.keys() - grown.keys()) and {bench.kind(k) for k in base.keys() - grown.keys()} <= {"round"}
    assert changed == sum(k in grown and base[k] != grown[k] for k in base) < 30


def test_a_corpus_that_outgrew_its_reference_is_warned(sample_ref, arrivals, tmp_path):
    _, ref, _, pinned = sample_ref
    r = reference.load(ref)
    assert r.meta["problems"] == 141
    assert reference.stale(r.meta, 211) is None  # 1.5 × 141 = 211.5
    issue = reference.stale(r.meta, 212)
    assert issue.code == "W036" and "141" in issue.message and "212" in issue.message
    assert not [i for i in pinned.build_issues if i.code == "W036"]
    # the synthetic corpus (over 600 problems) pinned to the sample's reference (141)
    report = _build([arrivals["grown"]], tmp_path / "out", reference=ref)
    assert [i.detail for i in report.build_issues if i.code == "W036"] == [
        {"ref": 141, "now": report.as_dict()["counts"]["problems"], "factor": 1.5}
    ]


def test_a_reference_among_the_inputs_is_used_unless_refit(sample_ref, tmp_path):
    """reference.npz beside the bulletins pins the build, as decisions.tsv is applied: the
    statistics live with the corpus, so a clean build of the folder is the pinned one."""
    from pipeline.errors import UsageError

    tmp, ref, _, pinned = sample_ref
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    shutil.copy(ref, folder / "reference.npz")
    report = _build([folder], tmp_path / "auto")
    assert report.reference == {"used": reference.load(ref).digest}
    outcomes = {Path(f["path"]).name: f["outcome"] for f in report.as_dict()["files"]}
    assert outcomes == {SAMPLE.name: "ok", "reference.npz": "reference"}
    assert report.as_dict()["files_ok"] == 2 and report.as_dict()["files_skipped"] == 0
    from pipeline.ingest import display_path

    def ttl(out: Path, path: Path) -> bytes:  # the source file's path (dcterms:source) set aside
        return (out / "xunshi.ttl").read_bytes().replace(display_path(path).encode(), b"SOURCE")

    assert ttl(tmp_path / "auto", folder / SAMPLE.name) == ttl(tmp / "pinned", SAMPLE)
    refit = _build([folder], tmp_path / "refit", refit=True, save_reference=tmp_path / "new.npz")
    assert refit.reference == {"saved": reference.load(tmp_path / "new.npz").digest}
    assert ttl(tmp_path / "refit", folder / SAMPLE.name) == ttl(tmp / "fit", SAMPLE)
    with pytest.raises(UsageError, match="--refit"):
        _build([folder], tmp_path / "both", refit=True, reference=ref)


def test_what_a_pass_fitted_waits_on_disk_until_saved(sample_ref):
    """The themes' fitted statistics are spilled to a temporary file until the reference is
    written (not resident through the same-issue pass): read back, the same as saved."""
    from pipeline.enrich import EnrichContext
    from pipeline.themes import collect_problems, load_themes, rule_assignments, similarity_candidates, LabelMatcher

    _, ref, first, _ = sample_ref
    g = first.graph
    ctx = EnrichContext(first.texts)
    themes = load_themes()
    problems = collect_problems(g, ctx)
    fitted: dict = {}
    similarity_candidates(problems, themes, rule_assignments(problems, LabelMatcher(themes)), None, fitted)
    assert isinstance(fitted["themes"], reference.Spilled)
    back = reference.unspill(fitted["themes"])
    saved = reference.load(ref).themes
    assert back.keys.tolist() == saved.keys.tolist() and back.seed_themes == saved.seed_themes
    assert back.seed_data.tolist() == saved.seed_data.tolist() and back.scheme == saved.scheme
    assert reference.unspill(saved) is saved


def test_rebuilds_pinned_by_the_folders_reference_equal_clean_builds(tmp_path):
    """The property an incremental build must keep, on random arrivals, changes and
    deletions: a rebuild of the folder (the cache warm, reference.npz among the inputs) is
    byte for byte a clean build of the same folder."""
    import os
    import random

    from pipeline.workflow import run_build

    gen = load_bench("gen_corpus")
    gen.generate(12, tmp_path / "gen", seed=21)
    files = sorted((tmp_path / "gen" / "bulletins").iterdir())
    corpus, spares = tmp_path / "corpus", files[9:]
    corpus.mkdir()
    for f in files[:9]:
        shutil.copy(f, corpus / f.name)
    old = os.getcwd()
    os.chdir(tmp_path)  # the same display paths in every build
    try:
        kw = dict(html=False, shacl=False)
        run_build(["corpus"], "fit", use_cache=False, options={"save_reference": corpus / "reference.npz"}, **kw)
        run_build(["corpus"], "warm", **kw)
        rng = random.Random(4)
        ops = []
        for step in range(4):
            present = sorted(p for p in corpus.iterdir() if p.suffix == ".txt")
            op = ["add", "change", "delete"][step % 3] if step < 3 else rng.choice(["add", "change", "delete"])
            if op == "add" and spares:
                f = spares.pop(0)
                shutil.copy(f, corpus / f.name)
            elif op == "change":
                f = rng.choice(present)
                f.write_text(f.read_text(encoding="utf-8").replace("阶段性完成", "已完成", 1) + "\n", encoding="utf-8")
            else:
                op = "delete"
                rng.choice(present).unlink()
            ops.append(op)
            rebuilt = run_build(["corpus"], "warm", **kw)
            clean = run_build(["corpus"], f"clean{step}", use_cache=False, **kw)
            assert rebuilt.reference == clean.reference == {"used": reference.load(corpus / "reference.npz").digest}
            assert rebuilt.cache["hits"] >= 7
            for name in ("xunshi.ttl", "xunshi.graphml", "problems.csv"):
                assert (tmp_path / "warm" / name).read_bytes() == (tmp_path / f"clean{step}" / name).read_bytes(), (ops, name)
        assert set(ops) == {"add", "change", "delete"}
    finally:
        os.chdir(old)
