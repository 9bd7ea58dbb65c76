//! A table's columns built a chunk of rows at a time, as the rows are read.
//!
//! The importer normalises a table in batches of [`ReadOptions::chunk_rows`]
//! rows and lets each batch go once it is mapped. When every column's chunks
//! end where the batches do, a batch's slice of the frame holds its own
//! chunk and nothing else, so the cells of the rows done are freed as the
//! batches go, not when the last one is done. Built whole, the columns of a
//! 1,000,000-row workbook were held to the end of its normalisation.

use std::path::Path;

use polars::prelude::*;

use crate::error::IngestError;
use crate::header::{self, ExpectedColumn, FoundHeader};
use crate::{location, ReadOptions, Table, ROW_COLUMN};

/// A sheet row: its 1-based number and its cells as text.
pub(crate) type SheetRow = (u32, Vec<Option<String>>);

/// The columns of a table, each a list of chunks that end at the same rows.
pub(crate) struct ChunkedColumns {
    location: String,
    /// The expected keys: the columns' names.
    names: Vec<String>,
    /// The row numbers, then one column per expected key.
    columns: Vec<Option<Series>>,
    height: usize,
}

impl ChunkedColumns {
    pub fn new(location: String, expected: &[ExpectedColumn]) -> Self {
        ChunkedColumns {
            location,
            names: expected.iter().map(|c| c.key.clone()).collect(),
            columns: vec![None; expected.len() + 1],
            height: 0,
        }
    }

    /// Appends a chunk: the row numbers, and one column per expected key,
    /// each as long as `numbers`.
    pub fn push(&mut self, numbers: Vec<u32>, columns: Vec<Series>) -> Result<(), IngestError> {
        let height = numbers.len();
        let numbers = Series::new(ROW_COLUMN.into(), numbers);
        for (slot, chunk) in self
            .columns
            .iter_mut()
            .zip([numbers].into_iter().chain(columns))
        {
            match slot {
                None => *slot = Some(chunk),
                Some(column) => {
                    // `append` keeps the chunk as one of the column's own.
                    column
                        .append(&chunk)
                        .map_err(|e| internal(&self.location, e))?;
                }
            }
        }
        self.height += height;
        Ok(())
    }

    /// The frame of every chunk pushed (no rows, if none was).
    pub fn finish(self) -> Result<DataFrame, IngestError> {
        let mut columns = Vec::with_capacity(self.columns.len());
        for (i, slot) in self.columns.into_iter().enumerate() {
            let column = match slot {
                Some(series) => series.into_column(),
                None if i == 0 => Column::new(ROW_COLUMN.into(), Vec::<u32>::new()),
                None => Column::new(
                    self.names[i - 1].as_str().into(),
                    Vec::<Option<&str>>::new(),
                ),
            };
            columns.push(column);
        }
        DataFrame::new(self.height, columns).map_err(|e| internal(&self.location, e))
    }
}

/// An error of polars' where ttkg expects none, at `location`.
pub(crate) fn internal(location: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError::Internal {
        location: location.to_owned(),
        message: e.to_string(),
    }
}

/// Builds a [`Table`] from a sheet's non-empty rows, given in order: the
/// header is looked for in the first [`ReadOptions::header_search_rows`],
/// and each row below it keeps only the cells of the expected columns.
pub(crate) struct TableBuilder<'a> {
    file: &'a Path,
    sheet: Option<&'a str>,
    options: &'a ReadOptions,
    expected: &'a [ExpectedColumn],
    /// The rows read before the header is found.
    head: Vec<SheetRow>,
    found: Option<FoundHeader>,
    /// The chunk being filled: row numbers and each expected column's cells.
    numbers: Vec<u32>,
    cells: Vec<Vec<Option<String>>>,
    done: ChunkedColumns,
    rows: usize,
}

impl<'a> TableBuilder<'a> {
    pub fn new(
        file: &'a Path,
        sheet: Option<&'a str>,
        options: &'a ReadOptions,
        expected: &'a [ExpectedColumn],
    ) -> Self {
        TableBuilder {
            file,
            sheet,
            options,
            expected,
            head: Vec::new(),
            found: None,
            numbers: Vec::new(),
            cells: vec![Vec::new(); expected.len()],
            done: ChunkedColumns::new(location(file, sheet), expected),
            rows: 0,
        }
    }

    /// The rows given so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Takes the next row; rows come in order of their numbers.
    pub fn push(&mut self, row: SheetRow) -> Result<(), IngestError> {
        self.rows += 1;
        if self.found.is_some() {
            return self.body_row(row);
        }
        self.head.push(row);
        if self.head.len() >= self.options.header_search_rows {
            self.find_header()?;
        }
        Ok(())
    }

    fn find_header(&mut self) -> Result<(), IngestError> {
        let search: Vec<(u32, Vec<Option<&str>>)> = self
            .head
            .iter()
            .take(self.options.header_search_rows)
            .map(|(n, cells)| (*n, cells.iter().map(|c| c.as_deref()).collect()))
            .collect();
        let found = header::find(
            &location(self.file, self.sheet),
            &search,
            self.expected,
            true,
        )?;
        let header_row = found.row;
        self.found = Some(found);
        for row in std::mem::take(&mut self.head) {
            if row.0 > header_row {
                self.body_row(row)?;
            }
        }
        Ok(())
    }

    fn body_row(&mut self, (number, mut cells): SheetRow) -> Result<(), IngestError> {
        let Some(found) = &self.found else {
            return Ok(());
        };
        self.numbers.push(number);
        for (column, index) in self.cells.iter_mut().zip(&found.indexes) {
            column.push(index.and_then(|i| cells.get_mut(i).and_then(Option::take)));
        }
        if self.numbers.len() >= self.options.chunk_rows.max(1) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IngestError> {
        let numbers = std::mem::take(&mut self.numbers);
        let columns = self
            .expected
            .iter()
            .zip(&mut self.cells)
            .map(|(column, cells)| Series::new(column.key.as_str().into(), std::mem::take(cells)))
            .collect();
        self.done.push(numbers, columns)
    }

    /// The table of the rows given.
    pub fn finish(mut self) -> Result<Table, IngestError> {
        if self.found.is_none() {
            self.find_header()?;
        }
        if !self.numbers.is_empty() {
            self.flush()?;
        }
        let Some(found) = self.found.take() else {
            return Err(internal(&location(self.file, self.sheet), "no header row"));
        };
        let frame = self.done.finish()?;
        Ok(Table {
            file: self.file.to_owned(),
            sheet: self.sheet.map(str::to_owned),
            header_row: found.row as usize,
            missing: found.missing(self.expected),
            rejected: Vec::new(),
            headers: self
                .expected
                .iter()
                .zip(found.texts)
                .map(|(c, t)| (c.key.clone(), t))
                .collect(),
            frame,
            encoding: None,
        })
    }
}
