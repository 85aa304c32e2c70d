//! newslens: named entities and entity-level sentiment for news articles, on ONNX Runtime.
//!
//! The stages, in data-flow order: [`input`] -> [`text`] -> [`model`] -> [`ner`] and
//! [`sentiment`] -> [`annotate`] -> [`output`]; [`report`] and [`eval`] read the results.

pub mod annotate;
pub mod eval;
pub mod input;
pub mod model;
pub mod ner;
pub mod output;
pub mod report;
pub mod schema;
pub mod sentiment;
pub mod text;

pub use annotate::{EntitySentiment, Pipeline, PipelineConfig};
pub use schema::Annotation;
