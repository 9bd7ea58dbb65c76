//! `ttkg draft FILE`: a pipeline drafted for a report nobody has written
//! one for, written next to it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ttkg_import::{Settings, Workspace};

use crate::{exit, Failure};

pub fn run(
    workspace: &Workspace,
    file: &Path,
    output: Option<PathBuf>,
    force: bool,
) -> Result<ExitCode, Failure> {
    let (ontology, refs, pipelines) =
        ttkg_import::prepare(workspace).map_err(crate::import::import_failure)?;
    let shapes_file = workspace.ontology_dir.join("shapes.ttl");
    let required = if shapes_file.exists() {
        ttkg_validate::Shapes::load(&shapes_file)
            .map_err(|e| {
                (
                    exit::INVALID_SETUP,
                    format!("{}: {e}", shapes_file.display()),
                )
            })?
            .required_properties()
    } else {
        BTreeMap::new()
    };
    let settings =
        Settings::load(&workspace.root).map_err(|e| (exit::INVALID_SETUP, e.to_string()))?;
    let knowledge = ttkg_draft::Knowledge {
        pipelines: &pipelines,
        concepts: &refs.concepts,
        required: &required,
        properties: &ontology.properties(),
        superclasses: &ontology.superclasses(),
    };
    let draft = ttkg_draft::draft(
        file,
        Some(&workspace.data_dir),
        &knowledge,
        settings.read_limits(),
    )
    .map_err(|e| (exit::FAILURE, format!("cannot draft a pipeline: {e}")))?;
    let text = draft.to_toml();
    let target = output.unwrap_or_else(|| default_output(file));
    if target == Path::new("-") {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    if target.exists() && !force {
        return Err((
            exit::USAGE,
            format!(
                "{} is already there; pass --force to replace it, or --output to write elsewhere",
                target.display()
            ),
        ));
    }
    std::fs::write(&target, &text).map_err(|e| {
        (
            exit::FAILURE,
            format!("cannot write {}: {e}", target.display()),
        )
    })?;
    let mut out = std::io::stdout().lock();
    let _ = summary(&mut out, &draft, &target, file);
    Ok(ExitCode::SUCCESS)
}

/// `reports/x.xlsx` → `reports/x.draft.toml`.
fn default_output(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    file.with_file_name(format!("{stem}.draft.toml"))
}

fn summary(
    out: &mut impl Write,
    draft: &ttkg_draft::Draft,
    target: &Path,
    file: &Path,
) -> std::io::Result<()> {
    let matched = draft.columns.iter().filter(|c| c.matched.is_some()).count();
    let placed: Vec<&str> = draft
        .entities
        .iter()
        .filter(|e| e.missing.is_empty())
        .map(|e| e.name.as_str())
        .collect();
    let left_out: Vec<String> = draft
        .entities
        .iter()
        .filter(|e| !e.missing.is_empty())
        .map(|e| format!("{} (needs {})", e.name, e.missing.join(", ")))
        .collect();
    writeln!(out, "wrote {}", target.display())?;
    writeln!(
        out,
        "  table: {}header row {}{}, {} data rows read, {} totals row(s) to skip",
        draft
            .layout
            .sheet
            .as_ref()
            .map(|s| format!("sheet '{s}', "))
            .unwrap_or_default(),
        draft.layout.header_row,
        if draft.layout.two_row_header {
            " (two rows, merged parent)"
        } else {
            ""
        },
        draft.layout.data.len(),
        draft.layout.totals.len()
    )?;
    writeln!(
        out,
        "  columns: {} ({matched} with a header the pipelines know, {} typed from their values)",
        draft.columns.len(),
        draft.columns.len() - matched
    )?;
    writeln!(
        out,
        "  entities: {}",
        if placed.is_empty() {
            "none; add [[entity]] blocks (see the comment at the end of the draft)".to_owned()
        } else {
            placed.join(", ")
        }
    )?;
    if !left_out.is_empty() {
        writeln!(out, "  left out (commented): {}", left_out.join("; "))?;
    }
    writeln!(
        out,
        "next: read the comments in the draft, then\n  ttkg check --pipeline {} {}",
        target.display(),
        file.display()
    )
}
