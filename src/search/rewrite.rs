//! Rewrites of a search request by an OpenAI-compatible chat model: a few short alternative
//! product-search queries that say the same need in other words ("dad who fishes" → "fishing
//! gear for men", "angler accessories").

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequestArgs,
};
use secrecy::ExposeSecret;

use super::settings::ChatSettings;

/// Longest rewrite kept, in characters.
const MAX_REWRITE_CHARS: usize = 200;

fn instructions(max: usize) -> String {
    format!(
        "You rewrite gift-shop search requests. Given a request, reply with up to {max} \
         alternative search queries for the same need, one per line, each a few words naming \
         kinds of products or interests. No numbering, no quotes, nothing else."
    )
}

/// Asks the chat model for rewrites of `query`; an error when it does not answer in time.
pub async fn rewrites(settings: &ChatSettings, query: &str) -> Result<Vec<String>, String> {
    let mut config = OpenAIConfig::new().with_api_base(&settings.base_url);
    if let Some(key) = &settings.api_key {
        config = config.with_api_key(key.expose_secret());
    }
    let client = Client::with_config(config);
    let request = CreateChatCompletionRequestArgs::default()
        .model(&settings.model)
        .temperature(0.2)
        .max_completion_tokens(120_u32)
        .messages([
            ChatCompletionRequestSystemMessage::from(instructions(settings.max_rewrites).as_str())
                .into(),
            ChatCompletionRequestUserMessage::from(query).into(),
        ])
        .build()
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(settings.timeout, client.chat().create(request))
        .await
        .map_err(|_| format!("no answer within {} ms", settings.timeout.as_millis()))?
        .map_err(|e| e.to_string())?;
    let text = response
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .unwrap_or_default();
    Ok(parse(&text, query, settings.max_rewrites))
}

/// The rewrites in a reply: one per line, list markers and quotes stripped, blanks, repeats
/// of the request and overlong lines dropped.
pub fn parse(reply: &str, query: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in reply.lines() {
        let line = line
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || "-*•.) ".contains(c))
            .trim_matches(|c| c == '"' || c == '\'')
            .trim();
        let duplicate = out.iter().any(|o| o.eq_ignore_ascii_case(line));
        if line.is_empty()
            || line.chars().count() > MAX_REWRITE_CHARS
            || line.eq_ignore_ascii_case(query.trim())
            || duplicate
        {
            continue;
        }
        out.push(line.to_string());
        if out.len() == max {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_lines_and_drops_noise() {
        let reply = "1. fishing gear for men\n- \"angler accessories\"\n\nFishing gear for men\n\
                     dad who fishes\nfly tying kit\nextra line";
        assert_eq!(
            parse(reply, "dad who fishes", 3),
            [
                "fishing gear for men",
                "angler accessories",
                "fly tying kit"
            ]
        );
    }
}
