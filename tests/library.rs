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
