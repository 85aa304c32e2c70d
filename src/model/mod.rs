//! Models: a directory with `model.onnx`, `tokenizer.json` and `config.json`, run on ONNX Runtime.
//!
//! This stage knows nothing about entities or sentiment: it turns texts into token batches,
//! runs them, and hands back logits.

mod casing;
mod config;
mod runtime;
mod session;
mod shared;

pub use casing::{casing_classes, CasingClass};
pub use config::{EntityTone, ModelConfig, TokenTypes};
pub use runtime::candidate_paths;
pub use session::{Batch, Model, Piece, Tokenized};

use std::path::PathBuf;

/// Why a model could not be loaded or run. Each message says which file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// ONNX Runtime itself could not be found or started.
    #[error("{0}")]
    Runtime(String),
    /// A file of the model directory is missing or unreadable.
    #[error("{path}: {message}")]
    File {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Running the model failed.
    #[error("model {model}: inference failed: {message}")]
    Inference {
        /// The model's name.
        model: String,
        /// The runtime's message.
        message: String,
    },
}
