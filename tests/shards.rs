//! Shards: N runs with `--shard I/N` give exactly the records of one run, each once; an
//! interrupted shard resumes; a finished one is left alone.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::{json, Value};

fn records() -> Vec<Value> {
    let people = [
        "Emily Feng",
        "Xi Jinping",
        "Angela Merkel",
        "Joe Biden",
        "Olaf Scholz",
    ];
    let places = ["Chengdu", "Berlin", "Mumbai", "New York"];
    (0..24)
        .map(|i| {
            let text = format!(
                "{} met officials in {} on day {i}. {} said the talks went well.",
                people[i % people.len()],
                places[i % places.len()],
                people[(i + 2) % people.len()]
            );
            json!({"id": format!("art-{i:02}"), "text": text, "source": "Wire"})
        })
        .collect()
}

fn by_id(path: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        assert!(
            m.insert(id.clone(), line.to_string()).is_none(),
            "{id} twice"
        );
    }
    m
}

fn shard(input: &Path, dir: &Path, spec: &str) -> std::process::Output {
    run(&[
        "annotate",
        input.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
        "--quiet",
        "--shard",
        spec,
    ])
}

#[test]
fn shards_union_equals_one_run_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_jsonl(&input, &records());
    let single = dir.path().join("single.jsonl");
    annotate_ok(&input, &single, &[]);
    let reference = by_id(&single);

    let out = dir.path().join("parts");
    let mut union = BTreeMap::new();
    for i in 0..3 {
        let o = shard(&input, &out, &format!("{i}/3"));
        assert!(o.status.success(), "{}", stderr(&o));
        let part = out.join(format!("part-{i:05}-of-00003.jsonl"));
        assert!(out.join(format!("_SUCCESS-{i:05}-of-00003")).exists());
        let got = by_id(&part);
        assert!(
            !got.is_empty() && got.len() < reference.len(),
            "shard {i}: {}",
            got.len()
        );
        for (id, line) in got {
            assert!(
                union.insert(id.clone(), line).is_none(),
                "{id} in two shards"
            );
        }
    }
    assert_eq!(union, reference, "the shards' union differs from one run");

    // The report reads the parts (a folder, or the files), as one corpus.
    let parts: Vec<String> = (0..3)
        .map(|i| {
            out.join(format!("part-{i:05}-of-00003.jsonl"))
                .display()
                .to_string()
        })
        .collect();
    for inputs in [vec![out.display().to_string()], parts] {
        let rep = dir.path().join("rep");
        let mut args = vec!["report".to_string()];
        args.extend(inputs);
        args.extend(["-o", rep.to_str().unwrap(), "--format", "json"].map(String::from));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let r: Value =
            serde_json::from_str(&std::fs::read_to_string(rep.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(r["articles"], 24);
    }

    // A finished shard is left alone.
    let part1 = out.join("part-00001-of-00003.jsonl");
    let before = std::fs::read(&part1).unwrap();
    let o = shard(&input, &out, "1/3");
    assert!(
        o.status.success() && stderr(&o).contains("already complete"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&part1).unwrap(), before);

    // An interrupted shard (a partial file with a torn last line, no marker) resumes to the same part.
    let text = String::from_utf8(before.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let torn = format!("{}\n{}", lines[0], &lines[1][..lines[1].len() / 2]);
    std::fs::remove_file(&part1).unwrap();
    std::fs::remove_file(out.join("_SUCCESS-00001-of-00003")).unwrap();
    std::fs::write(out.join("part-00001-of-00003.jsonl.inprogress"), torn).unwrap();
    let o = shard(&input, &out, "1/3");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(by_id(&part1), by_id_bytes(&before));
    assert!(out.join("_SUCCESS-00001-of-00003").exists());

    // The shard can come from a Slurm array's environment.
    let env_out = dir.path().join("slurm");
    let o = newslens()
        .args([
            "annotate",
            input.to_str().unwrap(),
            "-o",
            env_out.to_str().unwrap(),
            "--quiet",
        ])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(env_out.join("part-00002-of-00003.jsonl")).unwrap(),
        std::fs::read(out.join("part-00002-of-00003.jsonl")).unwrap()
    );
}

fn by_id_bytes(bytes: &[u8]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.jsonl");
    std::fs::write(&p, bytes).unwrap();
    by_id(&p)
}
