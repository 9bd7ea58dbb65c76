//! Writes that do not come from an import: SPARQL Update and the Graph
//! Store Protocol of `ttkg serve`. They change named graphs only: the
//! default graph is their union, as questions see it.

use std::collections::HashSet;
use std::io::Read;

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName as ModelGraphName, GraphNameRef, NamedNode, Quad, Triple};
use oxigraph::sparql::CancellationToken;
use spargebra::algebra::GraphTarget;
use spargebra::term::{GraphName, GraphNamePattern};
use spargebra::{GraphUpdateOperation, SparqlParser};

use crate::error::GraphError;
use crate::stamps::Written;
use crate::store::{
    evaluator, graph_content, stage_changes, union_by_default, KnowledgeStore, ReplaceStats,
};

/// Why a write was refused before touching the store.
fn refused(message: impl Into<String>) -> GraphError {
    GraphError::WriteRefused(message.into())
}

impl KnowledgeStore {
    /// The triples of `graph` (`None`: the default graph, the union of the
    /// named graphs, every fact once), or `None` when the store has no such
    /// named graph. Fails with [`GraphError::TooLarge`] past `limit` triples.
    pub fn graph_triples(
        &self,
        graph: Option<&NamedNode>,
        limit: usize,
    ) -> Result<Option<Vec<Triple>>, GraphError> {
        let mut triples = Vec::new();
        let mut take = |triple: Triple| {
            if triples.len() == limit {
                return Err(GraphError::TooLarge { limit });
            }
            triples.push(triple);
            Ok(())
        };
        match graph {
            Some(g) => {
                if !self.store().contains_named_graph(g.as_ref())? {
                    return Ok(None);
                }
                let name = GraphNameRef::NamedNode(g.as_ref());
                for quad in self.store().quads_for_pattern(None, None, None, Some(name)) {
                    take(Triple::from(quad?))?;
                }
            }
            None => {
                for triple in self.union_triples()? {
                    take(triple?)?;
                }
            }
        }
        Ok(Some(triples))
    }

    /// Adds `triples` to `graph` (creating it) in one transaction.
    pub fn add_to_graph(
        &self,
        graph: &NamedNode,
        triples: &[Triple],
    ) -> Result<ReplaceStats, GraphError> {
        self.stamp_before_writing(Written::Graphs(&[graph.as_ref()]))?;
        let mut transaction = self.store().start_transaction()?;
        let old = graph_content(&transaction, graph)?;
        let new: HashSet<&Triple> = triples.iter().filter(|t| !old.contains(*t)).collect();
        let added: Vec<&Triple> = new.into_iter().collect();
        let stats = stage_changes(&mut transaction, graph, &added, &[])?;
        transaction.commit()?;
        Ok(stats)
    }

    /// Whether the store has the named graph `graph`.
    pub fn has_graph(&self, graph: &NamedNode) -> Result<bool, GraphError> {
        Ok(self.store().contains_named_graph(graph.as_ref())?)
    }

    /// Runs a SPARQL Update in one transaction. Every operation must name the
    /// graphs it writes (`GRAPH <g>`, `INSERT DATA { GRAPH <g> {…} }`, `DROP
    /// GRAPH <g>`): the default graph is the union of the named graphs and
    /// is kept so here, and `CLEAR ALL`, `LOAD` or a `GRAPH ?g` template are
    /// refused before anything is written.
    pub fn update(&self, sparql: &str) -> Result<ReplaceStats, GraphError> {
        let delta = self.update_delta(sparql, None)?;
        self.apply_delta(&delta)
    }

    /// What the update `sparql` would change, evaluated in a transaction
    /// that is never committed (so that a worker can evaluate it, killably,
    /// on a scratch copy of a snapshot, and the server apply only the
    /// difference with [`Self::apply_delta`]). Refuses what [`Self::update`]
    /// refuses.
    pub fn update_delta(
        &self,
        sparql: &str,
        cancel: Option<CancellationToken>,
    ) -> Result<UpdateDelta, GraphError> {
        crate::nesting::check_nesting(sparql)?;
        let mut parser = SparqlParser::new();
        for (prefix, namespace) in ttkg_vocab::PREFIXES {
            parser = parser
                .with_prefix(*prefix, *namespace)
                .expect("the vocabulary's namespaces are valid IRIs");
        }
        let update = parser.parse_update(sparql)?;
        let graphs = written_graphs(&update.operations)?;
        let mut transaction = self.store().start_transaction()?;
        let before = graphs
            .iter()
            .map(|g| graph_content(&transaction, g))
            .collect::<Result<Vec<_>, _>>()?;
        // An operation's WHERE without USING reads the default graph as
        // questions do: the union of the named graphs.
        #[expect(
            deprecated,
            reason = "oxigraph 0.5 gives an update's datasets only on this type"
        )]
        let update = {
            let mut update = oxigraph::sparql::Update::from(update);
            update
                .using_datasets_mut()
                .for_each(|dataset| union_by_default(dataset, false));
            update
        };
        evaluator(cancel)
            .for_update(update)
            .on_transaction(&mut transaction)
            .execute()
            .map_err(|e| GraphError::Update(e.to_string()))?;
        let mut delta = UpdateDelta::default();
        for (graph, old) in graphs.iter().zip(&before) {
            let new = graph_content(&transaction, graph)?;
            let name = ModelGraphName::NamedNode(graph.clone());
            let quad = |t: &Triple| t.clone().in_graph(name.clone());
            delta
                .added
                .extend(new.iter().filter(|t| !old.contains(*t)).map(quad));
            delta
                .removed
                .extend(old.iter().filter(|t| !new.contains(*t)).map(quad));
            delta.graphs.push(graph.clone());
        }
        // Dropped without a commit: nothing is written here.
        Ok(delta)
    }

    /// Applies what an update changes, in one transaction.
    pub fn apply_delta(&self, delta: &UpdateDelta) -> Result<ReplaceStats, GraphError> {
        let written: Vec<_> = delta.graphs.iter().map(NamedNode::as_ref).collect();
        self.stamp_before_writing(Written::Graphs(&written))?;
        let mut transaction = self.store().start_transaction()?;
        for graph in &delta.graphs {
            transaction.insert_named_graph(graph.as_ref());
        }
        for quad in &delta.added {
            transaction.insert(quad.as_ref());
        }
        for quad in &delta.removed {
            transaction.remove(quad.as_ref());
        }
        transaction.commit()?;
        Ok(ReplaceStats {
            added: delta.added.len(),
            removed: delta.removed.len(),
        })
    }
}

/// What a SPARQL Update changes in the named graphs it writes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UpdateDelta {
    /// The graphs the update writes (created if new, even when empty).
    pub graphs: Vec<NamedNode>,
    pub added: Vec<Quad>,
    pub removed: Vec<Quad>,
}

/// Reads triples in `format` (a triple syntax; quads of a dataset syntax
/// must all be in the default graph).
pub fn parse_triples(reader: impl Read, format: RdfFormat) -> Result<Vec<Triple>, GraphError> {
    let mut triples = Vec::new();
    let reader = crate::entities::guarded(reader, format);
    for quad in RdfParser::from_format(format).for_reader(reader) {
        let quad = quad.map_err(|e| match e.to_string() {
            m if m.contains(crate::entities::REFUSED) => {
                GraphError::WriteRefused(crate::entities::REFUSED.to_owned())
            }
            m => GraphError::Io(m),
        })?;
        if !quad.graph_name.is_default_graph() {
            return Err(refused(format!(
                "the body names the graph {}; send the triples of one graph, and name it with ?graph=",
                quad.graph_name
            )));
        }
        triples.push(quad.into());
    }
    Ok(triples)
}

/// The named graphs an update writes, or why it is refused.
fn written_graphs(operations: &[GraphUpdateOperation]) -> Result<Vec<NamedNode>, GraphError> {
    const DEFAULT: &str = "the default graph is the union of the named graphs and cannot be written directly; put the triples in a named graph (GRAPH <…>)";
    let mut graphs: Vec<NamedNode> = Vec::new();
    let mut add = |graph: &NamedNode| {
        if !graphs.contains(graph) {
            graphs.push(graph.clone());
        }
    };
    let pattern = |graph: &GraphNamePattern| match graph {
        GraphNamePattern::NamedNode(g) => Ok(g.clone()),
        GraphNamePattern::DefaultGraph => Err(refused(DEFAULT)),
        GraphNamePattern::Variable(v) => Err(refused(format!(
            "a template with GRAPH {v} could write any graph; name the graph it writes"
        ))),
    };
    for operation in operations {
        match operation {
            GraphUpdateOperation::InsertData { data } => {
                for quad in data {
                    match &quad.graph_name {
                        GraphName::NamedNode(g) => add(g),
                        GraphName::DefaultGraph => return Err(refused(DEFAULT)),
                    }
                }
            }
            GraphUpdateOperation::DeleteData { data } => {
                for quad in data {
                    match &quad.graph_name {
                        GraphName::NamedNode(g) => add(g),
                        GraphName::DefaultGraph => return Err(refused(DEFAULT)),
                    }
                }
            }
            GraphUpdateOperation::DeleteInsert { delete, insert, .. } => {
                for quad in delete {
                    add(&pattern(&quad.graph_name)?);
                }
                for quad in insert {
                    add(&pattern(&quad.graph_name)?);
                }
            }
            GraphUpdateOperation::Load { .. } => {
                return Err(refused(
                    "LOAD fetches from the network, which the server does not do; send the data with the Graph Store Protocol (PUT or POST /store?graph=…) or run `ttkg load`",
                ))
            }
            GraphUpdateOperation::Create { graph, .. } => add(graph),
            GraphUpdateOperation::Clear { graph, .. } | GraphUpdateOperation::Drop { graph, .. } => {
                match graph {
                    GraphTarget::NamedNode(g) => add(g),
                    GraphTarget::DefaultGraph => return Err(refused(DEFAULT)),
                    GraphTarget::NamedGraphs | GraphTarget::AllGraphs => {
                        return Err(refused(
                            "CLEAR or DROP of ALL or NAMED would remove every imported report; name the graph",
                        ))
                    }
                }
            }
        }
    }
    Ok(graphs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(store: &KnowledgeStore, sparql: &str) -> String {
        store.select(sparql).unwrap()[0][0].clone().unwrap()
    }

    #[test]
    fn updates_keep_the_default_graph_the_union_of_the_named_graphs() {
        let store = KnowledgeStore::in_memory().unwrap();
        store
            .update(
                "INSERT DATA { GRAPH <urn:g1> { <urn:a> <urn:p> 1, 2 } GRAPH <urn:g2> { <urn:a> <urn:p> 2 } }",
            )
            .unwrap();
        let in_default = "SELECT (COUNT(*) AS ?n) WHERE { <urn:a> <urn:p> ?o }";
        assert_eq!(count(&store, in_default), "2");
        // 2 is still stated by g2, so it stays; 1 goes.
        let stats = store
            .update("DELETE WHERE { GRAPH <urn:g1> { <urn:a> <urn:p> ?o } }")
            .unwrap();
        assert_eq!((stats.added, stats.removed), (0, 2));
        assert_eq!(
            store
                .select("SELECT ?o WHERE { <urn:a> <urn:p> ?o }")
                .unwrap(),
            vec![vec![Some("2".to_owned())]]
        );
        store.update("DROP GRAPH <urn:g2>").unwrap();
        assert_eq!(count(&store, in_default), "0");
    }

    #[test]
    fn updates_that_would_write_the_default_graph_or_every_graph_are_refused() {
        let store = KnowledgeStore::in_memory().unwrap();
        for update in [
            "INSERT DATA { <urn:a> <urn:p> 1 }",
            "DELETE WHERE { ?s ?p ?o }",
            "INSERT { GRAPH ?g { <urn:a> <urn:p> 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }",
            "CLEAR ALL",
            "DROP NAMED",
            "LOAD <http://example.com/data.ttl> INTO GRAPH <urn:g>",
        ] {
            let err = store.update(update).unwrap_err();
            assert!(
                matches!(err, GraphError::WriteRefused(_)),
                "{update}: {err}"
            );
        }
        assert!(store.is_empty().unwrap());
    }

    #[test]
    fn graphs_are_added_to_and_read_back() {
        let store = KnowledgeStore::in_memory().unwrap();
        let g = NamedNode::new("urn:g").unwrap();
        let triples =
            parse_triples("<urn:a> <urn:p> 1, 2 .".as_bytes(), RdfFormat::Turtle).unwrap();
        assert_eq!(store.add_to_graph(&g, &triples).unwrap().added, 2);
        assert_eq!(store.add_to_graph(&g, &triples).unwrap().added, 0);
        assert_eq!(store.graph_triples(Some(&g), 10).unwrap().unwrap().len(), 2);
        assert_eq!(store.graph_triples(None, 10).unwrap().unwrap().len(), 2);
        assert!(matches!(
            store.graph_triples(Some(&g), 1),
            Err(GraphError::TooLarge { limit: 1 })
        ));
        assert!(store
            .graph_triples(Some(&NamedNode::new("urn:none").unwrap()), 10)
            .unwrap()
            .is_none());
    }
}
