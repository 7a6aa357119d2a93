"""The SPARQL endpoint (pipeline.serve) and push to a Graph Store: only loopback addresses,
bounded timeouts, every server and process stopped by the test that started it."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

pytest.importorskip("SPARQLWrapper")
from SPARQLWrapper import JSON, POST, SPARQLWrapper  # noqa: E402
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed  # noqa: E402

from pipeline.cli import main as xunshi  # noqa: E402
from pipeline.query import load_query, named_queries  # noqa: E402
from pipeline.serve import EndpointError, is_loopback, make_server, negotiate, push, serve  # noqa: E402
from pipeline.store import bound_query, read_manifest, write_store  # noqa: E402

HOST = "127.0.0.1"
TIMEOUT = 30  # seconds, for every HTTP call in this file

# Named queries compared with `xunshi query`, with parameters.
CASES = [
    ("unfinished", {}),
    ("unit-problems", {"unit_label": "岳麓高新区"}),
    ("bulletins", {}),
    ("policies", {"policy_label": "招商工作指引"}),
]


# ---------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=TIMEOUT) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def send(url: str, method: str, data: bytes, ctype: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": ctype})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=TIMEOUT) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def concat_columns(text: str) -> dict[str, str]:
    import re

    pat = re.compile(r'GROUP_CONCAT\s*\(.*?separator\s*=\s*"([^"]*)"\s*\)\s*AS\s*\?(\w+)', re.S | re.I)
    return {var: sep for sep, var in pat.findall(text)}


def norm_rows(doc: dict, name: str) -> list[dict]:
    """SPARQL JSON bindings in a comparable form: numbers by value, GROUP_CONCAT values as
    sorted parts (their order is the engine's), ``typed-literal`` as ``literal``."""
    cols = concat_columns(load_query(name)[1])
    out = []
    for b in doc["results"]["bindings"]:
        row = {}
        for var in doc["head"]["vars"]:
            cell = b.get(var)
            if var in cols and (cell is None or cell["value"] == ""):
                row[var] = ("concat", ())
                continue
            if cell is None:
                continue
            kind = "literal" if cell["type"] in ("literal", "typed-literal") else cell["type"]
            value = cell["value"]
            dt = cell.get("datatype")
            if dt and dt.rsplit("#", 1)[-1] in ("decimal", "integer", "double", "float"):
                try:
                    value = Decimal(value)
                except InvalidOperation:
                    pass
            if var in cols:
                value = tuple(sorted(value.split(cols[var])))
            row[var] = (kind, value, cell.get("xml:lang"), None if dt and dt.endswith("#string") else dt)
        out.append(row)
    return out


def xunshi_rows(graph_dir: Path, name: str, bindings: dict, capsys) -> list[dict]:
    """What `xunshi query NAME --graph DIR -f json --bind k=v` prints."""
    argv = ["query", name, "--graph", str(graph_dir), "-f", "json"]
    for k, v in bindings.items():
        argv += ["--bind", f"{k}={v}"]
    capsys.readouterr()
    assert xunshi(argv) == 0
    return norm_rows(json.loads(capsys.readouterr().out), name)


def sparqlwrapper_rows(query_url: str, name: str, bindings: dict) -> list[dict]:
    """The same named query sent with SPARQLWrapper, parameters bound in the text (VALUES)."""
    client = SPARQLWrapper(query_url)
    client.setTimeout(TIMEOUT)
    client.setReturnFormat(JSON)
    # Comments stripped: SPARQLWrapper sniffs the query form and reads "… is loaded" as LOAD.
    client.setQuery(bound_query(name, bindings, keep_comments=False)[1])
    return norm_rows(client.query().convert(), name)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def graph_dir(sample_build) -> Path:
    work, _ = sample_build
    return work / "graphs"


@pytest.fixture(scope="module")
def endpoint(graph_dir):
    """The read-only endpoint over the sample build, on a free loopback port."""
    server = make_server(graph_dir, HOST, 0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def oxigraph_server(tmp_path):
    """A real Oxigraph server process (the `oxigraph` wheel on PyPI ships it), stopped after."""
    exe = Path(sys.executable).parent / "oxigraph"
    binary = str(exe) if exe.is_file() else shutil.which("oxigraph")
    if not binary:
        pytest.skip("oxigraph server binary not installed (pip install oxigraph)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "oxigraph-db"), "--bind", f"{HOST}:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode("utf-8", "replace") if proc.poll() is not None else "timeout"
                    pytest.fail(f"oxigraph server did not start: {err[:500]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        proc.stderr.close()


# ---------------------------------------------------------------- the endpoint


@pytest.mark.parametrize("name,bindings", CASES, ids=[c[0] for c in CASES])
def test_endpoint_rows_equal_xunshi_query(name, bindings, endpoint, graph_dir, capsys):
    expected = xunshi_rows(graph_dir, name, bindings, capsys)
    assert expected
    assert sparqlwrapper_rows(f"{endpoint.url}/query", name, bindings) == expected
    # the same named query by name, parameters in the URL
    qs = urllib.parse.urlencode(bindings)
    for url in (f"{endpoint.url}/queries/{name}?{qs}", f"{endpoint.url}/query?name={name}&{qs}"):
        status, ctype, body = get(url, "application/sparql-results+json")
        assert status == 200 and ctype.startswith("application/sparql-results+json")
        assert norm_rows(json.loads(body), name) == expected


def test_post_forms_of_the_protocol(endpoint):
    q = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a xs:Problem }"
    status, body = send(f"{endpoint.url}/query", "POST", urllib.parse.urlencode({"query": q}).encode(), "application/x-www-form-urlencoded")
    assert status == 200 and json.loads(body)["results"]["bindings"][0]["n"]["value"] == "141"
    status, body = send(f"{endpoint.url}/query", "POST", q.encode(), "application/sparql-query")
    assert status == 200 and json.loads(body)["results"]["bindings"][0]["n"]["value"] == "141"


def test_result_formats_by_accept_header(endpoint):
    url = f"{endpoint.url}/queries/bulletins"
    status, ctype, body = get(url, "text/csv")
    assert status == 200 and ctype.startswith("text/csv") and body.decode().startswith("bulletin,title,")
    status, ctype, body = get(url, "text/tab-separated-values")
    assert status == 200 and body.decode().startswith("?bulletin\t?title")
    status, ctype, body = get(url, "application/sparql-results+xml")
    assert status == 200 and b"<sparql" in body
    status, ctype, _ = get(url, "text/html,application/xhtml+xml,*/*;q=0.8")  # a browser
    assert status == 200 and ctype.startswith("application/sparql-results+json")
    status, _, body = get(url, "text/html")
    assert status == 406 and "not acceptable" in body.decode()
    status, ctype, _ = get(url + "?format=tsv", "application/json")
    assert status == 200 and ctype.startswith("text/tab-separated-values")
    q = urllib.parse.quote("CONSTRUCT { ?b a xs:Bulletin } WHERE { ?b a xs:Bulletin }")
    status, ctype, body = get(f"{endpoint.url}/query?query={q}", "text/turtle")
    assert status == 200 and ctype.startswith("text/turtle") and b"Bulletin" in body


def test_named_query_listing(endpoint):
    status, _, body = get(f"{endpoint.url}/queries")
    listed = json.loads(body)["queries"]
    assert status == 200 and [q["name"] for q in listed] == list(named_queries())
    unit = next(q for q in listed if q["name"] == "unit-problems")
    assert "unit_label" in unit["params"] and unit["title"]
    status, _, body = get(unit["sparql"])
    assert status == 200 and body.decode("utf-8") == load_query("unit-problems")[1]


def test_read_only_endpoint_refuses_updates(endpoint):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = get(f"{endpoint.url}/query?query={urllib.parse.quote(count)}")[2]
    client = SPARQLWrapper(f"{endpoint.url}/query", updateEndpoint=f"{endpoint.url}/update")
    client.setTimeout(TIMEOUT)
    client.setMethod(POST)
    client.setQuery("INSERT DATA { <urn:x-test:s> <urn:x-test:p> <urn:x-test:o> }")
    with pytest.raises(urllib.error.HTTPError) as info:
        client.query()
    assert info.value.code == 403
    assert "read-only" in info.value.read().decode("utf-8")
    # an update sent to /query, and a Graph Store write, are refused the same way
    upd = urllib.parse.urlencode({"update": "CLEAR ALL"}).encode()
    assert send(f"{endpoint.url}/query", "POST", upd, "application/x-www-form-urlencoded")[0] == 403
    assert send(f"{endpoint.url}/store?default", "PUT", b"<urn:a> <urn:b> <urn:c> .\n", "application/n-triples")[0] == 403
    with pytest.raises(EndpointError, match="E086") as info:
        push(Path(endpoint.source), f"{endpoint.url}/store", timeout=TIMEOUT)
    assert info.value.status == 403
    assert get(f"{endpoint.url}/query?query={urllib.parse.quote(count)}")[2] == before


def test_bad_requests(endpoint):
    client = SPARQLWrapper(f"{endpoint.url}/query")
    client.setTimeout(TIMEOUT)
    client.setReturnFormat(JSON)
    client.setQuery("SELECT ?x WHERE { ?x xs:text }")
    with pytest.raises(QueryBadFormed):
        client.query()
    status, _, body = get(f"{endpoint.url}/queries/no-such-query")
    assert status == 404 and "unit-problems" in body.decode()
    status, _, body = get(f"{endpoint.url}/queries/unit-problems?unitlabel=x")
    assert status == 400 and "unit_label" in body.decode()
    assert get(f"{endpoint.url}/query")[0] == 400
    assert get(f"{endpoint.url}/nowhere")[0] == 404


def test_serve_runs_until_stopped(graph_dir):
    ready, stop = threading.Event(), threading.Event()
    port = free_port()
    thread = threading.Thread(target=serve, args=(graph_dir, HOST, port), kwargs={"ready": ready, "stop": stop}, daemon=True)
    thread.start()
    try:
        assert ready.wait(TIMEOUT)
        status, _, body = get(f"http://{HOST}:{port}/")
        assert status == 200 and json.loads(body)["read_only"] is True
        with pytest.raises(EndpointError, match="E084"):
            make_server(graph_dir, HOST, port)  # the port is taken
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive()


# ---------------------------------------------------------------- push


@pytest.mark.parametrize("name,bindings", CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_push_to_an_oxigraph_server_then_query_it(name, bindings, oxigraph_server, graph_dir, capsys):
    result = push(graph_dir, f"{oxigraph_server}/store", with_ontology=True, timeout=TIMEOUT)
    assert [g.graph for g in result.graphs] == ["default"] and result.graphs[0].status in (200, 201, 204)
    assert sparqlwrapper_rows(f"{oxigraph_server}/query", name, bindings) == xunshi_rows(graph_dir, name, bindings, capsys)


def test_push_a_store_keeps_one_graph_per_document(oxigraph_server, sample_build, tmp_path):
    _, report = sample_build
    write_store(report.graph, tmp_path / "store")
    result = push(tmp_path / "store", f"{oxigraph_server}/store", timeout=TIMEOUT)
    expected = {k: v["triples"] for k, v in read_manifest(tmp_path / "store")["graphs"].items()}
    assert {g.graph: g.triples for g in result.graphs} == expected
    client = SPARQLWrapper(f"{oxigraph_server}/query")
    client.setTimeout(TIMEOUT)
    client.setReturnFormat(JSON)
    client.setQuery("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    got = {b["g"]["value"]: int(b["n"]["value"]) for b in client.query().convert()["results"]["bindings"]}
    assert got == expected


def test_push_to_a_writable_endpoint_and_graph_store_round_trip(sample_build, tmp_path):
    _, report = sample_build
    write_store(report.graph, tmp_path / "store")
    server = make_server(tmp_path / "store", HOST, 0, read_only=False)
    server.start()
    try:
        target = "urn:x-test:pushed"
        res = push(report.graph, f"{server.url}/store", graph_iri=target, timeout=TIMEOUT)
        assert res.graphs[0].status == 201 and res.triples == len(report.graph)
        q = urllib.parse.quote(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{target}> {{ ?s ?p ?o }} }}")
        body = get(f"{server.url}/query?query={q}")[2]
        assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == len(report.graph)
        again = push(report.graph, f"{server.url}/store", graph_iri=target, replace=False, timeout=TIMEOUT)
        assert again.graphs[0].method == "POST" and again.graphs[0].status == 204
        status, ctype, body = get(f"{server.url}/store?graph={urllib.parse.quote(target)}", "application/n-triples")
        assert status == 200 and body.count(b"\n") == len(report.graph)
        upd = urllib.parse.urlencode({"update": f"DROP GRAPH <{target}>"}).encode()
        assert send(f"{server.url}/update", "POST", upd, "application/x-www-form-urlencoded")[0] == 204
        assert get(f"{server.url}/store?graph={urllib.parse.quote(target)}")[0] == 404
    finally:
        server.stop()


def test_push_errors_are_coded(graph_dir):
    port = free_port()  # nothing listens there
    with pytest.raises(EndpointError, match="E085"):
        push(graph_dir, f"http://{HOST}:{port}/store", timeout=5)
    with pytest.raises(EndpointError, match="E085"):
        push(graph_dir, "ftp://127.0.0.1/store")
    with pytest.raises(EndpointError, match="E085"):
        push(graph_dir, f"http://user:secret@{HOST}:{port}/store")
    # a server that accepts the connection and never answers: a timeout, not a hang
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen(1)
        url = f"http://{HOST}:{silent.getsockname()[1]}/store"
        t0 = time.monotonic()
        with pytest.raises(EndpointError, match="E089"):
            push(graph_dir, url, timeout=1)
        assert time.monotonic() - t0 < 20


def test_push_to_a_wrong_path_says_what_a_graph_store_url_looks_like(endpoint, graph_dir):
    with pytest.raises(EndpointError, match="E087") as info:
        push(graph_dir, f"{endpoint.url}/nowhere", timeout=TIMEOUT)
    assert info.value.status == 404 and "Fuseki" in str(info.value)


def test_small_helpers():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    assert negotiate("application/sparql-results+xml;q=0.5, text/csv", None, graph=False) == "csv"
    assert negotiate(None, None, graph=True) == "turtle"
    assert negotiate("text/html", None, graph=False) is None


def test_serve_a_store_folder(sample_build, graph_dir, tmp_path, capsys):
    """A store is served from a copy in memory (read-only), with the same rows."""
    _, report = sample_build
    write_store(report.graph, tmp_path / "store")
    server = make_server(tmp_path / "store", HOST, 0)
    server.start()
    try:
        status, _, body = get(f"{server.url}/queries/unfinished", "application/sparql-results+json")
        assert status == 200
        assert norm_rows(json.loads(body), "unfinished") == xunshi_rows(graph_dir, "unfinished", {}, capsys)
        write_store(report.graph + report.graph, tmp_path / "store")  # a rebuild does not disturb it
        assert get(f"{server.url}/queries/bulletins")[0] == 200
    finally:
        server.stop()


def test_a_large_store_is_served_from_disk(sample_build, tmp_path, monkeypatch):
    """Above IN_MEMORY_MAX_TRIPLES (by the manifest) a read-only store is opened on disk, not
    copied into memory: the copy of a 10,000-bulletin store would need ~10 GB."""
    import pipeline.serve as srv

    _, report = sample_build
    write_store(report.graph, tmp_path / "store")
    n = srv.store_triples(tmp_path / "store")
    assert n == sum(g["triples"] for g in read_manifest(tmp_path / "store")["graphs"].values()) > 5000
    probe = "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }"
    copy = srv.open_dataset(tmp_path / "store")  # small: an in-memory copy (writable, detached)
    copy.update(probe)
    monkeypatch.setattr(srv, "IN_MEMORY_MAX_TRIPLES", n - 1)
    disk = srv.open_dataset(tmp_path / "store")
    assert len(disk) == len(copy) - 1
    with pytest.raises((OSError, RuntimeError)):  # pyoxigraph: "only possible on read-write instances"
        disk.update(probe)  # the read-only store on disk itself
