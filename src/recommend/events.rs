//! Recording an event and moving the user's preference vectors in the same transaction, and
//! rebuilding those vectors from history.

use crate::store::DbRef;
use std::collections::HashMap;

use crate::app::App;
use crate::store;
use crate::store::events::{self, NewEvent};
use crate::{Error, Result};

use super::preference::{self, Preference, PreferenceSettings};

/// What recording an event did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The event's id (the earlier one for a replay).
    pub event_id: i64,
    /// False when the client had already sent this event (`client_event_id`).
    pub recorded: bool,
    /// Models whose preference vector the event moved.
    pub models: Vec<String>,
}

/// Records `event` (its weight is set from the settings) and folds it into the user's
/// preference vector under every model that has an embedding of the product, atomically: an
/// unknown product stores nothing, a replay changes nothing.
pub async fn record(app: &App, mut event: NewEvent) -> Result<Recorded> {
    event.weight = app.preferences.weight(&event.kind);
    let mut tx = app.db.begin().await?;
    if !events::product_exists(&mut tx, &event.product_id).await? {
        return Err(Error::not_found("product", &event.product_id));
    }
    // Another user's recipient or recommendation answers as one that does not exist: an
    // event must not count in someone else's experiment, nor reveal what they saved.
    let (recipient, request) = (event.recipient_id.as_deref(), event.request_id.as_deref());
    match events::foreign_references(&mut tx, &event.user_id, recipient, request).await? {
        (true, _) => {
            return Err(Error::unknown(
                "recipient_id",
                "not one of this user's recipients (upsert_recipient saves one); leave it out \
                 for a recipient described inline",
            ));
        }
        (_, true) => {
            return Err(Error::unknown(
                "request_id",
                "not the request_id of a recommend_gifts answer for this user_id",
            ));
        }
        _ => {}
    }
    events::lock_user(&mut tx, &event.user_id).await?;
    let Some((event_id, at)) = events::insert(&mut tx, &event).await? else {
        let client_id = event.client_event_id.as_deref().unwrap_or_default();
        let event_id = events::by_client_id(&mut tx, &event.user_id, client_id).await?;
        return Ok(Recorded {
            event_id,
            recorded: false,
            models: Vec::new(),
        });
    };
    let mut models = Vec::new();
    for (model, vector) in events::product_vectors(&mut tx, &event.product_id).await? {
        let current = events::preference(&mut tx, &event.user_id, &model).await?;
        let next = preference::add(
            current,
            &vector,
            event.weight,
            at,
            app.preferences.half_life,
        );
        events::save_preference(&mut tx, &event.user_id, &model, &next).await?;
        models.push(model);
    }
    tx.commit().await?;
    Ok(Recorded {
        event_id,
        recorded: true,
        models,
    })
}

/// Recomputes the preference vector of `user_id` under `model` from the event history (used
/// after a model switch, and to check the incremental updates). `None` when no event of the
/// user has an embedding under `model`.
pub async fn rebuild(app: &App, user_id: &str, model: &str) -> Result<Option<Preference>> {
    rebuild_with(&app.db, &app.preferences, user_id, model).await
}

/// [`rebuild`] on a bare pool.
pub async fn rebuild_with(
    pool: impl Into<DbRef<'_>>,
    settings: &PreferenceSettings,
    user_id: &str,
    model: &str,
) -> Result<Option<Preference>> {
    let pool: DbRef<'_> = pool.into();
    let history = events::history(pool, user_id, model).await?;
    let rebuilt = history.iter().fold(None, |acc, (weight, at, vector)| {
        Some(preference::add(
            acc,
            vector,
            *weight,
            *at,
            settings.half_life,
        ))
    });
    let mut tx = pool.begin().await?;
    events::lock_user(&mut tx, user_id).await?;
    match &rebuilt {
        Some(p) => events::save_preference(&mut tx, user_id, model, p).await?,
        None => {
            sqlx::query("DELETE FROM user_preferences WHERE user_id = $1 AND model = $2")
                .bind(user_id)
                .bind(model)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(rebuilt)
}

/// Rebuilds every user's vector under `model` (a model switch); returns how many users have
/// one.
pub async fn rebuild_model(
    pool: impl Into<DbRef<'_>>,
    settings: &PreferenceSettings,
    model: &str,
) -> Result<usize> {
    let pool: DbRef<'_> = pool.into();
    let mut n = 0;
    for user in events::users(pool).await? {
        n += usize::from(rebuild_with(pool, settings, &user, model).await?.is_some());
    }
    Ok(n)
}

/// Rebuilds every user's vector under every registered model; returns users per model.
pub async fn rebuild_all(app: &App) -> Result<HashMap<String, usize>> {
    let mut done = HashMap::new();
    for model in store::models::list(&app.db).await? {
        let n = rebuild_model(&app.db, &app.preferences, &model.name).await?;
        done.insert(model.name, n);
    }
    Ok(done)
}
