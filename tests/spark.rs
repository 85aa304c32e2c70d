//! deploy/spark/annotate.py on local PySpark: 4 partitions piped through `newslens annotate -`
//! give the same records as one plain run.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

#[test]
#[ignore = "needs Java and pyspark in .spark-venv: `make test` installs them and runs this test"]
fn spark_pipe_stage_equals_a_plain_run() {
    let python = root().join(".spark-venv/bin/python");
    assert!(
        python.exists(),
        "{} is absent: run `make spark`",
        python.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let mut records = generated_articles(240);
    records.insert(100, serde_json::json!({"id": "no-text"}));
    write_jsonl(&input, &records);
    let plain = dir.path().join("plain.jsonl");
    let o = annotate_to(&input, &plain, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));

    let out = dir.path().join("spark-out");
    let o = std::process::Command::new(&python)
        .arg(root().join("deploy/spark/annotate.py"))
        .args([
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .args(["--newslens-home", root().to_str().unwrap()])
        .args(["--partitions", "4", "--master", "local[2]"])
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut parts: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("part-")
        })
        .collect();
    parts.sort();
    assert!(parts.len() >= 4, "{} part files", parts.len());
    let mut spark: BTreeMap<String, String> = BTreeMap::new();
    let mut errors = 0;
    for p in &parts {
        for line in std::fs::read_to_string(p).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v.get("error").is_some() {
                errors += 1;
                continue;
            }
            let id = v["id"].as_str().unwrap().to_string();
            assert!(spark.insert(id, line.to_string()).is_none(), "an id twice");
        }
    }
    assert_eq!(errors, 1, "the record without text is an inline error line");
    let plain: BTreeMap<String, String> = std::fs::read_to_string(&plain)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), l.to_string())
        })
        .collect();
    assert_eq!(spark.len(), 240);
    assert!(spark == plain, "Spark's records differ from a plain run");
}
