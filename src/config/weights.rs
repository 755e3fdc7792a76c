//! `name=weight,name=weight` lists (event weights, score weights).

/// Parses `name=weight` pairs, comma-separated, where each name is one of `names` (called a
/// `what` in errors) and weights are finite numbers, negative ones only when `signed`.
pub fn parse(
    text: &str,
    names: &[&str],
    what: &str,
    signed: bool,
) -> Result<Vec<(String, f64)>, String> {
    let key = what.rsplit(' ').next().unwrap_or(what);
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not {key}=weight"))?;
        let name = name.trim();
        if !names.contains(&name) {
            return Err(format!(
                "unknown {what} {name:?}; they are {}",
                names.join(", ")
            ));
        }
        let weight: f64 = weight
            .trim()
            .parse()
            .ok()
            .filter(|w: &f64| w.is_finite() && (signed || *w >= 0.0))
            .ok_or_else(|| {
                let range = if signed { "" } else { " >= 0" };
                format!("the weight of {name} must be a number{range}")
            })?;
        out.push((name.to_string(), weight));
    }
    Ok(out)
}
