"""Bulk-loads an N-Triples file into a new pyoxigraph 0.5 store (RocksDB on
disk), as a user of Morph-KGC would make its output query-ready.

    python pyoxigraph-load.py STORE FILE
"""
import sys

from pyoxigraph import RdfFormat, Store

store_path, file_path = sys.argv[1], sys.argv[2]
store = Store(store_path)
store.bulk_load(path=file_path, format=RdfFormat.N_TRIPLES)
store.flush()
print(f"{len(store)} triples loaded")
