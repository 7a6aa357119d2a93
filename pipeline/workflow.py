"""The batch pipeline: stages by name, named pipelines as ordered lists of names, one run report.

Per-document stages (ingest → segment → extract) each take and return a :class:`DocState`; a
document that fails a stage is recorded with its coded issue and the batch goes on. Corpus
stages (link → build) then run once over every document that made it through. All outputs are
written to temporary files and renamed into place, so an interrupted build never leaves a
half-written graph.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import pickle
import struct
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

from rdflib import Graph

from . import ingest, reference
from .build import build_graph, iri, subject_index, write_turtle
from .memstore import count_instances
from .enrich import EnrichContext, enrich
from .errors import Issue, Severity, UsageError, XunshiError
from .extract import default_nlp, extract
from .fsio import Staged, atomic_write
from .link import link
from .records import BulletinRec, DocumentResult, Extraction, SourceDocument
from .segment import segment
from .vocab import STATUS_KEYS, XS


class CachedPlace(NamedTuple):
    """Where a document's packed records lie in its cache entry (:class:`DocCache`): the
    graph stage reads them from there, as from a :class:`RecordSpill`."""

    path: str
    at: int
    size: int

    def read(self) -> bytes:
        """The records' bytes; E017 when the entry is gone or cut short since it was read
        (another build into the same folder, a clean-up)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.at)
                data = fh.read(self.size)
        except OSError as exc:
            raise XunshiError("E017", self.path, detail=exc.strerror or str(exc)) from exc
        if len(data) != self.size:
            raise XunshiError("E017", self.path, detail=f"{len(data):,} / {self.size:,} 字节 (bytes)")
        return data


@dataclass
class DocState:
    """One input file on its way through the per-document stages."""

    path: Path
    display: str
    source: SourceDocument | None = None
    bulletins: list[BulletinRec] = field(default_factory=list)
    extractions: list[Extraction] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    outcome: str = "pending"  # ok, skipped, duplicate, not-bulletin, decisions
    sizes: tuple[int, int] | None = None  # (bulletins, problems) once the records are packed
    link_input: tuple[Extraction, ...] = ()  # what the link stage reads of packed records
    packed: bytes | None = None  # the records, pickled, on their way to the spill (see pack)
    # where the records wait: in the build's RecordSpill, or in the document's cache entry
    spilled: tuple[int, int] | CachedPlace | None = None

    @property
    def failed(self) -> bool:
        return self.outcome not in ("pending", "ok")

    @property
    def n_bulletins(self) -> int:
        return self.sizes[0] if self.sizes else len(self.extractions)

    @property
    def n_problems(self) -> int:
        return self.sizes[1] if self.sizes else sum(len(e.bulletin.problems) for e in self.extractions)

    def pack(self) -> None:
        """Pickle the extracted records into :attr:`packed`, keeping their counts for the run
        report and what the link stage reads of them (:meth:`Extraction.for_link`). Done
        where the document is processed (a worker process, or the cache's copy), so the
        records cross to the build and into the cache as one bytes object and are pickled
        once: 10,000 documents' records are ~1.2 GB resident as objects, which the graph stage reads
        back one document at a time and the corpus passes never read."""
        if self.outcome != "ok" or self.packed is not None or self.spilled is not None:
            return
        self.sizes = (self.n_bulletins, self.n_problems)
        self.link_input = tuple(e.for_link() for e in self.extractions)
        self.packed = pickle.dumps(tuple(self.extractions), protocol=pickle.HIGHEST_PROTOCOL)
        self.bulletins, self.extractions = [], []

    def unpack(self) -> None:
        """The records back as objects (a packed state from the cache, for a build that keeps
        its records); the segmented bulletins are the extractions' own."""
        if self.packed is None and isinstance(self.spilled, CachedPlace):
            self.packed, self.spilled = self.spilled.read(), None
        if self.packed is None:
            return
        self.extractions = list(pickle.loads(self.packed))
        self.bulletins = [e.bulletin for e in self.extractions]
        self.sizes, self.link_input, self.packed = None, (), None

    def spill(self, spill: RecordSpill) -> None:
        """Move the records (packed first if they are not) to ``spill``."""
        self.pack()
        if self.packed is not None:
            self.spilled = spill.put(self.packed)
            self.packed = None

    def link_result(self) -> DocumentResult:
        """The document as the link stage takes it."""
        return DocumentResult(self.source, self.link_input if self.spilled is not None else tuple(self.extractions), tuple(self.issues))


class RecordSpill:
    """Documents' extraction records, pickled into one anonymous temporary file (deleted
    when closed, or by the system if the process dies) between the per-document stages and
    the graph stage. A ``put`` returns the records' place; ``get`` reads them back as objects."""

    def __init__(self) -> None:
        self._fh = tempfile.TemporaryFile()
        self._end = 0

    def put(self, blob: bytes) -> tuple[int, int]:
        """Store one document's records, pickled (:meth:`DocState.pack`)."""
        at = self._end
        self._fh.seek(at)
        self._fh.write(blob)
        self._end += len(blob)
        return at, len(blob)

    def get(self, place: tuple[int, int] | CachedPlace) -> tuple[Extraction, ...]:
        if isinstance(place, CachedPlace):  # records left in their cache entry
            return pickle.loads(place.read())
        at, size = place
        self._fh.seek(at)
        return pickle.loads(self._fh.read(size))

    @property
    def nbytes(self) -> int:
        return self._end

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RecordSpill:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def link_and_build(good: list[DocState], spill: RecordSpill | None = None, mark: Callable[[str], None] | None = None) -> Graph:
    """The corpus stages up to the graph: link every document that made it through, then
    build its graph, reading spilled records back from ``spill`` one document at a time.
    ``mark(stage)`` is called after each stage (the benchmarks time them)."""
    linked = link([s.link_result() for s in good])
    for s in good:
        # what the link stage read (~240 MB at 10,000 bulletins) goes now: the states'
        # references would keep it through the passes
        s.link_input = ()
    if spill is not None:
        # and the linked corpus's: the graph reads each document's records back from the
        # spill, and takes the freed memory for its first objects instead of growing past it
        linked.results = [replace(r, extractions=()) for r in linked.results]
    if mark:
        mark("link")
    records = None if spill is None else (spill.get(s.spilled) if s.spilled is not None else tuple(s.extractions) for s in good)
    graph = build_graph(linked, records)
    if mark:
        mark("rdflib graph")
    return graph


def stage_ingest(st: DocState, ctx: dict) -> DocState:
    try:
        st.source, warnings = ingest.read_document(st.path, st.display, max_bytes=ctx.get("max_bytes", 200_000_000))
        st.issues.extend(warnings)
    except XunshiError as err:
        st.issues.append(err.issue)
        st.outcome = "skipped"
        return st
    return st


def stage_segment(st: DocState, ctx: dict) -> DocState:
    st.bulletins, issues = segment(st.source)
    st.issues.extend(issues)
    if not st.bulletins:
        st.outcome = "not-bulletin"
    return st


def stage_extract(st: DocState, ctx: dict) -> DocState:
    st.extractions, issues = extract(st.source, st.bulletins, ctx.get("nlp") or default_nlp())
    st.issues.extend(issues)
    st.outcome = "ok"
    return st


DECISIONS_FILE = "decisions.tsv"
REFERENCE_FILE = "reference.npz"
# files among the inputs that the build reads as what they are, not as bulletins: name -> the
# option they set (and their outcome in the run report)
ANALYST_FILES = {DECISIONS_FILE: "decisions", REFERENCE_FILE: "reference"}

STAGES: dict[str, Callable[[DocState, dict], DocState]] = {
    "ingest": stage_ingest,
    "segment": stage_segment,
    "extract": stage_extract,
}
PIPELINES: dict[str, list[str]] = {"default": ["ingest", "segment", "extract"]}


def process(path: Path, ctx: dict, pipeline: str = "default") -> DocState:
    """One file through the per-document stages; its records packed if ``ctx["pack"]``."""
    st = DocState(path, ingest.display_path(path))
    for name in PIPELINES[pipeline]:
        st = STAGES[name](st, ctx)
        if st.failed:
            break
    if ctx.get("pack"):
        st.pack()
    return st


# --- many files: worker processes and the content-hash cache ---------------------------------


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the code and rule data of the per-document stages: a cached result is only
    reused by the same pipeline that made it."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for p in sorted([*root.glob("*.py"), *(root / "data").glob("*.json*")]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


class DocCache:
    """Per-document results keyed by (path as given, file bytes, code version).

    An entry is the document's state without its records, pickled (the head: its text,
    issues and what the link stage reads), then the records as packed
    (:meth:`DocState.pack`), which are not read with the head: a build points the graph
    stage at them (:class:`CachedPlace`) instead of copying them into its spill, and an
    incremental rebuild reads only the rebuilt documents' (the records are ~2/3 of an
    entry's bytes)."""

    MAGIC = b"XSC2"
    _HEAD = struct.Struct("<4sQQ")  # magic, the head's length, the records'

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.hits = self.misses = 0
        self.used: set[str] = set()
        self._keys: dict[tuple[Path, str], str | None] = {}  # each file read once per build

    def key(self, path: Path, display: str) -> str | None:
        if self.folder is None:
            return None
        if (path, display) not in self._keys:
            try:
                digest = hashlib.sha256(path.read_bytes()).digest()
            except OSError:
                self._keys[(path, display)] = None
            else:
                self._keys[(path, display)] = hashlib.sha256(b"\x1f".join([display.encode(), digest, code_version().encode()])).hexdigest()
        return self._keys[(path, display)]

    def get(self, key: str | None) -> DocState | None:
        """The cached state, its records (if packed) left in the entry (:attr:`DocState.spilled`)."""
        if key is None:
            return None
        f = self.folder / f"{key}.pickle"
        try:
            with open(f, "rb") as fh:
                magic, n, m = self._HEAD.unpack(fh.read(self._HEAD.size))
                if magic != self.MAGIC:
                    raise ValueError("not a cache entry")
                head = fh.read(n)
                if len(head) != n or os.fstat(fh.fileno()).st_size != self._HEAD.size + n + m:
                    raise EOFError  # cut short (or grown): made again
            st = pickle.loads(head)
        except (OSError, struct.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            self.misses += 1
            return None
        if m:
            st.spilled = CachedPlace(str(f), self._HEAD.size + n, m)
        self.hits += 1
        self.used.add(key)
        return st

    def put(self, key: str | None, st: DocState) -> CachedPlace | None:
        """Cache ``st``; where its packed records now lie, if it has them."""
        if key is None:
            return None
        self.used.add(key)
        packed, st.packed = st.packed, None
        try:
            # the head pickled straight into the file, then the records' bytes (no joined copy)
            head = pickle.dumps(st, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            st.packed = packed
        f = self.folder / f"{key}.pickle"

        def write(fh) -> None:
            fh.write(self._HEAD.pack(self.MAGIC, len(head), len(packed or b"")))
            fh.write(head)
            if packed:
                fh.write(packed)

        atomic_write(f, write)
        return CachedPlace(str(f), self._HEAD.size + len(head), len(packed)) if packed else None

    def prune(self) -> None:
        """Drop entries no input used this time (deleted or changed files)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for f in self.folder.glob("*.pickle"):
            if f.stem not in self.used:
                f.unlink(missing_ok=True)


def _work(args: tuple[Path, dict]) -> DocState:
    path, ctx = args
    return process(path, ctx)


def process_all(paths: list[Path], ctx: dict, workers: int = 1, cache: DocCache | None = None, progress=None,
                spill: RecordSpill | None = None) -> list[DocState]:
    """Every file through the per-document stages, in input order; results do not depend on
    the number of workers. With ``spill``, each document's records are packed where it is
    processed and go there as soon as it is through (and cached); without, the records
    stay in the states as objects."""
    cache = cache or DocCache(None)
    ctx = {**ctx, "pack": spill is not None}
    keep = (lambda st: st.spill(spill)) if spill is not None else DocState.unpack
    keys = [cache.key(p, ingest.display_path(p)) for p in paths]
    states: list[DocState | None] = [None] * len(paths)
    todo = []
    for i, k in enumerate(keys):  # cached documents first, each let go of as it is read
        st = states[i] = cache.get(k)
        if st is None:
            todo.append(i)
            continue
        # kept (records left in the entry, or unpacked) before the next is read: reading every
        # entry first held all their records at once (~600 MB at 10,000 bulletins)
        keep(st)
        if progress:
            progress(st)
    if workers > 1 and len(todo) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            for i, st in zip(todo, pool.imap(_work, [(paths[i], ctx) for i in todo], chunksize=1)):
                states[i] = st
                _cached(cache, keys[i], st)
                keep(st)
                if progress:
                    progress(st)
    else:
        for i in todo:
            states[i] = process(paths[i], ctx)
            _cached(cache, keys[i], states[i])
            keep(states[i])
            if progress:
                progress(states[i])
    return _mark_duplicates(states)


def _cached(cache: DocCache, key: str | None, st: DocState) -> None:
    """Put ``st`` in the cache; its packed records are then read from there (not spilled twice)."""
    place = cache.put(key, st)
    if place is not None:
        st.spilled, st.packed = place, None


def _mark_duplicates(states: list[DocState]) -> list[DocState]:
    """A file with the same bytes as an earlier one is reported (W002) and not built twice."""
    seen: dict[str, str] = {}
    out = []
    for st in states:
        if st.source is not None and st.outcome not in ("skipped",):
            first = seen.setdefault(st.source.sha256, st.display)
            if first != st.display:
                # its other warnings are the first copy's: only the duplicate is news
                st = DocState(st.path, st.display, st.source, issues=[Issue("W002", st.display, {"other": first})], outcome="duplicate")
        out.append(st)
    return out


# the run report's counts: instances of these classes, then the triples
COUNTED = (
    ("bulletins", XS.Bulletin), ("problems", XS.Problem), ("measures", XS.Measure), ("policies", XS.Policy),
    ("cited_works", XS.CitedWork), ("units", XS.Unit), ("people", XS.Person), ("inspections", XS.Inspection),
    ("figures", XS.Figure), ("categories", XS.FeedbackCategory), ("evidence_spans", XS.Span),
)


@dataclass
class RunReport:
    """What a build did, file by file; written as ``stats.json``."""

    files: list[DocState]
    graph: Graph | None = None
    build_issues: list[Issue] = field(default_factory=list)
    shacl: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # SourceDocument IRI -> reference text
    cache: dict = field(default_factory=dict)  # hits and misses (console only: stats.json stays reproducible)
    outputs: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # every file the build wrote, relative to the output folder
    up_to_date: dict | None = None  # nothing rebuilt: the stats.json of the build that made the outputs
    reference: dict = field(default_factory=dict)  # digests of the reference statistics used / saved
    view: dict = field(default_factory=dict)  # what the HTML view covers, when not the whole graph
    # an incremental rebuild holds no whole graph: the counts it worked out instead
    counted: dict | None = None
    statuses: dict | None = None
    rebuilt: dict = field(default_factory=dict)  # what an incremental rebuild redid (console only)
    bad_spans: list = field(default_factory=list)  # the evidence check's spans that do not round-trip
    shacl_results: tuple | None = None  # the validation's results, when the build's own engine ran it (kept for a rebuild)
    graphml_keys: dict = field(default_factory=dict)  # GraphML node attribute -> the first node holding it

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues] + self.build_issues

    def counts(self) -> dict:
        g = self.graph
        if g is None:
            return dict(self.counted or {})
        return {**{name: count_instances(g, cls) for name, cls in COUNTED}, "triples": len(g)}

    def by_status(self) -> dict[str, int]:
        g = self.graph
        if g is None:
            return dict(self.statuses or {})
        c = Counter(str(s).rsplit("#", 1)[-1] for s in g.objects(None, XS.status))
        return {k: c.get(k, 0) for k in STATUS_KEYS}

    def as_dict(self) -> dict:
        if self.up_to_date is not None:
            return self.up_to_date
        files = []
        for f in self.files:
            files.append(
                {
                    "path": f.display,
                    "outcome": f.outcome,
                    "sha256": f.source.sha256 if f.source else None,
                    "encoding": f.source.encoding if f.source else None,
                    "bulletins": f.n_bulletins,
                    "problems": f.n_problems,
                    "issues": [i.code for i in f.issues],
                }
            )
        issues = self.issues
        return {
            "files_seen": len(self.files),
            "files_ok": sum(f.outcome in ("ok", *ANALYST_FILES.values()) for f in self.files),
            "files_skipped": sum(f.outcome not in ("ok", *ANALYST_FILES.values()) for f in self.files),
            "outcomes": dict(sorted(Counter(f.outcome for f in self.files).items())),
            "counts": self.counts(),
            "problems_by_status": self.by_status(),
            "shacl": self.shacl,
            "evidence": self.evidence,
            "issue_counts": dict(sorted(Counter(i.code for i in issues).items())),
            "errors": sum(i.severity is Severity.ERROR for i in issues),
            "warnings": sum(i.severity is Severity.WARNING for i in issues),
            "files": files,
            "issues": [i.as_dict() for i in issues],
            "outputs": dict(sorted(self.outputs.items())),
            **({"reference": dict(sorted(self.reference.items()))} if self.reference else {}),
            **({"view": self.view} if self.view else {}),
        }


@contextlib.contextmanager
def gc_paused():
    """The cyclic garbage collector off for the duration: a build allocates millions of
    long-lived objects (terms, index dicts, records) and almost no reference cycles, and the
    collector's repeated scans of that heap cost a third to a half of a large build."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_build(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    *,
    html: bool = True,
    shacl: bool = True,
    view_budget: int | None = None,
    max_bytes: int = 200_000_000,
    progress: Callable[[DocState], None] | None = None,
    options: dict | None = None,
    workers: int = 1,
    use_cache: bool = True,
    keep_records: bool = False,
    skip_unchanged: bool = False,
    stage: Callable[[str], None] | None = None,
    incremental: bool = True,
) -> RunReport:
    """Build the knowledge graph of every file under ``inputs`` into ``out_dir``.

    A file named ``decisions.tsv`` among the inputs (or ``options["decisions"]``) is the
    analysts' decisions file: applied after the automatic passes, not read as a bulletin. A
    ``reference.npz`` among them (or ``options["reference"]``) pins the passes' statistics
    (:mod:`pipeline.reference`) unless ``options["refit"]``.
    Each file's extracted records are released once the graph holds them (the report keeps
    their counts) unless ``keep_records``.

    With the cache on, a build records a fingerprint of what it read (code, ontology, every
    input's bytes, options) and the size and modification time of every file it wrote, in
    ``OUT/.cache/build.json``. ``skip_unchanged``: when the fingerprint is the same and
    every output is still as written, nothing is rebuilt; the report then has no graph and
    ``up_to_date`` holds the stats of the build that made the outputs.

    ``progress(state)`` is called as each file is through the per-document stages,
    ``stage(name)`` as each corpus stage starts (``link``, ``graph``, each pass by name,
    ``turtle``, ``graphml``, ``csv``, ``evidence``, ``shacl``, ``html``): the corpus stages
    are most of a large build's time.

    A build without the HTML view pinned to a reference, with the cache on and no
    decisions file, keeps what the next such build needs to rebuild only the documents a
    change reaches and splice them into its outputs (:mod:`pipeline.incremental`); the next
    one does so (unless ``incremental`` is false) when the code, options and reference are
    the same and the outputs are as it wrote them. Its report then has no graph
    (``counted`` holds its counts).
    """
    with gc_paused():
        return _run_build(inputs, out_dir, html=html, shacl=shacl, view_budget=view_budget, max_bytes=max_bytes, progress=progress,
                          options=options, workers=workers, use_cache=use_cache, keep_records=keep_records,
                          skip_unchanged=skip_unchanged, stage=stage or (lambda name: None), incremental=incremental)


BUILD_STATE = Path(".cache") / "build.json"


def _file_digest(path: Path) -> bytes:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        h.update(b"\x00unreadable")
    return h.digest()


def build_fingerprint(paths: list[Path], cache: DocCache, options: dict, settings: dict) -> str:
    """What a build's outputs depend on: the code, the ontology and themes, every input
    (its cache key: name, bytes and code version; in order), the decisions file and the
    options."""
    from .vocab import ontology_dir

    h = hashlib.sha256(code_version().encode())
    for f in sorted(p for p in ontology_dir().rglob("*") if p.is_file()):
        h.update(f.name.encode() + b"\x1f" + _file_digest(f))
    for p in paths:
        display = ingest.display_path(p)
        h.update(display.encode() + b"\x1f" + (cache.key(p, display) or "unreadable").encode())
    for name in ("decisions", "reference"):
        if options.get(name):
            h.update(name.encode() + b"\x1f" + _file_digest(Path(options[name])))
    h.update(json.dumps({"settings": settings, "options": {k: str(v) for k, v in sorted(options.items())}}, sort_keys=True).encode())
    return h.hexdigest()


def _stamps(out: Path, names: Iterable[str]) -> dict[str, list[int]] | None:
    stamps = {}
    for name in sorted(names):
        try:
            st = (out / name).stat()
        except OSError:
            return None
        stamps[name] = [st.st_size, st.st_mtime_ns]
    return stamps


def _unchanged(out: Path, fingerprint: str) -> dict | None:
    """The stats of the last build into ``out`` if it had this fingerprint and every file it
    wrote is still there, the same size and modification time; else None."""
    try:
        state = json.loads((out / BUILD_STATE).read_text(encoding="utf-8"))
        if state.get("fingerprint") != fingerprint or _stamps(out, state["outputs"]) != state["outputs"]:
            return None
        return json.loads((out / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _outputs_as_written(out: Path) -> bool:
    """Whether every file the last build into ``out`` wrote is still as it wrote it."""
    try:
        state = json.loads((out / BUILD_STATE).read_text(encoding="utf-8"))
        return _stamps(out, state["outputs"]) == state["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _record_build(out: Path, fingerprint: str | None, report: RunReport) -> None:
    if fingerprint is not None:
        stamps = _stamps(out, report.written)
        if stamps is not None:
            state = json.dumps({"fingerprint": fingerprint, "outputs": stamps}, indent=1, sort_keys=True) + "\n"
            atomic_write(out / BUILD_STATE, state.encode("utf-8"))


def _run_build(inputs, out_dir, *, html, shacl, view_budget, max_bytes, progress, options, workers, use_cache, keep_records,
               skip_unchanged, stage, incremental=True) -> RunReport:
    from . import incremental as inc

    out = Path(out_dir)
    options = dict(options or {})
    ctx: dict = {"max_bytes": max_bytes}
    paths = ingest.discover(list(inputs))
    for name, key in ANALYST_FILES.items():
        found = [p for p in paths if p.name == name]
        if found and not (key == "reference" and options.get("refit")):
            options.setdefault(key, found[0])
    if options.get("refit") and options.get("reference"):
        raise UsageError("--refit 与 --reference 不能同时使用 (--refit fits the statistics anew: give no --reference)")
    # the reference's meta (the passes read its arrays); a bad file stops the build before any work (E016)
    pinned = reference.load(options["reference"], parts=()).meta if options.get("reference") else None
    cache = DocCache(out / ".cache" / "docs" if use_cache else None)
    fingerprint = None
    if use_cache:
        settings = {"html": html, "shacl": shacl, "max_bytes": max_bytes}
        if view_budget is not None:  # (only when given: the default keeps earlier builds' fingerprints)
            settings["view_budget"] = view_budget
        fingerprint = build_fingerprint(paths, cache, options, settings)
        stored = _unchanged(out, fingerprint) if skip_unchanged else None
        if stored is not None:
            return RunReport([], up_to_date=stored, outputs=dict(stored.get("outputs", {})))
    # an incremental rebuild's conditions (see run_build), but for the inputs' (below)
    inc_key = None
    if (fingerprint is not None and not html and pinned is not None
            and not any(options.get(k) for k in ("decisions", "save_reference", "refit", "passes"))):
        inc_key = build_fingerprint([], cache, options, {"incremental": inc.STATE_VERSION, "max_bytes": max_bytes, "shacl": shacl})
    spill = None if keep_records else RecordSpill()
    try:
        docs = process_all([p for p in paths if p.name not in ANALYST_FILES], ctx, workers, cache, progress, spill)
        by_path = {st.path: st for st in docs}
        states = [by_path.get(p) or DocState(p, ingest.display_path(p), outcome=ANALYST_FILES[p.name]) for p in paths]
        cache.prune()
        good = [s for s in states if s.outcome == "ok"]
        if any(s.outcome == "duplicate" for s in states):
            inc_key = None  # which copy is built depends on every file (the first in path order)
        kept = inc.load_state(out, inc_key) if incremental and inc_key is not None and _outputs_as_written(out) else None
        if kept is not None:
            records = (lambda st: spill.get(st.spilled) if st.spilled is not None else tuple(st.extractions)) if spill else None
            report = inc.rebuild(kept, out, states, good, options, records, stage, pinned, shacl=shacl)
            if report is not None:
                report.cache = {"hits": cache.hits, "misses": cache.misses}
                _record_build(out, fingerprint, report)
                return report
        stage("link")
        graph = link_and_build(good, spill, lambda done: stage("graph") if done == "link" else None)
    finally:
        if spill is not None:
            spill.close()
    if options.get("decisions"):
        options.setdefault("decisions_display", ingest.display_path(Path(options["decisions"])))
    report = RunReport(states, graph)
    report.cache = {"hits": cache.hits, "misses": cache.misses}
    ectx = EnrichContext({str(iri(s.source.id)): s.source.text for s in good}, options=options)
    enrich(graph, ectx, options.get("passes"), stage)  # None: every registered pass
    report.build_issues.extend(ectx.issues)
    report.texts = ectx.texts
    if pinned is not None or options.get("save_reference"):
        _reference_report(report, options, pinned, ectx.fitted, len(good))
    # what an incremental rebuild would splice into must be what the state describes
    inc.forget_state(out)
    write_outputs(report, out, html=html, shacl=shacl, stage=stage, view_budget=view_budget)
    if shacl and report.shacl_results is None:
        inc_key = None  # validated by pyshacl (shapes the build's engine does not evaluate): no results to keep
    if inc_key is not None:
        stage("incremental state")
        inc.keep_state(out, inc_key, graph, report)
    _record_build(out, fingerprint, report)
    return report


def _reference_report(report: RunReport, options: dict, pinned: dict | None, fitted: dict, documents: int) -> None:
    """The reference's part of the report: the digest of the one used (W036 if the corpus
    outgrew it), and the one saved (``options["save_reference"]``: what the passes fitted,
    or used, written)."""
    problems = count_instances(report.graph, XS.Problem)
    if pinned is not None:
        report.reference["used"] = pinned.get("digest", "")
        grown = reference.stale(pinned, problems)
        if grown is not None:
            report.build_issues.append(grown)
    if options.get("save_reference"):
        data = reference.to_bytes(reference.unspill(fitted.get("themes")), fitted.get("same_issue", {}),
                                  {"documents": documents, "problems": problems})
        atomic_write(Path(options["save_reference"]), data)
        report.reference["saved"] = reference.from_bytes(data, parts=()).digest


def write_outputs(report: RunReport, out: Path, *, html: bool = True, shacl: bool = True,
                  stage: Callable[[str], None] | None = None, view_budget: int | None = None) -> None:
    staged = Staged(out)
    try:
        _write_outputs(report, staged, html=html, shacl=shacl, stage=stage or (lambda name: None), view_budget=view_budget)
        report.written = sorted([*staged.files, "stats.json"])
        staged.commit()
    finally:
        staged.discard()
    stats = json.dumps(report.as_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    atomic_write(out / "stats.json", stats.encode("utf-8"))


def _write_outputs(report: RunReport, staged: Staged, *, html: bool, shacl: bool, stage: Callable[[str], None],
                   view_budget: int | None = None) -> None:
    from .mirror import write_graphml_to, write_problems_csv

    out = staged.out
    g = report.graph
    stage("turtle")
    index = subject_index(g)  # what the Turtle and the GraphML walk (the store's own index)
    staged.write("xunshi.ttl", lambda fh: write_turtle(fh, g, index))
    for st in report.files:
        if st.outcome == "ok" and st.source.needs_text_file:
            staged.put(st.source.text_file_name, st.source.text.encode("utf-8"))
    stage("graphml")
    staged.write("xunshi.graphml", lambda fh: write_graphml_to(fh, g, index, first_use=report.graphml_keys))
    index = None  # let go (the writers above have run)
    stage("csv")
    staged.write("problems.csv", lambda fh: write_problems_csv(fh, g))
    from .validate import check_evidence

    stage("evidence")
    bad = report.bad_spans = check_evidence(g, report.texts)
    report.evidence = {"spans": count_instances(g, XS.Span), "not_round_tripping": len(bad)}
    if bad:
        report.build_issues.append(Issue("W032", "", {"count": len(bad)}))
    if shacl:
        from .validate import validate_graph

        stage("shacl")
        res = validate_graph(g)
        report.shacl = {"conforms": res.conforms, "violations": res.violations, "report": "shacl-report.ttl"}
        report.shacl_results = res.results
        if not res.conforms:
            report.build_issues.append(Issue("W030", "", {"count": res.violations}))
        staged.put("shacl-report.ttl", res.report.serialize(format="turtle", encoding="utf-8"))
    if html:
        from .view import VIEW_BUDGET, write_view

        stage("html")
        tmp_html = Path(tempfile.mkdtemp()) / "xunshi.html"
        scope = write_view(g, tmp_html, budget=VIEW_BUDGET if view_budget is None else view_budget)
        if scope is not None and scope.partial:
            report.view = {"documents": len(scope.documents), "of_documents": scope.total_documents,
                           "drawable_nodes": scope.total_nodes, "budget": scope.budget, "note": scope.note()}
        staged.put("xunshi.html", tmp_html.read_bytes())
        tmp_html.unlink()
        tmp_html.parent.rmdir()
    report.outputs = {name: str(out / name) for name in staged.files if not name.startswith("text/")}
    report.outputs["stats.json"] = str(out / "stats.json")
