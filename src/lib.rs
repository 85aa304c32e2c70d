//! newslens: named entities and entity-level sentiment for news articles, on ONNX Runtime.
//!
//! The stages, in data-flow order: [`input`] -> [`text`] -> [`model`] -> [`ner`] and
//! [`sentiment`] -> [`annotate`] -> [`output`]; [`run`] streams articles through them; [`report`]
//! and [`eval`] read the results.
//!
//! ```no_run
//! use std::path::Path;
//! use newslens::{Pipeline, PipelineConfig};
//! use newslens::output::Writer;
//! use newslens::run::{RunOptions, Silent};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pipeline = Pipeline::new(PipelineConfig::with_models(Path::new("models")))?;
//! // One text:
//! let a = pipeline.annotate_text("Angela Merkel praised the new bridge in Dresden.")?;
//! for e in &a.entities {
//!     println!("{} {} {:+.2}", e.text, e.label, e.sentiment.score);
//! }
//! // A stream: a folder, a JSONL file or stdin in, one JSON line per article out.
//! let articles = newslens::input::open(Path::new("corpus"))?;
//! let summary = pipeline.run(articles, &mut Writer::stdout(), &RunOptions::default(), &Silent)?;
//! eprintln!("{} annotated, {} rejected", summary.written, summary.rejects.len());
//! # Ok(())
//! # }
//! ```

pub mod annotate;
pub mod eval;
pub mod input;
mod memo;
pub mod model;
pub mod ner;
pub mod output;
pub mod report;
pub mod run;
pub mod schema;
pub mod sentiment;
pub mod shard;
pub mod text;

pub use annotate::{reads_sentence_tone, EntitySentiment, NerWindows, Pipeline, PipelineConfig};
pub use schema::Annotation;
