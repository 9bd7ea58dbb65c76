//! Changes instead of whole graphs. A graph the remote store holds is
//! brought up to date by one update that deletes the triples it no longer
//! has and inserts the new ones, when that update is small: a report with
//! one row corrected sends that row, not its file's whole graph again.
//!
//! The triples to delete are found in what the remote store answers for the
//! graph, not in what the record says was sent, so a graph changed on the
//! remote by someone else is still made equal to the local one. Graphs with
//! blank nodes are sent whole: `DELETE DATA` cannot name a blank node.

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use ttkg_graph::oxigraph::model::{GraphNameRef, Term, Triple};
use ttkg_graph::KnowledgeStore;

use crate::{quads_of, PublishError, Remote, RemoteGraph};

/// The triples to remove from one graph and to add to it.
#[derive(Debug, Default)]
pub(crate) struct Change {
    pub removed: Vec<Triple>,
    pub added: Vec<Triple>,
    /// Their size as N-Triples: what the update carries.
    pub bytes: usize,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }

    /// Adds `triple` to the removed ones; false once the change is larger
    /// than `budget` bytes.
    fn remove(&mut self, triple: Triple, budget: usize) -> bool {
        self.bytes += ntriples_len(&triple);
        self.removed.push(triple);
        self.bytes <= budget
    }

    /// Adds `triple` to the added ones; false once the change is larger
    /// than `budget` bytes.
    fn add(&mut self, triple: Triple, budget: usize) -> bool {
        self.bytes += ntriples_len(&triple);
        self.added.push(triple);
        self.bytes <= budget
    }

    /// The update that makes the change to `target`: `DELETE DATA` then
    /// `INSERT DATA` in one request, which the store applies as one
    /// transaction, and which changes nothing when it is sent again after
    /// its answer was lost.
    pub fn update(&self, target: RemoteGraph) -> String {
        let (open, close) = match target {
            RemoteGraph::Named(iri) => (format!("GRAPH <{iri}> {{\n"), "}\n"),
            RemoteGraph::Default => (String::new(), ""),
        };
        let mut sparql = String::with_capacity(self.bytes + 200);
        for (operation, triples) in [("DELETE", &self.removed), ("INSERT", &self.added)] {
            if triples.is_empty() {
                continue;
            }
            if !sparql.is_empty() {
                sparql.push_str(";\n");
            }
            sparql.push_str(operation);
            sparql.push_str(" DATA {\n");
            sparql.push_str(&open);
            for triple in triples {
                sparql.push_str(&triple.to_string());
                sparql.push_str(" .\n");
            }
            sparql.push_str(close);
            sparql.push_str("}\n");
        }
        sparql
    }
}

fn ntriples_len(triple: &Triple) -> usize {
    // Subject, predicate and object with their spaces and the final " .\n".
    triple.to_string().len() + 3
}

fn has_blank_node(triple: &Triple) -> bool {
    triple.subject.is_blank_node() || matches!(triple.object, Term::BlankNode(_))
}

/// What identifies a triple when two lists are compared: the first 16
/// bytes of its N-Triples' SHA-256.
pub(crate) fn triple_hash(line: &str) -> u128 {
    let hash = Sha256::digest(line.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_be_bytes(first)
}

fn hash_of(triple: &Triple) -> u128 {
    triple_hash(&format!("{triple} .\n"))
}

/// The change that makes the remote `target` equal to the local `graph`,
/// or `None` when it is larger than `budget` bytes, a blank node is on
/// either side, or the remote store's answer was not the whole graph (its
/// count differs from the triples it sent). Holds 16 bytes per local
/// triple and the change itself, never the graph.
pub(crate) fn change_of(
    store: &KnowledgeStore,
    graph: GraphNameRef,
    remote: &Remote,
    target: RemoteGraph,
    budget: usize,
) -> Result<Option<Change>, PublishError> {
    let mut local = HashSet::new();
    for quad in quads_of(store, graph) {
        let triple = Triple::from(quad?);
        if has_blank_node(&triple) {
            return Ok(None);
        }
        local.insert(hash_of(&triple));
    }
    let mut change = Change::default();
    let mut fits = true;
    let read = remote.read_graph(target, &mut |triple| {
        if has_blank_node(&triple) {
            fits = false;
        } else if !local.remove(&hash_of(&triple)) {
            fits = change.remove(triple, budget);
        }
        fits
    })?;
    let Some(read) = read.filter(|_| fits) else {
        return Ok(None);
    };
    // A store that cuts its answers at so many rows (Virtuoso's
    // ResultSetMaxRows) would hide triples that must go.
    let held = remote.count(target)?;
    if held != read {
        tracing::warn!(
            "the remote store sent {read} triples of a graph it counts {held} triples in: it is sent whole"
        );
        return Ok(None);
    }
    if !local.is_empty() {
        for quad in quads_of(store, graph) {
            let triple = Triple::from(quad?);
            if local.contains(&hash_of(&triple)) && !change.add(triple, budget) {
                return Ok(None);
            }
        }
    }
    Ok(Some(change))
}

/// All the triples of the remote `target`, as removed, or `None` past
/// `budget` or with a blank node.
pub(crate) fn remote_all_of(
    remote: &Remote,
    target: RemoteGraph,
    budget: usize,
) -> Result<Option<Change>, PublishError> {
    let mut change = Change::default();
    let mut fits = true;
    let read = remote.read_graph(target, &mut |triple| {
        fits = !has_blank_node(&triple) && change.remove(triple, budget);
        fits
    })?;
    Ok(read.filter(|_| fits).map(|_| change))
}

/// How the copy of the default graph changes with a named graph's
/// `change`: the local default graph is the set union of the named graphs,
/// so a triple added to one is in it, and a triple removed from one leaves
/// it when no named graph states it any more.
pub(crate) fn copy_change(store: &KnowledgeStore, change: &Change) -> Result<Change, PublishError> {
    let mut copy = Change::default();
    let mut seen = HashSet::new();
    for triple in &change.removed {
        // Stated in any graph (the local store's default graph is their
        // union, and not stored).
        let still_stated = store
            .store()
            .quads_for_pattern(
                Some(triple.subject.as_ref()),
                Some(triple.predicate.as_ref()),
                Some(triple.object.as_ref()),
                None,
            )
            .next()
            .transpose()
            .map_err(|e| PublishError::Store(e.into()))?
            .is_some();
        if !still_stated && seen.insert(hash_of(triple)) {
            copy.remove(triple.clone(), usize::MAX);
        }
    }
    seen.clear();
    for triple in &change.added {
        if seen.insert(hash_of(triple)) {
            copy.add(triple.clone(), usize::MAX);
        }
    }
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::update as apply;
    use ttkg_graph::oxigraph::model::{Literal, NamedNode};
    use ttkg_graph::oxigraph::store::Store;

    fn triple(s: &str, o: i64) -> Triple {
        Triple::new(
            NamedNode::new_unchecked(format!("urn:{s}")),
            NamedNode::new_unchecked("urn:p"),
            Literal::from(o),
        )
    }

    /// The update makes the remote graph the local one, and sent again (its
    /// answer lost) changes nothing.
    #[test]
    fn a_change_sent_twice_makes_the_graph_once() {
        let remote = Store::new().unwrap();
        apply(
            &remote,
            "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> 1 . <urn:b> <urn:p> 2 . } }",
        );
        let change = Change {
            removed: vec![triple("b", 2)],
            added: vec![triple("b", 3), triple("c", 4)],
            bytes: 0,
        };
        for _ in 0..2 {
            apply(&remote, &change.update(RemoteGraph::Named("urn:g")));
            let held: Vec<String> = remote
                .quads_for_pattern(None, None, None, None)
                .map(|q| Triple::from(q.unwrap()).to_string())
                .collect();
            assert_eq!(held.len(), 3, "{held:?}");
            assert!(!held.iter().any(|t| t.contains("<urn:b> <urn:p> 2")));
        }
        assert_eq!(Change::default().update(RemoteGraph::Default), "");
    }

    /// A triple removed from one source stays in the copy while another
    /// source states it; one no source states any more leaves it.
    #[test]
    fn the_copy_keeps_what_another_source_still_states() {
        let store = KnowledgeStore::in_memory().unwrap();
        let (one, two) = (
            NamedNode::new_unchecked("urn:one"),
            NamedNode::new_unchecked("urn:two"),
        );
        store
            .replace_graph(&one, &[triple("shared", 1), triple("new", 2)])
            .unwrap();
        store.replace_graph(&two, &[triple("shared", 1)]).unwrap();
        // Source one lost `only` and `shared` is still in two; it gained `new`.
        let of_one = Change {
            removed: vec![triple("only", 0), triple("shared", 1)],
            added: vec![triple("new", 2)],
            bytes: 0,
        };
        let change = copy_change(&store, &of_one).unwrap();
        assert_eq!(change.removed, vec![triple("only", 0)]);
        assert_eq!(change.added, vec![triple("new", 2)]);
    }
}
