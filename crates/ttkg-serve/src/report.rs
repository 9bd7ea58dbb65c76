//! `/report`: the periodic report of `ttkg report` as a page, with a form
//! above it (never printed) to pick the report, period and language and to
//! download the workbook.

use std::path::Path;

use axum::http::StatusCode;
use ttkg_query::{Answerer, Deadline, Period};
use ttkg_report::{ReportDefinition, ReportError};

use crate::evaluate::{query_error, Body};
use crate::ApiError;

/// What the analyst asked for.
pub struct Asked<'a> {
    pub reports_dir: &'a Path,
    pub queries_dir: &'a Path,
    pub name: &'a str,
    /// Checked by the handler; `None`: the newest year with data.
    pub period: Option<&'a str>,
    pub lang: &'a str,
    pub xlsx: bool,
}

pub fn build(store: &dyn Answerer, asked: &Asked, deadline: &Deadline) -> Result<Body, ApiError> {
    let definitions = ttkg_report::definition::load_dir(asked.reports_dir).map_err(failure)?;
    let definition = ttkg_report::definition::find_in(&definitions, asked.reports_dir, asked.name)
        .map_err(failure)?;
    let sections = definition.resolve(asked.queries_dir).map_err(failure)?;
    let period = match asked.period.and_then(Period::parse) {
        Some(period) => period,
        None => ttkg_report::newest_year(store).map_err(failure)?,
    };
    let report =
        ttkg_report::build(store, definition, &sections, period, deadline).map_err(failure)?;
    let file = format!("{}-{}-{}", report.name, report.period, asked.lang);
    if asked.xlsx {
        return Ok(Body {
            media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
            bytes: ttkg_report::xlsx::bytes(&report, asked.lang).map_err(failure)?,
            download: Some(format!("attachment; filename=\"{file}.xlsx\"")),
            warnings: Vec::new(),
        });
    }
    let controls = controls(&definitions, definition, period, asked.lang);
    Ok(Body {
        media_type: "text/html; charset=utf-8".into(),
        bytes: ttkg_report::html::render(&report, asked.lang, Some(&controls)).into_bytes(),
        download: None,
        warnings: Vec::new(),
    })
}

/// The form above the report: report, period and language, and downloads.
fn controls(
    definitions: &[ReportDefinition],
    chosen: &ReportDefinition,
    period: Period,
    lang: &str,
) -> String {
    let zh = lang.starts_with("zh");
    let say = |z: &'static str, e: &'static str| if zh { z } else { e };
    let escape = ttkg_report::html::escape;
    let options: String = definitions
        .iter()
        .map(|d| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(&d.name),
                if d.name == chosen.name {
                    " selected"
                } else {
                    ""
                },
                escape(d.title.get(lang))
            )
        })
        .collect();
    let languages: String = [("zh", "中文"), ("en", "English")]
        .iter()
        .map(|(tag, name)| {
            format!(
                "<option value=\"{tag}\"{}>{name}</option>",
                if *tag == lang { " selected" } else { "" }
            )
        })
        .collect();
    let query = |format: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("name", &chosen.name)
            .append_pair("period", &period.to_string())
            .append_pair("lang", lang)
            .append_pair("format", format)
            .finish()
    };
    format!(
        "<a href=\"/\">ttkg</a>\
         <form method=\"get\" action=\"/report\" class=\"controls-form\">\
         <label>{report} <select name=\"name\">{options}</select></label>\
         <label>{period_word} <input name=\"period\" value=\"{period}\" size=\"8\" required \
           pattern=\"[0-9]{{4}}(-[0-9]{{1,2}})?\" title=\"2016 / 2016-06\" data-testid=\"report-period\"></label>\
         <label>{language} <select name=\"lang\">{languages}</select></label>\
         <button type=\"submit\">{show}</button></form>\
         <a href=\"/report?{xlsx}\" data-testid=\"report-xlsx\">{download}</a>\
         <span>{print}</span>",
        report = say("报告", "Report"),
        period_word = say("报告期（年或年-月）", "Period (year or year-month)"),
        language = say("语言", "Language"),
        show = say("生成", "Show"),
        xlsx = escape(&query("xlsx")),
        download = say("下载 Excel 工作簿", "Download the Excel workbook"),
        print = say(
            "打印或存为 PDF：浏览器菜单“打印”（Ctrl+P）",
            "Print or save as PDF: the browser's Print (Ctrl+P)"
        ),
    )
}

fn failure(e: ReportError) -> ApiError {
    match e {
        ReportError::Query { source, .. } => query_error(*source),
        // The server's folders are no business of a web page.
        ReportError::Unknown {
            name, available, ..
        } => ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no report `{name}`; there are: {available}"),
        ),
        e @ ReportError::Definition { .. } => ApiError::bad_request(e.to_string()),
        e @ ReportError::Write { .. } => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}
