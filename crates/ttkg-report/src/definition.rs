//! A report definition: one TOML file in `reports/`, listing the saved
//! questions the report asks for a period, each with its title, its text
//! and how it is drawn.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use ttkg_query::saved::{ChartSpec, SavedQuery};

use crate::ReportError;

/// Words in the report's languages.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub zh: Option<String>,
    pub en: Option<String>,
}

impl Texts {
    /// The words in `lang`, else in the other language, else nothing.
    pub fn get(&self, lang: &str) -> &str {
        let (first, second) = if lang.starts_with("zh") {
            (&self.zh, &self.en)
        } else {
            (&self.en, &self.zh)
        };
        first.as_deref().or(second.as_deref()).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.get("en").is_empty()
    }

    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Texts {
        Texts {
            zh: Some(zh.into()),
            en: Some(en.into()),
        }
    }
}

/// A report as its file declares it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDefinition {
    /// The file name without `.toml` (not read from the file).
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub title: Texts,
    /// What the report is for, under its title.
    #[serde(default)]
    pub intro: Texts,
    #[serde(rename = "section")]
    pub sections: Vec<SectionDefinition>,
}

/// One section: a saved question asked for the report's period.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDefinition {
    /// The saved question's name (a file of `queries/`).
    pub question: String,
    /// Default: the question's title.
    #[serde(default)]
    pub title: Texts,
    /// What the section says above its table.
    #[serde(default)]
    pub text: Texts,
    /// Number columns also asked for the previous period, shown with the
    /// change since then.
    #[serde(default)]
    pub compare: Vec<String>,
    /// `bar x=country value=joined` (as a saved question's `# @chart`);
    /// default: the question's own.
    pub chart: Option<String>,
    /// Columns whose total, when not zero, the section must point out.
    #[serde(default, rename = "check")]
    pub checks: Vec<Check>,
    /// What to say when the question finds nothing for the period.
    #[serde(default)]
    pub empty: Texts,
}

/// A column whose total the reader must be told about when it is not zero
/// (facts the period's figures cannot include, amounts not reported).
/// `{n}` in the words is the total.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub column: String,
    pub zh: String,
    pub en: String,
}

/// A section with its saved question read and its chart resolved.
#[derive(Debug, Clone)]
pub struct ResolvedSection {
    pub definition: SectionDefinition,
    pub question: SavedQuery,
    pub chart: Option<ChartSpec>,
}

impl ReportDefinition {
    /// Every section's saved question, checked against the definition: the
    /// question exists and takes a `period` parameter, and every column the
    /// section names is one of its variables.
    pub fn resolve(&self, queries_dir: &Path) -> Result<Vec<ResolvedSection>, ReportError> {
        let bad = |message: String| ReportError::Definition {
            path: self.path.clone(),
            message,
        };
        self.sections
            .iter()
            .enumerate()
            .map(|(i, section)| {
                let at = format!("section {} (`{}`)", i + 1, section.question);
                let question = ttkg_query::saved::find(queries_dir, &section.question)
                    .map_err(|e| bad(format!("{at}: {e}")))?;
                let has_variable = |v: &str| question.text.contains(&format!("?{v}"));
                if !question
                    .params
                    .iter()
                    .any(|p| p.kind == ttkg_query::ParamKind::Period)
                {
                    return Err(bad(format!(
                        "{at}: the question takes no `period` parameter, so it would answer the same for every period; declare `# @param period:period=2016 …` in {}",
                        question.path.display()
                    )));
                }
                if let Some(missing) = section
                    .compare
                    .iter()
                    .chain(section.checks.iter().map(|c| &c.column))
                    .find(|c| !has_variable(c))
                {
                    return Err(bad(format!(
                        "{at}: `{missing}` is not a column of the question"
                    )));
                }
                let chart = match &section.chart {
                    Some(spec) => Some(
                        ttkg_query::saved::parse_chart(spec, &question.text)
                            .map_err(|e| bad(format!("{at}: chart `{spec}`: {e}")))?,
                    ),
                    None => question.chart.clone(),
                }
                .filter(|c| c.kind != "none");
                Ok(ResolvedSection {
                    definition: section.clone(),
                    question,
                    chart,
                })
            })
            .collect()
    }
}

/// The report definitions of `dir`, by name.
pub fn load_dir(dir: &Path) -> Result<Vec<ReportDefinition>, ReportError> {
    let listing = std::fs::read_dir(dir).map_err(|e| ReportError::Definition {
        path: dir.to_owned(),
        message: format!("cannot list the report definitions: {e}"),
    })?;
    let mut reports = Vec::new();
    for entry in listing.flatten() {
        let path = entry.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "toml") {
            reports.push(load_file(&path)?);
        }
    }
    reports.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(reports)
}

/// The definition called `name` in `dir`.
pub fn find(dir: &Path, name: &str) -> Result<ReportDefinition, ReportError> {
    let reports = load_dir(dir)?;
    find_in(&reports, dir, name).cloned()
}

/// The definition called `name` among `reports` (those of `dir`), or the
/// error that lists them.
pub fn find_in<'a>(
    reports: &'a [ReportDefinition],
    dir: &Path,
    name: &str,
) -> Result<&'a ReportDefinition, ReportError> {
    reports
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ReportError::Unknown {
            name: name.to_owned(),
            dir: dir.to_owned(),
            available: reports
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Reads one definition; a key it does not know is refused with its line.
pub fn load_file(path: &Path) -> Result<ReportDefinition, ReportError> {
    let bad = |message: String| ReportError::Definition {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut definition: ReportDefinition = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if definition.sections.is_empty() {
        return Err(bad(
            "a report has at least one [[section]] with a `question`".into(),
        ));
    }
    definition.name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    definition.path = path.to_owned();
    Ok(definition)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_definition_names_questions_that_take_a_period() {
        let dir = tempfile::tempdir().unwrap();
        let queries = dir.path().join("queries");
        std::fs::create_dir(&queries).unwrap();
        write(
            &queries,
            "by-period.rq",
            "# Figures\n# @param period:period=2016 the period\n# @chart bar x=figure value=value\nSELECT ?period ?figure ?value ?unplaced {}\n",
        );
        write(
            &queries,
            "always.rq",
            "# Always\nSELECT ?figure ?value {}\n",
        );
        let good = write(
            dir.path(),
            "monthly.toml",
            "title = { zh = \"月报\", en = \"Monthly\" }\n[[section]]\nquestion = \"by-period\"\ncompare = [\"value\"]\n[[section.check]]\ncolumn = \"unplaced\"\nzh = \"{n} 项\"\nen = \"{n} items\"\n",
        );
        let definition = load_file(&good).unwrap();
        assert_eq!(definition.name, "monthly");
        assert_eq!(definition.title.get("zh"), "月报");
        assert_eq!(definition.intro.get("en"), "");
        let sections = definition.resolve(&queries).unwrap();
        assert_eq!(sections[0].chart.as_ref().unwrap().kind, "bar");

        for (body, says) in [
            (
                "[[section]]\nquestion = \"always\"\n",
                "takes no `period` parameter",
            ),
            ("[[section]]\nquestion = \"nowhere\"\n", "nowhere"),
            (
                "[[section]]\nquestion = \"by-period\"\ncompare = [\"colour\"]\n",
                "`colour` is not a column",
            ),
            (
                "[[section]]\nquestion = \"by-period\"\nchart = \"donut x=figure\"\n",
                "chart type is one of",
            ),
        ] {
            let path = write(
                dir.path(),
                "bad.toml",
                &format!("title = {{ en = \"T\" }}\n{body}"),
            );
            let err = load_file(&path).unwrap().resolve(&queries).unwrap_err();
            assert!(err.to_string().contains(says), "{body}: {err}");
        }
        let typo = write(
            dir.path(),
            "typo.toml",
            "title = { en = \"T\" }\n[[section]]\nquestoin = \"by-period\"\n",
        );
        let err = load_file(&typo).unwrap_err().to_string();
        assert!(err.contains("questoin") && err.contains("line 3"), "{err}");
        let empty = write(
            dir.path(),
            "empty.toml",
            "title = { en = \"T\" }\nsection = []\n",
        );
        assert!(load_file(&empty).is_err());
    }
}
