//! `GET /status`: one server-rendered HTML page for operators — coverage per model, jobs by
//! state with the dead-letter reasons, failure rate, spend today against the budget, cache hit
//! rates, search volume and latency — with no external assets (the pod has no internet) and a
//! refresh every 15 seconds. The figures are the ones the tools report (`embedding_status`,
//! `search_stats`) and the caches' own counters.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use crate::Result;
use crate::app::App;
use crate::pipeline::status::embedding_status;
use crate::store::queries;

/// Seconds between refreshes.
const REFRESH_SECS: u32 = 15;

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn rate(hits: u64, misses: u64) -> String {
    match hits + misses {
        0 => "no lookups yet".to_string(),
        n => format!("{} of {n}", pct(hits as f64 / n as f64)),
    }
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}\
    h1{font-size:20px}h2{font-size:16px;margin-top:28px}\
    table{border-collapse:collapse;margin:8px 0}td,th{padding:4px 10px;border-bottom:1px solid #dde;text-align:right}\
    th:first-child,td:first-child{text-align:left}.alert{color:#a11;font-weight:600}\
    .muted{color:#667}";

/// The page.
pub async fn render(app: &App) -> Result<String> {
    let status = embedding_status(app).await?;
    let search = queries::stats(&app.heavy, 24).await?;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">\
         <title>giftvec status</title><style>{STYLE}</style></head><body>\
         <h1>giftvec status</h1><p class=\"muted\">version {} · serving model <b id=\"active-model\">{}</b> · \
         refreshes every {REFRESH_SECS} s</p>",
        env!("CARGO_PKG_VERSION"),
        esc(&app.model.name)
    );
    if !status.alerts.is_empty() {
        h.push_str("<h2>Alerts</h2><ul id=\"alerts\">");
        for a in &status.alerts {
            let _ = write!(h, "<li class=\"alert\">{}</li>", esc(a));
        }
        h.push_str("</ul>");
    }
    h.push_str(
        "<h2>Embeddings</h2><table id=\"models\"><tr><th>model</th><th>active</th>\
         <th>coverage</th><th>embedded</th><th>pending</th><th>running</th><th>failed</th>\
         <th>dead</th><th>failure rate (1 h)</th><th>oldest pending</th></tr>",
    );
    for m in &status.models {
        let _ = write!(
            h,
            "<tr data-model=\"{model}\"><td>{model}</td><td>{}</td><td class=\"coverage\">{}</td>\
             <td>{} / {}</td><td class=\"pending\">{}</td><td>{}</td><td>{}</td>\
             <td class=\"dead\">{}</td><td>{}</td><td>{}</td></tr>",
            if m.active { "yes" } else { "" },
            pct(m.coverage),
            m.embedded,
            m.products,
            m.pending,
            m.running,
            m.failed,
            m.dead,
            pct(m.failure_rate_1h),
            m.oldest_pending_secs
                .map_or("—".to_string(), |s| format!("{s:.0} s")),
            model = esc(&m.model),
        );
    }
    h.push_str("</table>");
    let letters: Vec<_> = status
        .models
        .iter()
        .flat_map(|m| m.dead_letters.iter().map(move |d| (m, d)))
        .collect();
    if !letters.is_empty() {
        h.push_str(
            "<h2>Dead letters</h2><table id=\"dead-letters\"><tr><th>model</th><th>product</th>\
             <th>last error</th></tr>",
        );
        for (m, d) in letters {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
                esc(&m.model),
                esc(&d.product_id),
                esc(&d.error)
            );
        }
        h.push_str("</table><p class=\"muted\">Fix the cause, then <code>giftvec replay-dead-jobs</code>.</p>");
    }
    let budget = status
        .daily_budget_usd
        .map_or("no daily budget".to_string(), |b| {
            format!("of ${b:.2} ({})", pct(status.spent_today_usd / b.max(1e-9)))
        });
    let _ = write!(
        h,
        "<h2>Spend</h2><p id=\"spend\">Today (UTC): <b>${:.4}</b> {}</p>",
        status.spent_today_usd,
        esc(&budget)
    );
    let c = app.embedder.cache_counters();
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let _ = write!(
        h,
        "<h2>Caches</h2><table id=\"caches\"><tr><th>cache</th><th>hit rate</th></tr>\
         <tr><td>embeddings, in process (L1)</td><td class=\"l1\">{}</td></tr>\
         <tr><td>embeddings, Redis (L2)</td><td class=\"l2\">{}</td></tr>\
         <tr><td>tool results</td><td class=\"results\">{} entries held</td></tr></table>",
        rate(load(&c.l1_hits), load(&c.l1_misses)),
        if app.embedder.has_redis_cache() {
            rate(load(&c.l2_hits), load(&c.l2_misses))
        } else {
            "not configured (GIFTVEC_REDIS_URL)".to_string()
        },
        app.results.entry_count().await,
    );
    let ms = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1} ms"));
    let _ = write!(
        h,
        "<h2>Search (last 24 h)</h2><table id=\"search\"><tr><th>searches</th>\
         <th>zero results</th><th>p50</th><th>p95</th></tr><tr><td class=\"searches\">{}</td>\
         <td>{}</td><td>{}</td><td class=\"p95\">{}</td></tr></table>",
        search.searches,
        pct(search.zero_result_rate),
        ms(search.p50_latency_ms),
        ms(search.p95_latency_ms),
    );
    h.push_str(
        "<p class=\"muted\">Raw figures: <code>/metrics</code> (Prometheus), \
         <code>giftvec status</code>; what to do about an alert: docs/runbook.md.</p></body></html>",
    );
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
