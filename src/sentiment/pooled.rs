//! Sentence tone read off the NER pass: a tone head scores every token (`tone_head:
//! "sentences"` in the NER model's config), and a sentence's tone pools its tokens.

use super::softmax3;
use crate::schema::Probabilities;
use crate::text::Span;

/// The tone of the tokens inside `sentence` (byte spans `spans`, per-token `[score, negative,
/// neutral, positive]` in `tone`): their logits weighted by the softmax of their scores, divided
/// by `temperature`, through a softmax. `None` when no token lies inside the sentence.
pub fn pooled_tone(
    spans: &[(usize, usize)],
    tone: &[[f32; 4]],
    sentence: Span,
    temperature: f64,
) -> Option<Probabilities> {
    let from = spans.partition_point(|&(a, _)| a < sentence.start);
    let to = spans.partition_point(|&(a, _)| a < sentence.end);
    let rows = tone.get(from..to.min(tone.len()))?;
    let max = rows.iter().map(|r| r[0]).fold(f32::NEG_INFINITY, f32::max);
    if rows.is_empty() || !max.is_finite() {
        return None;
    }
    let (mut total, mut logits) = (0f64, [0f64; 3]);
    for r in rows {
        let w = f64::from(r[0] - max).exp();
        total += w;
        logits
            .iter_mut()
            .zip(&r[1..])
            .for_each(|(l, v)| *l += w * f64::from(*v));
    }
    Some(softmax3(logits.map(|l| l / total / temperature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_only_the_sentences_tokens_weighted_by_score() {
        // Tokens 0-1 in the first sentence (bytes 0..10), 2-3 in the second (11..20).
        let spans = [(0, 4), (5, 10), (11, 15), (16, 20)];
        let tone = [
            [0.0, 5.0, 0.0, 0.0],
            [0.0, 5.0, 0.0, 0.0],
            [10.0, 0.0, 0.0, 5.0],
            [-10.0, 9.0, 0.0, 0.0],
        ];
        let first = pooled_tone(&spans, &tone, Span::new(0, 10), 1.0).unwrap();
        assert!(first.negative > 0.98);
        // The second sentence's low-score token barely counts: positive wins.
        let second = pooled_tone(&spans, &tone, Span::new(11, 20), 1.0).unwrap();
        assert!(second.positive > 0.95, "{second:?}");
        let sum = second.negative + second.neutral + second.positive;
        assert!((sum - 1.0).abs() < 1e-9);
        // A higher temperature flattens the same logits.
        let flat = pooled_tone(&spans, &tone, Span::new(0, 10), 5.0).unwrap();
        assert!(flat.negative < first.negative && flat.negative > flat.neutral);
        assert!(pooled_tone(&spans, &tone, Span::new(21, 30), 1.0).is_none());
    }
}
