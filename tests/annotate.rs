//! End to end through the binary, on the shipped models.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::*;
use serde_json::{json, Value};

#[test]
fn bundled_corpus_finds_the_people_organisations_and_places() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.jsonl");
    let lines = annotate_ok(Path::new("corpus/"), &out, &[]);
    assert_eq!(lines.len(), 5);
    let mut all = Vec::new();
    for a in &lines {
        let text =
            std::fs::read_to_string(root().join("corpus").join(a["id"].as_str().unwrap())).unwrap();
        assert_offsets_exact(a, &text);
        assert_eq!(a["meta"]["offsets"], "char");
        // No mention inside a chrome line.
        for c in a["chrome"].as_array().unwrap() {
            for e in a["entities"].as_array().unwrap() {
                for m in e["mentions"].as_array().unwrap() {
                    assert!(
                        m["end"].as_u64() <= c["start"].as_u64()
                            || m["start"].as_u64() >= c["end"].as_u64(),
                        "mention {m} in chrome {c}"
                    );
                }
            }
        }
        all.extend(entities(a));
    }
    let npr = &lines[0];
    let chrome: Vec<&str> = npr["chrome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(
        chrome.contains(&"Play Live Radio") && chrome.contains(&"0:00 0:00"),
        "{chrome:?}"
    );
    assert_eq!(npr["source"], "NPR (via Texas Public Radio)");
    let want = [
        ("Emily Feng", "PER"),
        ("Ying Cao", "PER"),
        ("Xi Jinping", "PER"),
        ("Radio Free Asia", "ORG"),
        ("European Central Bank", "ORG"),
        ("Safeguard Defenders", "ORG"),
        ("Chengdu", "LOC"),
        ("Darien Gap", "LOC"),
        // NER 1.4 reads "Lianjiang County" as the place "Lianjiang" (1.3.1 took in "County").
        ("Lianjiang", "LOC"),
        ("Li Beixing", "PER"),
    ];
    let missing: Vec<_> = want
        .iter()
        .filter(|(n, l)| !all.iter().any(|(t, tl)| t == n && tl == l))
        .collect();
    assert!(missing.is_empty(), "missing {missing:?}; found {all:?}");
    // "Emily Feng", "EMILY FENG" and "FENG" (the transcript's speaker label, read through her
    // full name's last word) are one entity.
    let feng = npr["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"] == "Emily Feng")
        .unwrap();
    let forms: std::collections::BTreeSet<&str> = feng["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(
        feng["count"].as_u64().unwrap() >= 8 && forms.contains("FENG") && forms.len() >= 3,
        "{feng}"
    );
}

#[test]
fn offsets_count_chars_in_multibyte_text() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let text = "🙂🙂 Über alles: Émile Zola met Angela Merkel in 北京 and then flew to Paris. 日本語のテキスト. Later, Angela Merkel spoke to the United Nations in New York.";
    write_jsonl(
        &feed,
        &[json!({"id": "u1", "text": text, "source": "Test"})],
    );
    let out = dir.path().join("o.jsonl");
    let a = &annotate_ok(&feed, &out, &[])[0];
    assert_offsets_exact(a, text);
    let names: Vec<String> = entities(a).into_iter().map(|e| e.0).collect();
    assert!(
        names.contains(&"Angela Merkel".to_string()) && names.contains(&"Paris".to_string()),
        "{names:?}"
    );
    let merkel = a["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"] == "Angela Merkel")
        .unwrap();
    assert_eq!(merkel["count"], 2);
    for s in a["sentences"].as_array().unwrap() {
        assert!(s["end"].as_u64().unwrap() as usize <= text.chars().count());
    }
}

/// Far more than ten model windows (and more than 64 in one model call, where rust-bert's
/// pipeline decodes windows against the wrong text): entities near the end are found, at the
/// right offsets.
#[test]
fn long_article_is_annotated_to_its_end() {
    let filler = "The committee met on Tuesday to discuss the budget for the coming year, and the members agreed to meet again next week. ";
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(filler);
        if i == 150 {
            text.push_str("In the middle, Angela Merkel spoke in Berlin. ");
        }
    }
    text.push_str("At the very end, Emmanuel Macron arrived in Marseille with officials from the European Union.");
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("long.jsonl");
    write_jsonl(&feed, &[json!({"id": "long", "text": text})]);
    let out = dir.path().join("o.jsonl");
    let a = &annotate_ok(&feed, &out, &["--batch-size", "128"])[0];
    assert_offsets_exact(a, &text);
    let names: Vec<String> = entities(a).into_iter().map(|e| e.0).collect();
    for want in [
        "Angela Merkel",
        "Berlin",
        "Emmanuel Macron",
        "Marseille",
        "European Union",
    ] {
        assert!(names.contains(&want.to_string()), "{want} not in {names:?}");
    }
    let macron = a["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"] == "Emmanuel Macron")
        .unwrap();
    let start = macron["mentions"][0]["start"].as_u64().unwrap() as usize;
    assert_eq!(start, text.find("Emmanuel Macron").unwrap());
    assert!(start > 35_000);
}

#[test]
fn same_results_alone_and_among_longer_texts() {
    // rust-bert batches without an attention mask, so a text's score moves with its batch-mates.
    let dir = tempfile::tempdir().unwrap();
    let short = "The minister praised the excellent new hospital in Shanghai.";
    let long = "Critics said the policy was a disaster that ruined thousands of lives, destroyed businesses across the region and left families without any hope for the future. ".repeat(3);
    let alone = dir.path().join("alone.jsonl");
    write_jsonl(&alone, &[json!({"id": "s", "text": short})]);
    let mixed = dir.path().join("mixed.jsonl");
    write_jsonl(
        &mixed,
        &[
            json!({"id": "l1", "text": long}),
            json!({"id": "s", "text": short}),
            json!({"id": "l2", "text": long.clone() + &long}),
        ],
    );
    let get = |input: &std::path::Path| -> Value {
        let out = input.with_extension("out");
        annotate_ok(input, &out, &["--threads", "1"])
            .into_iter()
            .find(|a| a["id"] == "s")
            .unwrap()
    };
    let (a, b) = (get(&alone), get(&mixed));
    // The attention mask makes padding irrelevant; what remains is int8 dynamic quantisation,
    // whose activation scale is taken over the whole batch: well under 0.01.
    let pa = &a["sentences"][0]["sentiment"]["probabilities"];
    let pb = &b["sentences"][0]["sentiment"]["probabilities"];
    for k in ["negative", "neutral", "positive"] {
        let d = (pa[k].as_f64().unwrap() - pb[k].as_f64().unwrap()).abs();
        assert!(d < 0.01, "{k}: {pa} vs {pb}");
    }
    assert_eq!(
        a["sentences"][0]["sentiment"]["label"],
        b["sentences"][0]["sentiment"]["label"]
    );
    assert_eq!(entities(&a), entities(&b));
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}.jsonl"));
        let o = run(&[
            "annotate",
            "corpus/",
            "-o",
            out.to_str().unwrap(),
            "--quiet",
            "--threads",
            threads,
            "--articles-per-batch",
            "2",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(std::fs::read(&out).unwrap());
    }
    assert!(!outs[0].is_empty());
    assert!(
        outs[0] == outs[1],
        "outputs differ between --threads 1 and 2"
    );
}

/// `newslens annotate - --quiet EXTRA...` with `feed` on stdin: the output and its lines.
fn filter(feed: &str, extra: &[&str]) -> (std::process::Output, Vec<Value>) {
    let mut child = newslens()
        .args(["annotate", "-", "--quiet"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(feed.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let lines = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (o, lines)
}

#[test]
fn stdin_to_stdout_filter() {
    let feed = "{\"id\": \"a\", \"text\": \"Xi Jinping visited Moscow.\"}\n{\"id\": \"b\", \"text\": \"Apple opened a store in Paris.\", \"source\": \"Wire\", \"category\": \"tech\"}\n";
    let (o, lines) = filter(feed, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["source"], "Wire");
    assert_eq!(lines[1]["extra"]["category"], "tech");
    assert!(
        entities(&lines[0])
            .iter()
            .any(|(t, l)| t == "Xi Jinping" && l == "PER"),
        "{:?}",
        entities(&lines[0])
    );
}

#[test]
fn filter_with_inline_errors_gives_one_line_per_input_line_in_order() {
    let feed = [
        r#"{"id": "a", "text": "Xi Jinping visited Moscow."}"#,
        r#"{not json"#,
        r#"{"id": "b", "text": "Apple opened a store in Paris."}"#,
        r#"{"id": "a", "text": "A duplicate id."}"#,
        r#"{"id": "c", "title": "no text"}"#,
        r#"{"id": "d", "text": "Angela Merkel spoke in Berlin."}"#,
    ]
    .join("\n");
    let (o, lines) = filter(&feed, &["--errors", "inline", "--articles-per-batch", "2"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(lines.len(), 6, "{lines:?}");
    let ids: Vec<Value> = lines.iter().map(|l| l["id"].clone()).collect();
    assert_eq!(
        ids,
        [
            json!("a"),
            Value::Null,
            json!("b"),
            json!("a"),
            json!("c"),
            json!("d")
        ]
    );
    let errors: Vec<bool> = lines.iter().map(|l| l.get("error").is_some()).collect();
    assert_eq!(errors, [false, true, false, true, true, false]);
    assert_eq!(lines[1]["line"], 2);
}

/// The mentions of every record: (id, start, end, label).
fn mention_set(records: &[Value]) -> std::collections::BTreeSet<(String, u64, u64, String)> {
    let mut out = std::collections::BTreeSet::new();
    for r in records {
        for e in r["entities"].as_array().unwrap() {
            for m in e["mentions"].as_array().unwrap() {
                out.insert((
                    r["id"].as_str().unwrap().to_string(),
                    m["start"].as_u64().unwrap(),
                    m["end"].as_u64().unwrap(),
                    e["label"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

fn model_tokens(o: &std::process::Output) -> u64 {
    let err = stderr(o);
    let at = err
        .find(" model tokens")
        .expect("a summary line with model tokens");
    err[..at]
        .rsplit('(')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn default_sentence_windows_find_the_same_names_as_fixed_windows_with_fewer_model_tokens() {
    // The bundled articles, generated ones, and one long line without a sentence end, which
    // no window can hold whole (it is cut, with context on each side).
    let mut records = generated_articles(24);
    records.extend(corpus_articles());
    let run_on =
        "the budget was discussed by the committee and the members of the board and ".repeat(40);
    let long = format!(
        "{run_on}Angela Merkel met Emmanuel Macron in Marseille {run_on}with the European Union"
    );
    records.push(json!({"id": "no-sentence-end", "text": long}));
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("in.jsonl");
    write_jsonl(&feed, &records);
    let (fixed_out, sentences_out) = (dir.path().join("f.jsonl"), dir.path().join("s.jsonl"));
    // Not --quiet: the summary line on stderr counts the model tokens.
    let annotate = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "annotate",
            feed.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(&["--entity-sentiment", "sentence"]);
        args.extend_from_slice(extra);
        run(&args)
    };
    let fixed_run = annotate(&fixed_out, &["--fixed-windows"]);
    // The shipped NER model's config asks for sentence windows: the default run reads them.
    let sentences_run = annotate(&sentences_out, &[]);
    assert!(fixed_run.status.success() && sentences_run.status.success());
    let (fixed, sentences) = (read_jsonl(&fixed_out), read_jsonl(&sentences_out));
    assert_eq!(
        sentences,
        read_jsonl(&{
            let forced = dir.path().join("forced.jsonl");
            assert!(annotate(&forced, &["--sentence-windows"]).status.success());
            forced
        }),
        "--sentence-windows is the default with the shipped model"
    );
    for ((r, f), rec) in sentences.iter().zip(&fixed).zip(&records) {
        assert_eq!(r["id"], rec["id"]);
        assert_offsets_exact(r, rec["text"].as_str().unwrap());
        assert_offsets_exact(f, rec["text"].as_str().unwrap());
        let ner = |r: &Value| r["meta"]["models"]["ner"].as_str().unwrap().to_string();
        assert!(ner(r).ends_with("+sentence-windows"), "{}", ner(r));
        assert!(!ner(f).contains('+'), "{}", ner(f));
    }
    let (a, b) = (mention_set(&fixed), mention_set(&sentences));
    let same = a.intersection(&b).count() as f64;
    assert!(a.len() > 300, "{} mentions", a.len());
    assert!(
        same / a.len().max(b.len()) as f64 >= 0.95,
        "{same} of {} / {}",
        a.len(),
        b.len()
    );
    let names: Vec<String> = entities(sentences.last().unwrap())
        .into_iter()
        .map(|e| e.0)
        .collect();
    for want in [
        "Angela Merkel",
        "Emmanuel Macron",
        "Marseille",
        "European Union",
    ] {
        assert!(names.contains(&want.to_string()), "{want} not in {names:?}");
    }
    let (t_fixed, t_sentences) = (model_tokens(&fixed_run), model_tokens(&sentences_run));
    assert!(
        t_sentences * 10 < t_fixed * 9,
        "{t_sentences} vs {t_fixed} model tokens"
    );
}

#[test]
fn separator_lines_are_chrome_and_leave_the_tone_alone() {
    // A line without a letter or a digit has no words to read: listed under chrome, no sentence.
    let dir = tempfile::tempdir().unwrap();
    let plain = "The minister praised the rescue workers.\n\nThe floods destroyed 300 homes.";
    let separated =
        "The minister praised the rescue workers.\n\n* * *\n\n—\n\nThe floods destroyed 300 homes.";
    let input = dir.path().join("in.jsonl");
    write_jsonl(
        &input,
        &[
            json!({"id": "plain", "text": plain}),
            json!({"id": "separated", "text": separated}),
        ],
    );
    let got = annotate_ok(&input, &dir.path().join("out.jsonl"), &[]);
    assert_offsets_exact(&got[1], separated);
    let texts = |a: &Value, field: &str| -> Vec<String> {
        a[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(texts(&got[1], "chrome"), ["* * *", "—"]);
    for c in got[1]["chrome"].as_array().unwrap() {
        let at = char_slice(
            separated,
            c["start"].as_u64().unwrap(),
            c["end"].as_u64().unwrap(),
        );
        assert_eq!(at, c["text"].as_str().unwrap(), "{c}");
    }
    assert_eq!(texts(&got[1], "sentences"), texts(&got[0], "sentences"));
    assert_eq!(got[1]["sentiment"], got[0]["sentiment"]);
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    // `newslens annotate feed.jsonl | head`: the reader goes away before the first line.
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    write_jsonl(&feed, &generated_articles(20));
    let o = run_into_closed_pipe(&["annotate", feed.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "no error for a closed pipe");
}
