//! Pipeline declarations: `pipelines/NAME.toml` says, for one kind of report,
//! which files to read, how their columns map, how values are normalised and
//! which entities each row becomes.
//!
//! [`Pipeline::parse`] checks the structure (unknown keys, wrong types,
//! templates naming undeclared columns, links to undeclared entities) and
//! [`Pipeline::check_terms`] checks ontology terms against a caller-supplied
//! set, so nothing runs until the whole declaration makes sense. Every error
//! names the file, line, column and key it is about.

mod column;
mod error;
mod model;
mod plan;
pub mod template;

pub use column::*;
pub use error::{PipelineError, PipelineErrors};
pub use model::*;
pub use plan::{expand_iri, EntityPlan, IriPart, Plan, PropertyPlan, ValuePlan};
pub use template::{Template, TemplatePart};

use std::path::{Path, PathBuf};

/// A parsed, structurally valid pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The pipeline's name: `[pipeline] name`, or the file stem.
    pub name: String,
    /// Where the declaration was read from.
    pub path: PathBuf,
    /// The declaration's text, kept to turn spans into line numbers.
    pub text: String,
    pub spec: PipelineSpec,
    /// The declaration resolved for running.
    pub plan: Plan,
}

impl Pipeline {
    /// Reads and validates one pipeline file.
    pub fn load(path: &Path) -> Result<Self, PipelineErrors> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            PipelineErrors::single(PipelineError::io(path, source.to_string()))
        })?;
        Self::parse(path, &text)
    }

    /// Parses a declaration; `path` is used for naming only.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PipelineErrors> {
        let spec: PipelineSpec = toml::from_str(text)
            .map_err(|e| PipelineErrors::single(PipelineError::from_toml(path, text, &e)))?;
        let name = spec
            .pipeline
            .name
            .clone()
            .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let mut errors = Vec::new();
        let plan = spec.plan(path, text, &mut errors);
        if errors.is_empty() {
            Ok(Pipeline {
                name,
                path: path.to_owned(),
                text: text.to_owned(),
                spec,
                plan,
            })
        } else {
            Err(PipelineErrors(errors))
        }
    }

    /// Checks every class and property the pipeline names against the
    /// ontology (`is_declared` answers for a full IRI), and every concept
    /// column's scheme (`has_scheme` answers for a scheme name such as `country`).
    pub fn check_terms(
        &self,
        is_declared: impl Fn(&str) -> bool,
        has_scheme: impl Fn(&str) -> bool,
    ) -> Result<(), PipelineErrors> {
        let mut errors = Vec::new();
        for (key, column) in &self.spec.columns {
            if let Some(scheme) = column.scheme() {
                if !has_scheme(scheme) {
                    errors.push(PipelineError::at(
                        &self.path,
                        &self.text,
                        key.span(),
                        key.get_ref(),
                        format!("column `{}` names the unknown concept scheme `{scheme}`", key.get_ref()),
                        "a scheme declared in ontology/vocab/ (country, province, field, organisation-type, agreement-type)",
                    ));
                }
            }
        }
        for entity in &self.spec.entities {
            if let Some(class) = &entity.class {
                self.check_term(class, "class", &is_declared, &mut errors);
            }
            for property in entity.properties.keys() {
                self.check_term(property, "property", &is_declared, &mut errors);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(PipelineErrors(errors))
        }
    }

    fn check_term(
        &self,
        term: &toml::Spanned<String>,
        what: &str,
        is_declared: &impl Fn(&str) -> bool,
        errors: &mut Vec<PipelineError>,
    ) {
        match ttkg_vocab::expand(term.get_ref()) {
            Some(iri) if is_declared(&iri) => {}
            Some(iri) => errors.push(PipelineError::at(
                &self.path,
                &self.text,
                term.span(),
                term.get_ref(),
                format!("unknown ontology {what} <{iri}>"),
                format!("a {what} declared in ontology/ (ttkg.ttl or vocab/), or a term of a reused vocabulary such as skos:prefLabel"),
            )),
            None => errors.push(unknown_prefix(&self.path, &self.text, term)),
        }
    }

    /// `pipelines/x.toml:LINE` where a column is declared, for messages.
    pub fn column_place(&self, key: &str) -> String {
        match self.spec.columns.get_key_value(key) {
            Some((k, _)) => {
                let line = self.text[..k.span().start.min(self.text.len())]
                    .matches('\n')
                    .count()
                    + 1;
                format!("{}:{line}", self.path.display())
            }
            None => self.path.display().to_string(),
        }
    }

    /// The pipeline's version as recorded in provenance.
    pub fn version(&self) -> &str {
        &self.spec.pipeline.version
    }
}

pub(crate) fn unknown_prefix(
    path: &Path,
    text: &str,
    term: &toml::Spanned<String>,
) -> PipelineError {
    let known: Vec<&str> = ttkg_vocab::PREFIXES.iter().map(|(p, _)| *p).collect();
    PipelineError::at(
        path,
        text,
        term.span(),
        term.get_ref(),
        format!("`{}` is not a known compact IRI", term.get_ref()),
        format!(
            "prefix:name with one of the prefixes {}, or <full-iri>",
            known.join(", ")
        ),
    )
}

/// Loads every `*.toml` in a folder, sorted by file name, collecting all errors.
pub fn load_dir(dir: &Path) -> Result<Vec<Pipeline>, PipelineErrors> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| PipelineErrors::single(PipelineError::io(dir, e.to_string())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut pipelines = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match Pipeline::load(&path) {
            Ok(p) => pipelines.push(p),
            Err(PipelineErrors(e)) => errors.extend(e),
        }
    }
    let mut names: Vec<&str> = pipelines.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    for pair in names.windows(2) {
        if pair[0] == pair[1] {
            errors.push(PipelineError::io(
                dir,
                format!(
                    "two pipelines are named `{}`; names must be unique",
                    pair[0]
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(pipelines)
    } else {
        Err(PipelineErrors(errors))
    }
}
