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
