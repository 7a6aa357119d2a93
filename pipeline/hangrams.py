"""Han n-grams as packed integer keys, found by numpy over the code points of many texts at
once (the themes pass's TF-IDF and the same-issue scorer both compare problems by them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np


def is_han(cp: np.ndarray) -> np.ndarray:
    """Which code points are Han characters (CJK Unified Ideographs, Extension A, Compatibility)."""
    return ((cp >= 0x3400) & (cp <= 0x4DBF)) | ((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 0xF900) & (cp <= 0xFAFF))


def gram_keys(texts: Sequence[str], sizes: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """(text index, n-gram key) of every occurrence of a Han n-gram of each of ``sizes`` in
    ``texts`` (normalised by the caller), size by size; n-grams never cross a non-Han
    character. A key packs the code points (plus one) 21 bits each, so keys of different
    sizes never collide and sort like their strings within one size (:func:`unpack`)."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    # one separator (not Han: no n-gram crosses it) after each text; a text's code points are
    # found by its length, so a NUL inside a text changes nothing; lone surrogates (a str can
    # hold them) pass through as non-Han code points
    cp = np.frombuffer("\x00".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lens + 1)[: cp.size]
    han = is_han(cp)
    docs, keys = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for size in sizes:
        m = cp.size - size + 1
        if m <= 0:
            continue
        ok = han[:m].copy()
        key = cp[:m] + 1
        for j in range(1, size):
            ok &= han[j : j + m]
            key = (key << 21) | (cp[j : j + m] + 1)
        docs.append(doc[:m][ok])
        keys.append(key[ok])
    return np.concatenate(docs), np.concatenate(keys)


def unpack(key: int) -> str:
    """The n-gram a :func:`gram_keys` key stands for."""
    out = []
    while key:
        out.append(chr((key & 0x1FFFFF) - 1))
        key >>= 21
    return "".join(reversed(out))


def runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs (``np.unique`` with
    counts, by sorting: numpy's hash-based unique is several times slower here)."""
    if sorted_keys.size == 0:
        return sorted_keys, np.zeros(0, np.int64)
    first = np.empty(sorted_keys.size, dtype=bool)
    first[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return sorted_keys[starts], np.diff(np.append(starts, sorted_keys.size))


def distinct(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)``, by sorting (see :func:`runs`)."""
    return runs(np.sort(a))[0]


class MadeAsRead(Sequence):
    """``[f(x) for x in items]`` made as it is read (an item, or a slice as a list): the texts
    the n-gram counts read a chunk at a time (statements with their measures joined, …)
    without a second copy of all of them held at once."""

    def __init__(self, items: Sequence, f: Callable):
        self.items, self.f = items, f

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.f(x) for x in self.items[i]]
        return self.f(self.items[i])
