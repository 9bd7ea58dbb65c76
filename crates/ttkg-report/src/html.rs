//! A report as one self-contained HTML file: styles and charts inline, no
//! scripts, laid out for the screen and for A4 paper (the browser's "Print"
//! or "Save as PDF").

use std::fmt::Write;

use crate::report::{Cell, Report, Section};
use crate::svg;
pub use crate::svg::escape;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: 'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',system-ui,sans-serif;
  color: #1d2733; margin: 0 auto; max-width: 980px; padding: 24px 32px 48px; line-height: 1.55; font-size: 14px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 6px; padding-bottom: 4px; border-bottom: 2px solid #0b6e69; break-after: avoid; }
.period { font-size: 16px; color: #0b6e69; margin: 0 0 10px; font-weight: 600; }
.intro, .text { margin: 6px 0 10px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 12px; color: #5b6876; margin: 10px 0 0; }
.meta dt { font-weight: 600; } .meta dd { margin: 0; }
nav ol { margin: 8px 0 0; padding-left: 22px; columns: 2; font-size: 13px; }
nav a, .source a { color: #0b6e69; }
.note { border-left: 4px solid #d9822b; background: #fdf4ea; padding: 6px 10px; margin: 8px 0; }
.empty { border-left: 4px solid #7f7f7f; background: #f2f4f6; padding: 6px 10px; margin: 8px 0; }
figure { margin: 10px 0; break-inside: avoid; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 12.5px; }
thead { display: table-header-group; }
th, td { border-bottom: 1px solid #e3e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef3f3; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.up { color: #0b6e69; } td.down { color: #b3424a; }
tr { break-inside: avoid; }
.source { font-size: 11.5px; color: #5b6876; margin: 2px 0 0; }
footer { margin-top: 36px; font-size: 11.5px; color: #5b6876; border-top: 1px solid #e3e7eb; padding-top: 8px; }
.controls { background: #eef3f3; padding: 10px 14px; margin: -8px 0 18px; border-radius: 6px; display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: center; font-size: 13px; }
.controls form { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin: 0; }
.controls label { display: flex; gap: 6px; align-items: center; }
.controls input, .controls select, .controls button { font: inherit; padding: 3px 6px; }
.controls select[name=name] { max-width: 19em; }
.controls a { color: #0b6e69; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .controls { display: none; }
  nav ol { columns: 2; }
  h2 { break-before: auto; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The report in `lang` (`zh` or `en`) as an HTML document. `controls`, if
/// given, is HTML shown above the report on screen and never printed (the
/// `/report` page's period picker and downloads).
pub fn render(report: &Report, lang: &str, controls: Option<&str>) -> String {
    let zh = lang.starts_with("zh");
    let say = |zh_text: &str, en_text: &str| {
        if zh {
            zh_text.to_owned()
        } else {
            en_text.to_owned()
        }
    };
    let title = report.title.get(lang);
    let period = report.period.label(lang);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><style>{STYLE}</style></head><body>",
        if zh { "zh-CN" } else { "en" },
        escape(title),
        escape(&period)
    );
    if let Some(controls) = controls {
        let _ = write!(out, "<div class=\"controls\">{controls}</div>");
    }
    let _ = write!(
        out,
        "<header><h1>{}</h1><p class=\"period\">{}</p>",
        escape(title),
        escape(&match (zh, report.compares) {
            (true, true) => format!("报告期：{period}（与{}比较）", report.previous.label(lang)),
            (true, false) => format!("报告期：{period}"),
            (false, true) => format!(
                "Period: {period} (compared with {})",
                report.previous.label(lang)
            ),
            (false, false) => format!("Period: {period}"),
        })
    );
    let intro = report.intro.get(lang);
    if !intro.is_empty() {
        let _ = write!(out, "<p class=\"intro\">{}</p>", escape(intro));
    }
    let _ = write!(
        out,
        "<dl class=\"meta\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl></header>",
        say("生成时间", "Generated"),
        escape(&report.generated),
        say("数据来源", "Data"),
        escape(&report.data_text(lang))
    );
    let _ = write!(out, "<nav><ol>");
    for (i, section) in report.sections.iter().enumerate() {
        let _ = write!(
            out,
            "<li><a href=\"#s{}\">{}</a></li>",
            i + 1,
            escape(section.title.get(lang))
        );
    }
    let _ = write!(out, "</ol></nav>");
    for (i, section) in report.sections.iter().enumerate() {
        section_html(&mut out, i + 1, section, lang);
    }
    let _ = writeln!(
        out,
        "<footer>{}</footer></body></html>",
        escape(&if zh {
            format!(
                "由 ttkg 生成：ttkg report {} --period {}。数字为库中数据的精确值，未经四舍五入（标明单位的除外）。",
                report.name, report.period
            )
        } else {
            format!(
                "Made by ttkg: ttkg report {} --period {}. Figures are the store's exact values, never rounded (except where a unit says so).",
                report.name, report.period
            )
        })
    );
    out
}

/// One section: heading, text, notes, chart and table (or what to say
/// when it has no rows), and the question it asked.
fn section_html(out: &mut String, number: usize, section: &Section, lang: &str) {
    let heading = format!("{number}. {}", section.title.get(lang));
    let _ = write!(
        out,
        "<section id=\"s{number}\"><h2>{}</h2>",
        escape(&heading)
    );
    let text = section.text.get(lang);
    if !text.is_empty() {
        let _ = write!(out, "<p class=\"text\">{}</p>", escape(text));
    }
    for note in &section.notes {
        let _ = write!(out, "<p class=\"note\">{}</p>", escape(note.get(lang)));
    }
    if section.rows.is_empty() {
        let _ = write!(
            out,
            "<p class=\"empty\">{}</p>",
            escape(section.empty.get(lang))
        );
    } else {
        if let Some(data) = section.chart_data(lang) {
            let caption = data
                .note
                .as_ref()
                .map(|n| format!("<figcaption class=\"note\">{}</figcaption>", escape(n)))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<figure>{}{caption}</figure>",
                svg::chart(&data, &heading)
            );
        }
        table(out, section, lang);
    }
    let _ = write!(
        out,
        "<p class=\"source\">{} <code>{}</code></p></section>",
        if lang.starts_with("zh") {
            "问题："
        } else {
            "Question:"
        },
        escape(&section.question)
    );
}

fn table(out: &mut String, section: &Section, lang: &str) {
    let numeric: Vec<bool> = (0..section.columns.len())
        .map(|c| {
            section.rows.iter().any(|r| matches!(r[c], Cell::Number(_)))
                && section
                    .rows
                    .iter()
                    .all(|r| matches!(r[c], Cell::Number(_) | Cell::Year(_) | Cell::Empty))
        })
        .collect();
    let _ = write!(out, "<table><thead><tr>");
    for (c, column) in section.columns.iter().enumerate() {
        let _ = write!(
            out,
            "<th{} title=\"{}\">{}</th>",
            if numeric[c] { " class=\"n\"" } else { "" },
            escape(&column.description),
            escape(column.header.get(lang))
        );
    }
    let _ = write!(out, "</tr></thead><tbody>");
    for row in &section.rows {
        let _ = write!(out, "<tr>");
        for (c, cell) in row.iter().enumerate() {
            let change = section.columns[c].variable.ends_with("Change");
            let mut shown = cell.shown(lang);
            let class = match (numeric[c], change, cell.number()) {
                (true, true, Some(n)) if n > 0.into() => {
                    shown.insert(0, '+');
                    " class=\"n up\""
                }
                (true, true, Some(n)) if n < 0.into() => " class=\"n down\"",
                (true, _, _) => " class=\"n\"",
                _ => "",
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(&shown));
        }
        let _ = write!(out, "</tr>");
    }
    let _ = write!(out, "</tbody></table>");
}
