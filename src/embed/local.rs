//! all-MiniLM-L6-v2 run in-process with candle: BERT forward pass, mean pooling over the
//! attention mask, L2 normalisation — the same recipe as sentence-transformers, so the
//! vectors match its (checked against reference vectors in the tests).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use futures::future::BoxFuture;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

use super::provider::{EmbeddingProvider, ModelInfo, Prepared, ProviderBatch, ProviderError};
use crate::Error;
use crate::store::Provider;

/// Registry name of the local model.
pub const LOCAL_MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// Inputs per forward pass: large enough to amortise the per-call overhead, small enough that
/// padding to the longest input stays cheap (batches are formed from length-sorted inputs).
const BATCH_INPUTS: usize = 32;

/// Forward passes in flight by default: one per core. Each pass runs its matrix products on
/// its own thread (giftvec sets `RAYON_NUM_THREADS=1`), which on two cores gives about 1.6×
/// the throughput of one pass spread over both cores.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The default model directory: `$XDG_CACHE_HOME/giftvec/models/all-MiniLM-L6-v2`
/// (`~/.cache/...` without XDG), where `tools/fetch-model` puts it.
pub fn default_model_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("giftvec/models").join(LOCAL_MODEL_NAME)
}

/// The in-process MiniLM model.
pub struct LocalProvider {
    inner: Arc<Model>,
    info: ModelInfo,
}

struct Model {
    bert: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

#[derive(serde::Deserialize)]
struct SentenceBertConfig {
    max_seq_length: usize,
}

impl LocalProvider {
    /// Loads weights and tokenizer from `dir` (Hugging Face layout: `config.json`,
    /// `model.safetensors`, `tokenizer.json`).
    pub fn load(dir: &Path) -> Result<Self, Error> {
        for file in ["config.json", "model.safetensors", "tokenizer.json"] {
            if !dir.join(file).is_file() {
                return Err(Error::Setup(format!(
                    "the local embedding model is not in {} ({file} is missing): run \
                     tools/fetch-model, or point GIFTVEC_MODEL_DIR at a directory holding \
                     all-MiniLM-L6-v2",
                    dir.display()
                )));
            }
        }
        let setup = |what: &str, err: &dyn std::fmt::Display| {
            Error::Setup(format!(
                "cannot load the local model from {}: {what}: {err}",
                dir.display()
            ))
        };
        let config: BertConfig =
            read_json(&dir.join("config.json")).map_err(|e| setup("config.json", &e))?;
        let max_seq_length =
            read_json::<SentenceBertConfig>(&dir.join("sentence_bert_config.json"))
                .map(|c| c.max_seq_length)
                .unwrap_or(256)
                .min(config.max_position_embeddings);
        let weights =
            std::fs::read(dir.join("model.safetensors")).map_err(|e| setup("weights", &e))?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| setup("weights", &e))?;
        let bert = BertModel::load(vb, &config).map_err(|e| setup("weights", &e))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| setup("tokenizer.json", &e))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_seq_length,
                ..Default::default()
            }))
            .map_err(|e| setup("tokenizer.json", &e))?;
        let info = ModelInfo {
            name: LOCAL_MODEL_NAME.into(),
            provider: Provider::Local,
            dimensions: config.hidden_size,
            max_input_tokens: max_seq_length,
            max_batch_inputs: BATCH_INPUTS,
            max_batch_tokens: BATCH_INPUTS * max_seq_length,
            usd_per_million_tokens: 0.0,
            spread: true,
        };
        Ok(Self {
            inner: Arc::new(Model {
                bert,
                tokenizer,
                device,
            }),
            info,
        })
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

impl EmbeddingProvider for LocalProvider {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn prepare(&self, text: &str) -> Prepared {
        match self.inner.tokenizer.encode(text, true) {
            Ok(encoding) => Prepared {
                text: text.to_string(),
                tokens: encoding.len(),
                truncated: !encoding.get_overflowing().is_empty(),
            },
            // Tokenising plain text does not fail in practice; count by characters if it does
            // and let `embed` report the error.
            Err(_) => Prepared {
                text: text.to_string(),
                tokens: text.chars().count(),
                truncated: false,
            },
        }
    }

    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<ProviderBatch, ProviderError>> {
        let model = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || model.embed(&texts))
                .await
                .map_err(|e| ProviderError::Local(e.to_string()))?
        })
    }
}

impl Model {
    fn embed(&self, texts: &[String]) -> Result<ProviderBatch, ProviderError> {
        let local = |e: &dyn std::fmt::Display| ProviderError::Local(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| local(&e))?;
        let tokens = encodings.iter().map(|e| e.len() as u64).sum();
        let (ids, mask) = self.padded(&encodings).map_err(|e| local(&e))?;
        let type_ids = ids.zeros_like().map_err(|e| local(&e))?;
        let hidden = self
            .bert
            .forward(&ids, &type_ids, Some(&mask))
            .map_err(|e| local(&e))?;
        let pooled = mean_pool(&hidden, &mask).map_err(|e| local(&e))?;
        let vectors = pooled.to_vec2::<f32>().map_err(|e| local(&e))?;
        Ok(ProviderBatch { vectors, tokens })
    }

    /// Token ids and attention mask, padded with zeros to the longest input.
    fn padded(&self, encodings: &[Encoding]) -> candle_core::Result<(Tensor, Tensor)> {
        let width = encodings.iter().map(Encoding::len).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(encodings.len() * width);
        let mut mask = Vec::with_capacity(encodings.len() * width);
        for encoding in encodings {
            let pad = width - encoding.len();
            ids.extend_from_slice(encoding.get_ids());
            ids.extend(std::iter::repeat_n(0u32, pad));
            mask.extend(std::iter::repeat_n(1u32, encoding.len()));
            mask.extend(std::iter::repeat_n(0u32, pad));
        }
        let shape = (encodings.len(), width);
        Ok((
            Tensor::from_vec(ids, shape, &self.device)?,
            Tensor::from_vec(mask, shape, &self.device)?,
        ))
    }
}

/// Mean of the token vectors where the mask is 1, then scaled to unit length.
fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    mean.broadcast_div(&norms)
}
