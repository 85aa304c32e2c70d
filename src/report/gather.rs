//! Summing annotations up into a [`Report`], one article at a time, in memory that grows with
//! the number of distinct entity names and articles, not with the text: a first pass keeps
//! scores and names only; a second pass ([`EvidencePass`]) collects the sentences behind the
//! entities that made the report.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::ner::{group_names, RawMention};
use crate::schema::Annotation;
use crate::text::Span;

use super::timeline::TimelineBuilder;
use super::{
    field, mean_ci, permutation_p, welch_p, Cell, Difference, EntityAcross, Evidence, GroupStats,
    Report, ReportOptions,
};

/// Sentences kept per entity and group as evidence (the first ones in reading order).
pub const EVIDENCE_PER_CELL: usize = 20;

/// Above this many article scores in two groups, differences are tested with Welch's t-test
/// instead of 4,999 relabellings.
pub const PERMUTATION_MAX: usize = 400;

#[derive(Default)]
struct GroupTally {
    scores: Vec<f64>,
    /// Sentences labelled negative, neutral, positive, other.
    labels: [usize; 4],
    /// All entity mentions in the group's articles (for coverage).
    mentions: usize,
}

/// A distinct (entity text, label) seen in some article.
struct Name {
    text: String,
    label: String,
    /// (article, entity) pairs with this name.
    occurrences: usize,
    /// Their summed mention counts.
    mentions: usize,
    /// Index of the first (article, entity) pair with this name.
    first: usize,
}

/// One (article, entity) pair in an article with a group.
struct Occurrence {
    name: u32,
    group: u32,
    score: f64,
    count: usize,
}

/// The first pass over the annotations.
pub struct Gather<'o> {
    opts: &'o ReportOptions,
    articles: usize,
    groups: BTreeMap<String, GroupTally>,
    group_ids: HashMap<String, u32>,
    group_names: Vec<String>,
    unassigned: Vec<String>,
    timeline: Option<TimelineBuilder>,
    models: BTreeSet<String>,
    name_ids: ByName<u32>,
    names: Vec<Name>,
    pairs: usize,
    occurrences: Vec<Occurrence>,
}

/// label -> entity text -> value: looked up by `&str`s, without building a key per entity.
type ByName<V> = HashMap<String, HashMap<String, V>>;

fn lookup<'m, V>(map: &'m ByName<V>, text: &str, label: &str) -> Option<&'m V> {
    map.get(label)?.get(text)
}

fn keeps(labels: &[String], label: &str) -> bool {
    labels.is_empty() || labels.iter().any(|l| l.eq_ignore_ascii_case(label))
}

impl<'o> Gather<'o> {
    /// Starts an empty report.
    pub fn new(opts: &'o ReportOptions) -> Self {
        Gather {
            opts,
            articles: 0,
            groups: BTreeMap::new(),
            group_ids: HashMap::new(),
            group_names: Vec::new(),
            unassigned: Vec::new(),
            timeline: opts.over.as_ref().map(|(f, p)| TimelineBuilder::new(f, *p)),
            models: BTreeSet::new(),
            name_ids: HashMap::new(),
            names: Vec::new(),
            pairs: 0,
            occurrences: Vec::new(),
        }
    }

    /// Adds one article.
    pub fn add(&mut self, a: &Annotation) {
        self.articles += 1;
        self.models.insert(a.run.models.ner.clone());
        self.models.insert(a.run.models.sentiment.clone());
        // The entity scores come from the targeted model when there was one.
        self.models.extend(a.run.models.targeted.iter().cloned());
        let group = field(a, &self.opts.by);
        let gid = group.as_ref().map(|g| {
            let tally = self.groups.entry(g.clone()).or_default();
            tally.scores.push(a.sentiment.score);
            for s in &a.sentences {
                let k = ["negative", "neutral", "positive"]
                    .iter()
                    .position(|l| *l == s.sentiment.label)
                    .unwrap_or(3);
                tally.labels[k] += 1;
            }
            tally.mentions += a.entities.iter().map(|e| e.count).sum::<usize>();
            if let Some(t) = &mut self.timeline {
                t.add(a, g);
            }
            let next = self.group_names.len() as u32;
            *self.group_ids.entry(g.clone()).or_insert_with(|| {
                self.group_names.push(g.clone());
                next
            })
        });
        if gid.is_none() {
            self.unassigned.push(a.id.clone());
        }
        for e in &a.entities {
            if !keeps(&self.opts.labels, &e.label) {
                continue;
            }
            let id = match lookup(&self.name_ids, &e.text, &e.label) {
                Some(&id) => id,
                None => {
                    let id = self.names.len() as u32;
                    self.name_ids
                        .entry(e.label.clone())
                        .or_default()
                        .insert(e.text.clone(), id);
                    self.names.push(Name {
                        text: e.text.clone(),
                        label: e.label.clone(),
                        occurrences: 0,
                        mentions: 0,
                        first: self.pairs,
                    });
                    id
                }
            };
            self.pairs += 1;
            let name = &mut self.names[id as usize];
            name.occurrences += 1;
            name.mentions += e.count;
            if let Some(group) = gid {
                self.occurrences.push(Occurrence {
                    name: id,
                    group,
                    score: e.sentiment.score,
                    count: e.count,
                });
            }
        }
    }

    /// The report (without evidence yet) and what the second pass needs to find it.
    pub fn finish(self) -> (Report, EvidencePass) {
        let groups = self.group_stats();
        let (entities, total, entity_of) = self.entities();
        let mut report = Report {
            by: self.opts.by.clone(),
            articles: self.articles,
            groups_total: groups.len(),
            groups,
            entities,
            entities_total: total,
            unassigned: self.unassigned,
            unreadable: Vec::new(),
            timeline: self.timeline.map(TimelineBuilder::finish),
            models: self.models.into_iter().collect(),
        };
        for e in &mut report.entities {
            e.differences = differences(&e.cells);
        }
        let evidence = EvidencePass {
            by: self.opts.by.clone(),
            labels: self.opts.labels.clone(),
            entity_of: self
                .name_ids
                .into_iter()
                .map(|(label, texts)| {
                    let kept = texts
                        .into_iter()
                        .filter_map(|(text, id)| entity_of.get(&id).map(|&e| (text, e)))
                        .collect();
                    (label, kept)
                })
                .collect(),
        };
        (report, evidence)
    }

    fn group_stats(&self) -> Vec<GroupStats> {
        let mut groups: Vec<GroupStats> = self
            .groups
            .iter()
            .map(|(name, t)| {
                let sentences: usize = t.labels.iter().sum();
                let share = |k: usize| {
                    if sentences == 0 {
                        0.0
                    } else {
                        t.labels[k] as f64 / sentences as f64
                    }
                };
                GroupStats {
                    name: name.clone(),
                    articles: t.scores.len(),
                    sentiment: mean_ci(&t.scores),
                    sentences,
                    share_negative: share(0),
                    share_neutral: share(1),
                    share_positive: share(2),
                }
            })
            .collect();
        groups.sort_by(|a, b| {
            a.sentiment
                .mean
                .total_cmp(&b.sentiment.mean)
                .then(a.name.cmp(&b.name))
        });
        groups
    }

    /// Entities merged across articles (the `top` of them), how many qualified, and the report
    /// entity of each name id.
    fn entities(&self) -> (Vec<EntityAcross>, usize, HashMap<u32, usize>) {
        let mentions: Vec<RawMention> = self
            .names
            .iter()
            .map(|n| RawMention {
                span: Span::new(n.first, n.first + 1),
                label: n.label.clone(),
                score: n.mentions as f32,
            })
            .collect();
        let texts: Vec<&str> = self.names.iter().map(|n| n.text.as_str()).collect();
        let weights: Vec<usize> = self.names.iter().map(|n| n.occurrences).collect();
        let merged = group_names(&mentions, &texts, &weights);
        let mut group_of_name = vec![0usize; self.names.len()];
        for (g, m) in merged.iter().enumerate() {
            for &i in &m.members {
                group_of_name[i] = g;
            }
        }
        let mut tallies: Vec<BTreeMap<u32, Tally>> =
            (0..merged.len()).map(|_| BTreeMap::new()).collect();
        for o in &self.occurrences {
            let t = tallies[group_of_name[o.name as usize]]
                .entry(o.group)
                .or_default();
            t.weighted += o.score * o.count as f64;
            t.mentions += o.count;
            t.scores.push(o.score);
        }
        let mut out: Vec<(EntityAcross, usize)> = Vec::new();
        for (g, (m, cells)) in merged.into_iter().zip(tallies).enumerate() {
            let total: usize = cells.values().map(|c| c.mentions).sum();
            if cells.len() < self.opts.min_groups || total < self.opts.min_count {
                continue;
            }
            let mut aliases: Vec<String> = m
                .members
                .iter()
                .map(|&i| self.names[i].text.clone())
                .filter(|n| *n != m.name)
                .collect();
            aliases.sort();
            aliases.dedup();
            let cells = cells
                .into_iter()
                .map(|(gid, t)| {
                    let name = &self.group_names[gid as usize];
                    let all = self.groups.get(name).map_or(0, |x| x.mentions).max(1);
                    (name.clone(), t.cell(all))
                })
                .collect();
            let entity = EntityAcross {
                name: m.name,
                label: m.label,
                aliases,
                cells,
                differences: Vec::new(),
            };
            out.push((entity, g));
        }
        let total = |e: &EntityAcross| e.cells.values().map(|c| c.mentions).sum::<usize>();
        out.sort_by(|a, b| total(&b.0).cmp(&total(&a.0)).then(a.0.name.cmp(&b.0.name)));
        let qualified = out.len();
        if self.opts.top > 0 {
            out.truncate(self.opts.top);
        }
        let pos_of: HashMap<usize, usize> = out
            .iter()
            .enumerate()
            .map(|(pos, (_, g))| (*g, pos))
            .collect();
        let entity_of = group_of_name
            .iter()
            .enumerate()
            .filter_map(|(i, g)| pos_of.get(g).map(|&pos| (i as u32, pos)))
            .collect();
        (out.into_iter().map(|x| x.0).collect(), qualified, entity_of)
    }
}

/// An entity's figures in one group while they are summed up.
#[derive(Default)]
struct Tally {
    /// Sum of article-level scores weighted by mentions.
    weighted: f64,
    mentions: usize,
    /// The entity's score in each article.
    scores: Vec<f64>,
}

impl Tally {
    fn cell(self, group_mentions: usize) -> Cell {
        let n = self.mentions;
        Cell {
            score: (self.weighted / n.max(1) as f64 * 1e4).round() / 1e4,
            mentions: n,
            articles: self.scores.len(),
            coverage: (n as f64 / group_mentions as f64 * 1e4).round() / 1e4,
            article_scores: self.scores,
            evidence: Vec::new(),
            evidence_total: 0,
        }
    }
}

/// Pairs of groups whose per-article scores differ (p < 0.05): a permutation test, or Welch's
/// t-test for large samples.
fn differences(cells: &BTreeMap<String, Cell>) -> Vec<Difference> {
    let eligible: Vec<(&String, &Cell)> = cells
        .iter()
        .filter(|(_, c)| c.article_scores.len() >= 3)
        .collect();
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let mut out = Vec::new();
    for (i, (ga, a)) in eligible.iter().enumerate() {
        for (gb, b) in &eligible[i + 1..] {
            let (xa, xb) = (&a.article_scores, &b.article_scores);
            let p = if xa.len() + xb.len() > PERMUTATION_MAX {
                welch_p(xa, xb)
            } else {
                permutation_p(xa, xb, 4999)
            };
            if p < 0.05 {
                let (ma, mb) = (mean(xa), mean(xb));
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

/// The second pass: the sentences behind each reported entity's score.
pub struct EvidencePass {
    by: String,
    labels: Vec<String>,
    /// label -> entity text -> the report entity it belongs to.
    entity_of: ByName<usize>,
}

impl EvidencePass {
    /// Adds the article's sentences that mention a reported entity.
    pub fn add(&self, report: &mut Report, a: &Annotation) {
        let Some(group) = field(a, &self.by) else {
            return;
        };
        for e in &a.entities {
            if !keeps(&self.labels, &e.label) {
                continue;
            }
            let Some(&pos) = lookup(&self.entity_of, &e.text, &e.label) else {
                continue;
            };
            let Some(cell) = report.entities[pos].cells.get_mut(&group) else {
                continue;
            };
            let mut last_sentence = None;
            for men in &e.mentions {
                if last_sentence == Some(men.sentence) {
                    continue;
                }
                last_sentence = Some(men.sentence);
                let Some(s) = a.sentences.get(men.sentence) else {
                    continue;
                };
                cell.evidence_total += 1;
                if cell.evidence.len() >= EVIDENCE_PER_CELL {
                    continue;
                }
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
    }
}
