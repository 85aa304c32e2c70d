//! `newslens eval ner`: entity-level exact-match precision, recall and F1 on a CoNLL file.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::Prf;
use crate::Pipeline;

/// The NER scores.
#[derive(Debug, Clone, Serialize)]
pub struct NerReport {
    /// The model, `name@version`.
    pub model: String,
    /// The gold file.
    pub file: String,
    /// Documents read.
    pub documents: usize,
    /// Sentences read.
    pub sentences: usize,
    /// Micro precision.
    pub precision: f64,
    /// Micro recall.
    pub recall: f64,
    /// Micro F1.
    pub f1: f64,
    /// Scores per entity type.
    pub per_label: BTreeMap<String, Prf>,
    /// Sentences left out, not scored, each by its bad line (`file:line: why`).
    pub skipped: Vec<String>,
}

#[derive(Default)]
struct Sentence {
    words: Vec<String>,
    tags: Vec<String>,
}

/// The documents of a CoNLL file, and the sentences left out: one holding a line without
/// `word ... tag` columns is skipped whole (`file:line: why`), since its tags would not line up.
fn read(path: &Path) -> Result<(Vec<Vec<Sentence>>, Vec<String>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let (mut docs, mut doc, mut cur) = (Vec::new(), Vec::new(), Sentence::default());
    // The current sentence's first bad line, and every sentence left out.
    let (mut bad, mut skipped): (Option<String>, Vec<String>) = (None, Vec::new());
    let mut flush = |doc: &mut Vec<Sentence>, cur: &mut Sentence, bad: &mut Option<String>| {
        let sentence = std::mem::take(cur);
        if let Some(why) = bad.take() {
            skipped.push(why);
        } else if !sentence.words.is_empty() {
            doc.push(sentence);
        }
    };
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("-DOCSTART-") {
            flush(&mut doc, &mut cur, &mut bad);
            if !doc.is_empty() {
                docs.push(std::mem::take(&mut doc));
            }
        } else if line.trim().is_empty() {
            flush(&mut doc, &mut cur, &mut bad);
        } else {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 2 {
                bad.get_or_insert_with(|| {
                    format!(
                        "{}:{}: expected `word ... tag` columns (its sentence is left out)",
                        path.display(),
                        n + 1
                    )
                });
                continue;
            }
            cur.words.push(cols[0].to_string());
            cur.tags.push(cols[cols.len() - 1].to_string());
        }
    }
    flush(&mut doc, &mut cur, &mut bad);
    if !doc.is_empty() {
        docs.push(doc);
    }
    if docs.is_empty() && !skipped.is_empty() {
        return Err(format!(
            "no sentence of {} could be read (first: {})",
            path.display(),
            skipped[0]
        ));
    }
    Ok((docs, skipped))
}

/// Entity spans `(sentence, first word, end word, type)` of BIO tags.
fn spans(sent: usize, tags: &[String], out: &mut HashSet<(usize, usize, usize, String)>) {
    let mut start: Option<(usize, String)> = None;
    for i in 0..=tags.len() {
        let t = tags.get(i).map_or("O", String::as_str);
        let (prefix, kind) = t.split_once('-').unwrap_or(("O", ""));
        if let Some((s, k)) = &start {
            if prefix != "I" || kind != k {
                out.insert((sent, *s, i, k.clone()));
                start = None;
            }
        }
        if start.is_none() && prefix != "O" {
            start = Some((i, kind.to_string()));
        }
    }
}

/// Runs the NER model over every document of a CoNLL file (sentences one a line, words
/// joined by spaces) and scores the predicted entities against the gold tags.
pub fn eval_ner(pipeline: &Pipeline, path: &Path) -> Result<NerReport, String> {
    let (docs, skipped) = read(path)?;
    let mut texts = Vec::new();
    let mut word_spans = Vec::new(); // per doc: per sentence: per word byte span
    for doc in &docs {
        let mut text = String::new();
        let mut spans_doc = Vec::new();
        for s in doc {
            let mut ws = Vec::new();
            for (i, w) in s.words.iter().enumerate() {
                if i > 0 {
                    text.push(' ');
                }
                ws.push((text.len(), text.len() + w.len()));
                text.push_str(w);
            }
            text.push('\n');
            spans_doc.push(ws);
        }
        texts.push(text);
        word_spans.push(spans_doc);
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mentions = pipeline.mentions(&refs).map_err(|e| e.to_string())?;
    let (mut gold, mut pred) = (HashSet::new(), HashSet::new());
    let mut n_sent = 0;
    for (d, doc) in docs.iter().enumerate() {
        for (s, sent) in doc.iter().enumerate() {
            spans(n_sent, &sent.tags, &mut gold);
            let mut tags = vec!["O".to_string(); sent.words.len()];
            let mut prev: Option<usize> = None;
            for (w, &(a, _)) in word_spans[d][s].iter().enumerate() {
                let hit = mentions[d]
                    .iter()
                    .position(|m| m.span.start <= a && a < m.span.end);
                if let Some(m) = hit {
                    let p = if prev == Some(m) { "I" } else { "B" };
                    tags[w] = format!("{p}-{}", mentions[d][m].label);
                }
                prev = hit;
            }
            spans(n_sent, &tags, &mut pred);
            n_sent += 1;
        }
    }
    let labels: HashSet<&String> = gold.iter().chain(pred.iter()).map(|s| &s.3).collect();
    let mut per_label = BTreeMap::new();
    for l in labels {
        let g: HashSet<_> = gold.iter().filter(|s| &s.3 == l).collect();
        let p: HashSet<_> = pred.iter().filter(|s| &s.3 == l).collect();
        let tp = g.intersection(&p).count();
        per_label.insert(l.clone(), Prf::new(tp, p.len() - tp, g.len() - tp));
    }
    let tp = gold.intersection(&pred).count();
    let all = Prf::new(tp, pred.len() - tp, gold.len() - tp);
    Ok(NerReport {
        model: pipeline.models().ner,
        file: path.display().to_string(),
        documents: docs.len(),
        sentences: n_sent,
        precision: all.precision,
        recall: all.recall,
        f1: all.f1,
        per_label,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bio_spans_follow_seqeval() {
        let tags: Vec<String> = ["B-PER", "I-PER", "O", "I-LOC", "B-ORG", "B-ORG"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut out = HashSet::new();
        spans(0, &tags, &mut out);
        let mut v: Vec<_> = out.into_iter().collect();
        v.sort();
        assert_eq!(
            v,
            vec![
                (0, 0, 2, "PER".into()),
                (0, 3, 4, "LOC".into()),
                (0, 4, 5, "ORG".into()),
                (0, 5, 6, "ORG".into())
            ]
        );
    }
}
