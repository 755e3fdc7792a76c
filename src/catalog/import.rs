//! Bulk import of a catalog file: stream, validate, upsert in batches, report.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sqlx::PgPool;

use super::parse::{Format, RawRow, csv_rows, jsonl_rows};
use super::validate::validate;
use crate::store::{NewProduct, UpsertCounts, products};
use crate::{Error, Result};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// File format; `None` guesses from the extension.
    pub format: Option<Format>,
    /// Rows per upsert statement.
    pub batch_size: usize,
    /// Currency of rows that do not name one.
    pub default_currency: String,
    /// Draw a progress bar (only shown when stderr is a terminal).
    pub progress: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            format: None,
            batch_size: 500,
            default_currency: "USD".into(),
            progress: false,
        }
    }
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file.
    pub line: u64,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}: {field} {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Rows read (good and bad).
    pub rows: u64,
    /// Written rows by outcome.
    pub counts: UpsertCounts,
    /// Rows skipped, in file order.
    pub errors: Vec<RowError>,
}

/// Imports `path` into the products table.
#[tracing::instrument(skip(pool, options), fields(path = %path.display()))]
pub async fn import_file(
    pool: &PgPool,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let file = File::open(path)
        .map_err(|err| Error::invalid("file", format!("cannot open {}: {err}", path.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(options.progress, size);
    let reader = bar.wrap_read(file);
    let rows: Box<dyn Iterator<Item = RawRow>> =
        match options.format.unwrap_or_else(|| Format::from_path(path)) {
            Format::Jsonl => Box::new(jsonl_rows(reader)),
            Format::Csv => Box::new(csv_rows(reader).map_err(|e| Error::invalid("file", e))?),
        };
    let mut importer = Importer::new(pool, options);
    for (line, row) in rows {
        importer.add(line, row).await?;
        let report = &importer.report;
        bar.set_message(format!(
            "{} rows, {} rejected",
            report.rows,
            report.errors.len()
        ));
    }
    importer.flush().await?;
    // Each batch appended keyword-statistics deltas; fold them now rather than leave it to a
    // worker's next idle moment.
    crate::store::bm25::compact(pool).await?;
    bar.finish_and_clear();
    Ok(importer.report)
}

/// A bar over the file's bytes (rate and ETA included); drawn only on a terminal.
fn progress_bar(enabled: bool, size: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}  {msg}",
        )
        .expect("static template"),
    );
    bar
}

struct Importer<'a> {
    pool: &'a PgPool,
    options: &'a ImportOptions,
    batch: Vec<(u64, NewProduct)>,
    first_line_of: HashMap<String, u64>,
    report: ImportReport,
}

impl<'a> Importer<'a> {
    fn new(pool: &'a PgPool, options: &'a ImportOptions) -> Self {
        Self {
            pool,
            options,
            batch: Vec::with_capacity(options.batch_size),
            first_line_of: HashMap::new(),
            report: ImportReport::default(),
        }
    }

    async fn add(&mut self, line: u64, row: super::parse::RawRecord) -> Result<()> {
        self.report.rows += 1;
        let product = row.map_err(|reason| (None, reason)).and_then(|map| {
            validate(map, &self.options.default_currency)
                .map_err(|(field, reason)| (Some(field.to_string()), reason))
        });
        let product = match product {
            Ok(product) => product,
            Err((field, reason)) => {
                self.reject(line, field, reason);
                return Ok(());
            }
        };
        if let Some(first) = self.first_line_of.get(&product.id) {
            let reason = format!("repeats id {:?} from line {first}; row skipped", product.id);
            self.reject(line, Some("id".into()), reason);
            return Ok(());
        }
        self.first_line_of.insert(product.id.clone(), line);
        self.batch.push((line, product));
        if self.batch.len() >= self.options.batch_size.max(1) {
            self.flush().await?;
        }
        Ok(())
    }

    fn reject(&mut self, line: u64, field: Option<String>, reason: String) {
        tracing::debug!(line, field = field.as_deref(), %reason, "row rejected");
        self.report.errors.push(RowError {
            line,
            field,
            reason,
        });
    }

    /// Writes the batch in one statement; if the database refuses it, writes row by row so
    /// that only the offending rows are reported and the rest still land.
    async fn flush(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.batch);
        if batch.is_empty() {
            return Ok(());
        }
        let products: Vec<NewProduct> = batch.iter().map(|(_, p)| p.clone()).collect();
        match products::upsert_batch(self.pool, &products).await {
            Ok(counts) => self.report.counts += counts,
            Err(Error::InvalidInput { .. }) => {
                for (line, product) in batch {
                    match products::upsert_batch(self.pool, std::slice::from_ref(&product)).await {
                        Ok(counts) => self.report.counts += counts,
                        Err(Error::InvalidInput { message, .. }) => {
                            self.reject(line, None, message)
                        }
                        Err(other) => return Err(other),
                    }
                }
            }
            Err(other) => return Err(other),
        }
        self.report.errors.sort_by_key(|e| e.line);
        Ok(())
    }
}
