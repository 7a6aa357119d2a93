"""Throughput of ``xunshi build`` beside ``jieba.lcut`` over the same text, in one run.

The corpus is the sample bulletin repeated N times (default 50). Each copy gets one extra
first line marking it as a synthetic copy, so no copy is dropped as a duplicate file; the
bulletins inside are unchanged. Three things are timed on the same text in the same process:

- ``jieba.lcut`` over every copy's text (a baseline every Chinese NLP user knows),
- ``spacy.blank("zh")`` tokenisation of the same text (the floor of any spaCy pipeline),
- the full build (``pipeline.workflow.run_build``: ingest → segment → extract → link → build,
  Turtle, GraphML, CSV, stats; SHACL and HTML on or off by flag).

Prints MB/s for each and the ratios build/jieba. Machines here are shared and noisy, so
compare the ratios, not the seconds; nothing here is asserted in tests.

usage: python bench/bench_build.py [--copies 50] [--shacl] [--html]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "xiangjiang-2023-12-22.txt"


def make_corpus(folder: Path, copies: int) -> list[str]:
    text = SAMPLE.read_text(encoding="utf-8")
    texts = []
    for i in range(copies):
        t = f"(合成副本 {i + 1:04d},仅用于性能测试 / synthetic copy for benchmarking)\n" + text
        (folder / f"copy-{i + 1:04d}.txt").write_text(t, encoding="utf-8")
        texts.append(t)
    return texts


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=50)
    ap.add_argument("--shacl", action="store_true", help="include SHACL validation in the build")
    ap.add_argument("--html", action="store_true", help="include the HTML view in the build")
    ap.add_argument(
        "--core",
        action="store_true",
        help="skip the corpus passes (themes, rounds, same-issue links): the copies are identical, "
        "so every problem is linked to its 49 twins, which no real corpus does",
    )
    args = ap.parse_args()

    import jieba
    import spacy

    from pipeline.workflow import run_build

    work = Path(tempfile.mkdtemp(prefix="xunshi-bench-"))
    try:
        (work / "corpus").mkdir()
        texts = make_corpus(work / "corpus", args.copies)
        mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        chars = sum(len(t) for t in texts)

        jieba.setLogLevel(60)
        jieba.initialize()  # dictionary load is start-up, not throughput
        t_jieba, _ = timed(lambda: [jieba.lcut(t) for t in texts])

        nlp = spacy.blank("zh")
        t_spacy, _ = timed(lambda: [nlp.make_doc(t) for t in texts])

        old = os.getcwd()
        os.chdir(work)
        try:
            opts = {"passes": []} if args.core else None
            run_build(["corpus"], "warm", html=False, shacl=False, use_cache=False, options=opts)  # imports, rules
            t_build, report = timed(
                lambda: run_build(["corpus"], "graphs", html=args.html, shacl=args.shacl, use_cache=False, options=opts)
            )
        finally:
            os.chdir(old)
        counts = report.as_dict()["counts"]

        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"corpus: sample × {args.copies} = {mb:.2f} MB, {chars:,} characters")
        print(f"build: {counts['bulletins']} bulletins, {counts['problems']} problems, {counts['triples']:,} triples"
              f" (shacl={'on' if args.shacl else 'off'}, html={'on' if args.html else 'off'},"
              f" corpus passes={'off' if args.core else 'on'})")
        print(f"{'what':<32}{'seconds':>10}{'MB/s':>10}{'÷ jieba':>10}")
        for name, t in (("jieba.lcut", t_jieba), ('spacy.blank("zh") tokenise', t_spacy), ("xunshi build", t_build)):
            print(f"{name:<32}{t:>10.2f}{mb / t:>10.2f}{t / t_jieba:>10.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
