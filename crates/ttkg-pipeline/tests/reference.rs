//! docs/pipelines.md lists every key and value a pipeline may use: each
//! struct and enum of the model is asked, through serde's own "expected one
//! of" message for an unknown key or value, what it accepts, and the
//! reference must mention each as `key`.

use std::path::Path;

use ttkg_pipeline::Pipeline;

const BASE: &str = r#"
[pipeline]
version = "1"
[source]
files = ["reports/*.csv"]
format = "csv"
[columns]
name = { headers = ["Name"] }
[[entity]]
name = "thing"
class = "ttkg:Organisation"
iri = "org/{name}"
[entity.properties]
"skos:prefLabel" = "name"
"#;

/// What serde says it expected when `from` in [`BASE`] becomes `to`.
fn expected(from: &str, to: &str) -> Vec<String> {
    let text = BASE.replacen(from, to, 1);
    assert_ne!(text, BASE, "{from} is in the base pipeline");
    let message = match Pipeline::parse(Path::new("probe.toml"), &text) {
        Ok(_) => panic!("{to} was accepted"),
        Err(e) => e.to_string(),
    };
    let list = message
        .split("expected one of ")
        .nth(1)
        .or_else(|| message.split("expected ").nth(1))
        .unwrap_or_else(|| panic!("no list of expected keys in: {message}"));
    // serde writes "`a`, `b`, `c`" or, for two, "`a` or `b`".
    list.split(['\n', ';'])
        .next()
        .unwrap()
        .replace(" or ", ", ")
        .split(", ")
        .filter_map(|item| item.trim().strip_prefix('`')?.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_reference_lists_every_key_and_value_the_model_accepts() {
    let reference = std::fs::read_to_string(
        // The folder cargo gives when the test runs, not the one it was built in.
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
            .join("../../docs/pipelines.md"),
    )
    .unwrap();
    let probes: &[(&str, &str, &str)] = &[
        ("[pipeline]", "[pipeline]\nzz_unknown = 1", "[pipeline]"),
        ("[source]", "[source]\nzz_unknown = 1", "[source]"),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], zz_unknown = 1 }"#,
            "[columns]",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], type = "zz_unknown" }"#,
            "type",
        ),
        // Each type's own keys: an unknown key is answered with the common
        // keys and the type's.
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], type = "integer", zz_unknown = 1 }"#,
            "[columns] integer",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], type = "datetime", zz_unknown = 1 }"#,
            "[columns] datetime",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], type = "money", zz_unknown = 1 }"#,
            "[columns] money",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], type = "area", zz_unknown = 1 }"#,
            "[columns] area",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], type = "concept", zz_unknown = 1 }"#,
            "[columns] concept",
        ),
        (r#"format = "csv""#, r#"format = "zz_unknown""#, "format"),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], type = "area", unit = "zz_unknown" }"#,
            "unit",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], number_style = "zz_unknown" }"#,
            "number_style",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], date_order = "zz_unknown" }"#,
            "date_order",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], date_system = "zz_unknown" }"#,
            "date_system",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], resolve = "zz_unknown" }"#,
            "resolve",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"], on_missing = "zz_unknown" }"#,
            "on_missing",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"] }
total = { compute = { zz_unknown = ["name"] } }"#,
            "compute",
        ),
        (
            r#"name = { headers = ["Name"] }"#,
            r#"name = { headers = ["Name"] }
total = { compute = { when = { zz_unknown = "name" } } }"#,
            "when",
        ),
        (
            "[[entity]]",
            "[[skip]]\ncolumn = \"name\"\nmatches = \"x\"\nreason = \"r\"\nzz_unknown = 1\n[[entity]]",
            "[[skip]]",
        ),
        ("[[entity]]\n", "[[entity]]\nzz_unknown = 1\n", "[[entity]]"),
    ];
    let mut missing = Vec::new();
    for (from, to, part) in probes {
        let keys = expected(from, to);
        assert!(keys.len() > 1, "{part}: {keys:?}");
        for key in keys {
            if !reference.contains(&format!("`{key}`"))
                && !reference.contains(&format!("`\"{key}\"`"))
            {
                missing.push(format!("{part}: `{key}`"));
            }
        }
    }
    // A property value's table is one variant of an untagged enum, whose
    // error names no keys: asked directly.
    let table = toml::from_str::<ttkg_pipeline::PropertyTable>("zz_unknown = 1")
        .unwrap_err()
        .to_string();
    let keys: Vec<&str> = table
        .split("expected one of ")
        .nth(1)
        .unwrap_or_else(|| panic!("{table}"))
        .lines()
        .next()
        .unwrap()
        .split(", ")
        .filter_map(|k| k.trim().strip_prefix('`')?.split('`').next())
        .collect();
    assert!(keys.len() > 1, "{table}");
    for key in keys {
        if !reference.contains(&format!("{key} =")) && !reference.contains(&format!("`{key}`")) {
            missing.push(format!("property values: `{key}`"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/pipelines.md does not mention:\n{}",
        missing.join("\n")
    );
}
