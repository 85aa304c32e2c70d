//! Every input path: symlinks, FIFOs, byte-order marks, empty files; and what `--resume` trusts.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[test]
fn symlink_loops_fifos_and_dangling_links_neither_hang_nor_repeat() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let arts = dir.path().join("articles");
    std::fs::create_dir_all(arts.join("a/b")).unwrap();
    std::fs::write(arts.join("a/one.txt"), "Angela Merkel visited Paris.").unwrap();
    std::fs::write(arts.join("a/b/two.txt"), "Joe Biden spoke in Ohio.").unwrap();
    symlink(&arts, arts.join("a/b/loop")).unwrap(); // back to the top
    symlink(arts.join("a"), arts.join("a/b/up")).unwrap(); // a second loop
    symlink(arts.join("nowhere.txt"), arts.join("dangling.txt")).unwrap();
    let fifo = arts.join("x.txt");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = dir.path().join("out.jsonl");
    let mut child = newslens()
        .args(["annotate", arts.to_str().unwrap(), "-o"])
        .arg(&out)
        .arg("--quiet")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the run hangs on a symlink loop or a FIFO");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(status.code(), Some(3), "{err}");
    let ids: Vec<String> = read_jsonl(&out)
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a/b/two.txt", "a/one.txt"]);
    assert!(
        err.contains("x.txt") && err.contains("not a regular file"),
        "{err}"
    );
    assert!(err.contains("dangling.txt"), "{err}");
}

/// A folder reads its `.txt` files; any other file in it (a JSONL dropped there, notes) is named
/// on stderr as not read, never silently passed over. The manifest and hidden files are not named.
#[test]
fn files_a_folder_does_not_read_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let arts = dir.path().join("articles");
    std::fs::create_dir_all(arts.join("sub")).unwrap();
    std::fs::create_dir_all(arts.join(".git")).unwrap();
    std::fs::write(arts.join("one.txt"), "Angela Merkel visited Paris.").unwrap();
    std::fs::write(arts.join("sub/two.TXT"), "Joe Biden spoke in Ohio.").unwrap();
    let feed = json!({"id": "x", "text": "Tim Cook runs Apple."});
    std::fs::write(arts.join("feed.jsonl"), format!("{feed}\n")).unwrap();
    std::fs::write(arts.join("sub/notes.md"), "# notes").unwrap();
    std::fs::write(arts.join("manifest.jsonl"), "{\"file\": \"one.txt\"}\n").unwrap();
    std::fs::write(arts.join(".DS_Store"), "x").unwrap();
    std::fs::write(arts.join(".git/config"), "x").unwrap();
    let out = dir.path().join("out.jsonl");
    let o = annotate_to(&arts, &out, &[]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(read_jsonl(&out).len(), 2);
    let note = err
        .lines()
        .find(|l| l.contains("not read"))
        .unwrap_or_else(|| panic!("no note of the unread files: {err}"));
    assert!(note.contains("2 file(s)"), "{note}");
    assert!(note.contains("feed.jsonl, sub/notes.md"), "{note}");
    for quiet in ["manifest", ".DS_Store", ".git", "one.txt"] {
        assert!(!note.contains(quiet), "{quiet} named: {note}");
    }
    // Given as an input of its own, the JSONL file is read.
    let o = annotate_to(&arts.join("feed.jsonl"), &dir.path().join("f.jsonl"), &[]);
    assert!(
        o.status.success() && !stderr(&o).contains("not read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_jsonl_byte_order_mark_and_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("bom.jsonl");
    let body = format!(
        "\u{feff}{}\n{}\n",
        json!({"id": "1", "text": "Boris Johnson spoke in London."}),
        json!({"id": "2", "text": "Emmanuel Macron met officials."})
    );
    std::fs::write(&feed, body).unwrap();
    let out = dir.path().join("bom.out.jsonl");
    let o = annotate_to(&feed, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_jsonl(&out).len(), 2);

    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let o = annotate_to(&empty, &dir.path().join("empty.out.jsonl"), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("no articles"), "{}", stderr(&o));
}

#[test]
fn resume_checks_texts_keeps_every_line_and_reports_duplicates_again() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let records = [
        json!({"id": "1", "text": "Boris Johnson spoke in London."}),
        json!({"id": "2", "text": "Emmanuel Macron met officials in Brussels."}),
        json!({"id": "1", "text": "A second record with the same id."}),
        json!({"id": "3", "text": "Olaf Scholz flew to Washington."}),
    ];
    write_jsonl(&feed, &records);
    let out = dir.path().join("out.jsonl");
    let o = annotate_to(&feed, &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let first = std::fs::read_to_string(&out).unwrap();
    assert_eq!(first.lines().count(), 3);
    for a in read_jsonl(&out) {
        assert_eq!(a["text_hash"].as_str().unwrap().len(), 16, "{a}");
    }

    // A foreign line in the middle: kept, and the valid records after it too.
    let lines: Vec<&str> = first.lines().collect();
    let edited = format!("{}\nnot a record\n{}\n{}\n", lines[0], lines[1], lines[2]);
    std::fs::write(&out, &edited).unwrap();
    let o = annotate_to(&feed, &out, &["--resume"]);
    // The duplicate id is reported again, not hidden by the resume.
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("duplicate id"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not annotation records"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), edited);

    // The same id with another text: refused, with a message, and nothing rewritten.
    let changed = [
        json!({"id": "1", "text": "Boris Johnson spoke in London."}),
        json!({"id": "2", "text": "A different text under an old id."}),
        json!({"id": "4", "text": "Narendra Modi visited Mumbai."}),
    ];
    write_jsonl(&feed, &changed);
    let o = annotate_to(&feed, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("different text"), "{}", stderr(&o));
    let after = std::fs::read_to_string(&out).unwrap();
    assert!(after.starts_with(&edited));
    assert_eq!(after.lines().count(), 5); // + id 4
}

/// A manifest line that names a file named before, or a file that is not an article of the
/// folder, is rejected by file and line (never passed over); the first line for a file stands.
#[test]
fn manifest_lines_that_match_no_article_or_repeat_one_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let arts = dir.path().join("articles");
    std::fs::create_dir_all(&arts).unwrap();
    std::fs::write(arts.join("a.txt"), "Joe Biden met Xi Jinping in Beijing.").unwrap();
    std::fs::write(arts.join("b.txt"), "Angela Merkel visited Paris.").unwrap();
    let manifest = [
        r#"{"file": "a.txt", "source": "AP"}"#,
        r#"{"file": "misisng.txt", "source": "X"}"#,
        r#"{"file": "b.txt", "source": "Reuters"}"#,
        r#"{"file": "a.txt", "source": "again"}"#,
    ];
    std::fs::write(arts.join("manifest.jsonl"), manifest.join("\n")).unwrap();
    let out = dir.path().join("out.jsonl");
    let o = annotate_to(&arts, &out, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    let sources: Vec<(String, String)> = read_jsonl(&out)
        .iter()
        .map(|r| (r["id"].to_string(), r["source"].to_string()))
        .collect();
    assert_eq!(
        sources,
        [
            ("\"a.txt\"".into(), "\"AP\"".into()),
            ("\"b.txt\"".into(), "\"Reuters\"".into())
        ]
    );
    let rejects = read_jsonl(&dir.path().join("out.rejects.jsonl"));
    let lines: Vec<u64> = rejects
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 4], "{rejects:?}");
    assert!(rejects[0]["error"]
        .as_str()
        .unwrap()
        .contains("misisng.txt"));
    assert!(rejects[1]["error"]
        .as_str()
        .unwrap()
        .contains("also on line 1"));
}

/// `--resume` into an output made with other models or settings keeps its records and says so
/// (the file would otherwise mix two sets of models in silence).
#[test]
fn resume_into_output_of_other_settings_warns() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let arts = generated_articles(3);
    write_jsonl(&feed, &arts);
    let first = dir.path().join("first.jsonl");
    write_jsonl(&first, &arts[..2]);
    let out = dir.path().join("out.jsonl");
    let o = annotate_to(&first, &out, &["--entity-sentiment", "sentence"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = annotate_to(&feed, &out, &["--resume"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(
            "warning: 2 record(s) already in the output were made with other models or settings"
        ),
        "{err}"
    );
    assert_eq!(read_jsonl(&out).len(), 3);
    // Resumed with the first settings: the one record of the second run is the other one now.
    let o = annotate_to(&feed, &out, &["--resume", "--entity-sentiment", "sentence"]);
    let err = stderr(&o);
    assert!(err.contains("warning: 1 record(s)"), "{err}");
    // A file of one set of models, resumed with them: no warning.
    let again = dir.path().join("again.jsonl");
    annotate_to(&first, &again, &[]);
    let o = annotate_to(&feed, &again, &["--resume"]);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

/// gzip-compressed JSONL (a `.jsonl.gz` feed, or gzip on stdin) is read as the plain file; a
/// file cut short keeps its whole lines, and names where it breaks off, without hanging.
#[test]
fn gzip_jsonl_reads_as_the_plain_file() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("feed.jsonl");
    write_jsonl(&plain, &generated_articles(12));
    let gz = dir.path().join("feed.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    let packed = enc.finish().unwrap();
    std::fs::write(&gz, &packed).unwrap();
    let want = annotate_ok(&plain, &dir.path().join("plain.out.jsonl"), &[]);
    let got = annotate_ok(&gz, &dir.path().join("gz.out.jsonl"), &[]);
    assert_eq!(got, want);
    // On stdin.
    let mut child = newslens()
        .args(["annotate", "-", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&packed).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, want);
    // Cut short: the lines before the cut are annotated, the break is named, exit code 3.
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &packed[..packed.len() / 2]).unwrap();
    let out = dir.path().join("cut.out.jsonl");
    let o = annotate_to(&cut, &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the rest of the file is not read"),
        "{}",
        stderr(&o)
    );
    let kept = read_jsonl(&out);
    assert!(!kept.is_empty() && kept.len() < want.len());
    assert_eq!(kept[..], want[..kept.len()]);
}
