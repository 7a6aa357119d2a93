"""Scale benchmark: baselines and ``xunshi build`` on the same synthetic corpus, in one run.

For each ``--n`` (default 1,000) the corpus is written by ``bench/gen_corpus.py`` (synthetic
bulletins, marked as such in their first line; near-duplicates across rounds, not copies) and
then, in this order and on the same files:

- ``jieba.lcut`` over every file's text (dictionary loaded beforehand: start-up is not
  throughput),
- ``spacy.blank("zh")`` with a SpanRuler (the status words and a 《…》 pattern) over the text
  with ``nlp.pipe``: the floor of any spaCy rule pipeline,
- ``xunshi build`` as a user runs it, in a child process (so its peak memory can be read):
  ``--no-html --no-shacl`` (graph, GraphML, CSV, stats) with a cold cache; with ``--full``
  also the default build (SHACL and the HTML view),
- with ``--incremental``: after the cold build, a rebuild with nothing changed (up to date:
  nothing is redone), then adding one new bulletin, changing one and deleting one, each
  followed by a rebuild that reuses the cache; the last rebuild's Turtle is
  compared byte for byte with a clean build of the same files. With ``--pinned`` every one
  of these builds is pinned to a reference (``pipeline/reference.py``) fitted on the corpus
  by one more build first: an arrival then changes a handful of subjects, the ground of a
  rebuild that does not redo the whole graph. With ``--validate`` the incremental builds
  validate the graph too (``--no-html`` only: the default build but for the HTML view), and
  the SHACL report is compared with the clean build's as well.

Several ``--n`` give the growth ratio (build time of the largest ÷ the smallest, beside the
ratio of their text sizes). Machines here are shared and noisy: compare the ratios printed by
one run, not seconds across runs. Nothing here is asserted in tests.

usage: python bench/bench_scale.py [--n 1000 [--n 10000]] [--workers 2] [--full] [--incremental [--pinned] [--validate]]
                                   [--corpora DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


# ``python -m pipeline ARGS`` that writes its own peak resident memory (Linux: VmHWM, KiB) to
# the file named by XUNSHI_BENCH_PEAK as it exits. The rusage of the child that wait4 returns
# is no measure of it: Linux carries the spawning process's high-water mark into the child at
# exec (vfork shares its memory map until then), so it reported this harness's own peak
# (texts, jieba, spaCy: ~2.4 GB at 10,000 bulletins) whenever that was the larger.
_PEAK_WRAPPER = """
import atexit, os, re, runpy, sys
path = os.environ.pop("XUNSHI_BENCH_PEAK")
def report():
    with open("/proc/self/status") as fh:
        m = re.search(r"VmHWM:\\s+(\\d+)", fh.read())
    with open(path, "w") as out:
        out.write(m.group(1) if m else "")
hard_exit = os._exit
def exit_reporting(code):  # a build ends with os._exit (no teardown): atexit would not run
    report()
    hard_exit(code)
os._exit = exit_reporting
atexit.register(report)
sys.argv = ["xunshi", *sys.argv[1:]]
runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
"""


def child(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run ``python -m pipeline ARGS``; (seconds, peak resident MiB of that process, exit
    code). The peak is the process's own (``/proc/self/status`` VmHWM, read as it exits);
    where there is no ``/proc``, the rusage's ``ru_maxrss``, which may be the harness's."""
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        env = {**os.environ, "XUNSHI_BENCH_PEAK": peak.name}
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _PEAK_WRAPPER, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t
        own = peak.read().strip()
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"xunshi {' '.join(args)}: exit {code}\n{err[-2000:]}", file=sys.stderr)
    kib = int(own) if own.isdigit() else usage.ru_maxrss  # both KiB on Linux
    return dt, kib / 1024, code


def corpus_for(n: int, root: Path) -> tuple[Path, Path, dict]:
    """(bulletins folder, spare bulletin, manifest) of ``n`` generated bulletins, cached in
    ``root``. One more is generated than asked: the spare, added by the incremental run."""
    import gen_corpus

    folder = root / f"synthetic-{n}"
    bulletins, spare_dir = folder / "bulletins", folder / "spare"
    old = folder / "manifest.json"
    stale = not old.is_file() or json.loads(old.read_text(encoding="utf-8")).get("version") != gen_corpus.VERSION
    if stale or not spare_dir.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        gen_corpus.generate(n + 1, folder)
        spare_dir.mkdir()
        last = sorted(bulletins.glob("*.txt"))[-1]
        last.rename(spare_dir / last.name)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return bulletins, next(spare_dir.glob("*.txt")), manifest


def baselines(texts: list[str]) -> dict[str, float]:
    import jieba
    import spacy

    jieba.setLogLevel(60)
    jieba.initialize()
    t_jieba, _ = timed(lambda: [jieba.lcut(t) for t in texts])

    from pipeline.vocab import STATUS_ZH

    nlp = spacy.blank("zh")
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": "bench"})
    words = sorted({w for w in STATUS_ZH.values() if w} | {"已完成", "阶段性完成", "未完成", "持续推进", "长期坚持"})
    ruler.add_patterns([{"label": "STATUS", "pattern": w} for w in words])
    ruler.add_patterns([{"label": "POLICY", "pattern": [{"ORTH": "《"}, {"ORTH": {"NOT_IN": ["》", "\n"]}, "OP": "+"}, {"ORTH": "》"}]}])
    t_spacy, docs = timed(lambda: sum(len(d.spans["bench"]) for d in nlp.pipe(texts, batch_size=64)))
    return {"jieba": t_jieba, "spacy": t_spacy, "spacy_spans": docs}


def run_one(n: int, args, root: Path, work: Path) -> dict:
    corpus, spare, manifest = corpus_for(n, root)
    files = sorted(corpus.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in files]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    res: dict = {"n": n, "files": len(files), "mb": mb, "problems": sum(f["problems"] for f in manifest["files"][: len(files)])}
    res.update(baselines(texts))

    out = work / f"out-{n}"
    base = ["build", str(corpus), "--out", str(out), "-q"]
    lean = ["--no-html", "--no-shacl"]
    res["build"] = child(base + lean + ["--no-cache"], work)
    if args.workers > 1:
        res["build_workers"] = child(base + lean + ["--no-cache", "--workers", str(args.workers)], work)
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    res["counts"] = stats["counts"]
    res["warnings"] = stats["warnings"]
    if args.full:
        res["build_full"] = child(base + ["--no-cache"], work)
    if args.incremental:
        shutil.rmtree(out, ignore_errors=True)
        if args.pinned:  # a reference fitted on the corpus, then every build below pinned to it
            ref = work / f"reference-{n}.npz"
            child(base + lean + ["--no-cache", "--save-reference", str(ref)], work)
            shutil.rmtree(out, ignore_errors=True)
            lean = lean + ["--reference", str(ref)]
        names = ["xunshi.ttl", "xunshi.graphml", "problems.csv"]
        if args.validate:
            lean = [a for a in lean if a != "--no-shacl"]
            names.append("shacl-report.ttl")
        res["cold_cached"] = child(base + lean, work)  # a cold build that fills the cache
        res["unchanged"] = child(base + lean, work)  # nothing changed: not rebuilt
        added = corpus / spare.name
        shutil.copy(spare, added)
        res["add_one"] = child(base + lean, work)
        changed = files[len(files) // 2]
        original = changed.read_bytes()
        changed.write_bytes(original.replace("阶段性完成".encode(), "已完成".encode(), 1) + "\n".encode())
        res["change_one"] = child(base + lean, work)
        removed = files[len(files) // 3]
        kept = removed.read_bytes()
        removed.unlink()
        res["delete_one"] = child(base + lean, work)
        clean = work / f"clean-{n}"
        child(["build", str(corpus), "--out", str(clean), "-q", "--no-cache", *lean], work)
        # every output, the run report but for its paths (the two builds write to different folders)
        same = [(out / name).read_bytes() == (clean / name).read_bytes() for name in names]
        stats = [{k: v for k, v in json.loads((d / "stats.json").read_text(encoding="utf-8")).items() if k != "outputs"} for d in (out, clean)]
        res["identical"] = all(same) and stats[0] == stats[1]
        # restore the cached corpus for the next run
        added.unlink()
        changed.write_bytes(original)
        removed.write_bytes(kept)
    return res


def report(runs: list[dict], args) -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}")
    for r in runs:
        c = r["counts"]
        print()
        print(
            f"corpus: {r['files']:,} synthetic bulletins, {r['mb']:.1f} MB, {r['problems']:,} problems (manifest); "
            f"built: {c['bulletins']:,} bulletins, {c['problems']:,} problems, {c['triples']:,} triples, {r['warnings']} warnings"
        )
        print(f"{'what':<46}{'seconds':>9}{'MB/s':>8}{'÷ jieba':>9}{'peak MiB':>9}")
        rows = [("jieba.lcut", r["jieba"], None), ('spacy.blank("zh") + SpanRuler, nlp.pipe', r["spacy"], None)]
        rows.append(("xunshi build --no-html --no-shacl", *r["build"][:2]))
        if "build_workers" in r:
            rows.append((f"  … --workers {args.workers}", *r["build_workers"][:2]))
        if "build_full" in r:
            rows.append(("xunshi build (SHACL and HTML too)", *r["build_full"][:2]))
        for name, t, mem in rows:
            print(f"{name:<46}{t:>9.1f}{r['mb'] / t:>8.2f}{t / r['jieba']:>9.2f}{(f'{mem:,.0f}' if mem else ''):>9}")
        if "add_one" in r:
            full = r["cold_cached"][0]
            pinned = " (pinned to a reference fitted on the corpus)" if args.pinned else ""
            pinned += ", validating (--no-html)" if args.validate else ""
            print(f"incremental{pinned} (÷ the cold build with cache, {full:.1f} s):")
            for key, label in (("unchanged", "nothing changed (up to date)"), ("add_one", "add one bulletin"),
                               ("change_one", "change one"), ("delete_one", "delete one")):
                t, mem, _ = r[key]
                print(f"  {label:<44}{t:>9.1f}{'':>8}{t / full:>9.2f}{mem:>9,.0f}")
            shacl = ", SHACL report" if args.validate else ""
            print(f"  outputs (Turtle, GraphML, problems table{shacl}, run report) identical to a clean build: "
                  f"{'yes' if r['identical'] else 'NO'}")
    if len(runs) > 1:
        a, b = runs[0], runs[-1]
        print()
        print(
            f"growth {a['files']:,} → {b['files']:,} bulletins: text ×{b['mb'] / a['mb']:.2f}, "
            f"build ×{b['build'][0] / a['build'][0]:.2f}, jieba ×{b['jieba'] / a['jieba']:.2f}, "
            f"peak memory {a['build'][1]:,.0f} → {b['build'][1]:,.0f} MiB"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, action="append", help="bulletins (repeatable; default 1000)")
    ap.add_argument("--workers", type=int, default=1, help="also time the build with this many processes")
    ap.add_argument("--full", action="store_true", help="also time the default build (SHACL and HTML)")
    ap.add_argument("--incremental", action="store_true", help="time rebuilds after adding, changing and deleting one file")
    ap.add_argument("--pinned", action="store_true", help="with --incremental: every build pinned to a reference fitted first")
    ap.add_argument("--validate", action="store_true", help="with --incremental: the builds validate (SHACL) too")
    ap.add_argument("--corpora", type=Path, default=Path(tempfile.gettempdir()) / "xunshi-bench-corpora",
                    help="where generated corpora are kept between runs")
    ap.add_argument("--keep", action="store_true", help="keep the build outputs (printed at the end)")
    args = ap.parse_args()
    if args.pinned and not args.incremental:
        ap.error("--pinned goes with --incremental")
    if args.validate and not args.incremental:
        ap.error("--validate goes with --incremental")
    sizes = sorted(set(args.n or [1000]))
    work = Path(tempfile.mkdtemp(prefix="xunshi-scale-"))
    try:
        runs = [run_one(n, args, args.corpora, work) for n in sizes]
        report(runs, args)
    finally:
        if args.keep:
            print(f"outputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
