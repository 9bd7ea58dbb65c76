//! The workspace and what an import reads from it before any report: the
//! ontology, the reference tables and the pipelines, each checked.

use std::path::{Path, PathBuf};

use ttkg_graph::Ontology;
use ttkg_normalise::{Aliases, ConceptTable, RateTable, References};
use ttkg_pipeline::{Pipeline, PipelineErrors};

use crate::ImportError;

/// Where things are.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace folder (holds `ttkg.toml`, when there is one).
    pub root: PathBuf,
    /// Report files; pipeline globs are relative to it. Holds `reference/`.
    pub data_dir: PathBuf,
    pub pipelines_dir: PathBuf,
    pub ontology_dir: PathBuf,
}

impl Workspace {
    /// The exchange-rate table.
    pub fn rates_file(&self) -> PathBuf {
        self.data_dir.join("reference").join("exchange-rates.csv")
    }

    /// The alias table of names of any kind of entity (optional).
    pub fn aliases_file(&self) -> PathBuf {
        self.data_dir.join("reference").join("aliases.csv")
    }

    /// The older alias table of organisation names only (optional, read
    /// as organisation rows of [`Self::aliases_file`]).
    pub fn organisation_aliases_file(&self) -> PathBuf {
        self.data_dir
            .join("reference")
            .join("organisation-aliases.csv")
    }
}

/// What the analyst should know about the reference data: labels that
/// name several concepts, whose values are quarantined.
pub fn reference_warnings(refs: &References) -> Vec<String> {
    refs.concepts
        .ambiguous
        .iter()
        .map(|(scheme, key, concepts)| {
            format!(
                "label `{key}` names several {scheme} concepts ({}); values spelt so are quarantined",
                concepts.join(", ")
            )
        })
        .collect()
}

/// Checks each pipeline's terms against the ontology and its encoding.
pub(crate) fn check_pipelines(
    pipelines: &[Pipeline],
    ontology: &Ontology,
) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    for pipeline in pipelines {
        if let Err(PipelineErrors(e)) =
            pipeline.check_terms(|iri| ontology.declares(iri), |s| ontology.has_scheme(s))
        {
            errors.extend(e);
        }
        if let Some(label) = &pipeline.spec.source.encoding {
            if let Err(message) = ttkg_ingest::check_encoding(label) {
                errors.push(ttkg_pipeline::PipelineError {
                    path: pipeline.path.clone(),
                    line: None,
                    column: None,
                    key: "source.encoding".into(),
                    message,
                    expected: String::new(),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Pipelines(PipelineErrors(errors)))
    }
}

/// Loads the ontology, reference tables and pipelines, checking everything.
pub fn prepare(
    workspace: &Workspace,
) -> Result<(Ontology, References, Vec<Pipeline>), ImportError> {
    let ontology = Ontology::load(&workspace.ontology_dir).map_err(ImportError::Ontology)?;
    let concepts = ConceptTable::from_labels(ontology.concept_labels()).map_err(|e| {
        ImportError::Reference {
            path: workspace.ontology_dir.display().to_string(),
            source: e.into(),
        }
    })?;
    let rates_file = workspace.rates_file();
    let rates = if rates_file.exists() {
        RateTable::from_csv(&rates_file).map_err(|e| ImportError::Reference {
            path: rates_file.display().to_string(),
            source: e.into(),
        })?
    } else {
        RateTable::default()
    };
    let pipelines =
        ttkg_pipeline::load_dir(&workspace.pipelines_dir).map_err(ImportError::Pipelines)?;
    check_pipelines(&pipelines, &ontology)?;
    let aliases_file = workspace.aliases_file();
    let aliases = Aliases::from_files(&aliases_file, &workspace.organisation_aliases_file())
        .map_err(|e| match e {
            ttkg_normalise::NormaliseError::Reference { path, message } => ImportError::Reference {
                path,
                source: message.into(),
            },
            other => ImportError::Reference {
                path: aliases_file.display().to_string(),
                source: other.into(),
            },
        })?;
    Ok((
        ontology,
        References {
            concepts,
            rates,
            aliases,
        },
        pipelines,
    ))
}

/// The default store folder of a workspace, unless `--store` or `TTKG_STORE` say otherwise.
pub fn default_store(root: &Path) -> PathBuf {
    root.join("store")
}
