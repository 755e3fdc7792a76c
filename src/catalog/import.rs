//! Bulk import of a catalog file: detect its format, stream its products, validate, upsert
//! in batches, report (and with `prune`, remove what a full feed no longer lists).

use crate::store::{Db, DbRef};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tokio::task::JoinSet;

use super::feeds::{self, Entry};
use super::format::{Format, detect};
use super::mapping::FieldMap;
use super::read::entries;
use super::validate::validate;
use crate::store::{NewProduct, UpsertCounts, products};
use crate::{Error, Result};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// File format; `None` tells it from the file's first bytes.
    pub format: Option<Format>,
    /// Rows per upsert statement.
    pub batch_size: usize,
    /// Currency of rows that do not name one.
    pub default_currency: String,
    /// Draw a progress bar (only shown when stderr is a terminal).
    pub progress: bool,
    /// Columns renamed to giftvec's fields before rows are read.
    pub map: FieldMap,
    /// Remove stored products the file does not list (the file is the full catalog).
    pub prune: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            format: None,
            batch_size: 500,
            default_currency: "USD".into(),
            progress: false,
            map: FieldMap::default(),
            prune: false,
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

/// A product the file lists but does not offer for sale (a draft), left out on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// Line the product starts on.
    pub line: u64,
    /// Its id.
    pub id: String,
    /// Why it was left out.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// The format the file was read as (`--format` names).
    pub format: &'static str,
    /// Entries read: each product once, however many rows it spans (a Shopify product, a
    /// WooCommerce variable product), plus each row rejected on its own (a bad variant row).
    pub rows: u64,
    /// Written rows by outcome.
    pub counts: UpsertCounts,
    /// Rows skipped, in file order.
    pub errors: Vec<RowError>,
    /// Products left out on purpose (drafts, unpublished), in file order.
    pub skipped: Vec<Skip>,
    /// Stored products the file does not list, in id order (removed when `pruned` says so).
    pub absent: Vec<String>,
    /// How many of `absent` were removed (`prune`).
    pub pruned: u64,
    /// Why `prune` removed nothing although it was asked to.
    pub prune_refused: Option<String>,
}

/// Imports `path` into the products table.
#[tracing::instrument(skip(pool, options), fields(path = %path.display()))]
pub async fn import_file(
    pool: impl Into<DbRef<'_>>,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let pool: DbRef<'_> = pool.into();
    let file = File::open(path)
        .map_err(|err| Error::invalid("file", format!("cannot open {}: {err}", path.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(options.progress, size);
    let mut reader = BufReader::with_capacity(64 * 1024, bar.wrap_read(file));
    let head = reader
        .fill_buf()
        .map_err(|err| Error::invalid("file", format!("cannot read {}: {err}", path.display())))?
        .to_vec();
    let (format, layout) =
        detect(path, &head, options.format).map_err(|e| Error::invalid("--format", e))?;
    let entries = entries(format, layout, reader, &options.map)?;
    let mut importer = Importer::new(pool, options);
    importer.report.format = format.name();
    for (line, entry) in entries {
        importer.add(line, entry).await?;
        let report = &importer.report;
        bar.set_message(format!(
            "{} rows, {} rejected",
            report.rows,
            report.errors.len()
        ));
    }
    importer.finish().await?;
    // Each batch appended keyword-statistics deltas; fold them now rather than leave it to a
    // worker's next idle moment.
    crate::store::bm25::compact(pool).await?;
    importer.absent_and_prune().await?;
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
    pool: Db,
    options: &'a ImportOptions,
    batch: Vec<(u64, NewProduct)>,
    first_line_of: HashMap<String, u64>,
    /// Ids of rows that were rejected: their stored products are not "absent".
    rejected_ids: HashSet<String>,
    /// Rejected rows whose id could not be read.
    anonymous_rejects: u64,
    /// Batches being written.
    writing: JoinSet<Written>,
    report: ImportReport,
}

/// A batch (products with their lines) and what writing it did.
type Written = (Vec<(u64, NewProduct)>, Result<UpsertCounts>);

/// Batches written at once: the database's share of an import (parsing the text into
/// keyword postings, index inserts) is most of its cost, and two backends use two cores.
const IN_FLIGHT: usize = 2;

impl<'a> Importer<'a> {
    fn new(pool: DbRef<'_>, options: &'a ImportOptions) -> Self {
        Self {
            pool: pool.to_db(),
            options,
            batch: Vec::with_capacity(options.batch_size),
            first_line_of: HashMap::new(),
            rejected_ids: HashSet::new(),
            anonymous_rejects: 0,
            writing: JoinSet::new(),
            report: ImportReport::default(),
        }
    }

    async fn add(&mut self, line: u64, entry: Entry) -> Result<()> {
        self.report.rows += 1;
        let record = match entry {
            Entry::Record(record) => record,
            Entry::Fault { field, reason, id } => {
                self.note_rejected(id);
                self.reject(line, field.map(String::from), reason);
                return Ok(());
            }
            Entry::Skipped { id, reason } => {
                self.report.skipped.push(Skip { line, id, reason });
                return Ok(());
            }
        };
        let id = feeds::text(&record, "id");
        let product = match validate(record, &self.options.default_currency) {
            Ok(product) => product,
            Err((field, reason)) => {
                self.note_rejected(id);
                self.reject(line, Some(field.to_string()), reason);
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

    fn note_rejected(&mut self, id: Option<String>) {
        match id {
            Some(id) => {
                self.rejected_ids.insert(id);
            }
            None => self.anonymous_rejects += 1,
        }
    }

    /// Which stored products the file does not list; with `prune`, removes them, unless the
    /// file's list may be incomplete (a row whose id could not be read) or empty.
    async fn absent_and_prune(&mut self) -> Result<()> {
        let mut listed: Vec<String> = self.first_line_of.keys().cloned().collect();
        listed.extend(self.rejected_ids.iter().cloned());
        self.report.absent = products::ids_absent_from(&self.pool, &listed).await?;
        if !self.options.prune || self.report.absent.is_empty() {
            return Ok(());
        }
        let refused = if self.anonymous_rejects > 0 {
            Some(format!(
                "{} rejected rows have no readable id, so the file's list of products is not \
                 known in full; fix them and import again",
                self.anonymous_rejects
            ))
        } else if self.first_line_of.is_empty() {
            Some("the file imported no product; pruning would empty the catalog".to_string())
        } else {
            None
        };
        match refused {
            Some(reason) => self.report.prune_refused = Some(reason),
            None => self.report.pruned = products::delete(&self.pool, &self.report.absent).await?,
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

    /// Sends the batch to the database in one statement, on its own connection, while the
    /// file reading goes on; at most [`IN_FLIGHT`] batches are written at once.
    async fn flush(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.batch);
        if !batch.is_empty() {
            if self.writing.len() >= IN_FLIGHT {
                self.settle_one().await?;
            }
            let pool = self.pool.clone();
            self.writing.spawn(async move {
                let products: Vec<NewProduct> = batch.iter().map(|(_, p)| p.clone()).collect();
                let result = products::upsert_batch(&pool, &products).await;
                (batch, result)
            });
        }
        Ok(())
    }

    /// Waits for every batch still being written.
    async fn finish(&mut self) -> Result<()> {
        self.flush().await?;
        while !self.writing.is_empty() {
            self.settle_one().await?;
        }
        self.report.errors.sort_by_key(|e| e.line);
        Ok(())
    }

    /// Takes one written batch's outcome; a batch the database refused is written again row
    /// by row, so that only the offending rows are reported and the rest still land.
    async fn settle_one(&mut self) -> Result<()> {
        let Some(joined) = self.writing.join_next().await else {
            return Ok(());
        };
        let (batch, result) = joined.map_err(|err| Error::Internal(Box::new(err)))?;
        match result {
            Ok(counts) => self.report.counts += counts,
            Err(Error::InvalidInput { .. }) => {
                for (line, product) in batch {
                    match products::upsert_batch(&self.pool, std::slice::from_ref(&product)).await {
                        Ok(counts) => self.report.counts += counts,
                        Err(Error::InvalidInput { message, .. }) => {
                            self.note_rejected(Some(product.id.clone()));
                            self.reject(line, None, message)
                        }
                        Err(other) => return Err(other),
                    }
                }
            }
            Err(other) => return Err(other),
        }
        Ok(())
    }
}
