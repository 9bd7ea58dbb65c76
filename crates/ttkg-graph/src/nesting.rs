//! A bound on how deeply a SPARQL text nests its brackets, checked before
//! the text is parsed: the parser, the optimiser and the evaluator recurse
//! once per level, and a few hundred levels (`FILTER((((…))))`, a URL of a
//! few kilobytes) overflow a thread's stack, which aborts the process.

use crate::error::GraphError;

/// The deepest nesting of `(`, `[` and `{` a query or update may have.
/// Real questions stay under 20; the parser and evaluator are tested at
/// this depth on a 2 MiB stack, the smallest a ttkg thread has.
pub const MAX_NESTING: usize = 100;

/// Checks that `text` nests brackets at most [`MAX_NESTING`] deep, reading
/// past strings, IRIs and comments, which may hold any bracket.
pub fn check_nesting(text: &str) -> Result<(), GraphError> {
    let chars: Vec<char> = text.chars().collect();
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut i = 0;
    let advance = |i: usize, line: &mut usize, column: &mut usize| {
        if chars[i] == '\n' {
            *line += 1;
            *column = 0;
        } else {
            *column += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    advance(i, &mut line, &mut column);
                    i += 1;
                }
                continue;
            }
            '"' | '\'' => {
                let long = chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
                let quote_len = if long { 3 } else { 1 };
                for _ in 0..quote_len {
                    advance(i, &mut line, &mut column);
                    i += 1;
                }
                while i < chars.len() {
                    if chars[i] == '\\' {
                        advance(i, &mut line, &mut column);
                        i += 1;
                    } else if chars[i] == c
                        && (!long || (chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c)))
                    {
                        for _ in 0..quote_len {
                            if i < chars.len() {
                                advance(i, &mut line, &mut column);
                                i += 1;
                            }
                        }
                        break;
                    }
                    if i < chars.len() {
                        advance(i, &mut line, &mut column);
                        i += 1;
                    }
                }
                continue;
            }
            '<' => {
                // An IRI holds no spaces, quotes or braces up to its `>`;
                // anything else is the less-than operator.
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| *c == '>' || c.is_whitespace() || "<\"{}|^`".contains(*c));
                if let Some(offset) = end.filter(|o| chars[i + 1 + o] == '>') {
                    for _ in 0..=offset + 1 {
                        advance(i, &mut line, &mut column);
                        i += 1;
                    }
                    continue;
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(GraphError::TooDeep {
                        limit: MAX_NESTING,
                        line,
                        column: column + 1,
                    });
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        advance(i, &mut line, &mut column);
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            "ASK {{ FILTER({}1{}) }}",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    }

    #[test]
    fn deep_nesting_is_refused_with_its_place() {
        assert!(check_nesting(&nested(MAX_NESTING - 2)).is_ok());
        let err = check_nesting(&nested(1000)).unwrap_err().to_string();
        assert!(
            err.contains("nested too deeply (limit 100)") && err.contains("line 1"),
            "{err}"
        );
        let braces = format!("SELECT * WHERE {}{}", "{".repeat(850), "}".repeat(850));
        assert!(check_nesting(&braces).is_err());
    }

    #[test]
    fn brackets_in_strings_iris_and_comments_do_not_count() {
        let text = format!(
            "SELECT * WHERE {{ ?s ?p \"{}\" . ?s <http://x/{}> ?o # {}\n FILTER(?o < 3) }}",
            "(".repeat(500),
            "%28".repeat(10),
            "{".repeat(500)
        );
        assert!(check_nesting(&text).is_ok());
        assert!(check_nesting(&format!(
            "ASK {{ FILTER(\"\"\"{}\"\"\" != '{{') }}",
            "[".repeat(300)
        ))
        .is_ok());
    }

    /// The parser and evaluator stand the limit on the smallest stack a
    /// ttkg thread has (tokio's blocking threads: 2 MiB).
    #[test]
    fn the_limit_fits_a_two_mebibyte_stack() {
        let query = nested(MAX_NESTING - 2);
        let braces = format!(
            "SELECT * WHERE {}?s ?p ?o{}",
            "{".repeat(MAX_NESTING - 1),
            "}".repeat(MAX_NESTING - 1)
        );
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let store = crate::KnowledgeStore::in_memory().unwrap();
                for text in [query, braces] {
                    check_nesting(&text).unwrap();
                    store.select(&text).unwrap();
                }
            })
            .unwrap()
            .join()
            .expect("no stack overflow at the limit");
    }
}
