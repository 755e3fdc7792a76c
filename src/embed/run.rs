//! One computation: budget, token counting, batching, guarded provider calls, validation,
//! accounting and caching.

use super::embedder::{Computed, Failure, Inner};
use super::provider::{ModelInfo, Prepared, ProviderBatch, ProviderError};
use super::resilience::CallError;
use super::{CacheKey, CachedEmbedding, plan};
use crate::Error;
use crate::observe::names;
use crate::store::Embedding;
use crate::store::usage::UsageDelta;

use std::collections::HashMap;
use std::sync::Arc;

impl Inner {
    pub(super) async fn run(&self, texts: Vec<(CacheKey, String)>) -> Result<Computed, Failure> {
        let info = self.provider.info();
        let prepared: Vec<Prepared> = texts
            .iter()
            .map(|(_, t)| self.provider.prepare(t))
            .collect();
        let tokens: usize = prepared.iter().map(|p| p.tokens).sum();
        self.budget
            .check(info, info.cost(tokens as u64))
            .await
            .map_err(|e| Failure::Budget(e.to_string()))?;
        let batches = plan::batches(&prepared, info, self.concurrency);
        let calls = batches.iter().map(|indexes| self.call(indexes, &prepared));
        let outcomes = futures::future::join_all(calls).await;
        let mut computed = HashMap::new();
        let mut first_failure = None;
        for (indexes, outcome) in batches.iter().zip(outcomes) {
            match outcome {
                Ok(vectors) => {
                    for (&i, vector) in indexes.iter().zip(vectors) {
                        let entry = CachedEmbedding {
                            vector: vector.into(),
                            tokens: prepared[i].tokens as u32,
                            truncated: prepared[i].truncated,
                        };
                        computed.insert(texts[i].0.clone(), entry);
                    }
                }
                Err(failure) => {
                    first_failure.get_or_insert(failure);
                }
            }
        }
        let entries: Vec<(CacheKey, CachedEmbedding)> = computed
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.cache.put_many(&entries).await;
        match first_failure {
            Some(failure) => Err(failure),
            None => Ok(Arc::new(computed)),
        }
    }

    /// One provider call for the inputs at `indexes`, validated and accounted.
    async fn call(
        &self,
        indexes: &[usize],
        prepared: &[Prepared],
    ) -> Result<Vec<Vec<f32>>, Failure> {
        let info = self.provider.info();
        let texts: Vec<String> = indexes.iter().map(|&i| prepared[i].text.clone()).collect();
        let tokens: usize = indexes.iter().map(|&i| prepared[i].tokens).sum();
        let _slot = self
            .calls
            .acquire()
            .await
            .map_err(|e| Failure::Internal(e.to_string()))?;
        let started = std::time::Instant::now();
        let outcome = self
            .guard
            .call(self.provider.as_ref(), texts, tokens)
            .await
            .and_then(|batch| validate(info, batch, indexes.len()).map_err(CallError::Provider));
        let (model, provider) = (info.name.to_string(), info.provider.as_str());
        match &outcome {
            Ok(batch) => {
                let labels = [("model", model), ("provider", provider.to_string())];
                metrics::counter!(names::EMBEDDING_REQUESTS, &labels).increment(1);
                metrics::counter!(names::EMBEDDING_TOKENS, &labels).increment(batch.tokens);
                metrics::gauge!(names::EMBEDDING_COST, &labels).increment(info.cost(batch.tokens));
                metrics::histogram!(names::EMBEDDING_REQUEST_DURATION, &labels)
                    .record(started.elapsed().as_secs_f64());
            }
            Err(err) => {
                let reason = match err {
                    CallError::CircuitOpen(_) => "circuit_open",
                    CallError::Provider(p) => p.kind(),
                };
                metrics::counter!(names::EMBEDDING_FAILURES, "model" => model,
                    "provider" => provider, "reason" => reason)
                .increment(1);
            }
        }
        match outcome {
            Ok(batch) => {
                let delta = UsageDelta {
                    requests: 1,
                    tokens: batch.tokens as i64,
                    cost_usd: info.cost(batch.tokens),
                    failures: 0,
                };
                self.budget.record(info, delta);
                Ok(batch.vectors)
            }
            Err(err) => {
                self.budget.record(
                    info,
                    UsageDelta {
                        failures: 1,
                        ..UsageDelta::default()
                    },
                );
                Err(match err {
                    CallError::CircuitOpen(wait) => Failure::Circuit(wait),
                    CallError::Provider(p) => Failure::Provider(p),
                })
            }
        }
    }

    pub(super) fn error(&self, failure: Failure) -> Error {
        let provider = self.provider.info().provider.as_str();
        match failure {
            Failure::Budget(message) => Error::BudgetExceeded(message),
            Failure::Circuit(wait) => Error::Upstream(format!(
                "the {provider} embedding provider is failing and calls are paused for {}s \
                 (circuit open); retry later, or use keyword search",
                wait.as_secs().max(1)
            )),
            Failure::Provider(ProviderError::Rejected { message, .. }) => Error::invalid(
                "texts",
                format!("the {provider} embedding provider rejected the input: {message}"),
            ),
            Failure::Provider(err @ ProviderError::Unauthorized { .. }) => Error::Setup(format!(
                "{err}; check OPENAI_API_KEY (and GIFTVEC_OPENAI_BASE_URL)"
            )),
            Failure::Provider(err) => Error::Upstream(format!(
                "the {provider} embedding provider is unavailable: {err}"
            )),
            Failure::Internal(message) => Error::Internal(message.into()),
        }
    }
}

/// Checks a provider's answer: one vector per input, each of the model's dimension, finite
/// and non-zero. A bad vector fails the whole batch: nothing of it is cached or stored.
fn validate(
    info: &ModelInfo,
    batch: ProviderBatch,
    expected: usize,
) -> Result<ProviderBatch, ProviderError> {
    if batch.vectors.len() != expected {
        return Err(ProviderError::InvalidResponse(format!(
            "{} vectors for {expected} inputs",
            batch.vectors.len()
        )));
    }
    for (i, vector) in batch.vectors.iter().enumerate() {
        Embedding::check(vector, info.dimensions).map_err(|e| {
            ProviderError::InvalidResponse(format!(
                "input {i}: {e} (model {}, {} dimensions)",
                info.name, info.dimensions
            ))
        })?;
    }
    Ok(batch)
}
