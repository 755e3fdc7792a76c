//! Shapes shared by several tools: a product as tools show it, a scored hit, and the product
//! filters every search accepts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::store::{self, Product, ProductFilters, VectorSearchResult};
use crate::{Error, Result};

/// Most results a call may ask for.
pub const MAX_LIMIT: u32 = 100;
/// Most ids in an id list.
pub const MAX_IDS: usize = 500;
/// Longest id.
pub const MAX_ID_CHARS: usize = 128;
/// Longest category name.
pub const MAX_CATEGORY_CHARS: usize = 100;

/// How much of each product a result carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// Only what a model needs to choose and quote.
    Brief,
    /// Every catalog field.
    #[default]
    Full,
}

impl Detail {
    /// The fields a brief product keeps.
    pub const BRIEF_FIELDS: [&str; 7] = [
        "id", "title", "price", "currency", "category", "score", "reason",
    ];

    /// The `detail` argument of a tool call (full when absent).
    pub fn of(arguments: &serde_json::Value) -> Self {
        match arguments.get("detail").and_then(serde_json::Value::as_str) {
            Some("brief") => Detail::Brief,
            _ => Detail::Full,
        }
    }

    /// Cuts the products of a tool result (`product`, and the items of `results` and
    /// `recommendations`) to [`Detail::BRIEF_FIELDS`] when brief, scores to three decimals.
    pub fn apply(self, output: &mut serde_json::Value) {
        if self == Detail::Full {
            return;
        }
        let keep = |item: &mut serde_json::Value| {
            if let Some(fields) = item.as_object_mut() {
                fields.retain(|name, _| Self::BRIEF_FIELDS.contains(&name.as_str()));
                // Three decimals tell products apart; sixteen only cost tokens.
                if let Some(score) = fields.get_mut("score")
                    && let Some(value) = score.as_f64()
                {
                    *score = serde_json::json!((value * 1000.0).round() / 1000.0);
                }
            }
        };
        if let Some(product) = output.get_mut("product") {
            keep(product);
        }
        for list in ["results", "recommendations"] {
            if let Some(items) = output
                .get_mut(list)
                .and_then(serde_json::Value::as_array_mut)
            {
                items.iter_mut().for_each(keep);
            }
        }
    }
}

/// A product from the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProductView {
    /// The catalog's product id (use it with `get_product`, `similar_products`, ...).
    pub id: String,
    /// Stock-keeping unit, when the catalog has one.
    pub sku: Option<String>,
    /// Product title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Price, in `currency`.
    pub price: f64,
    /// ISO 4217 currency code of `price`.
    pub currency: String,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// Other catalog fields (brand, image_url, ...).
    pub attributes: serde_json::Value,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            sku: p.sku,
            title: p.title,
            description: p.description,
            category: p.category,
            tags: p.tags,
            price: p.price,
            currency: p.currency,
            in_stock: p.in_stock,
            attributes: p.attributes,
        }
    }
}

/// A product with its relevance score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Hit {
    /// The product.
    #[serde(flatten)]
    pub product: ProductView,
    /// Relevance, higher is better (cosine similarity for vector matches, from -1 to 1).
    pub score: f64,
    /// Its rank among keyword matches, when a keyword search contributed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword_rank: Option<u32>,
    /// Its rank among meaning (embedding) matches, when a semantic search contributed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_rank: Option<u32>,
    /// Cosine similarity to the user's taste (preference vector), when the results were
    /// personalised for a `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_similarity: Option<f64>,
}

impl Hit {
    /// Vector search hits as tool results, scored by their similarity.
    pub fn from_vector(hits: Vec<VectorSearchResult>) -> Vec<Self> {
        hits.into_iter()
            .map(|h| Hit {
                score: h.similarity,
                product: h.product.into(),
                keyword_rank: None,
                semantic_rank: None,
                personal_similarity: None,
            })
            .collect()
    }
}

/// Which products may appear. All fields are optional and combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Only this category (exact name).
    #[schemars(length(min = 1, max = MAX_CATEGORY_CHARS))]
    pub category: Option<String>,
    /// Never this category.
    #[schemars(length(min = 1, max = MAX_CATEGORY_CHARS))]
    pub exclude_category: Option<String>,
    /// Lowest price (catalog currency).
    #[schemars(range(min = 0))]
    pub min_price: Option<f64>,
    /// Highest price (catalog currency).
    #[schemars(range(min = 0))]
    pub max_price: Option<f64>,
    /// true: in stock only; false: out of stock only.
    pub in_stock: Option<bool>,
    /// Never these product ids (e.g. already shown).
    #[serde(default)]
    #[schemars(length(max = MAX_IDS), inner(length(min = 1, max = MAX_ID_CHARS)))]
    pub exclude_ids: Vec<String>,
}

impl Filters {
    /// Checks what the schema cannot say (a range the right way round, no blank category),
    /// naming the field (prefixed with `prefix`, e.g. "filters.").
    pub fn to_store(&self, prefix: &str) -> Result<ProductFilters> {
        let field = |name: &str| format!("{prefix}{name}");
        if let (Some(min), Some(max)) = (self.min_price, self.max_price)
            && min > max
        {
            return Err(Error::invalid(
                field("min_price"),
                format!("is {min}, above max_price {max}; swap them or widen the range"),
            ));
        }
        for (name, value) in [
            ("category", &self.category),
            ("exclude_category", &self.exclude_category),
        ] {
            if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::invalid(
                    field(name),
                    "must be a category name, not blank",
                ));
            }
        }
        Ok(ProductFilters {
            category: self.category.clone(),
            exclude_category: self.exclude_category.clone(),
            min_price: self.min_price,
            max_price: self.max_price,
            in_stock: self.in_stock,
            exclude_ids: self.exclude_ids.clone(),
            exclude_terms: Vec::new(),
        })
    }
}

/// [`Filters::to_store`], plus: a category filter must name a category the catalog has (a
/// misspelt category would otherwise silently match nothing, or exclude nothing).
pub async fn resolve_filters(app: &App, filters: &Filters, prefix: &str) -> Result<ProductFilters> {
    let resolved = filters.to_store(prefix)?;
    for (name, value) in [
        ("category", &resolved.category),
        ("exclude_category", &resolved.exclude_category),
    ] {
        if let Some(category) = value {
            check_category(app, &format!("{prefix}{name}"), category).await?;
        }
    }
    Ok(resolved)
}

/// Fails (`not_found`, naming `field`) unless some product has `category`, suggesting the
/// right spelling or listing the categories (a misspelt category would otherwise silently
/// match nothing).
pub async fn check_category(app: &App, field: &str, category: &str) -> Result<()> {
    if store::products::category_exists(&app.read, category).await? {
        return Ok(());
    }
    let known: Vec<String> = store::products::categories(&app.read)
        .await?
        .into_iter()
        .map(|c| c.category)
        .collect();
    let close = known.iter().find(|k| k.eq_ignore_ascii_case(category));
    let hint = match close {
        Some(k) => format!("did you mean \"{k}\"? Names are exact"),
        None if known.len() <= 40 => format!("the categories are: {}", known.join(", ")),
        None => "the giftvec://catalog/categories resource lists them".to_string(),
    };
    // Well-formed but naming nothing, like an unknown id: not_found (HTTP 404).
    let category = crate::error::bounded(category, crate::error::ECHO_MAX);
    Err(Error::unknown(
        field.to_string(),
        format!("no product has the category \"{category}\"; {hint}"),
    ))
}

/// Default `limit`.
pub fn default_limit() -> u32 {
    10
}
