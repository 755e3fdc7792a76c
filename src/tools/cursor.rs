//! Cursor pagination for result lists. A cursor names the position after the last result
//! returned and a fingerprint of the request it belongs to; the next page recomputes the
//! ranking (deterministic: ties broken by id) and continues from that position, so pages
//! neither repeat nor skip results while the catalog is unchanged.

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The form of a cursor, as the OpenAPI document declares it: `c1.<offset>.<fingerprint>`.
pub const PATTERN: &str = "^c1\\.[0-9]{1,10}\\.[0-9a-f]{12}$";

/// How deep pagination may go (results before the page plus the page).
pub const MAX_DEPTH: u32 = 1000;

/// Fingerprint of the request a cursor belongs to (everything but the cursor itself).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fingerprint of a tool call's arguments, all but its `cursor`.
pub fn request_fingerprint(tool: &str, input: &impl serde::Serialize) -> String {
    let mut args = serde_json::to_value(input).unwrap_or_default();
    if let Some(map) = args.as_object_mut() {
        map.remove("cursor");
    }
    fingerprint(&[tool, &args.to_string()])
}

/// The position `cursor` points at (0 without a cursor), checked against the request.
pub fn offset(cursor: Option<&str>, fingerprint: &str, limit: u32) -> Result<u32> {
    let Some(cursor) = cursor else { return Ok(0) };
    let bad = || {
        Error::invalid(
            "cursor",
            "is not a cursor from this tool; pass next_cursor from the previous page unchanged",
        )
    };
    let (offset, print) = cursor
        .strip_prefix("c1.")
        .and_then(|rest| rest.split_once('.'))
        .ok_or_else(bad)?;
    // Any run of digits is a position (a huge one fails the depth check below, not this).
    let offset: u64 = offset.parse().map_err(|_| bad())?;
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    if print != fingerprint {
        // Well-formed but of another search: names no page of this one.
        return Err(Error::unknown(
            "cursor",
            "belongs to a different search (query, filters, mode or limit changed); start again without a cursor",
        ));
    }
    // A forged offset near u32::MAX must not wrap past the check.
    if offset.saturating_add(limit) > MAX_DEPTH {
        return Err(Error::invalid(
            "cursor",
            format!("pages reach only the first {MAX_DEPTH} results; narrow the filters instead"),
        ));
    }
    Ok(offset)
}

/// The cursor of the page after one that ended at `end`, when `more` results may follow.
pub fn next(end: u32, fingerprint: &str, more: bool) -> Option<String> {
    (more && end < MAX_DEPTH).then(|| format!("c1.{end}.{fingerprint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_foreign_cursors() {
        let print = fingerprint(&["search_products", "tea", "10"]);
        let cursor = next(10, &print, true).unwrap();
        assert_eq!(offset(Some(&cursor), &print, 10).unwrap(), 10);
        assert_eq!(offset(None, &print, 10).unwrap(), 0);
        let other = fingerprint(&["search_products", "coffee", "10"]);
        assert!(
            offset(Some(&cursor), &other, 10)
                .unwrap_err()
                .to_string()
                .contains("different search")
        );
        assert!(offset(Some("garbage"), &print, 10).is_err());
        assert!(offset(Some(&format!("c1.995.{print}")), &print, 10).is_err());
        let forged = format!("c1.{}.{print}", u32::MAX - 5);
        assert!(offset(Some(&forged), &print, 10).is_err(), "no wrap-around");
        assert_eq!(next(10, &print, false), None);
    }
}
