//! Helpers shared by the integration tests: run the binary, read its JSONL.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `newslens` with the shipped models.
pub fn newslens() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newslens"));
    c.current_dir(root()).stdin(Stdio::null());
    c
}

pub fn run(args: &[&str]) -> Output {
    newslens().args(args).output().expect("newslens runs")
}

/// `newslens ARGS` whose stdout reader has gone before the first line (`... | head`).
pub fn run_into_closed_pipe(args: &[&str]) -> Output {
    let mut child = newslens()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("newslens runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("newslens ends")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect()
}

/// `text[start..end]` in Unicode scalar values, as Python slices a str.
pub fn char_slice(text: &str, start: u64, end: u64) -> String {
    text.chars()
        .skip(start as usize)
        .take((end - start) as usize)
        .collect()
}

/// Checks that every mention's offsets give back its text.
pub fn assert_offsets_exact(annotation: &Value, text: &str) {
    for e in annotation["entities"].as_array().unwrap() {
        for m in e["mentions"].as_array().unwrap() {
            let got = char_slice(
                text,
                m["start"].as_u64().unwrap(),
                m["end"].as_u64().unwrap(),
            );
            assert_eq!(got, m["text"].as_str().unwrap(), "offsets of {m}");
        }
    }
}

/// Entities as (canonical text, label).
pub fn entities(annotation: &Value) -> Vec<(String, String)> {
    annotation["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["text"].as_str().unwrap().to_string(),
                e["label"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The bundled corpus's articles as `{id, text}` (the file name is the id), in id order.
pub fn corpus_articles() -> Vec<Value> {
    let mut out = Vec::new();
    for p in std::fs::read_dir(root().join("corpus")).unwrap() {
        let p = p.unwrap().path();
        if p.extension().is_some_and(|e| e == "txt") {
            let id = p.file_name().unwrap().to_string_lossy().into_owned();
            out.push(json!({"id": id, "text": std::fs::read_to_string(&p).unwrap()}));
        }
    }
    out.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    out
}

/// `../shared/data` for a test that cannot run without it (marked `#[ignore]`, run by `make test`
/// when the folder is there): panics with a clear message when it is absent.
pub fn required_data() -> PathBuf {
    shared_data().expect("../shared/data is absent: this test needs it (set NEWSLENS_DATA)")
}

/// `built/targeted-mpnet`, the accurate targeted model that is built, not shipped (`bash
/// training/build_targeted_mpnet.sh`), for a test marked `#[ignore]` that `make test` runs once it
/// is built: panics with a clear message when it is absent.
pub fn accurate_model() -> PathBuf {
    built_model("targeted-mpnet")
}

/// `built/sentiment-mpnet`, the accurate sentence model (built, not shipped), as
/// [`accurate_model`] is the accurate targeted one.
pub fn accurate_sentence_model() -> PathBuf {
    built_model("sentiment-mpnet")
}

/// `built/<name>` (a model built on demand, not shipped), or a panic naming the script that
/// builds it: `training/build_<name>.sh`, dashes as underscores.
fn built_model(name: &str) -> PathBuf {
    let dir = root().join("built").join(name);
    assert!(
        dir.join("model.onnx").is_file(),
        "built/{name} is absent: build it with bash training/build_{}.sh",
        name.replace('-', "_")
    );
    dir
}

/// `../shared/data`, or None (with a message) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("NEWSLENS_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (set NEWSLENS_DATA to the shared data folder)",
            dir.display()
        );
        None
    }
}

/// Writes JSONL records to `path`.
pub fn write_jsonl(path: &Path, records: &[Value]) {
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, body).unwrap();
}

/// `newslens annotate INPUT -o OUT --quiet EXTRA...`.
pub fn annotate_to(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "annotate",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// [`annotate_to`], asserting success; returns the output lines.
pub fn annotate_ok(input: &Path, out: &Path, extra: &[&str]) -> Vec<Value> {
    let o = annotate_to(input, out, extra);
    assert!(o.status.success(), "{}", stderr(&o));
    read_jsonl(out)
}

pub const PEOPLE: [&str; 8] = [
    "Emily Feng",
    "Xi Jinping",
    "Angela Merkel",
    "Ying Cao",
    "Joe Biden",
    "Narendra Modi",
    "Olaf Scholz",
    "Maria Gonzalez",
];
pub const PLACES: [&str; 6] = [
    "Chengdu",
    "the Darien Gap",
    "New York",
    "Lianjiang County",
    "Berlin",
    "Mumbai",
];
pub const ORGS: [&str; 5] = [
    "the European Central Bank",
    "Radio Free Asia",
    "Safeguard Defenders",
    "the United Nations",
    "Reuters",
];
pub const FRAMES: [&str; 8] = [
    "{p} said the talks in {l} were a great success for {o}.",
    "Critics accused {o} of ignoring the suffering of families in {l}.",
    "{p} flew to {l} on Tuesday to meet officials from {o}.",
    "The collapse shocked investors, and {p} warned of worse to come.",
    "According to {o}, thousands of people left {l} last year.",
    "\"We are proud of what we built here,\" {p} told reporters in {l}.",
    "Prices rose by 3.2 percent, the fastest pace since 2008.",
    "{o} praised {p} for a brave and honest decision.",
];

/// `n` made-up news articles of 1 to 23 sentences (ids `gen-00`, ...), always the same.
pub fn generated_articles(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let sentences = 1 + (i * 7) % 23;
            let mut text = String::new();
            for s in 0..sentences {
                let k = i * 31 + s * 17;
                let line = FRAMES[k % FRAMES.len()]
                    .replace("{p}", PEOPLE[(k / 3) % PEOPLE.len()])
                    .replace("{l}", PLACES[(k / 5) % PLACES.len()])
                    .replace("{o}", ORGS[(k / 7) % ORGS.len()]);
                text.push_str(&line);
                text.push(if s % 4 == 3 { '\n' } else { ' ' });
            }
            serde_json::json!({"id": format!("gen-{i:02}"), "text": text.trim_end()})
        })
        .collect()
}
