//! `--validate`: a run's sources are checked against the SHACL shapes
//! together, on a preview of the store with all of them in place, before
//! any is published; a source that states something about a node that
//! breaks a shape is held back.

use ttkg_graph::oxigraph::model::{NamedNode, Triple};
use ttkg_graph::{KnowledgeStore, SingleValued};

use crate::prepare::Prepared;
use crate::report::FileStatus;
use crate::{publish, ImportError, ImportOptions};

/// The batch's sources, each with the triples to publish (none when it does
/// not load), and the violations of those held back, by file.
pub(crate) struct Gated {
    /// Each source with its triples (each once), if it is to be published.
    pub sources: Vec<(Prepared, Option<Vec<Triple>>)>,
    pub violations: Vec<(String, ttkg_validate::Violation)>,
}

/// Finalises each source on the preview in turn (so that later sources are
/// checked for conflicts against earlier ones), then validates them all and
/// holds back those that do not conform.
pub(crate) fn finalize_and_validate(
    store: &KnowledgeStore,
    shapes: &ttkg_validate::Shapes,
    single: &SingleValued,
    options: &ImportOptions,
    prepared: Vec<Prepared>,
) -> Result<Gated, ImportError> {
    let (mut sources, violations, stating) = store
        .preview_staged(|preview| {
            let mut sources = Vec::with_capacity(prepared.len());
            for mut p in prepared {
                let limit = options
                    .max_quarantined
                    .unwrap_or_else(|| p.unit.pipeline.spec.max_quarantined());
                // Validation reads them all at once from the preview.
                let triples = publish::finalize(
                    &mut p,
                    Some(preview.transaction()),
                    single,
                    limit,
                    None,
                    false,
                )?
                .map(|kept| kept.collect::<Vec<Triple>>());
                if let Some(triples) = &triples {
                    preview.stage(&p.unit.graph, triples)?;
                }
                sources.push((p, triples));
            }
            let scope: Vec<NamedNode> = sources
                .iter()
                .filter(|(_, t)| t.is_some())
                .map(|(p, _)| p.unit.graph.clone())
                .collect();
            // One pass over all of them, then each violation is held against
            // every source that states something about its node.
            let violations = ttkg_validate::validate(&*preview, shapes, &scope)?;
            let stating = ttkg_validate::graphs_stating(&*preview, &violations, &scope)?;
            Ok((sources, violations, stating))
        })
        .map_err(|e| match e {
            ttkg_validate::ValidateError::Graph(g) => ImportError::Store(g),
            other => ImportError::Shapes(other),
        })?;
    let mut held_back = Vec::new();
    for (p, triples) in &mut sources {
        if triples.is_none() {
            continue;
        }
        let own: Vec<&ttkg_validate::Violation> = stating
            .iter()
            .filter(|(_, g)| g == &p.unit.graph)
            .map(|(v, _)| &violations[*v])
            .collect();
        let Some(first) = own.first() else {
            continue;
        };
        p.report.rows_loaded = 0;
        p.report.status = FileStatus::Failed(format!(
            "does not conform to ontology/shapes.ttl ({} violation{}, first: {} {}: {}); not loaded, its previous data stays",
            own.len(),
            if own.len() == 1 { "" } else { "s" },
            first.shape,
            first.focus,
            first.message
        ));
        *triples = None;
        held_back.extend(own.into_iter().map(|v| (p.report.file.clone(), v.clone())));
    }
    Ok(Gated {
        sources,
        violations: held_back,
    })
}
