//! Cleaned datasets: each export table as CSV, Parquet or one sheet of an
//! XLSX workbook, one row per entity.
//!
//! A table query returns rows as SPARQL joins make them — one per label
//! language, per partner, per offering organisation. Counted in a
//! spreadsheet, such rows give wrong totals, so the rows are grouped here by
//! the table's entity (`?iri`, or the variable of `# @entity VAR`): a value
//! with labels in several languages shows the label in the chosen language
//! ([`LANGUAGE_FALLBACK`]), and several distinct values of one column are
//! joined in one cell, sorted, with `; `. A query without an entity variable
//! (a question exported with `--file`) is written as it answers.
//!
//! Workbooks are for reading: headers in the chosen language from the
//! table's `# @column` lines, a `columns` sheet saying what each column
//! means, and a `sources` sheet naming the import run and every source file
//! with its SHA-256, so a figure can be traced to the report it came from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use ttkg_graph::oxigraph::model::{Literal, Term};
use ttkg_graph::oxigraph::sparql::QueryResults;
use ttkg_graph::store::term_text;
use ttkg_graph::Queryable;
use ttkg_tables::CsvOptions;
use ttkg_vocab::{ID, RUNS_GRAPH, XSD};

use crate::frame::typed_column;
use crate::saved::ColumnDoc;
use crate::{display_text, evaluation_error, Deadline, QueryError, SavedQuery, Vocabulary};

/// The file formats of `ttkg export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One CSV file per table.
    Csv { bom: bool },
    /// One Parquet file per table.
    Parquet,
    /// One workbook, one sheet per table.
    Xlsx,
}

/// How to write the tables.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// The language of labels and workbook headers (`zh`, `en`, `vi`, …).
    pub lang: String,
    /// Whether each entity's IRI is the last column.
    pub with_iri: bool,
}

/// The order labels are chosen in when an entity has them in several
/// languages: the language asked for, then a label with no language (a
/// name as the sender wrote it), then English, then Chinese, then any other
/// in the order of its tag.
pub const LANGUAGE_FALLBACK: &str =
    "the language asked for, then a label without a language tag, then English, then Chinese, then any other";

/// Where a language tag comes in [`LANGUAGE_FALLBACK`] for `lang`.
fn language_rank(tag: &str, lang: &str) -> (u8, String) {
    let tag = tag.to_ascii_lowercase();
    let rank = if tag == lang || tag.starts_with(&format!("{lang}-")) {
        0
    } else if tag.is_empty() {
        1
    } else if tag == "en" || tag.starts_with("en-") {
        2
    } else if tag == "zh" || tag.starts_with("zh-") {
        3
    } else {
        4
    };
    (rank, tag)
}

/// What one column of an exported table holds.
#[derive(Debug, Clone)]
pub struct ExportedColumn {
    pub variable: String,
    pub header: String,
    pub description: String,
    /// `number`, `date`, `yes/no`, `text`, `year` or `month`.
    pub kind: &'static str,
}

/// One exported table, ready to write.
#[derive(Debug, Clone)]
pub struct ExportedTable {
    pub name: String,
    pub title: String,
    pub description: String,
    /// One row per entity, columns named by their variables.
    pub frame: DataFrame,
    pub columns: Vec<ExportedColumn>,
    /// Whether rows are entities (or a question's answers, as returned).
    pub per_entity: bool,
}

/// Runs each table query and writes its rows under `out`: CSV and Parquet
/// as `out/NAME.csv` or `out/NAME.parquet` with `columns.csv` and
/// `sources.csv` beside them, XLSX as the single workbook `out` (when it
/// ends in `.xlsx`) or `out/ttkg-export.xlsx` with `columns` and `sources`
/// sheets. Returns the files written with their row counts. Nothing is
/// written unless every query succeeds.
pub fn export_tables(
    store: &dyn crate::Answerer,
    tables: &[SavedQuery],
    params: &[(String, String)],
    options: &ExportOptions,
    out: &Path,
    deadline: &Deadline,
) -> Result<Vec<(PathBuf, usize)>, QueryError> {
    let vocabulary = Vocabulary::load(store)?;
    let mut exported = Vec::with_capacity(tables.len());
    for table in tables {
        // Each table gets the parameters it declares.
        let given: Vec<(String, String)> = params
            .iter()
            .filter(|(name, _)| table.params.iter().any(|p| &p.name == name))
            .cloned()
            .collect();
        let bindings = table.bindings_checked(&given, Some(&vocabulary))?;
        let results = store.answer(&table.text, &bindings, deadline)?;
        exported.push(export_table(table, results, options)?);
    }
    let sources = sources(store, tables, options)?;
    write(&exported, &sources, options, out)
}

/// Groups a table query's rows by entity and types its columns.
pub fn export_table(
    table: &SavedQuery,
    results: QueryResults<'static>,
    options: &ExportOptions,
) -> Result<ExportedTable, QueryError> {
    let QueryResults::Solutions(solutions) = results else {
        return Err(QueryError::SavedFile {
            path: table.path.clone(),
            message: "an export table must be a SELECT query".into(),
        });
    };
    let variables: Vec<String> = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let entity_name = table.entity.as_deref().unwrap_or("iri");
    let entity = variables.iter().position(|v| v == entity_name);
    if entity.is_none() && table.entity.is_some() {
        return Err(QueryError::SavedFile {
            path: table.path.clone(),
            message: format!(
                "`# @entity {entity_name}` names a variable the query does not select; select ?{entity_name} or change the line"
            ),
        });
    }
    let rows = group_by_entity(solutions, &variables, entity)?;
    let cells = ordered_cells(table, &variables, &rows, options)?;
    let mut shown: Vec<usize> = (0..variables.len())
        .filter(|&c| Some(c) != entity)
        .collect();
    if let (Some(e), true) = (entity, options.with_iri) {
        shown.push(e);
    }
    let mut columns = Vec::new();
    let mut described = Vec::new();
    for c in shown {
        let variable = &variables[c];
        let column_cells: Vec<Option<Term>> = cells.iter().map(|row| row[c].clone()).collect();
        let (header, description) =
            header_and_description(table, variable, Some(c) == entity, options);
        if let Some((years, months)) = partial_dates(&column_cells) {
            let parts = DateParts {
                variable,
                header: &header,
                description: &description,
                years,
                months,
            };
            parts.push(&column_cells, &options.lang, &mut columns, &mut described);
            continue;
        }
        let column = typed_column(variable, &column_cells);
        let kind = match column.dtype() {
            DataType::Date => "date",
            DataType::Boolean => "yes/no",
            d if d.is_primitive_numeric() => "number",
            _ => "text",
        };
        columns.push(column);
        described.push(ExportedColumn {
            variable: variable.clone(),
            header,
            description,
            kind,
        });
    }
    let frame =
        DataFrame::new(rows.len(), columns).map_err(|e| QueryError::Write(e.to_string()))?;
    Ok(ExportedTable {
        name: table.name.clone(),
        title: table.title.clone(),
        description: table.description.clone(),
        frame,
        columns: described,
        per_entity: entity.is_some(),
    })
}

/// Per row (entity), per column: the distinct values, first seen first;
/// without an entity column, one row per solution.
fn group_by_entity(
    solutions: ttkg_graph::oxigraph::sparql::QuerySolutionIter<'static>,
    variables: &[String],
    entity: Option<usize>,
) -> Result<Vec<Vec<Vec<Term>>>, QueryError> {
    let mut rows: Vec<Vec<Vec<Term>>> = Vec::new();
    let mut index: HashMap<Term, usize> = HashMap::new();
    for solution in solutions {
        let solution = solution.map_err(evaluation_error)?;
        let values: Vec<Option<Term>> = variables
            .iter()
            .map(|v| solution.get(v.as_str()).cloned())
            .collect();
        let row = match entity.and_then(|e| values[e].clone()) {
            Some(key) => *index.entry(key).or_insert_with(|| {
                rows.push(vec![Vec::new(); variables.len()]);
                rows.len() - 1
            }),
            None => {
                rows.push(vec![Vec::new(); variables.len()]);
                rows.len() - 1
            }
        };
        for (cell, value) in rows[row].iter_mut().zip(values) {
            if let Some(value) = value {
                if !cell.contains(&value) {
                    cell.push(value);
                }
            }
        }
    }
    Ok(rows)
}

/// The rows' cells (a value per column: labels in the chosen language,
/// several values joined), sorted by the table's `# @order` columns.
fn ordered_cells(
    table: &SavedQuery,
    variables: &[String],
    rows: &[Vec<Vec<Term>>],
    options: &ExportOptions,
) -> Result<Vec<Vec<Option<Term>>>, QueryError> {
    for name in &table.order {
        if !variables.contains(name) {
            return Err(QueryError::SavedFile {
                path: table.path.clone(),
                message: format!("`# @order` names ?{name}, which the query does not select"),
            });
        }
    }
    let mut cells: Vec<Vec<Option<Term>>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|values| cell(values, &options.lang))
                .collect()
        })
        .collect();
    let keys: Vec<usize> = table
        .order
        .iter()
        .filter_map(|name| variables.iter().position(|v| v == name))
        .collect();
    if !keys.is_empty() {
        cells.sort_by(|a, b| {
            keys.iter()
                .map(|&k| sort_order(a[k].as_ref(), b[k].as_ref()))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    Ok(cells)
}

/// A column's header in the chosen language and its description; the
/// entity column is `IRI`, described as the entity's identifier.
fn header_and_description(
    table: &SavedQuery,
    variable: &str,
    is_entity: bool,
    options: &ExportOptions,
) -> (String, String) {
    let doc = table
        .columns
        .iter()
        .find(|d| d.variable == variable)
        .cloned()
        .unwrap_or_else(|| ColumnDoc {
            variable: variable.to_owned(),
            ..ColumnDoc::default()
        });
    let header = if is_entity && doc.headers.is_empty() {
        "IRI".to_owned()
    } else {
        doc.header(&options.lang).to_owned()
    };
    let description = if is_entity && doc.description.is_empty() {
        "The entity's identifier in the knowledge graph: the same entity has the same IRI in every table and every export".to_owned()
    } else {
        doc.description.clone()
    };
    (header, description)
}

/// A date column whose values are given at different precisions: the
/// dates as reported, and their year and month apart for sorting and pivots.
struct DateParts<'a> {
    variable: &'a str,
    header: &'a str,
    description: &'a str,
    years: Vec<Option<i32>>,
    months: Vec<Option<i32>>,
}

impl DateParts<'_> {
    fn push(
        self,
        cells: &[Option<Term>],
        lang: &str,
        columns: &mut Vec<Column>,
        described: &mut Vec<ExportedColumn>,
    ) {
        let (variable, header, description) = (self.variable, self.header, self.description);
        columns.push(Column::new(
            variable.into(),
            cells
                .iter()
                .map(|t| t.as_ref().map(term_text))
                .collect::<Vec<_>>(),
        ));
        described.push(ExportedColumn {
            variable: variable.to_owned(),
            header: header.to_owned(),
            description: format!(
                "{description}{}as reported: a whole date (2016-03-01), a month (2016-03) or a year (2016)",
                if description.is_empty() { "" } else { "; " }
            ),
            kind: "text",
        });
        let (year_word, month_word) = if lang == "zh" {
            ("（年）", "（月）")
        } else {
            (" (year)", " (month)")
        };
        columns.push(Column::new(format!("{variable}_year").into(), self.years));
        described.push(ExportedColumn {
            variable: format!("{variable}_year"),
            header: format!("{header}{year_word}"),
            description: format!("The year of {header}, for sorting and pivots"),
            kind: "year",
        });
        columns.push(Column::new(format!("{variable}_month").into(), self.months));
        described.push(ExportedColumn {
            variable: format!("{variable}_month"),
            header: format!("{header}{month_word}"),
            description: format!(
                "The month (1–12) of {header}; empty where only the year was reported"
            ),
            kind: "month",
        });
    }
}

/// One cell from an entity's distinct values of a column: labels in the
/// best language of [`LANGUAGE_FALLBACK`], several values sorted and joined
/// with `; `, IRIs as prefixed names where a prefix is predeclared.
fn cell(values: &[Term], lang: &str) -> Option<Term> {
    let tag = |t: &Term| match t {
        Term::Literal(l) => l.language().map(str::to_owned),
        _ => None,
    };
    let chosen: Vec<&Term> = if values.iter().any(|t| tag(t).is_some()) {
        let best = values
            .iter()
            .map(|t| language_rank(tag(t).as_deref().unwrap_or(""), lang))
            .min()?;
        values
            .iter()
            .filter(|t| language_rank(tag(t).as_deref().unwrap_or(""), lang) == best)
            .collect()
    } else {
        values.iter().collect()
    };
    match chosen.as_slice() {
        [] => None,
        [iri @ Term::NamedNode(_)] => Some(Literal::new_simple_literal(display_text(iri)).into()),
        [one] => Some((*one).clone()),
        several => {
            let mut texts: Vec<String> = several.iter().map(|t| display_text(t)).collect();
            texts.sort();
            texts.dedup();
            Some(Literal::new_simple_literal(texts.join("; ")).into())
        }
    }
}

/// How two cells sort: numbers by value, anything else by its text, empty
/// cells last.
fn sort_order(a: Option<&Term>, b: Option<&Term>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let number = |t: &Term| match t {
        Term::Literal(l)
            if l.datatype().as_str().strip_prefix(XSD).is_some_and(|d| {
                matches!(
                    d,
                    "integer" | "decimal" | "double" | "float" | "int" | "long"
                )
            }) =>
        {
            l.value().parse::<f64>().ok()
        }
        _ => None,
    };
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => match (number(a), number(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => term_text(a).cmp(&term_text(b)),
        },
    }
}

/// For a column of dates some of which are only a month or a year
/// (`xsd:gYearMonth`, `xsd:gYear`): its year and month columns.
#[allow(clippy::type_complexity)]
fn partial_dates(cells: &[Option<Term>]) -> Option<(Vec<Option<i32>>, Vec<Option<i32>>)> {
    let kind = |t: &Term| match t {
        Term::Literal(l) => l.datatype().as_str().strip_prefix(XSD).map(str::to_owned),
        _ => None,
    };
    let mut partial = false;
    for t in cells.iter().flatten() {
        match kind(t).as_deref() {
            Some("date") => {}
            Some("gYear" | "gYearMonth") => partial = true,
            _ => return None,
        }
    }
    if !partial {
        return None;
    }
    let part = |t: &Option<Term>, range: std::ops::Range<usize>| -> Option<i32> {
        let text = term_text(t.as_ref()?);
        text.get(range)?.parse().ok()
    };
    Some((
        cells.iter().map(|t| part(t, 0..4)).collect(),
        cells.iter().map(|t| part(t, 5..7)).collect(),
    ))
}

/// The `sources` table: what was exported and when, the last import run,
/// and every source file the store holds with its SHA-256 and the time it
/// was imported.
fn sources(
    store: &dyn Queryable,
    tables: &[SavedQuery],
    options: &ExportOptions,
) -> Result<DataFrame, QueryError> {
    let mut kind = Vec::new();
    let mut name = Vec::new();
    let mut detail = Vec::new();
    let mut sha = Vec::new();
    let mut time = Vec::new();
    let mut push = |k: &str, n: String, d: String, s: Option<String>, t: Option<String>| {
        kind.push(k.to_owned());
        name.push(n);
        detail.push(d);
        sha.push(s);
        time.push(t);
    };
    let now = chrono::Utc::now()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    for table in tables {
        push(
            "table",
            table.name.clone(),
            format!("{} (labels: {})", table.title, options.lang),
            None,
            Some(now.clone()),
        );
    }
    let text = |t: &Option<Term>| t.as_ref().map(term_text);
    for row in store.select_terms(&format!(
        "SELECT ?run ?ended ?outcome WHERE {{ GRAPH <{RUNS_GRAPH}> {{
           ?run a ttkg:ImportRun ; prov:endedAtTime ?ended . OPTIONAL {{ ?run ttkg:outcome ?outcome }} }} }}
         ORDER BY DESC(?ended) LIMIT 1"
    ))? {
        push(
            "run",
            text(&row[0]).map(|r| r.strip_prefix(ID).unwrap_or(&r).to_owned()).unwrap_or_default(),
            text(&row[2]).unwrap_or_default(),
            None,
            text(&row[1]),
        );
    }
    for row in store.select_terms(&format!(
        "SELECT ?path ?pipeline ?sha (MAX(?ended) AS ?imported) WHERE {{
           ?file a ttkg:SourceFile ; ttkg:filePath ?path ; ttkg:sha256 ?sha ; ttkg:pipeline ?pipeline .
           OPTIONAL {{ GRAPH <{RUNS_GRAPH}> {{
             ?run ttkg:change ?c ; prov:endedAtTime ?ended . ?c ttkg:filePath ?path ; ttkg:pipeline ?pipeline ;
               ttkg:changeKind ?kind . FILTER(STR(?kind) IN (\"loaded\", \"replaced\")) }} }}
         }} GROUP BY ?path ?pipeline ?sha ORDER BY ?path ?pipeline"
    ))? {
        push(
            "file",
            text(&row[0]).unwrap_or_default(),
            format!("pipeline {}", text(&row[1]).unwrap_or_default()),
            text(&row[2]),
            text(&row[3]),
        );
    }
    let height = kind.len();
    DataFrame::new(
        height,
        vec![
            Column::new("kind".into(), kind),
            Column::new("name".into(), name),
            Column::new("detail".into(), detail),
            Column::new("sha256".into(), sha),
            Column::new("time".into(), time),
        ],
    )
    .map_err(|e| QueryError::Write(e.to_string()))
}

/// The data dictionary: one row per column of every table.
fn dictionary(tables: &[ExportedTable], xlsx: bool) -> Result<DataFrame, QueryError> {
    let mut table = Vec::new();
    let mut column = Vec::new();
    let mut variable = Vec::new();
    let mut kind = Vec::new();
    let mut meaning = Vec::new();
    for t in tables {
        for c in &t.columns {
            table.push(t.name.clone());
            column.push(if xlsx {
                c.header.clone()
            } else {
                c.variable.clone()
            });
            variable.push(c.variable.clone());
            kind.push(c.kind.to_owned());
            meaning.push(c.description.clone());
        }
    }
    let height = table.len();
    DataFrame::new(
        height,
        vec![
            Column::new("table".into(), table),
            Column::new("column".into(), column),
            Column::new("variable".into(), variable),
            Column::new("type".into(), kind),
            Column::new("meaning".into(), meaning),
        ],
    )
    .map_err(|e| QueryError::Write(e.to_string()))
}

/// `frame` with its columns named by their headers (unique: a header used
/// twice gets its variable in brackets).
fn with_headers(table: &ExportedTable) -> Result<DataFrame, QueryError> {
    let mut frame = table.frame.clone();
    let mut used: Vec<String> = Vec::new();
    for c in &table.columns {
        let mut header = c.header.clone();
        if used.contains(&header) {
            header = format!("{header} ({})", c.variable);
        }
        used.push(header.clone());
        frame
            .rename(&c.variable, header.into())
            .map_err(|e| QueryError::Write(e.to_string()))?;
    }
    Ok(frame)
}

fn write(
    tables: &[ExportedTable],
    sources: &DataFrame,
    options: &ExportOptions,
    out: &Path,
) -> Result<Vec<(PathBuf, usize)>, QueryError> {
    let written = |e: ttkg_tables::TableError| QueryError::Write(e.to_string());
    let folder = |dir: &Path| {
        std::fs::create_dir_all(dir)
            .map_err(|e| QueryError::Write(format!("{}: {e}", dir.display())))
    };
    let mut files = Vec::new();
    let mut pending = Vec::new();
    let rows: usize = tables.iter().map(|t| t.frame.height()).sum();
    match options.format {
        ExportFormat::Xlsx => {
            let path = if out.extension().is_some_and(|x| x == "xlsx") {
                if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                    folder(parent)?;
                }
                out.to_owned()
            } else {
                folder(out)?;
                out.join("ttkg-export.xlsx")
            };
            let mut frames = Vec::with_capacity(tables.len() + 2);
            for t in tables {
                frames.push((t.name.as_str(), with_headers(t)?));
            }
            frames.push(("columns", dictionary(tables, true)?));
            frames.push(("sources", sources.clone()));
            let sheets: Vec<_> = frames.iter().map(|(n, f)| (*n, f)).collect();
            ttkg_tables::write_xlsx(&sheets, &path).map_err(written)?;
            files.push((path, rows));
        }
        ExportFormat::Csv { bom } => {
            folder(out)?;
            let options = CsvOptions {
                bom,
                ..CsvOptions::default()
            };
            let mut csv = |name: &str, frame: &DataFrame| -> Result<(), QueryError> {
                let path = out.join(format!("{name}.csv"));
                let file = ttkg_tables::csv_file(frame, &path, options).map_err(written)?;
                pending.push((file, path, frame.height()));
                Ok(())
            };
            for t in tables {
                csv(&t.name, &t.frame)?;
            }
            csv("columns", &dictionary(tables, false)?)?;
            csv("sources", sources)?;
        }
        ExportFormat::Parquet => {
            folder(out)?;
            for t in tables {
                let path = out.join(format!("{}.parquet", t.name));
                let file = ttkg_tables::parquet_file(&t.frame, &path).map_err(written)?;
                pending.push((file, path, t.frame.height()));
            }
            let options = CsvOptions::default();
            for (name, frame) in [
                ("columns", dictionary(tables, false)?),
                ("sources", sources.clone()),
            ] {
                let path = out.join(format!("{name}.csv"));
                let file = ttkg_tables::csv_file(&frame, &path, options).map_err(written)?;
                pending.push((file, path, frame.height()));
            }
        }
    }
    // Every file is written before any is put in place, so that a failure
    // never leaves an export folder of tables from two different states.
    for (file, path, rows) in pending {
        file.commit()
            .map_err(|e| QueryError::Write(format!("{}: {e}", path.display())))?;
        files.push((path, rows));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str, lang: &str) -> Term {
        Literal::new_language_tagged_literal_unchecked(text, lang).into()
    }

    #[test]
    fn a_label_is_chosen_by_language_with_a_fallback() {
        let values = [
            label("Thailand", "en"),
            label("泰国", "zh"),
            label("ประเทศไทย", "th"),
        ];
        let shown = |lang| cell(&values, lang).map(|t| term_text(&t));
        assert_eq!(shown("zh").as_deref(), Some("泰国"));
        assert_eq!(shown("th").as_deref(), Some("ประเทศไทย"));
        assert_eq!(shown("vi").as_deref(), Some("Thailand"));
        let no_english = [
            label("泰国", "zh"),
            Literal::new_simple_literal("Thai Co.").into(),
        ];
        assert_eq!(
            cell(&no_english, "vi").map(|t| term_text(&t)).as_deref(),
            Some("Thai Co.")
        );
    }

    #[test]
    fn several_values_are_sorted_and_joined() {
        let values: Vec<Term> = ["VN", "LA", "TH"]
            .iter()
            .map(|c| Literal::new_simple_literal(*c).into())
            .collect();
        assert_eq!(
            cell(&values, "en").map(|t| term_text(&t)).as_deref(),
            Some("LA; TH; VN")
        );
    }
}
