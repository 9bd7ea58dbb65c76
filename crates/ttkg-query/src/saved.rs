//! Saved questions: one `.rq` file each in `queries/`, runnable by name.
//!
//! The comment lines at the top of a file say what it answers: the first is
//! its title, the others its description, and `# @param NAME=DEFAULT help`
//! (or `# @param NAME help` for a value the analyst must give) declares a
//! variable the analyst can set with `--param NAME=VALUE`. The variable must
//! be one of the query's result columns: oxigraph binds only those.

use std::path::{Path, PathBuf};

use ttkg_graph::oxigraph::model::{Literal, NamedNode, Term, Variable};

use crate::QueryError;

/// One saved question.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedQuery {
    /// The file name without `.rq`.
    pub name: String,
    pub path: PathBuf,
    /// The first comment line.
    pub title: String,
    /// The other comment lines, joined.
    pub description: String,
    pub params: Vec<Param>,
    pub text: String,
}

/// A variable of a saved query that the analyst may set.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// `None`: the analyst must give it.
    pub default: Option<String>,
    pub help: String,
}

/// Every saved query of `dir` (not its subfolders), by name.
pub fn load_dir(dir: &Path) -> Result<Vec<SavedQuery>, QueryError> {
    let entries = std::fs::read_dir(dir).map_err(|e| QueryError::SavedFile {
        path: dir.to_owned(),
        message: format!("cannot list the saved queries: {e}"),
    })?;
    let mut queries = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| QueryError::SavedFile {
                path: dir.to_owned(),
                message: e.to_string(),
            })?
            .path();
        if path.is_file() && path.extension().is_some_and(|x| x == "rq") {
            queries.push(load_file(&path)?);
        }
    }
    queries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(queries)
}

/// The saved query called `name` in `dir`.
pub fn find(dir: &Path, name: &str) -> Result<SavedQuery, QueryError> {
    let queries = load_dir(dir)?;
    let available = queries
        .iter()
        .map(|q| q.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    queries
        .into_iter()
        .find(|q| q.name == name)
        .ok_or_else(|| QueryError::UnknownSaved {
            name: name.to_owned(),
            available,
        })
}

/// Reads one `.rq` file and its header comment.
pub fn load_file(path: &Path) -> Result<SavedQuery, QueryError> {
    let text = std::fs::read_to_string(path).map_err(|e| QueryError::SavedFile {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut title = String::new();
    let mut description = Vec::new();
    let mut params = Vec::new();
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        if let Some(spec) = comment.strip_prefix("@param") {
            params.push(parse_param(spec.trim()).ok_or_else(|| QueryError::SavedFile {
                path: path.to_owned(),
                message: format!(
                    "`# @param {}`: write `# @param NAME=DEFAULT what it is` or `# @param NAME what it is`",
                    spec.trim()
                ),
            })?);
        } else if title.is_empty() {
            title = comment.to_owned();
        } else if !comment.is_empty() {
            description.push(comment.to_owned());
        }
    }
    if title.is_empty() {
        return Err(QueryError::SavedFile {
            path: path.to_owned(),
            message: "a saved query starts with a `# ...` line saying what it answers".into(),
        });
    }
    Ok(SavedQuery {
        name,
        path: path.to_owned(),
        title,
        description: description.join(" "),
        params,
        text,
    })
}

fn parse_param(spec: &str) -> Option<Param> {
    let (head, help) = spec.split_once(char::is_whitespace).unwrap_or((spec, ""));
    let (name, default) = match head.split_once('=') {
        Some((n, d)) => (n, Some(d.to_owned())),
        None => (head, None),
    };
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    valid.then(|| Param {
        name: name.to_owned(),
        default,
        help: help.trim().to_owned(),
    })
}

impl SavedQuery {
    /// The variable bindings for this query from `given` (`NAME=VALUE`
    /// pairs), falling back to each parameter's default.
    pub fn bindings(
        &self,
        given: &[(String, String)],
    ) -> Result<Vec<(Variable, Term)>, QueryError> {
        for (name, _) in given {
            if !self.params.iter().any(|p| &p.name == name) {
                return Err(QueryError::BadParam {
                    param: name.clone(),
                    message: if self.params.is_empty() {
                        format!("saved query `{}` takes no parameters", self.name)
                    } else {
                        format!(
                            "saved query `{}` takes {}",
                            self.name,
                            self.params
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                });
            }
        }
        self.params
            .iter()
            .map(|p| {
                let value = given
                    .iter()
                    .rev()
                    .find(|(n, _)| n == &p.name)
                    .map(|(_, v)| v.clone())
                    .or_else(|| p.default.clone())
                    .ok_or_else(|| QueryError::MissingParam {
                        query: self.name.clone(),
                        param: p.name.clone(),
                        help: p.help.clone(),
                    })?;
                Ok((
                    Variable::new_unchecked(&p.name),
                    param_term(&p.name, &value)?,
                ))
            })
            .collect()
    }
}

/// A parameter value as an RDF term: `<iri>` is an IRI, anything else text.
pub fn param_term(name: &str, value: &str) -> Result<Term, QueryError> {
    match value.strip_prefix('<').and_then(|v| v.strip_suffix('>')) {
        Some(iri) => NamedNode::new(iri)
            .map(Term::from)
            .map_err(|e| QueryError::BadParam {
                param: name.to_owned(),
                message: format!("{value} is not a valid IRI: {e}"),
            }),
        None => Ok(Literal::new_simple_literal(value).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_comments_give_title_description_and_params() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("by-country.rq");
        std::fs::write(
            &path,
            "# Agreements by country.\n#\n# Counts them.\n# @param country=VN ISO code\n# @param year the year\nSELECT * {}\n",
        )
        .unwrap();
        let q = load_file(&path).unwrap();
        assert_eq!(q.name, "by-country");
        assert_eq!(q.title, "Agreements by country.");
        assert_eq!(q.description, "Counts them.");
        assert_eq!(q.params[0].default.as_deref(), Some("VN"));
        assert_eq!(q.params[1].default, None);
        let err = q.bindings(&[]).unwrap_err();
        assert!(err.to_string().contains("--param year="), "{err}");
        let b = q
            .bindings(&[
                ("year".into(), "2016".into()),
                ("country".into(), "TH".into()),
            ])
            .unwrap();
        assert_eq!(b[0].1, Literal::new_simple_literal("TH").into());
        assert!(q.bindings(&[("colour".into(), "red".into())]).is_err());
    }

    #[test]
    fn a_query_without_a_title_comment_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rq");
        std::fs::write(&path, "SELECT * {}\n").unwrap();
        assert!(load_file(&path).is_err());
    }
}
