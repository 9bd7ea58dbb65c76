//! Content negotiation: which result format to answer in, from the
//! request's `Accept` header (with q-values and wildcards) or an explicit
//! `format=` (`output=`, `results=`) parameter, which wins when it names a
//! format of this kind of answer. SPARQL clients add such a parameter by
//! default with names of their own (SPARQLWrapper sends `format=xml` with a
//! CONSTRUCT), so the usual names are aliases, and a name that does not fit
//! the answer defers to the `Accept` header.

use ttkg_graph::oxigraph::io::{JsonLdProfileSet, RdfFormat};
use ttkg_graph::oxigraph::sparql::results::QueryResultsFormat;

/// What kind of answer a query gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// SELECT.
    Solutions,
    /// ASK.
    Boolean,
    /// CONSTRUCT, DESCRIBE, and Graph Store reads.
    Graph,
}

/// The format chosen for an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Results(QueryResultsFormat),
    Rdf(RdfFormat),
    /// A workbook with the rows of a SELECT, for the query page's download.
    Xlsx,
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Results(QueryResultsFormat::Csv) => "text/csv; charset=utf-8",
            Format::Results(QueryResultsFormat::Tsv) => "text/tab-separated-values; charset=utf-8",
            Format::Results(f) => f.media_type(),
            Format::Rdf(f) => f.media_type(),
            Format::Xlsx => XLSX,
        }
    }
}

/// (media type, short name for `format=`, format) in order of preference:
/// the first is the answer to `*/*` or no `Accept` at all.
fn offers(answer: Answer) -> Vec<(&'static str, &'static str, Format)> {
    let results = |f| Format::Results(f);
    let rdf = |f| Format::Rdf(f);
    match answer {
        Answer::Solutions | Answer::Boolean => {
            let mut offers = vec![
                (
                    "application/sparql-results+json",
                    "json",
                    results(QueryResultsFormat::Json),
                ),
                (
                    "application/sparql-results+xml",
                    "xml",
                    results(QueryResultsFormat::Xml),
                ),
                ("text/csv", "csv", results(QueryResultsFormat::Csv)),
                (
                    "text/tab-separated-values",
                    "tsv",
                    results(QueryResultsFormat::Tsv),
                ),
                (
                    "application/json",
                    "json",
                    results(QueryResultsFormat::Json),
                ),
                ("application/xml", "xml", results(QueryResultsFormat::Xml)),
                ("text/xml", "xml", results(QueryResultsFormat::Xml)),
            ];
            if answer == Answer::Solutions {
                offers.push((XLSX, "xlsx", Format::Xlsx));
            }
            offers
        }
        Answer::Graph => vec![
            ("text/turtle", "turtle", rdf(RdfFormat::Turtle)),
            (
                "application/n-triples",
                "ntriples",
                rdf(RdfFormat::NTriples),
            ),
            (
                "application/ld+json",
                "jsonld",
                rdf(RdfFormat::JsonLd {
                    profile: JsonLdProfileSet::empty(),
                }),
            ),
            ("application/rdf+xml", "rdfxml", rdf(RdfFormat::RdfXml)),
            ("application/n-quads", "nquads", rdf(RdfFormat::NQuads)),
            ("application/trig", "trig", rdf(RdfFormat::TriG)),
            ("text/plain", "ntriples", rdf(RdfFormat::NTriples)),
        ],
    }
}

/// The format the name a SPARQL client gives in `format=` stands for, for
/// this kind of answer: `xml` is the results format for a SELECT and
/// RDF/XML for a CONSTRUCT; N3 is answered in Turtle, a subset of it.
fn alias(name: &str, answer: Answer) -> Option<Format> {
    let results = |f| Some(Format::Results(f));
    let rdf = |f| Some(Format::Rdf(f));
    match answer {
        Answer::Solutions | Answer::Boolean => match name {
            "json"
            | "srj"
            | "sparql-results+json"
            | "application/sparql-results+json"
            | "application/json"
            | "text/javascript"
            | "application/javascript" => results(QueryResultsFormat::Json),
            "xml"
            | "srx"
            | "sparql-results+xml"
            | "application/sparql-results+xml"
            | "application/xml"
            | "text/xml" => results(QueryResultsFormat::Xml),
            "csv" | "text/csv" => results(QueryResultsFormat::Csv),
            "tsv" | "tab" | "text/tab-separated-values" => results(QueryResultsFormat::Tsv),
            "xlsx" | "excel" if answer == Answer::Solutions => Some(Format::Xlsx),
            _ => None,
        },
        Answer::Graph => match name {
            "turtle"
            | "ttl"
            | "n3"
            | "text/turtle"
            | "text/n3"
            | "text/rdf+n3"
            | "application/x-turtle" => rdf(RdfFormat::Turtle),
            "xml"
            | "rdf"
            | "rdfxml"
            | "rdf+xml"
            | "rdf/xml"
            | "pretty-xml"
            | "application/rdf+xml"
            | "application/xml"
            | "text/xml" => rdf(RdfFormat::RdfXml),
            "json-ld" | "jsonld" | "json" | "application/ld+json" | "application/json" => {
                rdf(RdfFormat::JsonLd {
                    profile: JsonLdProfileSet::empty(),
                })
            }
            "nt" | "ntriples" | "n-triples" | "nt11" | "application/n-triples" | "text/plain" => {
                rdf(RdfFormat::NTriples)
            }
            "nq" | "nquads" | "n-quads" | "application/n-quads" => rdf(RdfFormat::NQuads),
            "trig" | "application/trig" => rdf(RdfFormat::TriG),
            _ => None,
        },
    }
}

/// Picks the format for `answer`, or says (for a 406) what is on offer.
pub fn choose(
    accept: Option<&str>,
    format: Option<&str>,
    answer: Answer,
) -> Result<Format, String> {
    let offers = offers(answer);
    let on_offer = || {
        let mut types: Vec<&str> = offers.iter().map(|(t, _, _)| *t).collect();
        types.dedup();
        let mut names: Vec<&str> = offers.iter().map(|(_, n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        format!(
            "this answer is available as {} (or format={})",
            types.join(", "),
            names.join("|")
        )
    };
    let accept = accept.filter(|a| !a.trim().is_empty());
    if let Some(name) = format {
        let wanted = name.trim().to_ascii_lowercase();
        if let Some(found) = alias(&wanted, answer).or_else(|| {
            offers
                .iter()
                .find(|(media, short, _)| *short == wanted || *media == wanted)
                .map(|(_, _, f)| *f)
        }) {
            return Ok(found);
        }
        if accept.is_none() {
            return Err(format!("format={wanted} does not fit; {}", on_offer()));
        }
    }
    let Some(accept) = accept else {
        return Ok(offers[0].2);
    };
    let mut ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let mut q = 1.0;
            for param in parts {
                if let Some((key, value)) = param.split_once('=') {
                    if key.trim().eq_ignore_ascii_case("q") {
                        q = value.trim().parse().unwrap_or(0.0);
                    }
                }
            }
            (!media.is_empty()).then_some((media, q))
        })
        .collect();
    // Highest q first; among equals, the order the client wrote.
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (media, q) in &ranges {
        if *q <= 0.0 {
            continue;
        }
        let found = if media == "*/*" {
            Some(offers[0].2)
        } else if let Some(kind) = media.strip_suffix("/*") {
            offers
                .iter()
                .find(|(m, _, _)| m.split('/').next() == Some(kind))
                .map(|(_, _, f)| *f)
        } else {
            offers
                .iter()
                .find(|(m, _, _)| m == media)
                .map(|(_, _, f)| *f)
        };
        if let Some(format) = found {
            return Ok(format);
        }
    }
    Err(format!(
        "nothing in `Accept: {accept}` fits; {}",
        on_offer()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str, answer: Answer) -> Result<Format, String> {
        choose(Some(accept), None, answer)
    }

    #[test]
    fn the_best_acceptable_format_wins() {
        let json = Format::Results(QueryResultsFormat::Json);
        let csv = Format::Results(QueryResultsFormat::Csv);
        assert_eq!(choose(None, None, Answer::Solutions), Ok(json));
        assert_eq!(pick("*/*", Answer::Solutions), Ok(json));
        assert_eq!(pick("text/csv", Answer::Solutions), Ok(csv));
        assert_eq!(
            pick(
                "application/sparql-results+xml;q=0.5, text/csv",
                Answer::Solutions
            ),
            Ok(csv)
        );
        assert_eq!(pick("text/*", Answer::Solutions), Ok(csv));
        assert_eq!(
            pick("text/turtle, */*;q=0.1", Answer::Graph),
            Ok(Format::Rdf(RdfFormat::Turtle))
        );
        // SPARQLWrapper's default for SELECT.
        assert_eq!(
            pick(
                "application/sparql-results+json,application/json,text/javascript,application/javascript",
                Answer::Solutions
            ),
            Ok(json)
        );
        assert_eq!(
            choose(Some("text/csv"), Some("xlsx"), Answer::Solutions),
            Ok(Format::Xlsx)
        );
    }

    #[test]
    fn client_format_names_are_aliases_and_unknown_ones_defer_to_accept() {
        let rdf_xml = Format::Rdf(RdfFormat::RdfXml);
        // SPARQLWrapper's CONSTRUCT with its default return format.
        assert_eq!(
            choose(Some("application/rdf+xml"), Some("xml"), Answer::Graph),
            Ok(rdf_xml)
        );
        for name in ["rdf", "rdf+xml", "RDF/XML", "pretty-xml"] {
            assert_eq!(
                choose(None, Some(name), Answer::Graph),
                Ok(rdf_xml),
                "{name}"
            );
        }
        assert_eq!(
            choose(None, Some("n3"), Answer::Graph),
            Ok(Format::Rdf(RdfFormat::Turtle))
        );
        assert!(matches!(
            choose(None, Some("json-ld"), Answer::Graph),
            Ok(Format::Rdf(RdfFormat::JsonLd { .. }))
        ));
        assert_eq!(
            choose(None, Some("xml"), Answer::Boolean),
            Ok(Format::Results(QueryResultsFormat::Xml))
        );
        // A name this answer has no format for: the Accept header decides.
        assert_eq!(
            choose(Some("text/turtle"), Some("sparql-mystery"), Answer::Graph),
            Ok(Format::Rdf(RdfFormat::Turtle))
        );
        assert_eq!(
            choose(Some("text/csv"), Some("turtle"), Answer::Solutions),
            Ok(Format::Results(QueryResultsFormat::Csv))
        );
    }

    #[test]
    fn unacceptable_requests_are_told_what_is_on_offer() {
        let err = pick("image/png", Answer::Solutions).unwrap_err();
        assert!(err.contains("text/csv"), "{err}");
        assert!(pick("text/csv;q=0", Answer::Solutions).is_err());
        assert!(choose(None, Some("xlsx"), Answer::Graph).is_err());
        assert!(choose(None, Some("yaml"), Answer::Solutions).is_err());
        assert!(pick(";;,,q=", Answer::Solutions).is_err());
    }
}
