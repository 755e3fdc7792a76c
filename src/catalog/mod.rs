//! Catalog files: JSON Lines or CSV in, validated [`crate::store::NewProduct`]s out, bulk
//! upserted in batches. A bad row is reported with its line number and reason and skipped;
//! good rows still land; re-importing the same file changes nothing.
//!
//! Fields: `id`, `title`, `category`, `price` (required); `sku`, `description`, `tags`,
//! `currency`, `in_stock`, `attributes` (optional). Any other field is kept in `attributes`
//! (e.g. `brand`, `image_url`). In CSV, `tags` is `|`-separated (or a JSON array) and
//! `attributes` a JSON object.

mod import;
mod parse;
mod validate;

pub use import::{ImportOptions, ImportReport, RowError, import_file};
pub use parse::Format;
pub use validate::{Limits, validate};
