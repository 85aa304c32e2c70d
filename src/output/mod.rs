//! Output: JSONL written a whole line at a time (a crash never leaves half a line behind for
//! `--resume` to trip on), and the rejects file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::input::InputError;
use crate::schema::{Annotation, RunMeta};

/// What an output file held when a run resumed.
#[derive(Debug, Default)]
pub struct Resume {
    /// Ids already annotated, with the `text_hash` of their record (absent in old files).
    pub done: HashMap<String, Option<String>>,
    /// Line numbers of whole lines that are not annotation records (kept as they are).
    pub foreign_lines: Vec<usize>,
    /// The models and conventions of the records (`meta`), with how many records name each.
    pub made_by: Vec<(RunMeta, usize)>,
}

/// Where annotations go.
pub struct Writer {
    out: Box<dyn Write + Send>,
    path: Option<PathBuf>,
    /// The output file again, to cut a line that failed halfway (a full disk) back off.
    file: Option<File>,
    /// Bytes of whole lines in the file.
    whole: u64,
}

impl Writer {
    /// Standard output.
    pub fn stdout() -> Self {
        Writer {
            out: Box::new(std::io::stdout()),
            path: None,
            file: None,
            whole: 0,
        }
    }

    /// A file, created or truncated; with `resume`, kept, and what it already holds returned.
    /// Only a trailing partial line (from a crash) is cut off: no whole line is ever removed.
    pub fn file(path: &Path, resume: bool) -> std::io::Result<(Self, Resume)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut state = Resume::default();
        let mut kept = 0;
        let file = if resume && path.exists() {
            let mut f = OpenOptions::new().read(true).write(true).open(path)?;
            let mut whole = 0u64;
            let mut reader = BufReader::new(&mut f);
            let mut line = Vec::new();
            let mut number = 0;
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line)?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break;
                }
                number += 1;
                whole += n as u64;
                #[derive(serde::Deserialize)]
                struct Done {
                    id: Option<String>,
                    text_hash: Option<String>,
                    error: Option<serde_json::Value>,
                    meta: Option<RunMeta>,
                }
                match serde_json::from_slice::<Done>(&line) {
                    // An inline error line (`--errors inline`): the input is tried again.
                    Ok(Done { error: Some(_), .. }) => {}
                    Ok(Done {
                        id: Some(id),
                        text_hash,
                        meta,
                        ..
                    }) => {
                        state.done.insert(id, text_hash);
                        if let Some(meta) = meta {
                            match state.made_by.iter_mut().find(|(m, _)| *m == meta) {
                                Some((_, n)) => *n += 1,
                                None => state.made_by.push((meta, 1)),
                            }
                        }
                    }
                    _ => state.foreign_lines.push(number),
                }
            }
            drop(reader);
            f.set_len(whole)?;
            f.seek(SeekFrom::End(0))?;
            kept = whole;
            f
        } else {
            File::create(path)?
        };
        Ok((
            Writer {
                file: Some(file.try_clone()?),
                out: Box::new(file),
                path: Some(path.to_path_buf()),
                whole: kept,
            },
            state,
        ))
    }

    /// Appends one annotation as one line, in one write.
    pub fn write(&mut self, a: &Annotation) -> std::io::Result<()> {
        let line = serde_json::to_vec(a).map_err(std::io::Error::other)?;
        self.line(line)
    }

    /// Appends any JSON value as one line (an inline error record).
    pub fn write_value(&mut self, v: &serde_json::Value) -> std::io::Result<()> {
        let line = serde_json::to_vec(v).map_err(std::io::Error::other)?;
        self.line(line)
    }

    /// Writes `line` and its newline; when that fails partway (a full disk), a file is cut back
    /// to its whole lines, so that the output never ends in half a line.
    fn line(&mut self, mut line: Vec<u8>) -> std::io::Result<()> {
        line.push(b'\n');
        match self.out.write_all(&line) {
            Ok(()) => {
                self.whole += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                if let Some(f) = &self.file {
                    let _ = f.set_len(self.whole);
                }
                Err(e)
            }
        }
    }

    /// Flushes what was written (after each batch).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// The output path, if a file.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

/// Writes the rejected inputs, one JSON object a line, to `path`.
pub fn write_rejects(path: &Path, rejects: &[InputError]) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(File::create(path)?);
    for r in rejects {
        serde_json::to_writer(&mut f, r).map_err(std::io::Error::other)?;
        f.write_all(b"\n")?;
    }
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disk that fills up after `room` bytes: the bytes that fit are written, then ENOSPC.
    struct FullAfter {
        file: File,
        room: usize,
    }

    impl Write for FullAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.file.write(&buf[..n])
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_that_fails_halfway_leaves_only_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let line = |i: usize| serde_json::json!({"id": format!("a{i}"), "text": "x".repeat(40)});
        let one = serde_json::to_vec(&line(0)).unwrap().len() + 1;
        // Room for two lines and half of the third, then for nothing; resumed from the start.
        for (room, resume) in [(one * 2 + one / 2, false), (one / 3, true)] {
            let (mut w, _) = Writer::file(&path, resume).unwrap();
            let file = w.file.as_ref().unwrap().try_clone().unwrap();
            w.out = Box::new(FullAfter { file, room });
            let mut written = 0;
            for i in 0..4 {
                match w.write_value(&line(i)) {
                    Ok(()) => written += 1,
                    Err(e) => {
                        assert_eq!(e.raw_os_error(), Some(28));
                        break;
                    }
                }
            }
            assert_eq!(written, if resume { 0 } else { 2 });
            let body = std::fs::read_to_string(&path).unwrap();
            assert_eq!(body.len(), one * 2, "{body}");
            assert!(body
                .lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
        }
    }
}
