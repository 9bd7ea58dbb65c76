//! What reading one file may cost, checked before the cost is paid: a
//! report is a regular file of bounded size, a workbook unpacks to a bounded
//! size, and a sheet holds a bounded number of cells and columns. A file
//! past a bound fails alone, with a message; the other files load.

use std::io::Read;
use std::path::Path;

use crate::error::IngestError;

/// The bounds; see the README's Security section for the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// The largest report file, in bytes.
    pub max_file_bytes: u64,
    /// The most a workbook (a zip archive) may unpack to, in bytes.
    pub max_unpacked_bytes: u64,
    /// The most cells one sheet may span (rows × the columns each row
    /// reaches), or one CSV file hold.
    pub max_cells: usize,
    /// The most columns a sheet or a CSV file may have.
    pub max_columns: usize,
    /// The longest reading one sheet may take, in seconds.
    pub max_seconds: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file_bytes: 256 << 20,
            max_unpacked_bytes: 1 << 30,
            max_cells: 20_000_000,
            max_columns: 1_000,
            max_seconds: 300,
        }
    }
}

/// Fails unless `path` is a regular file within the size bound: a named
/// pipe would block the import forever, a device never ends.
pub fn check_file(path: &Path, limits: &ReadLimits) -> Result<u64, IngestError> {
    let metadata = std::fs::metadata(path).map_err(|source| IngestError::Io {
        path: path.to_owned(),
        source,
    })?;
    if !metadata.is_file() {
        let kind = kind_of(&metadata);
        return Err(IngestError::NotAFile {
            path: path.to_owned(),
            kind,
        });
    }
    if metadata.len() > limits.max_file_bytes {
        return Err(IngestError::TooLarge {
            path: path.to_owned(),
            what: format!(
                "the file is {} MiB, more than the {} MiB a report may be",
                metadata.len() >> 20,
                limits.max_file_bytes >> 20
            ),
        });
    }
    Ok(metadata.len())
}

fn kind_of(metadata: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = metadata.file_type();
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if metadata.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Fails when the zip archive at `path` (xlsx, ods) unpacks to more than
/// the bound, reading it through once without keeping what it unpacks (a
/// 10 MB workbook may hide gigabytes of XML; the sizes its directory
/// declares may lie).
pub fn check_unpacked(path: &Path, limits: &ReadLimits) -> Result<(), IngestError> {
    let file = std::fs::File::open(path).map_err(|source| IngestError::Io {
        path: path.to_owned(),
        source,
    })?;
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        // Not a zip archive: calamine says what is wrong with it.
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index(i) else {
            return Ok(());
        };
        let left = limits.max_unpacked_bytes.saturating_sub(total);
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).unwrap_or(0);
        total += read;
        if total > limits.max_unpacked_bytes {
            return Err(IngestError::TooLarge {
                path: path.to_owned(),
                what: format!(
                    "the workbook unpacks to more than {} MiB of sheets and strings",
                    limits.max_unpacked_bytes >> 20
                ),
            });
        }
    }
    Ok(())
}

/// The extent an OpenDocument spreadsheet's sheets would be read at:
/// calamine expands repeated rows and cells (`number-rows-repeated`) into a
/// grid spanning the non-empty ones, so a few bytes can ask for a billion
/// cells. Fails when a sheet would span more than the bound.
pub fn check_ods_extent(path: &Path, limits: &ReadLimits) -> Result<(), IngestError> {
    use quick_xml::events::Event;
    let too_large = |what: String| IngestError::TooLarge {
        path: path.to_owned(),
        what,
    };
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    let repeats = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .and_then(|a| a.value.trim().parse().ok())
            .unwrap_or(1)
    };
    let (mut row, mut row_repeats, mut column) = (0u64, 1u64, 0u64);
    let (mut last_row, mut last_column, mut row_has_value) = (0u64, 0u64, false);
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            // A damaged file: calamine reports it.
            Err(_) => return Ok(()),
        };
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "table" => (row, last_row, last_column) = (0, 0, 0),
                "table-row" => {
                    row_repeats = repeats(&e, "table:number-rows-repeated");
                    column = 0;
                    row_has_value = false;
                }
                "table-cell" | "covered-table-cell" => {
                    let span = repeats(&e, "table:number-columns-repeated");
                    let has_value = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == "office:value-type");
                    if has_value {
                        row_has_value = true;
                        last_column = last_column.max(column + span);
                    }
                    column = column.saturating_add(span);
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "table-row" => {
                row = row.saturating_add(row_repeats);
                if row_has_value {
                    last_row = row;
                }
                if last_column > limits.max_columns as u64 {
                    return Err(too_large(format!(
                        "a sheet has values in column {last_column}, more than the {} columns ttkg reads; delete the stray cells far to the right",
                        limits.max_columns
                    )));
                }
                if last_row.saturating_mul(last_column) > limits.max_cells as u64 {
                    return Err(too_large(format!(
                        "a sheet spans {last_row} rows × {last_column} columns, more than the {} cells ttkg reads in one sheet; delete the stray cells far below the data",
                        limits.max_cells
                    )));
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}
