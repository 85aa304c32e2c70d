//! An entity's tone in an article, read from the targeted results of the sentences that mention it.
//!
//! Without a layer in the model's `config.json` the tone is the mean of those results. With one
//! (`entity_tone`, fitted by `training/fit_entity_tone.py` with cross-validation on PerSenT), the
//! features below go through a small logistic layer: probabilities = softmax(W x + b).

use crate::model::EntityTone;
use crate::schema::{Probabilities, Sentiment};

use super::{aggregate, most_probable, sentiment, softmax3};

/// The features an `entity_tone` layer may use, by name.
pub const FEATURES: [&str; 11] = [
    "mean_negative",
    "mean_neutral",
    "mean_positive",
    "min_score",
    "max_score",
    "first_score",
    "share_negative",
    "share_positive",
    "article_negative",
    "article_positive",
    "log_sentences",
];

/// Feature values, in the order of [`FEATURES`], from the per-sentence results (in text order)
/// and the article's own tone.
pub fn features(per_sentence: &[Probabilities], article: &Probabilities) -> Vec<f64> {
    let n = per_sentence.len().max(1) as f64;
    let mean = |f: fn(&Probabilities) -> f64| per_sentence.iter().map(f).sum::<f64>() / n;
    let score = |p: &Probabilities| p.positive - p.negative;
    let scores: Vec<f64> = per_sentence.iter().map(score).collect();
    let share = |class: usize| {
        per_sentence
            .iter()
            .filter(|p| most_probable(p) == class)
            .count() as f64
            / n
    };
    vec![
        mean(|p| p.negative),
        mean(|p| p.neutral),
        mean(|p| p.positive),
        scores
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .min(1.0),
        scores
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .max(-1.0),
        scores.first().copied().unwrap_or(0.0),
        share(0),
        share(2),
        article.negative,
        article.positive,
        (1.0 + per_sentence.len() as f64).ln(),
    ]
}

/// The entity's tone: the layer's output when there is one, else the mean of its sentences.
pub fn entity_tone(
    layer: Option<&EntityTone>,
    per_sentence: &[Probabilities],
    article: &Probabilities,
) -> Sentiment {
    let Some(layer) = layer.filter(|_| !per_sentence.is_empty()) else {
        return aggregate(per_sentence.iter().map(|p| (*p, 1.0)));
    };
    let values = features(per_sentence, article);
    let value = |name: &str| {
        FEATURES
            .iter()
            .position(|f| *f == name)
            .map_or(0.0, |i| values[i])
    };
    let x: Vec<f64> = layer.features.iter().map(|f| value(f)).collect();
    let logits: [f64; 3] = std::array::from_fn(|c| {
        layer.bias[c]
            + layer.weights[c]
                .iter()
                .zip(&x)
                .map(|(w, v)| w * v)
                .sum::<f64>()
    });
    sentiment(softmax3(logits))
}

/// Checks that a layer names only known features.
pub fn check_layer(layer: &EntityTone) -> Result<(), String> {
    match layer
        .features
        .iter()
        .find(|f| !FEATURES.contains(&f.as_str()))
    {
        Some(f) => Err(format!(
            "entity_tone: unknown feature {f:?} (known: {})",
            FEATURES.join(", ")
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(negative: f64, neutral: f64, positive: f64) -> Probabilities {
        Probabilities {
            negative,
            neutral,
            positive,
        }
    }

    #[test]
    fn without_a_layer_the_tone_is_the_mean() {
        let s = entity_tone(
            None,
            &[p(0.8, 0.1, 0.1), p(0.2, 0.2, 0.6)],
            &p(0.3, 0.4, 0.3),
        );
        assert_eq!(s.label, "negative");
        assert!((s.score - (0.35 - 0.5)).abs() < 1e-9);
    }

    #[test]
    fn a_layer_weighs_its_features() {
        // Positive when the most positive sentence is positive enough, whatever the mean.
        let layer = EntityTone {
            features: vec!["max_score".into(), "article_negative".into()],
            weights: [vec![0.0, 4.0], vec![0.0, 0.0], vec![10.0, 0.0]],
            bias: [0.0, 1.0, -3.0],
        };
        let mixed = [p(0.9, 0.05, 0.05), p(0.9, 0.05, 0.05), p(0.05, 0.05, 0.9)];
        assert_eq!(
            entity_tone(Some(&layer), &mixed, &p(0.1, 0.8, 0.1)).label,
            "positive"
        );
        assert_eq!(
            entity_tone(None, &mixed, &p(0.1, 0.8, 0.1)).label,
            "negative"
        );
        let flat = [p(0.1, 0.8, 0.1)];
        assert_eq!(
            entity_tone(Some(&layer), &flat, &p(0.1, 0.8, 0.1)).label,
            "neutral"
        );
        assert_eq!(
            entity_tone(Some(&layer), &flat, &p(0.9, 0.05, 0.05)).label,
            "negative"
        );
        assert!(check_layer(&layer).is_ok());
        let bad = EntityTone {
            features: vec!["nonsense".into()],
            ..layer
        };
        assert!(check_layer(&bad).is_err());
    }
}
