//! Whether a literal's text is in the lexical space of its datatype (XML
//! Schema 1.1 Part 2), which SHACL's `sh:datatype` checks along with the
//! datatype itself. Parsing is oxigraph's own (`oxsdatatypes`), so a value
//! that passes here is one the store computes with.

use std::str::FromStr;

use oxsdatatypes::{
    Boolean, Date, DateTime, DayTimeDuration, Decimal, Double, Duration, Float, GDay, GMonth,
    GMonthDay, GYear, GYearMonth, Time, YearMonthDuration,
};

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// Whether `text` is a valid lexical form of `datatype`. Datatypes outside
/// XML Schema's built-in atomic ones (and strings) have no lexical rule here
/// and are valid.
pub fn is_valid(datatype: &str, text: &str) -> bool {
    let Some(name) = datatype.strip_prefix(XSD) else {
        return true;
    };
    // Every type below but the strings collapses white space first.
    let collapsed = text.trim_matches([' ', '\t', '\n', '\r']);
    match name {
        "string" | "normalizedString" | "token" | "language" | "Name" | "NCName" | "NMTOKEN"
        | "anyURI" | "ID" | "IDREF" | "ENTITY" => true,
        "boolean" => Boolean::from_str(collapsed).is_ok(),
        "decimal" => Decimal::from_str(collapsed).is_ok(),
        "double" => Double::from_str(collapsed).is_ok(),
        "float" => Float::from_str(collapsed).is_ok(),
        "date" => Date::from_str(collapsed).is_ok(),
        "dateTime" | "dateTimeStamp" => match DateTime::from_str(collapsed) {
            Ok(value) => name == "dateTime" || value.timezone_offset().is_some(),
            Err(_) => false,
        },
        "time" => Time::from_str(collapsed).is_ok(),
        "gYear" => GYear::from_str(collapsed).is_ok(),
        "gYearMonth" => GYearMonth::from_str(collapsed).is_ok(),
        "gMonth" => GMonth::from_str(collapsed).is_ok(),
        "gDay" => GDay::from_str(collapsed).is_ok(),
        "gMonthDay" => GMonthDay::from_str(collapsed).is_ok(),
        "duration" => Duration::from_str(collapsed).is_ok(),
        "yearMonthDuration" => YearMonthDuration::from_str(collapsed).is_ok(),
        "dayTimeDuration" => DayTimeDuration::from_str(collapsed).is_ok(),
        integer => match integer_range(integer) {
            Some((min, max)) => {
                let digits = collapsed.trim_start_matches(['+', '-']);
                let is_integer = collapsed.len() - digits.len() <= 1
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit());
                // Too long for i128: within range only where there is no bound.
                is_integer
                    && match collapsed.parse::<i128>() {
                        Ok(value) => {
                            min.is_none_or(|min| value >= min) && max.is_none_or(|max| value <= max)
                        }
                        Err(_) if collapsed.starts_with('-') => min.is_none(),
                        Err(_) => max.is_none(),
                    }
            }
            // Not a datatype with a rule here (hexBinary, an unknown name…).
            None => true,
        },
    }
}

/// The bounds of XML Schema's integer types, `None` for an unbounded side;
/// `None` for a name that is not an integer type.
fn integer_range(name: &str) -> Option<(Option<i128>, Option<i128>)> {
    Some(match name {
        "integer" => (None, None),
        "long" => (Some(i64::MIN.into()), Some(i64::MAX.into())),
        "int" => (Some(i32::MIN.into()), Some(i32::MAX.into())),
        "short" => (Some(i16::MIN.into()), Some(i16::MAX.into())),
        "byte" => (Some(i8::MIN.into()), Some(i8::MAX.into())),
        "nonNegativeInteger" => (Some(0), None),
        "positiveInteger" => (Some(1), None),
        "nonPositiveInteger" => (None, Some(0)),
        "negativeInteger" => (None, Some(-1)),
        "unsignedLong" => (Some(0), Some(u64::MAX.into())),
        "unsignedInt" => (Some(0), Some(u32::MAX.into())),
        "unsignedShort" => (Some(0), Some(u16::MAX.into())),
        "unsignedByte" => (Some(0), Some(u8::MAX.into())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xsd(name: &str) -> String {
        format!("{XSD}{name}")
    }

    #[test]
    fn ill_typed_values_are_invalid() {
        for (datatype, text) in [
            ("decimal", "abc"),
            ("integer", "five"),
            ("integer", "1.5"),
            ("date", "2016-02-30"),
            ("date", "2016-2-3"),
            ("gYearMonth", "2016-13"),
            ("gYear", "16"),
            ("boolean", "yes"),
            ("unsignedByte", "256"),
            ("nonNegativeInteger", "-1"),
        ] {
            assert!(!is_valid(&xsd(datatype), text), "{text}^^xsd:{datatype}");
        }
    }

    #[test]
    fn well_typed_values_are_valid() {
        for (datatype, text) in [
            ("decimal", "806300.00"),
            ("decimal", " 1.50 "),
            ("integer", "-42"),
            ("date", "2016-02-29"),
            ("gYearMonth", "2016-12"),
            ("gYear", "2016"),
            ("boolean", "1"),
            ("string", "anything at all"),
            ("dateTime", "2016-02-29T10:00:00Z"),
        ] {
            assert!(is_valid(&xsd(datatype), text), "{text}^^xsd:{datatype}");
        }
        assert!(is_valid("https://example.org/custom", "x"));
    }
}
