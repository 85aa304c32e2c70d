//! Every command and flag, documented in one place.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use newslens::eval::Split;
use newslens::report::{Format, Period};
use newslens::EntitySentiment;

/// Named entities and entity-level sentiment for news articles, on ONNX Runtime.
///
/// Exit codes: 0 all input annotated; 1 a fatal error (bad model, unwritable output, usage);
/// 3 some inputs were rejected (listed on stderr and in the rejects file), the rest annotated.
#[derive(Debug, Parser)]
#[command(name = "newslens", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Annotate articles: a folder of .txt files (recursive), a JSONL file, or - for JSONL on stdin.
    Annotate(AnnotateArgs),
    /// Compare sentiment across sources (or any field): HTML, Markdown, JSON and CSV tables.
    Report(ReportArgs),
    /// Score the shipped (or given) models on gold data.
    Eval {
        /// What to evaluate.
        #[command(subcommand)]
        what: EvalCommand,
    },
}

/// Model selection and threading, shared by `annotate` and `eval`.
#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// NER model directory (model.onnx, tokenizer.json, config.json) [default: models/ner].
    #[arg(long, value_name = "DIR")]
    pub ner_model: Option<PathBuf>,
    /// Sentence tone model directory [default: models/sentiment; models/joint with
    /// `--entity-sentiment head`; none when the NER model has a tone head, as models/ner-tone
    /// does: sentence tone then comes from the NER pass].
    #[arg(long, value_name = "DIR")]
    pub sentiment_model: Option<PathBuf>,
    /// Targeted (entity) sentiment model directory [default: models/targeted].
    #[arg(long, value_name = "DIR")]
    pub targeted_model: Option<PathBuf>,
    /// How entity sentiment is computed.
    #[arg(long, value_enum, default_value_t = EntitySentiment::Targeted)]
    pub entity_sentiment: EntitySentiment,
    /// NER reads windows of whole sentences with 4 tokens of context on each side instead of
    /// fixed windows overlapping by 3/8 (17% fewer model tokens). The default when the NER
    /// model's config sets `window_margin`, as the shipped model's does. Records say so in
    /// meta.models.ner.
    #[arg(long, conflicts_with = "fixed_windows")]
    pub sentence_windows: bool,
    /// NER reads fixed 126-token windows overlapping by 3/8, whatever the model's config says.
    #[arg(long)]
    pub fixed_windows: bool,
    /// Worker threads; each runs its own single-threaded ONNX session (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Most sequences per model call (all of one length). 8 was fastest on 300 BBC articles with 2
    /// threads: 10% faster than 32; the output is the same for any value.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
}

/// `newslens annotate`.
#[derive(Debug, clap::Args)]
pub struct AnnotateArgs {
    /// Input: a folder of .txt files (with optional manifest.jsonl), a .jsonl file (gzip-compressed too), or - for JSONL on stdin.
    pub input: PathBuf,
    /// Output JSONL file [default: stdout].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep the output file and skip ids already in it.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Where rejected inputs are listed [default: <output>.rejects.jsonl; none for stdout].
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Annotate shard I of N only (ids split by md5(id) mod N); -o is then a folder that gets
    /// part-IIIII-of-NNNNN.jsonl and a _SUCCESS-IIIII-of-NNNNN marker. Without it, taken from
    /// JOB_COMPLETION_INDEX (with --shards) or SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Where rejected inputs go: `stderr` (and the rejects file), or also `inline`: a line
    /// {"id", "error", "file", "line"} in the output at the input's place, so that the output
    /// has one line per input record, in order (a Spark `RDD.pipe` stage needs that).
    #[arg(long, value_enum, default_value_t = Errors::Stderr)]
    pub errors: Errors,
    /// Number of shards, for JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's completions).
    #[arg(long, value_name = "N")]
    pub shards: Option<u64>,
    #[command(flatten)]
    pub models: ModelArgs,
    /// Articles read and annotated together (larger: better batching, more memory; 0: 32 per
    /// worker thread, at least 64, so that every core has model batches to run).
    #[arg(long, default_value_t = 0)]
    pub articles_per_batch: usize,
    /// More site-chrome rules: a file of regular expressions, one a line, matched against whole lines.
    #[arg(long, value_name = "FILE")]
    pub chrome_rules: Option<PathBuf>,
    /// Treat no line as site chrome.
    #[arg(long, conflicts_with = "chrome_rules")]
    pub keep_chrome: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Where rejected inputs are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Errors {
    /// On stderr and in the rejects file.
    Stderr,
    /// Also as a line of the output, in input order.
    Inline,
}

/// `newslens eval ...`.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Entity-level precision, recall and F1 on a CoNLL-2003 file.
    Ner {
        /// The CoNLL file (token ... tag columns, IOB2).
        file: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Accuracy and macro-F1 on SST-2 (.tsv) or NewsMTSC (.jsonl, targeted).
    Sentiment {
        /// The gold file.
        file: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Sentiment towards marked mentions: macro-F1, per class, confusion matrix, calibration (ECE).
    ///
    /// FILE: JSONL `{id, text, targets: [{from, to, polarity}]}` (char offsets; polarity
    /// negative/neutral/positive), or NewsMTSC (`sentence_normalized`, polarity 2/4/6).
    Targeted {
        /// The gold file.
        file: PathBuf,
        /// Score only this split (by a hash of the record id, as in training/news_data.py).
        #[arg(long, value_enum, default_value_t = Split::All)]
        split: Split,
        /// Also write each target's prediction to this JSONL file, one line a target in file
        /// order: `{id, from, to, mention, gold, predicted, probabilities}`.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Tone towards an article's main person (PerSenT: `{id, text, target_entity, label}`), as
    /// `annotate` gives it, against the article's own tone and the majority class.
    Document {
        /// The gold file.
        file: PathBuf,
        /// Score only this split (PerSenT: `heldout` was never trained on).
        #[arg(long, value_enum, default_value_t = Split::All)]
        split: Split,
        /// Also write each article's line to this JSONL file: `{id, target, gold, found, predicted,
        /// article_tone, features}` (the entity-tone features the layer reads; null when not found).
        #[arg(long, value_name = "FILE")]
        features: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        models: ModelArgs,
    },
}

impl EvalCommand {
    /// The models the evaluation runs.
    pub fn models(&self) -> &ModelArgs {
        match self {
            EvalCommand::Ner { models, .. }
            | EvalCommand::Sentiment { models, .. }
            | EvalCommand::Targeted { models, .. }
            | EvalCommand::Document { models, .. } => models,
        }
    }
}

/// `newslens report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Annotation JSONL written by `newslens annotate`: files (e.g. out/part-*.jsonl) or folders.
    #[arg(required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Output folder.
    #[arg(short, long, value_name = "DIR", default_value = "output/report")]
    pub output: PathBuf,
    /// What to write (repeat or comma-separate) [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub format: Vec<Format>,
    /// Metadata field to group articles by: source, date, title, or any input field (category, ...).
    #[arg(long, default_value = "source")]
    pub by: String,
    /// Show entities mentioned in at least this many groups.
    #[arg(long, default_value_t = 2)]
    pub min_groups: usize,
    /// Show only entities with these labels (comma-separated, e.g. PER,ORG).
    #[arg(long, value_delimiter = ',')]
    pub label: Vec<String>,
    /// Show only entities with at least this many mentions in all.
    #[arg(long, default_value_t = 1)]
    pub min_count: usize,
    /// Show the N most mentioned entities (0: all).
    #[arg(long, default_value_t = 30)]
    pub top: usize,
    /// On the HTML and Markdown pages, show the N groups with the most articles (0: all);
    /// report.json and the tables keep every group.
    #[arg(long, default_value_t = 25)]
    pub top_groups: usize,
    /// Also chart each group's tone over time, by this date field (e.g. date).
    #[arg(long, value_name = "FIELD")]
    pub over: Option<String>,
    /// The period of the --over timeline.
    #[arg(long, value_enum, default_value_t = Period::Month)]
    pub period: Period,
}
