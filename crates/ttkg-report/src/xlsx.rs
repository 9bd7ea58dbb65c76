//! A report as an XLSX workbook: an overview sheet, then one sheet per
//! section with its title, text, notes and table (numbers as numbers, dates
//! as dates, never formulas), and a native Excel chart drawn from a small
//! table of the chart's values beside it.

use std::path::Path;

use rust_xlsxwriter::{
    Chart, ChartType, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};

use crate::report::{Cell, ChartData, Report, Section};
use crate::ReportError;

/// Writes the workbook to `path`.
pub fn write(report: &Report, lang: &str, path: &Path) -> Result<(), ReportError> {
    workbook(report, lang)
        .and_then(|mut w| w.save(path))
        .map_err(|e| ReportError::Write {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

/// The workbook as bytes (a download).
pub fn bytes(report: &Report, lang: &str) -> Result<Vec<u8>, ReportError> {
    workbook(report, lang)
        .and_then(|mut w| w.save_to_buffer())
        .map_err(|e| ReportError::Write {
            path: "(download)".into(),
            message: e.to_string(),
        })
}

struct Formats {
    title: Format,
    bold: Format,
    header: Format,
    wrap: Format,
    note: Format,
    date: Format,
}

fn workbook(report: &Report, lang: &str) -> Result<Workbook, XlsxError> {
    let zh = lang.starts_with("zh");
    let say = |z: &str, e: &str| if zh { z.to_owned() } else { e.to_owned() };
    let formats = Formats {
        title: Format::new().set_bold().set_font_size(16),
        bold: Format::new().set_bold(),
        header: Format::new()
            .set_bold()
            .set_background_color("#EEF3F3")
            .set_text_wrap()
            .set_align(FormatAlign::Top),
        wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        note: Format::new()
            .set_background_color("#FDF4EA")
            .set_text_wrap()
            .set_align(FormatAlign::Top),
        date: Format::new().set_num_format("yyyy-mm-dd"),
    };
    let mut workbook = Workbook::new();
    let mut used = Vec::new();
    let names: Vec<String> = report
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            ttkg_tables::sheet_name(&format!("{} {}", i + 1, s.title.get(lang)), &mut used)
        })
        .collect();

    let overview = workbook.add_worksheet();
    overview.set_name(ttkg_tables::sheet_name(&say("概览", "Overview"), &mut used))?;
    overview.set_column_width(0, 16)?;
    overview.set_column_width(1, 90)?;
    overview.write_string_with_format(0, 0, report.title.get(lang), &formats.title)?;
    let data = report.data_text(lang);
    let facts = [
        (say("报告期", "Period"), report.period.label(lang)),
        (
            say("比较期", "Compared with"),
            if report.compares {
                report.previous.label(lang)
            } else {
                say("（无）", "(none)")
            },
        ),
        (say("生成时间", "Generated"), report.generated.clone()),
        (say("数据来源", "Data"), data),
        (
            say("生成命令", "Made by"),
            format!("ttkg report {} --period {}", report.name, report.period),
        ),
        (say("说明", "About"), report.intro.get(lang).to_owned()),
    ];
    for (r, (label, value)) in facts.iter().enumerate() {
        let r = r as u32 + 2;
        overview.write_string_with_format(r, 0, label, &formats.bold)?;
        overview.write_string_with_format(r, 1, value, &formats.wrap)?;
    }
    let mut r = facts.len() as u32 + 3;
    overview.write_string_with_format(r, 0, say("工作表", "Sheet"), &formats.header)?;
    overview.write_string_with_format(
        r,
        1,
        say("内容与提示", "Contents and notes"),
        &formats.header,
    )?;
    for (section, name) in report.sections.iter().zip(&names) {
        r += 1;
        overview.write_string(r, 0, name)?;
        let mut about = section.title.get(lang).to_owned();
        for note in &section.notes {
            about.push_str(" — ");
            about.push_str(note.get(lang));
        }
        if section.rows.is_empty() {
            about.push_str(" — ");
            about.push_str(section.empty.get(lang));
        }
        overview.write_string_with_format(r, 1, &about, &formats.wrap)?;
    }

    for (section, name) in report.sections.iter().zip(&names) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        section_sheet(sheet, name, section, lang, &formats)?;
    }
    Ok(workbook)
}

/// A section's sheet: its title, text and notes, its table, and its chart.
fn section_sheet(
    sheet: &mut Worksheet,
    name: &str,
    section: &Section,
    lang: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let width = section.columns.len().max(1) as u16;
    sheet.write_string_with_format(0, 0, section.title.get(lang), &formats.title)?;
    let mut r = 1u32;
    let mut lines: Vec<(&str, &Format)> = Vec::new();
    if !section.text.get(lang).is_empty() {
        lines.push((section.text.get(lang), &formats.wrap));
    }
    for note in &section.notes {
        lines.push((note.get(lang), &formats.note));
    }
    if section.rows.is_empty() {
        lines.push((section.empty.get(lang), &formats.note));
    }
    for (text, format) in lines {
        if width > 1 {
            sheet.merge_range(r, 0, r, width.max(6) - 1, text, format)?;
        } else {
            sheet.write_string_with_format(r, 0, text, format)?;
        }
        // Room for a wrapped paragraph: about 110 characters a line.
        let lines = (text.chars().count() / 110 + 1) as f64;
        sheet.set_row_height(r, 15.0 * lines)?;
        r += 1;
    }
    let header_row = r + 1;
    table(sheet, header_row, section, lang, formats)?;
    sheet.autofit();
    sheet.set_column_width(0, 24)?;
    match section.chart_data(lang) {
        Some(data) => chart(
            sheet,
            name,
            header_row,
            width + 1,
            section.title.get(lang),
            &data,
            formats,
        ),
        None => Ok(()),
    }
}

/// The section's table from `header_row` down: numbers as numbers with
/// their decimals shown, dates as dates, with a filter and frozen header.
fn table(
    sheet: &mut Worksheet,
    header_row: u32,
    section: &Section,
    lang: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (c, column) in section.columns.iter().enumerate() {
        sheet.write_string_with_format(
            header_row,
            c as u16,
            column.header.get(lang),
            &formats.header,
        )?;
    }
    let number_formats: Vec<Format> = (0..section.columns.len())
        .map(|c| {
            let scale = section
                .rows
                .iter()
                .filter_map(|row| row[c].number())
                .map(|n| n.to_string().split_once('.').map_or(0, |(_, f)| f.len()))
                .max()
                .unwrap_or(0);
            let pattern = if scale == 0 {
                "#,##0".to_owned()
            } else {
                format!("#,##0.{}", "0".repeat(scale))
            };
            Format::new().set_num_format(pattern)
        })
        .collect();
    let mut r = header_row;
    for row in &section.rows {
        r += 1;
        for (c, cell) in row.iter().enumerate() {
            cell_to(sheet, r, c as u16, cell, &number_formats[c], lang, formats)?;
        }
    }
    if !section.rows.is_empty() {
        let last_column = section.columns.len().max(1) as u16 - 1;
        sheet.autofilter(header_row, 0, r, last_column)?;
        sheet.set_freeze_panes(header_row + 1, 0)?;
    }
    Ok(())
}

/// One cell, typed: a number a spreadsheet cannot hold exactly stays text.
fn cell_to(
    sheet: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &Cell,
    number: &Format,
    lang: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Number(n) => match crate::report::exact_float(*n) {
            Some(float) => {
                sheet.write_number_with_format(r, c, float, number)?;
            }
            None => {
                sheet.write_string(r, c, n.to_string())?;
            }
        },
        Cell::Year(n) => match crate::report::exact_float(*n) {
            Some(year) => {
                sheet.write_number(r, c, year)?;
            }
            None => {
                sheet.write_string(r, c, n.to_string())?;
            }
        },
        Cell::Date(d) => match ExcelDateTime::parse_from_str(d) {
            Ok(date) => {
                sheet.write_datetime_with_format(r, c, &date, &formats.date)?;
            }
            Err(_) => {
                sheet.write_string(r, c, d)?;
            }
        },
        other => {
            sheet.write_string(r, c, other.shown(lang))?;
        }
    }
    Ok(())
}

/// The chart's values as a small table at column `left` (categories down,
/// one column per series) and a native chart drawn from it, beside them.
fn chart(
    sheet: &mut Worksheet,
    name: &str,
    header_row: u32,
    left: u16,
    title: &str,
    data: &ChartData,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(header_row, left, &data.x_title, &formats.header)?;
    for (s, (series_name, _)) in data.series.iter().enumerate() {
        sheet.write_string_with_format(
            header_row,
            left + 1 + s as u16,
            series_name,
            &formats.header,
        )?;
    }
    for (i, category) in data.categories.iter().enumerate() {
        let row = header_row + 1 + i as u32;
        sheet.write_string(row, left, category)?;
        for (s, (_, values)) in data.series.iter().enumerate() {
            if let Some(v) = values[i] {
                sheet.write_number(row, left + 1 + s as u16, v)?;
            }
        }
    }
    let last = header_row + data.categories.len() as u32;
    if let Some(note) = &data.note {
        sheet.write_string(last + 2, left, note)?;
    }
    let mut chart = Chart::new(match data.kind.as_str() {
        "stacked" => ChartType::ColumnStacked,
        "line" => ChartType::Line,
        "pie" => ChartType::Pie,
        _ => ChartType::Column,
    });
    for s in 0..data.series.len() {
        let col = left + 1 + s as u16;
        chart
            .add_series()
            .set_name((name, header_row, col))
            .set_categories((name, header_row + 1, left, last, left))
            .set_values((name, header_row + 1, col, last, col));
    }
    chart.title().set_name(title);
    if data.kind != "pie" {
        chart.x_axis().set_name(&data.x_title);
        chart.y_axis().set_name(&data.value_title);
    }
    if data.series.len() == 1 && data.kind != "pie" {
        chart.legend().set_hidden();
    }
    chart.set_width(720).set_height(360);
    sheet.insert_chart(header_row, left + data.series.len() as u16 + 2, &chart)?;
    Ok(())
}
