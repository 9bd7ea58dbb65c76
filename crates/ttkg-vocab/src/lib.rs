//! IRIs of the ttkg ontology and of the public vocabularies it reuses.
//!
//! `ontology/ttkg.ttl` is the single source of truth for terms; the code
//! refers to them only through the constants here, and the workspace test
//! `ontology_declares_every_term` checks each constant against that file, so a
//! renamed term fails the build's tests instead of producing dangling IRIs.

/// Namespace of ontology terms (classes and properties).
pub const TTKG: &str = "https://w3id.org/ttkg/ontology#";
/// Base of instance IRIs minted by the importer (`id/org/…`, `id/agreement/…`).
pub const ID: &str = "https://w3id.org/ttkg/id/";
/// Base of SKOS concept IRIs (`vocab/country/VN`, `vocab/field/ict`).
pub const VOCAB: &str = "https://w3id.org/ttkg/vocab/";
/// Base of named-graph IRIs: one per (pipeline, source file), plus the ones below.
pub const GRAPH: &str = "https://w3id.org/ttkg/graph/";
/// Named graph holding the ontology and vocabularies.
pub const ONTOLOGY_GRAPH: &str = "https://w3id.org/ttkg/graph/ontology";
/// Named graph holding the record of import runs.
pub const RUNS_GRAPH: &str = "https://w3id.org/ttkg/graph/runs";
/// The cooperation network that memberships point at (declared in vocab/network.ttl).
pub const NETWORK: &str = "https://w3id.org/ttkg/id/network/china-asean";

pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
pub const OWL: &str = "http://www.w3.org/2002/07/owl#";
pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
pub const ORG: &str = "http://www.w3.org/ns/org#";
pub const PROV: &str = "http://www.w3.org/ns/prov#";
pub const SCHEMA: &str = "https://schema.org/";
pub const DCTERMS: &str = "http://purl.org/dc/terms/";
pub const SH: &str = "http://www.w3.org/ns/shacl#";
/// The SHACL shapes of `ontology/shapes.ttl`.
pub const SHAPES: &str = "https://w3id.org/ttkg/shapes#";

/// Prefixes that pipelines and queries may use in compact IRIs (`ttkg:Agreement`).
pub const PREFIXES: &[(&str, &str)] = &[
    ("ttkg", TTKG),
    ("rdf", RDF),
    ("rdfs", RDFS),
    ("xsd", XSD),
    ("owl", OWL),
    ("skos", SKOS),
    ("org", ORG),
    ("prov", PROV),
    ("schema", SCHEMA),
    ("dcterms", DCTERMS),
    ("sh", SH),
    ("shapes", SHAPES),
];

/// `PREFIX` lines for the predeclared prefixes `sparql` does not declare
/// itself: what another store needs to read a question written for ttkg.
pub fn missing_prefix_declarations(sparql: &str) -> String {
    let upper = sparql.to_ascii_uppercase();
    PREFIXES
        .iter()
        .filter(|(prefix, _)| !upper.contains(&format!("PREFIX {}:", prefix.to_ascii_uppercase())))
        .map(|(prefix, namespace)| format!("PREFIX {prefix}: <{namespace}>\n"))
        .collect()
}

/// Expands `prefix:local` with [`PREFIXES`]; full IRIs in angle brackets are
/// returned without them. `None` for an unknown prefix.
pub fn expand(compact: &str) -> Option<String> {
    if let Some(iri) = compact.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        return Some(iri.to_owned());
    }
    let (prefix, local) = compact.split_once(':')?;
    PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, ns)| format!("{ns}{local}"))
}

/// `iri` as `prefix:local` when one of [`PREFIXES`] covers it, else `<iri>`.
pub fn compact(iri: &str) -> String {
    PREFIXES
        .iter()
        .find_map(|(prefix, ns)| {
            iri.strip_prefix(ns)
                .filter(|local| !local.is_empty() && !local.contains(['/', '#']))
                .map(|local| format!("{prefix}:{local}"))
        })
        .unwrap_or_else(|| format!("<{iri}>"))
}

/// Whether `c` may stand unencoded in an IRI (RFC 3987 `ucschar`):
/// non-ASCII letters yes; U+FFFD, private-use and tag characters no.
pub fn is_iri_char(c: char) -> bool {
    let c = c as u32;
    match c {
        0xA0..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFEF => true,
        0xE1000..=0xEFFFD => true,
        0x10000..=0xDFFFF => c & 0xFFFF <= 0xFFFD,
        _ => false,
    }
}

/// Percent-encodes (as UTF-8) every character of `text` that is neither
/// unreserved ASCII (letters, digits, `-._~`), one of `keep`, nor allowed in
/// IRIs by [`is_iri_char`], so that the result is a valid IRI path segment.
pub fn iri_escape(text: &str, keep: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let kept = c.is_ascii_alphanumeric() || "-._~".contains(c) || keep.contains(&c);
        if kept || (!c.is_ascii() && is_iri_char(c) && !c.is_whitespace()) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

macro_rules! terms {
    ($ns:ident: $($name:ident = $local:literal),+ $(,)?) => {
        $(pub const $name: &str = concat!($local);)+
        /// Every term of this namespace that the code uses, as full IRIs.
        pub fn all() -> Vec<String> {
            vec![$(format!("{}{}", super::$ns, $local)),+]
        }
    };
}

/// Ontology terms the importer writes itself (pipelines name theirs in TOML).
pub mod ttkg {
    terms!(TTKG:
        ORGANISATION = "Organisation",
        MONETARY_AMOUNT = "MonetaryAmount",
        NETWORK_MEMBERSHIP = "NetworkMembership",
        IMPORT_RUN = "ImportRun",
        SOURCE_FILE = "SourceFile",
        IMPLIES_CLASS = "impliesClass",
        ISO_CODE = "isoCode",
        VALUE_CNY = "valueCny",
        SOURCE_TEXT = "sourceText",
        SOURCE_UNIT = "sourceUnit",
        REPORTED_VALUE = "reportedValue",
        PIPELINE = "pipeline",
        PIPELINE_VERSION = "pipelineVersion",
        TOOL_VERSION = "toolVersion",
        FILE_PATH = "filePath",
        BYTE_SIZE = "byteSize",
        SHA256 = "sha256",
        PRODUCED_GRAPH = "producedGraph",
        SOURCE_FILE_PROP = "sourceFile",
        SHEET = "sheet",
        ROW_NUMBER = "rowNumber",
        ROWS_READ = "rowsRead",
        ROWS_QUARANTINED = "rowsQuarantined",
        OUTCOME = "outcome",
        FILE_CHANGE = "FileChange",
        CHANGE = "change",
        CHANGE_KIND = "changeKind",
        MESSAGE = "message",
        WARNING = "warning",
        FILES_IMPORTED = "filesImported",
        FILES_REPLACED = "filesReplaced",
        FILES_SKIPPED = "filesSkipped",
        FILES_RETRACTED = "filesRetracted",
        FILES_FAILED = "filesFailed",
        ROWS_LOADED = "rowsLoaded",
        TRIPLES_ADDED = "triplesAdded",
        TRIPLES_REMOVED = "triplesRemoved",
    );
    /// Full IRI of a term of this namespace.
    pub fn iri(local: &str) -> String {
        format!("{}{local}", super::TTKG)
    }
}

/// Terms of public vocabularies the importer writes itself.
pub mod public {
    pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
    pub const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
    pub const SKOS_PREF_LABEL: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";
    pub const SKOS_ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";
    pub const SKOS_IN_SCHEME: &str = "http://www.w3.org/2004/02/skos/core#inScheme";
    pub const SCHEMA_VALUE: &str = "https://schema.org/value";
    pub const SCHEMA_CURRENCY: &str = "https://schema.org/currency";
    pub const PROV_ACTIVITY: &str = "http://www.w3.org/ns/prov#Activity";
    pub const PROV_ENTITY: &str = "http://www.w3.org/ns/prov#Entity";
    pub const PROV_STARTED: &str = "http://www.w3.org/ns/prov#startedAtTime";
    pub const PROV_ENDED: &str = "http://www.w3.org/ns/prov#endedAtTime";
    pub const PROV_USED: &str = "http://www.w3.org/ns/prov#used";
    pub const PROV_WAS_DERIVED_FROM: &str = "http://www.w3.org/ns/prov#wasDerivedFrom";
    pub const PROV_WAS_GENERATED_BY: &str = "http://www.w3.org/ns/prov#wasGeneratedBy";
    pub const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
    pub const XSD_DECIMAL: &str = "http://www.w3.org/2001/XMLSchema#decimal";
    pub const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
    pub const XSD_DATE: &str = "http://www.w3.org/2001/XMLSchema#date";
    pub const XSD_G_YEAR_MONTH: &str = "http://www.w3.org/2001/XMLSchema#gYearMonth";
    pub const XSD_G_YEAR: &str = "http://www.w3.org/2001/XMLSchema#gYear";
    pub const XSD_DATE_TIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
    pub const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_prefixes_and_bracketed_iris() {
        assert_eq!(
            expand("ttkg:Agreement").as_deref(),
            Some("https://w3id.org/ttkg/ontology#Agreement")
        );
        assert_eq!(expand("<http://x/y>").as_deref(), Some("http://x/y"));
        assert_eq!(expand("nope:Thing"), None);
        assert_eq!(expand("noColon"), None);
    }

    #[test]
    fn compacts_what_a_prefix_covers() {
        assert_eq!(compact(&format!("{TTKG}Agreement")), "ttkg:Agreement");
        assert_eq!(
            compact("https://w3id.org/ttkg/id/org/x"),
            "<https://w3id.org/ttkg/id/org/x>"
        );
    }

    #[test]
    fn term_lists_are_full_iris() {
        assert!(ttkg::all().iter().all(|t| t.starts_with(TTKG)));
        assert!(ttkg::all().contains(&ttkg::iri(ttkg::VALUE_CNY)));
    }
}
