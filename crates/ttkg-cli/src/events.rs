//! `--log-format json`: one JSON object per line on standard error, for
//! schedulers and log collectors (journald, Loki, a CI log).

use std::io::Write;

use serde_json::{json, Value};
use ttkg_import::{FileStatus, ImportReport, Progress, Stage};

/// Writes one event, stamped with the time, as a line of JSON on standard error.
pub fn emit(event: Value) {
    emit_to(&mut std::io::stderr().lock(), event);
}

/// [`emit`] to `out`.
pub fn emit_to(out: &mut dyn Write, mut event: Value) {
    if let Value::Object(map) = &mut event {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        map.insert("time".into(), Value::String(now));
    }
    let _ = writeln!(out, "{event}");
}

/// Progress as `stage_start`, `stage_progress` and `stage_done` events.
pub struct JsonProgress;

impl Progress for JsonProgress {
    fn start(&self, stage: Stage, total: u64) {
        emit(json!({ "event": "stage_start", "stage": stage.label(), "files": total }));
    }

    fn advance(&self, stage: Stage, message: &str) {
        emit(json!({ "event": "stage_progress", "stage": stage.label(), "file": message }));
    }

    fn finish(&self, stage: Stage) {
        emit(json!({ "event": "stage_done", "stage": stage.label() }));
    }
}

/// `warning` events, one `file` event per (pipeline, file), then the `run` event.
pub fn report(report: &ImportReport, exit_code: u8, out: &mut dyn Write) {
    for warning in &report.warnings {
        emit_to(out, json!({ "event": "warning", "message": warning }));
    }
    for f in &report.files {
        for warning in &f.warnings {
            emit_to(
                out,
                json!({ "event": "warning", "pipeline": f.pipeline, "file": f.file, "message": warning }),
            );
        }
    }
    for f in &report.files {
        let message = match &f.status {
            FileStatus::Failed(m) => Some(m.as_str()),
            _ => None,
        };
        emit_to(
            out,
            json!({
                "event": "file",
                "pipeline": f.pipeline,
                "file": f.file,
                "status": f.change(),
                "dry_run": report.dry_run,
                "rows_read": f.rows_read,
                "rows_loaded": f.rows_loaded,
                "rows_quarantined": f.rows_quarantined,
                "rows_skipped": f.rows_skipped + f.blank_rows,
                "rows_duplicate": f.rows_duplicate,
                "warnings": f.warnings,
                "triples_added": f.triples_added,
                "triples_removed": f.triples_removed,
                "encoding": f.encoding,
                "message": message,
            }),
        );
    }
    let count = |change: &str| report.files.iter().filter(|f| f.change() == change).count();
    let sum = |f: fn(&ttkg_import::FileReport) -> usize| report.files.iter().map(f).sum::<usize>();
    emit_to(
        out,
        json!({
            "event": "run",
            "run": report.run,
            "dry_run": report.dry_run,
            "outcome": ttkg_import::outcome(&report.files),
            "exit_code": exit_code,
            "files_loaded": count("loaded"),
            "files_replaced": count("replaced"),
            "files_unchanged": count("unchanged"),
            "files_retracted": count("retracted"),
            "files_failed": count("failed"),
            "rows_loaded": sum(|f| f.rows_loaded),
            "rows_quarantined": sum(|f| f.rows_quarantined),
            "triples_added": sum(|f| f.triples_added),
            "triples_removed": sum(|f| f.triples_removed),
            "quarantine_file": report.quarantine_files.as_ref().map(|(csv, _)| csv.display().to_string()),
            "skipped_file": report.skipped_file.as_ref().map(|p| p.display().to_string()),
            "names_file": report.resolutions_file.as_ref().map(|p| p.display().to_string()),
            "seconds": report.timings.total.as_secs_f64(),
        }),
    );
}
