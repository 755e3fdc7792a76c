//! Splitting inputs into provider calls.

use super::provider::{ModelInfo, Prepared};

/// Groups input indexes into batches within the provider's limits (inputs and tokens per
/// request). Inputs are taken shortest first, so that each batch holds inputs of similar
/// length: little padding for the local model, no cost for a remote one. When the provider
/// asks to `spread`, batches are also cut small enough to keep `concurrency` calls busy.
pub fn batches(prepared: &[Prepared], info: &ModelInfo, concurrency: usize) -> Vec<Vec<usize>> {
    let max_inputs = if info.spread {
        prepared
            .len()
            .div_ceil(concurrency.max(1))
            .clamp(1, info.max_batch_inputs)
    } else {
        info.max_batch_inputs
    };
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    order.sort_by_key(|&i| prepared[i].tokens);
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut tokens = 0;
    for i in order {
        let t = prepared[i].tokens;
        let full = current.len() >= max_inputs || tokens + t > info.max_batch_tokens;
        if full && !current.is_empty() {
            batches.push(std::mem::take(&mut current));
            tokens = 0;
        }
        current.push(i);
        tokens += t;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Provider;

    fn info(inputs: usize, tokens: usize) -> ModelInfo {
        ModelInfo {
            name: "m".into(),
            provider: Provider::Openai,
            dimensions: 3,
            max_input_tokens: 100,
            max_batch_inputs: inputs,
            max_batch_tokens: tokens,
            usd_per_million_tokens: 0.0,
            spread: false,
        }
    }

    fn prepared(tokens: &[usize]) -> Vec<Prepared> {
        tokens
            .iter()
            .map(|&t| Prepared {
                text: "x".repeat(t),
                tokens: t,
                truncated: false,
            })
            .collect()
    }

    #[test]
    fn respects_input_and_token_limits_and_covers_every_input_once() {
        let p = prepared(&[5, 50, 3, 40, 40, 7, 1]);
        let batches = batches(&p, &info(3, 60), 4);
        for batch in &batches {
            assert!(batch.len() <= 3);
            assert!(batch.iter().map(|&i| p[i].tokens).sum::<usize>() <= 60);
        }
        let mut all: Vec<usize> = batches.concat();
        all.sort();
        assert_eq!(all, (0..p.len()).collect::<Vec<_>>());
        assert_eq!(batches[0], vec![6, 2, 0], "shortest first");
    }

    #[test]
    fn an_input_larger_than_the_token_budget_still_gets_its_own_batch() {
        let p = prepared(&[80, 10]);
        assert_eq!(batches(&p, &info(10, 60), 1), vec![vec![1], vec![0]]);
    }

    #[test]
    fn spreading_keeps_every_call_slot_busy() {
        let p = prepared(&[1, 2, 3, 4, 5, 6, 7]);
        let mut spread = info(32, 1000);
        spread.spread = true;
        let batches = batches(&p, &spread, 2);
        assert_eq!(batches, vec![vec![0, 1, 2, 3], vec![4, 5, 6]]);
        assert_eq!(
            super::batches(&p, &info(32, 1000), 2).len(),
            1,
            "no spreading unless asked"
        );
    }
}
