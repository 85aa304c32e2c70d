//! The output schema: one [`Annotation`] per article, one JSON object a line.
//!
//! Offsets are Unicode scalar values (Python `str` indices), `end` exclusive.

use serde::{Deserialize, Serialize};

use crate::input::Meta;

/// Sentiment as three probabilities and a score in [-1, 1] (positive minus negative).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sentiment {
    /// `negative`, `neutral` or `positive`: the most probable class.
    pub label: String,
    /// P(positive) - P(negative).
    pub score: f64,
    /// Class probabilities.
    pub probabilities: Probabilities,
}

/// Probabilities of the three sentiment classes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Default)]
pub struct Probabilities {
    /// P(negative).
    pub negative: f64,
    /// P(neutral).
    pub neutral: f64,
    /// P(positive).
    pub positive: f64,
}

/// One sentence of article content.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SentenceAnnotation {
    /// First char.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
    /// `text[start..end]`: the sentence itself.
    pub text: String,
    /// The sentence's tone.
    pub sentiment: Sentiment,
}

/// One mention of an entity.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mention {
    /// First char.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
    /// `text[start..end]`.
    pub text: String,
    /// `PER`, `ORG`, `LOC` or `MISC` (the model's label set).
    pub label: String,
    /// Mean model probability of the mention's tags.
    pub score: f64,
    /// Index of the sentence that holds the mention (in `sentences`).
    pub sentence: usize,
    /// Sentiment score towards the entity in this mention's sentence (-1 to 1).
    pub sentiment: f64,
}

/// An entity: the mentions of one person, organisation or place within an article.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entity {
    /// Canonical name (the fullest mention).
    pub text: String,
    /// Label decided from all mentions.
    pub label: String,
    /// Share of the article's entity weight, early mentions counting more (sums to 1).
    pub salience: f64,
    /// Number of mentions.
    pub count: usize,
    /// Sentiment towards the entity, read from the sentences that mention it.
    pub sentiment: Sentiment,
    /// Every mention, in text order.
    pub mentions: Vec<Mention>,
    /// The per-sentence results behind `sentiment` (for the evaluator; not written).
    #[serde(skip)]
    pub evidence: Vec<Probabilities>,
}

/// A line recognised as site chrome and left out of annotation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChromeLine {
    /// First char.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
    /// The line.
    pub text: String,
}

/// Models and conventions behind an annotation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunMeta {
    /// `name@version` of each model.
    pub models: Models,
    /// Always `char`: offsets count Unicode scalar values.
    pub offsets: String,
    /// How entity sentiment was computed: `targeted` or `sentence`.
    pub entity_sentiment: String,
}

/// The models used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Models {
    /// NER model.
    pub ner: String,
    /// Sentence sentiment model.
    pub sentiment: String,
    /// Targeted (entity) sentiment model, when entity sentiment is targeted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeted: Option<String>,
}

/// Everything newslens says about one article: one line of the output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Annotation {
    /// The article id.
    pub id: String,
    /// Input metadata (source, title, date, url, other fields).
    #[serde(flatten)]
    pub meta: Meta,
    /// Length of the text in chars.
    pub chars: usize,
    /// The first 16 hex digits of the MD5 of the text's UTF-8 bytes: `--resume` checks that a
    /// record still belongs to the text given for its id.
    #[serde(default)]
    pub text_hash: String,
    /// The article's tone, from its sentences weighted by length.
    pub sentiment: Sentiment,
    /// Content sentences.
    pub sentences: Vec<SentenceAnnotation>,
    /// Entities, most salient first.
    pub entities: Vec<Entity>,
    /// Site-chrome lines, left out.
    pub chrome: Vec<ChromeLine>,
    /// Models and conventions.
    #[serde(rename = "meta")]
    pub run: RunMeta,
}

/// The `text_hash` of a text.
pub fn text_hash(text: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
