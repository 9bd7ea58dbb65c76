//! IRI templates such as `agreement/gx/{number}`: literal text and column
//! placeholders. Placeholder values are turned into IRI-safe keys when the
//! IRI is minted, so the same organisation name gives the same IRI in every
//! report.

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Text(String),
    Column(String),
}

/// A parsed IRI template, relative to the instance base `https://w3id.org/ttkg/id/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

impl Template {
    /// Parses `text/{column}/text`; braces cannot nest and must close.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("`{{` at byte {open} is never closed"))?;
            let name = after[..close].trim();
            if name.is_empty() || name.contains('{') {
                return Err(format!(
                    "placeholder `{{{}}}` is not a column name",
                    &after[..close]
                ));
            }
            parts.push(TemplatePart::Column(name.to_owned()));
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err("`}` without a matching `{`".into());
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_owned()));
        }
        if !parts.iter().any(|p| matches!(p, TemplatePart::Column(_))) {
            return Err(
                "a template needs at least one {column} so that each row gets its own IRI".into(),
            );
        }
        if let Some(TemplatePart::Text(t)) = parts.first() {
            if t.starts_with('/') || t.contains("://") {
                return Err(
                    "templates are relative to https://w3id.org/ttkg/id/; drop the leading part"
                        .into(),
                );
            }
        }
        Ok(Template { parts })
    }

    /// The columns the template reads.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Column(c) => Some(c.as_str()),
            TemplatePart::Text(_) => None,
        })
    }
}

/// Turns a value into an IRI path segment that is stable across reports:
/// case-folded, whitespace collapsed to `-`, and characters that are not
/// allowed or meaningful in IRI paths percent-encoded. Non-ASCII letters
/// (Chinese, Thai, Vietnamese) stay readable, as IRIs allow.
pub fn iri_key(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending_dash = false;
    for ch in value.trim().chars().flat_map(char::to_lowercase) {
        if ch.is_whitespace() {
            pending_dash = !out.is_empty();
            continue;
        }
        if pending_dash {
            out.push('-');
            pending_dash = false;
        }
        let mut buf = [0u8; 4];
        out.push_str(&ttkg_vocab::iri_escape(ch.encode_utf8(&mut buf), &[]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_columns() {
        let t = Template::parse("agreement/gx/{number}").unwrap();
        assert_eq!(
            t.parts,
            vec![
                TemplatePart::Text("agreement/gx/".into()),
                TemplatePart::Column("number".into())
            ]
        );
        assert_eq!(t.columns().collect::<Vec<_>>(), ["number"]);
    }

    #[test]
    fn rejects_bad_templates() {
        assert!(Template::parse("org/{name").is_err());
        assert!(Template::parse("org/name}").is_err());
        assert!(Template::parse("org/{}").is_err());
        assert!(Template::parse("org/fixed").is_err());
        assert!(Template::parse("http://x/{a}").is_err());
    }

    #[test]
    fn keys_are_stable_and_iri_safe() {
        assert_eq!(iri_key("  Khon Kaen   University "), "khon-kaen-university");
        assert_eq!(iri_key("广西中医药大学"), "广西中医药大学");
        assert_eq!(iri_key("GX-2016/001"), "gx-2016%2F001");
        assert_eq!(iri_key("A&B (Thailand)"), "a%26b-%28thailand%29");
        assert_eq!(iri_key("Việt Nam"), "việt-nam");
    }
}
