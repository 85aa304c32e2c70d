//! `config.json` of a model directory: labels and how inputs are formed.
//!
//! Reads the newslens fields and falls back to a Hugging Face `config.json` (`id2label`), so a
//! user's exported BERT/DistilBERT/RoBERTa model loads the same way.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::ModelError;

/// What the model is fed as `token_type_ids` (when its graph takes that input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTypes {
    /// Casing classes of each token (the newslens NER models).
    Casing,
    /// 0 for the first segment, 1 for the second (standard BERT).
    Segments,
}

/// What newslens needs to know about a model.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// Model name, reported in the output's `meta.models`.
    pub name: String,
    /// Model version.
    pub version: String,
    /// Output labels, by logit index.
    pub labels: Vec<String>,
    /// Longest input in tokens, special tokens included.
    pub max_length: usize,
    /// How `token_type_ids` are formed.
    pub token_types: TokenTypes,
    /// Markers put around a mention for targeted sentiment, if the model was trained for it.
    pub target_markers: Option<(String, String)>,
    /// Logits are divided by this before the softmax (calibration; 1 when absent).
    pub temperature: f64,
    /// The same for the per-token entity head's mean logits (models with `token_logits`).
    pub target_temperature: f64,
    /// Targeted inputs read this many sentences on each side of the mention's sentence (0: its
    /// sentence alone); the context is cut around the mention when it is too long for the model.
    pub context_sentences: usize,
    /// A person's tone in an article also reads the sentences that refer to them only by a
    /// pronoun (he, she, ...) at most this many sentences after they were last named, with the
    /// pronoun marked (targeted models; `None`, the default, reads named mentions only).
    pub pronoun_reach: Option<usize>,
    /// How an entity's tone in an article is read from its mentions (targeted models only).
    pub entity_tone: Option<EntityTone>,
    /// The graph also outputs `token_logits`, a per-token entity head (`"entity_head": "tokens"`).
    pub entity_head: bool,
    /// An NER graph's `token_logits` are a tone head, `[score, negative, neutral, positive]` per
    /// token (`"tone_head": "sentences"`): a sentence's tone is its tokens' logits weighted by the
    /// softmax of their scores, so the NER pass also gives every sentence's tone.
    pub sentence_tone: bool,
    /// The graph's `logits` score every token, and the tone towards a marked mention is read at
    /// its opening marker (`"target_head": "marker"`): one pass marks and scores every mention
    /// of a sentence, where a sequence-classification targeted model needs a pass per mention.
    pub marker_head: bool,
    /// NER decoding weighs the probability of `O` by this (1 when absent): above 1 a word must
    /// be more clearly part of a name to be tagged one (fewer false mentions, a few more missed).
    pub outside_weight: f64,
    /// NER decoding: a mention whose own type has less than this share of its probability takes
    /// the type its name has over the whole article (0, no vote, when absent).
    pub type_vote_below: f64,
    /// NER windows: whole sentences with this many tokens of context on each side (`None`, the
    /// default: fixed windows overlapping by 3/8).
    pub window_margin: Option<usize>,
    /// NER decoding: a full name's last word standing alone and capitalised elsewhere in the
    /// article is that person when the model gives it at least this much PER (`None`: never).
    pub surname_reach: Option<f64>,
}

/// A small calibrated layer: entity tone probabilities = softmax(weights x features + bias),
/// classes negative, neutral, positive; features named in `features` (see `sentiment::entity`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct EntityTone {
    /// Feature names, in the order of each weight row.
    pub features: Vec<String>,
    /// One row per class (negative, neutral, positive).
    pub weights: [Vec<f64>; 3],
    /// One bias per class.
    pub bias: [f64; 3],
}

#[derive(Deserialize)]
struct RawConfig {
    name: Option<String>,
    version: Option<String>,
    labels: Option<Vec<String>>,
    id2label: Option<BTreeMap<String, String>>,
    max_length: Option<usize>,
    max_position_embeddings: Option<usize>,
    token_type_ids: Option<String>,
    target_markers: Option<(String, String)>,
    temperature: Option<f64>,
    target_temperature: Option<f64>,
    context_sentences: Option<usize>,
    pronoun_reach: Option<usize>,
    entity_tone: Option<EntityTone>,
    entity_head: Option<String>,
    outside_weight: Option<f64>,
    type_vote_below: Option<f64>,
    window_margin: Option<usize>,
    surname_reach: Option<f64>,
    target_head: Option<String>,
    tone_head: Option<String>,
    #[serde(rename = "_name_or_path")]
    name_or_path: Option<String>,
}

impl ModelConfig {
    /// Reads `config.json` in `dir`.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join("config.json");
        let err = |message: String| ModelError::File {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| err(format!("cannot read ({e}); a model directory needs model.onnx, tokenizer.json and config.json")))?;
        let raw: RawConfig = serde_json::from_str(&text)
            .map_err(|e| err(format!("not a valid model config: {e}")))?;
        let labels = match (raw.labels, raw.id2label) {
            (Some(l), _) => l,
            (None, Some(map)) => {
                let mut pairs: Vec<(usize, String)> = Vec::new();
                for (k, v) in map {
                    let i = k
                        .parse()
                        .map_err(|_| err(format!("id2label key {k:?} is not a number")))?;
                    pairs.push((i, v));
                }
                pairs.sort();
                if pairs.iter().enumerate().any(|(i, (k, _))| i != *k) {
                    return Err(err(
                        "id2label must number labels 0, 1, 2, ... without gaps".into()
                    ));
                }
                pairs.into_iter().map(|(_, v)| v).collect()
            }
            (None, None) => {
                return Err(err(
                    "no `labels` list (or Hugging Face `id2label`) in the config".into(),
                ))
            }
        };
        if labels.is_empty() {
            return Err(err("the label list is empty".into()));
        }
        let token_types = match raw.token_type_ids.as_deref() {
            Some("casing") => TokenTypes::Casing,
            Some("segments") | Some("zeros") | None => TokenTypes::Segments,
            Some(other) => {
                return Err(err(format!(
                    "token_type_ids {other:?} unknown: use \"casing\" or \"segments\""
                )))
            }
        };
        let temperature = raw.temperature.unwrap_or(1.0);
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(err(format!(
                "temperature {temperature} must be a positive number"
            )));
        }
        let outside_weight = raw.outside_weight.unwrap_or(1.0);
        if !(outside_weight.is_finite() && outside_weight > 0.0) {
            return Err(err(format!(
                "outside_weight {outside_weight} must be a positive number"
            )));
        }
        let type_vote_below = raw.type_vote_below.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&type_vote_below) {
            return Err(err(format!(
                "type_vote_below {type_vote_below} must be a number from 0 to 1"
            )));
        }
        if raw.surname_reach.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
            return Err(err("surname_reach must be a number from 0 to 1".to_string()));
        }
        if let Some(t) = &raw.entity_tone {
            if t.weights.iter().any(|w| w.len() != t.features.len()) {
                return Err(err(
                    "entity_tone: every weight row needs one weight per feature".into(),
                ));
            }
        }
        let marker_head = head("target_head", raw.target_head.as_deref(), "marker").map_err(err)?;
        if marker_head && raw.target_markers.is_none() {
            return Err(err(
                "target_head \"marker\" needs target_markers (the opening and closing marker)"
                    .into(),
            ));
        }
        let fallback_name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(Self {
            name: raw
                .name
                .or(raw.name_or_path)
                .or(fallback_name)
                .unwrap_or_else(|| "model".into()),
            version: raw.version.unwrap_or_else(|| "unversioned".into()),
            labels,
            max_length: raw
                .max_length
                .or(raw.max_position_embeddings)
                .unwrap_or(512)
                .clamp(8, 512),
            token_types,
            target_markers: raw.target_markers,
            temperature,
            target_temperature: raw
                .target_temperature
                .filter(|t| t.is_finite() && *t > 0.0)
                .unwrap_or(1.0),
            context_sentences: raw.context_sentences.unwrap_or(0).min(5),
            pronoun_reach: raw.pronoun_reach.map(|r| r.min(10)),
            entity_tone: raw.entity_tone,
            entity_head: head("entity_head", raw.entity_head.as_deref(), "tokens").map_err(err)?,
            sentence_tone: head("tone_head", raw.tone_head.as_deref(), "sentences").map_err(err)?,
            marker_head,
            outside_weight,
            type_vote_below,
            window_margin: raw.window_margin,
            surname_reach: raw.surname_reach,
        })
    }

    /// `name@version`, as reported in the output.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// An optional head `field` whose only kind is `kind`: absent (false), that kind (true), or an
/// error naming the field.
fn head(field: &str, value: Option<&str>, kind: &str) -> Result<bool, String> {
    match value {
        None => Ok(false),
        Some(v) if v == kind => Ok(true),
        Some(other) => Err(format!(
            "{field} {other:?} unknown: the only kind is {kind:?}"
        )),
    }
}
