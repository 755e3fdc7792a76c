//! Recommendations: shopper events and the preference vectors they build, recipient profiles,
//! the gift recommender with its score, explanations, diversity, exploration and experiments.

pub mod diversity;
pub mod events;
pub mod experiments;
pub mod explain;
pub mod exploration;
pub mod gifts;
pub mod preference;
pub mod reasons;
pub mod recipients;
pub mod scoring;
pub mod signals;

pub use preference::{Preference, PreferenceSettings};
pub use scoring::RecommendSettings;
