//! REST routes named by the seed plan, backed by the same tools:
//! `POST /api/vectors/search` (similar_products), `POST /api/vectors/embed` (embed_text),
//! `GET /api/products/{id}/similar` (similar_products), `POST /api/search/semantic`
//! (search_products), `GET /api/products/{id}` (get_product), `POST /api/recommendations`
//! (recommend_gifts), `POST /api/events` (record_event).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Granted, Scope};
use super::http::HttpState;
use crate::Error;
use crate::tools::dispatch::{self, Transport};
use crate::tools::{self, views::default_limit};

/// The HTTP status of each stable error code.
pub fn status(err: &Error) -> StatusCode {
    match err {
        Error::InvalidInput { .. } => StatusCode::BAD_REQUEST,
        Error::NotFound(_) | Error::Unknown { .. } => StatusCode::NOT_FOUND,
        Error::BudgetExceeded(_) | Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Busy | Error::Upstream(_) | Error::NotMigrated(_) | Error::Setup(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Error::Timeout => StatusCode::GATEWAY_TIMEOUT,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `{"error": {"code", "message", "field"?, "retryable", "next_step"}}` with the matching status.
pub fn error_response(err: &Error) -> Response {
    let mut response = (status(err), Json(json!({"error": err.to_body()}))).into_response();
    if let Error::RateLimited { retry_after_ms, .. } = err {
        let seconds = retry_after_ms.div_ceil(1000).max(1);
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    response
}

async fn run(state: &HttpState, tool: &str, arguments: Value) -> Response {
    let tool = tools::find(tool).expect("REST routes name catalog tools");
    match dispatch::run(&state.app, tool, arguments, Transport::Rest).await {
        Ok(value) => Json(value).into_response(),
        Err(err) => error_response(&err),
    }
}

/// Query parameters of `GET /api/products/{id}/similar`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimilarQuery {
    #[serde(default = "default_limit")]
    limit: u32,
    min_similarity: Option<f64>,
    price_tolerance_pct: Option<f64>,
    category: Option<String>,
    exclude_category: Option<String>,
    min_price: Option<f64>,
    max_price: Option<f64>,
    in_stock: Option<bool>,
    cursor: Option<String>,
}

impl SimilarQuery {
    /// Refuses `NaN` and infinities, which a query string can spell (`max_price=-inf`) and
    /// JSON cannot carry on to the tool: dropped silently, they would lift the filter.
    fn finite(&self) -> Result<(), Error> {
        let numbers = [
            ("min_similarity", self.min_similarity),
            ("price_tolerance_pct", self.price_tolerance_pct),
            ("min_price", self.min_price),
            ("max_price", self.max_price),
        ];
        match numbers
            .iter()
            .find(|(_, n)| n.is_some_and(|n| !n.is_finite()))
        {
            Some((field, n)) => Err(Error::invalid(
                *field,
                format!("must be a finite number, got {}", n.unwrap_or_default()),
            )),
            None => Ok(()),
        }
    }
}

async fn similar_by_id(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    query: Result<Query<SimilarQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(q) = match query {
        Ok(q) => q,
        Err(rejection) => return error_response(&Error::invalid("query", rejection.body_text())),
    };
    if let Err(err) = q.finite() {
        return error_response(&err);
    }
    let arguments = json!({
        "product_id": id, "limit": q.limit, "min_similarity": q.min_similarity,
        "price_tolerance_pct": q.price_tolerance_pct, "cursor": q.cursor,
        "filters": {"category": q.category, "exclude_category": q.exclude_category,
                    "min_price": q.min_price, "max_price": q.max_price, "in_stock": q.in_stock},
    });
    run(&state, "similar_products", arguments).await
}

async fn product(State(state): State<HttpState>, Path(id): Path<String>) -> Response {
    run(&state, "get_product", json!({"product_id": id})).await
}

type JsonBody = Result<Json<Value>, axum::extract::rejection::JsonRejection>;

/// Runs `tool` on a JSON body (after `adjust`), or answers 400 naming what is wrong with it.
async fn with_body(
    state: &HttpState,
    tool: &str,
    payload: JsonBody,
    adjust: fn(&mut Value),
) -> Response {
    match payload {
        Ok(Json(mut arguments)) => {
            adjust(&mut arguments);
            run(state, tool, arguments).await
        }
        Err(rejection) => error_response(&Error::invalid("body", rejection.body_text())),
    }
}

async fn vectors_search(State(state): State<HttpState>, payload: JsonBody) -> Response {
    with_body(&state, "similar_products", payload, |_| {}).await
}

async fn vectors_embed(State(state): State<HttpState>, payload: JsonBody) -> Response {
    with_body(&state, "embed_text", payload, |_| {}).await
}

async fn search_semantic(State(state): State<HttpState>, payload: JsonBody) -> Response {
    if let Ok(Json(arguments)) = &payload
        && let Some(mode) = arguments.get("mode").filter(|m| !m.is_null())
        && mode != "semantic"
    {
        return error_response(&Error::invalid(
            "mode",
            "this route is semantic search only; leave mode out, or call search_products \
             over /rpc or /mcp for the other modes",
        ));
    }
    with_body(&state, "search_products", payload, |arguments| {
        if let Some(object) = arguments.as_object_mut() {
            object.insert("mode".into(), json!("semantic"));
        }
    })
    .await
}

async fn events(
    State(state): State<HttpState>,
    granted: Option<Extension<Granted>>,
    payload: JsonBody,
) -> Response {
    if granted.is_some_and(|g| g.scope == Scope::Widget) {
        return match payload.map(|Json(body)| widget_event(body)) {
            Ok(Ok(arguments)) => run(&state, "record_event", arguments).await,
            Ok(Err(err)) => error_response(&err),
            Err(rejection) => error_response(&Error::invalid("body", rejection.body_text())),
        };
    }
    with_body(&state, "record_event", payload, |_| {}).await
}

/// What the widget key may record: a `view` or `click` of a product by an anonymous shopper.
/// A browser cannot prove who it is, so its `user_id` is kept apart from the users agents
/// serve (`anonymous:<user_id>`): it moves no real user's preferences, and it names no
/// recipient, request or experiment arm.
fn widget_event(body: Value) -> Result<Value, Error> {
    const FIELDS: [&str; 4] = ["user_id", "product_id", "kind", "client_event_id"];
    let Value::Object(mut event) = body else {
        return Err(Error::invalid("body", "must be a JSON object (an event)"));
    };
    if let Some(field) = event.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(Error::invalid(
            field.clone(),
            format!(
                "is not for the widget key: it records anonymous views and clicks with {}",
                FIELDS.join(", ")
            ),
        ));
    }
    match event.get("kind").and_then(Value::as_str) {
        Some("view" | "click") => {}
        _ => {
            return Err(Error::invalid(
                "kind",
                "the widget key records only \"view\" and \"click\" events",
            ));
        }
    }
    if let Some(Value::String(user)) = event.get("user_id") {
        let anonymous = format!("anonymous:{}", user.trim());
        event.insert("user_id".into(), anonymous.into());
    }
    Ok(Value::Object(event))
}

async fn recommendations(State(state): State<HttpState>, payload: JsonBody) -> Response {
    with_body(&state, "recommend_gifts", payload, |_| {}).await
}

/// The REST routes.
pub fn routes() -> axum::Router<HttpState> {
    axum::Router::new()
        .route("/api/vectors/search", post(vectors_search))
        .route("/api/vectors/embed", post(vectors_embed))
        .route("/api/search/semantic", post(search_semantic))
        .route("/api/recommendations", post(recommendations))
        .route("/api/events", post(events))
        .route("/api/products/{id}", get(product))
        .route("/api/products/{id}/similar", get(similar_by_id))
}
