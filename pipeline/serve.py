"""A SPARQL 1.1 Protocol endpoint over the built graph, and ``push`` to any SPARQL 1.1 Graph
Store Protocol endpoint (Fuseki, GraphDB, Oxigraph …).

The endpoint is pyoxigraph behind the standard library's threading HTTP server, bound to
``127.0.0.1`` unless told otherwise and read-only unless told otherwise:

=========================  ==================================================================
``GET/POST /query``        SPARQL 1.1 Protocol: ``?query=``, a form ``query=``, or a body of
                           type ``application/sparql-query``; ``default-graph-uri`` and
                           ``named-graph-uri`` honoured. ``?name=NAME&param=value`` runs a
                           named query instead. Results as SPARQL JSON / XML / CSV / TSV by
                           ``Accept`` (or ``format=json|xml|csv|tsv``); graphs as Turtle,
                           N-Triples, RDF/XML, N-Quads, TriG or JSON-LD.
``GET /queries``           the named queries (JSON: name, title, description, params, URL).
``GET /queries/NAME``      run one, parameters from the query string (``?unit_label=…``).
``GET /queries/NAME.rq``   its SPARQL text.
``POST /update``           SPARQL 1.1 Update: **403** on a read-only endpoint (the default).
``/store``                 SPARQL 1.1 Graph Store Protocol (``?graph=IRI`` / ``?default``):
                           GET always; PUT, POST, DELETE only on a writable endpoint.
=========================  ==================================================================

Queries see the union of all graphs (the store keeps one named graph per document; see
:mod:`pipeline.store`). Graph folders are loaded in memory together with the ontology and
themes, as ``xunshi query`` loads them, so the endpoint's rows are ``xunshi query``'s rows.
Named-query parameters are bound by :func:`pipeline.store.inline_bindings` (pyoxigraph terms,
never formatted user text), a label parameter first looked up in the store
(``bound_query(…, store=…)``).

``push`` sends N-Triples with HTTP ``PUT`` (replace) or ``POST`` (add) to
``{endpoint}?graph=IRI`` or ``{endpoint}?default``; credentials come from the caller
(:func:`auth_from_env` reads ``XUNSHI_SPARQL_USER``/``XUNSHI_SPARQL_PASSWORD`` or
``XUNSHI_SPARQL_TOKEN``), never from code or the URL.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import pyoxigraph as ox
from rdflib import Graph

from pipeline.errors import UsageError
from pipeline.query import load_query, named_queries, query_info, query_params
from pipeline.store import (
    NTriples,
    StoreError,
    bound_query,
    is_store,
    memory_store,
    open_store,
    read_manifest,
    run_ox,
)
from pipeline.vocab import ontology_dir

log = logging.getLogger("xunshi.serve")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
MAX_QUERY_BYTES = 1 << 20  # a query or update body
MAX_UPLOAD_BYTES = 1 << 30  # a Graph Store upload

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
# Media types clients send for the same thing.
_RESULT_ALIASES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_GRAPH_ALIASES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
}
_RESERVED = {"name", "format", "default-graph-uri", "named-graph-uri"}

READ_ONLY_MESSAGE = (
    "只读端点,拒绝更新 (read-only SPARQL endpoint: updates and Graph Store writes are refused). "
    "如需写入请用 `xunshi serve --writable` 启动 (start it writable to allow them)."
)


class EndpointError(StoreError):
    """An endpoint or push failure with a code (see :class:`pipeline.store.StoreError`).

    Codes: E084 cannot listen on the address; E085 cannot reach the endpoint or bad URL;
    E086 authentication or permission refused (401/403); E087 not a Graph Store endpoint
    (404/405/415); E088 other HTTP error (413, 5xx …); E089 timed out.
    """

    def __init__(self, code: str, message: str, status: int | None = None):
        self.status = status
        super().__init__(code, message)


class _HttpError(Exception):
    """Raised inside a request handler: becomes a plain-text error response."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


# ---------------------------------------------------------------- content negotiation


def _accepted(header: str | None) -> list[str]:
    """Media types of an ``Accept`` header, best first (by q, then order)."""
    if not header:
        return []
    items = []
    for i, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if fields[0] and q > 0:
            items.append((-q, i, fields[0].lower()))
    return [t for _q, _i, t in sorted(items)]


def negotiate(accept: str | None, override: str | None, *, graph: bool) -> str | None:
    """The format key for a response: ``format=`` wins, then ``Accept``; ``None`` if the
    client accepts nothing we produce (→ 406). Default: SPARQL JSON, or Turtle for graphs."""
    table, aliases, default = (GRAPH_FORMATS, _GRAPH_ALIASES, "turtle") if graph else (RESULT_FORMATS, _RESULT_ALIASES, "json")
    if override:
        key = override.lower()
        return key if key in table else aliases.get(key)
    types = _accepted(accept)
    if not types:
        return default
    for t in types:
        if t in aliases:
            return aliases[t]
        if t in ("*/*", "application/*", "text/*"):
            return default
    return None


def _media_type(key: str, *, graph: bool) -> str:
    fmt = GRAPH_FORMATS[key] if graph else RESULT_FORMATS[key]
    mt = fmt.media_type
    if "charset" in mt:
        return mt
    return mt + "; charset=utf-8" if mt.startswith("text/") or mt.endswith("json") or mt.endswith("xml") else mt


# ---------------------------------------------------------------- the server


class SparqlServer(ThreadingHTTPServer):
    """The HTTP server: holds the pyoxigraph store and the endpoint's settings."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], store: ox.Store, *, read_only: bool, source: str):
        self.store = store
        self.read_only = read_only
        self.source = source
        self._thread: threading.Thread | None = None
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, SparqlHandler)

    @property
    def url(self) -> str:
        """``http://host:port`` (IPv6 hosts in brackets)."""
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def start(self) -> threading.Thread:
        """Serve in a daemon thread (tests, embedding); stop with :meth:`stop`."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, name="xunshi-sparql", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the socket, wait for the serving thread."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout)
            self._thread = None
        self.server_close()


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


IN_MEMORY_MAX_TRIPLES = 3_000_000  # ~1,000 bulletins; larger stores are served from disk


def store_triples(store_dir: str | Path) -> int:
    """How many triples the store's manifest records (its documents, corpus and ontology
    graphs)."""
    return sum(int(g.get("triples", 0)) for g in read_manifest(store_dir)["graphs"].values())


def open_dataset(graph_dir_or_store: str | Path, *, read_only: bool = True, in_memory: bool | None = None) -> ox.Store:
    """The pyoxigraph store to serve.

    A graph folder or file is loaded in memory with the ontology and themes. A store folder
    is copied into memory when ``in_memory`` (default: when read-only and the store holds at
    most :data:`IN_MEMORY_MAX_TRIPLES`; Oxigraph in memory answers the named queries several
    times faster than from disk, and a later ``write_store`` cannot pull the data from under
    the endpoint), else opened on disk (required for a writable endpoint whose writes should
    persist; and for large stores: 10,000 bulletins are 27.5 million triples, which would
    need ~10 GB of memory as a copy and are served from disk in seconds per query).
    """
    path = Path(graph_dir_or_store)
    if not is_store(path):
        return memory_store(path, with_ontology=True)
    if in_memory is None:
        in_memory = read_only and store_triples(path) <= IN_MEMORY_MAX_TRIPLES
    if not in_memory:
        log.info("serving the store on disk: %s", path)
        return open_store(path, read_only=read_only)
    disk = open_store(path, read_only=True)
    try:
        data = disk.dump(format=ox.RdfFormat.N_QUADS)
    finally:
        del disk
    store = ox.Store()
    store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
    return store


def make_server(
    graph_dir_or_store: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    read_only: bool = True,
    in_memory: bool | None = None,
) -> SparqlServer:
    """Load the graph and bind the endpoint (``port=0``: any free port; see ``server.url``).

    Not yet serving: call ``serve_forever()`` or :meth:`SparqlServer.start`. A busy port
    raises :class:`EndpointError` E084. ``in_memory``: see :func:`open_dataset`.
    """
    store = open_dataset(graph_dir_or_store, read_only=read_only, in_memory=in_memory)
    try:
        return SparqlServer((host.strip("[]"), port), store, read_only=read_only, source=str(graph_dir_or_store))
    except OSError as exc:
        raise EndpointError("E084", f"无法监听 {host}:{port}: {exc.strerror or exc} (cannot listen; is the port in use? try --port)") from exc


def serve(
    graph_dir_or_store: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    read_only: bool = True,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
    in_memory: bool | None = None,
) -> None:
    """Serve the SPARQL endpoint at ``http://host:port/query`` until interrupted (Ctrl-C) or
    until ``stop`` is set.

    ``ready`` is set once the socket listens. To embed the server and learn a port chosen
    by the system (``port=0``), use :func:`make_server` and :meth:`SparqlServer.start` /
    :meth:`SparqlServer.stop` instead.
    """
    server = make_server(graph_dir_or_store, host, port, read_only=read_only, in_memory=in_memory)
    log.info("SPARQL endpoint %s/query (%s)", server.url, "read-only" if read_only else "writable")
    watcher = None
    if stop is not None:
        watcher = threading.Thread(target=lambda: (stop.wait(), server.shutdown()), name="xunshi-sparql-stop", daemon=True)
        watcher.start()
    try:
        if ready is not None:
            ready.set()
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if watcher is not None and stop is not None:
            stop.set()
            watcher.join(5)


class SparqlHandler(BaseHTTPRequestHandler):
    """Routes of the endpoint; every response has a Content-Length and a text body on error."""

    server: SparqlServer
    server_version = "xunshi-sparql/1"
    timeout = 60  # seconds to wait for a slow client

    # -- plumbing

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, extra: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status: int, message: str) -> None:
        self._send(status, (message.rstrip("\n") + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _json(self, status: int, doc) -> None:
        self._send(status, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), "application/json; charset=utf-8")

    def _drain(self) -> None:
        """Read and drop an unread request body (up to the upload limit) before an error
        answer, so the client sees the answer instead of a broken pipe while sending."""
        if getattr(self, "_body_read", False):
            return
        self._body_read = True
        try:
            left = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return
        if left > MAX_UPLOAD_BYTES:
            self.close_connection = True
            return
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)

    def _body(self, limit: int) -> bytes:
        self._body_read = True
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                raise _HttpError(411, "需要 Content-Length (Content-Length required; chunked bodies are not accepted)")
            return b""
        try:
            n = int(length)
        except ValueError as exc:
            raise _HttpError(400, "Content-Length 无效 (bad Content-Length)") from exc
        if n > limit:
            raise _HttpError(413, f"请求体过大: {n} 字节,上限 {limit} (request body too large)")
        return self.rfile.read(n)

    def _route(self):
        parts = urlsplit(self.path)
        params = parse_qs(parts.query, keep_blank_values=True)
        return parts.path.rstrip("/") or "/", params

    def _dispatch(self, method: str) -> None:
        self._body_read = False
        try:
            path, params = self._route()
            if path == "/":
                return self._index(method)
            if path == "/query":
                return self._query(method, params)
            if path == "/update":
                return self._update(method, params)
            if path == "/queries":
                return self._list(method)
            if path.startswith("/queries/"):
                return self._named(method, path[len("/queries/") :], params)
            if path == "/store":
                return self._store(method, params)
            raise _HttpError(404, f"没有这个地址 {path} (not found); 见 (see) {self.server.url}/")
        except _HttpError as err:
            if err.status != 413:
                self._drain()
            self._text(err.status, str(err))
        except UsageError as err:  # bad query, unknown name or parameter, bad IRI value
            self._drain()
            status = 404 if "未知的查询" in str(err) else 400
            self._text(status, str(err))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:  # a bug: logged with its traceback, answered without one
            log.exception("request failed: %s %s", method, self.path)
            self._text(500, "服务器内部错误 (internal error); 见服务器日志 (see the server log)")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # -- routes

    def _index(self, method: str) -> None:
        if method not in ("GET", "HEAD"):
            raise _HttpError(405, "只支持 GET (only GET)")
        base = self.server.url
        self._json(
            200,
            {
                "service": "xunshi-kg SPARQL endpoint",
                "query": f"{base}/query",
                "update": f"{base}/update",
                "store": f"{base}/store",
                "queries": f"{base}/queries",
                "read_only": self.server.read_only,
            },
        )

    def _query(self, method: str, params: dict[str, list[str]]) -> None:
        if method in ("GET", "HEAD"):
            form = params
        elif method == "POST":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            body = self._body(MAX_QUERY_BYTES)
            if ctype == "application/x-www-form-urlencoded":
                form = {**params, **parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)}
            elif ctype == "application/sparql-query":
                form = {**params, "query": [body.decode("utf-8", "replace")]}
            elif ctype == "application/sparql-update":
                form = {**params, "update": [""]}
            else:
                raise _HttpError(415, f"不支持的 Content-Type “{ctype}” (use application/x-www-form-urlencoded or application/sparql-query)")
        else:
            raise _HttpError(405, "查询只支持 GET 和 POST (queries: GET or POST)")
        if "update" in form:
            if self.server.read_only:
                raise _HttpError(403, READ_ONLY_MESSAGE)
            raise _HttpError(400, "更新请发往 /update (send updates to /update)")
        if "query" in form:
            text = form["query"][-1]
            if "name" in form:
                raise _HttpError(400, "query 与 name 只能给一个 (give either query= or name=)")
            return self._answer(text, form)
        if "name" in form:
            return self._named(method, form["name"][-1], form)
        raise _HttpError(400, f"缺少 query= 或 name= 参数 (missing query= or name=); 命名查询见 (named queries) {self.server.url}/queries")

    def _named(self, method: str, name: str, params: dict[str, list[str]]) -> None:
        if method not in ("GET", "HEAD", "POST"):
            raise _HttpError(405, "只支持 GET 和 POST (only GET and POST)")
        known = named_queries()
        if name.endswith(".rq") and name[:-3] in known:
            _n, text = load_query(name[:-3])
            return self._send(200, text.encode("utf-8"), "application/sparql-query; charset=utf-8")
        if name not in known:
            raise _HttpError(404, f"未知的命名查询 “{name}” (unknown named query); 可用 (known): {', '.join(known)}")
        bindings = {k: v[-1] for k, v in params.items() if k not in _RESERVED and v and v[-1] != ""}
        _name, text = bound_query(name, bindings, store=self.server.store)
        self._answer(text, params)

    def _answer(self, text: str, params: dict[str, list[str]]) -> None:
        options: dict = {}
        if params.get("default-graph-uri"):
            options["default_graph"] = [_iri(u) for u in params["default-graph-uri"]]
            options["use_default_graph_as_union"] = False
        if params.get("named-graph-uri"):
            options["named_graphs"] = [_iri(u) for u in params["named-graph-uri"]]
        override = (params.get("format") or [None])[-1]
        result = run_ox(self.server.store, text, **options)
        graph = isinstance(result, ox.QueryTriples)
        key = negotiate(self.headers.get("Accept"), override, graph=graph)
        if key is None:
            offered = ", ".join(f.media_type for f in (GRAPH_FORMATS if graph else RESULT_FORMATS).values())
            raise _HttpError(406, f"无法提供所要求的格式 (not acceptable); 可用 (available): {offered}")
        fmt = GRAPH_FORMATS[key] if graph else RESULT_FORMATS[key]
        body = result.serialize(format=fmt)
        self._send(200, body, _media_type(key, graph=graph))

    def _list(self, method: str) -> None:
        if method not in ("GET", "HEAD"):
            raise _HttpError(405, "只支持 GET (only GET)")
        out = []
        for name, path in named_queries().items():
            text = path.read_text(encoding="utf-8-sig")
            info = query_info(text)
            out.append(
                {
                    "name": name,
                    "title": info.get("title", ""),
                    "description": info.get("description", ""),
                    "params": query_params(text),
                    "url": f"{self.server.url}/queries/{quote(name)}",
                    "sparql": f"{self.server.url}/queries/{quote(name)}.rq",
                }
            )
        self._json(200, {"queries": out})

    def _update(self, method: str, params: dict[str, list[str]]) -> None:
        if method != "POST":
            raise _HttpError(405, "更新只支持 POST (updates: POST only)")
        if self.server.read_only:
            raise _HttpError(403, READ_ONLY_MESSAGE)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body = self._body(MAX_QUERY_BYTES).decode("utf-8", "replace")
        if ctype == "application/x-www-form-urlencoded":
            form = parse_qs(body, keep_blank_values=True)
            if "update" not in form:
                raise _HttpError(400, "缺少 update= 参数 (missing update=)")
            text = form["update"][-1]
        elif ctype == "application/sparql-update":
            text = body
        else:
            raise _HttpError(415, f"不支持的 Content-Type “{ctype}” (use application/sparql-update)")
        try:
            self.server.store.update(text)
        except SyntaxError as exc:
            raise _HttpError(400, f"SPARQL 更新无法解析: {str(exc).splitlines()[0]} (update does not parse)") from exc
        self._send(204, b"", "text/plain; charset=utf-8")

    def _store(self, method: str, params: dict[str, list[str]]) -> None:
        store = self.server.store
        if "graph" in params and "default" in params:
            raise _HttpError(400, "graph= 与 default 只能给一个 (give graph= or default, not both)")
        target = ox.DefaultGraph() if "default" in params else (_iri(params["graph"][-1]) if "graph" in params else None)
        if method in ("GET", "HEAD"):
            key = negotiate(self.headers.get("Accept"), (params.get("format") or [None])[-1], graph=True)
            if key is None:
                raise _HttpError(406, "无法提供所要求的格式 (not acceptable); 可用 (available): " + ", ".join(f.media_type for f in GRAPH_FORMATS.values()))
            if target is None and not GRAPH_FORMATS[key].supports_datasets:
                key = "nquads"  # the whole dataset needs a quad format
            if isinstance(target, ox.NamedNode) and not store.contains_named_graph(target):
                raise _HttpError(404, f"没有这个图 <{target.value}> (no such graph)")
            fmt = GRAPH_FORMATS[key]
            body = store.dump(format=fmt, from_graph=target) if target is not None else store.dump(format=fmt)
            return self._send(200, body, _media_type(key, graph=True))
        if method not in ("PUT", "POST", "DELETE"):
            raise _HttpError(405, "图存储协议: GET, PUT, POST, DELETE")
        if self.server.read_only:
            raise _HttpError(403, READ_ONLY_MESSAGE)
        if method == "DELETE":
            if target is None:
                raise _HttpError(400, "需要 ?graph=IRI 或 ?default (graph= or default required)")
            if isinstance(target, ox.NamedNode) and not store.contains_named_graph(target):
                raise _HttpError(404, f"没有这个图 <{target.value}> (no such graph)")
            store.remove_graph(target)
            return self._send(204, b"", "text/plain; charset=utf-8")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        key = _GRAPH_ALIASES.get(ctype)
        if key is None:
            raise _HttpError(415, f"不支持的 Content-Type “{ctype}” (use text/turtle, application/n-triples, application/n-quads …)")
        fmt = GRAPH_FORMATS[key]
        if target is None and not fmt.supports_datasets:
            raise _HttpError(400, "需要 ?graph=IRI 或 ?default,或上传 N-Quads/TriG (graph= or default required for triples)")
        body = self._body(MAX_UPLOAD_BYTES)
        existed = target is None or isinstance(target, ox.DefaultGraph) or store.contains_named_graph(target)
        try:
            parsed = list(ox.parse(input=body, format=fmt))
        except (SyntaxError, ValueError) as exc:
            raise _HttpError(400, f"无法解析上传的 RDF: {str(exc).splitlines()[0]} (cannot parse the upload)") from exc
        quads = parsed if target is None else [ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]
        if method == "PUT" and target is not None:
            store.remove_graph(target)
        store.extend(quads)
        self._send(204 if existed else 201, b"", "text/plain; charset=utf-8")


def _iri(value: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise _HttpError(400, f"不是合法的 IRI: {value!r} (invalid IRI)") from exc


# ---------------------------------------------------------------- push


@dataclass(frozen=True)
class PushedGraph:
    """One graph sent: its IRI (or ``"default"``), triples, bytes, HTTP method and status."""

    graph: str
    triples: int
    bytes: int
    method: str
    status: int


@dataclass(frozen=True)
class PushResult:
    """What :func:`push` sent where."""

    endpoint: str
    graphs: tuple[PushedGraph, ...]
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)

    def as_dict(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "triples": self.triples,
            "graphs": [asdict(g) for g in self.graphs],
        }


def auth_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, str] | str | None:
    """Credentials for :func:`push` from the environment: ``XUNSHI_SPARQL_TOKEN`` (sent as
    ``Bearer``), else ``XUNSHI_SPARQL_USER`` + ``XUNSHI_SPARQL_PASSWORD`` (HTTP Basic), else
    ``None``."""
    env = os.environ if environ is None else environ
    if env.get("XUNSHI_SPARQL_TOKEN"):
        return f"Bearer {env['XUNSHI_SPARQL_TOKEN']}"
    if env.get("XUNSHI_SPARQL_USER"):
        return (env["XUNSHI_SPARQL_USER"], env.get("XUNSHI_SPARQL_PASSWORD", ""))
    return None


def gsp_url(endpoint: str, graph_iri: str | None) -> str:
    """``{endpoint}?graph=<IRI, percent-encoded>`` or ``{endpoint}?default`` (an existing
    query string on the endpoint is kept)."""
    parts = urlsplit(endpoint)
    extra = urlencode({"graph": graph_iri}, quote_via=quote) if graph_iri else "default"
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _payloads(graph_or_dir, graph_iri: str | None, with_ontology: bool) -> list[tuple[str | None, bytes, int]]:
    """(target graph IRI or None for the default graph, N-Triples bytes, triples) to send."""
    if isinstance(graph_or_dir, Graph):
        nt = NTriples()
        lines = [nt.line(s, p, o) for s, p, o in graph_or_dir.triples((None, None, None))]
        if with_ontology:
            for name in ("xunshi.ttl", "themes.ttl"):
                for q in ox.parse(path=str(ontology_dir() / name), format=ox.RdfFormat.TURTLE):
                    lines.append(f"{q.subject} {q.predicate} {q.object} .")
        lines = sorted(set(lines))
        return [(graph_iri, ("\n".join(lines) + "\n").encode("utf-8"), len(lines))]
    path = Path(graph_or_dir)
    if is_store(path):
        store = open_store(path, read_only=True)
        try:
            names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
            dumps = [(name, store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))) for name in names]
        finally:
            del store
        if graph_iri is not None:  # everything into one graph
            merged = sorted({line for _n, data in dumps for line in data.decode("utf-8").splitlines() if line})
            return [(graph_iri, ("\n".join(merged) + "\n").encode("utf-8"), len(merged))]
        return [(name, data, data.count(b"\n")) for name, data in dumps]
    store = memory_store(path, with_ontology=with_ontology)
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    return [(graph_iri, data, data.count(b"\n"))]


def _opener(url: str) -> urllib.request.OpenerDirector:
    """An opener that ignores proxy settings for loopback hosts (as curl's no_proxy would)."""
    host = urlsplit(url).hostname or ""
    if is_loopback(host):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _auth_header(auth) -> str | None:
    if auth is None:
        return None
    if isinstance(auth, str):
        return auth
    user, password = auth
    token = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")
    return f"Basic {token}"


def push(
    graph_or_dir: Graph | str | Path,
    endpoint: str,
    *,
    graph_iri: str | None = None,
    auth: tuple[str, str] | str | None = None,
    timeout: float = 60,
    replace: bool = True,
    with_ontology: bool = False,
) -> PushResult:
    """Load a graph into a SPARQL 1.1 Graph Store Protocol endpoint.

    ``graph_or_dir``: an rdflib graph; a graph folder or file (what ``xunshi query --graph``
    reads); or a store folder (each named graph — one per document, corpus, ontology — is
    sent to the same graph IRI on the server, unless ``graph_iri`` merges them into one).
    ``endpoint`` is the server's Graph Store URL, e.g. Oxigraph ``http://127.0.0.1:7878/store``,
    Fuseki ``http://host:3030/DATASET/data``, GraphDB
    ``http://host:7200/repositories/REPO/rdf-graphs/service``. ``graph_iri=None`` targets the
    default graph. ``replace`` sends ``PUT`` (the graph is replaced), else ``POST`` (added).
    ``auth``: ``(user, password)`` for HTTP Basic, or a whole ``Authorization`` value such
    as ``"Bearer …"`` (see :func:`auth_from_env`). ``with_ontology`` adds the ontology and
    themes (status labels) to a graph or folder, as ``xunshi query`` sees them.

    Failures raise :class:`EndpointError` (E085–E089) naming the graph and the HTTP status.
    """
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError("E085", f"端点地址无效: {endpoint!r} (endpoint must be an http(s) URL)")
    if parts.username or parts.password:
        raise EndpointError("E085", "端点地址中不要写用户名密码;请用 XUNSHI_SPARQL_USER/XUNSHI_SPARQL_PASSWORD (no credentials in the URL)")
    t0 = time.perf_counter()
    payloads = _payloads(graph_or_dir, graph_iri, with_ontology)
    method = "PUT" if replace else "POST"
    header = _auth_header(auth)
    opener = _opener(endpoint)
    sent = []
    for target, data, n in payloads:
        url = gsp_url(endpoint, target)
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/n-triples")
        req.add_header("Accept", "*/*")
        if header:
            req.add_header("Authorization", header)
        label = target or "default"
        try:
            with opener.open(req, timeout=timeout) as resp:
                resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raise _http_failure(exc, endpoint, label) from exc
        except (TimeoutError, socket.timeout) as exc:
            raise EndpointError("E089", f"推送 {label} 到 {endpoint} 超时 ({timeout} s) (timed out; raise --timeout)") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise EndpointError("E089", f"推送 {label} 到 {endpoint} 超时 ({timeout} s) (timed out; raise --timeout)") from exc
            raise EndpointError("E085", f"无法连接 {endpoint}: {exc.reason} (cannot reach the endpoint; is the server running?)") from exc
        except (ConnectionError, OSError) as exc:
            raise EndpointError("E085", f"无法连接 {endpoint}: {exc} (cannot reach the endpoint; is the server running?)") from exc
        sent.append(PushedGraph(label, n, len(data), method, status))
    return PushResult(endpoint, tuple(sent), time.perf_counter() - t0)


def _http_failure(exc: urllib.error.HTTPError, endpoint: str, label: str) -> EndpointError:
    """A coded error for an HTTP error status from a Graph Store endpoint."""
    try:
        detail = exc.read(400).decode("utf-8", "replace").strip().splitlines()
    except Exception:  # the body is only a hint; the status is the error
        detail = []
    hint = f"; 服务器说 (server said): {detail[0][:200]}" if detail else ""
    status = exc.code
    where = f"推送 {label} 到 {endpoint} 失败: HTTP {status}"
    if status in (401, 403):
        return EndpointError(
            "E086", f"{where} (refused: check XUNSHI_SPARQL_USER/XUNSHI_SPARQL_PASSWORD or XUNSHI_SPARQL_TOKEN, or the endpoint is read-only){hint}", status
        )
    if status in (404, 405, 415):
        return EndpointError(
            "E087",
            f"{where} (not a Graph Store endpoint? Oxigraph: …/store, Fuseki: …/DATASET/data, GraphDB: …/repositories/REPO/rdf-graphs/service){hint}",
            status,
        )
    if status == 413:
        return EndpointError("E088", f"{where} (payload too large for the server: push a store folder, one graph per document){hint}", status)
    return EndpointError("E088", f"{where}{hint}", status)
