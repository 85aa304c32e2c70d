//! `newslens eval` on the shared gold data reproduces the metrics shipped with the models, and
//! its per-target predictions add up to its scores.

mod common;

use common::*;
use serde_json::Value;

fn eval(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("--json prints one JSON object")
}

fn shipped(model: &str, key: &str) -> Value {
    measured(&root().join("models").join(model), key)
}

/// `key` of the metrics.json in a model folder.
fn measured(dir: &std::path::Path, key: &str) -> Value {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    m[key].clone()
}

fn close(a: &Value, b: &Value, field: &str) {
    let (x, y) = (a[field].as_f64().unwrap(), b[field].as_f64().unwrap());
    assert!((x - y).abs() < 1e-3, "{field}: measured {x}, shipped {y}");
}

/// Char offsets of `mention` in `text`, as a targeted gold file gives them.
fn target(text: &str, mention: &str, polarity: &str) -> Value {
    let at = text.find(mention).expect("the mention is in the text");
    let from = text[..at].chars().count();
    serde_json::json!({"from": from, "to": from + mention.chars().count(), "polarity": polarity})
}

#[test]
fn targeted_predictions_are_one_line_a_target_and_add_up_to_the_scores() {
    let records = [
        (
            "p1",
            "The mayor praised Ana Silva for her brave rescue of the flood victims.",
            vec![("Ana Silva", "positive")],
        ),
        (
            "p2",
            "Critics said Acme Corp lied to regulators, while Bolt Ltd was cleared of wrongdoing.",
            vec![("Acme Corp", "negative"), ("Bolt Ltd", "positive")],
        ),
        (
            "p3",
            "Zoë Müller met officials in Zürich on Tuesday.",
            vec![("Zoë Müller", "neutral"), ("Zürich", "neutral")],
        ),
        (
            "p4",
            "Fans booed Carlos Vela after the worst performance of his career.",
            vec![("Carlos Vela", "negative")],
        ),
        (
            "p5",
            "Nordbank reported quarterly results on Friday.",
            vec![("Nordbank", "neutral")],
        ),
        (
            "p6",
            "Investors cheered as Helio Energy posted record profits and raised its dividend.",
            vec![("Helio Energy", "positive")],
        ),
    ];
    let lines: Vec<Value> = records
        .iter()
        .map(|(id, text, ts)| {
            let targets: Vec<Value> = ts.iter().map(|(m, p)| target(text, m, p)).collect();
            serde_json::json!({"id": id, "text": text, "targets": targets})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (gold, out) = (dir.path().join("gold.jsonl"), dir.path().join("pred.jsonl"));
    write_jsonl(&gold, &lines);
    let r = eval(&[
        "eval",
        "targeted",
        gold.to_str().unwrap(),
        "--predictions",
        out.to_str().unwrap(),
        "--json",
    ]);
    let preds = read_jsonl(&out);
    let expected: Vec<(&str, &str, &str)> = records
        .iter()
        .flat_map(|(id, _, ts)| ts.iter().map(move |(m, p)| (*id, *m, *p)))
        .collect();
    assert_eq!(preds.len(), expected.len());
    assert_eq!(r["examples"], expected.len());
    let classes = ["negative", "neutral", "positive"];
    let mut confusion = [[0u64; 3]; 3];
    for (p, (id, mention, polarity)) in preds.iter().zip(&expected) {
        assert_eq!(
            (p["id"].as_str(), p["gold"].as_str()),
            (Some(*id), Some(*polarity))
        );
        assert_eq!(p["mention"], *mention);
        let text = records.iter().find(|r| r.0 == *id).unwrap().1;
        let (from, to) = (p["from"].as_u64().unwrap(), p["to"].as_u64().unwrap());
        assert_eq!(char_slice(text, from, to), *mention);
        let probs: Vec<f64> = classes
            .iter()
            .map(|c| p["probabilities"][c].as_f64().unwrap())
            .collect();
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-3, "{p}");
        let best = (0..3)
            .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
            .unwrap();
        assert_eq!(p["predicted"], classes[best], "{p}");
        let g = classes.iter().position(|c| c == polarity).unwrap();
        confusion[g][best] += 1;
    }
    // The file is what the scores were computed from.
    let shown: Vec<Vec<u64>> = serde_json::from_value(r["confusion"].clone()).unwrap();
    assert_eq!(shown, confusion.map(|row| row.to_vec()).to_vec());
    let right = (0..3).map(|c| confusion[c][c]).sum::<u64>() as f64;
    close(
        &r,
        &serde_json::json!({"accuracy": right / expected.len() as f64}),
        "accuracy",
    );
}

#[test]
#[ignore = "needs ../shared/data: `make test` runs it when the folder is there"]
fn ner_f1_on_conll_test_matches_the_model_card() {
    let data = required_data();
    let r = eval(&[
        "eval",
        "ner",
        data.join("conll2003/test.txt").to_str().unwrap(),
        "--json",
    ]);
    close(&r, &shipped("ner", "conll2003_test"), "f1");
    assert!(r["f1"].as_f64().unwrap() > 0.85, "{r}");
    assert_eq!(r["sentences"], 3453);
}

#[test]
#[ignore = "needs ../shared/data: `make test` runs it when the folder is there"]
fn sentence_tone_matches_the_model_card() {
    let data = required_data();
    let r = eval(&[
        "eval",
        "sentiment",
        data.join("sst2/dev.tsv").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r["examples"], 872);
    close(&r, &shipped("sentiment", "sst2_dev"), "accuracy");
}

#[test]
#[ignore = "needs ../shared/data: `make test` runs it when the folder is there"]
fn the_ner_tone_model_matches_its_model_card() {
    // models/ner-tone: entities and, from the same pass, sentence tone.
    let data = required_data();
    let model = root().join("models/ner-tone");
    let model = model.to_str().unwrap();
    let conll = data.join("conll2003/test.txt");
    let r = eval(&[
        "eval",
        "ner",
        conll.to_str().unwrap(),
        "--ner-model",
        model,
        "--json",
    ]);
    close(&r, &shipped("ner-tone", "conll2003_test"), "f1");
    assert!(r["f1"].as_f64().unwrap() > 0.9, "{r}");
    let sst = data.join("sst2/dev.tsv");
    let r = eval(&[
        "eval",
        "sentiment",
        sst.to_str().unwrap(),
        "--ner-model",
        model,
        "--json",
    ]);
    assert_eq!(r["examples"], 872);
    assert!(
        r["model"]
            .as_str()
            .unwrap()
            .starts_with("newslens-ner-tone"),
        "{r}"
    );
    close(&r, &shipped("ner-tone", "sst2_dev"), "accuracy");
    assert!(r["accuracy"].as_f64().unwrap() > 0.85, "{r}");
}

#[test]
#[ignore = "needs ../shared/data: `make test` runs it when the folder is there"]
fn targeted_scores_match_the_model_card() {
    let data = required_data();
    let file = |f: &str| data.join(f).to_str().unwrap().to_string();
    let r = eval(&[
        "eval",
        "targeted",
        &file("newsmtsc/devtest_rw.jsonl"),
        "--json",
    ]);
    assert_eq!(r["examples"], 1146);
    close(&r, &shipped("targeted", "newsmtsc_devtest_rw"), "macro_f1");
    let r = eval(&[
        "eval",
        "targeted",
        &file("sentfin/all.jsonl"),
        "--split",
        "test",
        "--json",
    ]);
    close(&r, &shipped("targeted", "sentfin_test"), "macro_f1");
    assert!(r["macro_f1"].as_f64().unwrap() >= 0.85, "{r}");
    // Headlines whose targets differ in polarity: the model tells their entities apart.
    let mixed = &r["mixed"];
    close(
        mixed,
        &shipped("targeted", "sentfin_test")["mixed"],
        "accuracy",
    );
    assert!(mixed["examples"].as_u64().unwrap() > 200, "{mixed}");
    assert!(mixed["accuracy"].as_f64().unwrap() > 0.8, "{mixed}");
    let confusion: u64 = r["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(confusion, r["examples"].as_u64().unwrap());
    // The old NewsMTSC schema still works through `eval sentiment`.
    let old = eval(&[
        "eval",
        "sentiment",
        &file("newsmtsc/devtest_rw.jsonl"),
        "--json",
    ]);
    close(
        &old,
        &shipped("targeted", "newsmtsc_devtest_rw"),
        "macro_f1",
    );
}

#[test]
#[ignore = "needs ../shared/data: `make test` runs it when the folder is there"]
fn document_tone_matches_the_model_card() {
    let data = required_data();
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("articles.jsonl");
    let r = eval(&[
        "eval",
        "document",
        data.join("persent/dev.jsonl").to_str().unwrap(),
        "--split",
        "heldout",
        "--features",
        lines.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r["articles"], 241, "PerSenT held-out split");
    // The per-article lines are what the scores were computed from.
    let per_article = read_jsonl(&lines);
    assert_eq!(per_article.len(), 241);
    for (key, field) in [("predicted", "entity"), ("article_tone", "article_tone")] {
        let right = per_article.iter().filter(|a| a[key] == a["gold"]).count();
        let accuracy = serde_json::json!({"accuracy": right as f64 / 241.0});
        close(&r[field], &accuracy, "accuracy");
    }
    let found = per_article.iter().filter(|a| a["found"] == true).count();
    assert_eq!(r["target_found"], found);
    let card = shipped("targeted", "persent_heldout_document");
    close(&r["entity"], &card["entity"], "macro_f1");
    assert!(r["target_found"].as_u64().unwrap() > 200, "{r}");
    // Better than always answering the majority class.
    assert!(
        r["entity"]["macro_f1"].as_f64().unwrap() > r["majority"]["macro_f1"].as_f64().unwrap()
    );
}

#[test]
#[ignore = "needs ../shared/data: `make test` runs it when the folder is there"]
fn the_joint_models_entity_head_matches_its_model_card() {
    let data = required_data();
    let file = |f: &str| data.join(f).to_str().unwrap().to_string();
    let card = |key: &str| {
        let path = root().join("models/joint/metrics.json");
        let m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        m["entity_head"][key].clone()
    };
    let r = eval(&[
        "eval",
        "targeted",
        &file("newsmtsc/devtest_rw.jsonl"),
        "--entity-sentiment",
        "head",
        "--json",
    ]);
    assert_eq!(r["examples"], 1146);
    assert!(r["model"]
        .as_str()
        .unwrap()
        .starts_with("newslens-joint-minilm@"));
    close(&r, &card("newsmtsc_devtest_rw"), "macro_f1");
    let r = eval(&[
        "eval",
        "document",
        &file("persent/dev.jsonl"),
        "--split",
        "heldout",
        "--entity-sentiment",
        "head",
        "--json",
    ]);
    close(
        &r["entity"],
        &card("persent_heldout_document")["entity"],
        "macro_f1",
    );
}

#[test]
#[ignore = "needs ../shared/data and built/targeted-mpnet (bash training/build_targeted_mpnet.sh)"]
fn the_accurate_targeted_model_matches_its_measured_figures() {
    let data = required_data();
    let file = |f: &str| data.join(f).to_str().unwrap().to_string();
    let model = accurate_model();
    let with_model = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--targeted-model", model.to_str().unwrap(), "--json"]);
        eval(&all)
    };
    let card = |key: &str| measured(&model, key);
    let f1 = |v: &Value| v["macro_f1"].as_f64().unwrap();
    let r = with_model(&["eval", "targeted", &file("newsmtsc/devtest_rw.jsonl")]);
    assert!(r["model"]
        .as_str()
        .unwrap()
        .starts_with("newslens-targeted-mpnet@"));
    assert_eq!(r["examples"], 1146);
    close(&r, &card("newsmtsc_devtest_rw"), "macro_f1");
    // It is the accurate option: above the default model on political news.
    assert!(f1(&r) >= 0.82, "{r}");
    assert!(f1(&r) > f1(&shipped("targeted", "newsmtsc_devtest_rw")) + 0.02);
    let r = with_model(&[
        "eval",
        "targeted",
        &file("sentfin/all.jsonl"),
        "--split",
        "test",
    ]);
    close(&r, &card("sentfin_test"), "macro_f1");
    assert!(f1(&r) >= 0.85, "{r}");
    let r = with_model(&[
        "eval",
        "document",
        &file("persent/dev.jsonl"),
        "--split",
        "heldout",
    ]);
    close(
        &r["entity"],
        &card("persent_heldout_document")["entity"],
        "macro_f1",
    );
    assert!(f1(&r["entity"]) > f1(&r["majority"]), "{r}");
}

#[test]
#[ignore = "needs ../shared/data and built/sentiment-mpnet (bash training/build_sentiment_mpnet.sh)"]
fn sentence_mpnet_matches_its_measured_figures() {
    let data = required_data();
    let model = accurate_sentence_model();
    let r = eval(&[
        "eval",
        "sentiment",
        data.join("sst2/dev.tsv").to_str().unwrap(),
        "--sentiment-model",
        model.to_str().unwrap(),
        "--json",
    ]);
    assert!(r["model"]
        .as_str()
        .unwrap()
        .starts_with("newslens-sentiment-mpnet@"));
    assert_eq!(r["examples"], 872);
    close(&r, &measured(&model, "sst2_dev"), "accuracy");
    // It is the accurate option: above the shipped sentence model.
    let acc = |v: &Value| v["accuracy"].as_f64().unwrap();
    assert!(
        acc(&r) > acc(&shipped("sentiment", "sst2_dev")) + 0.02,
        "{r}"
    );
}
