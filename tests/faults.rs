//! Bad input, broken models, and resuming after a crash.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

#[test]
fn bad_inputs_are_rejected_by_file_and_line_and_the_rest_is_annotated() {
    let dir = tempfile::tempdir().unwrap();
    let arts = dir.path().join("articles");
    std::fs::create_dir_all(arts.join("sub")).unwrap();
    std::fs::write(
        arts.join("good.txt"),
        "Angela Merkel visited Paris on Monday.",
    )
    .unwrap();
    std::fs::write(
        arts.join("sub/latin1.txt"),
        b"Caf\xe9 owners in Lyon protested.",
    )
    .unwrap();
    std::fs::write(arts.join("empty.txt"), "  \n\n").unwrap();
    let out = dir.path().join("out.jsonl");
    let o = run(&[
        "annotate",
        arts.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("latin1.txt") && err.contains("UTF-8"), "{err}");
    assert!(err.contains("empty.txt") && err.contains("empty"), "{err}");
    let lines = read_jsonl(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], "good.txt");
    let rejects = read_jsonl(&dir.path().join("out.rejects.jsonl"));
    assert_eq!(rejects.len(), 2);

    // JSONL: a line that is not JSON, one without text, a duplicate id.
    let feed = dir.path().join("feed.jsonl");
    let body = [
        json!({"id": "1", "text": "Boris Johnson spoke in London."}).to_string(),
        "{not json".to_string(),
        json!({"id": "2", "title": "no text"}).to_string(),
        json!({"id": "1", "text": "Duplicate id here."}).to_string(),
        json!({"id": "3", "text": "Emmanuel Macron met officials in Brussels."}).to_string(),
    ]
    .join("\n");
    std::fs::write(&feed, body).unwrap();
    let out = dir.path().join("feed.out.jsonl");
    let o = run(&[
        "annotate",
        feed.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    let name = feed.display().to_string();
    for (line, what) in [(2, "not JSON"), (3, "no `text`"), (4, "duplicate id")] {
        assert!(
            err.contains(&format!("{name}:{line}")) && err.contains(what),
            "line {line}: {err}"
        );
    }
    let ids: Vec<String> = read_jsonl(&out)
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["1", "3"]);
    let rejects = read_jsonl(&dir.path().join("feed.out.rejects.jsonl"));
    assert_eq!(
        rejects
            .iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [2, 3, 4]
    );
}

#[test]
fn empty_folder_and_missing_input_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["annotate", dir.path().to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no .txt articles"), "{}", stderr(&o));
    let o = run(&["annotate", "no/such/folder", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no/such/folder"), "{}", stderr(&o));
}

/// The run stopped with exit code 1 before writing `out`, and its error names each of `needles`.
fn assert_refused(o: &std::process::Output, out: &Path, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} is not in: {err}");
    }
    assert!(!out.exists(), "{} was written", out.display());
}

/// `dir/bad`: the shipped model `name` (graph and tokenizer) under its config with `field` set
/// to `value`.
fn shipped_model_with(dir: &Path, name: &str, field: &str, value: serde_json::Value) -> PathBuf {
    let (shipped, bad) = (root().join("models").join(name), dir.join("bad"));
    std::fs::create_dir_all(&bad).unwrap();
    for f in ["model.onnx", "tokenizer.json"] {
        std::fs::copy(shipped.join(f), bad.join(f)).unwrap();
    }
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shipped.join("config.json")).unwrap())
            .unwrap();
    cfg[field] = value;
    std::fs::write(bad.join("config.json"), cfg.to_string()).unwrap();
    bad
}

#[test]
fn a_broken_model_stops_the_run_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let annotate_with = |ner: &Path| {
        run(&[
            "annotate",
            "corpus/",
            "-o",
            out.to_str().unwrap(),
            "--ner-model",
            ner.to_str().unwrap(),
        ])
    };
    // Missing model directory.
    let o = annotate_with(&dir.path().join("nope"));
    assert_refused(&o, &out, &["config.json"]);
    // The shipped NER graph and tokenizer under a config changed one field at a time.
    let annotate_with_config = |field: &str, value: serde_json::Value| {
        annotate_with(&shipped_model_with(dir.path(), "ner", field, value))
    };
    // Labels that do not match the model.
    let o = annotate_with_config("labels", json!(["O", "B-PER", "I-PER"]));
    assert_refused(&o, &out, &["bad/config.json", "3 labels", "9 classes"]);
    // A decoding weight that is not a positive number.
    let o = annotate_with_config("outside_weight", json!(-1.0));
    assert_refused(&o, &out, &["bad/config.json", "outside_weight"]);
    // A type-vote bar outside 0..1.
    let o = annotate_with_config("type_vote_below", json!(1.5));
    assert_refused(&o, &out, &["bad/config.json", "type_vote_below"]);
}

#[test]
fn a_graph_that_is_not_onnx_is_named_whatever_the_thread_count() {
    // One worker hands the file to ONNX Runtime; several first read its weights to share them.
    let dir = tempfile::tempdir().unwrap();
    let bad = shipped_model_with(dir.path(), "ner", "name", "garbage graph".into());
    std::fs::write(bad.join("model.onnx"), b"not a graph".repeat(10_000)).unwrap();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("out{threads}.jsonl"));
        let o = run(&[
            "annotate",
            "corpus/",
            "-o",
            out.to_str().unwrap(),
            "--threads",
            threads,
            "--ner-model",
            bad.to_str().unwrap(),
        ]);
        let graph = bad.join("model.onnx").display().to_string();
        assert_refused(&o, &out, &[&graph]);
    }
}

#[test]
fn a_marker_head_model_is_refused_where_it_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let annotate_with = |flag: &str, model: &Path| {
        run(&[
            "annotate",
            "corpus/",
            "-o",
            out.to_str().unwrap(),
            flag,
            model.to_str().unwrap(),
        ])
    };
    // The targeted model scores marked mentions: as the sentence model it is refused.
    let o = annotate_with("--sentiment-model", &root().join("models/targeted"));
    assert_refused(&o, &out, &["targeted/config.json", "--targeted-model"]);
    // A head kind newslens does not know, or a marker head without markers.
    for (field, value) in [
        ("target_head", json!("tokens")),
        ("target_markers", serde_json::Value::Null),
    ] {
        let bad = shipped_model_with(dir.path(), "targeted", field, value);
        let o = annotate_with("--targeted-model", &bad);
        assert_refused(&o, &out, &["bad/config.json", "target_head"]);
    }
}

#[test]
fn resume_after_a_kill_keeps_every_article_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let records: Vec<_> = (0..12)
        .map(|i| json!({"id": format!("a{i}"), "text": format!("Report {i}: Angela Merkel met Emmanuel Macron in Paris to discuss trade. The talks went well. ").repeat(20)}))
        .collect();
    write_jsonl(&feed, &records);
    let out = dir.path().join("out.jsonl");
    let mut child = newslens()
        .args([
            "annotate",
            feed.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quiet",
            "--articles-per-batch",
            "1",
            "--threads",
            "1",
        ])
        .spawn()
        .unwrap();
    // Kill it once some (not all) lines are written.
    let t0 = Instant::now();
    loop {
        let n = std::fs::read_to_string(&out)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if n >= 2 || t0.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&out).unwrap();
    assert!(
        before.lines().count() < 12,
        "the run finished before it could be killed"
    );
    // A crash mid-write leaves half a line: simulate it.
    std::fs::write(&out, format!("{before}{{\"id\":\"a9\",\"sen")).unwrap();
    let o = run(&[
        "annotate",
        feed.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
        "--resume",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ids: Vec<String> = read_jsonl(&out)
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 12, "{ids:?}");
    assert_eq!(ids.len(), 12, "{ids:?}");
}

/// `newslens eval ... --json` on `file`: exit code, the report, stderr.
fn eval_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let o = run(args);
    let report = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.code(), report, stderr(&o))
}

#[test]
fn eval_leaves_out_bad_gold_lines_by_file_and_line_and_scores_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = |name: &str, body: &str| {
        let p = d.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let good = r#"{"id":"1","text":"Joe Biden praised Angela Merkel.","targets":[{"from":0,"to":9,"polarity":"positive"},{"from":18,"to":31,"polarity":"positive"}]}"#;
    let targeted = f(
        "t.jsonl",
        &[
            good,
            "not json",
            r#"{"id":"2","text":"Short.","targets":[{"from":0,"to":99,"polarity":"negative"}]}"#,
            r#"{"id":"3","text":"Zola left.","targets":[{"from":0,"to":4,"polarity":"weird"}]}"#,
            r#"{"id":"4","text":"No targets."}"#,
        ]
        .join("\n"),
    );
    let (code, r, err) = eval_json(&["eval", "targeted", &targeted, "--json"]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(
        (r["records"].as_u64(), r["examples"].as_u64()),
        (Some(1), Some(2)),
        "{r}"
    );
    let skipped: Vec<&str> = r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    for (line, why) in [
        (2, "not JSON"),
        (3, "out of range"),
        (4, "polarity"),
        (5, "no targets"),
    ] {
        let at = format!("t.jsonl:{line}: ");
        assert!(
            skipped.iter().any(|s| s.contains(&at) && s.contains(why)),
            "{at} {why}: {skipped:?}"
        );
        assert!(
            err.contains(&format!("skipped: {}", skipped[line - 2])),
            "{err}"
        );
    }
    // The same file without its bad lines scores the same, with exit code 0.
    let clean = f("clean.jsonl", good);
    let (code, c, _) = eval_json(&["eval", "targeted", &clean, "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        (c["macro_f1"].clone(), c["skipped"].clone()),
        (r["macro_f1"].clone(), json!([]))
    );

    let tsv = f(
        "s.tsv",
        "sentence\tlabel\nit is great\t1\nno tab here\nterrible film\t0\nodd\t7\n",
    );
    let (code, r, err) = eval_json(&["eval", "sentiment", &tsv, "--json"]);
    assert_eq!((code, r["examples"].as_u64()), (Some(3), Some(2)), "{err}");
    assert_eq!(r["skipped"].as_array().unwrap().len(), 2, "{r}");

    // CoNLL: a line without columns leaves out its sentence, not the file.
    let conll = f(
        "c.txt",
        "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nbadline\nGerman JJ B-NP B-MISC\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n",
    );
    let (code, r, err) = eval_json(&["eval", "ner", &conll, "--json"]);
    assert_eq!((code, r["sentences"].as_u64()), (Some(3), Some(2)), "{err}");
    assert!(
        r["skipped"][0].as_str().unwrap().contains("c.txt:6: "),
        "{r}"
    );

    let persent = f(
        "p.jsonl",
        "{\"id\":\"a\",\"text\":\"Joe Biden won praise today.\",\"target_entity\":\"Joe Biden\",\"label\":\"positive\"}\n{\"id\":\"b\",\"text\":\"x\"}\n",
    );
    let (code, r, err) = eval_json(&["eval", "document", &persent, "--json"]);
    assert_eq!((code, r["articles"].as_u64()), (Some(3), Some(1)), "{err}");
    assert!(
        r["skipped"][0].as_str().unwrap().contains("p.jsonl:2: "),
        "{r}"
    );

    // Predictions or features written over the gold file would erase it: refused.
    for (cmd, gold, flag) in [
        ("targeted", &clean, "--predictions"),
        ("document", &persent, "--features"),
    ] {
        let before = std::fs::read(gold).unwrap();
        let (code, _, err) = eval_json(&["eval", cmd, gold, flag, gold]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("names the input file itself"), "{err}");
        assert_eq!(std::fs::read(gold).unwrap(), before);
    }

    // Nothing readable at all is an error that names the first bad line.
    let none = f("none.jsonl", "not json\n");
    let (code, _, err) = eval_json(&["eval", "targeted", &none]);
    assert_eq!(code, Some(1));
    assert!(err.contains("none.jsonl:1: not JSON"), "{err}");
}

#[test]
fn an_output_that_is_the_input_file_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    write_jsonl(&feed, &generated_articles(3));
    let before = std::fs::read(&feed).unwrap();
    std::os::unix::fs::symlink(&feed, dir.path().join("link.jsonl")).unwrap();
    let f = feed.to_str().unwrap();
    let through_new_folder = dir.path().join("new/../feed.jsonl");
    let link = dir.path().join("link.jsonl");
    let out = dir.path().join("out.jsonl");
    for args in [
        vec!["-o", f],
        vec!["-o", f, "--resume"],
        vec!["-o", through_new_folder.to_str().unwrap()],
        vec!["-o", link.to_str().unwrap()],
        vec!["-o", out.to_str().unwrap(), "--rejects", f],
    ] {
        let mut all = vec!["annotate", f, "-q"];
        all.extend(&args);
        let o = run(&all);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("names the input file itself"),
            "{}",
            stderr(&o)
        );
        assert_eq!(
            std::fs::read(&feed).unwrap(),
            before,
            "{args:?} changed the input"
        );
    }
    // Read through the link, written to another file: annotated as usual.
    let o = run(&[
        "annotate",
        link.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_jsonl(&out).len(), 3);
}

#[test]
fn eval_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let conll = dir.path().join("c.txt");
    std::fs::write(&conll, "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n").unwrap();
    for json in [true, false] {
        let mut args = vec!["eval", "ner", conll.to_str().unwrap()];
        if json {
            args.push("--json");
        }
        let o = run_into_closed_pipe(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stderr(&o), "", "no panic, no error for a closed pipe");
    }
}
