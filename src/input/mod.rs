//! Input readers: a folder of `.txt` files (with an optional `manifest.jsonl`), a JSONL file,
//! or JSONL on standard input. Each yields articles or errors that name the file and line.

mod jsonl;
mod txt;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Metadata carried from the input to the output.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// Publisher or outlet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Headline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Publication date as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Address of the article.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Any other fields of the input record (`category`, ...), kept as they were.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// One article to annotate.
#[derive(Debug, Clone)]
pub struct Article {
    /// Identifier: the record's `id`, or the `.txt` path relative to the input folder.
    pub id: String,
    /// The untouched text; every offset refers to it.
    pub text: String,
    /// Metadata.
    pub meta: Meta,
    /// Where it came from: `file` or `file:line`.
    pub origin: String,
}

/// An input that could not be read as an article.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputError {
    /// The file (or `<stdin>`).
    pub file: String,
    /// 1-based line, for JSONL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The article id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wrong and what to do.
    pub error: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        write!(f, ": {}", self.error)
    }
}

impl InputError {
    /// An error about `file` (and `line`).
    pub fn new(file: impl Into<String>, line: Option<usize>, error: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line,
            id: None,
            error: error.into(),
        }
    }
}

/// A stream of articles (or per-article errors).
pub type Articles = Box<dyn Iterator<Item = Result<Article, InputError>> + Send>;

/// Opens `path`: `-` for JSONL on stdin, a folder of `.txt` files, a `.txt` file, or a JSONL file.
/// Fails as a whole only when the path itself cannot be used.
pub fn open(path: &Path) -> Result<Articles, InputError> {
    let name = path.display().to_string();
    if name == "-" {
        let stdin = lines(std::io::stdin())
            .map_err(|e| InputError::new("<stdin>", None, format!("cannot read: {e}")))?;
        return Ok(jsonl::read(stdin, "<stdin>".into()));
    }
    let meta = std::fs::metadata(path).map_err(|e| {
        InputError::new(
            &name,
            None,
            format!(
                "cannot open ({e}); give a folder of .txt files, a .jsonl file, or - for stdin"
            ),
        )
    })?;
    if meta.is_dir() {
        return txt::read_dir(path);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "txt" {
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone());
        return Ok(Box::new(std::iter::once(txt::read_file(
            path,
            id,
            Meta::default(),
        ))));
    }
    let file = std::fs::File::open(path)
        .and_then(lines)
        .map_err(|e| InputError::new(&name, None, format!("cannot open: {e}")))?;
    Ok(jsonl::read(file, name))
}

/// A JSONL stream read line by line; gzip (`.jsonl.gz`, or gzip on stdin: its first two bytes
/// are 1f 8b) is unpacked as it is read.
pub fn lines(raw: impl std::io::Read + Send + 'static) -> std::io::Result<Box<dyn BufRead + Send>> {
    let mut raw = std::io::BufReader::new(raw);
    if raw.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        let unpacked = flate2::read::MultiGzDecoder::new(raw);
        return Ok(Box::new(std::io::BufReader::new(unpacked)));
    }
    Ok(Box::new(raw))
}

/// Checks what every article needs, whatever its reader.
fn check_text(article: Article) -> Result<Article, InputError> {
    if article.text.trim().is_empty() {
        return Err(InputError::about(
            &article,
            "empty article: the text has no content",
        ));
    }
    Ok(article)
}

impl InputError {
    /// An error about an article that was read: its file and line (from `origin`) and its id.
    pub fn about(article: &Article, error: impl Into<String>) -> Self {
        let (file, line) = match article.origin.rsplit_once(':') {
            Some((f, l)) if l.parse::<usize>().is_ok() => (f.to_string(), l.parse().ok()),
            _ => (article.origin.clone(), None),
        };
        InputError {
            id: Some(article.id.clone()),
            ..InputError::new(file, line, error)
        }
    }
}

impl std::error::Error for InputError {}

/// The files below folder `path` that it does not read as articles (not `.txt`, not the
/// manifest, not hidden), relative to it; none for a file or stdin.
pub fn unread(path: &Path) -> Vec<String> {
    if path.is_dir() {
        txt::walk(path).unread
    } else {
        Vec::new()
    }
}

/// How many articles `path` holds, when cheap to know (for the progress bar).
pub fn count(path: &Path) -> Option<u64> {
    if path.as_os_str() == "-" {
        return None;
    }
    if path.is_dir() {
        return Some(txt::walk(path).files.len() as u64);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
    {
        return Some(1);
    }
    let f = std::fs::File::open(path).ok()?;
    Some(
        lines(f)
            .ok()?
            .split(b'\n')
            // A stream that fails once fails again (a cut gzip file): count up to there.
            .map_while(Result::ok)
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count() as u64,
    )
}
