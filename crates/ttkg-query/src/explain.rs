//! SPARQL mistakes in plain words. The parser reports where it stopped and
//! the grammar rules it expected there ("expected one of Prefix not found,
//! ['%'], ['-' | '0' ..= '9' …"); an analyst needs the line, a caret under
//! the place, and one sentence saying what is wrong and what to write.

/// Words a query is made of, for "did you mean" on a misspelt one.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "WHERE",
    "FILTER",
    "OPTIONAL",
    "UNION",
    "GRAPH",
    "PREFIX",
    "BASE",
    "DISTINCT",
    "REDUCED",
    "ORDER",
    "BY",
    "GROUP",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "ASC",
    "DESC",
    "CONSTRUCT",
    "DESCRIBE",
    "ASK",
    "FROM",
    "NAMED",
    "BIND",
    "VALUES",
    "MINUS",
    "SERVICE",
    "EXISTS",
    "NOT",
    "AS",
    "COUNT",
    "SUM",
    "MIN",
    "MAX",
    "AVG",
    "SAMPLE",
    "GROUP_CONCAT",
    "SEPARATOR",
    "STR",
    "LANG",
    "LANGMATCHES",
    "DATATYPE",
    "BOUND",
    "IRI",
    "URI",
    "BNODE",
    "RAND",
    "ABS",
    "CEIL",
    "FLOOR",
    "ROUND",
    "CONCAT",
    "STRLEN",
    "UCASE",
    "LCASE",
    "ENCODE_FOR_URI",
    "CONTAINS",
    "STRSTARTS",
    "STRENDS",
    "STRBEFORE",
    "STRAFTER",
    "YEAR",
    "MONTH",
    "DAY",
    "HOURS",
    "MINUTES",
    "SECONDS",
    "TIMEZONE",
    "TZ",
    "NOW",
    "UUID",
    "STRUUID",
    "MD5",
    "SHA1",
    "SHA256",
    "SHA384",
    "SHA512",
    "COALESCE",
    "IF",
    "STRLANG",
    "STRDT",
    "SAMETERM",
    "ISIRI",
    "ISURI",
    "ISBLANK",
    "ISLITERAL",
    "ISNUMERIC",
    "REGEX",
    "SUBSTR",
    "REPLACE",
    "IN",
    "INSERT",
    "DELETE",
    "DATA",
    "WITH",
    "USING",
    "CLEAR",
    "DROP",
    "CREATE",
    "LOAD",
    "SILENT",
    "ALL",
    "DEFAULT",
    "INTO",
    "TO",
    "MOVE",
    "COPY",
    "ADD",
    "UNDEF",
    "TRUE",
    "FALSE",
    "A",
];

/// Where the parser stopped, 1-based, from its message (`error at 3:12: …`).
pub(crate) fn position(raw: &str) -> Option<(usize, usize)> {
    let at = raw.find("at ")?;
    let rest = &raw[at + 3..];
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ':'))?;
    let (line, column) = rest[..end].trim_end_matches(':').split_once(':')?;
    Some((line.parse().ok()?, column.parse().ok()?))
}

/// The word at a 1-based column of a line (prefixed names and variables
/// included), if the column is inside or at the start of one.
fn word_at(line: &str, column: usize) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let part = |c: char| c.is_alphanumeric() || "_:?$-".contains(c);
    let mut start = column.saturating_sub(1).min(chars.len());
    while start > 0 && part(chars[start - 1]) {
        start -= 1;
    }
    let mut end = start;
    while end < chars.len() && part(chars[end]) {
        end += 1;
    }
    (end > start).then(|| chars[start..end].iter().collect())
}

/// The first bracket that is never closed, or closed once too often:
/// (what is wrong, its line and column).
fn unbalanced(query: &str) -> Option<(String, usize, usize)> {
    let mut open: Vec<(char, usize, usize)> = Vec::new();
    let (mut line, mut column) = (1, 0);
    let mut quote: Option<char> = None;
    let mut comment = false;
    for c in query.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
            comment = false;
            continue;
        }
        column += 1;
        if comment {
            continue;
        }
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '#' => comment = true,
            '"' | '\'' => quote = Some(c),
            '(' | '{' | '[' => open.push((c, line, column)),
            ')' | '}' | ']' => {
                let wanted = match c {
                    ')' => '(',
                    '}' => '{',
                    _ => '[',
                };
                match open.pop() {
                    Some((o, _, _)) if o == wanted => {}
                    Some((o, l, col)) => {
                        return Some((
                            format!(
                                "the `{o}` at line {l}, column {col} is closed by a `{c}` at line {line}, column {column}; close it with `{}` first",
                                closer(o)
                            ),
                            line,
                            column,
                        ))
                    }
                    None => {
                        return Some((
                            format!("there is one `{c}` too many here: nothing it closes was opened"),
                            line,
                            column,
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(q) = quote {
        return Some((
            format!("a text in {q}quotes{q} is never closed: add the closing {q}"),
            line,
            column,
        ));
    }
    open.pop().map(|(o, l, col)| {
        (
            format!(
                "a `{}` is missing: the `{o}` at line {l}, column {col} is never closed",
                closer(o)
            ),
            l,
            col,
        )
    })
}

/// The first bare word that is not SPARQL (a misspelt keyword, a name
/// without `?` or prefix), with its line and column. The parser often stops
/// later than such a word, after trying other readings.
fn stray_word(query: &str) -> Option<(String, usize, usize)> {
    let chars: Vec<char> = query.chars().collect();
    let (mut line, mut column) = (1, 1);
    let mut i = 0;
    let advance = |i: usize, n: usize, line: &mut usize, column: &mut usize| {
        for c in &chars[i..(i + n).min(chars.len())] {
            if *c == '\n' {
                *line += 1;
                *column = 1;
            } else {
                *column += 1;
            }
        }
        i + n
    };
    let word_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == ':';
    while i < chars.len() {
        let c = chars[i];
        let skip = match c {
            '#' => chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .unwrap_or(chars.len() - i),
            '"' | '\'' => chars[i + 1..]
                .iter()
                .position(|&q| q == c)
                .map_or(chars.len() - i, |p| p + 2),
            '<' => match chars[i + 1..]
                .iter()
                .position(|&q| q == '>' || q.is_whitespace())
            {
                Some(p) if chars[i + 1 + p] == '>' => p + 2,
                _ => 1,
            },
            '?' | '$' | '@' => {
                1 + chars[i + 1..]
                    .iter()
                    .position(|&c| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(chars.len() - i - 1)
            }
            c if c.is_alphabetic() || c == '_' => {
                let n = chars[i..]
                    .iter()
                    .position(|&c| !word_char(c))
                    .unwrap_or(chars.len() - i);
                let word: String = chars[i..i + n].iter().collect();
                let word = word.trim_end_matches('.');
                let plain = !word.contains(':');
                if plain && !KEYWORDS.contains(&word.to_uppercase().as_str()) {
                    return Some((word.to_owned(), line, column));
                }
                n
            }
            c if c.is_ascii_digit() => chars[i..]
                .iter()
                .position(|&c| !(c.is_alphanumeric() || c == '.' || c == '+' || c == '-'))
                .unwrap_or(chars.len() - i),
            _ => 1,
        };
        i = advance(i, skip.max(1), &mut line, &mut column);
    }
    None
}

/// A bracketed expression in the SELECT clause without `AS ?name`: the
/// variable the writer meant (`(COUNT(?a) ?n)` gives `?n`), or `?name`.
fn unnamed_expression(query: &str) -> Option<String> {
    let upper = query.to_uppercase();
    let select = upper.find("SELECT")? + "SELECT".len();
    let end = [upper[select..].find("WHERE"), query[select..].find('{')]
        .into_iter()
        .flatten()
        .min()?;
    let head: Vec<char> = query[select..select + end].chars().collect();
    let mut depth = 0;
    let mut group = String::new();
    for c in head {
        match c {
            '(' => {
                depth += 1;
                if depth == 1 {
                    group.clear();
                    continue;
                }
            }
            ')' => {
                depth -= 1;
                if depth == 0 {
                    if !group.to_uppercase().split_whitespace().any(|w| w == "AS") {
                        let meant = group
                            .rsplit(|c: char| c.is_whitespace() || c == ')')
                            .find(|w| w.starts_with('?') || w.starts_with('$'))
                            .filter(|_| {
                                group
                                    .trim_end()
                                    .ends_with(|c: char| c.is_alphanumeric() || c == '_')
                            });
                        return Some(meant.unwrap_or("?name").to_owned());
                    }
                    continue;
                }
            }
            _ => {}
        }
        if depth >= 1 {
            group.push(c);
        }
    }
    None
}

fn closer(open: char) -> char {
    match open {
        '(' => ')',
        '{' => '}',
        _ => ']',
    }
}

/// The line `line` of `query` with a caret under `column`, for messages.
fn pointed(query: &str, line: usize, column: usize) -> String {
    let text = query.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    // Wide characters (CJK) take two columns in a terminal.
    let before: usize = text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c as u32 >= 0x1100 { 2 } else { 1 })
        .sum();
    format!("{number} | {text}\n{pad} | {}^", " ".repeat(before))
}

/// A SPARQL syntax error in plain words: where, the line with a caret, and
/// what to do. `raw` is the parser's message for `query`.
pub fn syntax_error(query: &str, raw: &str, position: Option<(usize, usize)>) -> String {
    // Messages without a place (a query nested too deeply) say it already.
    let Some((line, column)) = position else {
        return raw.to_owned();
    };
    let text = query.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let word = word_at(text, column);
    let (sentence, line, column) = explain(query, raw, line, column, text, word.as_deref());
    format!(
        "the query cannot be read at line {line}, column {column}:\n{}\n{sentence}",
        pointed(query, line, column)
    )
}

/// `foo:` used without a PREFIX: the predeclared prefixes, and the place
/// of the prefixed name rather than its end where the parser stopped.
fn unknown_prefix(
    line: usize,
    column: usize,
    text: &str,
    word: Option<&str>,
) -> (String, usize, usize) {
    let prefix = word
        .and_then(|w| w.split_once(':'))
        .map(|(p, _)| p.trim_start_matches(['?', '$']).to_owned())
        .unwrap_or_default();
    let known: Vec<String> = ttkg_vocab::PREFIXES
        .iter()
        .map(|(p, _)| format!("{p}:"))
        .collect();
    // Point at the prefixed name, not the end of it where the parser stopped.
    let start = word.map_or(column, |_| {
        let chars: Vec<char> = text.chars().collect();
        let mut start = column.saturating_sub(1).min(chars.len());
        while start > 0 && !chars[start - 1].is_whitespace() {
            start -= 1;
        }
        start + 1
    });
    let sentence = format!(
        "`{prefix}:` is not a known prefix. The predeclared prefixes are {}; declare another at the top with PREFIX {prefix}: <http://…>",
        known.join(" ")
    );
    (sentence, line, start)
}

/// A triple pattern not ended with `.` before the next line.
fn missing_dot(
    query: &str,
    raw: &str,
    line: usize,
    column: usize,
    text: &str,
) -> Option<(String, usize, usize)> {
    // The parser reports this at the start of the next line, or inside
    // it when it expected a new graph pattern (OPTIONAL, FILTER …).
    let first_word = column <= text.len() - text.trim_start().len() + 1;
    if line > 1 && (first_word || raw.contains("OPTIONAL")) {
        let lines: Vec<&str> = query.lines().collect();
        let previous = lines[..line - 1]
            .iter()
            .enumerate()
            .rev()
            .map(|(i, l)| (i, l.trim_end()))
            .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if let Some((index, previous)) = previous {
            if !previous.ends_with(['.', ';', ',', '{', '(', '[']) {
                let (pl, pc) = (index + 1, previous.chars().count());
                let sentence = format!(
                    "a `.` is missing at the end of line {pl}: each triple pattern ends with `.` (or `;` to go on with the same subject)"
                );
                return Some((sentence, pl, pc));
            }
        }
    }
    None
}

fn explain(
    query: &str,
    raw: &str,
    line: usize,
    column: usize,
    text: &str,
    word: Option<&str>,
) -> (String, usize, usize) {
    let here = |sentence: String| (sentence, line, column);
    if raw.contains("Prefix not found") {
        return unknown_prefix(line, column, text, word);
    }
    if let Some((sentence, l, c)) = unbalanced(query) {
        return (sentence, l, c);
    }
    if let Some(name) = unnamed_expression(query) {
        return here(format!(
            "an expression in SELECT is named with AS: write (… AS {name})"
        ));
    }
    if let Some((word, l, c)) = stray_word(query) {
        let upper = word.to_uppercase();
        let best = KEYWORDS
            .iter()
            .map(|k| (strsim::jaro_winkler(&upper, k), *k))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score >= 0.85);
        let sentence = match best {
            Some((_, keyword)) => format!("`{word}` is not a SPARQL word; did you mean {keyword}?"),
            None => format!(
                "`{word}` is neither a variable (write ?{word}), a prefixed name (prefix:{word}), a quoted text (\"{word}\") nor a SPARQL word"
            ),
        };
        return (sentence, l, c);
    }
    if raw.contains("GROUP BY")
        || raw.contains("variable that is unbound")
        || raw.to_lowercase().contains("aggregat")
    {
        let variable = ungrouped_variable(query).unwrap_or_else(|| "?variable".to_owned());
        return here(format!(
            "{variable} is selected next to an aggregate (COUNT, SUM, SAMPLE …) but is not grouped: add GROUP BY {variable} after the WHERE block, or select an aggregate of it (SAMPLE({variable}))"
        ));
    }
    if word.is_some() {
        if let Some(missing) = missing_dot(query, raw, line, column, text) {
            return missing;
        }
    }
    if line > query.lines().count() || column > text.chars().count() {
        return here(
            "the query ends before it is complete; a `}` or the rest of a pattern is missing"
                .to_owned(),
        );
    }
    // What the parser wanted, shortened to what a person can read.
    let expected = raw
        .split("expected ")
        .nth(1)
        .map(|e| {
            e.trim_start_matches("one of ")
                .split(", ")
                .filter(|x| !x.contains('[') && !x.contains('\\'))
                .take(6)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|e| !e.is_empty());
    here(match expected {
        Some(expected) => format!("ttkg expected {expected} here"),
        None => "this is not how the query can go on here".to_owned(),
    })
}

/// The first variable selected outside brackets, when an aggregate is
/// selected too: the one that needs GROUP BY.
fn ungrouped_variable(query: &str) -> Option<String> {
    let upper = query.to_uppercase();
    let select = upper.find("SELECT")? + "SELECT".len();
    let end = upper[select..]
        .find("WHERE")
        .or_else(|| query[select..].find('{'))?;
    let mut depth = 0;
    let mut outside = String::new();
    for c in query[select..select + end].chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    outside
        .split_whitespace()
        .find(|w| w.starts_with('?') || w.starts_with('$'))
        .map(str::to_owned)
}

/// Warnings about a query that parses but will not answer as meant: a
/// selected variable that appears nowhere else, whose column is always empty.
pub fn unbound_selected(query: &str) -> Vec<String> {
    let upper = query.to_uppercase();
    let (Some(select), Some(open)) = (upper.find("SELECT"), query.find('{')) else {
        return Vec::new();
    };
    if open < select {
        return Vec::new();
    }
    let head = &query[select + 6..open];
    let body = &query[open..];
    let variables = |text: &str| -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        let mut found = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '?' || chars[i] == '$' {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                    end += 1;
                }
                if end > start {
                    found.push(chars[start..end].iter().collect());
                }
                i = end;
            } else {
                i += 1;
            }
        }
        found
    };
    // The projection ends where the dataset (FROM) or the WHERE keyword begins.
    let head_upper = head.to_uppercase();
    let cut = ["WHERE", "FROM"]
        .iter()
        .filter_map(|k| head_upper.find(k))
        .min()
        .unwrap_or(head.len());
    let (head, head_upper) = (&head[..cut], &head_upper[..cut]);
    if head.trim() == "*" {
        return Vec::new();
    }
    // `(… AS ?x)` names a new column: not expected in the body.
    let named: Vec<String> = head_upper
        .match_indices(" AS ")
        .filter_map(|(i, _)| variables(&head[i..]).into_iter().next())
        .collect();
    let in_body = variables(body);
    let mut warnings = Vec::new();
    for variable in variables(head) {
        if named.contains(&variable)
            || in_body.contains(&variable)
            || warnings
                .iter()
                .any(|w: &String| w.contains(&format!("?{variable} ")))
        {
            continue;
        }
        let close = in_body
            .iter()
            .map(|v| (strsim::jaro_winkler(v, &variable), v))
            .filter(|(s, _)| *s >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, v)| format!("; did you mean ?{v}?"))
            .unwrap_or_default();
        warnings.push(format!(
            "?{variable} is selected but appears nowhere in the WHERE block, so its column is empty{close}"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser's own message for `query`.
    fn raw(query: &str) -> String {
        let mut parser = spargebra::SparqlParser::new();
        for (prefix, namespace) in ttkg_vocab::PREFIXES {
            parser = parser.with_prefix(*prefix, *namespace).unwrap();
        }
        parser.parse_query(query).unwrap_err().to_string()
    }

    fn explained(query: &str) -> String {
        let raw = raw(query);
        syntax_error(query, &raw, position(&raw))
    }

    #[test]
    fn common_mistakes_in_plain_words() {
        let cases: &[(&str, &str)] = &[
            (
                "SELECT ?s WHERE { ?s a foo:Agreement }",
                "`foo:` is not a known prefix. The predeclared prefixes are ttkg: rdf: rdfs: xsd: owl: skos: org: prov: schema: dcterms: sh: shapes:; declare another at the top with PREFIX foo: <http://…>",
            ),
            (
                "SELECT ?a ?d WHERE {\n  ?a a ttkg:Agreement\n  ?a ttkg:signingDate ?d .\n}",
                "a `.` is missing at the end of line 2: each triple pattern ends with `.` (or `;` to go on with the same subject)",
            ),
            (
                "SELECT ?a WHERE {\n  ?a a ttkg:Agreement .\n",
                "a `}` is missing: the `{` at line 1, column 17 is never closed",
            ),
            (
                "SELECT ?a WHERE { ?a a ttkg:Agreement . FILTER(?a != <x> }",
                "the `(` at line 1, column 47 is closed by a `}` at line 1, column 58; close it with `)` first",
            ),
            (
                "SELCT ?a WHERE { ?a a ttkg:Agreement }",
                "`SELCT` is not a SPARQL word; did you mean SELECT?",
            ),
            (
                "SELECT (COUNT(?a) ?n) WHERE { ?a a ttkg:Agreement }",
                "an expression in SELECT is named with AS: write (… AS ?n)",
            ),
            (
                "SELECT ?a WHERE { ?a ttkg:agreementNumber agreement }",
                "`agreement` is neither a variable (write ?agreement), a prefixed name (prefix:agreement), a quoted text (\"agreement\") nor a SPARQL word",
            ),
            (
                "SELECT ?a WHERE { ?a ttkg:agreementNumber \"VN-1 }",
                "a text in \"quotes\" is never closed: add the closing \"",
            ),
            (
                "SELECT ?country (COUNT(?a) AS ?n) WHERE { ?a ttkg:partnerCountry ?country }",
                "?country is selected next to an aggregate (COUNT, SUM, SAMPLE …) but is not grouped: add GROUP BY ?country after the WHERE block, or select an aggregate of it (SAMPLE(?country))",
            ),
        ];
        for (query, expected) in cases {
            let message = explained(query);
            assert!(
                message.ends_with(expected),
                "{query}\n--- got ---\n{message}\n--- raw ---\n{}",
                raw(query)
            );
        }
    }

    #[test]
    fn the_caret_points_under_the_place() {
        let message = explained("SELECT ?s WHERE { ?s a foo:Bar }");
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines[0], "the query cannot be read at line 1, column 24:");
        assert_eq!(lines[1], "1 | SELECT ?s WHERE { ?s a foo:Bar }");
        assert_eq!(lines[2], format!("  | {}^", " ".repeat(23)));
    }

    #[test]
    fn a_selected_variable_used_nowhere_is_a_warning() {
        let warnings =
            unbound_selected("SELECT ?nmae (COUNT(?a) AS ?n) WHERE { ?a skos:prefLabel ?name }");
        assert_eq!(
            warnings,
            vec!["?nmae is selected but appears nowhere in the WHERE block, so its column is empty; did you mean ?name?"]
        );
        assert!(unbound_selected("SELECT * WHERE { ?a ?b ?c }").is_empty());
    }
}
