"""Reference statistics: the corpus statistics the themes and same-issue passes weigh words
by, fitted once and then pinned.

Both passes compare problems by Han n-grams weighted by how rare they are (IDF), and the
themes pass's similarity step votes with the rule-themed problems ("seeds"). By default a
build fits all of that on its own corpus, so one new bulletin can shift any problem's scores:
a link an analyst reviewed may come or go because an unrelated bulletin arrived, and no pass
result can be reused from one build to the next.

A **reference** pins them. ``xunshi build --save-reference FILE`` writes the statistics the
build used; ``xunshi build --reference FILE`` uses them instead of fitting its own:

- themes: the TF-IDF vocabulary and weights (stop-grams already left out) and the seeds'
  vectors with their themes. A problem's similarity themes then depend only on its own
  words, its measures and the reference.
- same-issue: each feature space's n-grams with their document frequencies and the number
  of problems counted. A pair's score then depends only on the two problems and the
  reference, and the candidates a problem proposes only on itself (within its scope groups).

A build of a corpus with the reference fitted on that same corpus gives the same graph, byte
for byte, as a build without one (tested): the reference is exactly what the build fits.
Fitted on an archive and pinned, it keeps every earlier result where it was as bulletins are
added, like a segmenter's dictionary; refit (build without ``--reference``, with
``--save-reference``) when the archive has changed enough to matter.

The file is a zip of ``.npy`` arrays (``numpy.load`` reads it) and a ``meta.json``, written
with fixed member dates so that the same statistics give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import Issue, XunshiError

FORMAT = "xunshi-reference"
SAME_ISSUE_SPACES = ("text", "chars", "category", "measures")  # pipeline.sameissue.Scorer's
VERSION = 1
_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SpaceStats:
    """One same-issue feature space as counted on the reference corpus."""

    grams: np.ndarray  # the n-grams (a numpy str array), sorted
    df: np.ndarray  # in how many problems each occurs (int64)
    n: int  # problems counted

    def lookup(self, grams: list[str]) -> np.ndarray:
        """The document frequency of each of ``grams`` (0 for one the reference never saw)."""
        if not len(self.grams) or not grams:
            return np.zeros(len(grams), np.int64)
        q = np.array(grams, dtype=str)
        pos = np.minimum(np.searchsorted(self.grams, q), len(self.grams) - 1)
        return np.where(self.grams[pos] == q, self.df[pos], 0).astype(np.int64)


@dataclass(frozen=True)
class ThemeStats:
    """The themes pass's similarity space as fitted on the reference corpus."""

    keys: np.ndarray  # the kept n-gram keys (pipeline.hangrams packing), sorted (int64)
    idf: np.ndarray  # their IDF weights (float64)
    seed_indptr: np.ndarray  # the seeds' vectors (CSR over the columns of ``keys``)
    seed_indices: np.ndarray
    seed_data: np.ndarray
    seed_themes: tuple[tuple[str, ...], ...]  # each seed's theme slugs, sorted
    scheme: str  # digest of the theme scheme the seeds were tagged with (:func:`scheme_digest`)


@dataclass(frozen=True)
class Reference:
    themes: ThemeStats | None
    same_issue: dict[str, SpaceStats]  # by space name: text, chars, category, measures
    meta: dict

    @property
    def digest(self) -> str:
        return self.meta.get("digest", "")


class Spilled:
    """An object pickled to an anonymous temporary file until it is needed again: what a
    pass fitted for ``--save-reference`` (the themes' seeds and vocabulary, tens of MB at
    10,000 bulletins) must not stay resident through the same-issue pass, a large build's
    peak."""

    def __init__(self, obj) -> None:
        self._fh = tempfile.TemporaryFile()
        pickle.dump(obj, self._fh, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self):
        self._fh.seek(0)
        return pickle.load(self._fh)


def unspill(obj):
    """``obj``, read back if it was :class:`Spilled`."""
    return obj.load() if isinstance(obj, Spilled) else obj


GROWTH_WARNING = 1.5  # a corpus with more problems than this times the reference's: W036


def stale(meta: dict, problems: int) -> Issue | None:
    """W036 when a corpus of ``problems`` has outgrown the reference (its ``meta``) it is pinned to."""
    fitted = int(meta.get("problems") or 0)
    if fitted and problems > GROWTH_WARNING * fitted:
        return Issue("W036", "", {"ref": fitted, "now": problems, "factor": GROWTH_WARNING})
    return None


def scheme_digest(slugs_and_profiles: list[tuple[str, str]]) -> str:
    """A short digest of the assignable themes (slug and profile text each)."""
    h = hashlib.sha256()
    for slug, profile in slugs_and_profiles:
        h.update(slug.encode() + b"\x1f" + profile.encode() + b"\x1e")
    return h.hexdigest()[:16]


def _arrays(t: ThemeStats, same_issue: dict[str, SpaceStats]) -> dict[str, np.ndarray]:
    flat = [s for ts in t.seed_themes for s in ts]
    out: dict[str, np.ndarray] = {
        "themes.keys": np.asarray(t.keys, np.int64),
        "themes.idf": np.asarray(t.idf, np.float64),
        "themes.seed_indptr": np.asarray(t.seed_indptr, np.int64),
        "themes.seed_indices": np.asarray(t.seed_indices, np.int32),
        "themes.seed_data": np.asarray(t.seed_data, np.float64),
        "themes.seed_theme_slugs": np.array(flat, dtype=str) if flat else np.zeros(0, dtype="<U1"),
        "themes.seed_theme_offsets": np.cumsum([0, *map(len, t.seed_themes)], dtype=np.int64),
    }
    for name, sp in sorted(same_issue.items()):
        out[f"same_issue.{name}.grams"] = np.asarray(sp.grams, dtype=str) if len(sp.grams) else np.zeros(0, dtype="<U1")
        out[f"same_issue.{name}.df"] = np.asarray(sp.df, np.int64)
    return out


def to_bytes(themes: ThemeStats | None, same_issue: dict[str, SpaceStats], meta: dict | None = None) -> bytes:
    """The reference file's bytes (deterministic: the same statistics, the same bytes). Both
    passes' statistics are required: a build pinned to half a reference would fit the other
    half on its corpus, and not be what the file promises."""
    if themes is None or set(same_issue) != set(SAME_ISSUE_SPACES):
        raise ValueError(f"a reference needs the themes' and the same-issue spaces' statistics {SAME_ISSUE_SPACES}")
    arrays = _arrays(themes, same_issue)
    h = hashlib.sha256()
    for name, arr in sorted(arrays.items()):
        h.update(name.encode() + b"\x1f" + str(arr.dtype).encode() + b"\x1f" + np.ascontiguousarray(arr).tobytes())
    h.update(json.dumps({k: sp.n for k, sp in sorted(same_issue.items())}).encode())
    h.update(themes.scheme.encode())
    info = {
        "format": FORMAT,
        "version": VERSION,
        "digest": h.hexdigest()[:16],
        "same_issue_n": {k: sp.n for k, sp in sorted(same_issue.items())},
        "themes_scheme": themes.scheme,
        "themes_features": int(len(themes.keys)),
        "themes_seeds": len(themes.seed_themes),
        **(meta or {}),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("meta.json", _DATE), json.dumps(info, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                   compress_type=zipfile.ZIP_DEFLATED)
        for name, arr in sorted(arrays.items()):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(name + ".npy", _DATE), member.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _bad(path: Path, detail: str) -> XunshiError:
    return XunshiError("E016", str(path), detail=detail)


PARTS = ("themes", "same_issue")


def from_bytes(data: bytes, path: Path = Path("reference"), parts: tuple[str, ...] = PARTS) -> Reference:
    """Read a reference file's bytes (only the arrays of ``parts``: what a pass needs, the
    rest never loaded); any inconsistency is an E016 error."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        meta = json.loads(z.read("meta.json").decode("utf-8"))
        arrays = {
            n[: -len(".npy")]: np.lib.format.read_array(io.BytesIO(z.read(n)), allow_pickle=False)
            for n in z.namelist() if n.endswith(".npy") and n.split(".", 1)[0] in parts
        }
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as err:
        raise _bad(path, f"不是参考统计文件 (not a reference file): {err}") from None
    if meta.get("format") != FORMAT:
        raise _bad(path, "不是参考统计文件 (not a reference file)")
    if meta.get("version") != VERSION:
        raise _bad(path, f"版本 {meta.get('version')} 不受支持,请重新生成 (unsupported version {meta.get('version')}: refit it)")
    if set(meta.get("same_issue_n") or ()) != set(SAME_ISSUE_SPACES) or meta.get("themes_scheme") is None:
        raise _bad(path, "缺少主题或同题统计 (themes or same-issue statistics missing)")
    try:
        themes = None
        if "themes" in parts:
            keys, idf = arrays["themes.keys"], arrays["themes.idf"]
            indptr, indices, data = arrays["themes.seed_indptr"], arrays["themes.seed_indices"], arrays["themes.seed_data"]
            slugs, offsets = arrays["themes.seed_theme_slugs"].tolist(), arrays["themes.seed_theme_offsets"].tolist()
            ok = (
                keys.ndim == 1 and len(keys) == len(idf) and bool(np.all(keys[1:] > keys[:-1]))
                and indptr.ndim == 1 and len(indptr) >= 1 and indptr[0] == 0 and bool(np.all(np.diff(indptr) >= 0))
                and int(indptr[-1]) == len(indices) == len(data)
                and (not len(indices) or (int(indices.min()) >= 0 and int(indices.max()) < len(keys)))
                and len(offsets) == len(indptr) and offsets[0] == 0 and offsets[-1] == len(slugs)
            )
            if not ok:
                raise ValueError("主题统计不一致 (inconsistent themes statistics)")
            themes = ThemeStats(
                keys, idf, indptr, indices.astype(np.int32), data,
                tuple(tuple(slugs[a:b]) for a, b in zip(offsets, offsets[1:])), str(meta.get("themes_scheme") or ""),
            )
        same = {}
        for name, n in (meta.get("same_issue_n") or {}).items() if "same_issue" in parts else ():
            grams, df = arrays[f"same_issue.{name}.grams"], arrays[f"same_issue.{name}.df"]
            if grams.ndim != 1 or len(grams) != len(df) or (len(grams) > 1 and not bool(np.all(grams[1:] > grams[:-1]))):
                raise ValueError(f"同题统计 {name} 不一致 (inconsistent same-issue statistics)")
            same[name] = SpaceStats(grams, df.astype(np.int64), int(n))
    except (KeyError, ValueError, TypeError) as err:
        raise _bad(path, str(err)) from None
    return Reference(themes, same, meta)


def load(path: str | Path, parts: tuple[str, ...] = PARTS) -> Reference:
    """The reference in ``path``: the arrays of ``parts`` only. Read anew each time (not
    cached): each pass holds its part while it runs and lets it go (tens of MB at 10,000
    bulletins, which the same-issue pass, a large build's peak, should not carry)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise _bad(p, f"无法读取 (cannot read): {err.strerror or err}") from None
    return from_bytes(data, p, parts)


def of(options: dict, part: str) -> Reference | None:
    """The ``part`` of the reference a build was given (``options["reference"]``), or None."""
    path = options.get("reference")
    return load(path, (part,)) if path else None
