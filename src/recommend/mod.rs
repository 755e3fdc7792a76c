//! Recommendations: shopper events and the preference vectors they build.

pub mod events;
pub mod preference;
pub mod recipients;

pub use preference::{Preference, PreferenceSettings};
