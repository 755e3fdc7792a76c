//! A user's preference vector: the time-decayed, weighted sum of the embeddings of the
//! products they interacted with, `Σ wᵢ · eᵢ · 2^(−(A − tᵢ)/half_life)`, held at an anchor
//! time `A` (the latest event). Adding an event is O(1): decay the sum to the new anchor and
//! add the event's term; an event older than the anchor is added decayed to it instead.
//! Rebuilding from history folds the same terms, so the two agree.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// What an event kind weighs, and how fast interest fades.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferenceSettings {
    /// Signed weight per event kind (dislike and dismiss negative).
    pub weights: Vec<(String, f64)>,
    /// Time after which an event counts half.
    pub half_life: Duration,
}

impl Default for PreferenceSettings {
    fn default() -> Self {
        Self {
            weights: [
                ("view", 0.2),
                ("click", 0.5),
                ("add_to_cart", 1.0),
                ("purchase", 2.0),
                ("like", 1.5),
                ("dislike", -1.5),
                ("dismiss", -0.5),
            ]
            .map(|(k, w)| (k.to_string(), w))
            .into(),
            half_life: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl PreferenceSettings {
    /// The weight of an event `kind` (0 for a kind not listed).
    pub fn weight(&self, kind: &str) -> f64 {
        self.weights
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0.0, |(_, w)| *w)
    }
}

/// A preference vector at its anchor time.
#[derive(Debug, Clone, PartialEq)]
pub struct Preference {
    /// The decayed weighted sum.
    pub vector: Vec<f32>,
    /// The decayed sum of |weights| (how much evidence there is).
    pub weight_sum: f64,
    /// Events folded in.
    pub event_count: i64,
    /// The time `vector` is expressed at.
    pub anchor: DateTime<Utc>,
}

/// `2^(−dt / half_life)` for `dt` ≥ 0.
fn decay(from: DateTime<Utc>, to: DateTime<Utc>, half_life: Duration) -> f64 {
    let dt = (to - from).as_seconds_f64().max(0.0);
    0.5f64.powf(dt / half_life.as_secs_f64().max(1e-9))
}

/// Folds one event (`weight` on `embedding` at `at`) into `current`.
pub fn add(
    current: Option<Preference>,
    embedding: &[f32],
    weight: f64,
    at: DateTime<Utc>,
    half_life: Duration,
) -> Preference {
    let Some(mut p) = current else {
        return Preference {
            vector: embedding
                .iter()
                .map(|&x| (f64::from(x) * weight) as f32)
                .collect(),
            weight_sum: weight.abs(),
            event_count: 1,
            anchor: at,
        };
    };
    if at >= p.anchor {
        let f = decay(p.anchor, at, half_life);
        for (v, &x) in p.vector.iter_mut().zip(embedding) {
            *v = (f64::from(*v) * f + weight * f64::from(x)) as f32;
        }
        p.weight_sum = p.weight_sum * f + weight.abs();
        p.anchor = at;
    } else {
        let f = decay(at, p.anchor, half_life);
        for (v, &x) in p.vector.iter_mut().zip(embedding) {
            *v = (f64::from(*v) + weight * f * f64::from(x)) as f32;
        }
        p.weight_sum += weight.abs() * f;
    }
    p.event_count += 1;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decays_by_half_per_half_life_in_either_order() {
        let h = Duration::from_secs(10);
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap();
        let t1 = DateTime::from_timestamp(1_010, 0).unwrap();
        // In order: 1·[1,0] decayed one half-life, plus −1·[0,1].
        let p = add(None, &[1.0, 0.0], 1.0, t0, h);
        let p = add(Some(p), &[0.0, 1.0], -1.0, t1, h);
        assert_eq!(p.vector, [0.5, -1.0]);
        assert_eq!((p.weight_sum, p.event_count, p.anchor), (1.5, 2, t1));
        // Out of order gives the same sum at the same anchor.
        let q = add(None, &[0.0, 1.0], -1.0, t1, h);
        let q = add(Some(q), &[1.0, 0.0], 1.0, t0, h);
        assert_eq!(q, p);
    }
}
