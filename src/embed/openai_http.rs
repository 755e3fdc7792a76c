//! The HTTP leg of the OpenAI provider: a tower service that keeps each failure's status and
//! `Retry-After`, and the mapping of failures to [`ProviderError`]s.

use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;

use super::provider::ProviderError;

/// A non-2xx answer, kept whole so the retry policy can read it.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {message}")]
struct HttpFailure {
    status: u16,
    retry_after: Option<Duration>,
    message: String,
}

pub(super) async fn send(
    http: &reqwest::Client,
    factory: HttpRequestFactory,
) -> Result<reqwest::Response, OpenAIError> {
    let request = factory.build().await?;
    let response = http.execute(request).await.map_err(OpenAIError::Reqwest)?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let body = response.text().await.unwrap_or_default();
    Err(OpenAIError::Boxed(Box::new(HttpFailure {
        status: status.as_u16(),
        retry_after,
        message: error_message(&body),
    })))
}

/// `retry-after-ms` (OpenAI) or `Retry-After` in seconds.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    header("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
        .or_else(|| header("retry-after").map(|s| Duration::from_secs_f64(s.max(0.0))))
}

/// The `error.message` of an OpenAI error body, or the start of whatever came back.
fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

pub(super) fn classify(err: OpenAIError, timeout_hint: Duration) -> ProviderError {
    match err {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpFailure>() {
            Ok(failure) => match failure.status {
                429 => ProviderError::RateLimited {
                    retry_after: failure.retry_after,
                },
                401 | 403 => ProviderError::Unauthorized {
                    status: failure.status,
                    message: failure.message,
                },
                s if s >= 500 => ProviderError::Server {
                    status: s,
                    message: failure.message,
                },
                s => ProviderError::Rejected {
                    status: s,
                    message: failure.message,
                },
            },
            Err(other) => ProviderError::Unreachable(other.to_string()),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => ProviderError::Timeout(timeout_hint),
        OpenAIError::Reqwest(e) => ProviderError::Unreachable(e.to_string()),
        OpenAIError::JSONDeserialize(e, _) => ProviderError::InvalidResponse(e.to_string()),
        other => ProviderError::InvalidResponse(other.to_string()),
    }
}
