//! Products: the catalog rows giftvec searches. Bulk upserts are idempotent — writing a row
//! that is already stored as-is changes nothing, not even `updated_at`.

use super::DbRef;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Result;

/// Columns of [`Product`], for statements that alias the table as `p` (a macro so that
/// statements stay `&'static str`).
macro_rules! product_columns {
    () => {
        "p.id, p.sku, p.title, p.description, p.category, p.tags, p.price::float8 AS price, \
         p.currency, p.in_stock, p.attributes, p.created_at, p.updated_at"
    };
}
pub(crate) use product_columns;

/// The product filters of every search, on `products p`, as bound parameters `$2`..`$7`
/// (category, exclude_category, min_price, max_price, in_stock, exclude_ids) and the one named
/// (the excluded terms, `giftvec_names_any`), in the order `ProductFilters` binds
/// them. An excluded term rules a product out when its title, category or tags have it (the
/// A and B weights of `search_tsv`; a description that mentions it does not).
macro_rules! product_filters {
    ($terms:literal) => {
        concat!(
            " AND ($2::text IS NULL OR p.category = $2)
          AND ($3::text IS NULL OR p.category <> $3)
          AND ($4::float8 IS NULL OR p.price >= $4::numeric)
          AND ($5::float8 IS NULL OR p.price <= $5::numeric)
          AND ($6::bool IS NULL OR p.in_stock = $6)
          AND p.id <> ALL($7::text[])
          AND (cardinality(",
            $terms,
            "::text[]) = 0 OR NOT giftvec_names_any(p.search_tsv, ",
            $terms,
            ")) "
        )
    };
}
pub(crate) use product_filters;

/// A catalog product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct Product {
    /// The catalog's own identifier.
    pub id: String,
    /// Stock-keeping unit, when the catalog has one.
    pub sku: Option<String>,
    /// Product title.
    pub title: String,
    /// Free-text description.
    pub description: String,
    /// Category name.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Price in `currency` (two decimals).
    pub price: f64,
    /// ISO 4217 code.
    pub currency: String,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// Anything else the catalog knows (brand, image_url, ...), a JSON object.
    pub attributes: serde_json::Value,
    /// When the row was first written.
    pub created_at: DateTime<Utc>,
    /// When a field last changed.
    pub updated_at: DateTime<Utc>,
}

/// A validated product to write (see `catalog::validate`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewProduct {
    /// The catalog's own identifier.
    pub id: String,
    /// Stock-keeping unit.
    pub sku: Option<String>,
    /// Product title.
    pub title: String,
    /// Free-text description.
    pub description: String,
    /// Category name.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Price, rounded to two decimals.
    pub price: f64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// A JSON object.
    pub attributes: serde_json::Value,
}

/// What a bulk upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    /// Rows that did not exist.
    pub inserted: u64,
    /// Rows that existed with different values.
    pub updated: u64,
    /// Rows that existed exactly as given.
    pub unchanged: u64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

// One statement per batch: the rows travel as one JSON array, so a batch costs one round trip
// and any size works without a parameter limit. The WHERE clause makes re-writing an identical
// row a no-op; `xmax = 0` tells an insert from an update.
const UPSERT_BATCH: &str = "\
INSERT INTO products AS p
    (id, sku, title, description, category, tags, price, currency, in_stock, attributes)
SELECT r.id, r.sku, r.title, r.description, r.category, r.tags, r.price, r.currency,
       r.in_stock, r.attributes
FROM jsonb_to_recordset($1::jsonb) AS r(
    id text, sku text, title text, description text, category text, tags text[],
    price numeric, currency text, in_stock boolean, attributes jsonb)
ON CONFLICT (id) DO UPDATE SET
    sku = EXCLUDED.sku, title = EXCLUDED.title, description = EXCLUDED.description,
    category = EXCLUDED.category, tags = EXCLUDED.tags, price = EXCLUDED.price,
    currency = EXCLUDED.currency, in_stock = EXCLUDED.in_stock, attributes = EXCLUDED.attributes
WHERE (p.sku, p.title, p.description, p.category, p.tags, p.price, p.currency, p.in_stock,
       p.attributes)
      IS DISTINCT FROM
      (EXCLUDED.sku, EXCLUDED.title, EXCLUDED.description, EXCLUDED.category, EXCLUDED.tags,
       EXCLUDED.price, EXCLUDED.currency, EXCLUDED.in_stock, EXCLUDED.attributes)
RETURNING (xmax = 0) AS inserted";

/// Inserts or updates `rows` in one statement (all or nothing). Ids must be unique within
/// the batch.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn upsert_batch(pool: impl Into<DbRef<'_>>, rows: &[NewProduct]) -> Result<UpsertCounts> {
    let pool: DbRef<'_> = pool.into();
    if rows.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let payload = sqlx::types::Json(rows);
    let written: Vec<bool> = sqlx::query_scalar(UPSERT_BATCH)
        .bind(payload)
        .fetch_all(pool)
        .await?;
    let inserted = written.iter().filter(|&&inserted| inserted).count() as u64;
    let updated = written.len() as u64 - inserted;
    Ok(UpsertCounts {
        inserted,
        updated,
        unchanged: rows.len() as u64 - inserted - updated,
    })
}

/// Stored product ids that are not in `ids` (what a full feed no longer lists), in id order.
#[tracing::instrument(skip_all, fields(ids = ids.len()))]
pub async fn ids_absent_from(pool: impl Into<DbRef<'_>>, ids: &[String]) -> Result<Vec<String>> {
    let pool: DbRef<'_> = pool.into();
    // EXCEPT hashes both sides: at 50,000 ids, `id <> ALL($1)` would compare every pair.
    const ABSENT: &str =
        "SELECT id FROM (SELECT id FROM products EXCEPT SELECT unnest($1::text[])) a ORDER BY id";
    Ok(sqlx::query_scalar(ABSENT).bind(ids).fetch_all(pool).await?)
}

/// Deletes the products `ids` in one statement, all or none (their embeddings, jobs and
/// events go with them); returns how many there were.
#[tracing::instrument(skip_all, fields(ids = ids.len()))]
pub async fn delete(pool: impl Into<DbRef<'_>>, ids: &[String]) -> Result<u64> {
    let pool: DbRef<'_> = pool.into();
    Ok(
        sqlx::query("DELETE FROM products WHERE id = ANY($1::text[])")
            .bind(ids)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// The product `id`, if it exists.
#[tracing::instrument(skip(pool))]
pub async fn get(pool: impl Into<DbRef<'_>>, id: &str) -> Result<Option<Product>> {
    let pool: DbRef<'_> = pool.into();
    const GET: &str = concat!(
        "SELECT ",
        product_columns!(),
        " FROM products p WHERE p.id = $1"
    );
    Ok(sqlx::query_as(GET).bind(id).fetch_optional(pool).await?)
}

/// Number of products.
#[tracing::instrument(skip(pool))]
pub async fn count(pool: impl Into<DbRef<'_>>) -> Result<i64> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(pool)
        .await?)
}

/// A category and how many products it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CategoryCount {
    /// Category name.
    pub category: String,
    /// Products in it.
    pub products: i64,
}

/// Every category with its product count, largest first.
#[tracing::instrument(skip(pool))]
pub async fn categories(pool: impl Into<DbRef<'_>>) -> Result<Vec<CategoryCount>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT category, count(*) AS products FROM products GROUP BY category
         ORDER BY count(*) DESC, category",
    )
    .fetch_all(pool)
    .await?)
}

/// Whether any product has this exact category.
#[tracing::instrument(skip(pool))]
pub async fn category_exists(pool: impl Into<DbRef<'_>>, category: &str) -> Result<bool> {
    let pool: DbRef<'_> = pool.into();
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products WHERE category = $1)")
            .bind(category)
            .fetch_one(pool)
            .await?,
    )
}

/// Catalog figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogStats {
    /// Products.
    pub products: i64,
    /// Products in stock.
    pub in_stock: i64,
    /// Categories.
    pub categories: i64,
    /// Lowest price.
    pub min_price: Option<f64>,
    /// Highest price.
    pub max_price: Option<f64>,
    /// Currencies used.
    pub currencies: Vec<String>,
    /// Per embedding model: products embedded for their current text, and the share of the
    /// catalog.
    pub embeddings: Vec<ModelCoverage>,
}

/// How much of the catalog one model has embedded.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ModelCoverage {
    /// Model name.
    pub model: String,
    /// Whether it serves searches.
    pub active: bool,
    /// Products with an embedding of this model.
    pub embedded: i64,
    /// `embedded` / products (0 to 1).
    pub coverage: f64,
}

/// Size, stock, prices and embedding coverage of the catalog.
#[tracing::instrument(skip(pool))]
pub async fn stats(pool: impl Into<DbRef<'_>>) -> Result<CatalogStats> {
    let pool: DbRef<'_> = pool.into();
    let (products, in_stock, categories, min_price, max_price, currencies): (
        i64,
        i64,
        i64,
        Option<f64>,
        Option<f64>,
        Vec<String>,
    ) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE in_stock), count(DISTINCT category),
                min(price)::float8, max(price)::float8,
                coalesce(array_agg(DISTINCT currency) FILTER (WHERE currency IS NOT NULL), '{}')
         FROM products",
    )
    .fetch_one(pool)
    .await?;
    let embeddings = sqlx::query_as(
        "SELECT m.name AS model, m.is_active AS active, count(p.id) AS embedded,
                CASE WHEN $1 = 0 THEN 0 ELSE count(p.id)::float8 / $1 END AS coverage
         FROM embedding_models m
         LEFT JOIN product_embeddings e ON e.model = m.name
         LEFT JOIN products p ON p.id = e.product_id
              AND e.content_hash = p.content_hash
         GROUP BY m.name, m.is_active ORDER BY m.is_active DESC, m.name",
    )
    .bind(products)
    .fetch_all(pool)
    .await?;
    Ok(CatalogStats {
        products,
        in_stock,
        categories,
        min_price,
        max_price,
        currencies,
        embeddings,
    })
}
