//! Building a report: each section's saved question asked of the store for
//! the period (and, where the section compares, for the period before),
//! its answer kept exact (numbers as decimals, concepts with their names in
//! both languages) for the HTML and XLSX writers.

use std::collections::HashMap;
use std::str::FromStr;

use oxsdatatypes::Decimal;
use ttkg_graph::oxigraph::model::{Term, Variable};
use ttkg_graph::oxigraph::sparql::QueryResults;
use ttkg_query::{Answerer, Deadline, ParamKind, Period, Vocabulary};
use ttkg_vocab::{RUNS_GRAPH, XSD};

use crate::definition::{ReportDefinition, ResolvedSection, SectionDefinition, Texts};
use crate::ReportError;

/// A report built for one period.
#[derive(Debug, Clone)]
pub struct Report {
    /// The definition's name (`monthly`).
    pub name: String,
    pub title: Texts,
    pub intro: Texts,
    pub period: Period,
    pub previous: Period,
    /// Whether any section shows the period before beside this one.
    pub compares: bool,
    /// When it was built (UTC, to the second).
    pub generated: String,
    /// The import the figures come from; `None` before the first import.
    pub data: Option<DataState>,
    pub sections: Vec<Section>,
}

impl Report {
    /// Where the figures come from, in `lang`: the import run (by its id)
    /// and how many source files' facts the store holds.
    pub fn data_text(&self, lang: &str) -> String {
        let zh = lang.starts_with("zh");
        match &self.data {
            Some(d) => {
                let run = d.run.rsplit('/').next().unwrap_or(&d.run);
                if zh {
                    format!(
                        "最近一次导入（{run}）于 {} 结束；库中共有 {} 个来源文件的事实",
                        d.ended, d.files
                    )
                } else {
                    format!(
                        "the import run {run}, ended {}; facts of {} source files",
                        d.ended, d.files
                    )
                }
            }
            None if zh => "库中还没有任何导入：所有数字都为空。".into(),
            None => "nothing has been imported into the store yet: every figure is empty.".into(),
        }
    }
}

/// What the store held when the report was built.
#[derive(Debug, Clone, PartialEq)]
pub struct DataState {
    /// The newest import run's IRI and when it ended.
    pub run: String,
    pub ended: String,
    /// Source files whose facts the store holds.
    pub files: u64,
}

/// One section's answer.
#[derive(Debug, Clone)]
pub struct Section {
    pub question: String,
    pub title: Texts,
    pub text: Texts,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Option<ChartPlan>,
    /// What the reader must be told (the section's checks that are not zero).
    pub notes: Vec<Texts>,
    /// Said instead of the table when the answer has no rows.
    pub empty: Texts,
}

/// A column of a section's table.
#[derive(Debug, Clone)]
pub struct Column {
    pub variable: String,
    pub header: Texts,
    /// What the column says (the saved question's `# @column`).
    pub description: String,
}

/// One value of a report's table, exact.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A value with names in the report's languages: a concept of the
    /// vocabulary (a country, a field; with its IRI), or a text the saved
    /// question translates (`# @label`).
    Named {
        iri: Option<String>,
        zh: Option<String>,
        en: Option<String>,
    },
    /// A year, shown as written (2016, not 2,016).
    Year(Decimal),
    Iri(String),
    /// An integer or decimal as the store holds it.
    Number(Decimal),
    /// `2016-06-16`.
    Date(String),
}

impl Cell {
    /// The value as a reader sees it in `lang` (numbers with thousands
    /// separators, exact).
    pub fn shown(&self, lang: &str) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) | Cell::Date(t) | Cell::Iri(t) => t.clone(),
            Cell::Named { iri, zh, en } => {
                let (first, second) = if lang.starts_with("zh") {
                    (zh, en)
                } else {
                    (en, zh)
                };
                let local = || {
                    let iri = iri.as_deref().unwrap_or("");
                    iri.rsplit(['/', '#']).next().unwrap_or(iri).to_owned()
                };
                first
                    .as_deref()
                    .or(second.as_deref())
                    .map_or_else(local, str::to_owned)
            }
            Cell::Number(n) => group_thousands(&n.to_string()),
            Cell::Year(n) => n.to_string(),
        }
    }

    pub fn number(&self) -> Option<Decimal> {
        match self {
            Cell::Number(n) | Cell::Year(n) => Some(*n),
            _ => None,
        }
    }
}

/// `1234567.5` as `1,234,567.5`: the digits unchanged, grouped.
pub fn group_thousands(number: &str) -> String {
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `n` as a float, when the float writes back as exactly `n` (spreadsheets
/// and charts hold floats; `0.1` is fine, 17 significant digits are not).
pub fn exact_float(n: Decimal) -> Option<f64> {
    let float = f64::from(oxsdatatypes::Double::from(n));
    (Decimal::from_str(&format!("{float}")).ok() == Some(n)).then_some(float)
}

/// How a section is drawn: the columns of its chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPlan {
    /// bar, stacked, line or pie.
    pub kind: String,
    pub x: usize,
    pub series: Option<usize>,
    pub value: usize,
}

/// A chart's values, in one language: categories along the x-axis, one
/// list of values per series (sums where several rows share a place).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub kind: String,
    pub x_title: String,
    pub value_title: String,
    pub categories: Vec<String>,
    pub series: Vec<(String, Vec<Option<f64>>)>,
    /// Said under the chart when rows of the table are not on it: a line
    /// has no place for a year that was not reported.
    pub note: Option<String>,
}

/// The note under a chart that leaves `n` rows with no `x` out.
fn not_drawn_note(n: usize, x: &str, lang: &str) -> Option<String> {
    (n > 0).then(|| {
        if lang.starts_with("zh") {
            format!("{n} 行没有{x}，未画入折线，见下表。")
        } else {
            let rows = if n == 1 { "row" } else { "rows" };
            format!("{n} {rows} with no {x} reported: not on the lines, in the table below.")
        }
    })
}

impl Section {
    /// The chart's values in `lang`; `None` when the section has no chart
    /// or nothing to draw.
    pub fn chart_data(&self, lang: &str) -> Option<ChartData> {
        let plan = self.chart.as_ref()?;
        // Years and other numbers along the x-axis go in order, an empty
        // one (a year not reported) last; labels in the order of the answer.
        // A line leaves the empty one out (joined to the years, it would
        // read as a rise or fall) and says so.
        let line = plan.kind == "line";
        let drawn = |row: &&Vec<Cell>| !(line && row[plan.x] == Cell::Empty);
        let not_drawn = self.rows.iter().filter(|r| !drawn(r)).count();
        let mut xs: Vec<&Cell> = Vec::new();
        for row in self.rows.iter().filter(drawn) {
            if !xs.contains(&&row[plan.x]) {
                xs.push(&row[plan.x]);
            }
        }
        if xs
            .iter()
            .all(|c| c.number().is_some() || **c == Cell::Empty)
        {
            xs.sort_by_key(|c| (c.number().is_none(), c.number()));
        }
        let mut names: Vec<&Cell> = Vec::new();
        if let Some(s) = plan.series {
            for row in &self.rows {
                if !names.contains(&&row[s]) {
                    names.push(&row[s]);
                }
            }
        }
        let mut series: Vec<(String, Vec<Option<f64>>)> = if names.is_empty() {
            vec![(
                self.columns[plan.value].header.get(lang).to_owned(),
                vec![None; xs.len()],
            )]
        } else {
            names
                .iter()
                .map(|n| (shown_or_blank(n, lang), vec![None; xs.len()]))
                .collect()
        };
        for row in self.rows.iter().filter(drawn) {
            let Some(value) = row[plan.value].number() else {
                continue;
            };
            let i = xs.iter().position(|x| *x == &row[plan.x])?;
            let s = plan
                .series
                .and_then(|s| names.iter().position(|n| *n == &row[s]))
                .unwrap_or(0);
            let slot = &mut series[s].1[i];
            let value = f64::from(oxsdatatypes::Double::from(value));
            *slot = Some(slot.unwrap_or(0.0) + value);
        }
        if series.iter().all(|(_, v)| v.iter().all(Option::is_none)) {
            return None;
        }
        Some(ChartData {
            kind: plan.kind.clone(),
            note: not_drawn_note(not_drawn, self.columns[plan.x].header.get(lang), lang),
            x_title: self.columns[plan.x].header.get(lang).to_owned(),
            value_title: self.columns[plan.value].header.get(lang).to_owned(),
            categories: xs.iter().map(|c| shown_or_blank(c, lang)).collect(),
            series,
        })
    }
}

/// A label for a chart: the value, or "(not reported)" for an empty one.
fn shown_or_blank(cell: &Cell, lang: &str) -> String {
    match cell {
        Cell::Empty if lang.starts_with("zh") => "（未填报）".into(),
        Cell::Empty => "(not reported)".into(),
        other => other.shown(lang),
    }
}

/// Builds `definition` for `period` from `store`, each question within
/// `deadline`.
pub fn build(
    store: &dyn Answerer,
    definition: &ReportDefinition,
    sections: &[ResolvedSection],
    period: Period,
    deadline: &Deadline,
) -> Result<Report, ReportError> {
    let vocabulary = Vocabulary::load(store).map_err(|e| ReportError::Query {
        question: "(the ontology's concepts)".into(),
        source: Box::new(e),
    })?;
    let concepts: HashMap<&str, (&Option<String>, &Option<String>)> = vocabulary
        .schemes
        .values()
        .flatten()
        .map(|c| (c.iri.as_str(), (&c.zh, &c.en)))
        .collect();
    let cell = |term: Option<Term>| -> Cell {
        match term {
            None => Cell::Empty,
            Some(Term::NamedNode(n)) => match concepts.get(n.as_str()) {
                Some((zh, en)) => Cell::Named {
                    iri: Some(n.as_str().to_owned()),
                    zh: (*zh).clone(),
                    en: (*en).clone(),
                },
                None => Cell::Iri(n.into_string()),
            },
            Some(Term::Literal(l)) => literal_cell(l.value(), l.datatype().as_str()),
            Some(other) => Cell::Text(other.to_string()),
        }
    };
    let previous = period.previous();
    let mut built = Vec::new();
    for resolved in sections {
        let question = &resolved.question;
        let ask = |p: Period| -> Result<(Vec<String>, Vec<Vec<Cell>>), ReportError> {
            let failed = |source| ReportError::Query {
                question: question.name.clone(),
                source: Box::new(source),
            };
            let given: Vec<(String, String)> = question
                .params
                .iter()
                .filter(|param| param.kind == ParamKind::Period)
                .map(|param| (param.name.clone(), p.to_string()))
                .collect();
            let bindings = question
                .bindings_checked(&given, Some(&vocabulary))
                .map_err(failed)?;
            let results = store
                .answer(&question.text, &bindings, deadline)
                .map_err(failed)?;
            let QueryResults::Solutions(solutions) = results else {
                return Err(failed(ttkg_query::QueryError::NotSelect));
            };
            let variables: Vec<Variable> = solutions.variables().to_vec();
            let mut rows = Vec::new();
            for solution in solutions {
                let solution = solution
                    .map_err(|e| failed(ttkg_query::QueryError::Evaluation(e.to_string())))?;
                rows.push(
                    variables
                        .iter()
                        .map(|v| cell(solution.get(v).cloned()))
                        .collect(),
                );
            }
            Ok((
                variables.iter().map(|v| v.as_str().to_owned()).collect(),
                rows,
            ))
        };
        let (variables, rows) = ask(period)?;
        let compared = if resolved.definition.compare.is_empty() {
            None
        } else {
            Some(ask(previous)?.1)
        };
        let (rows, compared) = (named(question, rows), compared.map(|r| named(question, r)));
        let rows = years_as_written(&variables, rows);
        let compared = compared.map(|r| years_as_written(&variables, r));
        built.push(section(resolved, period, variables, rows, compared));
    }
    Ok(Report {
        name: definition.name.clone(),
        title: definition.title.clone(),
        intro: definition.intro.clone(),
        period,
        previous,
        compares: sections.iter().any(|s| !s.definition.compare.is_empty()),
        generated: now(),
        data: data_state(store)?,
        sections: built,
    })
}

/// Text values the question translates (`# @label`) with their names.
fn named(question: &ttkg_query::SavedQuery, rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    if question.labels.is_empty() {
        return rows;
    }
    let translation = |text: &str, lang: &str| {
        question
            .labels
            .iter()
            .find(|(l, value, _)| l == lang && value == text)
            .map(|(_, _, t)| t.clone())
    };
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|cell| match cell {
                    Cell::Text(text) if translation(&text, "zh").is_some() => Cell::Named {
                        iri: None,
                        zh: translation(&text, "zh"),
                        en: translation(&text, "en").or(Some(text)),
                    },
                    other => other,
                })
                .collect()
        })
        .collect()
}

/// Numbers of a column called `year` (or `…Year`) as years: written as
/// they are, not grouped in thousands.
fn years_as_written(variables: &[String], rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    let years: Vec<bool> = variables
        .iter()
        .map(|v| v == "year" || v.ends_with("Year"))
        .collect();
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&years)
                .map(|(cell, &year)| match cell {
                    Cell::Number(n) if year => Cell::Year(n),
                    other => other,
                })
                .collect()
        })
        .collect()
}

/// An RDF literal as a cell: numbers exact, days as dates, the rest as text.
fn literal_cell(value: &str, datatype: &str) -> Cell {
    let local = datatype.strip_prefix(XSD).unwrap_or("");
    match local {
        "integer" | "int" | "long" | "short" | "byte" | "decimal" | "nonNegativeInteger"
        | "positiveInteger" | "unsignedInt" | "unsignedLong" | "unsignedShort" => {
            Decimal::from_str(value).map_or_else(|_| Cell::Text(value.to_owned()), Cell::Number)
        }
        "date" => Cell::Date(value.to_owned()),
        _ => Cell::Text(value.to_owned()),
    }
}

/// The section's table: the period column left out (the report names the
/// period), compared columns as this period, the one before, and the change.
fn section(
    resolved: &ResolvedSection,
    period: Period,
    variables: Vec<String>,
    rows: Vec<Vec<Cell>>,
    previous_rows: Option<Vec<Vec<Cell>>>,
) -> Section {
    let layout = Layout::new(resolved, &variables, &rows);
    let columns = layout.columns(resolved, &variables, period);
    let table = match &previous_rows {
        None => rows.iter().map(|r| layout.widen(r, None)).collect(),
        Some(before) => layout.compare(&rows, before, &columns),
    };
    let definition = &resolved.definition;
    let question = &resolved.question;
    Section {
        question: question.name.clone(),
        title: if definition.title.is_empty() {
            question_title(question)
        } else {
            definition.title.clone()
        },
        text: definition.text.clone(),
        chart: chart_plan(resolved, &columns),
        notes: notes(definition, &columns, &table),
        empty: if definition.empty.is_empty() {
            Texts::new(
                format!(
                    "{}没有可报告的内容：问题 {} 未返回任何行。",
                    period.label("zh"),
                    question.name
                ),
                format!(
                    "Nothing to report for {}: question {} returned no rows.",
                    period.label("en"),
                    question.name
                ),
            )
        } else {
            definition.empty.clone()
        },
        columns,
        rows: table,
    }
}

/// Which of an answer's columns a section shows, compares and matches the
/// rows of two periods on.
struct Layout {
    /// Every column but the period's.
    kept: Vec<usize>,
    /// Those shown for the period before too, with the change.
    compared: Vec<usize>,
    /// The labels rows are matched on: neither numbers nor compared.
    key_columns: Vec<usize>,
}

impl Layout {
    fn new(resolved: &ResolvedSection, variables: &[String], rows: &[Vec<Cell>]) -> Layout {
        let period_params: Vec<&str> = resolved
            .question
            .params
            .iter()
            .filter(|p| p.kind == ParamKind::Period)
            .map(|p| p.name.as_str())
            .collect();
        let kept: Vec<usize> = (0..variables.len())
            .filter(|&i| !period_params.contains(&variables[i].as_str()))
            .collect();
        let compared: Vec<usize> = kept
            .iter()
            .copied()
            .filter(|&i| resolved.definition.compare.contains(&variables[i]))
            .collect();
        let key_columns = kept
            .iter()
            .copied()
            .filter(|&i| !rows.iter().any(|r| matches!(r[i], Cell::Number(_))))
            .filter(|i| !compared.contains(i))
            .collect();
        Layout {
            kept,
            compared,
            key_columns,
        }
    }

    /// The columns shown: a compared one as three (this period, the one
    /// before, the change), with headers from the question's `# @column`.
    fn columns(
        &self,
        resolved: &ResolvedSection,
        variables: &[String],
        period: Period,
    ) -> Vec<Column> {
        let doc = |v: &str| resolved.question.columns.iter().find(|c| c.variable == v);
        let mut columns = Vec::new();
        for &i in &self.kept {
            let v = &variables[i];
            let description = doc(v).map(|d| d.description.clone()).unwrap_or_default();
            let header = match doc(v) {
                Some(d) => Texts::new(d.header("zh"), d.header("en")),
                None => Texts::new(v, v),
            };
            if !self.compared.contains(&i) {
                columns.push(Column {
                    variable: v.clone(),
                    header,
                    description,
                });
                continue;
            }
            let with = |p: Period| {
                Texts::new(
                    format!("{}（{}）", header.get("zh"), p.label("zh")),
                    format!("{} ({})", header.get("en"), p.label("en")),
                )
            };
            let change = format!(
                "{} minus {}",
                period.label("en"),
                period.previous().label("en")
            );
            columns.extend([
                Column {
                    variable: v.clone(),
                    header: with(period),
                    description: description.clone(),
                },
                Column {
                    variable: format!("{v}Previous"),
                    header: with(period.previous()),
                    description,
                },
                Column {
                    variable: format!("{v}Change"),
                    header: Texts::new(
                        format!("变化（{}）", header.get("zh")),
                        format!("Change ({})", header.get("en")),
                    ),
                    description: change,
                },
            ]);
        }
        columns
    }

    fn key(&self, row: &[Cell]) -> Vec<Cell> {
        self.key_columns.iter().map(|&i| row[i].clone()).collect()
    }

    /// A row as shown: compared columns followed by their value in the
    /// period before (`before`, the matching row) and the exact change.
    fn widen(&self, row: &[Cell], before: Option<&Vec<Cell>>) -> Vec<Cell> {
        let mut out = Vec::new();
        for &i in &self.kept {
            out.push(row[i].clone());
            if self.compared.contains(&i) {
                let earlier = before.map_or(Cell::Empty, |b| b[i].clone());
                let change = match (row[i].number(), earlier.number()) {
                    (Some(now), Some(then)) => {
                        now.checked_sub(then).map_or(Cell::Empty, Cell::Number)
                    }
                    _ => Cell::Empty,
                };
                out.push(earlier);
                out.push(change);
            }
        }
        out
    }

    /// The rows of the period next to those of the period before, matched
    /// on their labels; a row only the period before had still shows.
    fn compare(
        &self,
        rows: &[Vec<Cell>],
        before: &[Vec<Cell>],
        columns: &[Column],
    ) -> Vec<Vec<Cell>> {
        let mut table: Vec<Vec<Cell>> = rows
            .iter()
            .map(|row| self.widen(row, before.iter().find(|b| self.key(b) == self.key(row))))
            .collect();
        for b in before {
            if rows.iter().any(|r| self.key(r) == self.key(b)) {
                continue;
            }
            let mut blank: Vec<Cell> = b.clone();
            for &i in &self.kept {
                if !self.key_columns.contains(&i) {
                    blank[i] = Cell::Empty;
                }
            }
            let mut widened = self.widen(&blank, Some(b));
            // The change of a row that is gone is not known.
            for (c, column) in columns.iter().enumerate() {
                if column.variable.ends_with("Change") {
                    widened[c] = Cell::Empty;
                }
            }
            table.push(widened);
        }
        table
    }
}

/// The section's chart, by column position; none when a column it names
/// is not shown.
fn chart_plan(resolved: &ResolvedSection, columns: &[Column]) -> Option<ChartPlan> {
    let position = |v: &str| columns.iter().position(|c| c.variable == v);
    let c = resolved.chart.as_ref()?;
    Some(ChartPlan {
        kind: c.kind.clone(),
        x: position(c.x.as_deref()?)?,
        series: match &c.series {
            Some(s) => Some(position(s)?),
            None => None,
        },
        value: position(c.value.as_deref()?)?,
    })
}

/// The section's checks whose column adds up to something other than zero.
fn notes(definition: &SectionDefinition, columns: &[Column], table: &[Vec<Cell>]) -> Vec<Texts> {
    definition
        .checks
        .iter()
        .filter_map(|check| {
            let c = columns
                .iter()
                .position(|col| col.variable == check.column)?;
            let total = table
                .iter()
                .filter_map(|r| r[c].number())
                .try_fold(Decimal::from(0), |a, b| a.checked_add(b))?;
            (total != Decimal::from(0)).then(|| {
                let n = group_thousands(&total.to_string());
                Texts::new(check.zh.replace("{n}", &n), check.en.replace("{n}", &n))
            })
        })
        .collect()
}

/// A saved question's title in both languages.
fn question_title(question: &ttkg_query::SavedQuery) -> Texts {
    let zh = question
        .titles
        .iter()
        .find(|(l, _)| l.starts_with("zh"))
        .map_or(question.title.clone(), |(_, t)| t.clone());
    Texts::new(zh, question.title.clone())
}

/// The newest import run and how many source files the store holds.
fn data_state(store: &dyn Answerer) -> Result<Option<DataState>, ReportError> {
    let failed = |e: ttkg_graph::GraphError| ReportError::Query {
        question: "(the import runs)".into(),
        source: Box::new(e.into()),
    };
    let text = |t: &Option<Term>| match t {
        Some(Term::Literal(l)) => l.value().to_owned(),
        Some(Term::NamedNode(n)) => n.as_str().to_owned(),
        _ => String::new(),
    };
    let runs = store
        .select_terms(&format!(
            "SELECT ?run ?ended WHERE {{ GRAPH <{RUNS_GRAPH}> {{ ?run a ttkg:ImportRun ; prov:endedAtTime ?ended }} }}
             ORDER BY DESC(?ended) LIMIT 1"
        ))
        .map_err(failed)?;
    let Some(run) = runs.first() else {
        return Ok(None);
    };
    let files = store
        .select_terms("SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a ttkg:SourceFile }")
        .map_err(failed)?;
    Ok(Some(DataState {
        run: text(&run[0]),
        ended: text(&run[1]),
        files: files
            .first()
            .map(|r| text(&r[0]).parse().unwrap_or(0))
            .unwrap_or(0),
    }))
}

/// Now, UTC, to the second: `2026-12-04 15:30:59 UTC`.
fn now() -> String {
    let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    now.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_without_changing_a_digit() {
        assert_eq!(group_thousands("1763"), "1,763");
        assert_eq!(group_thousands("123"), "123");
        assert_eq!(group_thousands("-1234567.125"), "-1,234,567.125");
        assert_eq!(group_thousands("5.9"), "5.9");
        assert_eq!(
            Cell::Number(Decimal::from_str("123456789012.000001").unwrap()).shown("en"),
            "123,456,789,012.000001"
        );
    }

    /// Years go along a chart's axis in order, whatever order the answer
    /// gave them in, and a year not reported comes last with its own label
    /// (bars) or is left out with a note (a line).
    #[test]
    fn a_chart_puts_years_in_order_and_an_unreported_year_last() {
        let column = |name: &str| Column {
            variable: name.into(),
            header: Texts::new(name, name),
            description: String::new(),
        };
        let year = |y: i64| Cell::Year(Decimal::from(y));
        let n = |v: i64| Cell::Number(Decimal::from(v));
        let section = Section {
            question: "agreements-by-country".into(),
            title: Texts::default(),
            text: Texts::default(),
            columns: vec![column("country"), column("year"), column("agreements")],
            rows: vec![
                vec![Cell::Text("Thailand".into()), year(2016), n(3)],
                vec![Cell::Text("Thailand".into()), Cell::Empty, n(1)],
                vec![Cell::Text("Vietnam".into()), year(2014), n(2)],
                vec![Cell::Text("Vietnam".into()), year(2016), n(5)],
            ],
            chart: Some(ChartPlan {
                kind: "bar".into(),
                x: 1,
                series: Some(0),
                value: 2,
            }),
            notes: Vec::new(),
            empty: Texts::default(),
        };
        let mut section = section;
        let bars = section.chart_data("en").unwrap();
        assert_eq!(bars.categories, ["2014", "2016", "(not reported)"]);
        assert_eq!(
            bars.series,
            [
                ("Thailand".to_owned(), vec![None, Some(3.0), Some(1.0)]),
                ("Vietnam".to_owned(), vec![Some(2.0), Some(5.0), None]),
            ]
        );
        assert_eq!(bars.note, None);
        // A line has no place for it: left out, and said.
        section.chart.as_mut().unwrap().kind = "line".into();
        let line = section.chart_data("en").unwrap();
        assert_eq!(line.categories, ["2014", "2016"]);
        assert_eq!(line.series[0].1, [None, Some(3.0)]);
        assert_eq!(
            line.note.as_deref(),
            Some("1 row with no year reported: not on the lines, in the table below.")
        );
        let zh = section.chart_data("zh").unwrap().note.unwrap();
        assert!(zh.starts_with("1 行没有year"), "{zh}");
    }

    #[test]
    fn literals_become_exact_cells() {
        let xsd = |t: &str| format!("{XSD}{t}");
        assert_eq!(
            literal_cell("0.1", &xsd("decimal")),
            Cell::Number(Decimal::from_str("0.1").unwrap())
        );
        assert_eq!(
            literal_cell("2016-06-12", &xsd("date")),
            Cell::Date("2016-06-12".into())
        );
        assert_eq!(
            literal_cell("2016-06", &xsd("gYearMonth")),
            Cell::Text("2016-06".into())
        );
        // Too many digits for an exact decimal: kept as written.
        let huge = "1".repeat(60);
        assert_eq!(
            literal_cell(&huge, &xsd("integer")),
            Cell::Text(huge.clone())
        );
    }
}
