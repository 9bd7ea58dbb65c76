//! Writing the whole dataset (every graph) as N-Quads or TriG, one graph
//! per thread at a time.
//!
//! A dump's time goes to RocksDB point reads that turn each quad's term ids
//! back into text (a store of 10 M quads: 50 s on one core), so graphs are
//! read on as many threads as there are cores, which take the graphs in
//! turn (the default graph, the union of the sources, is not stored, so a
//! dump holds each fact once, in its source's graph). Each thread writes
//! its quads in chunks of a few megabytes that the caller's thread writes
//! out as they come, so memory stays a few chunks whatever the store's
//! size, and quads of different graphs interleave by chunk: the order of a
//! dump's lines has no meaning (N-Quads and TriG give it none), and a TriG
//! chunk is a complete block of its graph.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::GraphName;
use oxigraph::store::Store;

use crate::error::GraphError;

/// Quads a thread serialises before it hands them over: about 4 MB of
/// N-Quads.
const QUADS_PER_CHUNK: usize = 16_384;

/// Writes every graph of `store` in `format` (a dataset format) to
/// `writer`. The store must not be written meanwhile: each graph is read in
/// its own pass (ttkg's commands dump a store they hold alone, or a
/// snapshot).
pub(crate) fn dump_dataset(
    store: &Store,
    mut writer: impl Write,
    format: RdfFormat,
) -> Result<(), GraphError> {
    let mut graphs = vec![GraphName::DefaultGraph];
    for graph in store.named_graphs() {
        graphs.push(graph?.into());
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(graphs.len());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        // Made in the scope, so that returning early drops the receiver and
        // every thread stops at its next chunk.
        let (sender, chunks) = sync_channel::<Result<Vec<u8>, GraphError>>(2 * threads);
        for _ in 0..threads {
            let sender = sender.clone();
            let (graphs, next) = (&graphs, &next);
            scope.spawn(move || {
                while let Some(graph) = graphs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let sent = serialise_graph(store, graph, format, |chunk| {
                        sender.send(Ok(chunk)).is_ok()
                    });
                    match sent {
                        Ok(true) => {}
                        // The writer has stopped: nobody reads what follows.
                        Ok(false) => return,
                        Err(e) => {
                            let _ = sender.send(Err(e));
                            return;
                        }
                    }
                }
            });
        }
        drop(sender);
        for chunk in chunks {
            writer
                .write_all(&chunk?)
                .map_err(|e| GraphError::Io(e.to_string()))?;
        }
        writer.flush().map_err(|e| GraphError::Io(e.to_string()))
    })
}

/// Serialises one graph in chunks handed to `send`; `Ok(false)` when `send`
/// says nobody takes them any more.
fn serialise_graph(
    store: &Store,
    graph: &GraphName,
    format: RdfFormat,
    mut send: impl FnMut(Vec<u8>) -> bool,
) -> Result<bool, GraphError> {
    let io = |e: std::io::Error| GraphError::Io(e.to_string());
    let chunk = || RdfSerializer::from_format(format).for_writer(Vec::with_capacity(5 << 20));
    let mut serializer = chunk();
    let mut in_chunk = 0;
    for quad in store.quads_for_pattern(None, None, None, Some(graph.as_ref())) {
        serializer.serialize_quad(&quad?).map_err(io)?;
        in_chunk += 1;
        if in_chunk == QUADS_PER_CHUNK {
            if !send(serializer.finish().map_err(io)?) {
                return Ok(false);
            }
            serializer = chunk();
            in_chunk = 0;
        }
    }
    if in_chunk == 0 {
        return Ok(true);
    }
    Ok(send(serializer.finish().map_err(io)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::RdfParser;
    use oxigraph::model::{Dataset, Literal, NamedNode, Quad};

    fn store_of(quads: &[Quad]) -> Store {
        let store = Store::new().unwrap();
        store.extend(quads.iter().cloned()).unwrap();
        store
    }

    fn dataset(bytes: &[u8], format: RdfFormat) -> Dataset {
        RdfParser::from_format(format)
            .for_slice(bytes)
            .collect::<Result<Dataset, _>>()
            .unwrap()
    }

    /// More quads than one chunk holds, in several graphs and the default
    /// graph, read back as the same dataset in both dataset formats.
    #[test]
    fn a_dump_holds_every_quad_of_every_graph_once() {
        let p = NamedNode::new_unchecked("urn:p");
        let mut quads = Vec::new();
        for g in 0..5 {
            let graph: GraphName = if g == 0 {
                GraphName::DefaultGraph
            } else {
                NamedNode::new_unchecked(format!("urn:g{g}")).into()
            };
            // Graph 1 is larger than a chunk; the others are small.
            let count = if g == 1 { QUADS_PER_CHUNK * 2 + 7 } else { 10 };
            for i in 0..count {
                quads.push(Quad::new(
                    NamedNode::new_unchecked(format!("urn:s{i}")),
                    p.clone(),
                    Literal::new_simple_literal(format!("v{g}-{i}")),
                    graph.clone(),
                ));
            }
        }
        let store = store_of(&quads);
        let expected: Dataset = quads.iter().cloned().collect();
        for format in [RdfFormat::NQuads, RdfFormat::TriG] {
            let mut out = Vec::new();
            dump_dataset(&store, &mut out, format).unwrap();
            let dumped = dataset(&out, format);
            assert_eq!(dumped.len(), quads.len(), "{format}");
            assert_eq!(dumped, expected, "{format}");
        }
    }

    #[test]
    fn an_empty_store_dumps_as_nothing() {
        let mut out = Vec::new();
        dump_dataset(&Store::new().unwrap(), &mut out, RdfFormat::NQuads).unwrap();
        assert!(out.is_empty());
    }

    /// A writer that fails (a full disk, a closed pipe) ends the dump with
    /// its error, and the threads stop rather than wait for ever.
    #[test]
    fn a_failing_writer_stops_the_dump_with_its_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("no space left on device"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let p = NamedNode::new_unchecked("urn:p");
        let quads: Vec<Quad> = (0..QUADS_PER_CHUNK * 6)
            .map(|i| {
                Quad::new(
                    NamedNode::new_unchecked(format!("urn:s{i}")),
                    p.clone(),
                    Literal::new_simple_literal("v"),
                    NamedNode::new_unchecked(format!("urn:g{}", i % 3)),
                )
            })
            .collect();
        let error = dump_dataset(&store_of(&quads), Full, RdfFormat::NQuads).unwrap_err();
        assert!(error.to_string().contains("no space left"), "{error}");
    }
}
