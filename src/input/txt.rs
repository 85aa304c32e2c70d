//! A folder of `.txt` files, read recursively in path order, with an optional `manifest.jsonl`
//! (`{"file": "a.txt", "source": ..., "title": ..., "date": ..., "url": ...}` a line).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{check_text, jsonl::meta_from, Article, Articles, InputError, Meta};

/// File name of the optional metadata manifest in an input folder.
pub const MANIFEST: &str = "manifest.jsonl";

/// Reads every `.txt` file under `dir`.
///
/// The walk never follows a symlinked folder (no loops, nothing outside the tree); a symlinked
/// file is read. A `.txt` that is not a regular file (a FIFO, a device) and a folder that cannot
/// be listed are rejected with a message naming them; the rest of the folder is read.
pub fn read_dir(dir: &Path) -> Result<Articles, InputError> {
    let Walk {
        files, mut errors, ..
    } = walk(dir);
    if files.is_empty() {
        let why = errors
            .first()
            .map_or(String::new(), |e| format!(" ({}: {})", e.file, e.error));
        return Err(InputError::new(
            dir.display().to_string(),
            None,
            format!("no .txt articles in this folder (searched recursively){why}"),
        ));
    }
    let (mut manifest, mut manifest_errors) = read_manifest(dir);
    // Metadata for a file that is not an article here (a typo, a file not there yet).
    let ids: std::collections::HashSet<String> = files.iter().map(|f| relative(dir, f)).collect();
    let mut strays: Vec<(usize, &String)> = manifest
        .iter()
        .filter(|(file, _)| !ids.contains(*file))
        .map(|(file, (line, _))| (*line, file))
        .collect();
    strays.sort();
    let name = dir.join(MANIFEST).display().to_string();
    manifest_errors.extend(strays.into_iter().map(|(line, file)| {
        InputError::new(
            &name,
            Some(line),
            format!("{file:?} is not a .txt article in this folder: its metadata is not used"),
        )
    }));
    manifest_errors.sort_by_key(|e| e.line);
    errors.extend(manifest_errors);
    let dir = dir.to_path_buf();
    let articles = files.into_iter().map(move |path| {
        let id = relative(&dir, &path);
        let meta = manifest.remove(&id).map(|(_, m)| m).unwrap_or_default();
        read_file(&path, id, meta)
    });
    Ok(Box::new(errors.into_iter().map(Err).chain(articles)))
}

/// What a walk of an input folder found.
pub(crate) struct Walk {
    /// The `.txt` files, in path order.
    pub files: Vec<PathBuf>,
    /// What could not be walked or read.
    pub errors: Vec<InputError>,
    /// The files it does not read (not `.txt`, not the manifest, not hidden: no part of the path
    /// starts with a dot), relative to the folder, in path order.
    pub unread: Vec<String>,
}

/// Walks `dir`: its `.txt` files, what could not be walked or read, and the files left unread.
pub(crate) fn walk(dir: &Path) -> Walk {
    let (mut files, mut errors, mut unread) = (Vec::new(), Vec::new(), Vec::new());
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(dir).display().to_string();
                let why = e.io_error().map_or(e.to_string(), |io| io.to_string());
                errors.push(InputError::new(path, None, format!("cannot read: {why}")));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() {
            continue;
        }
        if !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
        {
            let id = relative(dir, path);
            let hidden = id.split('/').any(|part| part.starts_with('.'));
            // A symlink counts by what it points to, as below.
            if !hidden && id != MANIFEST && !path.is_dir() {
                unread.push(id);
            }
            continue;
        }
        // A symlink counts by what it points to; anything but a regular file is rejected.
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => files.push(path.to_path_buf()),
            Ok(m) if m.is_dir() => {}
            Ok(_) => errors.push(InputError::new(
                path.display().to_string(),
                None,
                "not a regular file (a FIFO, socket or device?): skipped",
            )),
            Err(e) => errors.push(InputError::new(
                path.display().to_string(),
                None,
                format!("cannot read: {e}"),
            )),
        }
    }
    Walk {
        files,
        errors,
        unread,
    }
}

/// `path` relative to `dir`, with `/` between its parts: an article's id.
fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The manifest's metadata by file, with the line it is on; a line naming a file named before
/// is an error (the first line stands).
fn read_manifest(dir: &Path) -> (HashMap<String, (usize, Meta)>, Vec<InputError>) {
    let path = dir.join(MANIFEST);
    let (mut map, mut errors) = (HashMap::new(), Vec::new());
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (map, errors),
        Err(e) => {
            let why = format!("cannot read the manifest ({e}): no article gets its metadata");
            return (map, vec![InputError::new(&name, None, why)]);
        }
    };
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(mut obj)) => match obj.remove("file") {
                Some(Value::String(file)) => match map.get(&file) {
                    Some((first, _)) => errors.push(InputError::new(
                        &name,
                        Some(n + 1),
                        format!("{file:?} is also on line {first}: this line is not used"),
                    )),
                    None => {
                        map.insert(file, (n + 1, meta_from(obj)));
                    }
                },
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
