//! Tone over time: each group's mean article score per month or ISO week, from a date field.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::field;
use crate::schema::Annotation;

/// How long a period of the timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar months (`2024-03`).
    Month,
    /// ISO weeks (`2024-W09`).
    Week,
}

/// One group's articles in one period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Point {
    /// Articles.
    pub articles: usize,
    /// Their mean score.
    pub mean: f64,
}

/// Tone per group per period.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// The date field read.
    pub field: String,
    /// Months or weeks.
    pub period: Period,
    /// Every period with an article, in order.
    pub periods: Vec<String>,
    /// Per group, per period.
    pub series: BTreeMap<String, BTreeMap<String, Point>>,
    /// Ids of the articles (with a group) whose date could not be read.
    pub undated: Vec<String>,
}

/// Reads a date: `2024-03-05`, `2024-03-05T10:00:00Z` (and other text after the day),
/// `2024/03/05`, `05.03.2024`, `March 5, 2024`, `5 March 2024`, `Mar 5, 2024`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some(head) = s.get(..10) {
        for f in ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y"] {
            if let Ok(d) = NaiveDate::parse_from_str(head, f) {
                return Some(d);
            }
        }
    }
    ["%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

fn period_of(d: NaiveDate, p: Period) -> String {
    match p {
        Period::Month => format!("{:04}-{:02}", d.year(), d.month()),
        Period::Week => {
            let w = d.iso_week();
            format!("{:04}-W{:02}", w.year(), w.week())
        }
    }
}

/// A timeline being summed up, one article at a time.
pub struct TimelineBuilder {
    over: String,
    period: Period,
    sums: BTreeMap<String, BTreeMap<String, (f64, usize)>>,
    undated: Vec<String>,
}

impl TimelineBuilder {
    /// Dates articles by the field `over`, in periods of `period`.
    pub fn new(over: &str, period: Period) -> Self {
        TimelineBuilder {
            over: over.to_string(),
            period,
            sums: BTreeMap::new(),
            undated: Vec::new(),
        }
    }

    /// Adds an article of `group` (articles without a group are not on the timeline).
    pub fn add(&mut self, a: &Annotation, group: &str) {
        match field(a, &self.over).as_deref().and_then(parse_date) {
            Some(d) => {
                let cell = self
                    .sums
                    .entry(group.to_string())
                    .or_default()
                    .entry(period_of(d, self.period))
                    .or_default();
                cell.0 += a.sentiment.score;
                cell.1 += 1;
            }
            None => self.undated.push(a.id.clone()),
        }
    }

    /// The means per group and period.
    pub fn finish(self) -> Timeline {
        let mut periods: Vec<String> = self.sums.values().flat_map(|m| m.keys().cloned()).collect();
        periods.sort();
        periods.dedup();
        let series = self
            .sums
            .into_iter()
            .map(|(g, m)| {
                let points = m
                    .into_iter()
                    .map(|(p, (sum, n))| {
                        let mean = (sum / n as f64 * 1e4).round() / 1e4;
                        (p, Point { articles: n, mean })
                    })
                    .collect();
                (g, points)
            })
            .collect();
        Timeline {
            field: self.over,
            period: self.period,
            periods,
            series,
            undated: self.undated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_common_forms() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        for s in [
            "2024-03-05",
            "2024-03-05T10:00:00Z",
            "2024/03/05",
            "05.03.2024",
            "March 5, 2024",
            "5 March 2024",
            "Mar 5, 2024",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        for s in ["unknown", "", "2024-13-45", "yesterday"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(period_of(d, Period::Month), "2024-03");
        assert_eq!(period_of(d, Period::Week), "2024-W10");
    }
}
