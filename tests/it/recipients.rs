//! Recipients: saved per user, a profile vector blending what was said about them with the
//! products they liked and away from those they would not want; checked inputs; deletion.

use giftvec::app::App;
use giftvec::store::{self, Embedding};
use giftvec::tools::Tool;
use giftvec::tools::get_recipient::{DeleteRecipient, GetRecipient};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::cosine_distance;
use crate::embed_local::local_settings;
use crate::server::seed;

async fn upsert(
    app: &App,
    args: Value,
) -> giftvec::Result<giftvec::tools::upsert_recipient::Output> {
    crate::common::call_tool(app, "upsert_recipient", args).await
}

/// u1's recipient `id`'s stored vector.
async fn stored_vector(pool: &PgPool, id: &str) -> Option<Vec<f32>> {
    let v: Option<pgvector::Vector> = sqlx::query_scalar(
        "SELECT vector FROM recipient_vectors WHERE user_id = 'u1' AND recipient_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .unwrap();
    v.map(|v| v.to_vec())
}

async fn product_vector(app: &App, id: &str) -> Embedding {
    store::embeddings::get(&app.db, &app.model, id)
        .await
        .unwrap()
        .unwrap()
}

#[sqlx::test]
async fn a_recipient_profile_blends_words_likes_and_dislikes(pool: PgPool) {
    let app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    let out = upsert(
        &app,
        json!({"user_id": "u1", "name": "my dad", "description": "retired, loves the outdoors",
               "relationship": "father", "age_band": "60+", "interests": ["fishing"],
               "liked_product_ids": ["fishing-002", "fishing-009"],
               "disliked_product_ids": ["coffee-tea-005"]}),
    )
    .await
    .unwrap();
    let id = out.recipient.id.clone();
    assert!(id.starts_with("r_") && out.has_profile_vector);
    let stored = stored_vector(&pool, &id).await.unwrap();

    // Oracle: normalise(ŧ + mean(liked)^ − 0.5 · disliked^), from the model and stored vectors.
    let text = "retired, loves the outdoors Relationship: father. Age: 60+. Interests: fishing.";
    let t = app.embedder.embed(&[text.to_string()]).await.unwrap().items[0]
        .embedding
        .normalized();
    let (a, b) = (
        product_vector(&app, "fishing-002").await,
        product_vector(&app, "fishing-009").await,
    );
    let liked: Vec<f32> = a
        .as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| (x + y) / 2.0)
        .collect();
    let liked = Embedding::new(liked, 384).unwrap().normalized();
    let disliked = product_vector(&app, "coffee-tea-005").await.normalized();
    let sum: Vec<f32> = (0..384)
        .map(|i| t.as_slice()[i] + liked.as_slice()[i] - 0.5 * disliked.as_slice()[i])
        .collect();
    let want = Embedding::new(sum, 384).unwrap().normalized();
    for (got, want) in stored.iter().zip(want.as_slice()) {
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    }
    let near = |p: &Embedding| 1.0 - cosine_distance(&stored, p.as_slice());
    assert!(near(&a) > near(&disliked) + 0.2);

    // Updating replaces the profile; ids are per user: another user's recipient of the same
    // id is their own, and neither touches nor reveals this one.
    let updated = upsert(
        &app,
        json!({"user_id": "u1", "recipient_id": id, "name": "dad", "interests": ["jazz"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            updated.recipient.id.as_str(),
            updated.recipient.name.as_str()
        ),
        (id.as_str(), "dad")
    );
    assert!(updated.recipient.liked_product_ids.is_empty());
    assert_ne!(stored_vector(&pool, &id).await.unwrap(), stored);
    let get =
        |user: &str| serde_json::from_value(json!({"user_id": user, "recipient_id": id})).unwrap();
    assert_eq!(
        GetRecipient::call(&app, get("u2"))
            .await
            .unwrap_err()
            .to_string(),
        format!("recipient {id:?} was not found"),
        "the same answer as for an id no one has"
    );
    let theirs = upsert(
        &app,
        json!({"user_id": "u2", "recipient_id": id, "name": "x", "interests": ["golf"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            theirs.recipient.id.as_str(),
            theirs.recipient.user_id.as_str()
        ),
        (id.as_str(), "u2")
    );
    assert_eq!(
        GetRecipient::call(&app, get("u2"))
            .await
            .unwrap()
            .recipient
            .name,
        "x"
    );
    assert_eq!(
        GetRecipient::call(&app, get("u1"))
            .await
            .unwrap()
            .recipient
            .name,
        "dad"
    );

    assert_eq!(
        DeleteRecipient::call(&app, get("u1"))
            .await
            .unwrap()
            .deleted,
        id
    );
    assert!(
        stored_vector(&pool, &id).await.is_none(),
        "its vector went with it"
    );
    assert_eq!(
        GetRecipient::call(&app, get("u2"))
            .await
            .unwrap()
            .recipient
            .name,
        "x",
        "the other user's recipient of the same id stays"
    );
    assert_eq!(
        DeleteRecipient::call(&app, get("u1"))
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[sqlx::test]
async fn bad_recipients_are_refused_naming_the_field(pool: PgPool) {
    let app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    for (args, message) in [
        (
            json!({"user_id": "u", "name": "mum", "liked_product_ids": ["fishing-002", "nope'; --"]}),
            "liked_product_ids: names products that do not exist: nope'; --",
        ),
        (
            json!({"user_id": "u", "name": " "}),
            "name: is blank (only whitespace); give some text",
        ),
        (
            json!({"user_id": "u", "name": "mum", "interests": vec!["x"; 51]}),
            "interests: has 51 entries; the limit is 50",
        ),
        (
            json!({"user_id": "u", "name": "mum", "description": "a".repeat(5001)}),
            "description: is 5001 characters long; the limit is 5000",
        ),
    ] {
        let err = upsert(&app, args).await.unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            ("invalid_input", message)
        );
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM recipients")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing stored");
    let bare = upsert(&app, json!({"user_id": "u", "name": "someone"}))
        .await
        .unwrap();
    assert!(!bare.has_profile_vector, "nothing to go on, no vector");
}
