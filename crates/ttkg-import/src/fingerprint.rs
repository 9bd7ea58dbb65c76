//! What a source's loaded version depends on, so that an unchanged file is
//! skipped and a changed pipeline, rate table or vocabulary re-imports it.

use sha2::{Digest, Sha256};
use ttkg_graph::Ontology;
use ttkg_pipeline::Pipeline;

use crate::{ImportError, Workspace};

/// What a file's facts depend on besides the file: its pipeline's text and
/// `inputs` (the ontology, vocabularies and reference tables), recorded as
/// the pipeline's declared version and a digest of the rest.
pub(crate) fn pipeline_version(pipeline: &Pipeline, inputs: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(pipeline.text.as_bytes());
    hasher.update(inputs.as_bytes());
    let digest = hex(&hasher.finalize());
    format!("{}+{}", pipeline.version(), &digest[..12])
}

/// The SHA-256 of the ontology files and the reference tables, in order.
pub(crate) fn reference_digest(
    workspace: &Workspace,
    ontology: &Ontology,
) -> Result<String, ImportError> {
    let mut hasher = Sha256::new();
    let mut files = ontology.files.clone();
    files.push(workspace.ontology_dir.join("shapes.ttl"));
    files.push(workspace.rates_file());
    files.push(workspace.aliases_file());
    files.push(workspace.organisation_aliases_file());
    for path in files.iter().filter(|p| p.exists()) {
        let bytes = std::fs::read(path).map_err(|e| ImportError::Reference {
            path: path.display().to_string(),
            source: e.into(),
        })?;
        // Names, not paths: moving the workspace changes nothing.
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        hasher.update(name.as_bytes());
        hasher.update(Sha256::digest(&bytes));
    }
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of a file's bytes, in hex.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
