//! `newslens eval sentiment`: SST-2 TSV (binary: positive vs negative probability) or
//! NewsMTSC JSONL (targeted, three classes): accuracy and macro-F1.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::Prf;
use crate::schema::Probabilities;
use crate::sentiment::{Query, SentimentModel};
use crate::text::Span;
use crate::Pipeline;

/// The sentiment scores.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentReport {
    /// The model, `name@version`.
    pub model: String,
    /// The gold file.
    pub file: String,
    /// `sst2` (binary sentences) or `newsmtsc` (targeted, three classes).
    pub task: String,
    /// Items scored.
    pub examples: usize,
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1 over the classes.
    pub macro_f1: f64,
    /// Scores per class.
    pub per_label: BTreeMap<String, Prf>,
    /// Lines left out, not scored (`file:line: why`).
    pub skipped: Vec<String>,
}

/// Undoes SST-2's PTB tokenisation the way training did (`-lrb-`, split contractions).
fn detok(s: &str) -> String {
    let s = s.replace("-lrb-", "(").replace("-rrb-", ")");
    let mut out = s.clone();
    for c in ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"] {
        out = out.replace(&format!(" {c} "), &format!("{c} "));
        if let Some(stripped) = out.strip_suffix(&format!(" {c}")) {
            out = format!("{stripped}{c}");
        }
    }
    out.trim().to_string()
}

/// Scores the sentiment model on `path` (`.tsv`: SST-2; `.jsonl`: NewsMTSC, scored as
/// `eval targeted` scores it).
pub fn eval_sentiment(pipeline: &Pipeline, path: &Path) -> Result<SentimentReport, String> {
    if path.extension().is_none_or(|e| e != "tsv") {
        let r = super::eval_targeted(pipeline, path, super::split::Split::All, None)?;
        return Ok(SentimentReport {
            model: r.model,
            file: r.file,
            task: "newsmtsc".into(),
            examples: r.scores.examples,
            accuracy: r.scores.accuracy,
            macro_f1: r.scores.macro_f1,
            per_label: r.scores.per_label,
            skipped: r.skipped,
        });
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    // (the item's text, gold class 0 negative or 2 positive)
    let mut items: Vec<(String, usize)> = Vec::new();
    let err = |n: usize, m: &str| format!("{}:{}: {m}", path.display(), n + 1);
    let mut skipped = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((a, b)) = line.split_once('\t') else {
            skipped.push(err(n, "expected two tab-separated columns"));
            continue;
        };
        let (label, sentence) = match (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
            (Ok(l @ 0..=1), _) => (l, b),
            (_, Ok(l @ 0..=1)) => (l, a),
            _ if n == 0 => continue, // header
            _ => {
                skipped.push(err(n, "no 0/1 label column"));
                continue;
            }
        };
        items.push((detok(sentence), if label == 1 { 2 } else { 0 }));
    }
    if items.is_empty() && !skipped.is_empty() {
        return Err(format!(
            "no line of {} could be read (first: {})",
            path.display(),
            skipped[0]
        ));
    }
    let probs = match pipeline.sentiment() {
        Some(model) => by_sentence_model(pipeline, model, &items)?,
        None => {
            let texts: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
            pipeline
                .text_tones(&texts)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|p| p.unwrap_or_default())
                .collect()
        }
    };
    let pairs: Vec<(usize, usize)> = probs
        .iter()
        .zip(&items)
        .map(|(p, (_, gold))| (if p.positive > p.negative { 2 } else { 0 }, *gold))
        .collect();
    let mut per_label = BTreeMap::new();
    for (c, name) in [(0, "negative"), (2, "positive")] {
        let tp = pairs.iter().filter(|&&(p, g)| p == c && g == c).count();
        let fp = pairs.iter().filter(|&&(p, g)| p == c && g != c).count();
        let fn_ = pairs.iter().filter(|&&(p, g)| p != c && g == c).count();
        per_label.insert(name.to_string(), Prf::new(tp, fp, fn_));
    }
    let correct = pairs.iter().filter(|(p, g)| p == g).count();
    Ok(SentimentReport {
        model: pipeline.models().sentiment,
        file: path.display().to_string(),
        task: "sst2".into(),
        examples: pairs.len(),
        accuracy: correct as f64 / pairs.len().max(1) as f64,
        macro_f1: per_label.values().map(|p| p.f1).sum::<f64>() / 2.0,
        per_label,
        skipped,
    })
}

/// Each item's tone from the sentence model (a long item's parts averaged).
fn by_sentence_model(
    pipeline: &Pipeline,
    model: &SentimentModel,
    items: &[(String, usize)],
) -> Result<Vec<Probabilities>, String> {
    let queries = items
        .iter()
        .map(|(s, _)| model.sentence_queries(s, Span::new(0, s.len())))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let refs: Vec<&Query> = queries.iter().flatten().collect();
    let probs = pipeline
        .install(|| model.classify(&refs, 32))
        .map_err(|e| e.to_string())?;
    let mut probs = probs.into_iter();
    Ok(queries
        .iter()
        .map(|qs| {
            let parts: Vec<_> = qs
                .iter()
                .map(|q| (probs.next().unwrap_or_default(), q.weight))
                .collect();
            crate::sentiment::aggregate(parts).probabilities
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ptb_contractions_are_rejoined() {
        assert_eq!(
            super::detok("it 's a -lrb- fine -rrb- film , is n't it"),
            "it's a ( fine ) film , isn't it"
        );
    }
}
