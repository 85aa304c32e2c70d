//! `newslens eval document`: the tone towards an article's main person, PerSenT style
//! (`{id, text, target_entity, label}`): each article is annotated as `annotate` does, the target
//! is looked up among its entities, and the entity's tone is scored against the gold label,
//! beside two baselines: the article's own tone, and always answering the majority class.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::classes::{class_of, ClassScores, CLASSES};
use super::split::Split;
use crate::input::{Article, Meta};
use crate::schema::{Annotation, Entity};
use crate::sentiment::entity::{features, FEATURES};
use crate::Pipeline;

/// Document-level entity tone scores.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentReport {
    /// The targeted model, `name@version`.
    pub model: String,
    /// The gold file.
    pub file: String,
    /// Which articles were scored.
    pub split: String,
    /// Articles scored.
    pub articles: usize,
    /// Articles whose target was found among the entities.
    pub target_found: usize,
    /// Articles whose target was not found (their prediction is the article's tone).
    pub target_not_found: usize,
    /// The entity's tone against the gold label.
    pub entity: ClassScores,
    /// Baseline: the article's overall tone as the entity's tone.
    pub article_tone: ClassScores,
    /// Baseline: always the most frequent gold class.
    pub majority: ClassScores,
    /// That class.
    pub majority_class: String,
    /// Lines left out, not scored (`file:line: why`).
    pub skipped: Vec<String>,
}

/// The entity that stands for `target`: the same name, or one sharing its last word; most mentions wins.
pub fn find_target<'a>(annotation: &'a Annotation, target: &str) -> Option<&'a Entity> {
    let target = target.to_lowercase();
    let last = target
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    let matches = |e: &Entity| {
        let name = e.text.to_lowercase();
        name == target
            || e.mentions.iter().any(|m| {
                let t = m.text.to_lowercase();
                t == target || (last.len() > 2 && t.split_whitespace().last() == Some(&last))
            })
    };
    annotation
        .entities
        .iter()
        .filter(|e| matches(e))
        .max_by_key(|e| (e.label == "PER", e.count))
}

/// The class index of an output label.
fn label_class(label: &str) -> usize {
    CLASSES.iter().position(|c| *c == label).unwrap_or(1)
}

/// Scores the entity tone on the articles of `path` in `split`; with `features_out`, writes each
/// article's prediction, its own tone, the entity-tone features and the gold label there (for
/// `training/fit_entity_tone.py`, and to read the errors).
pub fn eval_document(
    pipeline: &Pipeline,
    path: &Path,
    split: Split,
    features_out: Option<&Path>,
) -> Result<DocumentReport, String> {
    let body = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let err = |n: usize, m: &str| format!("{}:{}: {m}", path.display(), n + 1);
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for (n, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: serde_json::Value = match serde_json::from_str(line) {
            Ok(rec) => rec,
            Err(e) => {
                skipped.push(err(n, &format!("not JSON: {e}")));
                continue;
            }
        };
        let Some(id) = rec["id"].as_str() else {
            skipped.push(err(n, "no id"));
            continue;
        };
        if !split.keeps(id) {
            continue;
        }
        let (Some(text), Some(target), Some(gold)) = (
            rec["text"].as_str(),
            rec["target_entity"].as_str(),
            class_of(&rec["label"]),
        ) else {
            skipped.push(err(
                n,
                "needs text, target_entity and a label (negative, neutral or positive)",
            ));
            continue;
        };
        let article = Article {
            id: id.to_string(),
            text: text.to_string(),
            meta: Meta::default(),
            origin: format!("{}:{}", path.display(), n + 1),
        };
        items.push((article, target.to_string(), gold));
    }
    if items.is_empty() && !skipped.is_empty() {
        return Err(format!(
            "no record of {} could be read (first: {})",
            path.display(),
            skipped[0]
        ));
    }
    let mut out = features_out
        .map(|p| {
            std::fs::File::create(p)
                .map(std::io::BufWriter::new)
                .map_err(|e| format!("{}: cannot write: {e}", p.display()))
        })
        .transpose()?;
    let (mut entity, mut article_tone, mut found) = (Vec::new(), Vec::new(), 0);
    for chunk in items.chunks(32) {
        let articles: Vec<Article> = chunk.iter().map(|c| c.0.clone()).collect();
        let (annotations, _) = pipeline.annotate(&articles).map_err(|e| e.to_string())?;
        for ((_, target, gold), a) in chunk.iter().zip(&annotations) {
            let doc = label_class(&a.sentiment.label);
            let hit = find_target(a, target);
            found += usize::from(hit.is_some());
            let pred = hit.map_or(doc, |e| label_class(&e.sentiment.label));
            entity.push((pred, *gold));
            article_tone.push((doc, *gold));
            if let Some(w) = out.as_mut() {
                let f = hit.map(|e| features(&e.evidence, &a.sentiment.probabilities));
                let line = serde_json::json!({
                    "id": a.id, "target": target, "gold": CLASSES[*gold], "found": hit.is_some(),
                    "predicted": CLASSES[pred], "article_tone": CLASSES[doc],
                    "features": f.map(|v| FEATURES.iter().zip(v).map(|(k, x)| (k.to_string(), x.into()))
                        .collect::<serde_json::Map<String, serde_json::Value>>()),
                });
                writeln!(w, "{line}").map_err(|e| e.to_string())?;
            }
        }
    }
    if let Some(mut w) = out {
        w.flush().map_err(|e| e.to_string())?;
    }
    let mut counts = [0usize; 3];
    for &(_, g) in &entity {
        counts[g] += 1;
    }
    let majority = (0..3).max_by_key(|&c| (counts[c], 3 - c)).unwrap_or(1);
    let majority_pairs: Vec<(usize, usize)> = entity.iter().map(|&(_, g)| (majority, g)).collect();
    Ok(DocumentReport {
        model: pipeline
            .targeted()
            .map_or_else(|| pipeline.models().ner, |m| m.model().config.id()),
        file: path.display().to_string(),
        split: format!("{split:?}").to_lowercase(),
        articles: entity.len(),
        target_found: found,
        target_not_found: entity.len() - found,
        entity: ClassScores::new(&entity, None),
        article_tone: ClassScores::new(&article_tone, None),
        majority: ClassScores::new(&majority_pairs, None),
        majority_class: CLASSES[majority].to_string(),
        skipped,
    })
}
