//! The same article gives the same record, byte for byte, whatever else is in the run: batch
//! size, articles per batch, order, threads, alone or among others, and after a resume.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::{json, Value};

/// Articles of very different lengths (one sentence to several 126-token windows).
fn articles() -> Vec<Value> {
    let mut out = corpus_articles();
    out.extend(generated_articles(36));
    if let Some(data) = shared_data() {
        for r in bbc_records(&data).into_iter().step_by(97).take(12) {
            out.push(json!({"id": r["id"], "text": r["text"], "source": r["source"]}));
        }
    }
    out
}

/// The BBC benchmark corpus in `data` (2,225 articles), its records in file order.
fn bbc_records(data: &Path) -> Vec<Value> {
    std::fs::read_to_string(data.join("news_corpus/bbc_news_2225.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The output's raw lines by id.
fn lines_by_id(path: &Path) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        assert!(map.insert(id, line.to_string()).is_none(), "id twice");
    }
    map
}

fn annotate(dir: &Path, name: &str, records: &[Value], extra: &[&str]) -> BTreeMap<String, String> {
    let input = dir.join(format!("{name}.jsonl"));
    write_jsonl(&input, records);
    let out = dir.join(format!("{name}.out.jsonl"));
    annotate_ok(&input, &out, extra);
    lines_by_id(&out)
}

fn assert_same(reference: &BTreeMap<String, String>, other: &BTreeMap<String, String>, what: &str) {
    let differing: Vec<&String> = other
        .iter()
        .filter(|(id, line)| reference.get(*id) != Some(line))
        .map(|(id, _)| id)
        .collect();
    assert!(
        differing.is_empty(),
        "{what}: {} of {} records differ from the reference run: {:?}",
        differing.len(),
        other.len(),
        differing
    );
}

#[test]
fn every_article_is_annotated_the_same_whatever_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let records = articles();
    let reference = annotate(dir.path(), "all", &records, &[]);
    assert_eq!(reference.len(), records.len());

    let mut reversed = records.clone();
    reversed.reverse();
    let runs: [(&str, Vec<Value>, &[&str]); 5] = [
        ("reversed", reversed, &["--threads", "1"]),
        // More workers than this machine's cores, small calls: the sentence pass and the NER
        // pass run side by side, and many calls of each interleave on every worker.
        (
            "three-workers",
            records.clone(),
            &["--threads", "3", "--batch-size", "2"],
        ),
        (
            "odd-batches",
            records.clone(),
            &["--batch-size", "7", "--articles-per-batch", "3"],
        ),
        (
            "one-row-calls",
            records.clone(),
            &[
                "--batch-size",
                "1",
                "--articles-per-batch",
                "1",
                "--threads",
                "2",
            ],
        ),
        (
            "big-batches",
            records.clone(),
            &["--batch-size", "96", "--articles-per-batch", "200"],
        ),
    ];
    for (name, input, extra) in runs {
        let got = annotate(dir.path(), name, &input, extra);
        assert_eq!(got.len(), records.len(), "{name}");
        assert_same(&reference, &got, name);
    }
    // A few articles each in a run of its own.
    for i in [0, 5, 17, records.len() - 1] {
        let got = annotate(dir.path(), &format!("alone-{i}"), &records[i..=i], &[]);
        assert_same(&reference, &got, &format!("article {i} alone"));
    }
}

#[test]
fn a_sentence_scores_the_same_whatever_the_lengths_of_its_batch_mates() {
    // Found on BBC 300: padded to a longer batch-mate's length, this sentence's tone moved by
    // 4e-4 (ONNX Runtime sums a padded row in another order), which the JSON shows.
    let dir = tempfile::tempdir().unwrap();
    let short = json!({"id": "short", "text": "Among the biggest laggards, according to the report, are Greece and Italy."});
    let longer = json!({"id": "longer", "text": "The central bank said on Tuesday that it would keep interest rates unchanged for the rest of the year. Shares in the carmaker rose sharply after it reported record sales in Europe and Asia. The minister told reporters in Brussels that the talks had been long, difficult and in the end productive. Exports of steel and aluminium fell for the third month in a row, the statistics office said."});
    for mode in [&[][..], &["--entity-sentiment", "sentence"][..]] {
        let alone = annotate(dir.path(), "alone", std::slice::from_ref(&short), mode);
        let together = annotate(
            dir.path(),
            "together",
            &[short.clone(), longer.clone()],
            mode,
        );
        assert_eq!(alone["short"], together["short"], "{mode:?}");
    }
}

#[test]
#[ignore = "needs ../shared/data: `make test` runs it when the folder is there"]
fn bbc_articles_are_annotated_the_same_whatever_the_batch_size() {
    // 300 articles (about 4,800 sentences): a rare near-tie shows what a few dozen cannot.
    let mut records = bbc_records(&required_data());
    records.truncate(300);
    let dir = tempfile::tempdir().unwrap();
    let reference = annotate(dir.path(), "batch-8", &records, &[]);
    for (name, extra) in [
        ("batch-16", &["--batch-size", "16"][..]),
        (
            "batch-5",
            &["--batch-size", "5", "--articles-per-batch", "7"][..],
        ),
    ] {
        let got = annotate(dir.path(), name, &records, extra);
        assert_eq!(got.len(), records.len(), "{name}");
        assert_same(&reference, &got, name);
    }
}

#[test]
fn a_resume_from_inside_a_batch_gives_the_uninterrupted_records() {
    let dir = tempfile::tempdir().unwrap();
    let records = articles();
    let input = dir.path().join("in.jsonl");
    write_jsonl(&input, &records);
    let full = dir.path().join("full.jsonl");
    annotate_ok(&input, &full, &["--articles-per-batch", "8"]);
    let reference = lines_by_id(&full);

    // Cut after 11 whole lines (inside the second batch of 8) and tear the 12th.
    let text = std::fs::read_to_string(&full).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut cut: String = lines[..11].iter().map(|l| format!("{l}\n")).collect();
    cut.push_str(&lines[11][..lines[11].len() / 2]);
    let resumed = dir.path().join("resumed.jsonl");
    std::fs::write(&resumed, cut).unwrap();
    annotate_ok(&input, &resumed, &["--articles-per-batch", "8", "--resume"]);
    let got = lines_by_id(&resumed);
    assert_eq!(got.len(), records.len());
    assert_same(&reference, &got, "resumed run");
}

/// Reversed with odd batching on one thread, and two articles alone, against one default run,
/// all with `mode` (the flags choosing the entity-sentiment models).
fn same_records_whatever_the_batching(mode: &[&str], what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let records = articles();
    let reference = annotate(dir.path(), "all", &records, mode);
    assert_eq!(reference.len(), records.len());
    let mut reversed = records.clone();
    reversed.reverse();
    let mut odd = mode.to_vec();
    odd.extend([
        "--batch-size",
        "5",
        "--articles-per-batch",
        "2",
        "--threads",
        "1",
    ]);
    let got = annotate(dir.path(), "odd", &reversed, &odd);
    assert_same(&reference, &got, &format!("{what}, reversed, odd batches"));
    for i in [3, records.len() - 1] {
        let got = annotate(dir.path(), &format!("alone-{i}"), &records[i..=i], mode);
        assert_same(&reference, &got, &format!("{what}, article {i} alone"));
    }
}

#[test]
fn the_fast_entity_head_gives_the_same_records_whatever_the_batching() {
    same_records_whatever_the_batching(&["--entity-sentiment", "head"], "head mode");
}

#[test]
#[ignore = "needs built/targeted-mpnet (bash training/build_targeted_mpnet.sh): `make test` runs it once built"]
fn the_accurate_targeted_model_gives_the_same_records_whatever_the_batching() {
    let model = accurate_model();
    same_records_whatever_the_batching(
        &["--targeted-model", model.to_str().unwrap()],
        "targeted-mpnet",
    );
}

#[test]
#[ignore = "needs built/sentiment-mpnet (bash training/build_sentiment_mpnet.sh): `make test` runs it once built"]
fn sentence_mpnet_gives_the_same_records_whatever_the_batching() {
    let model = accurate_sentence_model();
    same_records_whatever_the_batching(
        &["--sentiment-model", model.to_str().unwrap()],
        "sentiment-mpnet",
    );
}

#[test]
fn fixed_ner_windows_give_the_same_records_whatever_the_batching() {
    // The default NER windows (whole sentences, as the shipped model's config asks) are covered
    // by the tests above; this one covers the other layout.
    same_records_whatever_the_batching(&["--fixed-windows"], "NER fixed windows");
}

#[test]
fn sentence_tone_from_the_ner_pass_gives_the_same_records_whatever_the_batching() {
    // models/ner-tone: a sentence's tone pools the tokens of the NER windows, which hold the
    // sentences around it; the windows depend on the article alone.
    let model = root().join("models/ner-tone");
    same_records_whatever_the_batching(
        &["--ner-model", model.to_str().unwrap()],
        "NER with a tone head",
    );
}
