//! The default graph questions see is the union of the named graphs,
//! merged as they read it (each fact once, see vendor/README.md): ttkg
//! stores each fact once, in its source's graph, and nothing in the
//! default graph itself.
//!
//! Stores written by earlier versions kept a materialised copy of the union
//! there, every fact twice, and their dumps carry it. Such a copy adds
//! nothing the union does not have, but it would keep a fact its reports
//! no longer state, so a store opened for writing, or loaded, loses it once
//! it is known to be a copy. A default graph that states facts of its own
//! (a `ttkg load` of another dataset) is kept and answered with the union.

use oxigraph::model::GraphNameRef;
use oxigraph::sparql::QueryResults;

use crate::error::GraphError;
use crate::store::{evaluator, KnowledgeStore};

impl KnowledgeStore {
    /// Whether the store's own default graph holds nothing, so that the
    /// default graph questions see is exactly the union of the named graphs.
    pub fn stored_default_graph_is_empty(&self) -> Result<bool, GraphError> {
        let first = self
            .store()
            .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
            .next()
            .transpose()?;
        Ok(first.is_none())
    }

    /// Removes a stored default graph that only repeats the named graphs
    /// (see the module): at once when the write stamps say every write of
    /// their epoch kept it the union, else after a question has found that
    /// no fact of it is missing from the named graphs.
    pub(crate) fn settle_default_graph(&self) -> Result<(), GraphError> {
        if self.stored_default_graph_is_empty()? {
            return Ok(());
        }
        let known_copy = self.graph_stamps()?.is_some_and(|s| s.union_kept());
        if !known_copy {
            tracing::info!("checking that the store's default graph only repeats its named graphs (once, for a store written by an earlier version or loaded from its dump)");
        }
        if known_copy || self.stored_default_graph_repeats_named_graphs()? {
            tracing::info!("removing the store's copy of the default graph: questions answer the default graph as the union of the named graphs, each fact stored once");
            self.store().clear_graph(GraphNameRef::DefaultGraph)?;
        } else {
            tracing::warn!("the store's default graph states facts that no named graph does (a `ttkg load` of another dataset?): they are kept, questions see them with the union of the named graphs, and no question is answered from the columnar copy");
        }
        Ok(())
    }

    /// Whether every fact of the stored default graph is in a named graph.
    fn stored_default_graph_repeats_named_graphs(&self) -> Result<bool, GraphError> {
        // The query's own dataset: the stored default graph, not the union.
        let results = evaluator(None)
            .parse_query("ASK { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }")?
            .on_store(self.store())
            .execute()?;
        match results {
            QueryResults::Boolean(stray) => Ok(!stray),
            _ => Err(GraphError::Io(
                "an ASK question gave no yes or no".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use oxigraph::io::RdfFormat;

    use super::*;

    const NAMED: &str = "<urn:a> <urn:p> \"1\" <urn:g1> .\n<urn:a> <urn:p> \"2\" <urn:g2> .\n";
    const COPY: &str = "<urn:a> <urn:p> \"1\" .\n<urn:a> <urn:p> \"2\" .\n";

    fn count(store: &KnowledgeStore) -> Option<String> {
        store
            .select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            .unwrap()[0][0]
            .clone()
    }

    #[test]
    fn a_loaded_copy_of_the_union_goes_and_a_default_graph_of_its_own_stays() {
        // An earlier version's dump: the named graphs and their union.
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        store
            .bulk_load(format!("{NAMED}{COPY}").as_bytes(), RdfFormat::NQuads)
            .unwrap();
        assert!(store.stored_default_graph_is_empty().unwrap());
        assert_eq!(count(&store).as_deref(), Some("2"));
        assert_eq!(store.len().unwrap(), 2);

        // A fact the named graphs do not state: kept, and seen once.
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        let own = format!("{NAMED}{COPY}<urn:b> <urn:p> \"3\" .\n");
        store.bulk_load(own.as_bytes(), RdfFormat::NQuads).unwrap();
        assert!(!store.stored_default_graph_is_empty().unwrap());
        assert_eq!(count(&store).as_deref(), Some("3"));
        drop(store);
        // Opened again, it is still kept.
        let store = KnowledgeStore::open(dir.path()).unwrap();
        assert_eq!(count(&store).as_deref(), Some("3"));
        assert_eq!(store.len().unwrap(), 5);
    }

    #[test]
    fn a_store_that_kept_the_union_loses_its_copy_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = KnowledgeStore::open(dir.path()).unwrap();
            // As an earlier version wrote: each fact in its graph and in
            // the default graph, with stamps that say so.
            store
                .replace_graph(&oxigraph::model::NamedNode::new_unchecked("urn:g1"), &[])
                .unwrap();
            let copy: Vec<_> = oxigraph::io::RdfParser::from_format(RdfFormat::NQuads)
                .for_reader(format!("{NAMED}{COPY}").as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
            store.store().extend(copy).unwrap();
            assert!(store.graph_stamps().unwrap().unwrap().union_kept());
        }
        let store = KnowledgeStore::open(dir.path()).unwrap();
        assert!(store.stored_default_graph_is_empty().unwrap());
        assert_eq!(count(&store).as_deref(), Some("2"));
    }
}
