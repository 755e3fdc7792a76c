//! The embedding-model registry: which models exist, their dimension and distance, their HNSW
//! parameters, and which one serves searches. Each model gets its own partial HNSW index.

use super::DbRef;
use serde::Serialize;

use crate::{Error, Result};

/// Distance (metric) between two vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Distance {
    /// Cosine distance `1 - cos(a, b)`; similarity is `cos(a, b)`.
    Cosine,
    /// Euclidean distance; similarity is `1 / (1 + d)`.
    L2,
    /// Inner product; similarity is `a · b`.
    InnerProduct,
}

impl Distance {
    /// The name stored in the registry.
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::Cosine => "cosine",
            Distance::L2 => "l2",
            Distance::InnerProduct => "inner_product",
        }
    }

    /// The pgvector operator that computes it (`<#>` is the *negated* inner product).
    pub fn operator(self) -> &'static str {
        match self {
            Distance::Cosine => "<=>",
            Distance::L2 => "<->",
            Distance::InnerProduct => "<#>",
        }
    }

    /// The cosine similarity of two unit vectors (as the embedding models giftvec serves
    /// return) `distance` apart under this metric; pgvector's `<#>` is the negated inner
    /// product and `<->` the plain L2 distance.
    pub fn unit_cosine(self, distance: f64) -> f64 {
        match self {
            Distance::Cosine => 1.0 - distance,
            Distance::InnerProduct => -distance,
            Distance::L2 => 1.0 - distance * distance / 2.0,
        }
    }

    /// Turns a pgvector distance into a "higher is better" similarity.
    pub fn similarity(self, distance: f64) -> f64 {
        match self {
            Distance::Cosine => 1.0 - distance,
            Distance::L2 => 1.0 / (1.0 + distance),
            Distance::InnerProduct => -distance,
        }
    }

    fn parse(name: &str) -> Result<Self> {
        match name {
            "cosine" => Ok(Distance::Cosine),
            "l2" => Ok(Distance::L2),
            "inner_product" => Ok(Distance::InnerProduct),
            other => Err(Error::Setup(format!(
                "unknown distance {other:?} in the model registry"
            ))),
        }
    }
}

/// Where a model's embeddings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Run in-process (all-MiniLM-L6-v2).
    Local,
    /// An OpenAI-compatible embeddings API.
    Openai,
}

impl Provider {
    /// The name stored in the registry.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Local => "local",
            Provider::Openai => "openai",
        }
    }

    fn parse(name: &str) -> Result<Self> {
        match name {
            "local" => Ok(Provider::Local),
            "openai" => Ok(Provider::Openai),
            other => Err(Error::Setup(format!(
                "unknown provider {other:?} in the model registry"
            ))),
        }
    }
}

/// HNSW build parameters. The defaults are m = 16 (pgvector's) and ef_construction = 128
/// (pgvector's is 64): on clustered 384-d vectors (docs/search.md) 64 gives recall@10 0.994
/// at 100k but 0.834 at 1M with ef_search 100, where 128 gives 1.000 and 0.999, for builds
/// about twice as long (33 s against 14 s at 100k on two cores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HnswParams {
    /// Links per node (2..=100).
    pub m: i32,
    /// Candidate list size while building (>= 2 * m, <= 1000).
    pub ef_construction: i32,
}

impl Default for HnswParams {
    fn default() -> Self {
        Self {
            m: 16,
            ef_construction: 128,
        }
    }
}

impl HnswParams {
    /// Checks the bounds the registry enforces, naming the settings.
    pub fn check(&self) -> Result<()> {
        if !(2..=100).contains(&self.m) {
            return Err(Error::Setup(format!(
                "GIFTVEC_HNSW_M must be between 2 and 100, got {}",
                self.m
            )));
        }
        if self.ef_construction < 2 * self.m || self.ef_construction > 1000 {
            return Err(Error::Setup(format!(
                "GIFTVEC_HNSW_EF_CONSTRUCTION must be between 2 × GIFTVEC_HNSW_M ({}) and 1000, got {}",
                2 * self.m,
                self.ef_construction
            )));
        }
        Ok(())
    }
}

/// A model to register.
#[derive(Debug, Clone)]
pub struct NewModel {
    /// Unique name, e.g. `all-MiniLM-L6-v2` or `text-embedding-3-small`.
    pub name: String,
    /// Where its embeddings come from.
    pub provider: Provider,
    /// Vector dimension (1..=2000).
    pub dimensions: i32,
    /// Distance its index is built for.
    pub distance: Distance,
    /// Index build parameters.
    pub hnsw: HnswParams,
}

/// A registered model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingModel {
    /// Unique name.
    pub name: String,
    /// Where its embeddings come from.
    pub provider: Provider,
    /// Vector dimension.
    pub dimensions: i32,
    /// Distance its index is built for.
    pub distance: Distance,
    /// Index build parameters.
    pub hnsw: HnswParams,
    /// Whether it serves searches now.
    pub is_active: bool,
}

#[derive(sqlx::FromRow)]
struct ModelRow {
    name: String,
    provider: String,
    dimensions: i32,
    distance: String,
    hnsw_m: i32,
    hnsw_ef_construction: i32,
    is_active: bool,
}

impl TryFrom<ModelRow> for EmbeddingModel {
    type Error = Error;
    fn try_from(row: ModelRow) -> Result<Self> {
        Ok(Self {
            provider: Provider::parse(&row.provider)?,
            distance: Distance::parse(&row.distance)?,
            name: row.name,
            dimensions: row.dimensions,
            hnsw: HnswParams {
                m: row.hnsw_m,
                ef_construction: row.hnsw_ef_construction,
            },
            is_active: row.is_active,
        })
    }
}

macro_rules! select_model {
    ($tail:literal) => {
        concat!(
            "SELECT name, provider, dimensions, distance, hnsw_m, hnsw_ef_construction, \
             is_active FROM embedding_models ",
            $tail
        )
    };
}

const INSERT_MODEL: &str = "INSERT INTO embedding_models \
     (name, provider, dimensions, distance, hnsw_m, hnsw_ef_construction) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING";

/// Registers `model`, builds its (empty, hence instant) HNSW index and queues an embedding
/// job for every product. Registering the same
/// model again is a no-op; registering a name that exists with a different dimension or
/// distance is refused, since stored vectors would no longer fit.
#[tracing::instrument(skip(pool), fields(model = %model.name))]
pub async fn register(pool: impl Into<DbRef<'_>>, model: &NewModel) -> Result<EmbeddingModel> {
    let pool: DbRef<'_> = pool.into();
    let inserted = sqlx::query(INSERT_MODEL)
        .bind(&model.name)
        .bind(model.provider.as_str())
        .bind(model.dimensions)
        .bind(model.distance.as_str())
        .bind(model.hnsw.m)
        .bind(model.hnsw.ef_construction)
        .execute(pool)
        .await?
        .rows_affected()
        == 1;
    let stored = get(pool, &model.name).await?;
    if stored.dimensions != model.dimensions || stored.distance != model.distance {
        return Err(Error::invalid(
            "model",
            format!(
                "model {:?} is registered with {} dimensions and {} distance; register the new \
                 configuration under a new name",
                stored.name,
                stored.dimensions,
                stored.distance.as_str()
            ),
        ));
    }
    sqlx::query("SELECT giftvec_ensure_model_index($1)")
        .bind(&model.name)
        .execute(pool)
        .await?;
    if inserted {
        // A new model: every existing product needs its embedding, through the pipeline.
        sqlx::query("SELECT giftvec_enqueue_model($1)")
            .bind(&model.name)
            .execute(pool)
            .await?;
    }
    Ok(stored)
}

/// The model called `name`.
#[tracing::instrument(skip(pool))]
pub async fn get(pool: impl Into<DbRef<'_>>, name: &str) -> Result<EmbeddingModel> {
    let pool: DbRef<'_> = pool.into();
    let row: Option<ModelRow> = sqlx::query_as(select_model!("WHERE name = $1"))
        .bind(name)
        .fetch_optional(pool)
        .await?;
    row.ok_or_else(|| Error::not_found("embedding model", name))?
        .try_into()
}

/// The model that serves searches, if one is active.
#[tracing::instrument(skip(pool))]
pub async fn active(pool: impl Into<DbRef<'_>>) -> Result<Option<EmbeddingModel>> {
    let pool: DbRef<'_> = pool.into();
    let row: Option<ModelRow> = sqlx::query_as(select_model!("WHERE is_active"))
        .fetch_optional(pool)
        .await?;
    row.map(TryInto::try_into).transpose()
}

/// All registered models, active first.
#[tracing::instrument(skip(pool))]
pub async fn list(pool: impl Into<DbRef<'_>>) -> Result<Vec<EmbeddingModel>> {
    let pool: DbRef<'_> = pool.into();
    let rows: Vec<ModelRow> = sqlx::query_as(select_model!("ORDER BY is_active DESC, created_at"))
        .fetch_all(pool)
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Makes `name` the model that serves searches, atomically (the previous one stops serving
/// in the same transaction).
#[tracing::instrument(skip(pool))]
pub async fn activate(pool: impl Into<DbRef<'_>>, name: &str) -> Result<EmbeddingModel> {
    let pool: DbRef<'_> = pool.into();
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE embedding_models SET is_active = false WHERE is_active AND name <> $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("UPDATE embedding_models SET is_active = true WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found("embedding model", name));
    }
    tx.commit().await?;
    get(pool, name).await
}

/// Removes a model that does not serve searches, with its embeddings, jobs and indexes.
#[tracing::instrument(skip(pool))]
pub async fn drop(pool: impl Into<DbRef<'_>>, name: &str) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    let model = get(pool, name).await?;
    if model.is_active {
        return Err(Error::invalid(
            "model",
            format!("{name:?} serves searches; activate another model first"),
        ));
    }
    let mut tx = pool.begin().await?;
    for index in ["giftvec_model_index_name", "giftvec_query_index_name"] {
        let sql = format!(
            "DO $$ BEGIN EXECUTE format('DROP INDEX IF EXISTS %I', {index}({})); END $$",
            super::sql_literal(name)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM embedding_models WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_gives_the_cosine_of_unit_vectors() {
        // Unit vectors at 60°: cosine 0.5, L2 distance 1, inner product 0.5.
        assert!((Distance::Cosine.unit_cosine(0.5) - 0.5).abs() < 1e-12);
        assert!((Distance::InnerProduct.unit_cosine(-0.5) - 0.5).abs() < 1e-12);
        assert!((Distance::L2.unit_cosine(1.0) - 0.5).abs() < 1e-12);
    }
}
