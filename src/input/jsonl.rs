//! JSONL records: `{"id", "text"}` with optional `source`, `title`, `date`, `url` and others.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::{check_text, Article, Articles, InputError, Meta};

/// Reads JSONL from `reader`; `name` is used in messages.
pub fn read(reader: Box<dyn BufRead + Send>, name: String) -> Articles {
    let mut lines = reader.split(b'\n').enumerate();
    let mut broken = false;
    Box::new(std::iter::from_fn(move || loop {
        if broken {
            return None;
        }
        let (n, line) = lines.next()?;
        let line_no = n + 1;
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                // A stream that fails (a corrupt or cut gzip file, a disk error) fails again:
                // what came before stands, the rest is not read.
                broken = true;
                return Some(Err(InputError::new(
                    &name,
                    Some(line_no),
                    format!("read error: {e}; the rest of the file is not read"),
                )));
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Some(Err(InputError::new(
                &name,
                Some(line_no),
                "not valid UTF-8: re-encode the file as UTF-8",
            )));
        };
        // A UTF-8 byte-order mark before the first record is not part of it.
        let text = if n == 0 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        if text.trim().is_empty() {
            continue;
        }
        return Some(parse(text, &name, line_no).and_then(check_text));
    }))
}

fn parse(line: &str, name: &str, line_no: usize) -> Result<Article, InputError> {
    let err = |msg: String| InputError::new(name, Some(line_no), msg);
    let value: Value = serde_json::from_str(line)
        .map_err(|e| err(format!("not JSON ({e}); each line must be one JSON object")))?;
    let Value::Object(mut obj) = value else {
        return Err(err(
            "not a JSON object; each line must be {\"id\": ..., \"text\": ...}".into(),
        ));
    };
    // Errors past this point name the record's id when it has a usable one.
    let known_id = match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let err = |msg: String| InputError {
        id: known_id.clone(),
        ..err(msg)
    };
    let text = match obj.remove("text") {
        Some(Value::String(t)) => t,
        Some(_) => return Err(err("`text` is not a string".into())),
        None => {
            return Err(err(
                "no `text` field; each line must be {\"id\": ..., \"text\": ...}".into(),
            ))
        }
    };
    let id = match obj.remove("id") {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(err("`id` must be a non-empty string or a number".into())),
        None => return Err(err("no `id` field; give every record a unique id".into())),
    };
    Ok(Article {
        id,
        text,
        meta: meta_from(obj),
        origin: format!("{name}:{line_no}"),
    })
}

/// Splits a record's remaining fields into the known metadata and the rest.
pub fn meta_from(mut obj: Map<String, Value>) -> Meta {
    let mut take = |k: &str| match obj.remove(k) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let (source, title, date, url) = (take("source"), take("title"), take("date"), take("url"));
    Meta {
        source,
        title,
        date,
        url,
        extra: obj.into_iter().collect(),
    }
}
