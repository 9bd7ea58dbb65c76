"""An analyst's Python client: SPARQLWrapper against `ttkg serve`.

Usage: sparqlwrapper_client.py ENDPOINT
Prints what it read; exits non-zero if an answer is not the article's.
"""
import sys

from SPARQLWrapper import CSV, JSON, POST, SPARQLWrapper

endpoint = sys.argv[1]
PREFIX = "PREFIX ttkg: <https://w3id.org/ttkg/ontology#>\n"


def select(query, method=None):
    client = SPARQLWrapper(endpoint)
    client.setQuery(PREFIX + query)
    client.setReturnFormat(JSON)
    if method:
        client.setMethod(method)
    return client.queryAndConvert()["results"]["bindings"]


agreements = int(select("SELECT (COUNT(?a) AS ?n) WHERE { ?a a ttkg:Agreement }")[0]["n"]["value"])
members = int(
    select("SELECT (COUNT(?m) AS ?n) WHERE { ?m a ttkg:NetworkMembership }", POST)[0]["n"]["value"]
)
print(f"agreements {agreements}")
print(f"members {members}")
assert agreements == 393, agreements
assert members == 1763, members

client = SPARQLWrapper(endpoint)
client.setQuery(PREFIX + "ASK { ?a a ttkg:Agreement }")
client.setReturnFormat(JSON)
assert client.queryAndConvert()["boolean"] is True

client = SPARQLWrapper(endpoint)
client.setQuery(PREFIX + "SELECT ?code WHERE { ?c ttkg:isoCode ?code } ORDER BY ?code LIMIT 3")
client.setReturnFormat(CSV)
rows = client.queryAndConvert().decode("utf-8").splitlines()
print("csv", rows)
assert rows[0] == "code" and len(rows) == 4, rows

# Every return format SPARQLWrapper offers, for each kind of query, with its
# defaults (it adds format=... to the URL, and an Accept header).
from SPARQLWrapper import JSONLD, N3, RDF, RDFXML, TSV, TURTLE, XML  # noqa: E402

SELECT = "SELECT ?code WHERE { ?c ttkg:isoCode ?code } ORDER BY ?code LIMIT 2"
ASK = "ASK { ?a a ttkg:Agreement }"
CONSTRUCT = "CONSTRUCT { ?c ttkg:isoCode ?code } WHERE { ?c ttkg:isoCode ?code } LIMIT 2"
DESCRIBE = "DESCRIBE ?c WHERE { ?c ttkg:isoCode \"VN\" }"


def ask_in(query, return_format):
    client = SPARQLWrapper(endpoint)
    client.setQuery(PREFIX + query)
    client.setReturnFormat(return_format)
    return client.query()


def text_of(converted):
    if isinstance(converted, bytes):
        return converted.decode("utf-8")
    if hasattr(converted, "toxml"):  # an XML document (xml.dom.minidom)
        return converted.toxml()
    if hasattr(converted, "serialize"):  # an rdflib graph
        out = converted.serialize(format="nt")
        return out if isinstance(out, str) else out.decode("utf-8")
    return str(converted)


checked = 0
for name, query in (("SELECT", SELECT), ("ASK", ASK)):
    for return_format in (JSON, XML, CSV, TSV):
        result = ask_in(query, return_format)
        said = text_of(result.convert())
        expected = "true" if name == "ASK" else "code"
        assert expected in said.lower(), (name, return_format, said[:300])
        checked += 1
for name, query in (("CONSTRUCT", CONSTRUCT), ("DESCRIBE", DESCRIBE)):
    for return_format in (XML, RDFXML, RDF, TURTLE, N3, JSONLD, JSON):
        result = ask_in(query, return_format)
        said = text_of(result.convert())
        assert "isoCode" in said, (name, return_format, result.response.headers.get("Content-Type"), said[:300])
        checked += 1
print(f"return formats {checked}")

# rdflib's SPARQLStore, as notebooks use it.
from rdflib import Graph  # noqa: E402
from rdflib.plugins.stores.sparqlstore import SPARQLStore  # noqa: E402

graph = Graph(store=SPARQLStore(endpoint, returnFormat="xml"))
codes = sorted(str(row[0]) for row in graph.query(PREFIX + SELECT))
assert len(codes) == 2 and all(len(c) == 2 for c in codes), codes
assert graph.query(PREFIX + ASK).askAnswer is True
constructed = graph.query(PREFIX + CONSTRUCT).graph
assert len(constructed) == 2, len(constructed)
json_store = Graph(store=SPARQLStore(endpoint, returnFormat="json"))
assert sorted(str(row[0]) for row in json_store.query(PREFIX + SELECT)) == codes
print("rdflib SPARQLStore", codes)
