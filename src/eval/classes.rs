//! Three-class scores (negative, neutral, positive): macro-F1, per class, confusion, calibration.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Prf;
use crate::schema::Probabilities;

pub use crate::sentiment::LABELS as CLASSES;

/// Scores of predicted against gold classes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassScores {
    /// Items scored.
    pub examples: usize,
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1 over the three classes.
    pub macro_f1: f64,
    /// Scores per class.
    pub per_label: BTreeMap<String, Prf>,
    /// `confusion[gold][predicted]`, classes in the order negative, neutral, positive.
    pub confusion: [[usize; 3]; 3],
    /// Expected calibration error of the top class (10 equal-width bins), when probabilities are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ece: Option<f64>,
}

/// The class index of a label name or NewsMTSC polarity (2, 4, 6).
pub fn class_of(v: &serde_json::Value) -> Option<usize> {
    if let Some(s) = v.as_str() {
        return CLASSES.iter().position(|c| c.eq_ignore_ascii_case(s));
    }
    match v.as_f64()? as i64 {
        2 => Some(0),
        4 => Some(1),
        6 => Some(2),
        _ => None,
    }
}

impl ClassScores {
    /// From (predicted, gold) pairs, and the predicted probabilities when there are any.
    pub fn new(pairs: &[(usize, usize)], probs: Option<&[Probabilities]>) -> Self {
        let mut confusion = [[0usize; 3]; 3];
        for &(p, g) in pairs {
            confusion[g][p] += 1;
        }
        let mut per_label = BTreeMap::new();
        for (c, name) in CLASSES.iter().enumerate() {
            let tp = confusion[c][c];
            let fp = (0..3).map(|g| confusion[g][c]).sum::<usize>() - tp;
            let fn_ = confusion[c].iter().sum::<usize>() - tp;
            per_label.insert(name.to_string(), Prf::new(tp, fp, fn_));
        }
        let correct = pairs.iter().filter(|(p, g)| p == g).count();
        ClassScores {
            examples: pairs.len(),
            accuracy: correct as f64 / pairs.len().max(1) as f64,
            macro_f1: per_label.values().map(|p| p.f1).sum::<f64>() / 3.0,
            per_label,
            confusion,
            ece: probs.map(|p| ece(p, pairs)),
        }
    }
}

fn ece(probs: &[Probabilities], pairs: &[(usize, usize)]) -> f64 {
    let mut bins = [(0usize, 0.0f64, 0usize); 10];
    for (p, &(pred, gold)) in probs.iter().zip(pairs) {
        let conf = p.negative.max(p.neutral).max(p.positive);
        let b = ((conf * 10.0).ceil() as usize).clamp(1, 10) - 1;
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += usize::from(pred == gold);
    }
    let n = probs.len().max(1) as f64;
    bins.iter()
        .filter(|b| b.0 > 0)
        .map(|&(k, conf, right)| (k as f64 / n) * (right as f64 / k as f64 - conf / k as f64).abs())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_and_macro_f1() {
        let pairs = [(0, 0), (0, 0), (1, 0), (1, 1), (2, 2), (0, 2)];
        let s = ClassScores::new(&pairs, None);
        assert_eq!(s.confusion, [[2, 1, 0], [0, 1, 0], [1, 0, 1]]);
        // negative: p 2/3 r 2/3; neutral: p 1/2 r 1; positive: p 1 r 1/2.
        let f = [2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
        assert!((s.macro_f1 - f.iter().sum::<f64>() / 3.0).abs() < 1e-12);
        assert!((s.accuracy - 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn a_calibrated_model_has_small_ece() {
        let p = Probabilities {
            negative: 0.75,
            neutral: 0.125,
            positive: 0.125,
        };
        // Right 3 times in 4 at confidence 0.75: perfectly calibrated.
        let pairs = [(0, 0), (0, 0), (0, 0), (0, 1)];
        let s = ClassScores::new(&pairs, Some(&[p; 4]));
        assert!(s.ece.unwrap() < 1e-12);
        let pairs = [(0, 1); 4];
        assert!((ClassScores::new(&pairs, Some(&[p; 4])).ece.unwrap() - 0.75).abs() < 1e-12);
    }
}
