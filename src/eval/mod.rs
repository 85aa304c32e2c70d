//! Evaluation of the shipped models through the same code path as `annotate`.

mod classes;
mod conll;
mod document;
mod sentiment;
mod split;
mod targeted;

pub use classes::{ClassScores, CLASSES};
pub use conll::{eval_ner, NerReport};
pub use document::{eval_document, find_target, DocumentReport};
pub use sentiment::{eval_sentiment, SentimentReport};
pub use split::Split;
pub use targeted::{eval_targeted, TargetPrediction, TargetedReport};

use serde::Serialize;

/// Precision, recall and F1 of one class or of all.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Gold items.
    pub support: usize,
}

impl Prf {
    /// From true positives, false positives and false negatives.
    pub fn new(tp: usize, fp: usize, fn_: usize) -> Self {
        let p = if tp + fp == 0 {
            0.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        let r = if tp + fn_ == 0 {
            0.0
        } else {
            tp as f64 / (tp + fn_) as f64
        };
        let f1 = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        Prf {
            precision: p,
            recall: r,
            f1,
            support: tp + fn_,
        }
    }
}
