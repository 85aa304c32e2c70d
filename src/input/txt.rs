//! A folder of `.txt` files, read recursively in path order, with an optional `manifest.jsonl`
//! (`{"file": "a.txt", "source": ..., "title": ..., "date": ..., "url": ...}` a line).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{check_text, jsonl::meta_from, Article, Articles, InputError, Meta};

/// File name of the optional metadata manifest in an input folder.
pub const MANIFEST: &str = "manifest.jsonl";

/// Reads every `.txt` file under `dir`.
pub fn read_dir(dir: &Path) -> Result<Articles, InputError> {
    let mut files = Vec::new();
    collect(dir, &mut files).map_err(|e| {
        InputError::new(dir.display().to_string(), None, format!("cannot list: {e}"))
    })?;
    files.sort();
    if files.is_empty() {
        return Err(InputError::new(
            dir.display().to_string(),
            None,
            "no .txt articles in this folder (searched recursively)",
        ));
    }
    let (mut manifest, errors) = read_manifest(dir);
    let dir = dir.to_path_buf();
    let articles = files.into_iter().map(move |path| {
        let id = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let meta = manifest.remove(&id).unwrap_or_default();
        read_file(&path, id, meta)
    });
    Ok(Box::new(errors.into_iter().map(Err).chain(articles)))
}

pub(crate) fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> (HashMap<String, Meta>, Vec<InputError>) {
    let path = dir.join(MANIFEST);
    let (mut map, mut errors) = (HashMap::new(), Vec::new());
    let Ok(text) = std::fs::read_to_string(&path) else {
        return (map, errors);
    };
    let name = path.display().to_string();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(mut obj)) => match obj.remove("file") {
                Some(Value::String(file)) => {
                    map.insert(file, meta_from(obj));
                }
                _ => errors.push(InputError::new(
                    &name,
                    Some(n + 1),
                    "manifest line has no \"file\" field",
                )),
            },
            _ => errors.push(InputError::new(
                &name,
                Some(n + 1),
                "manifest line is not a JSON object",
            )),
        }
    }
    (map, errors)
}

/// Reads one `.txt` article.
pub fn read_file(path: &Path, id: String, meta: Meta) -> Result<Article, InputError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| InputError {
        id: Some(id.clone()),
        ..InputError::new(&name, None, format!("cannot read: {e}"))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| InputError {
        id: Some(id.clone()),
        ..InputError::new(
            &name,
            None,
            format!(
                "not valid UTF-8 (first bad byte at offset {}): re-encode the file as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    check_text(Article {
        id,
        text,
        meta,
        origin: name,
    })
}
