//! Model calls on the worker pool: each distinct input once, in batches of one length, every
//! call its own unit of work, longest first.

use rayon::prelude::*;

use crate::model::{Batch, Model, ModelError, Piece};

/// One piece's scores from [`run_sorted`].
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// The first output's row, cut to the piece's own length for token classification.
    pub logits: Vec<f32>,
    /// The per-token entity head's rows for the piece's own positions ([tokens x labels],
    /// flat); empty when the model has none.
    pub tokens: Vec<f32>,
}

/// The distinct pieces among `pieces` (first occurrence order), and for each piece the index of
/// its distinct twin: a sentence or window repeated in a batch (syndicated copies, boilerplate)
/// is run once. The graphs are batch-independent, so this changes no output.
fn distinct<'a>(pieces: &[&'a Piece]) -> (Vec<&'a Piece>, Vec<usize>) {
    let mut seen: std::collections::HashMap<&Piece, usize> = std::collections::HashMap::new();
    let mut unique = Vec::new();
    let index = pieces
        .iter()
        .map(|&p| {
            *seen.entry(p).or_insert_with(|| {
                unique.push(p);
                unique.len() - 1
            })
        })
        .collect();
    (unique, index)
}

/// Tokens that [`run_sorted`] feeds the model for `pieces` (each distinct piece once).
pub(crate) fn distinct_tokens(pieces: &[&Piece]) -> usize {
    distinct(pieces).0.iter().map(|p| p.ids.len()).sum()
}

/// Runs `pieces` through `model` in batches of one length (in parallel on the current rayon
/// pool), each distinct piece once; returns each piece's scores, in input order, cut to
/// the piece's own length.
pub fn run_sorted(
    model: &Model,
    pieces: &[&Piece],
    batch_size: usize,
) -> Result<Vec<Scores>, ModelError> {
    run_counted(model, pieces, batch_size).map(|(scores, _)| scores)
}

/// [`run_sorted`], with the tokens it fed the model.
pub(super) fn run_counted(
    model: &Model,
    pieces: &[&Piece],
    batch_size: usize,
) -> Result<(Vec<Scores>, usize), ModelError> {
    let (unique, index) = distinct(pieces);
    let tokens = unique.iter().map(|p| p.ids.len()).sum();
    let mut scores: Vec<Option<Scores>> = run_distinct(model, &unique, batch_size)?
        .into_iter()
        .map(Some)
        .collect();
    // Each result moves to its last user; only a repeated piece's earlier users get copies.
    let mut uses = vec![0usize; unique.len()];
    index.iter().for_each(|&u| uses[u] += 1);
    let out = index
        .into_iter()
        .map(|u| {
            uses[u] -= 1;
            if uses[u] == 0 {
                scores[u].take().unwrap_or_default()
            } else {
                scores[u].clone().unwrap_or_default()
            }
        })
        .collect();
    Ok((out, tokens))
}

fn run_distinct(
    model: &Model,
    pieces: &[&Piece],
    batch_size: usize,
) -> Result<Vec<Scores>, ModelError> {
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&i| (pieces[i].ids.len(), i));
    // A batch holds sequences of one length only, so no row is ever padded: padded to a longer
    // batch-mate, a row's sums run in another order in ONNX Runtime's kernels, and one flipped
    // int8 rounding moved a score by 4e-4, enough to change the written JSON.
    // The longest calls go first, so that the last ones to finish are short.
    let chunks: Vec<&[usize]> = order
        .chunk_by(|&a, &b| pieces[a].ids.len() == pieces[b].ids.len())
        .rev()
        .flat_map(|same| same.chunks(batch_size.max(1)))
        .collect();
    let results: Vec<Vec<(usize, Scores)>> = chunks
        .par_iter()
        .with_max_len(1)
        .map(|chunk| {
            let batch_pieces: Vec<&Piece> = chunk.iter().map(|&i| pieces[i]).collect();
            let batch = Batch::new(&batch_pieces);
            let out = model.run(&batch)?;
            let rows = batch.rows().max(1);
            let row_len = out.logits.len() / rows;
            let per_pos = row_len / out.per_row.max(1);
            Ok(chunk
                .iter()
                .enumerate()
                .map(|(r, &i)| {
                    let row = &out.logits[r * row_len..(r + 1) * row_len];
                    let len = pieces[i].ids.len();
                    let keep = if out.per_row == 1 {
                        row_len
                    } else {
                        len * per_pos
                    };
                    let tokens = out.token_logits.as_ref().map_or_else(Vec::new, |t| {
                        let stride = t.len() / rows;
                        let labels = stride / batch.width().max(1);
                        t[r * stride..r * stride + len * labels].to_vec()
                    });
                    let scores = Scores {
                        logits: row[..keep].to_vec(),
                        tokens,
                    };
                    (i, scores)
                })
                .collect())
        })
        .collect::<Result<_, ModelError>>()?;
    let mut out = vec![Scores::default(); pieces.len()];
    for (i, l) in results.into_iter().flatten() {
        out[i] = l;
    }
    Ok(out)
}
