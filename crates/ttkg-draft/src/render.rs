//! A draft as a pipeline file: the declarations, and comments that say
//! where each came from and what to check.

use std::fmt::Write;

use ttkg_ingest::SourceFormat;
use ttkg_pipeline::{DateOrder, DateSystem, NumberStyle};

use crate::entities::is_read;
use crate::{Currency, Draft, DraftColumn, DraftEntity, Kind};

/// A TOML basic string.
pub(crate) fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A `files` pattern that matches the name exactly (glob characters in
/// brackets).
fn literal_glob(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '*' | '?' | '[' | ']' | '{' | '}' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

pub(crate) fn pipeline(draft: &Draft) -> String {
    let mut out = String::new();
    header(&mut out, draft);
    source(&mut out, draft);
    out.push_str("\n[columns]\n");
    for column in &draft.columns {
        column_line(&mut out, column, &draft.entities);
    }
    for entity in &draft.entities {
        entity_block(&mut out, entity);
    }
    if draft.entities.is_empty() {
        out.push_str("\n# No entity block: no existing pipeline knows enough of these headers to say\n# what the rows are. Add [[entity]] blocks (docs/pipelines.md); for example:\n#\n# [[entity]]\n# name = \"agreement\"\n# class = \"ttkg:Agreement\"\n# iri = \"agreement/{<the key of a column that names each row>}\"\n# [entity.properties]\n# \"ttkg:agreementNumber\" = \"<that key>\"\n");
    }
    out
}

fn header(out: &mut String, draft: &Draft) {
    let name = draft
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let layout = &draft.layout;
    let _ = writeln!(
        out,
        "# Drafted by `ttkg draft` from {name}. Read every comment, correct what is"
    );
    let _ = writeln!(
        out,
        "# wrong, then see what would load and what would be quarantined with"
    );
    let _ = writeln!(out, "#   ttkg check --pipeline THIS-FILE {name}");
    let _ = writeln!(out, "# and move the file to pipelines/ when it is right.");
    match &draft.base {
        Some(base) => {
            let _ = writeln!(out, "# Columns and entities follow pipeline `{base}`, which knows the most of these headers.");
        }
        None => {
            let _ = writeln!(
                out,
                "# No existing pipeline describes this kind of report: types come from the values,"
            );
            let _ = writeln!(
                out,
                "# entities from the ontology's labels of the headers (ontology/ttkg.ttl)."
            );
        }
    }
    let mut place = format!("# The header is row {}", layout.header_row);
    if layout.two_row_header {
        place.push_str(&format!(" with row {} above it (a merged two-row header: columns under a merged parent are named parent/child)", layout.header_row - 1));
    }
    if layout.rows_above > 0 {
        place.push_str(&format!(
            "; {} title or note row(s) above it are passed over",
            layout.rows_above
        ));
    }
    let _ = writeln!(out, "{place}.");
    if let Some(sheet) = &layout.sheet {
        let _ = writeln!(
            out,
            "# Sheet '{sheet}' ({} visible sheet(s) in the workbook).",
            draft.sheets
        );
    }
    let _ = writeln!(
        out,
        "# {} data row(s) were read to draft this.",
        layout.data.len()
    );
    if !layout.totals.is_empty() {
        let rows: Vec<String> = layout
            .totals
            .iter()
            .map(|(row, said)| format!("row {row} ('{said}')"))
            .collect();
        let _ = writeln!(out, "# Totals rows the import skips: {}.", rows.join(", "));
    }
}

fn source(out: &mut String, draft: &Draft) {
    let stem = draft
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let layout = &draft.layout;
    let _ = writeln!(
        out,
        "\n[pipeline]\nname = {}\nversion = \"0.1\"",
        quote(&format!("{stem}-draft"))
    );
    let _ = writeln!(
        out,
        "description = {}",
        quote(&format!("Drafted from {}", draft.pattern))
    );
    let _ = writeln!(
        out,
        "\n[source]\nfiles = [{}]",
        quote(&literal_glob(&draft.pattern))
    );
    let format = match draft.format {
        SourceFormat::Csv => "csv",
        SourceFormat::Xlsx => "xlsx",
        SourceFormat::Xls => "xls",
        SourceFormat::Ods => "ods",
    };
    let _ = writeln!(out, "format = \"{format}\"");
    if let Some(sheet) = &layout.sheet {
        let _ = writeln!(out, "sheet = {}", quote(sheet));
    }
    if let Some(encoding) = layout.encoding.filter(|e| *e != "UTF-8") {
        let _ = writeln!(out, "encoding = {}", quote(&encoding.to_ascii_lowercase()));
    }
    if let Some(delimiter) = layout.delimiter.filter(|d| *d != b',') {
        let _ = writeln!(
            out,
            "delimiter = {}",
            quote(&(delimiter as char).to_string())
        );
    }
    if layout.header_row as usize > crate::layout::HEADER_SEARCH_ROWS {
        let _ = writeln!(out, "header_search_rows = {}", layout.header_row + 5);
    }
}

/// The settings of a kind, as `key = value` pairs after `headers`.
fn kind_settings(kind: &Kind) -> Vec<String> {
    let mut s = Vec::new();
    let style = |s: &mut Vec<String>, style: &NumberStyle| {
        if *style == NumberStyle::Comma {
            s.push("number_style = \"comma\"".to_owned());
        }
    };
    match kind {
        Kind::Text { resolve, split } => {
            s.extend(resolve.map(|r| format!("resolve = \"{}\"", r.name())));
            s.extend(split.as_ref().map(|x| format!("split = {}", quote(x))));
        }
        Kind::Integer {
            multiplier,
            style: st,
        }
        | Kind::Decimal {
            multiplier,
            style: st,
        } => {
            let name = if matches!(kind, Kind::Integer { .. }) {
                "integer"
            } else {
                "decimal"
            };
            s.push(format!("type = \"{name}\""));
            s.extend(multiplier.as_ref().map(|m| format!("multiplier = {m}")));
            style(&mut s, st);
        }
        Kind::Date {
            order,
            system,
            time,
        } => {
            s.push(format!(
                "type = \"{}\"",
                if *time { "datetime" } else { "date" }
            ));
            match order {
                DateOrder::Ymd => {}
                DateOrder::Dmy => s.push("date_order = \"dmy\"".into()),
                DateOrder::Mdy => s.push("date_order = \"mdy\"".into()),
            }
            if *system == DateSystem::Excel1904 {
                s.push("date_system = \"1904\"".into());
            }
        }
        Kind::Money {
            currency,
            multiplier,
            date_column,
            style: st,
        } => {
            s.push("type = \"money\"".into());
            s.push(match currency {
                Currency::Code(code) => format!("currency = {}", quote(code)),
                Currency::Column(key) => format!("currency_column = {}", quote(key)),
            });
            s.extend(multiplier.as_ref().map(|m| format!("multiplier = {m}")));
            s.extend(
                date_column
                    .as_ref()
                    .map(|d| format!("date_column = {}", quote(d))),
            );
            style(&mut s, st);
        }
        Kind::Area { unit, style: st } => {
            s.push("type = \"area\"".into());
            s.push(format!("unit = \"{}\"", unit.name()));
            style(&mut s, st);
        }
        Kind::Concept { scheme, split } => {
            s.push("type = \"concept\"".into());
            s.push(format!("scheme = {}", quote(scheme)));
            s.extend(split.as_ref().map(|x| format!("split = {}", quote(x))));
        }
    }
    s
}

fn column_line(out: &mut String, column: &DraftColumn, entities: &[DraftEntity]) {
    let placed = is_read(entities, &column.key);
    let mut note = format!("# '{}': {}", column.header, column.why);
    if column.empty > 0 {
        note.push_str(&format!("; empty in {} row(s)", column.empty));
    }
    if !placed {
        note.push_str(". NOT PLACED: no entity reads it; add it to an entity's properties, or leave it unread");
    }
    let _ = writeln!(out, "{note}");
    let mut settings = vec![format!("headers = [{}]", quote(&column.header))];
    settings.extend(kind_settings(&column.kind));
    if column.required {
        settings.push("required = true".into());
    }
    if column.unique {
        settings.push("unique = true".into());
    }
    let _ = writeln!(
        out,
        "{} = {{ {} }}",
        key_toml(&column.key),
        settings.join(", ")
    );
}

/// A key as TOML writes it: bare when it can be.
fn key_toml(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_owned()
    } else {
        quote(key)
    }
}

fn entity_block(out: &mut String, entity: &DraftEntity) {
    let mut block = String::new();
    let _ = writeln!(block, "[[entity]]\nname = {}", quote(&entity.name));
    if let Some(class) = &entity.class {
        let _ = writeln!(block, "class = {}", quote(class));
    }
    let _ = writeln!(block, "iri = {}", quote(&entity.iri));
    if let Some(each) = &entity.for_each {
        let _ = writeln!(block, "for_each = {}", quote(each));
    }
    if !entity.properties.is_empty() || !entity.fixed.is_empty() {
        block.push_str("[entity.properties]\n");
        for (property, value) in &entity.properties {
            if entity.guessed.contains(property) {
                let _ = writeln!(
                    block,
                    "# CHECK: no pipeline or label places the next value; the column's type does"
                );
            }
            for (_, check) in entity.checks.iter().filter(|(p, _)| p == property) {
                let _ = writeln!(block, "# CHECK: {check}");
            }
            let _ = writeln!(block, "{} = {value}", quote(property));
        }
        if !entity.fixed.is_empty() {
            let _ = writeln!(
                block,
                "# CHECK: pipeline {} gives every row of its reports these; remove the # where\n# they hold for this report too:",
                entity.source.as_deref().unwrap_or("?")
            );
        }
        for (property, value) in &entity.fixed {
            let _ = writeln!(block, "# {} = {value}", quote(property));
        }
    }
    out.push('\n');
    if !entity.missing.is_empty() {
        let _ = writeln!(
            out,
            "# CHECK: ontology/shapes.ttl requires {} of every {}, and no column gives it: add a\n# column or a fixed value (such as {{ iri = \"vocab:country/VN\" }}) for it, or\n# `ttkg import --validate` refuses these rows.",
            entity.missing.join(", "),
            entity.class.as_deref().unwrap_or("entity")
        );
    }
    out.push_str(&block);
}
