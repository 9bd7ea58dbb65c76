"""Saved questions are portable SPARQL 1.1: rdflib, over the store's default
graph as `ttkg dump` writes it, gives the answers ttkg gives.

Usage: rdflib_answers.py DUMP.nt QUERIES_DIR ANSWERS_DIR
ANSWERS_DIR holds NAME.csv, ttkg's own answer to each question to check.
Numbers are compared as numbers (rdflib writes 5.90 where ttkg writes 5.9).
"""
import csv
import os
import sys
from decimal import Decimal, InvalidOperation

import rdflib

dump, queries, answers = sys.argv[1:4]
graph = rdflib.Graph()
graph.parse(dump, format="nt")
PREFIXES = "".join(
    f"PREFIX {p}: <{ns}>\n"
    for p, ns in [
        ("ttkg", "https://w3id.org/ttkg/ontology#"),
        ("org", "http://www.w3.org/ns/org#"),
        ("prov", "http://www.w3.org/ns/prov#"),
        ("schema", "https://schema.org/"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("dcterms", "http://purl.org/dc/terms/"),
        ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
        ("owl", "http://www.w3.org/2002/07/owl#"),
    ]
)


def cell(value):
    try:
        return Decimal(value).normalize()
    except (InvalidOperation, ValueError):
        return value


checked = 0
for answer in sorted(os.listdir(answers)):
    name = answer.removesuffix(".csv")
    with open(os.path.join(queries, name + ".rq"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(answers, answer), encoding="utf-8", newline="") as f:
        expected = sorted(tuple(map(cell, row)) for row in list(csv.reader(f))[1:])
    got = sorted(
        tuple(cell("" if v is None else str(v)) for v in row) for row in graph.query(PREFIXES + text)
    )
    assert got == expected, f"{name}: rdflib {len(got)} rows, ttkg {len(expected)}\n{got[:5]}\n{expected[:5]}"
    checked += 1
    print(f"{name}: {len(got)} rows alike")
print(f"rdflib agrees on {checked} saved questions")
