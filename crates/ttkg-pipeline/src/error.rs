//! Errors that point into a pipeline file.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a pipeline declaration.
#[derive(Debug, Clone, thiserror::Error)]
pub struct PipelineError {
    pub path: PathBuf,
    /// 1-based line and column, when the problem has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key or value the problem is about, as written.
    pub key: String,
    pub message: String,
    /// What would have been accepted.
    pub expected: String,
}

impl PipelineError {
    pub(crate) fn at(
        path: &Path,
        text: &str,
        span: Range<usize>,
        key: &str,
        message: String,
        expected: impl Into<String>,
    ) -> Self {
        let (line, column) = line_column(text, span.start);
        PipelineError {
            path: path.to_owned(),
            line: Some(line),
            column: Some(column),
            key: key.to_owned(),
            message,
            expected: expected.into(),
        }
    }

    pub(crate) fn io(path: &Path, message: String) -> Self {
        PipelineError {
            path: path.to_owned(),
            line: None,
            column: None,
            key: String::new(),
            message,
            expected: String::new(),
        }
    }

    pub(crate) fn from_toml(path: &Path, text: &str, error: &toml::de::Error) -> Self {
        let mut message = error.message().trim().to_owned();
        let span = key_span(text, error.span().unwrap_or(0..0), &message);
        let key = text.get(span.clone()).unwrap_or("").trim().to_owned();
        let mut expected = String::new();
        if let Some((field, allowed)) = message
            .strip_prefix("unknown field ")
            .and_then(|rest| rest.split_once(", expected "))
            .map(|(f, a)| (f.to_owned(), a.to_owned()))
        {
            message = format!("unknown key {field}");
            expected = allowed;
        }
        let (line, column) = line_column(text, span.start);
        PipelineError {
            path: path.to_owned(),
            line: Some(line),
            column: Some(column),
            key,
            message,
            expected,
        }
    }
}

/// Where in `span` (a table, for an error raised while reading a column or
/// a property value as a whole) the key the message names in backticks is
/// written, so that the error points at it; else the span.
fn key_span(text: &str, span: Range<usize>, message: &str) -> Range<usize> {
    let Some(key) = message.split('`').nth(1).filter(|k| !k.is_empty()) else {
        return span;
    };
    let Some(inside) = text.get(span.clone()) else {
        return span;
    };
    let found = inside.match_indices(key).find(|(at, _)| {
        let before = inside[..*at].chars().next_back();
        let after = inside[at + key.len()..].trim_start();
        matches!(before, None | Some(' ' | '{' | ',' | '\n' | '\t')) && after.starts_with('=')
    });
    match found {
        Some((at, _)) => span.start + at..span.start + at + key.len(),
        None => span,
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)?;
        if !self.key.is_empty() && !self.message.contains(&self.key) {
            write!(f, " (at `{}`)", self.key)?;
        }
        if !self.expected.is_empty() {
            write!(f, "; expected {}", self.expected)?;
        }
        Ok(())
    }
}

/// All problems found in one or more pipeline files.
#[derive(Debug, Clone, thiserror::Error)]
pub struct PipelineErrors(pub Vec<PipelineError>);

impl PipelineErrors {
    pub(crate) fn single(error: PipelineError) -> Self {
        PipelineErrors(vec![error])
    }
}

impl fmt::Display for PipelineErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
