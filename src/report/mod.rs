//! `newslens report`: compares sentiment across sources (or any metadata field), from the
//! annotation JSONL alone, and writes flat tables, Markdown, JSON and a self-contained HTML page.

mod charts;
mod html;
mod stats;
mod tables;
mod timeline;

pub use stats::{mean_ci, permutation_p, t975, MeanCi};
pub use timeline::{parse_date, Period, Point, Timeline};

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use crate::ner::{group_mentions, RawMention};
use crate::schema::Annotation;
use crate::text::Span;

/// Report settings.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Metadata field to group by (`source`, `date`, `category`, ...).
    pub by: String,
    /// Entities must be mentioned in at least this many groups.
    pub min_groups: usize,
    /// Keep only entities with these labels (empty: all).
    pub labels: Vec<String>,
    /// Keep only entities with at least this many mentions in all.
    pub min_count: usize,
    /// Show the most mentioned entities only (0: all).
    pub top: usize,
    /// A date field to chart each group's tone over, and the period length.
    pub over: Option<(String, Period)>,
}

/// Sentiment of one group of articles.
#[derive(Debug, Clone, Serialize)]
pub struct GroupStats {
    /// The group's value of the `by` field.
    pub name: String,
    /// Articles.
    pub articles: usize,
    /// Mean article sentiment score with its 95% CI.
    pub sentiment: MeanCi,
    /// Sentences.
    pub sentences: usize,
    /// Shares of negative / neutral / positive sentences.
    pub share_negative: f64,
    /// Share of neutral sentences.
    pub share_neutral: f64,
    /// Share of positive sentences.
    pub share_positive: f64,
}

/// One sentence behind an entity's score.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Article id.
    pub id: String,
    /// Sentence offsets in the article (chars).
    pub start: usize,
    /// End of the sentence (chars).
    pub end: usize,
    /// The sentence.
    pub sentence: String,
    /// Mention offsets within the sentence (chars).
    pub mention_start: usize,
    /// End of the mention within the sentence (chars).
    pub mention_end: usize,
    /// Sentiment towards the entity in this sentence.
    pub score: f64,
}

/// An entity in one group.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Mean entity sentiment (article-level entity scores, weighted by mentions).
    pub score: f64,
    /// Mentions.
    pub mentions: usize,
    /// Articles that mention it.
    pub articles: usize,
    /// Share of all entity mentions in the group's articles that name this entity (coverage).
    pub coverage: f64,
    /// The entity's score in each article of the group that mentions it.
    pub article_scores: Vec<f64>,
    /// The sentences behind the score.
    pub evidence: Vec<Evidence>,
}

/// An entity across groups, merged by canonical name, label and aliases.
#[derive(Debug, Clone, Serialize)]
pub struct EntityAcross {
    /// Canonical name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Other names it appeared under.
    pub aliases: Vec<String>,
    /// Per group.
    pub cells: BTreeMap<String, Cell>,
    /// Pairs of groups whose tone towards the entity differs beyond chance.
    pub differences: Vec<Difference>,
}

/// Two groups whose mean tone towards an entity differs: a two-sided permutation test on the
/// per-article entity scores (groups with at least 3 such articles), p < 0.05 per comparison
/// (not corrected for the number of comparisons).
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// The group with the lower mean.
    pub lower: String,
    /// The group with the higher mean.
    pub higher: String,
    /// Difference of the means (higher - lower).
    pub gap: f64,
    /// Permutation p-value.
    pub p: f64,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Field grouped by.
    pub by: String,
    /// Articles read.
    pub articles: usize,
    /// Groups, most negative first.
    pub groups: Vec<GroupStats>,
    /// Entities in at least `min_groups` groups, most mentioned first (the `top` of them).
    pub entities: Vec<EntityAcross>,
    /// How many entities qualified before the `top` cut.
    pub entities_total: usize,
    /// Ids of the articles without the `by` field: shown apart, not compared.
    pub unassigned: Vec<String>,
    /// Tone over time, with `--over`.
    pub timeline: Option<Timeline>,
    /// Models named in the annotations.
    pub models: Vec<String>,
}

/// Reads annotations from files and folders (a folder: every `.jsonl` file in it, in name
/// order, e.g. the part files of sharded runs). An id seen twice is an error: the inputs overlap.
pub fn load(paths: &[std::path::PathBuf]) -> Result<Vec<Annotation>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: cannot list: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().is_some_and(|x| x == "jsonl")
                        && !f.to_string_lossy().ends_with(".rejects.jsonl")
                })
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(p.clone());
        }
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for f in &files {
        for a in load_file(f)? {
            if let Some(first) = seen.insert(a.id.clone(), f.clone()) {
                return Err(format!(
                    "{}: id {:?} is also in {}: the inputs overlap",
                    f.display(),
                    a.id,
                    first.display()
                ));
            }
            out.push(a);
        }
    }
    if out.is_empty() {
        return Err(format!(
            "no annotations in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(out)
}

fn load_file(path: &Path) -> Result<Vec<Annotation>, String> {
    let f =
        std::fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| {
            format!(
                "{}:{}: not a newslens annotation ({e}); give the output of `newslens annotate`",
                path.display(),
                n + 1
            )
        })?);
    }
    Ok(out)
}

/// Values that say "no value" (compared in lower case): such an article has no group.
pub const MISSING: &[&str] = &["", "unknown", "n/a", "na", "none", "null", "-", "?"];

/// The value of `field` for an article, or None when it is absent, empty or a [`MISSING`] word.
pub fn field(a: &Annotation, field: &str) -> Option<String> {
    let v = match field {
        "source" => a.meta.source.clone(),
        "title" => a.meta.title.clone(),
        "date" => a.meta.date.clone(),
        "url" => a.meta.url.clone(),
        "id" => Some(a.id.clone()),
        other => a
            .meta
            .extra
            .get(other)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)),
    };
    v.filter(|s| !MISSING.contains(&s.trim().to_lowercase().as_str()))
}

/// Aggregates annotations into a report.
pub fn build(annotations: &[Annotation], opts: &ReportOptions) -> Report {
    let mut by_group: BTreeMap<String, Vec<&Annotation>> = BTreeMap::new();
    let mut unassigned = Vec::new();
    for a in annotations {
        match field(a, &opts.by) {
            Some(g) => by_group.entry(g).or_default().push(a),
            None => unassigned.push(a.id.clone()),
        }
    }
    let mut groups: Vec<GroupStats> = by_group
        .iter()
        .map(|(name, arts)| {
            let scores: Vec<f64> = arts.iter().map(|a| a.sentiment.score).collect();
            let sents: Vec<&str> = arts
                .iter()
                .flat_map(|a| a.sentences.iter().map(|s| s.sentiment.label.as_str()))
                .collect();
            let share = |l: &str| {
                if sents.is_empty() {
                    0.0
                } else {
                    sents.iter().filter(|&&x| x == l).count() as f64 / sents.len() as f64
                }
            };
            GroupStats {
                name: name.clone(),
                articles: arts.len(),
                sentiment: mean_ci(&scores),
                sentences: sents.len(),
                share_negative: share("negative"),
                share_neutral: share("neutral"),
                share_positive: share("positive"),
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        a.sentiment
            .mean
            .total_cmp(&b.sentiment.mean)
            .then(a.name.cmp(&b.name))
    });

    let mut models: Vec<String> = annotations
        .iter()
        .flat_map(|a| [a.run.models.ner.clone(), a.run.models.sentiment.clone()])
        .collect();
    models.sort();
    models.dedup();
    let mut entities = entities_across(annotations, opts);
    let entities_total = entities.len();
    if opts.top > 0 {
        entities.truncate(opts.top);
    }
    for e in &mut entities {
        e.differences = differences(&e.cells);
    }
    Report {
        by: opts.by.clone(),
        articles: annotations.len(),
        groups,
        entities,
        entities_total,
        unassigned,
        timeline: opts
            .over
            .as_ref()
            .map(|(f, p)| timeline::timeline(annotations, &opts.by, f, *p)),
        models,
    }
}

fn entities_across(annotations: &[Annotation], opts: &ReportOptions) -> Vec<EntityAcross> {
    // Every (article, entity), merged across the corpus with the same rules as within an article.
    let mut refs = Vec::new();
    let mut mentions = Vec::new();
    let mut names = Vec::new();
    for (ai, a) in annotations.iter().enumerate() {
        for (ei, e) in a.entities.iter().enumerate() {
            if !opts.labels.is_empty()
                && !opts.labels.iter().any(|l| l.eq_ignore_ascii_case(&e.label))
            {
                continue;
            }
            refs.push((ai, ei));
            mentions.push(RawMention {
                span: Span::new(refs.len(), refs.len() + 1),
                label: e.label.clone(),
                score: e.count as f32,
            });
            names.push(e.text.as_str());
        }
    }
    let groups = group_mentions(&mentions, &names, false);
    // All entity mentions per group, for coverage.
    let mut group_mentions: HashMap<String, usize> = HashMap::new();
    for a in annotations {
        if let Some(g) = field(a, &opts.by) {
            *group_mentions.entry(g).or_default() +=
                a.entities.iter().map(|e| e.count).sum::<usize>();
        }
    }
    let mut out = Vec::new();
    for g in groups {
        let mut cells: BTreeMap<String, Tally> = BTreeMap::new();
        let mut aliases: HashMap<&str, ()> = HashMap::new();
        for &m in &g.members {
            let (ai, ei) = refs[m];
            let (a, e) = (&annotations[ai], &annotations[ai].entities[ei]);
            aliases.insert(e.text.as_str(), ());
            let Some(group) = field(a, &opts.by) else {
                continue;
            };
            let cell = cells.entry(group).or_default();
            cell.weighted += e.sentiment.score * e.count as f64;
            cell.mentions += e.count;
            cell.scores.push(e.sentiment.score);
            let mut last_sentence = None;
            for men in &e.mentions {
                if last_sentence == Some(men.sentence) {
                    continue;
                }
                last_sentence = Some(men.sentence);
                let Some(s) = a.sentences.get(men.sentence) else {
                    continue;
                };
                cell.evidence.push(Evidence {
                    id: a.id.clone(),
                    start: s.start,
                    end: s.end,
                    sentence: s.text.clone(),
                    mention_start: men.start.saturating_sub(s.start),
                    mention_end: men.end.saturating_sub(s.start).min(s.end - s.start),
                    score: men.sentiment,
                });
            }
        }
        let total: usize = cells.values().map(|c| c.mentions).sum();
        if cells.len() < opts.min_groups || total < opts.min_count {
            continue;
        }
        let mut aliases: Vec<String> = aliases
            .into_keys()
            .filter(|n| *n != g.name)
            .map(str::to_string)
            .collect();
        aliases.sort();
        let cells: BTreeMap<String, Cell> = cells
            .into_iter()
            .map(|(k, t)| {
                let n = t.mentions;
                let score = (t.weighted / n.max(1) as f64 * 1e4).round() / 1e4;
                let all = group_mentions.get(&k).copied().unwrap_or(0).max(1);
                let coverage = (n as f64 / all as f64 * 1e4).round() / 1e4;
                let cell = Cell {
                    score,
                    mentions: n,
                    articles: t.scores.len(),
                    coverage,
                    article_scores: t.scores,
                    evidence: t.evidence,
                };
                (k, cell)
            })
            .collect();
        out.push(EntityAcross {
            name: g.name,
            label: g.label,
            aliases,
            differences: Vec::new(),
            cells,
        });
    }
    let total = |e: &EntityAcross| e.cells.values().map(|c| c.mentions).sum::<usize>();
    out.sort_by(|a, b| total(b).cmp(&total(a)).then(a.name.cmp(&b.name)));
    out
}

/// An entity's figures in one group while they are summed up.
#[derive(Default)]
struct Tally {
    /// Sum of article-level scores weighted by mentions.
    weighted: f64,
    mentions: usize,
    /// The entity's score in each article.
    scores: Vec<f64>,
    evidence: Vec<Evidence>,
}

/// Pairs of groups whose per-article scores differ (permutation test, p < 0.05).
fn differences(cells: &BTreeMap<String, Cell>) -> Vec<Difference> {
    let eligible: Vec<(&String, &Cell)> = cells
        .iter()
        .filter(|(_, c)| c.article_scores.len() >= 3)
        .collect();
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let mut out = Vec::new();
    for (i, (ga, a)) in eligible.iter().enumerate() {
        for (gb, b) in &eligible[i + 1..] {
            let p = permutation_p(&a.article_scores, &b.article_scores, 4999);
            if p < 0.05 {
                let (ma, mb) = (mean(&a.article_scores), mean(&b.article_scores));
                let (lower, higher) = if ma <= mb { (ga, gb) } else { (gb, ga) };
                out.push(Difference {
                    lower: lower.to_string(),
                    higher: higher.to_string(),
                    gap: ((ma - mb).abs() * 1e4).round() / 1e4,
                    p: (p * 1e4).round() / 1e4,
                });
            }
        }
    }
    out
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `index.html`, self-contained, with charts.
    Html,
    /// `report.md`.
    Md,
    /// `report.json`.
    Json,
    /// `documents.csv`, `entities.csv`, `mentions.csv`, `sentences.csv`.
    Csv,
}

/// Writes the chosen formats into `dir`; returns the files written.
pub fn write(
    report: &Report,
    annotations: &[Annotation],
    dir: &Path,
    formats: &[Format],
) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let mut written = Vec::new();
    let save = |name: &str, body: String, written: &mut Vec<String>| -> Result<(), String> {
        let p = dir.join(name);
        std::fs::write(&p, body).map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
        written.push(p.display().to_string());
        Ok(())
    };
    for f in formats {
        match f {
            Format::Html => save("index.html", html::page(report)?, &mut written)?,
            Format::Md => save("report.md", html::markdown(report), &mut written)?,
            Format::Json => save(
                "report.json",
                serde_json::to_string_pretty(report).map_err(|e| e.to_string())?,
                &mut written,
            )?,
            Format::Csv => {
                for (name, body) in tables::tables(annotations, &report.by)? {
                    save(name, body, &mut written)?;
                }
            }
        }
    }
    Ok(written)
}
