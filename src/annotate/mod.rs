//! One batch of articles through NER and sentiment, in parallel: the only place that knows
//! about threads. Model inputs from all articles of a batch are sorted by length and run in
//! fixed batches, so results do not depend on the thread count.

use std::path::PathBuf;

use rayon::prelude::*;

use crate::input::Article;
use crate::memo::Memo;
use crate::model::{Model, ModelError, Piece};
use crate::ner::{Ner, RawMention, Windows, SENTENCE_WINDOW_MARGIN};
use crate::schema::{Annotation, Models, Probabilities, RunMeta};
use crate::sentiment::pooled::pooled_tone;
use crate::sentiment::{Query, Scored, SentimentModel};
use crate::text::{segment, ChromeRules, Segmented, Span};

mod calls;
mod doc;

pub(crate) use calls::distinct_tokens;
use calls::run_counted;
pub use calls::{run_sorted, Scores};
use doc::{Doc, Owner};

/// How the sentiment towards an entity is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EntitySentiment {
    /// A targeted model reads each sentence with its entities' mentions marked (the shipped one
    /// scores them all in one extra pass per sentence; a model without a marker head takes one
    /// pass per entity and sentence; the sentence model when it was trained for marked mentions).
    Targeted,
    /// Fast: the per-token entity head of a joint model (models/joint), from the same pass that
    /// scores the sentence: all its entities at no extra model cost. About 1.3x the articles/s
    /// of targeted; less accurate per sentence, on par per article (README, "Models").
    Head,
    /// The mean tone of the sentences that mention the entity.
    Sentence,
}

/// What a [`Pipeline`] is built from.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// NER model directory.
    pub ner_model: PathBuf,
    /// Sentence sentiment model directory; `None`: the NER model's tone head (`tone_head` in
    /// its config) gives each sentence's tone from the NER pass.
    pub sentiment_model: Option<PathBuf>,
    /// Targeted (entity) sentiment model directory; `None`: the sentence model, if it was
    /// trained for marked mentions.
    pub targeted_model: Option<PathBuf>,
    /// Worker threads (one ONNX session per model per worker).
    pub threads: usize,
    /// Sequences per model call.
    pub batch_size: usize,
    /// Site-chrome rules.
    pub chrome: ChromeRules,
    /// Entity sentiment method.
    pub entity_sentiment: EntitySentiment,
    /// How NER windows are laid out.
    pub ner_windows: NerWindows,
}

/// How the NER model's input windows are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NerWindows {
    /// As the NER model's config says: whole sentences when it sets `window_margin`.
    #[default]
    Model,
    /// Whole sentences with the model's `window_margin` tokens of context on each side, else
    /// [`SENTENCE_WINDOW_MARGIN`].
    Sentences,
    /// Fixed windows overlapping by 3/8, whatever the model's config says.
    Fixed,
}

impl PipelineConfig {
    /// The models in `dir` (`ner/`, `sentiment/` unless the NER model reads sentence tone,
    /// `targeted/` when present, as shipped in the project's `models/`), one worker per core,
    /// default chrome rules, targeted entity sentiment.
    pub fn with_models(dir: &std::path::Path) -> Self {
        let targeted = dir.join("targeted");
        let ner = dir.join("ner");
        PipelineConfig {
            sentiment_model: (!reads_sentence_tone(&ner)).then(|| dir.join("sentiment")),
            ner_model: ner,
            targeted_model: targeted.is_dir().then_some(targeted),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_size: 8,
            chrome: ChromeRules::default(),
            entity_sentiment: EntitySentiment::Targeted,
            ner_windows: NerWindows::Model,
        }
    }
}

/// Whether the NER model in `dir` gives sentence tone from its own pass (`tone_head` in its
/// config); false when its config cannot be read (loading it reports why).
pub fn reads_sentence_tone(dir: &std::path::Path) -> bool {
    crate::model::ModelConfig::load(dir).is_ok_and(|c| c.sentence_tone)
}

/// Counters of model work, for progress and benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Work {
    /// Tokens fed to the models (padding excluded).
    pub tokens: usize,
}

/// The loaded models and settings.
pub struct Pipeline {
    ner: Ner,
    /// The sentence model; `None`: sentence tone comes from the NER pass (its tone head).
    sentiment: Option<SentimentModel>,
    targeted: Option<SentimentModel>,
    chrome: ChromeRules,
    pool: rayon::ThreadPool,
    batch_size: usize,
    entity_sentiment: EntitySentiment,
    memo: Memos,
}

/// Sentence and targeted results remembered across batches (see [`crate::memo`]).
struct Memos {
    sentences: Memo<Scored>,
    targets: Memo<Vec<Probabilities>>,
}

/// Input tokens each memo remembers before it starts again (~1,000 BBC articles' sentences).
const MEMO_TOKENS: usize = 500_000;

impl Pipeline {
    /// Loads both models; fails before any output if either is missing or broken.
    pub fn new(cfg: PipelineConfig) -> Result<Self, ModelError> {
        let threads = cfg.threads.max(1);
        let mut ner_model = Model::load(&cfg.ner_model, threads)?;
        let c = &mut ner_model.config;
        match cfg.ner_windows {
            NerWindows::Model => {}
            NerWindows::Sentences => {
                c.window_margin = c.window_margin.or(Some(SENTENCE_WINDOW_MARGIN))
            }
            NerWindows::Fixed => c.window_margin = None,
        }
        let ner = Ner::new(ner_model);
        let sentiment = match &cfg.sentiment_model {
            Some(dir) => {
                let m = SentimentModel::new(Model::load(dir, threads)?, dir)?;
                if m.marks_all() {
                    return Err(ModelError::File {
                        path: dir.join("config.json"),
                        message: "a marker-head model (\"target_head\": \"marker\") scores marked mentions, not sentences: pass it as --targeted-model".into(),
                    });
                }
                Some(m)
            }
            None if ner.model().config.sentence_tone => None,
            None => {
                return Err(ModelError::File {
                    path: cfg.ner_model.join("config.json"),
                    message: "this NER model reads no sentence tone (no \"tone_head\"): give a sentence model with --sentiment-model".into(),
                })
            }
        };
        // The targeted model is loaded only when it is used.
        let targeted = match &cfg.targeted_model {
            Some(dir) if cfg.entity_sentiment == EntitySentiment::Targeted => {
                Some(SentimentModel::new(Model::load(dir, threads)?, dir)?)
            }
            _ => None,
        };
        let can_target = targeted
            .as_ref()
            .or(sentiment.as_ref())
            .is_some_and(|m| m.targeted());
        let entity_sentiment = match cfg.entity_sentiment {
            EntitySentiment::Head if !sentiment.as_ref().is_some_and(|m| m.scores_entities()) => {
                return Err(ModelError::File {
                    path: cfg
                        .sentiment_model
                        .as_ref()
                        .unwrap_or(&cfg.ner_model)
                        .join("config.json"),
                    message: "--entity-sentiment head needs a sentiment model with an entity head (\"entity_head\": \"tokens\"); use targeted or sentence".into(),
                })
            }
            EntitySentiment::Targeted if !can_target => EntitySentiment::Sentence,
            other => other,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| {
                ModelError::Runtime(format!("cannot start {threads} worker threads: {e}"))
            })?;
        Ok(Pipeline {
            ner,
            sentiment,
            targeted,
            chrome: cfg.chrome,
            pool,
            batch_size: cfg.batch_size.max(1),
            memo: Memos {
                sentences: Memo::new(MEMO_TOKENS),
                targets: Memo::new(MEMO_TOKENS),
            },
            entity_sentiment,
        })
    }

    /// The models and conventions every record of this pipeline names (`meta`).
    pub fn run_meta(&self) -> RunMeta {
        RunMeta {
            models: self.models(),
            offsets: "char".into(),
            entity_sentiment: match self.entity_sentiment {
                EntitySentiment::Targeted => "targeted".into(),
                EntitySentiment::Head => "head".into(),
                EntitySentiment::Sentence => "sentence".into(),
            },
        }
    }

    /// The models' `name@version`.
    pub fn models(&self) -> Models {
        let ner = &self.ner.model().config;
        Models {
            ner: match ner.window_margin {
                Some(_) => format!("{}+sentence-windows", ner.id()),
                None => ner.id(),
            },
            sentiment: self
                .sentiment
                .as_ref()
                .map_or_else(|| ner.id(), |m| m.model().config.id()),
            targeted: self.entity_tone_model().map(|m| m.model().config.id()),
        }
    }

    /// The model behind entity tone: the targeted model, the joint model's entity head, or none
    /// (the mean of the sentences' own tone).
    fn entity_tone_model(&self) -> Option<&SentimentModel> {
        match self.entity_sentiment {
            EntitySentiment::Targeted => self.targeted(),
            EntitySentiment::Head => self.sentiment.as_ref(),
            EntitySentiment::Sentence => None,
        }
    }

    /// The NER stage (used by the evaluator).
    pub fn ner(&self) -> &Ner {
        &self.ner
    }

    /// The sentence sentiment stage (used by the evaluator); `None` when sentence tone comes
    /// from the NER pass.
    pub fn sentiment(&self) -> Option<&SentimentModel> {
        self.sentiment.as_ref()
    }

    /// The targeted sentiment stage: the targeted model, or the sentence model.
    pub fn targeted(&self) -> Option<&SentimentModel> {
        self.targeted.as_ref().or(self.sentiment.as_ref())
    }

    /// Whether entity tone comes from the sentiment model's entity head.
    pub fn entity_head(&self) -> bool {
        self.entity_sentiment == EntitySentiment::Head
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `f` on the pipeline's worker threads.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Annotates one text (id `text`, no metadata).
    pub fn annotate_text(&self, text: &str) -> Result<Annotation, ModelError> {
        let article = Article {
            id: "text".into(),
            text: text.into(),
            meta: Default::default(),
            origin: "<text>".into(),
        };
        let (mut out, _) = self.annotate(std::slice::from_ref(&article))?;
        Ok(out.remove(0))
    }

    /// Annotates a batch of articles; output order follows input order.
    pub fn annotate(&self, articles: &[Article]) -> Result<(Vec<Annotation>, Work), ModelError> {
        self.pool.install(|| self.annotate_inner(articles))
    }

    /// NER mentions of each text (no sentence splitting, no chrome): used by the evaluator.
    pub fn mentions(&self, texts: &[&str]) -> Result<Vec<Vec<RawMention>>, ModelError> {
        self.pool
            .install(|| self.ner_texts(texts))
            .map(|(_, pass)| pass.mentions)
    }

    /// Each text's sentence tone read off the NER pass over the whole text (the evaluator's
    /// path when the NER model has a tone head); `None` for a text without tokens.
    pub fn text_tones(&self, texts: &[&str]) -> Result<Vec<Option<Probabilities>>, ModelError> {
        let temperature = self.ner.model().config.temperature;
        let (windows, pass) = self.pool.install(|| self.ner_texts(texts))?;
        Ok(texts
            .iter()
            .zip(&windows)
            .zip(&pass.tones)
            .map(|((t, w), tone)| pooled_tone(w.spans(), tone, Span::new(0, t.len()), temperature))
            .collect())
    }

    /// The NER pass over whole texts (no sentence splitting, no chrome), with their windows.
    fn ner_texts(&self, texts: &[&str]) -> Result<(Vec<Windows>, NerPass), ModelError> {
        let windows = texts
            .par_iter()
            .map(|t| self.ner.windows(t))
            .collect::<Result<Vec<_>, _>>()?;
        let pass = self.run_ner(texts, &windows)?;
        Ok((windows, pass))
    }

    fn run_ner(&self, texts: &[&str], windows: &[Windows]) -> Result<NerPass, ModelError> {
        let pieces: Vec<Vec<Piece>> = windows.par_iter().map(|w| self.ner.pieces(w)).collect();
        let flat: Vec<&Piece> = pieces.iter().flatten().collect();
        let (scores, tokens) = run_counted(self.ner.model(), &flat, self.batch_size)?;
        let mut scores = scores.into_iter();
        // Per article: each window's label logits and tone rows.
        type Rows = Vec<Vec<f32>>;
        let per_article: Vec<(Rows, Rows)> = pieces
            .iter()
            .map(|p| {
                scores
                    .by_ref()
                    .take(p.len())
                    .map(|s| (s.logits, s.tokens))
                    .unzip()
            })
            .collect();
        let (mentions, tones) = per_article
            .par_iter()
            .enumerate()
            .map(|(i, (logits, rows))| {
                (
                    self.ner.decode(texts[i], &windows[i], logits),
                    self.ner.token_tone(&windows[i], rows),
                )
            })
            .unzip();
        Ok(NerPass {
            mentions,
            tones,
            tokens,
        })
    }

    /// The sentence pass over `sentences` (each text's content sentences): every sentence's
    /// queries, laid end to end in order, and their results.
    fn sentence_pass(
        &self,
        texts: &[&str],
        segments: &[Segmented],
    ) -> Result<SentencePass, ModelError> {
        // Built per document in parallel (tokenizing every sentence is serial work otherwise).
        let per_doc: Vec<Vec<Vec<Query>>> = segments
            .par_iter()
            .zip(texts)
            .map(|(seg, text)| match &self.sentiment {
                Some(model) => seg
                    .sentences
                    .iter()
                    .map(|&span| model.sentence_queries(text, span))
                    .collect(),
                None => Ok(vec![Vec::new(); seg.sentences.len()]),
            })
            .collect::<Result<_, ModelError>>()?;
        let mut queries: Vec<(Owner, Query)> = Vec::new();
        let mut of_sentence: Vec<Vec<std::ops::Range<usize>>> = Vec::new();
        for (d, doc) in per_doc.into_iter().enumerate() {
            let mut ranges = Vec::new();
            for (s, qs) in doc.into_iter().enumerate() {
                let first = queries.len();
                queries.extend(qs.into_iter().map(|q| (Owner::Sentence(d, s), q)));
                ranges.push(first..queries.len());
            }
            of_sentence.push(ranges);
        }
        let refs: Vec<&Query> = queries.iter().map(|(_, q)| q).collect();
        let (scored, tokens) = self
            .memo
            .sentences
            .results(&refs, |q| match &self.sentiment {
                Some(m) => m.classify_scored(q, self.batch_size),
                None => Ok(Vec::new()),
            })?;
        Ok(SentencePass {
            queries,
            of_sentence,
            scored,
            tokens,
        })
    }

    /// Document `d`'s targeted queries: each sentence that names entities, read with the
    /// sentences around it and every entity's mention marked.
    fn target_queries(
        &self,
        d: usize,
        doc: &Doc,
        text: &str,
        pronouns: &[(usize, usize, Span)],
    ) -> Result<Vec<(Owner, Query)>, ModelError> {
        let mut targets = Vec::new();
        if let Some(model) = self.targeted() {
            let sents = &doc.seg.sentences;
            let k = model.model().config.context_sentences;
            for (s, named) in doc.sentence_entities(pronouns).into_iter().enumerate() {
                if named.is_empty() {
                    continue;
                }
                let spans: Vec<Span> = named.iter().map(|m| m.1).collect();
                let (first, last) = (s.saturating_sub(k), (s + k).min(sents.len() - 1));
                // The sentences around, widened to any mention that runs past them.
                let ctx = spans
                    .iter()
                    .fold(Span::new(sents[first].start, sents[last].end), |c, m| {
                        Span::new(c.start.min(m.start), c.end.max(m.end))
                    });
                for (q, which) in model.target_queries(text, ctx, &spans)? {
                    let groups = which.iter().map(|&i| named[i].0).collect();
                    targets.push((Owner::Entities(d, s, groups), q));
                }
            }
        }
        Ok(targets)
    }

    /// The targeted pass: the tone towards every entity of each sentence that names one;
    /// the queries, their results and the model tokens run.
    fn targeted_pass(
        &self,
        texts: &[&str],
        docs: &[Doc],
        pronouns: &[Vec<(usize, usize, Span)>],
    ) -> Result<TargetedPass, ModelError> {
        if self.entity_sentiment != EntitySentiment::Targeted {
            return Ok(TargetedPass::default());
        }
        let per_doc: Vec<Vec<(Owner, Query)>> = docs
            .par_iter()
            .enumerate()
            .map(|(d, doc)| self.target_queries(d, doc, texts[d], &pronouns[d]))
            .collect::<Result<_, ModelError>>()?;
        let targets: Vec<(Owner, Query)> = per_doc.into_iter().flatten().collect();
        let refs: Vec<&Query> = targets.iter().map(|(_, q)| q).collect();
        let (probabilities, tokens) =
            self.memo
                .targets
                .results(&refs, |q| match self.targeted() {
                    Some(m) => m.classify_targets(q, self.batch_size),
                    None => Ok(Vec::new()),
                })?;
        Ok(TargetedPass {
            targets,
            probabilities,
            tokens,
        })
    }

    fn annotate_inner(&self, articles: &[Article]) -> Result<(Vec<Annotation>, Work), ModelError> {
        let texts: Vec<&str> = articles.iter().map(|a| a.text.as_str()).collect();
        let prepared: Vec<(Segmented, Windows)> = texts
            .par_iter()
            .map(|t| Ok((segment(t, &self.chrome), self.ner.windows(t)?)))
            .collect::<Result<_, ModelError>>()?;
        let (segments, windows): (Vec<Segmented>, Vec<Windows>) = prepared.into_iter().unzip();

        // Sentence tone needs only the sentences, so it runs beside NER: neither leaves a core
        // idle while the other finishes its last model calls.
        let (ner_pass, sentence_pass) = rayon::join(
            || self.run_ner(&texts, &windows),
            || self.sentence_pass(&texts, &segments),
        );
        let NerPass {
            mentions,
            tones,
            tokens,
        } = ner_pass?;

        // Mentions in content sentences only, grouped into entities.
        let docs: Vec<Doc> = segments
            .into_par_iter()
            .zip(mentions)
            .enumerate()
            .map(|(i, (seg, found))| Doc::new(texts[i], seg, found))
            .collect();

        // The sentences that name a person only by pronoun, when the entity-tone model reads them.
        let reach = self
            .entity_tone_model()
            .and_then(|m| m.model().config.pronoun_reach);
        let pronouns: Vec<Vec<(usize, usize, Span)>> = docs
            .par_iter()
            .enumerate()
            .map(|(d, doc)| reach.map_or_else(Vec::new, |r| doc.pronouns(texts[d], r)))
            .collect();

        let TargetedPass {
            targets,
            probabilities: target_probs,
            tokens: target_tokens,
        } = self.targeted_pass(&texts, &docs, &pronouns)?;
        let SentencePass {
            queries,
            of_sentence,
            scored,
            tokens: sentence_tokens,
        } = sentence_pass?;
        let tokens = tokens + sentence_tokens + target_tokens;
        let head = self.entity_head();

        let mut sentence_parts: Vec<Vec<Vec<(Probabilities, f64)>>> = docs
            .iter()
            .map(|d| vec![Vec::new(); d.seg.sentences.len()])
            .collect();
        let mut entity_parts: Vec<Vec<Vec<(usize, Probabilities)>>> = docs
            .iter()
            .map(|d| vec![Vec::new(); d.groups.len()])
            .collect();
        for ((owner, q), p) in queries.iter().zip(&scored) {
            if let Owner::Sentence(d, s) = *owner {
                sentence_parts[d][s].push((p.probabilities, q.weight));
            }
        }
        if self.sentiment.is_none() {
            // Sentence tone from the NER pass's tone head.
            let temperature = self.ner.model().config.temperature;
            for (d, doc) in docs.iter().enumerate() {
                let spans = windows[d].spans();
                for (s, &span) in doc.seg.sentences.iter().enumerate() {
                    if let Some(p) = pooled_tone(spans, &tones[d], span, temperature) {
                        sentence_parts[d][s].push((p, 1.0));
                    }
                }
            }
        }
        for ((owner, _), probs) in targets.iter().zip(target_probs) {
            if let Owner::Entities(d, s, groups) = owner {
                for (&g, p) in groups.iter().zip(probs) {
                    entity_parts[*d][g].push((*s, p));
                }
            }
        }
        if let Some(model) = self.sentiment.as_ref().filter(|_| head) {
            for (d, doc) in docs.iter().enumerate() {
                for (g, s, span) in doc.entity_sentences(&pronouns[d]) {
                    let parts = of_sentence[d][s]
                        .clone()
                        .map(|i| (&queries[i].1, &scored[i]));
                    if let Some(p) = model.tone_towards(parts, span) {
                        entity_parts[d][g].push((s, p));
                    }
                }
            }
        }
        let run = self.run_meta();
        let layer = self
            .entity_tone_model()
            .and_then(|m| m.model().config.entity_tone.as_ref());
        let out = docs
            .into_par_iter()
            .zip(sentence_parts)
            .zip(entity_parts)
            .zip(articles)
            .map(|(((doc, sp), ep), article)| doc.annotation(article, sp, ep, layer, run.clone()))
            .collect();
        Ok((out, Work { tokens }))
    }
}

/// What the NER pass gives, per text: mentions, and each token's tone when the model has a
/// tone head (empty otherwise); and the model tokens it ran.
struct NerPass {
    mentions: Vec<Vec<RawMention>>,
    tones: Vec<Vec<[f32; 4]>>,
    tokens: usize,
}

/// A batch's sentence pass: every sentence's queries (in document and sentence order), the
/// range of `queries` each (document, sentence) owns, their results, and the model tokens run.
struct SentencePass {
    queries: Vec<(Owner, Query)>,
    of_sentence: Vec<Vec<std::ops::Range<usize>>>,
    scored: Vec<Scored>,
    tokens: usize,
}

/// A batch's targeted pass: its queries, each query's results, and the model tokens run.
#[derive(Default)]
struct TargetedPass {
    targets: Vec<(Owner, Query)>,
    probabilities: Vec<Vec<Probabilities>>,
    tokens: usize,
}
