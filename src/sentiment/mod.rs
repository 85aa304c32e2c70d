//! Sentiment: the tone of sentences and the sentiment towards marked mentions, from one
//! sequence-classification model; aggregation to articles and entities.

mod context;
pub mod entity;
pub mod pooled;
pub mod pronoun;
mod target;

use crate::model::{Model, ModelError, Piece};
use crate::schema::{Probabilities, Sentiment};
use crate::text::Span;

/// The sentiment stage.
pub struct SentimentModel {
    model: Model,
    /// Logit index of (negative, neutral, positive); neutral may be absent.
    classes: [Option<usize>; 3],
}

/// One model input and what it is for.
#[derive(Debug, Clone)]
pub struct Query {
    /// The input.
    pub piece: Piece,
    /// Weight in its owner's average (tokens covered).
    pub weight: f64,
    /// Byte spans in the text of the piece's content tokens (they follow the leading special
    /// token); empty for marked-mention queries.
    pub spans: Vec<Span>,
    /// For a marker-head model, the token index of each marked mention's opening marker (the
    /// query scores them all); empty otherwise.
    pub marks: Vec<usize>,
}

/// A query's result.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The tone of the query's text.
    pub probabilities: Probabilities,
    /// Per-token entity-head logits, [tokens x labels] flat (empty without that head).
    pub tokens: Vec<f32>,
}

impl SentimentModel {
    /// Wraps a loaded model whose labels name negative / neutral / positive.
    pub fn new(model: Model, dir: &std::path::Path) -> Result<Self, ModelError> {
        let mut classes = [None; 3];
        for (i, label) in model.config.labels.iter().enumerate() {
            let l = label.to_lowercase();
            let slot = if l.starts_with("neg") {
                0
            } else if l.starts_with("neu") {
                1
            } else if l.starts_with("pos") {
                2
            } else {
                continue;
            };
            classes[slot] = Some(i);
        }
        if classes[0].is_none() || classes[2].is_none() {
            return Err(ModelError::File {
                path: dir.join("config.json"),
                message: format!(
                    "sentiment labels {:?} must name negative and positive (and optionally neutral) classes",
                    model.config.labels
                ),
            });
        }
        if let Some(layer) = &model.config.entity_tone {
            entity::check_layer(layer).map_err(|message| ModelError::File {
                path: dir.join("config.json"),
                message,
            })?;
        }
        Ok(SentimentModel { model, classes })
    }

    /// The underlying model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Whether the model was trained for targeted (mention-marked) inputs.
    pub fn targeted(&self) -> bool {
        self.model.config.target_markers.is_some()
    }

    /// Inputs for a sentence; a sentence longer than the model takes is cut into parts.
    pub fn sentence_queries(&self, text: &str, sentence: Span) -> Result<Vec<Query>, ModelError> {
        let room = self.model.config.max_length - self.model.specials();
        let s = sentence.of(text);
        let (piece, spans) = self.model.encode_spanned(s)?;
        let absolute = |spans: &[(usize, usize)], from: usize| -> Vec<Span> {
            let at = sentence.start + from;
            spans
                .iter()
                .map(|&(a, b)| Span::new(at + a, at + b))
                .collect()
        };
        if spans.len() <= room {
            return Ok(vec![Query {
                piece,
                weight: spans.len().max(1) as f64,
                spans: absolute(&spans, 0),
                marks: Vec::new(),
            }]);
        }
        let mut out = Vec::new();
        for chunk in spans.chunks(room) {
            let from = chunk[0].0;
            let (piece, local) = self
                .model
                .encode_spanned(&s[from..chunk[chunk.len() - 1].1])?;
            out.push(Query {
                piece,
                weight: chunk.len() as f64,
                spans: absolute(&local, from),
                marks: Vec::new(),
            });
        }
        Ok(out)
    }

    /// Runs queries batched by length; returns probabilities in query order.
    pub fn classify(
        &self,
        queries: &[&Query],
        batch_size: usize,
    ) -> Result<Vec<Probabilities>, ModelError> {
        Ok(self
            .classify_scored(queries, batch_size)?
            .into_iter()
            .map(|s| s.probabilities)
            .collect())
    }

    /// Like [`SentimentModel::classify`], with each query's per-token entity-head logits.
    pub fn classify_scored(
        &self,
        queries: &[&Query],
        batch_size: usize,
    ) -> Result<Vec<Scored>, ModelError> {
        let pieces: Vec<&Piece> = queries.iter().map(|q| &q.piece).collect();
        let scores = crate::annotate::run_sorted(&self.model, &pieces, batch_size)?;
        Ok(scores
            .into_iter()
            .map(|s| Scored {
                probabilities: self.probabilities(&s.logits, self.model.config.temperature),
                tokens: s.tokens,
            })
            .collect())
    }

    /// Whether one pass scores every entity of a sentence (a per-token entity head).
    pub fn scores_entities(&self) -> bool {
        self.model.config.entity_head
    }

    /// The tone towards `mention` (a byte span of the text) from the entity head: the mean of
    /// its logits over the tokens of `parts` (a sentence's queries and their results) that
    /// overlap the mention; None when no token does.
    pub fn tone_towards<'a>(
        &self,
        parts: impl IntoIterator<Item = (&'a Query, &'a Scored)>,
        mention: Span,
    ) -> Option<Probabilities> {
        let labels = self.model.config.labels.len();
        let offset = self.model.prefix_len();
        let mut sum = vec![0f32; labels];
        let mut n = 0usize;
        for (query, scored) in parts {
            for (i, t) in query.spans.iter().enumerate() {
                if t.end <= mention.start || t.start >= mention.end || t.start == t.end {
                    continue;
                }
                let Some(row) = scored
                    .tokens
                    .get((i + offset) * labels..(i + offset + 1) * labels)
                else {
                    continue;
                };
                sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
                n += 1;
            }
        }
        let mean: Vec<f32> = sum.iter().map(|x| x / n.max(1) as f32).collect();
        (n > 0).then(|| self.probabilities(&mean, self.model.config.target_temperature))
    }

    fn probabilities(&self, logits: &[f32], t: f64) -> Probabilities {
        if logits.len() != self.model.config.labels.len() {
            // Not a row of this model's logits (cannot happen with its own queries).
            return Probabilities {
                negative: 1.0 / 3.0,
                neutral: 1.0 / 3.0,
                positive: 1.0 / 3.0,
            };
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f64> = logits
            .iter()
            .map(|&x| ((x - max) as f64 / t).exp())
            .collect();
        let sum: f64 = exp.iter().sum();
        let p = |slot: usize| self.classes[slot].map_or(0.0, |i| exp[i] / sum);
        let (neg, neu, pos) = (p(0), p(1), p(2));
        let total = (neg + neu + pos).max(1e-12);
        Probabilities {
            negative: neg / total,
            neutral: neu / total,
            positive: pos / total,
        }
    }
}

/// Weighted mean of probabilities, as a [`Sentiment`].
pub fn aggregate(items: impl IntoIterator<Item = (Probabilities, f64)>) -> Sentiment {
    let (mut acc, mut total) = (Probabilities::default(), 0.0);
    for (p, w) in items {
        acc.negative += p.negative * w;
        acc.neutral += p.neutral * w;
        acc.positive += p.positive * w;
        total += w;
    }
    if total > 0.0 {
        acc.negative /= total;
        acc.neutral /= total;
        acc.positive /= total;
    } else {
        acc.neutral = 1.0;
    }
    sentiment(acc)
}

/// The probabilities of three logits (negative, neutral, positive), by a softmax.
pub(crate) fn softmax3(logits: [f64; 3]) -> Probabilities {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp = logits.map(|l| (l - max).exp());
    let sum: f64 = exp.iter().sum();
    Probabilities {
        negative: exp[0] / sum,
        neutral: exp[1] / sum,
        positive: exp[2] / sum,
    }
}

/// Class names, by class index.
pub const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// The index in [`LABELS`] of the most probable class (ties: negative, then positive, then neutral).
pub fn most_probable(p: &Probabilities) -> usize {
    if p.negative >= p.neutral && p.negative >= p.positive {
        0
    } else if p.positive > p.neutral {
        2
    } else {
        1
    }
}

/// Label and score of a probability triple.
pub fn sentiment(p: Probabilities) -> Sentiment {
    let round = |x: f64| (x * 1e4).round() / 1e4;
    Sentiment {
        label: LABELS[most_probable(&p)].into(),
        score: round(p.positive - p.negative),
        probabilities: Probabilities {
            negative: round(p.negative),
            neutral: round(p.neutral),
            positive: round(p.positive),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_weights_and_labels() {
        let a = Probabilities {
            negative: 0.8,
            neutral: 0.1,
            positive: 0.1,
        };
        let b = Probabilities {
            negative: 0.1,
            neutral: 0.1,
            positive: 0.8,
        };
        let s = aggregate([(a, 3.0), (b, 1.0)]);
        assert_eq!(s.label, "negative");
        assert!((s.score - (0.275 - 0.625)).abs() < 1e-9);
        assert_eq!(aggregate([]).label, "neutral");
    }
}
