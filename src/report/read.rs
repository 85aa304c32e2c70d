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
    /// Files as given; a folder stands for every `.jsonl` file in it (not `*.rejects.jsonl`), in
    /// name order, e.g. the part files of a sharded run.
    pub fn new(paths: &[PathBuf]) -> Result<Self, String> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let mut inside: Vec<_> = std::fs::read_dir(p)
                    .map_err(|e| format!("{}: cannot list: {e}", p.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| {
                        f.extension().is_some_and(|x| x == "jsonl")
                            && !f.to_string_lossy().ends_with(".rejects.jsonl")
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

    /// Calls `f` on every annotation in order; returns how many there were. Stops at the first
    /// unreadable line (naming file and line) or error from `f`.
    pub fn each(
        &self,
        mut f: impl FnMut(&Annotation) -> Result<(), String>,
    ) -> Result<usize, String> {
        let mut n = 0;
        for path in &self.files {
            n += each_in(path, &mut f)?;
        }
        Ok(n)
    }

    /// Like [`Inputs::each`], and an id seen twice is an error: the inputs overlap. Fails when
    /// there is no annotation at all.
    pub fn each_once(
        &self,
        mut f: impl FnMut(&Annotation) -> Result<(), String>,
    ) -> Result<usize, String> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut n = 0;
        for (i, path) in self.files.iter().enumerate() {
            n += each_in(path, &mut |a: &Annotation| {
                if let Some(first) = seen.insert(a.id.clone(), i) {
                    return Err(format!(
                        "{}: id {:?} is also in {}: the inputs overlap",
                        path.display(),
                        a.id,
                        self.files[first].display()
                    ));
                }
                f(a)
            })?;
        }
        if n == 0 {
            let names: Vec<String> = self.files.iter().map(|p| p.display().to_string()).collect();
            return Err(format!("no annotations in {}", names.join(", ")));
        }
        Ok(n)
    }
}

fn each_in(
    path: &Path,
    f: &mut dyn FnMut(&Annotation) -> Result<(), String>,
) -> Result<usize, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut n = 0;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let a: Annotation = serde_json::from_str(&line).map_err(|e| {
            format!(
                "{}:{}: not a newslens annotation ({e}); give the output of `newslens annotate`",
                path.display(),
                i + 1
            )
        })?;
        f(&a)?;
        n += 1;
    }
    Ok(n)
}
