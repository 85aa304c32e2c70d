//! A stream of articles through the pipeline into a writer: batching, duplicate ids, what a
//! resumed output already holds, and rejects. The CLI's `annotate` (folder, file or stdin filter)
//! is this one loop; a Rust program embedding newslens calls it the same way.

use std::collections::{HashMap, HashSet};

use crate::input::{Article, Articles, InputError};
use crate::model::ModelError;
use crate::output::Writer;
use crate::schema::text_hash;
use crate::shard::Shard;
use crate::Pipeline;

/// How a stream is run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Articles read and annotated together.
    pub articles_per_batch: usize,
    /// Ids the output already holds, with their `text_hash` (from [`crate::output::Resume`]).
    pub done: HashMap<String, Option<String>>,
    /// Only the articles of this shard (an unreadable input belongs to the shard of its
    /// `file:line`, so exactly one shard reports it).
    pub shard: Option<Shard>,
    /// Also write each rejected input as a line of the output, in input order:
    /// `{"id", "error", "file", "line"}` (so a filter's output lines up with its input).
    pub errors_inline: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            articles_per_batch: 64,
            done: HashMap::new(),
            shard: None,
            errors_inline: false,
        }
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RunSummary {
    /// Articles annotated and written.
    pub written: usize,
    /// Articles skipped because the output already held them.
    pub skipped: usize,
    /// Inputs rejected, in input order.
    pub rejects: Vec<InputError>,
    /// Model tokens (padding excluded).
    pub tokens: usize,
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The output could not be written (what is already there is whole lines).
    #[error("cannot write the output")]
    Write(#[from] std::io::Error),
}

/// Called as the run goes: articles done (annotated, skipped or rejected) and tokens so far.
pub trait Progress {
    /// `articles` more inputs were handled; `tokens` model tokens in all so far.
    fn advance(&self, articles: u64, tokens: usize);
    /// An input was rejected (the run goes on).
    fn rejected(&self, error: &InputError);
}

/// No progress reports.
pub struct Silent;

impl Progress for Silent {
    fn advance(&self, _: u64, _: usize) {}
    fn rejected(&self, _: &InputError) {}
}

/// Articles waiting for their batch, and the inline error lines that go before article `at`.
#[derive(Default)]
struct Pending {
    articles: Vec<Article>,
    errors: Vec<(usize, serde_json::Value)>,
}

impl Pipeline {
    /// Annotates every article of `articles` into `writer`, a batch at a time (each batch written
    /// and flushed whole). Bad inputs are rejected and the run goes on.
    pub fn run(
        &self,
        articles: Articles,
        writer: &mut Writer,
        opts: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<RunSummary, RunError> {
        let mut summary = RunSummary::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut pending = Pending::default();
        let reject = |summary: &mut RunSummary, pending: &mut Pending, e: InputError| {
            progress.rejected(&e);
            if opts.errors_inline {
                let line = serde_json::to_value(&e).unwrap_or_default();
                pending.errors.push((pending.articles.len(), line));
            }
            summary.rejects.push(e);
            progress.advance(1, summary.tokens);
        };
        for item in articles {
            let a = match item {
                Ok(a) => a,
                Err(e) => {
                    let key = format!("{}:{}", e.file, e.line.unwrap_or(0));
                    if opts.shard.is_none_or(|s| s.keeps(&key)) {
                        reject(&mut summary, &mut pending, e);
                    }
                    continue;
                }
            };
            if opts.shard.is_some_and(|s| !s.keeps(&a.id)) {
                continue;
            }
            if !seen.insert(a.id.clone()) {
                let e = InputError::about(
                    &a,
                    "duplicate id: an earlier article has the same id; ids must be unique",
                );
                reject(&mut summary, &mut pending, e);
                continue;
            }
            if let Some(stored) = opts.done.get(&a.id) {
                let hash = text_hash(&a.text);
                match stored {
                    Some(h) if *h != hash => {
                        let message = format!(
                            "the output already holds id {:?} for a different text (text_hash {h}, now {hash}): \
                             remove that line from the output, or annotate into a new file",
                            a.id
                        );
                        reject(&mut summary, &mut pending, InputError::about(&a, message));
                    }
                    _ => {
                        summary.skipped += 1;
                        progress.advance(1, summary.tokens);
                    }
                }
                continue;
            }
            pending.articles.push(a);
            if pending.articles.len() >= opts.articles_per_batch.max(1) {
                self.write_batch(&mut pending, writer, &mut summary, progress)?;
            }
        }
        self.write_batch(&mut pending, writer, &mut summary, progress)?;
        Ok(summary)
    }

    fn write_batch(
        &self,
        pending: &mut Pending,
        writer: &mut Writer,
        summary: &mut RunSummary,
        progress: &dyn Progress,
    ) -> Result<(), RunError> {
        let (annotations, work) = if pending.articles.is_empty() {
            (Vec::new(), Default::default())
        } else {
            self.annotate(&pending.articles)?
        };
        let mut errors = pending.errors.drain(..).peekable();
        for (i, a) in annotations.iter().enumerate() {
            while let Some((_, e)) = errors.next_if(|(at, _)| *at <= i) {
                writer.write_value(&e)?;
            }
            writer.write(a)?;
        }
        for (_, e) in errors {
            writer.write_value(&e)?;
        }
        writer.flush()?;
        summary.written += annotations.len();
        summary.tokens += work.tokens;
        progress.advance(pending.articles.len() as u64, summary.tokens);
        pending.articles.clear();
        Ok(())
    }
}
