//! `newslens report`: compares sentiment across sources (or any metadata field), from the
//! annotation JSONL alone, and writes flat tables, Markdown, JSON and a self-contained HTML page.

mod charts;
mod gather;
mod html;
mod parquet;
mod read;
mod stats;
mod tables;
mod timeline;

use gather::Gather;
pub use gather::{EVIDENCE_PER_CELL, PERMUTATION_MAX};
pub use read::Inputs;
pub use stats::{mean_ci, permutation_p, t975, welch_p, MeanCi};
pub use tables::{rows, Kind, Spec, Value, SPECS};
pub use timeline::{parse_date, Period, Point, Timeline};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::schema::Annotation;

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
    /// On the pages (HTML, Markdown), show the groups with the most articles only (0: all);
    /// report.json and the tables keep every group.
    pub top_groups: usize,
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
    /// The first sentences behind the score (at most [`EVIDENCE_PER_CELL`]).
    pub evidence: Vec<Evidence>,
    /// How many sentences are behind the score in all.
    pub evidence_total: usize,
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
/// per-article entity scores (groups with at least 3 such articles; Welch's t-test when the two
/// have more than [`PERMUTATION_MAX`] together), p < 0.05 per comparison (not corrected for the
/// number of comparisons).
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
    /// How many groups there are in all (more than `groups` on a page cut by `top_groups`).
    pub groups_total: usize,
    /// Entities in at least `min_groups` groups, most mentioned first (the `top` of them).
    pub entities: Vec<EntityAcross>,
    /// How many entities qualified before the `top` cut.
    pub entities_total: usize,
    /// Ids of the articles without the `by` field: shown apart, not compared.
    pub unassigned: Vec<String>,
    /// Input lines that are not annotations (`file:line: why`): left out of every figure.
    pub unreadable: Vec<String>,
    /// Tone over time, with `--over`.
    pub timeline: Option<Timeline>,
    /// Models named in the annotations.
    pub models: Vec<String>,
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
    /// The same four tables as `.parquet` (snappy).
    Parquet,
}

/// What [`run`] did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The files written.
    pub written: Vec<String>,
    /// Input lines that are not annotations (`file:line: why`), left out of the report.
    pub unreadable: Vec<String>,
    /// Said when no article has the `--by` field, or no readable `--over` date (a typo?), with
    /// the fields the articles have.
    pub warnings: Vec<String>,
}

/// Reads the annotation files (streaming: the tables are written as records pass, and only
/// scores and names are kept), then writes the chosen formats into `dir`. A line that is not an
/// annotation is left out and listed. `progress(pass, records)` is called as records are read
/// (pass 1: everything; pass 2: the evidence of the reported entities).
pub fn run(
    inputs: &[PathBuf],
    opts: &ReportOptions,
    dir: &Path,
    formats: &[Format],
    progress: &dyn Fn(u8, u64),
) -> Result<Outcome, String> {
    let inputs = Inputs::new(inputs)?;
    if dir.is_file() {
        return Err(format!(
            "{}: is a file; -o takes a folder, which gets index.html, report.md, report.json and \
             the tables",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let mut tables = tables::Tables::create(
        dir,
        formats.contains(&Format::Csv),
        formats.contains(&Format::Parquet),
    )?;
    let mut gather = Gather::new(opts);
    let mut n = 0;
    // The fields the articles have, for a `--by` that none has.
    let mut fields = std::collections::BTreeSet::from(["id".to_string()]);
    let (_, unreadable) = inputs.each_once(|a| {
        let m = &a.meta;
        for (name, v) in [
            ("source", &m.source),
            ("title", &m.title),
            ("date", &m.date),
            ("url", &m.url),
        ] {
            if v.is_some() {
                fields.insert(name.to_string());
            }
        }
        fields.extend(m.extra.keys().cloned());
        gather.add(a);
        n += 1;
        progress(1, n);
        tables.add(a, &opts.by)
    })?;
    let mut written = tables.finish()?;
    let (mut report, pass) = gather.finish();
    report.unreadable = unreadable;
    if !report.entities.is_empty() {
        let mut n = 0;
        inputs.each(|a| {
            pass.add(&mut report, a);
            n += 1;
            progress(2, n);
            Ok(())
        })?;
    }
    written.extend(write_pages(&report, opts.top_groups, dir, formats)?);
    let have = fields.into_iter().collect::<Vec<_>>().join(", ");
    let mut warnings = Vec::new();
    if report.groups.is_empty() {
        warnings.push(format!(
            "no article has a value for --by {:?}, so no groups are compared; the articles have: {have}",
            opts.by
        ));
    } else if let Some(t) = report.timeline.as_ref().filter(|t| t.periods.is_empty()) {
        warnings.push(format!(
            "no article has a date that can be read in --over {:?} ({} undated), so there is no \
             timeline; the articles have: {have}",
            t.field,
            t.undated.len()
        ));
    }
    Ok(Outcome {
        written,
        unreadable: report.unreadable,
        warnings,
    })
}

impl Report {
    /// The report as a page shows it: the `n` groups with the most articles (ties by name), in
    /// the report's order, and the entity cells of those groups only (0: all).
    pub fn with_top_groups(&self, n: usize) -> Report {
        if n == 0 || self.groups.len() <= n {
            return self.clone();
        }
        let mut by_size: Vec<&GroupStats> = self.groups.iter().collect();
        by_size.sort_by(|a, b| b.articles.cmp(&a.articles).then(a.name.cmp(&b.name)));
        let keep: std::collections::HashSet<&str> =
            by_size[..n].iter().map(|g| g.name.as_str()).collect();
        let mut out = self.clone();
        out.groups.retain(|g| keep.contains(g.name.as_str()));
        for e in &mut out.entities {
            e.cells.retain(|g, _| keep.contains(g.as_str()));
            e.differences
                .retain(|d| keep.contains(d.lower.as_str()) && keep.contains(d.higher.as_str()));
        }
        if let Some(t) = &mut out.timeline {
            t.series.retain(|g, _| keep.contains(g.as_str()));
        }
        out
    }
}

/// Writes the page formats (HTML, Markdown, JSON) of `report` into `dir` (the pages show the
/// `top_groups` largest groups; JSON keeps all); returns the files.
pub fn write_pages(
    report: &Report,
    top_groups: usize,
    dir: &Path,
    formats: &[Format],
) -> Result<Vec<String>, String> {
    let page = report.with_top_groups(top_groups);
    let mut written = Vec::new();
    for f in formats {
        let (name, body) = match f {
            Format::Html => ("index.html", html::page(&page)?),
            Format::Md => ("report.md", html::markdown(&page)),
            Format::Json => (
                "report.json",
                serde_json::to_string_pretty(report).map_err(|e| e.to_string())?,
            ),
            Format::Csv | Format::Parquet => continue,
        };
        let p = dir.join(name);
        std::fs::write(&p, body).map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
        written.push(p.display().to_string());
    }
    Ok(written)
}
