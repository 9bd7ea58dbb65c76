//! Query results in the formats analysts' tools read: an aligned table for
//! people, the W3C result formats (CSV, TSV, JSON, XML) for tools, and RDF
//! syntaxes for CONSTRUCT and DESCRIBE.

use std::io::Write;

use ttkg_graph::oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use ttkg_graph::oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use ttkg_graph::oxigraph::sparql::{QueryResults, QuerySolutionIter, QueryTripleIter};
use ttkg_graph::store::term_text;

use crate::{evaluation_error, QueryError};

/// How to print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns, for reading on a terminal.
    Table,
    /// SPARQL 1.1 Query Results CSV.
    Csv,
    /// SPARQL 1.1 Query Results TSV.
    Tsv,
    /// SPARQL 1.1 Query Results JSON.
    Json,
    /// SPARQL Query Results XML.
    Xml,
    /// Turtle (CONSTRUCT and DESCRIBE).
    Turtle,
    /// N-Triples (CONSTRUCT and DESCRIBE).
    NTriples,
    /// JSON-LD (CONSTRUCT and DESCRIBE).
    JsonLd,
}

impl OutputFormat {
    fn results_format(self) -> Option<QueryResultsFormat> {
        match self {
            OutputFormat::Csv => Some(QueryResultsFormat::Csv),
            OutputFormat::Tsv => Some(QueryResultsFormat::Tsv),
            OutputFormat::Json => Some(QueryResultsFormat::Json),
            OutputFormat::Xml => Some(QueryResultsFormat::Xml),
            _ => None,
        }
    }

    fn rdf_format(self) -> Option<RdfFormat> {
        match self {
            OutputFormat::Turtle => Some(RdfFormat::Turtle),
            OutputFormat::NTriples => Some(RdfFormat::NTriples),
            OutputFormat::JsonLd => Some(RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            }),
            _ => None,
        }
    }

    /// Every format, in the order `--help` lists them.
    pub const ALL: [OutputFormat; 8] = [
        OutputFormat::Table,
        OutputFormat::Csv,
        OutputFormat::Tsv,
        OutputFormat::Json,
        OutputFormat::Xml,
        OutputFormat::Turtle,
        OutputFormat::NTriples,
        OutputFormat::JsonLd,
    ];

    /// The name analysts type (`--format csv`).
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Tsv => "tsv",
            OutputFormat::Json => "json",
            OutputFormat::Xml => "xml",
            OutputFormat::Turtle => "turtle",
            OutputFormat::NTriples => "ntriples",
            OutputFormat::JsonLd => "jsonld",
        }
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = OutputFormat::ALL.iter().map(|f| f.name()).collect();
                format!("`{name}` is not a format; use one of {}", names.join(", "))
            })
    }
}

/// A term as a person reads it: an IRI as a prefixed name where one of the
/// predeclared prefixes covers it (`ttkg:joinedOn`, `rdf:type`), else whole;
/// a literal's value; a blank node as `_:id`.
pub fn display_text(term: &ttkg_graph::oxigraph::model::Term) -> String {
    match term {
        ttkg_graph::oxigraph::model::Term::NamedNode(n) => {
            let compact = ttkg_vocab::compact(n.as_str());
            if compact.starts_with('<') {
                n.as_str().to_owned()
            } else {
                compact
            }
        }
        other => term_text(other),
    }
}

/// Writes `results` to `out` and says how many rows (or triples) it wrote.
/// Without a format, SELECT and ASK give a table on a terminal and CSV
/// otherwise; CONSTRUCT and DESCRIBE give Turtle. Tables show IRIs as
/// prefixed names; the W3C formats keep them whole.
pub fn write_results(
    results: QueryResults<'static>,
    format: Option<OutputFormat>,
    terminal: bool,
    out: &mut dyn Write,
) -> Result<usize, QueryError> {
    let tabular_default = if terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Csv
    };
    match results {
        QueryResults::Boolean(value) => match format.unwrap_or(tabular_default) {
            OutputFormat::Table => writeln!(out, "{value}").map_err(write_error).map(|()| 1),
            f => {
                let serializer = QueryResultsSerializer::from_format(
                    f.results_format().ok_or_else(|| wrong_format(f, "ASK"))?,
                );
                serializer
                    .serialize_boolean_to_writer(&mut *out, value)
                    .map_err(write_error)?;
                // The text formats end the line, as shells and `wc -l` expect.
                if matches!(f, OutputFormat::Csv | OutputFormat::Tsv) {
                    writeln!(out).map_err(write_error)?;
                }
                Ok(1)
            }
        },
        QueryResults::Solutions(solutions) => {
            write_solutions(solutions, format.unwrap_or(tabular_default), out)
        }
        QueryResults::Graph(triples) => {
            write_graph(triples, format.unwrap_or(OutputFormat::Turtle), out)
        }
    }
}

fn write_solutions(
    solutions: QuerySolutionIter<'static>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<usize, QueryError> {
    if format == OutputFormat::Table {
        let header: Vec<String> = solutions
            .variables()
            .iter()
            .map(|v| v.as_str().to_owned())
            .collect();
        let variables = solutions.variables().to_vec();
        let mut rows = Vec::new();
        for solution in solutions {
            let solution = solution.map_err(evaluation_error)?;
            rows.push(
                variables
                    .iter()
                    .map(|v| solution.get(v).map(display_text).unwrap_or_default())
                    .collect::<Vec<_>>(),
            );
        }
        return out
            .write_all(render_table(&header, &rows).as_bytes())
            .map_err(write_error)
            .map(|()| rows.len());
    }
    let results_format = format
        .results_format()
        .ok_or_else(|| wrong_format(format, "SELECT"))?;
    let mut serializer = QueryResultsSerializer::from_format(results_format)
        .serialize_solutions_to_writer(&mut *out, solutions.variables().to_vec())
        .map_err(write_error)?;
    let mut rows = 0;
    for solution in solutions {
        let solution = solution.map_err(evaluation_error)?;
        serializer.serialize(&solution).map_err(write_error)?;
        rows += 1;
    }
    serializer.finish().map_err(write_error)?;
    Ok(rows)
}

fn write_graph(
    triples: QueryTripleIter<'static>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<usize, QueryError> {
    let rdf_format = format
        .rdf_format()
        .ok_or_else(|| wrong_format(format, "CONSTRUCT or DESCRIBE"))?;
    let mut serializer = RdfSerializer::from_format(rdf_format);
    for (prefix, namespace) in ttkg_vocab::PREFIXES {
        serializer = serializer
            .with_prefix(*prefix, *namespace)
            .expect("the vocabulary's namespaces are valid IRIs");
    }
    let mut writer = serializer.for_writer(&mut *out);
    let mut count = 0;
    for triple in triples {
        let triple = triple.map_err(evaluation_error)?;
        writer.serialize_triple(&triple).map_err(write_error)?;
        count += 1;
    }
    writer.finish().map_err(write_error)?;
    Ok(count)
}

fn wrong_format(format: OutputFormat, kind: &str) -> QueryError {
    QueryError::WrongFormat {
        format: format.name(),
        kind: kind.to_owned(),
        expected: if kind == "SELECT" || kind == "ASK" {
            "table, csv, tsv, json or xml"
        } else {
            "turtle, ntriples or jsonld"
        },
    }
}

fn write_error(e: impl std::fmt::Display) -> QueryError {
    QueryError::Write(e.to_string())
}

/// Aligned columns under a header and a rule, counting CJK characters as
/// two columns wide so Chinese names line up.
pub fn render_table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(display_width(cell));
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(display_width(c)))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(header);
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_chinese_text() {
        let table = render_table(
            &["name".into(), "n".into()],
            &[
                vec!["广西".into(), "1".into()],
                vec!["Hanoi".into(), "22".into()],
            ],
        );
        assert_eq!(table, "name   n\n-----  --\n广西   1\nHanoi  22\n");
    }
}
