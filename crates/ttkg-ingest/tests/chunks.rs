//! A table read in chunks of rows is the table read whole, and its columns
//! are split where the chunks end, so that the importer's batches free
//! them one by one.

use std::io::{Read, Write};
use std::path::Path;

use polars::prelude::*;
use ttkg_ingest::{ExpectedColumn, ReadLimits, ReadOptions, SheetChoice, SourceFormat};

fn expected() -> Vec<ExpectedColumn> {
    [
        ("id", "Agreement No."),
        ("party", "Party"),
        ("amount", "Amount"),
    ]
    .into_iter()
    .map(|(key, header)| ExpectedColumn {
        key: key.into(),
        headers: vec![header.into()],
        required: key == "id",
    })
    .collect()
}

fn options(format: SourceFormat, chunk_rows: usize) -> ReadOptions {
    ReadOptions {
        format,
        sheet: SheetChoice::First,
        encoding: None,
        delimiter: None,
        header_search_rows: 10,
        limits: ReadLimits::default(),
        chunk_rows,
        max_table_bytes: usize::MAX,
    }
}

/// Reads `path` in chunks of three rows and whole: the same frame, the
/// chunked one in `chunks` chunks a column. Returns the frame.
fn read_both_ways(path: &Path, format: SourceFormat, chunks: usize) -> DataFrame {
    let chunked = ttkg_ingest::read(path, &options(format, 3), &expected()).unwrap();
    let whole = ttkg_ingest::read(path, &options(format, usize::MAX), &expected()).unwrap();
    let (chunked, whole) = (&chunked.tables[0].frame, &whole.tables[0].frame);
    assert!(chunked.equals_missing(whole), "{chunked:?}\n{whole:?}");
    for column in chunked.columns() {
        let series = column.as_materialized_series();
        assert_eq!(series.n_chunks(), chunks, "{}", column.name());
    }
    for column in whole.columns() {
        assert_eq!(column.as_materialized_series().n_chunks(), 1);
    }
    whole.clone()
}

/// A title, the header, ten rows with a gap and an unread column.
fn write_workbook(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "Agreements signed").unwrap();
    for (c, h) in ["Agreement No.", "Notes", "Party", "Amount"]
        .iter()
        .enumerate()
    {
        sheet.write(2, c as u16, *h).unwrap();
    }
    for i in 0..10u32 {
        let row = 3 + i + u32::from(i >= 5);
        sheet.write(row, 0, format!("A-{i}")).unwrap();
        sheet.write(row, 1, "unread").unwrap();
        if i != 4 {
            sheet.write(row, 2, format!("Party {i}")).unwrap();
        }
        sheet.write(row, 3, f64::from(i) * 1.5).unwrap();
    }
    book.save(path).unwrap();
}

#[test]
fn a_workbook_read_in_chunks_is_the_workbook_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    write_workbook(&path);
    let frame = read_both_ways(&path, SourceFormat::Xlsx, 4);
    assert_eq!(frame.height(), 10);
    let rows: Vec<u32> = frame
        .column("__row")
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(rows, vec![4, 5, 6, 7, 8, 10, 11, 12, 13, 14]);
    let party = frame.column("party").unwrap().str().unwrap();
    assert_eq!(party.get(4), None);
    assert_eq!(party.get(9), Some("Party 9"));
}

#[test]
fn a_csv_file_read_in_chunks_is_the_file_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.csv");
    let mut text = String::from("Agreements signed\nAgreement No.,Notes,Party,Amount\n");
    for i in 0..10 {
        match i {
            3 => text.push_str("A-3,a ragged row,Party 3,1,2\n"),
            6 => text.push('\n'),
            _ => text.push_str(&format!("A-{i},\"a note, quoted\",Party {i},{i}.5\n")),
        }
    }
    std::fs::write(&path, text).unwrap();
    let frame = read_both_ways(&path, SourceFormat::Csv, 3);
    // Nine rows: the ragged one is rejected, the empty line is a blank row.
    assert_eq!(frame.height(), 9);
    let ids = frame.column("id").unwrap().str().unwrap();
    assert_eq!(ids.get(5), None);
    assert_eq!(ids.get(8), Some("A-9"));
    let read = ttkg_ingest::read(&path, &options(SourceFormat::Csv, 3), &expected()).unwrap();
    assert_eq!(read.tables[0].rejected.len(), 1);
    assert_eq!(read.tables[0].rejected[0].row, 6);
}

/// Excel writes a sheet's rows in order; a workbook whose rows are stored
/// out of order is read whole, in the order of the rows' numbers.
#[test]
fn a_sheet_with_rows_stored_out_of_order_is_read_in_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    write_workbook(&path);
    // The header is looked for in the first five rows.
    let options = ReadOptions {
        header_search_rows: 5,
        ..options(SourceFormat::Xlsx, 3)
    };
    let ordered = ttkg_ingest::read(&path, &options, &expected()).unwrap();
    // The last row stored first; the title and header rows stored last,
    // after more rows than the header is looked for in.
    let orders: [fn(&mut Vec<String>); 2] =
        [|rows| rows.rotate_right(1), |rows| rows.rotate_left(2)];
    for (i, order) in orders.into_iter().enumerate() {
        let shuffled = dir.path().join(format!("shuffled-{i}.xlsx"));
        reorder_rows(&path, &shuffled, order);
        let read = ttkg_ingest::read(&shuffled, &options, &expected())
            .unwrap_or_else(|e| panic!("order {i}: {e}"));
        assert!(read.tables[0]
            .frame
            .equals_missing(&ordered.tables[0].frame));
    }
}

/// Copies the workbook at `from` to `to` with the `<row>`s of its first
/// sheet put in the order `order` gives them.
fn reorder_rows(from: &Path, to: &Path, order: fn(&mut Vec<String>)) {
    let mut archive = ::zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut out = ::zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    let stored = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let first = text.find("<row ").unwrap();
            let end = text.rfind("</row>").unwrap() + "</row>".len();
            let mut rows: Vec<String> = text[first..end]
                .split_inclusive("</row>")
                .map(str::to_owned)
                .collect();
            order(&mut rows);
            text.replace_range(first..end, &rows.concat());
        }
        out.start_file(name, stored).unwrap();
        out.write_all(text.as_bytes()).unwrap();
    }
    out.finish().unwrap();
}

/// The sheets a pipeline takes are all read before the first is
/// normalised: past `max_table_bytes`, the next sheet is not read and the
/// error names the sheets that were.
#[test]
fn a_workbooks_sheets_stop_being_read_past_what_a_file_may_hold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    for name in ["2015", "2016", "2017"] {
        let sheet = book.add_worksheet().set_name(name).unwrap();
        for (c, h) in ["Agreement No.", "Party", "Amount"].iter().enumerate() {
            sheet.write(0, c as u16, *h).unwrap();
        }
        for r in 1..=200u32 {
            sheet.write(r, 0, format!("{name}-{r}")).unwrap();
            sheet.write(r, 1, "Công ty TNHH Lào Cai").unwrap();
            sheet.write(r, 2, f64::from(r)).unwrap();
        }
    }
    book.save(&path).unwrap();
    let all = ReadOptions {
        sheet: SheetChoice::Pattern("*".into()),
        ..options(SourceFormat::Xlsx, usize::MAX)
    };
    let whole = ttkg_ingest::read(&path, &all, &expected()).unwrap();
    assert_eq!(whole.tables.len(), 3);
    let one_sheet = whole.tables[0].frame.estimated_size();
    // Room for one sheet and a half: the second is read, the third not.
    let bounded = ReadOptions {
        max_table_bytes: one_sheet + one_sheet / 2,
        ..all
    };
    let message = ttkg_ingest::read(&path, &bounded, &expected())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("its sheets read so far ('2015', '2016')")
            && message.contains("with more sheets still to read"),
        "{message}"
    );
}
