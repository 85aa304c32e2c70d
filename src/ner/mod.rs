//! Named-entity recognition over whole articles: windows with overlap, constrained BIO
//! decoding across window boundaries, word pieces merged into spans, mentions grouped.

mod decode;
mod group;

pub use decode::{Scheme, Tag};
pub use group::{group_mentions, group_names, Group};

use crate::model::{casing_classes, Model, ModelError, Piece, TokenTypes, Tokenized};
use crate::text::{segment, ChromeRules, Span};

/// A mention found by the model, before grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMention {
    /// Byte span in the article.
    pub span: Span,
    /// Entity type (`PER`, `ORG`, ...).
    pub label: String,
    /// Mean probability of the mention's tags.
    pub score: f32,
}

/// An article tokenized and cut into model windows.
#[derive(Debug, Clone, Default)]
pub struct Windows {
    tokens: Tokenized,
    types: Vec<i64>,
    /// Token ranges `[start, end)` of each window.
    ranges: Vec<(usize, usize)>,
}

impl Windows {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether the article has no tokens.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of tokens in the article.
    pub fn tokens(&self) -> usize {
        self.tokens.ids.len()
    }

    /// Each token's byte span in the article.
    pub fn spans(&self) -> &[(usize, usize)] {
        &self.tokens.spans
    }

    /// The windows holding token `t`, in window order: (window, the token's row in the window's
    /// output, special token included, its vote weight: 1 + its distance from the window's
    /// nearer edge). Window starts and ends both rise, so the holders are one run of windows.
    fn holders(&self, t: usize) -> impl Iterator<Item = (usize, usize, f32)> + '_ {
        let first = self.ranges.partition_point(|&(_, e)| e <= t);
        let last = self.ranges.partition_point(|&(s, _)| s <= t);
        (first..last.max(first)).map(move |wi| {
            let (s, e) = self.ranges[wi];
            (wi, t - s + 1, 1.0 + (t - s).min(e - 1 - t) as f32)
        })
    }
}

/// The NER stage: a token-classification model and its label scheme.
pub struct Ner {
    model: Model,
    scheme: Scheme,
}

impl Ner {
    /// Wraps a loaded token-classification model.
    pub fn new(model: Model) -> Self {
        let scheme = Scheme::new(&model.config.labels);
        Ner { model, scheme }
    }

    /// The underlying model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Tokenizes `text` and plans windows that cover every token: whole sentences packed with
    /// `window_margin` tokens of context on each side when the config sets it, else fixed
    /// windows overlapping by three eighths. Where windows overlap, their predictions are
    /// averaged, weighted towards window centres.
    pub fn windows(&self, text: &str) -> Result<Windows, ModelError> {
        let tokens = self.model.tokenize(text)?;
        let types = match self.model.config.token_types {
            TokenTypes::Casing => casing_classes(text, &tokens.pieces, &tokens.spans),
            TokenTypes::Segments => vec![0; tokens.ids.len()],
        };
        let size = self.model.config.max_length - self.model.specials();
        let ranges = match self.model.config.window_margin {
            Some(margin) => plan_sentences(
                &sentence_starts(text, &tokens.spans),
                tokens.ids.len(),
                size,
                margin,
            ),
            None => plan(tokens.ids.len(), size),
        };
        Ok(Windows {
            tokens,
            types,
            ranges,
        })
    }

    /// The model inputs of each window.
    pub fn pieces(&self, w: &Windows) -> Vec<Piece> {
        w.ranges
            .iter()
            .map(|&(s, e)| self.model.single(&w.tokens.ids[s..e], &w.types[s..e]))
            .collect()
    }

    /// Each token's `[score, negative, neutral, positive]` from a tone head's per-window rows
    /// (`[window][position][4]`, flat per window, special tokens included): where windows
    /// overlap, averaged with the weights [`Ner::decode`] gives their labels. Empty when the
    /// rows are (a model without a tone head).
    pub fn token_tone(&self, w: &Windows, rows: &[Vec<f32>]) -> Vec<[f32; 4]> {
        if rows.iter().all(|r| r.is_empty()) {
            return Vec::new();
        }
        (0..w.tokens())
            .map(|t| {
                let (mut out, mut total) = ([0f32; 4], 0.0);
                for (wi, at, weight) in w.holders(t) {
                    if let Some(row) = rows[wi].get(at * 4..at * 4 + 4) {
                        out.iter_mut().zip(row).for_each(|(o, v)| *o += weight * v);
                        total += weight;
                    }
                }
                if total > 0.0 {
                    out.iter_mut().for_each(|o| *o /= total);
                }
                out
            })
            .collect()
    }

    /// Decodes the windows' logits (`[window][position][label]`, flat per window, special
    /// tokens included) into mentions.
    pub fn decode(&self, text: &str, w: &Windows, logits: &[Vec<f32>]) -> Vec<RawMention> {
        let n_labels = self.scheme.len();
        let mut probs = vec![0f32; w.tokens() * n_labels];
        let mut one = vec![0f32; n_labels];
        for t in 0..w.tokens() {
            // Every window holding the token votes, weighted by its distance from the edge.
            let out = &mut probs[t * n_labels..(t + 1) * n_labels];
            let mut total = 0.0;
            for (wi, at, weight) in w.holders(t) {
                softmax_into(&logits[wi][at * n_labels..(at + 1) * n_labels], &mut one);
                out.iter_mut().zip(&one).for_each(|(o, p)| *o += weight * p);
                total += weight;
            }
            out.iter_mut().for_each(|o| *o /= total);
        }
        // Labels are decided per word: a word's first piece speaks for the whole word.
        let words = decode::words(&w.tokens);
        let word_probs: Vec<f32> = words
            .iter()
            .flat_map(|&(first, _)| {
                probs[first * n_labels..(first + 1) * n_labels]
                    .iter()
                    .copied()
            })
            .collect();
        let weight = self.model.config.outside_weight as f32;
        let tags = self
            .scheme
            .viterbi(&decode::weigh_outside(&self.scheme, weight, &word_probs));
        let mut mentions = decode::spans(text, &w.tokens, &words, &tags, &word_probs, &self.scheme);
        let article = decode::Article {
            text,
            tokens: &w.tokens,
            words: &words,
            probs: &word_probs,
            scheme: &self.scheme,
        };
        let below = self.model.config.type_vote_below as f32;
        if below > 0.0 {
            decode::consistent_types(below, &article, &mut mentions);
        }
        if let Some(min) = self.model.config.surname_reach {
            decode::propagate_surnames(min as f32, &article, &mut mentions);
        }
        mentions
    }
}

/// Windows of at most `size` tokens with stride `size * 5 / 8`, covering `0..n`: every token
/// has at least `size * 3 / 16` tokens of context on each side in its most central window (bar
/// the article's ends). On CoNLL-2003 valid (a model trained without it), overlap 3/8 scored
/// entity F1 0.9401 against 0.9373 for 1/4, for 9% more model tokens in a whole run.
fn plan(n: usize, size: usize) -> Vec<(usize, usize)> {
    let size = size.max(4);
    if n <= size {
        return if n == 0 { Vec::new() } else { vec![(0, n)] };
    }
    let stride = size * 5 / 8;
    let mut out = Vec::new();
    let mut s = 0;
    loop {
        let e = (s + size).min(n);
        out.push((s, e));
        if e == n {
            break;
        }
        s += stride;
    }
    out
}

/// Context tokens on each side of a window of whole sentences when `--sentence-windows` meets a
/// model whose config sets no `window_margin` (the shipped NER 1.4 sets the same 4 and was
/// trained on such windows). Chosen on CoNLL-2003 valid with a train-only 1.3 model: F1 0.9433
/// against 0.9438 for fixed windows (margins 0-24: 0.9411-0.9437), 17% fewer model tokens.
pub const SENTENCE_WINDOW_MARGIN: usize = 4;

/// The token index where each sentence of `text` starts (its lines split into sentences), the
/// first token excluded.
fn sentence_starts(text: &str, spans: &[(usize, usize)]) -> Vec<usize> {
    let mut starts: Vec<usize> = segment(text, &ChromeRules::none())
        .sentences
        .iter()
        .map(|s| spans.partition_point(|&(b, _)| b < s.start))
        .filter(|&t| t > 0 && t < spans.len())
        .collect();
    starts.dedup();
    starts
}

/// Windows of at most `size` tokens: a core of whole sentences (cut only when one sentence is
/// longer than the core can hold) with `margin` tokens of context on each side, so each token
/// is decoded in the window whose core holds it, and model tokens are about the article's own
/// count plus the margins, where fixed windows overlapping by 3/8 feed 1.6 times it.
fn plan_sentences(starts: &[usize], n: usize, size: usize, margin: usize) -> Vec<(usize, usize)> {
    let size = size.max(4);
    if n <= size {
        return if n == 0 { Vec::new() } else { vec![(0, n)] };
    }
    let core = size.saturating_sub(2 * margin).max(size / 2);
    let margin = (size - core) / 2;
    let mut out = Vec::new();
    let mut s = 0;
    while s < n {
        let limit = (s + core).min(n);
        // The core ends at the last sentence start that keeps it within its size, unless the
        // sentence there is too long for any core (it is cut anyway): then at the size.
        let i = starts.partition_point(|&b| b <= limit);
        let e = if limit == n {
            n
        } else if i > 0 && starts[i - 1] > s {
            let next = starts.get(i).copied().unwrap_or(n);
            if next - starts[i - 1] > core {
                limit
            } else {
                starts[i - 1]
            }
        } else {
            limit
        };
        out.push((s.saturating_sub(margin), (e + margin).min(n)));
        s = e;
    }
    out
}

fn softmax_into(row: &[f32], out: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (o, &x) in out.iter_mut().zip(row) {
        *o = (x - max).exp();
        sum += *o;
    }
    out.iter_mut().for_each(|o| *o /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_token_and_overlap() {
        for n in [0, 1, 126, 127, 500, 5000] {
            let ranges = plan(n, 126);
            let mut covered = vec![false; n];
            for &(s, e) in &ranges {
                assert!(e - s <= 126);
                covered[s..e].iter_mut().for_each(|c| *c = true);
            }
            assert!(covered.iter().all(|&c| c), "n={n}");
        }
        let r = plan(300, 126);
        assert_eq!(r, [(0, 126), (78, 204), (156, 282), (234, 300)]);
    }

    #[test]
    fn sentence_windows_hold_whole_sentences_with_their_margins() {
        // Sentences of 30 tokens, and one of 300 that no window can hold whole.
        let mut starts: Vec<usize> = (1..10).map(|i| i * 30).collect();
        starts.push(600);
        let n = 630;
        for margin in [0, 8, 16] {
            let ranges = plan_sentences(&starts, n, 126, margin);
            let mut covered = vec![0; n];
            for (i, &(s, e)) in ranges.iter().enumerate() {
                assert!(e - s <= 126, "margin {margin}: {ranges:?}");
                // The core: the window less its margins (none at the article's ends).
                let core_s = if i == 0 { s } else { s + margin };
                let core_e = if e == n { e } else { e - margin };
                covered[core_s..core_e].iter_mut().for_each(|c| *c += 1);
                if core_e <= 270 {
                    assert!(
                        core_e % 30 == 0,
                        "margin {margin}: a sentence cut: {ranges:?}"
                    );
                }
            }
            assert!(
                covered.iter().all(|&c| c == 1),
                "margin {margin}: {ranges:?}"
            );
        }
        assert_eq!(
            plan_sentences(&starts, n, 126, 0),
            [
                (0, 120),
                (120, 240),
                (240, 366),
                (366, 492),
                (492, 600),
                (600, 630)
            ]
        );
        assert_eq!(plan_sentences(&starts, 100, 126, 8), [(0, 100)]);
        assert!(plan_sentences(&[], 0, 126, 8).is_empty());
    }
}
