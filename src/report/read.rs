//! The report's input: annotation JSONL files and folders of them, read one record at a time.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::schema::Annotation;

/// The annotation files a report reads, in order.
#[derive(Debug, Clone)]
pub struct Inputs {
    files: Vec<PathBuf>,
}

impl Inputs {
    /// Files as given; a folder stands for every `.jsonl` and `.jsonl.gz` file in it (not
    /// `*.rejects.jsonl`), in name order, e.g. the part files of a sharded run.
    pub fn new(paths: &[PathBuf]) -> Result<Self, String> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let mut inside: Vec<_> = std::fs::read_dir(p)
                    .map_err(|e| format!("{}: cannot list: {e}", p.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| {
                        let name = f.to_string_lossy();
                        (name.ends_with(".jsonl") || name.ends_with(".jsonl.gz"))
                            && !name.ends_with(".rejects.jsonl")
                    })
                    .collect();
                inside.sort();
                files.extend(inside);
            } else if p.is_file() {
                files.push(p.clone());
            } else {
                return Err(format!("{}: no such file or folder", p.display()));
            }
        }
        Ok(Inputs { files })
    }

    /// Calls `f` on every annotation in order; returns how many there were. Lines that are not
    /// annotations are passed over (the first pass, [`Inputs::each_once`], lists them); stops at
    /// an error from `f` or a file that cannot be read.
    pub fn each(
        &self,
        mut f: impl FnMut(&Annotation) -> Result<(), String>,
    ) -> Result<usize, String> {
        let mut n = 0;
        for path in &self.files {
            n += each_in(path, &mut f, &mut |_| {})?;
        }
        Ok(n)
    }

    /// Like [`Inputs::each`], and an id seen twice is an error: the inputs overlap. Returns the
    /// count and the lines that are not annotations (`file:line: why`), which the report leaves
    /// out. Fails when there is no annotation at all.
    pub fn each_once(
        &self,
        mut f: impl FnMut(&Annotation) -> Result<(), String>,
    ) -> Result<(usize, Vec<String>), String> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut unreadable = Vec::new();
        let mut n = 0;
        for (i, path) in self.files.iter().enumerate() {
            let mut once = |a: &Annotation| {
                if let Some(first) = seen.insert(a.id.clone(), i) {
                    return Err(format!(
                        "{}: id {:?} is also in {}: the inputs overlap",
                        path.display(),
                        a.id,
                        self.files[first].display()
                    ));
                }
                f(a)
            };
            n += each_in(path, &mut once, &mut |bad| unreadable.push(bad))?;
        }
        if n == 0 {
            let names: Vec<String> = self.files.iter().map(|p| p.display().to_string()).collect();
            let first = unreadable
                .first()
                .map(|b| format!(" (first unreadable line: {b})"))
                .unwrap_or_default();
            return Err(format!("no annotations in {}{first}", names.join(", ")));
        }
        Ok((n, unreadable))
    }
}

/// The annotations of one file, in order, to `f`; a line that is not one (not UTF-8, not JSON,
/// not an annotation: a torn last line, a stray record) goes to `bad` as `file:line: why`.
fn each_in(
    path: &Path,
    f: &mut dyn FnMut(&Annotation) -> Result<(), String>,
    bad: &mut dyn FnMut(String),
) -> Result<usize, String> {
    let file = std::fs::File::open(path)
        .and_then(crate::input::lines)
        .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut n = 0;
    for (i, line) in file.split(b'\n').enumerate() {
        let at = format!("{}:{}", path.display(), i + 1);
        let line = match line {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(line) => line,
                Err(_) => {
                    bad(format!("{at}: not UTF-8"));
                    continue;
                }
            },
            // A stream that fails (a cut gzip file, a disk error) fails again: what came before
            // stands, the rest of the file is left out.
            Err(e) => {
                bad(format!(
                    "{at}: read error: {e}; the rest of the file is left out"
                ));
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Annotation>(&line) {
            Ok(a) => {
                f(&a)?;
                n += 1;
            }
            Err(e) => bad(format!(
                "{at}: not a newslens annotation ({e}); give the output of `newslens annotate`"
            )),
        }
    }
    Ok(n)
}
