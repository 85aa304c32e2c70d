//! `newslens eval targeted`: sentiment towards marked mentions, on the shared targeted JSONL schema
//! (`{id, text, targets: [{from, to, mention, polarity}]}`, char offsets, polarity a class name)
//! or NewsMTSC (`sentence_normalized`, polarity 2/4/6). The record's whole text is the context.

use std::path::Path;

use serde::Serialize;

use super::classes::{class_of, ClassScores};
use super::split::Split;
use crate::model::ModelError;
use crate::schema::Probabilities;
use crate::sentiment::{most_probable, Query, SentimentModel};
use crate::text::{CharIndex, Span};
use crate::Pipeline;

/// Targeted sentiment scores.
#[derive(Debug, Clone, Serialize)]
pub struct TargetedReport {
    /// The model, `name@version`.
    pub model: String,
    /// The gold file.
    pub file: String,
    /// Which records were scored.
    pub split: String,
    /// Records scored.
    pub records: usize,
    /// The scores (examples = targets).
    #[serde(flatten)]
    pub scores: ClassScores,
}

/// Scores the targeted model on the records of `path` in `split`.
pub fn eval_targeted(
    pipeline: &Pipeline,
    path: &Path,
    split: Split,
) -> Result<TargetedReport, String> {
    let body = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let model = pipeline.targeted();
    let err = |n: usize, m: &str| format!("{}:{}: {m}", path.display(), n + 1);
    // (text, its targets' byte spans)
    let mut items: Vec<(String, Vec<Span>)> = Vec::new();
    let mut gold = Vec::new();
    let mut records = 0;
    for (n, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: serde_json::Value =
            serde_json::from_str(line).map_err(|e| err(n, &format!("not JSON: {e}")))?;
        let id = rec["id"]
            .as_str()
            .or(rec["primary_gid"].as_str())
            .unwrap_or_default();
        if !split.keeps(id) {
            continue;
        }
        let text = rec["text"]
            .as_str()
            .or(rec["sentence_normalized"].as_str())
            .ok_or_else(|| err(n, "no text (or sentence_normalized)"))?;
        let idx = CharIndex::new(text);
        let targets = rec["targets"]
            .as_array()
            .ok_or_else(|| err(n, "no targets"))?;
        records += 1;
        let mut spans = Vec::new();
        for t in targets {
            let (Some(from), Some(to), Some(class)) = (
                t["from"].as_u64(),
                t["to"].as_u64(),
                class_of(&t["polarity"]),
            ) else {
                return Err(err(n, "a target needs from, to and a polarity"));
            };
            let (Some(a), Some(b)) = (idx.byte_of(from as usize), idx.byte_of(to as usize)) else {
                return Err(err(n, "target offsets out of range"));
            };
            if a >= b {
                return Err(err(n, "a target's `from` must be before its `to`"));
            }
            spans.push(Span::new(a, b));
            gold.push(class);
        }
        items.push((text.to_string(), spans));
    }
    let probs = pipeline
        .install(|| {
            if pipeline.entity_head() {
                by_entity_head(pipeline.sentiment(), &items)
            } else {
                by_marked_mention(model, &items)
            }
        })
        .map_err(|e| e.to_string())?;
    let pairs: Vec<(usize, usize)> = probs.iter().map(most_probable).zip(gold).collect();
    Ok(TargetedReport {
        model: if pipeline.entity_head() {
            pipeline.sentiment().model().config.id()
        } else {
            model.model().config.id()
        },
        file: path.display().to_string(),
        split: format!("{split:?}").to_lowercase(),
        records,
        scores: ClassScores::new(&pairs, Some(&probs)),
    })
}

/// One query per target: the record's text with the mention marked.
fn by_marked_mention(
    model: &SentimentModel,
    items: &[(String, Vec<Span>)],
) -> Result<Vec<Probabilities>, ModelError> {
    let mut queries: Vec<Query> = Vec::new();
    for (text, spans) in items {
        for &span in spans {
            queries.push(model.target_query(text, Span::new(0, text.len()), span)?);
        }
    }
    let refs: Vec<&Query> = queries.iter().collect();
    model.classify(&refs, 32)
}

/// One pass per record; each target's tone from the entity head over its tokens (uniform when
/// no token covers it).
fn by_entity_head(
    model: &SentimentModel,
    items: &[(String, Vec<Span>)],
) -> Result<Vec<Probabilities>, ModelError> {
    // Each record's queries: a range of `queries`.
    let mut queries: Vec<Query> = Vec::new();
    let mut of_record = Vec::new();
    for (text, _) in items {
        let first = queries.len();
        queries.extend(model.sentence_queries(text, Span::new(0, text.len()))?);
        of_record.push(first..queries.len());
    }
    let refs: Vec<&Query> = queries.iter().collect();
    let scored = model.classify_scored(&refs, 32)?;
    let mut out = Vec::new();
    for ((_, spans), range) in items.iter().zip(of_record) {
        for &span in spans {
            let parts = range.clone().map(|i| (&queries[i], &scored[i]));
            out.push(model.tone_towards(parts, span).unwrap_or(Probabilities {
                negative: 1.0 / 3.0,
                neutral: 1.0 / 3.0,
                positive: 1.0 / 3.0,
            }));
        }
    }
    Ok(out)
}
