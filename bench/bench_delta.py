"""What one arriving bulletin changes in the graph, with and without a pinned reference.

An incremental build can only be cheap if a new bulletin changes little of what is already
built. This script measures that on a corpus folder: it builds the corpus without ``K``
of its files (fitting and saving a reference, :mod:`pipeline.reference`), then the whole
corpus twice — refitted, and pinned to that reference — and compares each with the first
build's Turtle subject by subject (``xunshi.ttl`` writes each subject's triples as one
block): blocks added, removed and changed, by kind of node, and the bytes involved.

The files stay where they are: the builds read a folder of symbolic links to them, from
which the arriving ones are taken out for the first build, so every build sees the same
paths (a document's IRI is its content's; its ``dcterms:source`` is its path).

usage: python bench/bench_delta.py CORPUS_DIR [--arrive K] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def blocks(path: Path) -> dict[str, str]:
    """Subject → its block of ``path``'s Turtle (as :class:`pipeline.build._TurtleWriter`
    writes it: a block starts with the subject at the start of a line)."""
    out: dict[str, str] = {}
    cur, buf = None, []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("@prefix"):
                continue
            if line.strip() and not line.startswith((" ", "\t")):
                if cur is not None:
                    out[cur] = "".join(buf)
                cur, buf = line.split(" ", 1)[0], [line]
            else:
                buf.append(line)
    if cur is not None:
        out[cur] = "".join(buf)
    return out


def kind(subject: str) -> str:
    """``xr:problem-…`` → ``problem``."""
    return subject.split(":", 1)[-1].split("-", 1)[0]


def compare(a: dict[str, str], b: dict[str, str]) -> dict:
    added, removed = b.keys() - a.keys(), a.keys() - b.keys()
    changed = [k for k in a.keys() & b.keys() if a[k] != b[k]]
    return {
        "subjects": len(b),
        "added": len(added),
        "removed": len(removed),
        "changed": len(changed),
        "changed_by_kind": Counter(map(kind, changed)).most_common(),
        "added_by_kind": Counter(map(kind, added)).most_common(8),
        "bytes_touched": sum(len(b[k]) for k in changed) + sum(len(b[k]) for k in added) + sum(len(a[k]) for k in removed),
        "bytes": sum(map(len, b.values())),
    }


def build(folder: Path, out: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pipeline", "build", folder.name, "-o", str(out), "--no-html", "--no-shacl", "-q", "--no-cache", *extra],
        cwd=folder.parent, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path, help="a folder of bulletins")
    ap.add_argument("--arrive", type=int, default=1, metavar="K", help="files that arrive (spread over the folder; default 1)")
    ap.add_argument("--work", type=Path, help="keep the builds here (default: a temporary folder)")
    args = ap.parse_args(argv)
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    if len(files) <= args.arrive:
        ap.error("the corpus needs more files than arrive")
    step = len(files) / args.arrive
    arriving = [files[int(step * (i + 0.5))] for i in range(args.arrive)]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-delta-"))
    folder = work / "bulletins"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for f in files:
        (folder / f.name).symlink_to(f.resolve())
    ref = work / "reference.npz"
    for f in arriving:
        (folder / f.name).unlink()
    t_base = build(folder, work / "base", "--save-reference", str(ref))
    for f in arriving:
        (folder / f.name).symlink_to(f.resolve())
    t_fitted = build(folder, work / "fitted")
    t_pinned = build(folder, work / "pinned", "--reference", str(ref))
    base = blocks(work / "base" / "xunshi.ttl")
    print(f"corpus {args.corpus}: {len(files)} files, {args.arrive} arriving ({', '.join(f.name for f in arriving)})")
    print(f"builds: without them {t_base:.1f} s (fitting and saving the reference, {ref.stat().st_size / 1e6:.1f} MB); "
          f"with them, refitted {t_fitted:.1f} s, pinned {t_pinned:.1f} s")
    for name in ("fitted", "pinned"):
        c = compare(base, blocks(work / name / "xunshi.ttl"))
        print(f"{name}: {c['subjects']:,} subjects: {c['added']:,} added, {c['removed']:,} removed, {c['changed']:,} changed; "
              f"{c['bytes_touched']:,} of {c['bytes']:,} bytes ({c['bytes_touched'] / max(c['bytes'], 1):.3%})")
        print("   changed: " + ", ".join(f"{k} {n:,}" for k, n in c["changed_by_kind"]))
        print("   added:   " + ", ".join(f"{k} {n:,}" for k, n in c["added_by_kind"]))
    if args.work is None:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
