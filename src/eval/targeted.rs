//! `newslens eval targeted`: sentiment towards marked mentions, on the shared targeted JSONL schema
//! (`{id, text, targets: [{from, to, mention, polarity}]}`, char offsets, polarity a class name)
//! or NewsMTSC (`sentence_normalized`, polarity 2/4/6). The record's whole text is the context.

use std::path::Path;

use serde::Serialize;

use super::classes::{class_of, ClassScores, CLASSES};
use super::split::Split;
use crate::model::ModelError;
use crate::schema::Probabilities;
use crate::sentiment::{most_probable, sentiment, Query, SentimentModel};
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
    /// The same over the targets of records whose targets differ in polarity: can the model tell
    /// the entities of one text apart? (None when no record has such targets.)
    pub mixed: Option<ClassScores>,
    /// Lines left out, not scored (`file:line: why`).
    pub skipped: Vec<String>,
}

/// One target's result, as `--predictions` writes it (a JSONL line per target, in file order).
#[derive(Debug, Clone, Serialize)]
pub struct TargetPrediction {
    /// The record's id.
    pub id: String,
    /// The target's start, in chars, as the gold file gives it.
    pub from: u64,
    /// Its end, in chars.
    pub to: u64,
    /// The text between them.
    pub mention: String,
    /// The gold class.
    pub gold: &'static str,
    /// The most probable class.
    pub predicted: String,
    /// The model's probabilities, rounded as `annotate` writes them.
    pub probabilities: Probabilities,
}

/// Scores the targeted model on the records of `path` in `split`; with `predictions_out`, writes
/// each target's prediction there ([`TargetPrediction`]).
pub fn eval_targeted(
    pipeline: &Pipeline,
    path: &Path,
    split: Split,
    predictions_out: Option<&Path>,
) -> Result<TargetedReport, String> {
    let body = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let no_model = || {
        format!(
            "{}: no model reads marked mentions here: give --targeted-model",
            path.display()
        )
    };
    let model = pipeline.targeted().ok_or_else(no_model)?;
    let err = |n: usize, m: &str| format!("{}:{}: {m}", path.display(), n + 1);
    // (text, its targets' byte spans)
    let mut items: Vec<(String, Vec<Span>)> = Vec::new();
    let mut gold = Vec::new();
    // Per target: whether its record's targets differ in polarity.
    let mut mixed = Vec::new();
    // Per target: (record id, from, to, mention).
    let mut refs: Vec<(String, u64, u64, String)> = Vec::new();
    let mut records = 0;
    let mut skipped = Vec::new();
    for (n, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (id, text, targets) = match record(line, split) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(why) => {
                skipped.push(err(n, &why));
                continue;
            }
        };
        records += 1;
        let mut spans = Vec::new();
        for (from, to, class, span) in targets {
            spans.push(span);
            refs.push((id.clone(), from, to, text[span.start..span.end].to_string()));
            gold.push(class);
        }
        let classes = &gold[gold.len() - spans.len()..];
        let differ = classes.iter().any(|&c| c != classes[0]);
        mixed.extend(std::iter::repeat_n(differ, spans.len()));
        items.push((text, spans));
    }
    if items.is_empty() && !skipped.is_empty() {
        return Err(format!(
            "no record of {} could be read (first: {})",
            path.display(),
            skipped[0]
        ));
    }
    let probs = pipeline
        .install(|| {
            if pipeline.entity_head() {
                by_entity_head(pipeline.sentiment().unwrap_or(model), &items)
            } else {
                by_marked_mention(model, &items)
            }
        })
        .map_err(|e| e.to_string())?;
    let pairs: Vec<(usize, usize)> = probs.iter().map(most_probable).zip(gold).collect();
    if let Some(out) = predictions_out {
        let lines = refs.into_iter().zip(&pairs).zip(&probs).map(
            |(((id, from, to, mention), &(_, gold)), &p)| {
                let s = sentiment(p);
                TargetPrediction {
                    id,
                    from,
                    to,
                    mention,
                    gold: CLASSES[gold],
                    predicted: s.label,
                    probabilities: s.probabilities,
                }
            },
        );
        write_jsonl(out, lines)?;
    }
    let (mixed_pairs, mixed_probs): (Vec<_>, Vec<_>) = pairs
        .iter()
        .zip(&probs)
        .zip(&mixed)
        .filter(|(_, &m)| m)
        .map(|((pair, p), _)| (*pair, *p))
        .unzip();
    Ok(TargetedReport {
        model: if pipeline.entity_head() {
            pipeline.sentiment().unwrap_or(model).model().config.id()
        } else {
            model.model().config.id()
        },
        file: path.display().to_string(),
        split: format!("{split:?}").to_lowercase(),
        records,
        scores: ClassScores::new(&pairs, Some(&probs)),
        mixed: (!mixed_pairs.is_empty())
            .then(|| ClassScores::new(&mixed_pairs, Some(&mixed_probs))),
        skipped,
    })
}

/// One record of a targeted file: its id, text and targets `(from, to, class, byte span)`, or
/// None when `split` leaves it out; Err says what is wrong with it.
#[allow(clippy::type_complexity)]
fn record(
    line: &str,
    split: Split,
) -> Result<Option<(String, String, Vec<(u64, u64, usize, Span)>)>, String> {
    let rec: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let id = rec["id"]
        .as_str()
        .or(rec["primary_gid"].as_str())
        .unwrap_or_default();
    if !split.keeps(id) {
        return Ok(None);
    }
    let text = rec["text"]
        .as_str()
        .or(rec["sentence_normalized"].as_str())
        .ok_or("no text (or sentence_normalized)")?;
    let idx = CharIndex::new(text);
    let mut targets = Vec::new();
    for t in rec["targets"].as_array().ok_or("no targets")? {
        let (Some(from), Some(to)) = (t["from"].as_u64(), t["to"].as_u64()) else {
            return Err("a target needs `from` and `to` (char offsets)".into());
        };
        let class = class_of(&t["polarity"])
            .ok_or("a target's polarity must be negative, neutral or positive")?;
        let (Some(a), Some(b)) = (idx.byte_of(from as usize), idx.byte_of(to as usize)) else {
            return Err("target offsets out of range".into());
        };
        if a >= b {
            return Err("a target's `from` must be before its `to`".into());
        }
        targets.push((from, to, class, Span::new(a, b)));
    }
    Ok(Some((id.to_string(), text.to_string(), targets)))
}

/// The record's text with its targets marked: one query per target, or one per record for a
/// marker-head model (as the pipeline marks every entity of a sentence).
fn by_marked_mention(
    model: &SentimentModel,
    items: &[(String, Vec<Span>)],
) -> Result<Vec<Probabilities>, ModelError> {
    let mut queries: Vec<Query> = Vec::new();
    // Per query: (item, the indices of the item's targets it scores).
    let mut owners: Vec<(usize, Vec<usize>)> = Vec::new();
    for (n, (text, spans)) in items.iter().enumerate() {
        for (q, which) in model.target_queries(text, Span::new(0, text.len()), spans)? {
            queries.push(q);
            owners.push((n, which));
        }
    }
    let refs: Vec<&Query> = queries.iter().collect();
    let results = model.classify_targets(&refs, 32)?;
    let mut per_item: Vec<Vec<Option<Probabilities>>> =
        items.iter().map(|(_, s)| vec![None; s.len()]).collect();
    for ((n, which), probs) in owners.into_iter().zip(results) {
        for (i, p) in which.into_iter().zip(probs) {
            per_item[n][i] = Some(p);
        }
    }
    Ok(per_item
        .into_iter()
        .flatten()
        .map(|p| p.expect("every target is in one query"))
        .collect())
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

/// Writes `items` to `path`, one JSON object a line.
fn write_jsonl<T: Serialize>(path: &Path, items: impl Iterator<Item = T>) -> Result<(), String> {
    use std::io::Write;
    let fail = |e: std::io::Error| format!("{}: cannot write: {e}", path.display());
    let mut w = std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(fail)?;
    for item in items {
        let line = serde_json::to_string(&item).map_err(|e| e.to_string())?;
        writeln!(w, "{line}").map_err(fail)?;
    }
    w.flush().map_err(fail)
}
