//! The library API a Rust program embeds: one text, and a stream with rejects.

mod common;

use common::*;
use newslens::output::Writer;
use newslens::run::{RunOptions, Silent};
use newslens::{Pipeline, PipelineConfig};

#[test]
fn a_text_and_a_stream_through_the_library() {
    let mut cfg = PipelineConfig::with_models(&root().join("models"));
    cfg.threads = 1;
    let pipeline = Pipeline::new(cfg).unwrap();
    let a = pipeline
        .annotate_text("Angela Merkel praised the new bridge in Dresden.")
        .unwrap();
    let names: Vec<(&str, &str)> = a
        .entities
        .iter()
        .map(|e| (e.text.as_str(), e.label.as_str()))
        .collect();
    assert!(names.contains(&("Angela Merkel", "PER")), "{names:?}");
    assert!(names.contains(&("Dresden", "LOC")), "{names:?}");

    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(
        &feed,
        "{\"id\": \"1\", \"text\": \"Joe Biden spoke in Ohio.\"}\nnot json\n{\"id\": \"1\", \"text\": \"again\"}\n",
    )
    .unwrap();
    let out = dir.path().join("out.jsonl");
    let (mut writer, _) = Writer::file(&out, false).unwrap();
    let articles = newslens::input::open(&feed).unwrap();
    let s = pipeline
        .run(articles, &mut writer, &RunOptions::default(), &Silent)
        .unwrap();
    assert_eq!((s.written, s.skipped, s.rejects.len()), (1, 0, 2));
    assert_eq!(s.rejects[0].line, Some(2));
    let lines = read_jsonl(&out);
    assert_eq!(lines.len(), 1);
    // The library and the CLI give the same record.
    let cli_out = dir.path().join("cli.jsonl");
    let o = run(&[
        "annotate",
        feed.to_str().unwrap(),
        "-o",
        cli_out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(read_jsonl(&cli_out), lines);
}

#[test]
fn the_targeted_model_reads_a_sentence_once_for_all_its_entities() {
    // Model tokens fed with targeted entity tone, less those of the sentence mode, are the
    // targeted pass: one marked copy of each sentence that names entities, however many.
    let text = "Angela Merkel met Emmanuel Macron, Joe Biden and Justin Trudeau in Berlin. \
                The weather was fine.";
    let tokens = |mode: newslens::EntitySentiment| {
        let mut cfg = PipelineConfig::with_models(&root().join("models"));
        cfg.threads = 1;
        cfg.entity_sentiment = mode;
        let pipeline = Pipeline::new(cfg).unwrap();
        let article = newslens::input::Article {
            id: "1".into(),
            text: text.into(),
            meta: Default::default(),
            origin: "test".into(),
        };
        let (out, work) = pipeline.annotate(&[article]).unwrap();
        (out.into_iter().next().unwrap(), work.tokens)
    };
    let (targeted, with) = tokens(newslens::EntitySentiment::Targeted);
    let (_, without) = tokens(newslens::EntitySentiment::Sentence);
    assert!(targeted.entities.len() >= 5, "{:?}", targeted.entities);
    // The first sentence is ~20 tokens, ~30 with five entities marked; five passes would be ~150.
    let pass = with - without;
    assert!((20..60).contains(&pass), "targeted pass fed {pass} tokens");
}

#[test]
fn every_target_is_scored_once_when_targets_overlap_or_a_sentence_is_too_long() {
    use newslens::text::Span;
    let mut cfg = PipelineConfig::with_models(&root().join("models"));
    cfg.threads = 1;
    let pipeline = Pipeline::new(cfg).unwrap();
    let model = pipeline.targeted().expect("the shipped targeted model");
    assert!(
        model.marks_all(),
        "the shipped targeted model has a marker head"
    );
    assert!(
        model.model().splits_like_bert(),
        "the shipped targeted model's tokenizer lets a too-long sentence's windows skip tokenizing"
    );
    let at = |text: &str, name: &str, from: usize| {
        let start = from + text[from..].find(name).unwrap();
        Span::new(start, start + name.len())
    };
    let short = "Shares of HDFC Bank rose while HDFC Securities fell.".to_string();
    let long = format!(
        "Shares of HDFC Bank rose {} while HDFC Securities fell.",
        "and then the market moved again ".repeat(40)
    );
    for text in [&short, &long] {
        // "HDFC Bank" and the "HDFC" inside it overlap; "HDFC Securities" stands apart.
        let spans = [
            at(text, "HDFC Bank", 0),
            at(text, "HDFC", 0),
            at(text, "HDFC Securities", 20),
        ];
        let queries = model
            .target_queries(text, Span::new(0, text.len()), &spans)
            .unwrap();
        let mut scored: Vec<usize> = queries.iter().flat_map(|(_, w)| w.clone()).collect();
        scored.sort();
        assert_eq!(scored, vec![0, 1, 2], "{text}");
        let refs: Vec<_> = queries.iter().map(|(q, _)| q).collect();
        let probs = model.classify_targets(&refs, 8).unwrap();
        for ((q, which), p) in queries.iter().zip(&probs) {
            assert_eq!(q.marks.len(), which.len());
            assert_eq!(p.len(), which.len());
            assert!(q.piece.ids.len() <= model.model().config.max_length);
        }
        if text == &short {
            // One input for the two apart, one more for the overlapping one.
            assert_eq!(queries.len(), 2, "{queries:?}");
        } else {
            // Too long with its marks: one input per mention, each cut to fit.
            assert_eq!(queries.len(), 3, "{queries:?}");
        }
    }
}

#[test]
fn a_repeated_article_or_sentence_is_run_once_and_annotated_the_same() {
    // Syndicated copies: the same story under two ids, and a third article that repeats one of
    // its sentences. Each distinct model input is run once; every record is what it is alone.
    let story = "Angela Merkel met Emmanuel Macron in Berlin on Monday. \
                 The talks were tense, aides said.";
    let other = "Markets fell in Tokyo. The talks were tense, aides said.";
    let mut cfg = PipelineConfig::with_models(&root().join("models"));
    cfg.threads = 2;
    let pipeline = Pipeline::new(cfg).unwrap();
    let article = |id: &str, text: &str| newslens::input::Article {
        id: id.into(),
        text: text.into(),
        meta: Default::default(),
        origin: "test".into(),
    };
    let alone = |a: newslens::input::Article| {
        let (out, work) = pipeline.annotate(&[a]).unwrap();
        (serde_json::to_string(&out[0]).unwrap(), work.tokens)
    };
    let (story_alone, story_tokens) = alone(article("a", story));
    let (other_alone, other_tokens) = alone(article("c", other));
    let (out, work) = pipeline
        .annotate(&[
            article("a", story),
            article("b", story),
            article("c", other),
        ])
        .unwrap();
    let json: Vec<String> = out
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect();
    assert_eq!(json[0], story_alone);
    assert_eq!(json[1], story_alone.replace("\"id\":\"a\"", "\"id\":\"b\""));
    assert_eq!(json[2], other_alone);
    // The second copy costs nothing; the shared sentence is read once by the sentence model.
    assert!(
        work.tokens < story_tokens + other_tokens,
        "{} tokens for the batch, {story_tokens} + {other_tokens} alone",
        work.tokens
    );
    // In a later batch, the story's sentences are remembered: only its NER windows run.
    let (later, later_work) = pipeline.annotate(&[article("d", story)]).unwrap();
    assert_eq!(
        serde_json::to_string(&later[0]).unwrap(),
        story_alone.replace("\"id\":\"a\"", "\"id\":\"d\"")
    );
    assert!(
        later_work.tokens < story_tokens / 2,
        "{} tokens for a story seen before, {story_tokens} the first time",
        later_work.tokens
    );
}
