//! `newslens eval` on the shared gold data reproduces the metrics shipped with the models.

mod common;

use common::*;
use serde_json::Value;

fn eval(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("--json prints one JSON object")
}

fn shipped(model: &str, key: &str) -> Value {
    let path = root().join("models").join(model).join("metrics.json");
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m[key].clone()
}

fn close(a: &Value, b: &Value, field: &str) {
    let (x, y) = (a[field].as_f64().unwrap(), b[field].as_f64().unwrap());
    assert!((x - y).abs() < 1e-3, "{field}: measured {x}, shipped {y}");
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
fn sentiment_scores_match_the_model_card() {
    let data = required_data();
    let r = eval(&[
        "eval",
        "sentiment",
        data.join("sst2/dev.tsv").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r["examples"], 872);
    close(&r, &shipped("sentiment", "sst2_dev"), "accuracy");
    let r = eval(&[
        "eval",
        "sentiment",
        data.join("newsmtsc/devtest_rw.jsonl").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r["examples"], 1146);
    close(&r, &shipped("targeted", "newsmtsc_devtest_rw"), "macro_f1");
}
