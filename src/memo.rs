//! Results of model inputs already run in this process, so that a sentence repeated across
//! batches (syndicated copies of a story, boilerplate) is run once. The graphs are
//! batch-independent, so a remembered result is the result: no output changes.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::model::{ModelError, Piece};
use crate::sentiment::Query;

/// Remembered results (by input piece, with the marks it was read at) and the input tokens
/// they hold.
struct Held<V> {
    results: HashMap<Piece, (Vec<usize>, V)>,
    tokens: usize,
}

/// Remembered results by input, up to a budget of input tokens; when full it starts again
/// empty, so memory stays flat however long the run.
pub struct Memo<V> {
    inner: Mutex<Held<V>>,
    budget: usize,
}

impl<V: Clone> Memo<V> {
    /// An empty memo holding inputs of up to `budget` tokens in all.
    pub fn new(budget: usize) -> Self {
        Memo {
            inner: Mutex::new(Held {
                results: HashMap::new(),
                tokens: 0,
            }),
            budget,
        }
    }

    /// The results of `queries`: remembered ones from the memo, the others from `run` (called
    /// once, on the queries not remembered, in order); also the input tokens `run` was given,
    /// each distinct input once.
    pub fn results(
        &self,
        queries: &[&Query],
        run: impl FnOnce(&[&Query]) -> Result<Vec<V>, ModelError>,
    ) -> Result<(Vec<V>, usize), ModelError> {
        let mut out: Vec<Option<V>> = {
            let memo = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            queries
                .iter()
                .map(|q| match memo.results.get(&q.piece) {
                    Some((marks, v)) if *marks == q.marks => Some(v.clone()),
                    _ => None,
                })
                .collect()
        };
        let missing: Vec<usize> = (0..queries.len()).filter(|&i| out[i].is_none()).collect();
        let to_run: Vec<&Query> = missing.iter().map(|&i| queries[i]).collect();
        let pieces: Vec<&Piece> = to_run.iter().map(|q| &q.piece).collect();
        let tokens = crate::annotate::distinct_tokens(&pieces);
        let fresh = run(&to_run)?;
        if fresh.len() != to_run.len() {
            return Err(ModelError::Runtime(format!(
                "{} results for {} inputs",
                fresh.len(),
                to_run.len()
            )));
        }
        let mut memo = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for (&i, v) in missing.iter().zip(fresh) {
            let len = queries[i].piece.ids.len();
            if memo.tokens + len > self.budget {
                memo.results.clear();
                memo.tokens = 0;
            }
            let q = queries[i];
            if let Some(old) = memo.results.get_mut(&q.piece) {
                *old = (q.marks.clone(), v.clone());
            } else {
                memo.results
                    .insert(q.piece.clone(), (q.marks.clone(), v.clone()));
                memo.tokens += len;
            }
            out[i] = Some(v);
        }
        Ok((out.into_iter().flatten().collect(), tokens))
    }
}
