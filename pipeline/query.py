"""Named SPARQL queries over a built graph, and their output as table, CSV, TSV or JSON.

Queries live as ``.rq`` files in ``ontology/queries/`` (the ontology is data). Each starts with
a comment block::

    # title: 未完成整改的问题 / Problems not (yet) completed
    # description: ...
    # params: ?bulletin (optional, IRI) ...

A query is prepared once (``prepareQuery`` with the project's prefixes) and parameters are
pre-bound with ``initBindings``; nothing is ever spliced into the query text (in the manner of
RDFLib's ``examples/prepared_query.py``). Literal parameters are meant for FILTERs
(``CONTAINS(STR(?label), STR(?unit_label))``), IRI parameters for triple patterns.

Mistakes a user can make (an unknown name, a bad file, a SPARQL syntax error, an unknown
parameter) raise :class:`~pipeline.errors.UsageError` with a one-line message in Chinese and
English, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Identifier, Node

from pipeline.errors import UsageError
from pipeline.memstore import BuildGraph
from pipeline.vocab import PREFIXES, bind_prefixes, ontology_dir

FORMATS = ("table", "csv", "tsv", "json")

# Suffix -> rdflib parser for load_graph().
RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".trig": "trig", ".nq": "nquads"}

_SPARQL_START = re.compile(r"^\s*(?:#[^\n]*\n\s*)*(?:PREFIX|BASE|SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_HEADER_FIELD = re.compile(r"^#\s*(title|description|params|lookup)\s*:\s*(.*)$")
_LOOKUP = re.compile(r"^[?$]([A-Za-z_][A-Za-z0-9_]*)\s*(?:->|→)\s*[?$]([A-Za-z_][A-Za-z0-9_]*)\s*(\{.*\})$", re.DOTALL)
_VARIABLE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")
_PREFIXED = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):(\S*)$")
_IRI_SCHEMES = ("http://", "https://", "urn:", "file:", "mailto:")


# ---------------------------------------------------------------- finding queries


def queries_dir() -> Path:
    """The folder of named ``.rq`` queries."""
    return ontology_dir() / "queries"


def named_queries() -> dict[str, Path]:
    """Named queries: file stem -> path, sorted by name."""
    folder = queries_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.rq"))}


def query_info(text: str) -> dict[str, str]:
    """``title``, ``description``, ``params`` and ``lookup`` from a query's leading comment block.

    Continuation lines (``#   more text``) are joined to the field above them.
    """
    info: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        match = _HEADER_FIELD.match(stripped)
        if match:
            current = match.group(1)
            info[current] = match.group(2).strip()
        elif current is not None:
            more = stripped.lstrip("#").strip()
            if more:
                info[current] = f"{info[current]} {more}".strip()
    return info


def load_query(spec: str) -> tuple[str, str]:
    """Resolve ``spec`` to ``(name, text)``.

    ``spec`` is the name of a named query (``unfinished``), a path to a ``.rq`` file, or the
    SPARQL text itself (name ``"inline"``). Anything else raises :class:`UsageError` listing
    the known names.
    """
    spec = spec.strip() if isinstance(spec, str) else spec
    if not spec:
        raise UsageError("未指定查询 (no query given); " + _known_names())
    known = named_queries()
    if spec in known:
        return spec, _read(known[spec])
    if _SPARQL_START.match(spec) or "{" in spec:
        return "inline", spec
    path = Path(spec)
    if path.is_file():
        return path.stem, _read(path)
    if path.suffix == ".rq" or "/" in spec or "\\" in spec:
        raise UsageError(f"查询文件不存在: {spec} (query file not found)")
    raise UsageError(f"未知的查询 “{spec}” (unknown query); " + _known_names())


def _known_names() -> str:
    names = ", ".join(named_queries()) or "-"
    return f"可用的命名查询 (known named queries): {names}"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"无法读取查询文件 {path}: {exc} (cannot read query file)") from exc


# ---------------------------------------------------------------- running queries


@lru_cache(maxsize=64)
def prepare(text: str) -> Query:
    """Parse and translate a query once (cached by its text), with the project's prefixes.

    A syntax error or an unknown prefix becomes a one-line :class:`UsageError`.
    """
    try:
        return prepareQuery(text, initNs=PREFIXES)
    except Exception as exc:  # pyparsing.ParseException and rdflib's plain Exceptions
        raise UsageError(_syntax_message(text, exc)) from exc


def _syntax_message(text: str, exc: Exception) -> str:
    """A one-line message for a query that does not parse, with line and column if known."""
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "col", None) or getattr(exc, "column", None)
    detail = str(getattr(exc, "msg", "") or exc).splitlines()[0] if str(exc) else type(exc).__name__
    if line is not None and col is not None:
        lines = text.splitlines() or [""]
        source = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        where = f"第 {line} 行第 {col} 列 (line {line}, column {col})"
        near = f"; 附近 (near): {_clip(source, 60)}" if source else ""
        return f"SPARQL 语法错误,{where}: {detail}{near}"
    if "prefix" in detail.lower():
        return f"SPARQL 前缀未定义 (unknown prefix): {detail}"
    return f"SPARQL 查询无法解析 (query does not parse): {detail}"


def to_term(value: object) -> Identifier:
    """A binding value as an RDF term.

    rdflib terms pass through; ``<…>``, ``http(s)://…``/``urn:…`` and prefixed names with a
    project prefix (``xr:problem-…``, ``xs:Completed``) become IRIs; anything else a plain
    literal (compare it in the query with ``STR()`` so ``@zh`` data still matches).
    """
    if isinstance(value, Identifier):
        return value
    text = str(value)
    if text.startswith("<") and text.endswith(">") and len(text) > 2:
        return URIRef(text[1:-1])
    if text.startswith(_IRI_SCHEMES):
        return URIRef(text)
    match = _PREFIXED.match(text)
    if match and match.group(1) in PREFIXES:
        return URIRef(PREFIXES[match.group(1)] + match.group(2))
    return Literal(text)


def query_params(text: str) -> list[str]:
    """The parameter names declared in a query's ``# params:`` line, in order."""
    declared = query_info(text).get("params", "")
    return list(dict.fromkeys(_VARIABLE.findall(declared)))


def query_lookup(text: str) -> tuple[str, str, str] | None:
    """A query's ``# lookup:`` line as ``(parameter, node variable, pattern)``, or None.

    ``# lookup: ?unit_label -> ?unit { ?unit a xs:Unit ; skos:prefLabel ?l .
    FILTER (CONTAINS(STR(?l), STR(?unit_label))) }`` says: with ``?unit_label`` bound, the
    rows the query returns are rows of the nodes this pattern finds. An engine that joins
    a label filter late (Oxigraph) can run the pattern first and bind ``?unit`` to what it
    finds (``pipeline.store.lookup_bindings``); the query's own filter still decides. The
    pattern must find every node the query's filter would keep (tests compare the rows with
    and without it)."""
    line = query_info(text).get("lookup")
    if not line:
        return None
    match = _LOOKUP.match(line.strip())
    if match is None:
        raise UsageError(f"# lookup: 行的格式应为 ?参数 -> ?变量 {{ 模式 }} (bad lookup line): {_clip(line, 60)}")
    return match.group(1), match.group(2), match.group(3)


def query_variables(text: str) -> set[str]:
    """Variable names used in a query's text (outside comments)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return set(_VARIABLE.findall(body))


def run_query(graph: Graph, spec: str, bindings: dict[str, object] | None = None) -> Result:
    """Run a named query, ``.rq`` file or SPARQL string on ``graph`` with pre-bound variables.

    ``bindings`` maps variable names (with or without ``?``) to values, turned into terms by
    :func:`to_term`. A name the query does not use raises :class:`UsageError` (a typo would
    otherwise silently return every row).
    """
    name, text = load_query(spec)
    query = prepare(text)
    return graph.query(query, initBindings=resolve_bindings(name, text, bindings))


def resolve_bindings(name: str, text: str, bindings, convert=to_term) -> dict:
    """``bindings`` checked against the query's variables and turned into terms by ``convert``
    (``None`` values are dropped: the variable stays unbound). A name the query does not use
    raises :class:`UsageError` (a typo would otherwise silently return every row). Shared by
    rdflib (:func:`run_query`) and the Oxigraph store (``pipeline.store.check_bindings``)."""
    out: dict = {}
    if not bindings:
        return out
    used = query_variables(text)
    for key, value in bindings.items():
        var = str(key).lstrip("?$")
        if var not in used:
            known = ", ".join(f"?{v}" for v in (query_params(text) or sorted(used))) or "-"
            raise UsageError(f"查询 {name} 没有参数 ?{var} (query has no such parameter); 可用参数 (parameters): {known}")
        if value is not None:
            out[var] = convert(value)
    return out


# ---------------------------------------------------------------- formatting results


def format_result(result: Result, fmt: str = "table", *, max_width: int = 40) -> str:
    """Render a query result.

    SELECT: ``table`` (aligned for a terminal; CJK counted as width 2; cells longer than
    ``max_width`` columns cut with …), ``csv`` / ``tsv`` / ``json`` (SPARQL 1.1 results
    formats). ASK: ``true``/``false`` (JSON: ``{"head": {}, "boolean": …}``).
    CONSTRUCT/DESCRIBE: Turtle whatever ``fmt`` is.
    """
    if fmt not in FORMATS:
        raise UsageError(f"未知的输出格式 “{fmt}” (unknown format); 可用 (available): {', '.join(FORMATS)}")
    if result.type == "ASK":
        answer = bool(result.askAnswer)
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": answer})
        return "true" if answer else "false"
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        graph = bind_prefixes(Graph())
        for triple in result.graph or ():
            graph.add(triple)
        return graph.serialize(format="turtle")
    variables = [str(v) for v in (result.vars or [])]
    rows = [[row[i] if i < len(row) else None for i in range(len(variables))] for row in result]
    if fmt == "csv":
        return _csv(variables, rows)
    if fmt == "tsv":
        return _tsv(variables, rows)
    if fmt == "json":
        return _json(variables, rows)
    return _table(variables, rows, max_width)


def _csv(variables: list[str], rows: list[list[Node | None]]) -> str:
    """SPARQL 1.1 Query Results CSV: plain values, empty for unbound, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow(["" if t is None else (f"_:{t}" if isinstance(t, BNode) else str(t)) for t in row])
    return out.getvalue()


def _tsv(variables: list[str], rows: list[list[Node | None]]) -> str:
    """SPARQL 1.1 Query Results TSV: ``?var`` header, terms in Turtle/N-Triples syntax."""
    lines = ["\t".join(f"?{v}" for v in variables)]
    for row in rows:
        lines.append("\t".join("" if t is None else _nt(t) for t in row))
    return "\n".join(lines) + "\n"


def _nt(term: Node) -> str:
    """One term in N-Triples syntax, tabs and newlines escaped, CJK kept as is."""
    if isinstance(term, Literal):
        lexical = str(term).replace("\\", "\\\\").replace('"', '\\"')
        lexical = lexical.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        if term.language:
            return f'"{lexical}"@{term.language}'
        if term.datatype:
            return f'"{lexical}"^^<{term.datatype}>'
        return f'"{lexical}"'
    if isinstance(term, BNode):
        return f"_:{term}"
    return f"<{term}>"


def _json(variables: list[str], rows: list[list[Node | None]]) -> str:
    """SPARQL 1.1 Query Results JSON (CJK written as is, not as \\u escapes)."""
    bindings = []
    for row in rows:
        binding = {}
        for var, term in zip(variables, row):
            if term is None:
                continue
            if isinstance(term, URIRef):
                binding[var] = {"type": "uri", "value": str(term)}
            elif isinstance(term, BNode):
                binding[var] = {"type": "bnode", "value": str(term)}
            else:
                entry = {"type": "literal", "value": str(term)}
                if isinstance(term, Literal) and term.language:
                    entry["xml:lang"] = term.language
                elif isinstance(term, Literal) and term.datatype:
                    entry["datatype"] = str(term.datatype)
                binding[var] = entry
        bindings.append(binding)
    doc = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _table(variables: list[str], rows: list[list[Node | None]], max_width: int) -> str:
    """An aligned text table; IRIs shortened with the project's prefixes."""
    cells = [[_clip(_display(t), max_width) for t in row] for row in rows]
    widths = [display_width(v) for v in variables]
    for row in cells:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row)]
    lines = [
        "  ".join(_pad(v, w) for v, w in zip(variables, widths)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.append(f"({len(rows)} 行 / {len(rows)} rows)")
    return "\n".join(lines) + "\n"


def _display(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return shorten(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return " ".join(str(term).split())  # one line per row: newlines and tabs become spaces


def shorten(iri: URIRef | str) -> str:
    """``xr:problem-…`` for an IRI in one of the project's namespaces, else the IRI."""
    text = str(iri)
    best = ""
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{text[len(PREFIXES[best]):]}" if best else text


def char_width(ch: str) -> int:
    """Terminal columns of one character: 2 for wide/full-width (CJK), 0 for combining marks."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns of a string."""
    return sum(char_width(ch) for ch in text)


def _clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` columns, ending with … when cut."""
    if display_width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


# ---------------------------------------------------------------- loading graphs


# what a build writes beside the graph that is about it, not of it: a folder's reading leaves it
# out (a query counting triples would count the report's); named alone, it is read
NOT_THE_GRAPH = ("shacl-report.ttl",)


def graph_files(graph_dir_or_file: str | Path) -> list[Path]:
    """The RDF files a graph folder or file stands for: every ``.ttl``/``.nt``/``.trig``/``.nq``
    under a folder but a build's SHACL report (:data:`NOT_THE_GRAPH`), or the one file. What
    ``query``, ``view``, ``validate``, ``serve`` and ``push`` read."""
    path = Path(graph_dir_or_file)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in RDF_FORMATS and p.is_file()
                       and not (p.parent == path and p.name in NOT_THE_GRAPH))
        if not files:
            raise UsageError(f"目录 {path} 中没有 RDF 文件,请先构建图谱 (no .ttl/.nt/.trig/.nq files; run the build first)")
        return files
    if path.is_file():
        if path.suffix not in RDF_FORMATS:
            raise UsageError(f"不支持的图谱文件类型 {path.suffix} (unsupported graph file); 支持 (supported): {', '.join(RDF_FORMATS)}")
        return [path]
    raise UsageError(f"图谱路径不存在: {path} (graph path not found)")


def load_graph(graph_dir_or_file: str | Path, *, with_ontology: bool = False) -> Graph:
    """Parse every ``.ttl``/``.nt``/``.trig``/``.nq`` under a directory (:func:`graph_files`),
    or one such file.

    Triple files alone give one :class:`~rdflib.Graph`; if any quad file (``.trig``/``.nq``)
    is among them, a :class:`~rdflib.Dataset` whose default graph is the union of all graphs,
    so plain queries see everything and ``GRAPH`` still works. ``with_ontology`` adds
    ``xunshi.ttl`` and ``themes.ttl`` so queries can show status and theme labels.
    """
    files = graph_files(graph_dir_or_file)
    quads = any(f.suffix in (".trig", ".nq") for f in files)
    if with_ontology:
        files = files + [ontology_dir() / "xunshi.ttl", ontology_dir() / "themes.ttl"]
    if not quads:
        # triples: read by Oxigraph's parser into the build's own store (a 1,000-bulletin
        # build's 2.7M triples in ~16 s and ~0.45 GiB, where rdflib's parser into its Memory
        # store took ~140 s and ~3.5 GiB)
        graph = BuildGraph()
        for file in files:
            _read_triples(graph, file)
        return bind_prefixes(graph)
    graph = Dataset(default_union=True)
    for file in files:
        try:
            graph.parse(file, format=RDF_FORMATS[file.suffix])
        except Exception as exc:  # parser errors come in many types (BadSyntax, ParseError …)
            _cannot_parse(file, exc)
    return bind_prefixes(graph)


def _cannot_parse(file: Path, exc: Exception):
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    raise UsageError(f"无法解析 {file}: {_clip(first, 200)} (cannot parse RDF file)") from exc


def _read_triples(graph: Graph, file: Path) -> None:
    """The triples of a Turtle or N-Triples ``file`` into ``graph`` (a :class:`BuildGraph`),
    as rdflib's parser gives them but for two normalisations of Oxigraph's parser:
    ``xsd:string`` literals are simple ones (as the build makes them) and language tags are
    lower-cased (``en-GB`` → ``en-gb``; the build writes ``zh`` and ``en``). Each distinct
    IRI and typed literal becomes one rdflib term."""
    import pyoxigraph as ox

    from .store import OX_FORMATS, from_ox
    from .vocab import text_literal

    add = graph.store.add
    nodes: dict = {}  # IRIs and blank nodes (subjects, predicates, objects repeat) -> rdflib terms
    typed: dict = {}  # (lexical form, datatype IRI) -> literal (offsets, dates, numbers repeat)
    literal, xsd_string = ox.Literal, "http://www.w3.org/2001/XMLSchema#string"

    def node(t):
        got = nodes.get(t)
        if got is None:
            got = from_ox(t)
            if len(nodes) < 2_000_000:
                nodes[t] = got
        return got

    try:
        with open(file, "rb") as fh:
            for tr in ox.parse(fh, format=OX_FORMATS[file.suffix]):
                o = tr.object
                if type(o) is literal:
                    lang = o.language
                    if lang:
                        o = text_literal(o.value, lang)
                    else:
                        dt = o.datatype.value
                        if dt == xsd_string:
                            o = text_literal(o.value, None)
                        else:
                            key = (o.value, dt)
                            got = typed.get(key)
                            if got is None:
                                got = from_ox(o)
                                if len(typed) < 500_000:
                                    typed[key] = got
                            o = got
                else:
                    o = node(o)
                add((node(tr.subject), node(tr.predicate), o))
    except (SyntaxError, ValueError, OSError) as exc:
        _cannot_parse(file, exc)
