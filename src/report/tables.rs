//! Flat tables for pandas, polars, DuckDB, Spark and spreadsheets: one row per document, entity,
//! mention and sentence, each with the document id and the grouping field. Written while the
//! annotations stream past, as CSV and/or Parquet.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::schema::Annotation;

use super::field;
use super::parquet::ParquetSink;

/// A column's type: text, text that may be missing (empty in CSV, null in Parquet), integer, float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (UTF-8).
    Str,
    /// Text or null.
    OptStr,
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Str(String),
    /// Text or null.
    OptStr(Option<String>),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
}

impl Value {
    fn csv(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::OptStr(s) => s.clone().unwrap_or_default(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
        }
    }
}

/// A table's name (file stem) and columns.
pub struct Spec {
    /// `documents`, `entities`, `mentions` or `sentences`.
    pub name: &'static str,
    /// Column names and types.
    pub columns: &'static [(&'static str, Kind)],
}

use Kind::{Float, Int, OptStr, Str};

/// The four tables, in the order [`rows`] returns their rows.
pub const SPECS: [Spec; 4] = [
    Spec {
        name: "documents",
        columns: &[
            ("id", Str),
            ("group", OptStr),
            ("source", OptStr),
            ("title", OptStr),
            ("date", OptStr),
            ("chars", Int),
            ("sentences", Int),
            ("entities", Int),
            ("sentiment_label", Str),
            ("sentiment_score", Float),
            ("p_negative", Float),
            ("p_neutral", Float),
            ("p_positive", Float),
        ],
    },
    Spec {
        name: "entities",
        columns: &[
            ("id", Str),
            ("group", OptStr),
            ("source", OptStr),
            ("entity_index", Int),
            ("entity", Str),
            ("label", Str),
            ("count", Int),
            ("salience", Float),
            ("sentiment_label", Str),
            ("sentiment_score", Float),
        ],
    },
    Spec {
        name: "mentions",
        columns: &[
            ("id", Str),
            ("group", OptStr),
            ("source", OptStr),
            ("entity_index", Int),
            ("entity", Str),
            ("label", Str),
            ("start", Int),
            ("end", Int),
            ("text", Str),
            ("score", Float),
            ("sentence", Int),
            ("sentiment_score", Float),
        ],
    },
    Spec {
        name: "sentences",
        columns: &[
            ("id", Str),
            ("group", OptStr),
            ("source", OptStr),
            ("sentence", Int),
            ("start", Int),
            ("end", Int),
            ("sentiment_label", Str),
            ("sentiment_score", Float),
            ("p_negative", Float),
            ("p_neutral", Float),
            ("p_positive", Float),
            ("text", Str),
        ],
    },
];

/// One article's rows for each of the four tables (in [`SPECS`] order).
pub fn rows(a: &Annotation, by: &str) -> [Vec<Vec<Value>>; 4] {
    let id = || Value::Str(a.id.clone());
    // The article's fields, read once and repeated on each of its rows.
    let (group, source) = (field(a, by), field(a, "source"));
    let group = || Value::OptStr(group.clone());
    let source = || Value::OptStr(source.clone());
    let opt = |f: &str| Value::OptStr(field(a, f));
    let s = |t: &str| Value::Str(t.to_string());
    let int = |n: usize| Value::Int(n as i64);
    let p = &a.sentiment.probabilities;
    let docs = vec![vec![
        id(),
        group(),
        source(),
        opt("title"),
        opt("date"),
        int(a.chars),
        int(a.sentences.len()),
        int(a.entities.len()),
        s(&a.sentiment.label),
        Value::Float(a.sentiment.score),
        Value::Float(p.negative),
        Value::Float(p.neutral),
        Value::Float(p.positive),
    ]];
    let (mut ents, mut ments) = (Vec::new(), Vec::new());
    for (i, e) in a.entities.iter().enumerate() {
        ents.push(vec![
            id(),
            group(),
            source(),
            int(i),
            s(&e.text),
            s(&e.label),
            int(e.count),
            Value::Float(e.salience),
            s(&e.sentiment.label),
            Value::Float(e.sentiment.score),
        ]);
        for m in &e.mentions {
            ments.push(vec![
                id(),
                group(),
                source(),
                int(i),
                s(&e.text),
                s(&m.label),
                int(m.start),
                int(m.end),
                s(&m.text),
                Value::Float(m.score),
                int(m.sentence),
                Value::Float(m.sentiment),
            ]);
        }
    }
    let sents = a
        .sentences
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let p = &x.sentiment.probabilities;
            vec![
                id(),
                group(),
                source(),
                int(i),
                int(x.start),
                int(x.end),
                s(&x.sentiment.label),
                Value::Float(x.sentiment.score),
                Value::Float(p.negative),
                Value::Float(p.neutral),
                Value::Float(p.positive),
                s(&x.text),
            ]
        })
        .collect();
    [docs, ents, ments, sents]
}

/// Somewhere rows of one table go.
trait Sink {
    fn push(&mut self, row: &[Value]) -> Result<(), String>;
    fn finish(self: Box<Self>) -> Result<(), String>;
}

struct CsvSink {
    w: csv::Writer<BufWriter<File>>,
    path: String,
}

impl Sink for CsvSink {
    fn push(&mut self, row: &[Value]) -> Result<(), String> {
        self.w
            .write_record(row.iter().map(Value::csv))
            .map_err(|e| format!("{}: cannot write: {e}", self.path))
    }
    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.w
            .flush()
            .map_err(|e| format!("{}: cannot write: {e}", self.path))
    }
}

impl Sink for ParquetSink {
    fn push(&mut self, row: &[Value]) -> Result<(), String> {
        ParquetSink::push(self, row)
    }
    fn finish(self: Box<Self>) -> Result<(), String> {
        ParquetSink::finish(*self)
    }
}

/// The tables being written, in each format asked for.
pub struct Tables {
    sinks: Vec<[Box<dyn Sink>; 4]>,
    written: Vec<String>,
}

impl Tables {
    /// Creates `NAME.csv` and/or `NAME.parquet` for the four tables in `dir`.
    pub fn create(dir: &Path, csv: bool, parquet: bool) -> Result<Self, String> {
        let mut sinks = Vec::new();
        let mut written = Vec::new();
        let mut path = |spec: &Spec, ext: &str| {
            let p = dir.join(format!("{}.{ext}", spec.name));
            written.push(p.display().to_string());
            p
        };
        if csv {
            let mut make = |spec: &Spec| -> Result<Box<dyn Sink>, String> {
                let p = path(spec, "csv");
                let f =
                    File::create(&p).map_err(|e| format!("{}: cannot create: {e}", p.display()))?;
                let mut w = csv::Writer::from_writer(BufWriter::new(f));
                let path = p.display().to_string();
                w.write_record(spec.columns.iter().map(|c| c.0))
                    .map_err(|e| format!("{path}: cannot write: {e}"))?;
                Ok(Box::new(CsvSink { w, path }))
            };
            sinks.push([
                make(&SPECS[0])?,
                make(&SPECS[1])?,
                make(&SPECS[2])?,
                make(&SPECS[3])?,
            ]);
        }
        if parquet {
            let mut make = |spec: &Spec| -> Result<Box<dyn Sink>, String> {
                Ok(Box::new(ParquetSink::create(&path(spec, "parquet"), spec)?))
            };
            sinks.push([
                make(&SPECS[0])?,
                make(&SPECS[1])?,
                make(&SPECS[2])?,
                make(&SPECS[3])?,
            ]);
        }
        Ok(Tables { sinks, written })
    }

    /// Adds one article's rows.
    pub fn add(&mut self, a: &Annotation, by: &str) -> Result<(), String> {
        if self.sinks.is_empty() {
            return Ok(());
        }
        let tables = rows(a, by);
        for set in &mut self.sinks {
            for (sink, rows) in set.iter_mut().zip(&tables) {
                for r in rows {
                    sink.push(r)?;
                }
            }
        }
        Ok(())
    }

    /// Closes every file; returns their paths.
    pub fn finish(self) -> Result<Vec<String>, String> {
        for set in self.sinks {
            for sink in set {
                sink.finish()?;
            }
        }
        Ok(self.written)
    }
}
