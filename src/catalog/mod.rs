//! Catalog files: giftvec's own JSON Lines or CSV, or the feeds shops already have (Google
//! Merchant Center TSV/CSV/XML, Shopify and WooCommerce product exports), read into
//! validated [`crate::store::NewProduct`]s and bulk upserted in batches. A bad row is
//! reported with its line number and reason and skipped; good rows still land; re-importing
//! the same file changes nothing; products a full feed no longer lists are reported, and
//! removed only on request.
//!
//! Fields: `id`, `title`, `category`, `price` (required); `sku`, `description`, `tags`,
//! `currency`, `in_stock`, `attributes` (optional). Any other field is kept in `attributes`
//! (e.g. `brand`, `image_url`). In CSV, `tags` is `|`-separated (or a JSON array) and
//! `attributes` a JSON object. `--map field=column` reads other column names.

mod feeds;
mod format;
mod import;
mod mapping;
mod parse;
mod read;
mod validate;
mod values;

pub use format::Format;
pub use import::{ImportOptions, ImportReport, RowError, Skip, import_file};
pub use mapping::{FieldMap, text_attributes};
pub use validate::{Limits, validate};
