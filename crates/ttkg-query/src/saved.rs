//! Saved questions: one `.rq` file each in `queries/`, runnable by name.
//!
//! The comment lines at the top of a file say what it answers: the first is
//! its title, the others its description, and `# @param NAME=DEFAULT help`
//! (or `# @param NAME help` for a value the analyst must give) declares a
//! variable the analyst can set with `--param NAME=VALUE`. The variable must
//! be one of the query's result columns: oxigraph binds only those.
//!
//! A saved question speaks the analyst's languages and says how it is best
//! drawn: `# @title zh 按国家统计的协议` and `# @description zh …` give its
//! title and description in another language (the first lines are English);
//! `# @chart bar x=country series=year value=valueCny` (or `stacked`,
//! `line`, `pie`, `none`) is the chart the query page opens it with; and
//! `# @totals none` says its rows overlap (a total row, or one item counted
//! under several labels), so the page offers no totals, stacks or shares.
//! `# @label zh network members | 网络成员` gives a text value the answer
//! writes (a figure's name) in another language.
//!
//! A parameter may say what kind of value it takes, `# @param NAME:KIND=…`:
//! `country` (an ISO code in any case, or any name of the country in any
//! language: `TH`, `th`, `泰国`, `Thailand`, `ประเทศไทย`; bound as the ISO
//! code), `concept:SCHEME` (any name of a concept of the scheme; bound as
//! its IRI), `year` (1900 to 2100), `period` (a year or a month, `2016` or
//! `2016-06`; bound as that text, so a query compares it with the start of a
//! date's text), `iri`, or `text` (the default). A value of the wrong kind is
//! refused with the values it may take.

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
    /// `# @column VAR | 中文 | English | what it means`: an export table's
    /// column headers and data dictionary, in the order written.
    pub columns: Vec<ColumnDoc>,
    /// `# @entity VAR`: the variable an export table has one row per value
    /// of (`iri` when not declared).
    pub entity: Option<String>,
    /// `# @order VAR VAR`: the columns an export table's rows are sorted by
    /// (numbers as numbers, the rest as text; empty cells last).
    pub order: Vec<String>,
    /// Titles in other languages, by language tag (`# @title zh …`).
    pub titles: Vec<(String, String)>,
    /// Descriptions in other languages (`# @description zh …`, joined).
    pub descriptions: Vec<(String, String)>,
    /// How the query page draws the answer (`# @chart …`).
    pub chart: Option<ChartSpec>,
    /// False when the rows overlap, so sums across them would double count
    /// (`# @totals none`).
    pub totals: bool,
    /// Text values of the answer in other languages: (language, value,
    /// translation), from `# @label zh value | 译文`.
    pub labels: Vec<(String, String, String)>,
    pub text: String,
}

/// `# @chart TYPE x=VAR series=VAR value=VAR`: the chart a saved question's
/// answer opens with on the query page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChartSpec {
    /// bar, stacked, line, pie, or none (its figures are not on one scale).
    pub kind: String,
    pub x: Option<String>,
    pub series: Option<String>,
    pub value: Option<String>,
}

const CHART_KINDS: [&str; 5] = ["bar", "stacked", "line", "pie", "none"];

/// `TYPE key=VAR …`, each VAR one of the query's variables.
pub fn parse_chart(spec: &str, text: &str) -> Result<ChartSpec, String> {
    let mut words = spec.split_whitespace();
    let kind = words.next().unwrap_or("");
    if !CHART_KINDS.contains(&kind) {
        return Err(format!(
            "the chart type is one of {}",
            CHART_KINDS.join(", ")
        ));
    }
    let mut chart = ChartSpec {
        kind: kind.to_owned(),
        ..ChartSpec::default()
    };
    for word in words {
        let (key, variable) = word.split_once('=').ok_or("write key=VARIABLE")?;
        let variable = variable.trim_start_matches(['?', '$']);
        if !text.contains(&format!("?{variable}")) {
            return Err(format!("`{variable}` is not a variable of the query"));
        }
        let slot = match key {
            "x" => &mut chart.x,
            "series" => &mut chart.series,
            "value" => &mut chart.value,
            other => return Err(format!("`{other}`: the keys are x, series and value")),
        };
        *slot = Some(variable.to_owned());
    }
    Ok(chart)
}

/// `LANG text`: a language tag, then the words.
fn parse_translation(spec: &str) -> Option<(String, String)> {
    let (lang, words) = spec.split_once(char::is_whitespace)?;
    let valid = !lang.is_empty() && lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    valid.then(|| (lang.to_ascii_lowercase(), words.trim().to_owned()))
}

/// What one column of an export table is, in the analyst's words.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnDoc {
    pub variable: String,
    /// Header by language tag (`zh`, `en`, and any `vi=…`, `th=…` given).
    pub headers: Vec<(String, String)>,
    pub description: String,
}

impl ColumnDoc {
    /// The header in `lang`, else English, else Chinese, else the variable.
    pub fn header(&self, lang: &str) -> &str {
        [lang, "en", "zh"]
            .iter()
            .find_map(|l| self.headers.iter().find(|(t, _)| t == l))
            .map(|(_, h)| h.as_str())
            .unwrap_or(&self.variable)
    }
}

/// `VAR | 中文 | English | description | vi=… | th=…`.
fn parse_column(spec: &str) -> Option<ColumnDoc> {
    let mut parts = spec.split('|').map(str::trim);
    let variable = parts.next()?.trim_start_matches(['?', '$']).to_owned();
    if variable.is_empty() || !variable.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let mut doc = ColumnDoc {
        variable,
        ..ColumnDoc::default()
    };
    for (n, part) in parts.enumerate() {
        match (n, part.split_once('=')) {
            (_, Some((lang, header)))
                if n >= 3
                    && !lang.is_empty()
                    && lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-') =>
            {
                doc.headers
                    .push((lang.to_ascii_lowercase(), header.trim().to_owned()))
            }
            (0, _) if !part.is_empty() => doc.headers.push(("zh".into(), part.to_owned())),
            (1, _) if !part.is_empty() => doc.headers.push(("en".into(), part.to_owned())),
            (2, _) => doc.description = part.to_owned(),
            (_, _) if part.is_empty() => {}
            _ => return None,
        }
    }
    Some(doc)
}

/// A variable of a saved query that the analyst may set.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    /// `None`: the analyst must give it.
    pub default: Option<String>,
    pub help: String,
    /// `# @choices NAME PROPERTY`: the property (full IRI) whose values in
    /// the store the query page offers as the analyst types; any text is
    /// still accepted.
    pub suggest_from: Option<String>,
}

/// What a parameter takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamKind {
    Text,
    Iri,
    Year,
    /// A year or a month: `2016`, `2016-06`.
    Period,
    Country,
    Concept(String),
}

impl ParamKind {
    fn parse(text: &str) -> Option<ParamKind> {
        Some(match text {
            "" | "text" => ParamKind::Text,
            "iri" => ParamKind::Iri,
            "year" => ParamKind::Year,
            "period" => ParamKind::Period,
            "country" => ParamKind::Country,
            other => ParamKind::Concept(other.strip_prefix("concept:")?.to_owned()),
        })
    }

    /// The word for it in `/api/saved` and messages.
    pub fn name(&self) -> String {
        match self {
            ParamKind::Text => "text".into(),
            ParamKind::Iri => "iri".into(),
            ParamKind::Year => "year".into(),
            ParamKind::Period => "period".into(),
            ParamKind::Country => "country".into(),
            ParamKind::Concept(scheme) => format!("concept:{scheme}"),
        }
    }

    /// The concept scheme its values come from, if any.
    pub fn scheme(&self) -> Option<&str> {
        match self {
            ParamKind::Country => Some("country"),
            ParamKind::Concept(scheme) => Some(scheme),
            _ => None,
        }
    }
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
    let bad = |message: String| QueryError::SavedFile {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut query = SavedQuery {
        name,
        path: path.to_owned(),
        title: String::new(),
        description: String::new(),
        params: Vec::new(),
        columns: Vec::new(),
        entity: None,
        order: Vec::new(),
        titles: Vec::new(),
        descriptions: Vec::new(),
        chart: None,
        totals: true,
        labels: Vec::new(),
        text: String::new(),
    };
    let mut description = Vec::new();
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        if comment.starts_with('@') {
            query.read_directive(comment, &text).map_err(bad)?;
        } else if query.title.is_empty() {
            query.title = comment.to_owned();
        } else if !comment.is_empty() {
            description.push(comment.to_owned());
        }
    }
    if query.title.is_empty() {
        return Err(bad(
            "a saved query starts with a `# ...` line saying what it answers".into(),
        ));
    }
    query.description = description.join(" ");
    query.text = text;
    Ok(query)
}

impl SavedQuery {
    /// Reads one `# @…` header line into the query; the error says how to
    /// write it.
    fn read_directive(&mut self, comment: &str, text: &str) -> Result<(), String> {
        let (directive, spec) = comment
            .split_once(char::is_whitespace)
            .unwrap_or((comment, ""));
        let spec = spec.trim();
        match directive {
            "@param" => self.params.push(parse_param(spec).ok_or_else(|| format!(
                "`# @param {spec}`: write `# @param NAME=DEFAULT what it is` or `# @param NAME what it is` (NAME:country, NAME:year, NAME:iri or NAME:concept:SCHEME for a kind of value)"
            ))?),
            "@column" => self.columns.push(parse_column(spec).ok_or_else(|| format!(
                "`# @column {spec}`: write `# @column VARIABLE | 中文标题 | English header | what the column means` (and `| vi=… | th=…` for more languages)"
            ))?),
            "@order" => {
                self.order = spec
                    .split_whitespace()
                    .map(|v| v.trim_start_matches(['?', '$']).to_owned())
                    .collect()
            }
            "@entity" => self.entity = Some(spec.trim_start_matches(['?', '$']).to_owned()),
            "@title" => self.titles.push(parse_translation(spec).ok_or(
                "`# @title`: write `# @title LANGUAGE the title`, such as `# @title zh 按国家统计的协议`",
            )?),
            "@description" => {
                let (lang, words) = parse_translation(spec)
                    .ok_or("`# @description`: write `# @description LANGUAGE what it answers`")?;
                match self.descriptions.iter_mut().find(|(l, _)| *l == lang) {
                    // Chinese lines join without a space, other languages with one.
                    Some((_, joined)) if lang.starts_with("zh") => joined.push_str(&words),
                    Some((_, joined)) => {
                        joined.push(' ');
                        joined.push_str(&words)
                    }
                    None => self.descriptions.push((lang, words)),
                }
            }
            "@chart" => {
                self.chart = Some(parse_chart(spec, text).map_err(|e| format!(
                    "`# @chart {spec}`: {e} (`# @chart bar x=VARIABLE series=VARIABLE value=VARIABLE`)"
                ))?)
            }
            "@choices" => {
                let how = || format!("`# @choices {spec}`: write `# @choices NAME PROPERTY` below the `# @param NAME` line, such as `# @choices agreement ttkg:agreementNumber`");
                let (name, property) = spec.split_once(char::is_whitespace).ok_or_else(how)?;
                let iri = ttkg_vocab::expand(property.trim())
                    .filter(|iri| NamedNode::new(iri).is_ok())
                    .ok_or_else(how)?;
                let param = self.params.iter_mut().find(|p| p.name == name).ok_or_else(how)?;
                param.suggest_from = Some(iri);
            }
            "@label" => {
                let how = "`# @label`: write `# @label LANGUAGE value | translation`, such as `# @label zh network members | 网络成员`";
                let (lang, words) = parse_translation(spec).ok_or(how)?;
                let (value, translation) = words.split_once('|').ok_or(how)?;
                let (value, translation) = (value.trim(), translation.trim());
                if value.is_empty() || translation.is_empty() {
                    return Err(how.into());
                }
                self.labels.push((lang, value.to_owned(), translation.to_owned()));
            }
            "@totals" if spec == "none" => self.totals = false,
            "@totals" => {
                return Err("`# @totals`: only `# @totals none` (rows overlap, so sums across them double count)".into())
            }
            other => {
                return Err(format!(
                    "`# {other}` is not a header directive: @param, @choices, @column, @order, @entity, @title, @description, @chart, @label or @totals"
                ))
            }
        }
        Ok(())
    }
}

fn parse_param(spec: &str) -> Option<Param> {
    let (head, help) = spec.split_once(char::is_whitespace).unwrap_or((spec, ""));
    let (declared, default) = match head.split_once('=') {
        Some((n, d)) => (n, Some(d.to_owned())),
        None => (head, None),
    };
    let (name, kind) = declared.split_once(':').unwrap_or((declared, ""));
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    let kind = ParamKind::parse(kind)?;
    valid.then(|| Param {
        name: name.to_owned(),
        kind,
        default,
        help: help.trim().to_owned(),
        suggest_from: None,
    })
}

impl SavedQuery {
    /// The variable bindings for this query from `given` (`NAME=VALUE`
    /// pairs), falling back to each parameter's default.
    pub fn bindings(
        &self,
        given: &[(String, String)],
    ) -> Result<Vec<(Variable, Term)>, QueryError> {
        self.bindings_checked(given, None)
    }

    /// [`Self::bindings`], each value checked against its parameter's kind
    /// with the concepts of `vocabulary` (the store's ontology graph).
    pub fn bindings_checked(
        &self,
        given: &[(String, String)],
        vocabulary: Option<&crate::Vocabulary>,
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
                    kind_term(p, &value, vocabulary)?,
                ))
            })
            .collect()
    }
}

/// A year or a month that a report covers, or that a question counts to
/// the end of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Year(i32),
    /// Year and month (1 to 12).
    Month(i32, u32),
}

impl Period {
    /// `2016` or `2016-06` (also `2016-6`): a four-digit year, as dates'
    /// text starts (so the period before 1900 is 1899, not an error).
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        let (year, month) = match text.split_once('-') {
            Some((y, m)) => (y, Some(m)),
            None => (text, None),
        };
        let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4..=4) {
            return None;
        }
        let year: i32 = year.parse().ok().filter(|y| (1000..=9999).contains(y))?;
        match month {
            None => Some(Period::Year(year)),
            Some(m) if digits(m, 1..=2) => {
                let m: u32 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
                Some(Period::Month(year, m))
            }
            Some(_) => None,
        }
    }

    /// The period before: the year before a year, the month before a month.
    pub fn previous(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y - 1),
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Year(y) | Period::Month(y, _) => y,
        }
    }

    /// `2016年` / `2016年6月`, or `2016` / `June 2016`.
    pub fn label(self, lang: &str) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        match (self, lang.starts_with("zh")) {
            (Period::Year(y), true) => format!("{y}年"),
            (Period::Month(y, m), true) => format!("{y}年{m}月"),
            (Period::Year(y), false) => y.to_string(),
            (Period::Month(y, m), false) => format!("{} {y}", MONTHS[m as usize - 1]),
        }
    }
}

impl std::fmt::Display for Period {
    /// `2016` or `2016-06`: the start of the text of every date in it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

/// `value` as the term parameter `p` binds, refused when it is not of the
/// parameter's kind.
fn kind_term(
    p: &Param,
    value: &str,
    vocabulary: Option<&crate::Vocabulary>,
) -> Result<Term, QueryError> {
    let bad = |message: String| QueryError::BadParam {
        param: p.name.clone(),
        message,
    };
    match &p.kind {
        ParamKind::Text => param_term(&p.name, value),
        ParamKind::Iri => {
            let iri = value.trim().trim_start_matches('<').trim_end_matches('>');
            NamedNode::new(iri)
                .map(Term::from)
                .map_err(|e| bad(format!("`{value}` is not an IRI: {e}")))
        }
        ParamKind::Year => match value.trim().parse::<i32>() {
            Ok(year) if (1900..=2100).contains(&year) => Ok(Literal::from(year).into()),
            _ => Err(bad(format!("`{value}` is not a year (1900 to 2100)"))),
        },
        ParamKind::Period => match Period::parse(value) {
            Some(period) => Ok(Literal::new_simple_literal(period.to_string()).into()),
            None => Err(bad(format!(
                "`{value}` is not a period: write a year (2016) or a month (2016-06)"
            ))),
        },
        ParamKind::Country | ParamKind::Concept(_) => {
            let scheme = p.kind.scheme().expect("a concept kind");
            let known = vocabulary.filter(|v| v.schemes.contains_key(scheme));
            let Some(vocabulary) = known else {
                // No ontology in the store yet: the value is taken as written
                // (a country's code in capitals, as the store holds codes).
                return match p.kind {
                    ParamKind::Country => param_term(&p.name, &value.trim().to_uppercase()),
                    _ => param_term(&p.name, value.trim()),
                };
            };
            match vocabulary.concept(scheme, value) {
                Ok(concept) => Ok(match (&p.kind, &concept.code) {
                    (ParamKind::Country, Some(code)) => Literal::new_simple_literal(code).into(),
                    _ => NamedNode::new_unchecked(&concept.iri).into(),
                }),
                Err(all) => Err(crate::vocabulary::not_a_concept(
                    &p.name, scheme, value, &all,
                )),
            }
        }
    }
}

/// `text` as another SPARQL store takes it: ttkg's predeclared prefixes
/// declared, and `bindings` as a `VALUES` block at the start of the
/// outermost `WHERE` group, where every pattern and `BIND` of the query sees
/// them, as a binding in the local store does.
pub fn for_another_store(text: &str, bindings: &[(Variable, Term)]) -> String {
    // Where the WHERE group opens, outside comments, strings and IRIs.
    let mut code = String::with_capacity(text.len());
    let (mut in_comment, mut quote, mut in_iri) = (false, None::<char>, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let hidden = in_comment || quote.is_some() || in_iri;
        // `<` opens an IRI, not a comparison (`?a < 3`, `?a <= 3`).
        let opens_iri = chars
            .peek()
            .is_some_and(|n| !n.is_whitespace() && *n != '=');
        match c {
            '\n' => in_comment = false,
            '#' if !hidden => in_comment = true,
            '"' | '\'' if !in_comment && !in_iri => {
                quote = match quote {
                    Some(q) if q == c => None,
                    None => Some(c),
                    other => other,
                }
            }
            '<' if !hidden && opens_iri => in_iri = true,
            '>' if in_iri => in_iri = false,
            _ => {}
        }
        // Hidden text becomes as many spaces as it has bytes, so that
        // positions in `code` are positions in `text`.
        if hidden && c != '\n' {
            code.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            code.push(c);
        }
    }
    let upper = code.to_ascii_uppercase();
    let from = upper.find("WHERE").unwrap_or(0);
    let open = code[from..].find('{').map(|i| i + from);
    let mut out = ttkg_vocab::missing_prefix_declarations(&code);
    match (open, bindings.is_empty()) {
        (Some(open), false) => {
            let variables: Vec<String> = bindings.iter().map(|(v, _)| v.to_string()).collect();
            let values: Vec<String> = bindings.iter().map(|(_, t)| t.to_string()).collect();
            out.push_str(&text[..=open]);
            out.push_str(&format!(
                " VALUES ({}) {{ ({}) }}",
                variables.join(" "),
                values.join(" ")
            ));
            out.push_str(&text[open + 1..]);
        }
        _ => out.push_str(text),
    }
    out
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

    fn saved(text: &str) -> Result<SavedQuery, QueryError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.rq");
        std::fs::write(&path, text).unwrap();
        load_file(&path)
    }

    #[test]
    fn titles_descriptions_chart_and_totals_are_read_from_the_header() {
        let q = saved(
            "# Agreements by country\n# @title zh 按国家统计的协议\n# @description zh 第一行，\n# @description zh 第二行。\n\
             # @description vi Dòng một\n# @description vi dòng hai\n# @chart line x=year series=?country value=valueCny\n\
             # @totals none\nSELECT ?country ?year (SUM(?v) AS ?valueCny) {}\n",
        )
        .unwrap();
        assert_eq!(q.titles, [("zh".to_owned(), "按国家统计的协议".to_owned())]);
        assert_eq!(
            q.descriptions,
            [
                ("zh".to_owned(), "第一行，第二行。".to_owned()),
                ("vi".to_owned(), "Dòng một dòng hai".to_owned())
            ]
        );
        let chart = q.chart.unwrap();
        assert_eq!(chart.kind, "line");
        assert_eq!(chart.x.as_deref(), Some("year"));
        assert_eq!(chart.series.as_deref(), Some("country"));
        assert_eq!(chart.value.as_deref(), Some("valueCny"));
        assert!(!q.totals);
        assert!(saved("# T\nSELECT * {}\n").unwrap().totals);
        let labelled = saved("# T\n# @label zh network members | 网络成员\nSELECT * {}\n").unwrap();
        assert_eq!(
            labelled.labels,
            [("zh".into(), "network members".into(), "网络成员".into())]
        );
    }

    #[test]
    fn choices_name_the_property_whose_values_a_parameter_is_offered() {
        let q = saved(
            "# Facts of an agreement\n# @param agreement=GX-2014-001 its number\n\
             # @choices agreement ttkg:agreementNumber\nSELECT ?agreement {}\n",
        )
        .unwrap();
        assert_eq!(
            q.params[0].suggest_from.as_deref(),
            Some("https://w3id.org/ttkg/ontology#agreementNumber")
        );
    }

    #[test]
    fn a_header_directive_that_cannot_be_read_says_how_to_write_it() {
        for (header, says) in [
            ("# @chart donut x=year", "the chart type is one of"),
            ("# @chart bar x=colour", "`colour` is not a variable"),
            ("# @chart bar y=year", "the keys are x, series and value"),
            ("# @chart bar year", "write key=VARIABLE"),
            ("# @title 按国家", "# @title LANGUAGE the title"),
            ("# @totals some", "only `# @totals none`"),
            (
                "# @label zh network members",
                "# @label LANGUAGE value | translation",
            ),
            (
                "# @label zh | 网络成员",
                "# @label LANGUAGE value | translation",
            ),
            ("# @colour red", "not a header directive"),
            (
                "# @choices year ttkg:signingDate",
                "below the `# @param NAME` line",
            ),
            (
                "# @param year=2016 the year\n# @choices year nope:x",
                "# @choices NAME PROPERTY",
            ),
            (
                "# @param year=2016 the year\n# @choices year",
                "# @choices NAME PROPERTY",
            ),
        ] {
            let err = saved(&format!("# T\n{header}\nSELECT ?year {{}}\n")).unwrap_err();
            assert!(err.to_string().contains(says), "{header}: {err}");
        }
    }

    #[test]
    fn periods_are_years_or_months_and_know_the_one_before() {
        assert_eq!(Period::parse("2016"), Some(Period::Year(2016)));
        assert_eq!(Period::parse(" 2016-6 "), Some(Period::Month(2016, 6)));
        assert_eq!(Period::parse("2016-06").unwrap().to_string(), "2016-06");
        for bad in [
            "16",
            "2016-13",
            "2016-00",
            "2016-",
            "2016-06-01",
            "0999",
            "二〇一六",
            "２０１６",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert_eq!(Period::Month(2016, 1).previous(), Period::Month(2015, 12));
        assert_eq!(Period::Year(2016).previous(), Period::Year(2015));
        // The period before is always a period too.
        let first = Period::parse("1900-01").unwrap().previous();
        assert_eq!(Period::parse(&first.to_string()), Some(first));
        assert_eq!(Period::Month(2016, 6).label("zh"), "2016年6月");
        assert_eq!(Period::Month(2016, 6).label("en"), "June 2016");
        let q = saved("# T\n# @param period:period=2016 the period\nSELECT ?period {}\n").unwrap();
        let b = q.bindings(&[("period".into(), "2016-6".into())]).unwrap();
        assert_eq!(b[0].1, Literal::new_simple_literal("2016-06").into());
        let err = q.bindings(&[("period".into(), "June".into())]).unwrap_err();
        assert!(
            err.to_string().contains("write a year (2016) or a month"),
            "{err}"
        );
    }

    #[test]
    fn bindings_go_to_the_start_of_the_where_group_for_another_store() {
        let text = "# 注释 {comment} with WHERE {\nSELECT ?p ?n (IF(?n < 3, 1, 0) AS ?small) WHERE { ?x <http://x/{}> \"WHERE {\" . BIND(?p AS ?n) }";
        let bound = for_another_store(
            text,
            &[(
                Variable::new_unchecked("p"),
                Literal::new_simple_literal("2016").into(),
            )],
        );
        assert!(
            bound.starts_with("PREFIX ttkg: <https://w3id.org/ttkg/ontology#>\n"),
            "{bound}"
        );
        assert!(
            bound.ends_with("SELECT ?p ?n (IF(?n < 3, 1, 0) AS ?small) WHERE { VALUES (?p) { (\"2016\") } ?x <http://x/{}> \"WHERE {\" . BIND(?p AS ?n) }"),
            "{bound}"
        );
        let declared = for_another_store("PREFIX ttkg: <http://other/>\nASK {}", &[]);
        assert_eq!(declared.matches("PREFIX ttkg:").count(), 1, "{declared}");
    }

    #[test]
    fn a_query_without_a_title_comment_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rq");
        std::fs::write(&path, "SELECT * {}\n").unwrap();
        assert!(load_file(&path).is_err());
    }
}
