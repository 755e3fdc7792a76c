//! A recipient's profile vector: the embedding of what the user said about them (description,
//! relationship, age band, interests), plus the mean of the products they liked, minus half the
//! mean of those they would not want — each term scaled to unit length first so that none
//! dominates by size. No description, interests or liked products: no vector.

use crate::Result;
use crate::app::App;
use crate::store::recipients::{self, Recipient};
use crate::store::{Embedding, EmbeddingModel};

/// Weight of the disliked products' direction.
const DISLIKE_WEIGHT: f32 = 0.5;

/// The text embedded for a recipient (empty when the user said nothing about them).
pub fn profile_text(r: &Recipient) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !r.description.trim().is_empty() {
        parts.push(r.description.trim().to_string());
    }
    if let Some(rel) = r.relationship.as_deref().filter(|s| !s.trim().is_empty()) {
        parts.push(format!("Relationship: {rel}."));
    }
    if let Some(age) = r.age_band.as_deref().filter(|s| !s.trim().is_empty()) {
        parts.push(format!("Age: {age}."));
    }
    if !r.interests.is_empty() {
        parts.push(format!("Interests: {}.", r.interests.join(", ")));
    }
    if !r.dislikes.is_empty() {
        parts.push(format!("Dislikes: {}.", r.dislikes.join(", ")));
    }
    parts.join(" ")
}

/// The recipient's profile vector under the app's model, when there is anything to go on.
pub async fn profile_vector(app: &App, r: &Recipient) -> Result<Option<Embedding>> {
    let text = profile_text(r);
    let described = !r.description.trim().is_empty() || !r.interests.is_empty();
    let text_vector = if described {
        let out = app.embedder.embed(std::slice::from_ref(&text)).await?;
        out.items
            .into_iter()
            .next()
            .map(|i| i.embedding.normalized())
    } else {
        None
    };
    let liked = mean(&app.db, &app.model, &r.liked_product_ids).await?;
    let disliked = mean(&app.db, &app.model, &r.disliked_product_ids).await?;
    Ok(blend(
        text_vector.as_ref(),
        liked.as_ref(),
        disliked.as_ref(),
    ))
}

async fn mean(
    pool: &crate::store::Db,
    model: &EmbeddingModel,
    ids: &[String],
) -> Result<Option<Embedding>> {
    if ids.is_empty() {
        return Ok(None);
    }
    Ok(recipients::mean_embedding(pool, model, ids)
        .await?
        .and_then(|v| Embedding::new(v, model.dimensions as usize).ok())
        .map(|e| e.normalized()))
}

/// `normalise(text + liked − 0.5 · disliked)` over the terms present; `None` without a
/// positive term.
pub fn blend(
    text: Option<&Embedding>,
    liked: Option<&Embedding>,
    disliked: Option<&Embedding>,
) -> Option<Embedding> {
    let positive: Vec<&Embedding> = [text, liked].into_iter().flatten().collect();
    let first = positive.first()?;
    let mut sum = vec![0f32; first.dimensions()];
    for p in &positive {
        for (s, v) in sum.iter_mut().zip(p.as_slice()) {
            *s += v;
        }
    }
    if let Some(d) = disliked {
        for (s, v) in sum.iter_mut().zip(d.as_slice()) {
            *s -= DISLIKE_WEIGHT * v;
        }
    }
    Embedding::new(sum, first.dimensions())
        .ok()
        .map(|e| e.normalized())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(v: &[f32]) -> Embedding {
        Embedding::new(v.to_vec(), v.len()).unwrap()
    }

    #[test]
    fn blends_toward_likes_and_away_from_dislikes() {
        // text [1,0,0] + liked [0,1,0] − 0.5 · disliked [0,0,1] = [1,1,−0.5], length 1.5.
        let v = blend(
            Some(&e(&[1., 0., 0.])),
            Some(&e(&[0., 1., 0.])),
            Some(&e(&[0., 0., 1.])),
        )
        .unwrap();
        let want = [1.0 / 1.5, 1.0 / 1.5, -0.5 / 1.5];
        for (got, want) in v.as_slice().iter().zip(want) {
            assert!((got - want).abs() < 1e-6);
        }
        assert!(blend(None, None, Some(&e(&[0., 0., 1.]))).is_none());
    }
}
