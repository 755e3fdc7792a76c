//! The one error type. Each kind has a stable snake_case [`Error::code`] that transports pass
//! on to clients; messages are written for the caller (often a language model) and never carry
//! SQL text or other internals — those are logged where the error is created.

use std::borrow::Cow;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in giftvec, by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent something unusable; `field` names the input and `message` the limit.
    #[error("{field}: {message}")]
    InvalidInput {
        /// The input field at fault, as the caller spells it.
        field: Cow<'static, str>,
        /// What is wrong and what would be accepted.
        message: String,
    },
    /// A referenced thing does not exist; the message names it.
    #[error("{0}")]
    NotFound(String),
    /// A well-formed argument names nothing there is (a category no product has, a recipient
    /// id that is not this user's): code `not_found`, with the field.
    #[error("{field}: {message}")]
    Unknown {
        /// The input field at fault, as the caller spells it.
        field: Cow<'static, str>,
        /// What it names that does not exist, and what does.
        message: String,
    },
    /// The database schema is older than this build; the message names the fix.
    #[error("the database schema is not current ({0}); run `giftvec migrate`")]
    NotMigrated(String),
    /// The environment is not set up (extension missing, bad configuration); the message says
    /// how to fix it.
    #[error("{0}")]
    Setup(String),
    /// An upstream service (the embedding provider) cannot serve now; the message says when to
    /// retry or what still works.
    #[error("{0}")]
    Upstream(String),
    /// The daily embedding budget is spent; paid calls resume tomorrow (UTC) or when raised.
    #[error("{0}")]
    BudgetExceeded(String),
    /// The database did not answer within the allowed time.
    #[error("the database did not answer in time")]
    Timeout,
    /// No database connection was free in time.
    #[error("giftvec is busy; retry shortly")]
    Busy,
    /// This caller made more calls than its scope allows per second.
    #[error(
        "too many calls: this caller may make {per_second} per second (bursts of {burst}); \
         retry in {retry_after_ms} ms"
    )]
    RateLimited {
        /// Calls per second the caller's scope allows.
        per_second: u32,
        /// Calls the caller may make at once after a pause.
        burst: u32,
        /// When the next call will be admitted.
        retry_after_ms: u64,
    },
    /// A fault on our side; details are in the log, not in the message.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotFound(_) | Error::Unknown { .. } => "not_found",
            Error::NotMigrated(_) | Error::Setup(_) => "not_ready",
            Error::Upstream(_) => "upstream_unavailable",
            Error::BudgetExceeded(_) => "budget_exceeded",
            Error::Timeout => "timeout",
            Error::Busy => "busy",
            Error::RateLimited { .. } => "rate_limited",
            Error::Internal(_) => "internal",
        }
    }

    /// The message the caller reads: the error's own text (at most [`MESSAGE_MAX`]
    /// characters), or "internal error" for our faults (whose details go to the log only).
    pub fn public_message(&self) -> String {
        match self {
            Error::Internal(_) => "internal error; the call did not complete".to_string(),
            other => bounded(&other.to_string(), MESSAGE_MAX).into_owned(),
        }
    }

    /// The input field at fault, for [`Error::InvalidInput`] and [`Error::Unknown`].
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { field, .. } | Error::Unknown { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Whether the same call may succeed if retried unchanged later.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Error::Upstream(_)
                | Error::Timeout
                | Error::Busy
                | Error::RateLimited { .. }
                | Error::NotMigrated(_)
        )
    }

    /// What the caller (often a model) should do next, in one sentence.
    pub fn next_step(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => {
                "Change the named argument as the message says, then call again."
            }
            Error::NotFound(_) | Error::Unknown { .. } => {
                "Use an id returned by an earlier result (search_products finds products), or \
                 create the thing first."
            }
            Error::NotMigrated(_) | Error::Setup(_) => {
                "giftvec is not set up yet; tell the user the catalog is unavailable and try \
                 again later."
            }
            Error::Upstream(_) => {
                "Retry in a few seconds; if it keeps failing, tell the user the catalog is \
                 unavailable for now."
            }
            Error::BudgetExceeded(_) => {
                "Use search_products with mode \"keyword\", which needs no embedding, until the \
                 budget resets."
            }
            Error::Timeout => "Retry once, with a smaller limit or a shorter request.",
            Error::Busy => "Retry in a second.",
            Error::RateLimited { .. } => {
                "Wait as long as the message says, then retry; ask for more per call (a larger \
                 limit, several ids at once) instead of many small calls."
            }
            Error::Internal(_) => "Retry once; if it fails again, continue without this tool.",
        }
    }

    /// The error as callers see it: `{code, message, field?, retryable, next_step}`. MCP
    /// results, REST bodies and JSON-RPC `data` are built from it.
    pub fn to_body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "code": self.code(),
            "message": self.public_message(),
            "retryable": self.retryable(),
            "next_step": self.next_step(),
        });
        if let Some(field) = self.field() {
            body["field"] = field.into();
        }
        body
    }

    /// Whether the caller can fix it (bad input, unknown id) rather than a fault of giftvec or
    /// what it depends on.
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            Error::InvalidInput { .. } | Error::NotFound(_) | Error::Unknown { .. }
        )
    }

    /// An [`Error::NotFound`] for the `what` (e.g. "product") called `id` (shown up to
    /// [`ECHO_MAX`] characters).
    pub fn not_found(what: &str, id: &str) -> Self {
        Error::NotFound(format!("{what} {:?} was not found", bounded(id, ECHO_MAX)))
    }

    /// An [`Error::Unknown`] for `field` (its message bounded like [`Error::invalid`]'s).
    pub fn unknown(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        match Error::invalid(field, message) {
            Error::InvalidInput { field, message } => Error::Unknown { field, message },
            other => other,
        }
    }

    /// An [`Error::InvalidInput`] for `field`. A field name longer than [`ECHO_MAX`] (an
    /// unknown argument's name is the caller's text) and a message longer than
    /// [`MESSAGE_MAX`] are cut, so no caller input is echoed whole into answers or logs.
    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        let field = field.into();
        let field = match bounded(&field, ECHO_MAX) {
            Cow::Borrowed(_) => field,
            Cow::Owned(cut) => Cow::Owned(cut),
        };
        let message = message.into();
        let message = match bounded(&message, MESSAGE_MAX) {
            Cow::Borrowed(_) => message,
            Cow::Owned(cut) => cut,
        };
        Error::InvalidInput { field, message }
    }
}

/// How much of a caller's value (an id, a field name) an error repeats.
pub const ECHO_MAX: usize = 200;

/// The longest message an error carries (ours are far shorter; the bound is for the caller
/// text some of them quote).
pub const MESSAGE_MAX: usize = 600;

/// `text` when it has at most `max` characters, else its first `max` and how long it was.
pub fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!(
            "{}… ({} characters in all)",
            &text[..end],
            text.chars().count()
        )),
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        crate::store::classify(err)
    }
}

impl From<crate::store::EmbeddingError> for Error {
    fn from(err: crate::store::EmbeddingError) -> Self {
        Error::invalid("embedding", err.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Internal(Box::new(err))
    }
}
