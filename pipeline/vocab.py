"""The project's terms, read from ``ontology/`` (the ontology is data).

``XS`` is a closed namespace built from the Turtle ontology, so ``XS.Problm`` raises instead
of minting a wrong IRI (as rdflib's ``ClosedNamespace`` does for its built-in vocabularies).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    XSD,
    ClosedNamespace,
    DefinedNamespace,
)

XS_URI = "https://w3id.org/xunshi/ontology#"
XR_URI = "https://w3id.org/xunshi/resource/"


class Terms(ClosedNamespace):
    """A closed namespace whose terms are also plain attributes of the object.

    Each term is made once and shared (an open ``Namespace``, and rdflib's own vocabularies
    such as ``RDF``, mint and validate a new ``URIRef`` on every attribute access), a
    misspelt term raises instead of minting a wrong IRI, and ``XS.evidence`` is an ordinary
    attribute lookup: ``ClosedNamespace.__getattr__`` is a Python call per access, and the
    builder makes millions. (``title`` stays rdflib's ``Namespace.title`` property: the right
    IRI, made afresh.)
    """

    def __new__(cls, uri: str, terms: list[str]):
        ns = super().__new__(cls, uri, terms)
        for t in terms:
            ns.__dict__[t] = ns.term(t)
        return ns


def closed(vocabulary: type[DefinedNamespace]) -> Terms:
    """One of rdflib's vocabularies (``RDF``, ``DCTERMS`` …) as :class:`Terms`: the same
    IRIs, each made once."""
    return Terms(str(vocabulary), [t for t in vocabulary.__annotations__ if not t.startswith("_")])


# Closed, like XS. The terms are the ones the ontology uses.
ORG = Terms("http://www.w3.org/ns/org#", ["Organization", "memberOf"])
OA = Terms("http://www.w3.org/ns/oa#", ["start", "end", "exact"])
XR = Namespace(XR_URI)

PREFIXES = {
    "xs": XS_URI,
    "xr": XR_URI,
    "org": str(ORG),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "skos": str(SKOS),
    "oa": str(OA),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": str(OWL),
}


def extended(ns: str, prefixes: dict[str, str]) -> bool:
    """Whether another namespace of ``prefixes`` begins with ``ns``: then an IRI in ``ns`` may
    belong to the longer one, and ``ns``'s prefix + the rest is not always its prefixed name."""
    return any(other != ns and other.startswith(ns) for other in prefixes.values())


def ontology_dir() -> Path:
    """Where ``ontology/`` is: the source checkout (editable install) or the wheel's copy."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / "ontology"
    if (checkout / "xunshi.ttl").is_file():
        return checkout
    packaged = resources.files("pipeline") / "_ontology"
    return Path(str(packaged))


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    g = Graph()
    g.parse(ontology_dir() / "xunshi.ttl", format="turtle")
    return g


def _terms() -> list[str]:
    g = ontology_graph()
    names = {str(s)[len(XS_URI):] for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(XS_URI)}
    names.discard("")
    return sorted(names)


XS = Terms(XS_URI, _terms())

STATUS_KEYS = ("Completed", "PartiallyCompleted", "NotCompleted", "InProgress", "LongTerm", "Unknown")
# How the status individuals read in tables and messages (their rdfs:label@zh in the ontology).
STATUS_ZH = {
    "Completed": "完成",
    "PartiallyCompleted": "阶段性完成",
    "NotCompleted": "未完成",
    "InProgress": "正在整改",
    "LongTerm": "长期坚持",
    "Unknown": "未写明",
}


def bind_prefixes(g: Graph) -> Graph:
    for p, ns in PREFIXES.items():
        g.bind(p, ns, override=True, replace=True)
    return g


# Literals are immutable: the short ones a corpus repeats (offsets, positions, ordinals,
# units of measure, status words) are made once and shared, which saves both the time of
# rdflib's Literal constructor and a hundred-odd bytes per triple.
_SHARED_MAX = 500_000
_INTS: dict[int, Literal] = {}
_DECIMALS: dict[str, Literal] = {}
_ZH: dict[str, Literal] = {}
_PLAIN: dict[str, Literal] = {}


def _shared(cache: dict, key, make) -> Literal:
    lit = cache.get(key)
    if lit is None:
        lit = make()
        if len(cache) < _SHARED_MAX:
            cache[key] = lit
    return lit


def int_literal(n: int) -> Literal:
    return _shared(_INTS, n, lambda: Literal(n))


def decimal_literal(text: str) -> Literal:
    """``text`` as an xsd:decimal literal, shared (figures repeat their values: 1, 3, 12.5 …);
    ``decimal.InvalidOperation`` when it is not a number."""
    return _shared(_DECIMALS, text, lambda: Literal(Decimal(text), datatype=XSD.decimal))


class TextLiteral(Literal):
    """A string literal (plain or language-tagged) that holds its text once.

    rdflib's ``Literal`` keeps the string it was made from as its Python value: a second copy
    of every text (the problems' and measures' statements: ~24 MB at 1,000 bulletins, once
    the extraction records are gone), and its constructor checks what a build's own strings
    need not. This is the same term — equal to and hashing as ``Literal(text, lang=…)``,
    written, compared and pickled (as a plain ``Literal``) the same — whose value is made
    from its text when asked for. :func:`text_literal` makes them (or plain ``Literal``
    objects, should rdflib's internals ever differ from what it expects).
    """

    __slots__ = ()

    @property
    def value(self) -> str:
        return str.__str__(self)  # an exact str, as rdflib's value of a string literal

    def __repr__(self) -> str:  # as rdflib writes its own (tests and reports sort by it)
        lang = f", lang={self._language!r}" if self._language is not None else ""
        return f"rdflib.term.Literal({str.__repr__(self)}{lang})"


# the exact classes of the literals a build makes: hot loops test ``type(t) in LITERAL_TYPES``
# before ``isinstance(t, Literal)``, which goes through rdflib's ABCMeta (a Python-level check)
LITERAL_TYPES = (Literal, TextLiteral)


try:  # rdflib orders terms of different kinds by a rank per exact type: a literal's rank
    from rdflib.term import _ORDERING

    _ORDERING[TextLiteral] = _ORDERING[Literal]
except (ImportError, KeyError, TypeError):  # pragma: no cover - _same_as_rdflib then says no
    pass


def _fast_text_literal(text: str, lang: str | None) -> Literal:
    lit = str.__new__(TextLiteral, text)
    lit._language = lang
    lit._datatype = None
    lit._value = None  # the text itself (TextLiteral.value)
    lit._ill_typed = None
    return lit


def _same_as_rdflib(make) -> bool:
    """Whether ``make`` gives the terms rdflib's constructor gives (checked once, at import)."""
    import pickle

    from rdflib import BNode

    others = (URIRef("urn:x"), BNode("b"), Literal("丑"), Literal(1), Literal("a", lang="en"))
    try:
        for text, lang in (("整改落实不到位的问题", "zh"), ("abc", None), ("", "zh"), ("a\"b\n", None)):
            ours, theirs = make(text, lang), Literal(text, lang=lang)
            checks = (
                ours == theirs, hash(ours) == hash(theirs), ours.eq(theirs), ours.n3() == theirs.n3(), repr(ours) == repr(theirs),
                ours.language == theirs.language, ours.datatype == theirs.datatype,
                ours.value == theirs.value and type(ours.value) is type(theirs.value),
                ours.toPython() == theirs.toPython(), pickle.loads(pickle.dumps(ours)) == theirs,
                not (ours < theirs) and not (ours > theirs), ours.ill_typed == theirs.ill_typed,
                *((ours < t) == (theirs < t) and (ours > t) == (theirs > t) for t in others),
                *((t < ours) == (t < theirs) and (t > ours) == (t > theirs) for t in others),
            )
            if not all(checks):
                return False
    except Exception:
        return False
    return True


text_literal = _fast_text_literal if _same_as_rdflib(_fast_text_literal) else (lambda text, lang: Literal(text, lang=lang))


def zh(text: str) -> Literal:
    if len(text) > 16:
        return text_literal(text, "zh")
    return _shared(_ZH, text, lambda: text_literal(text, "zh"))


def plain(text: str) -> Literal:
    """A plain (xsd:string) literal, shared when short."""
    if len(text) > 16:
        return text_literal(text, None)
    return _shared(_PLAIN, text, lambda: text_literal(text, None))
