//! The `newslens` command: parses flags, wires the stages, maps errors to exit codes.

mod cli;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use cli::{AnnotateArgs, Cli, Command, EvalCommand, ModelArgs, ReportArgs};
use newslens::input::{self, InputError};
use newslens::output::{write_rejects, Resume, Writer};
use newslens::run::{Progress, RunOptions};
use newslens::shard::Shard;
use newslens::text::ChromeRules;
use newslens::{reads_sentence_tone, EntitySentiment, NerWindows, Pipeline, PipelineConfig};

/// Exit code when some inputs were rejected.
const EXIT_REJECTS: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Annotate(args) => annotate(args),
        Command::Report(args) => report(args),
        Command::Eval { what } => eval(what),
    };
    match result {
        Ok(code) => code,
        // The reader of our stdout has gone (`newslens annotate - | head`): stop quietly.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("newslens: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A model directory: the flag, or `models/<name>` in the current folder or the project.
fn model_dir(flag: &Option<PathBuf>, name: &str) -> PathBuf {
    if let Some(p) = flag {
        return p.clone();
    }
    let local = Path::new("models").join(name);
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name)
}

fn pipeline(m: &ModelArgs, chrome: ChromeRules) -> Result<Pipeline> {
    let threads = if m.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        m.threads
    };
    let ner_model = model_dir(&m.ner_model, "ner");
    // The head mode reads sentence and entity tone from one joint model; otherwise an NER model
    // with a tone head gives sentence tone from its own pass, unless a sentence model is named.
    let head = m.entity_sentiment == EntitySentiment::Head;
    let sentiment_model = match &m.sentiment_model {
        Some(dir) => Some(dir.clone()),
        None if head => Some(model_dir(&None, "joint")),
        None if reads_sentence_tone(&ner_model) => None,
        None => Some(model_dir(&None, "sentiment")),
    };
    Ok(Pipeline::new(PipelineConfig {
        ner_model,
        sentiment_model,
        targeted_model: match &m.targeted_model {
            Some(dir) => Some(dir.clone()),
            None => Some(model_dir(&None, "targeted")).filter(|d| d.is_dir()),
        },
        threads,
        batch_size: m.batch_size,
        chrome,
        entity_sentiment: m.entity_sentiment,
        ner_windows: match (m.sentence_windows, m.fixed_windows) {
            (true, _) => NerWindows::Sentences,
            (_, true) => NerWindows::Fixed,
            _ => NerWindows::Model,
        },
    })?)
}

fn annotate(mut args: AnnotateArgs) -> Result<ExitCode> {
    let chrome = match (&args.chrome_rules, args.keep_chrome) {
        (_, true) => ChromeRules::none(),
        (Some(f), _) => ChromeRules::with_file(f).map_err(anyhow::Error::msg)?,
        (None, false) => ChromeRules::default(),
    };
    let shard = match &args.shard {
        Some(s) => Some(Shard::parse(s).map_err(anyhow::Error::msg)?),
        None => Shard::from_env(args.shards).map_err(anyhow::Error::msg)?,
    };
    let mut finish = None;
    if let Some(s) = shard {
        let Some(dir) = args.output.clone() else {
            anyhow::bail!("a shard writes into a folder: give -o DIR");
        };
        if s.part(&dir).exists() && s.success(&dir).exists() {
            eprintln!(
                "newslens: shard {}/{} is already complete ({}): nothing to do",
                s.index,
                s.count,
                s.part(&dir).display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create the output folder", dir.display()))?;
        args.rejects = args.rejects.or_else(|| {
            Some(dir.join(format!(
                "part-{:05}-of-{:05}.rejects.jsonl",
                s.index, s.count
            )))
        });
        args.output = Some(s.in_progress(&dir));
        args.resume = true;
        finish = Some((s, dir));
    }
    let pipeline = pipeline(&args.models, chrome)?;
    let articles = input::open(&args.input).map_err(|e| anyhow::anyhow!("{e}"))?;
    let unread = input::unread(&args.input);
    if !unread.is_empty() {
        let more = unread.len().saturating_sub(5);
        eprintln!(
            "newslens: note: {} file(s) in {} are not .txt and were not read: {}{} \
             (a JSONL file is read when given as an input of its own)",
            unread.len(),
            args.input.display(),
            unread[..unread.len().min(5)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    let rejects_path = args.rejects.clone().or_else(|| {
        args.output.as_ref().map(|o| {
            let stem = o
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            o.with_file_name(format!("{stem}.rejects.jsonl"))
        })
    });
    for (what, path) in [("-o", &args.output), ("--rejects", &rejects_path)] {
        if let Some(path) = path {
            refuse_to_overwrite(&args.input, what, path)?;
        }
    }
    let (mut writer, resume) = match &args.output {
        Some(p) => Writer::file(p, args.resume)
            .with_context(|| format!("{}: cannot write the output", p.display()))?,
        None => (Writer::stdout(), Resume::default()),
    };
    let ours = pipeline.run_meta();
    let other: Vec<_> = resume.made_by.iter().filter(|(m, _)| *m != ours).collect();
    if let Some((first, _)) = other.first() {
        let others: usize = other.iter().map(|(_, n)| n).sum();
        let name = |m: &newslens::schema::RunMeta| {
            let t = m.models.targeted.as_deref().unwrap_or("-");
            format!(
                "{}, {}, {t}, entity sentiment {}",
                m.models.ner, m.models.sentiment, m.entity_sentiment
            )
        };
        eprintln!(
            "newslens: warning: {others} record(s) already in the output were made with other \
             models or settings ({}; this run: {}); they are kept as they are: annotate into a \
             new file for one set of models throughout",
            name(first),
            name(&ours)
        );
    }
    if !resume.foreign_lines.is_empty() {
        eprintln!(
            "newslens: warning: {} line(s) of the output are not annotation records (lines {:?}); kept as they are",
            resume.foreign_lines.len(),
            &resume.foreign_lines[..resume.foreign_lines.len().min(10)]
        );
    }

    let bar = progress(args.quiet, input::count(&args.input));
    let started = Instant::now();
    let opts = RunOptions {
        articles_per_batch: match args.articles_per_batch {
            0 => (32 * pipeline.threads()).max(64),
            n => n,
        },
        done: resume.done,
        shard,
        errors_inline: args.errors == cli::Errors::Inline,
    };
    let bar_progress = BarProgress { bar: &bar, started };
    let run = pipeline.run(articles, &mut writer, &opts, &bar_progress)?;
    bar.finish_and_clear();
    let mut out_path = writer.path().map(Path::to_path_buf);
    drop(writer);
    if let Some((s, dir)) = &finish {
        out_path = Some(s.part(dir));
        std::fs::rename(s.in_progress(dir), s.part(dir))
            .with_context(|| format!("{}: cannot finish the shard", dir.display()))?;
        std::fs::write(s.success(dir), "")
            .with_context(|| format!("{}: cannot write the marker", dir.display()))?;
    }
    let (written, skipped, tokens, mut rejects) =
        (run.written, run.skipped, run.tokens, run.rejects);
    if written + skipped + rejects.len() == 0 && args.input.as_os_str() != "-" && finish.is_none() {
        let e = InputError::new(
            args.input.display().to_string(),
            None,
            "no articles in this input (an empty file?)",
        );
        eprintln!("newslens: rejected: {e}");
        rejects.push(e);
    }

    let secs = started.elapsed().as_secs_f64();
    let mut summary = format!(
        "newslens: annotated {written} articles in {secs:.1} s ({tokens} model tokens, {:.0} tokens/s)",
        tokens as f64 / secs.max(1e-9)
    );
    if skipped > 0 {
        summary += &format!(", skipped {skipped} already in the output");
    }
    if let Some(p) = out_path {
        summary += &format!(" -> {}", p.display());
    }
    if !args.quiet {
        eprintln!("{summary}");
    }
    if rejects.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("newslens: {} input(s) rejected:", rejects.len());
    for r in &rejects {
        eprintln!("  {r}");
    }
    if let Some(p) = rejects_path {
        write_rejects(&p, &rejects)
            .with_context(|| format!("{}: cannot write the rejects file", p.display()))?;
        eprintln!("newslens: rejects listed in {}", p.display());
    }
    Ok(ExitCode::from(EXIT_REJECTS))
}

/// The progress bar, fed by the run.
struct BarProgress<'a> {
    bar: &'a ProgressBar,
    started: Instant,
}

impl Progress for BarProgress<'_> {
    fn advance(&self, articles: u64, tokens: usize) {
        self.bar.inc(articles);
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        self.bar
            .set_message(format!("{:.0} tokens/s", tokens as f64 / secs));
    }
    fn rejected(&self, e: &InputError) {
        self.bar.suspend(|| eprintln!("newslens: rejected: {e}"));
    }
}

fn progress(quiet: bool, total: Option<u64>) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    let style = if total.is_some() {
        "{spinner} {pos}/{len} articles [{elapsed_precise}] {wide_bar} {msg} ETA {eta}"
    } else {
        "{spinner} {pos} articles [{elapsed_precise}] {msg}"
    };
    bar.set_style(
        ProgressStyle::with_template(style).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Refuses a file to write (`what`: its flag) that is the input file itself: writing would erase
/// the input (for `annotate`, before a line of it was read).
fn refuse_to_overwrite(input: &Path, what: &str, path: &Path) -> Result<()> {
    if input.as_os_str() == "-" {
        return Ok(());
    }
    // Its folder is made first (as writing would make it), so that a path through a folder not
    // made yet ("new/../feed.jsonl") is compared as the file it will be.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    }
    if same_file::is_same_file(input, path).unwrap_or(false) {
        anyhow::bail!(
            "{}: {what} names the input file itself, and writing there would erase it: \
             write to another file",
            path.display()
        );
    }
    Ok(())
}

/// Exit code 3 when some input lines were not annotations (the report covers the rest).
fn report(args: ReportArgs) -> Result<ExitCode> {
    use newslens::report::{self, Format, ReportOptions};
    let opts = ReportOptions {
        by: args.by,
        min_groups: args.min_groups,
        labels: args.label,
        min_count: args.min_count,
        top: args.top,
        top_groups: args.top_groups,
        over: args.over.map(|f| (f, args.period)),
    };
    let formats = if args.format.is_empty() {
        vec![
            Format::Html,
            Format::Md,
            Format::Json,
            Format::Csv,
            Format::Parquet,
        ]
    } else {
        args.format
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {pos} records [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let tick = |pass: u8, n: u64| {
        if n % 512 == 1 {
            bar.set_message(if pass == 1 {
                "reading annotations (1/2)"
            } else {
                "collecting evidence (2/2)"
            });
            bar.set_position(n);
        }
    };
    let outcome = report::run(&args.input, &opts, &args.output, &formats, &tick)
        .map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();
    let code = skipped_lines(
        &outcome.unreadable,
        "input line(s) are not annotations and were left out of the report",
    );
    for w in outcome.written {
        eprintln!("newslens: wrote {w}");
    }
    for w in &outcome.warnings {
        eprintln!("newslens: warning: {w}");
    }
    Ok(code)
}

/// One row per label: precision, recall, F1, support.
fn print_per_label(
    per_label: &std::collections::BTreeMap<String, newslens::eval::Prf>,
) -> Result<()> {
    writeln!(
        std::io::stdout(),
        "{:<9} {:>9} {:>9} {:>9} {:>8}",
        "label",
        "precision",
        "recall",
        "f1",
        "support"
    )?;
    for (l, p) in per_label {
        writeln!(
            std::io::stdout(),
            "{:<9} {:>9.4} {:>9.4} {:>9.4} {:>8}",
            l,
            p.precision,
            p.recall,
            p.f1,
            p.support
        )?;
    }
    Ok(())
}

/// Names on stderr the input lines a report or an eval left out, then how many (`summary`):
/// exit code 3 when there are any.
fn skipped_lines(skipped: &[String], summary: &str) -> ExitCode {
    for s in skipped {
        eprintln!("newslens: skipped: {s}");
    }
    if skipped.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!("newslens: {} {summary}", skipped.len());
    ExitCode::from(EXIT_REJECTS)
}

/// What [`skipped_lines`] says of the gold lines an eval left out.
const GOLD_SKIPPED: &str = "gold line(s) could not be read and are not in the scores";

/// Exit code 3 when some gold lines could not be read (the scores cover the rest).
fn eval(what: EvalCommand) -> Result<ExitCode> {
    let started = Instant::now();
    let secs = || started.elapsed().as_secs_f64();
    let print_json = |v: &dyn erased::Json| -> Result<()> {
        writeln!(std::io::stdout(), "{}", v.json()?)?;
        Ok(())
    };
    let pipeline = pipeline(what.models(), ChromeRules::none())?;
    match what {
        EvalCommand::Ner { file, json, .. } => {
            let r = newslens::eval::eval_ner(&pipeline, &file).map_err(anyhow::Error::msg)?;
            if json {
                print_json(&r)?;
                return Ok(skipped_lines(&r.skipped, GOLD_SKIPPED));
            }
            writeln!(
                std::io::stdout(),
                "{} on {} ({} documents, {} sentences, {:.0} s)",
                r.model,
                r.file,
                r.documents,
                r.sentences,
                secs()
            )?;
            print_per_label(&r.per_label)?;
            writeln!(
                std::io::stdout(),
                "{:<9} {:>9.4} {:>9.4} {:>9.4}",
                "micro",
                r.precision,
                r.recall,
                r.f1
            )?;
            Ok(skipped_lines(&r.skipped, GOLD_SKIPPED))
        }
        EvalCommand::Sentiment { file, json, .. } => {
            let r = newslens::eval::eval_sentiment(&pipeline, &file).map_err(anyhow::Error::msg)?;
            if json {
                print_json(&r)?;
                return Ok(skipped_lines(&r.skipped, GOLD_SKIPPED));
            }
            writeln!(
                std::io::stdout(),
                "{} on {} ({}, {} examples, {:.0} s)",
                r.model,
                r.file,
                r.task,
                r.examples,
                secs()
            )?;
            print_per_label(&r.per_label)?;
            writeln!(
                std::io::stdout(),
                "accuracy {:.4}  macro-F1 {:.4}",
                r.accuracy,
                r.macro_f1
            )?;
            Ok(skipped_lines(&r.skipped, GOLD_SKIPPED))
        }
        EvalCommand::Targeted {
            file,
            split,
            predictions,
            json,
            ..
        } => {
            if let Some(p) = &predictions {
                refuse_to_overwrite(&file, "--predictions", p)?;
            }
            let r = newslens::eval::eval_targeted(&pipeline, &file, split, predictions.as_deref())
                .map_err(anyhow::Error::msg)?;
            if json {
                print_json(&r)?;
                return Ok(skipped_lines(&r.skipped, GOLD_SKIPPED));
            }
            writeln!(
                std::io::stdout(),
                "{} on {} (split {}, {} records, {} targets, {:.0} s)",
                r.model,
                r.file,
                r.split,
                r.records,
                r.scores.examples,
                secs()
            )?;
            print_scores("", &r.scores)?;
            if let Some(m) = &r.mixed {
                writeln!(std::io::stdout(),
                    "targets of records whose targets differ in polarity ({}): accuracy {:.4}  macro-F1 {:.4}",
                    m.examples, m.accuracy, m.macro_f1
                )?;
            }
            Ok(skipped_lines(&r.skipped, GOLD_SKIPPED))
        }
        EvalCommand::Document {
            file,
            split,
            features,
            json,
            ..
        } => {
            if let Some(p) = &features {
                refuse_to_overwrite(&file, "--features", p)?;
            }
            let r = newslens::eval::eval_document(&pipeline, &file, split, features.as_deref())
                .map_err(anyhow::Error::msg)?;
            if json {
                print_json(&r)?;
                return Ok(skipped_lines(&r.skipped, GOLD_SKIPPED));
            }
            writeln!(
                std::io::stdout(),
                "{} on {} (split {}, {} articles, target found in {}, {:.0} s)",
                r.model,
                r.file,
                r.split,
                r.articles,
                r.target_found,
                secs()
            )?;
            print_scores("entity tone: ", &r.entity)?;
            writeln!(std::io::stdout(),
                "baselines: article tone macro-F1 {:.4} accuracy {:.4}; always {} macro-F1 {:.4} accuracy {:.4}",
                r.article_tone.macro_f1,
                r.article_tone.accuracy,
                r.majority_class,
                r.majority.macro_f1,
                r.majority.accuracy
            )?;
            Ok(skipped_lines(&r.skipped, GOLD_SKIPPED))
        }
    }
}

/// Per class, the confusion matrix, and the totals of a three-class score.
fn print_scores(prefix: &str, s: &newslens::eval::ClassScores) -> Result<()> {
    print_per_label(&s.per_label)?;
    writeln!(
        std::io::stdout(),
        "confusion (rows gold, columns predicted: negative neutral positive)"
    )?;
    for (name, row) in newslens::eval::CLASSES.iter().zip(&s.confusion) {
        writeln!(
            std::io::stdout(),
            "{name:<9} {:>8} {:>8} {:>8}",
            row[0],
            row[1],
            row[2]
        )?;
    }
    let ece = s.ece.map_or(String::new(), |e| format!("  ECE {e:.4}"));
    writeln!(
        std::io::stdout(),
        "{prefix}accuracy {:.4}  macro-F1 {:.4}{ece}",
        s.accuracy,
        s.macro_f1
    )?;
    Ok(())
}

/// Serialises any report.
mod erased {
    /// A report that prints as one JSON object.
    pub trait Json {
        /// The JSON text.
        fn json(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}
