//! A loaded model: tokenizer, one ONNX session per worker thread, batches in, logits out.

use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ort::session::builder::GraphOptimizationLevel;
use ort::session::{Session, SessionInputValue};
use ort::value::TensorRef;
use tokenizers::Tokenizer;

use super::shared::SharedWeights;
use super::{runtime, ModelConfig, ModelError};

/// A text cut into model tokens, without special tokens.
#[derive(Debug, Clone, Default)]
pub struct Tokenized {
    /// Token ids.
    pub ids: Vec<u32>,
    /// Token strings (`##` marks a WordPiece continuation).
    pub pieces: Vec<String>,
    /// Byte span of each token in the text.
    pub spans: Vec<(usize, usize)>,
}

/// One input sequence, special tokens included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Piece {
    /// Token ids.
    pub ids: Vec<i64>,
    /// Token-type ids (segments or casing classes).
    pub types: Vec<i64>,
}

/// Sequences padded to one width, ready for the runtime.
#[derive(Debug, Clone)]
pub struct Batch {
    rows: usize,
    width: usize,
    ids: Vec<i64>,
    mask: Vec<i64>,
    types: Vec<i64>,
}

impl Batch {
    /// Pads `pieces` to the longest of them.
    pub fn new(pieces: &[&Piece]) -> Self {
        let rows = pieces.len();
        let width = pieces.iter().map(|p| p.ids.len()).max().unwrap_or(0);
        let mut b = Batch {
            rows,
            width,
            ids: vec![0; rows * width],
            mask: vec![0; rows * width],
            types: vec![0; rows * width],
        };
        for (r, p) in pieces.iter().enumerate() {
            let o = r * width;
            b.ids[o..o + p.ids.len()].copy_from_slice(&p.ids);
            b.types[o..o + p.types.len()].copy_from_slice(&p.types);
            b.mask[o..o + p.ids.len()].iter_mut().for_each(|m| *m = 1);
        }
        b
    }

    /// Number of sequences.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Padded length.
    pub fn width(&self) -> usize {
        self.width
    }
}

/// A model directory loaded for inference.
pub struct Model {
    /// The model's `config.json`.
    pub config: ModelConfig,
    tokenizer: Tokenizer,
    sessions: Vec<Mutex<Session>>,
    takes_token_types: bool,
    token_head: bool,
    prefix: Vec<i64>,
    suffix: Vec<i64>,
}

fn piece_of(enc: &tokenizers::Encoding) -> Piece {
    Piece {
        ids: enc.get_ids().iter().map(|&i| i as i64).collect(),
        types: enc.get_type_ids().iter().map(|&i| i as i64).collect(),
    }
}

/// What one batch gives back.
#[derive(Debug, Clone)]
pub struct Output {
    /// The first output, flat.
    pub logits: Vec<f32>,
    /// Positions per row in `logits` (1 for sequence classification, the padded width for
    /// token classification).
    pub per_row: usize,
    /// `token_logits` [rows, width, labels], flat, when the graph has that output (a sentiment
    /// model with a per-token entity head).
    pub token_logits: Option<Vec<f32>>,
}

impl Model {
    /// Loads `dir` with `workers` sessions, each running on one intra-op thread.
    pub fn load(dir: &Path, workers: usize) -> Result<Self, ModelError> {
        let config = ModelConfig::load(dir)?;
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(|e| ModelError::File {
            path: tok_path.clone(),
            message: format!(
                "cannot load the tokenizer ({e}); export it with the model (tokenizer.json)"
            ),
        })?;
        // The MiniLM tokenizer.json turns on truncation and fixed padding: both would drop text.
        tokenizer
            .with_truncation(None)
            .map_err(|e| ModelError::File {
                path: tok_path.clone(),
                message: e.to_string(),
            })?;
        tokenizer.with_padding(None);
        let specials = tokenizer.encode("", true).map_err(|e| ModelError::File {
            path: tok_path.clone(),
            message: e.to_string(),
        })?;
        let specials: Vec<i64> = specials.get_ids().iter().map(|&i| i as i64).collect();
        let (prefix, suffix) = match specials.split_first() {
            Some((first, rest)) => (vec![*first], rest.to_vec()),
            None => (Vec::new(), Vec::new()),
        };
        let onnx = dir.join("model.onnx");
        if !onnx.is_file() {
            return Err(ModelError::File {
                path: onnx,
                message: "missing: a model directory needs model.onnx".into(),
            });
        }
        let env = runtime::environment()?;
        // Several sessions share one copy of the large weights (one session has nothing to share).
        let shared = match workers {
            0 | 1 => None,
            _ => Some(SharedWeights::load(&onnx)?),
        };
        let build = || {
            let mut builder = Session::builder(env);
            if let Some(shared) = &shared {
                builder = builder.and_then(|b| Ok(b.with_prepacked_weights(&shared.prepacked)?));
                for (name, value) in &shared.initializers {
                    builder =
                        builder.and_then(|b| Ok(b.with_initializer(name, Arc::clone(value))?));
                }
            }
            builder
                .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::All)?))
                .and_then(|b| Ok(b.with_intra_threads(1)?))
                .and_then(|b| Ok(b.with_inter_threads(1)?))
                .and_then(|mut b| b.commit_from_file(&onnx))
                .map(Mutex::new)
                .map_err(|e| ModelError::File {
                    path: onnx.clone(),
                    message: format!("not a loadable ONNX model: {e}"),
                })
        };
        // One session per worker, built side by side (graph optimisation is most of start-up).
        let sessions = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers.max(1)).map(|_| scope.spawn(build)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(ModelError::Runtime("building a session panicked".into()))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        let names: Vec<String> = sessions[0]
            .lock()
            .expect("fresh lock")
            .inputs()
            .iter()
            .map(|i| i.name().to_string())
            .collect();
        for need in ["input_ids", "attention_mask"] {
            if !names.iter().any(|n| n == need) {
                return Err(ModelError::File {
                    path: onnx,
                    message: format!("the graph has no `{need}` input (it has: {}); export a BERT-family model with input_ids and attention_mask", names.join(", ")),
                });
            }
        }
        let takes_token_types = names.iter().any(|n| n == "token_type_ids");
        let graph_has_head = sessions[0]
            .lock()
            .expect("fresh lock")
            .outputs()
            .iter()
            .any(|o| o.name() == "token_logits");
        if (config.entity_head || config.sentence_tone) && !graph_has_head {
            return Err(ModelError::File {
                path: onnx,
                message:
                    "config.json names an entity or tone head but the graph has no `token_logits` output"
                        .into(),
            });
        }
        let model = Model {
            token_head: config.entity_head || config.sentence_tone,
            config,
            tokenizer,
            sessions,
            takes_token_types,
            prefix,
            suffix,
        };
        model.check_labels(dir)?;
        Ok(model)
    }

    /// Runs one tiny input and checks that the logits match the label list.
    fn check_labels(&self, dir: &Path) -> Result<(), ModelError> {
        let piece = self.single(&[], &[]);
        let batch = Batch::new(&[&piece]);
        let out = self.run(&batch)?;
        let got = out.logits.len() / (batch.rows() * out.per_row).max(1);
        if got != self.config.labels.len() {
            return Err(ModelError::File {
                path: dir.join("config.json"),
                message: format!(
                    "lists {} labels but model.onnx outputs {got} classes: the config does not belong to this model",
                    self.config.labels.len()
                ),
            });
        }
        Ok(())
    }

    /// Splits `text` into tokens (no special tokens, nothing dropped).
    pub fn tokenize(&self, text: &str) -> Result<Tokenized, ModelError> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| self.fail(e.to_string()))?;
        Ok(Tokenized {
            ids: enc.get_ids().to_vec(),
            pieces: enc.get_tokens().to_vec(),
            spans: enc.get_offsets().to_vec(),
        })
    }

    /// Tokenizes one text, or a pair, with special tokens and segment ids, as the tokenizer does.
    pub fn encode_text(&self, a: &str, b: Option<&str>) -> Result<Piece, ModelError> {
        let enc = match b {
            Some(b) => self.tokenizer.encode((a, b), true),
            None => self.tokenizer.encode(a, true),
        }
        .map_err(|e| self.fail(e.to_string()))?;
        Ok(piece_of(&enc))
    }

    /// [`Model::encode_text`] of one text, with the byte spans (in `a`) of its content tokens,
    /// which follow the [`Model::prefix_len`] leading special tokens.
    pub fn encode_spanned(&self, a: &str) -> Result<(Piece, Vec<(usize, usize)>), ModelError> {
        let enc = self
            .tokenizer
            .encode(a, true)
            .map_err(|e| self.fail(e.to_string()))?;
        let spans = enc
            .get_offsets()
            .iter()
            .zip(enc.get_special_tokens_mask())
            .filter(|(_, &special)| special == 0)
            .map(|(&o, _)| o)
            .collect();
        Ok((piece_of(&enc), spans))
    }

    /// Wraps token ids in the model's special tokens; `types` are given per content token.
    pub fn single(&self, ids: &[u32], types: &[i64]) -> Piece {
        let mut p = Piece {
            ids: self.prefix.clone(),
            types: vec![0; self.prefix.len()],
        };
        p.ids.extend(ids.iter().map(|&i| i as i64));
        p.types.extend_from_slice(types);
        p.types.resize(p.ids.len(), 0);
        p.ids.extend_from_slice(&self.suffix);
        p.types.resize(p.ids.len(), 0);
        p
    }

    /// Whether the tokenizer splits as BERT's does (its pre-tokenizer cuts at whitespace and at
    /// every punctuation char; its normalizer, if any, BERT's), so that every ASCII punctuation
    /// char, and every word holding an ASCII letter or digit, gives at least one piece.
    pub fn splits_like_bert(&self) -> bool {
        use tokenizers::{NormalizerWrapper, PreTokenizerWrapper};
        matches!(
            self.tokenizer.get_pre_tokenizer(),
            Some(PreTokenizerWrapper::BertPreTokenizer(_))
        ) && matches!(
            self.tokenizer.get_normalizer(),
            None | Some(NormalizerWrapper::BertNormalizer(_))
        )
    }

    /// Number of special tokens before a single sequence's content.
    pub fn prefix_len(&self) -> usize {
        self.prefix.len()
    }

    /// Number of special tokens around a single sequence.
    pub fn specials(&self) -> usize {
        self.prefix.len() + self.suffix.len()
    }

    /// Number of sessions (one per worker).
    pub fn workers(&self) -> usize {
        self.sessions.len()
    }

    /// Whether the graph also scores every token (`token_logits`: the entity head).
    pub fn has_token_head(&self) -> bool {
        self.token_head
    }

    /// Runs a batch.
    pub fn run(&self, batch: &Batch) -> Result<Output, ModelError> {
        let shape = [batch.rows, batch.width];
        let slot = rayon::current_thread_index().unwrap_or(0) % self.sessions.len();
        let mut session = self.sessions[slot]
            .lock()
            .map_err(|_| self.fail("a worker panicked".into()))?;
        fn tensor<'a>(
            model: &Model,
            shape: [usize; 2],
            data: &'a [i64],
        ) -> Result<TensorRef<'a, i64>, ModelError> {
            TensorRef::from_array_view((shape, data)).map_err(|e| model.fail(e.to_string()))
        }
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
            ("input_ids".into(), tensor(self, shape, &batch.ids)?.into()),
            (
                "attention_mask".into(),
                tensor(self, shape, &batch.mask)?.into(),
            ),
        ];
        if self.takes_token_types {
            inputs.push((
                "token_type_ids".into(),
                tensor(self, shape, &batch.types)?.into(),
            ));
        }
        let outputs = session.run(inputs).map_err(|e| self.fail(e.to_string()))?;
        let (out_shape, data) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| self.fail(e.to_string()))?;
        let per_row = if out_shape.len() == 3 {
            out_shape[1] as usize
        } else {
            1
        };
        let logits = data.to_vec();
        let token_logits = match outputs.get("token_logits") {
            Some(t) if self.token_head => Some(
                t.try_extract_tensor::<f32>()
                    .map_err(|e| self.fail(e.to_string()))?
                    .1
                    .to_vec(),
            ),
            _ => None,
        };
        Ok(Output {
            logits,
            per_row,
            token_logits,
        })
    }

    fn fail(&self, message: String) -> ModelError {
        ModelError::Inference {
            model: self.config.id(),
            message,
        }
    }
}
