//! Targeted inputs: a sentence with mentions marked. A sequence-classification model reads one
//! marked mention per pass (the mention repeated as a second segment); a marker-head model reads
//! every mention of a sentence in one pass, each at its opening marker.

use super::context::Context;
use super::{Query, SentimentModel};
use crate::model::ModelError;
use crate::schema::Probabilities;
use crate::text::Span;
use std::cell::OnceCell;

impl SentimentModel {
    /// Whether one pass scores every marked mention of a sentence (a marker-head model).
    pub fn marks_all(&self) -> bool {
        self.model.config.marker_head
    }

    fn markers(&self) -> (String, String) {
        self.model
            .config
            .target_markers
            .clone()
            .unwrap_or_else(|| ("[".into(), "]".into()))
    }

    /// Input for the sentiment towards `mention` inside `context` (byte spans of `text`): the
    /// whole context when it fits the model, else a window around the mention, shrunk a quarter
    /// a side at a time. A window that surely holds too many word pieces is not tokenized.
    fn target_query(
        &self,
        text: &str,
        context: &Context,
        mut ctx: Span,
        mention: Span,
    ) -> Result<Query, ModelError> {
        loop {
            let whole = ctx == mention;
            if whole || context.min_pieces(ctx, mention) <= self.model.config.max_length {
                if let Some(q) = self.marked_query(text, ctx, &[mention])? {
                    return Ok(q);
                }
                if whole {
                    // The mention alone is longer than the model takes: as it is.
                    return self.marked_query_unchecked(text, ctx, &[mention]);
                }
            }
            ctx = context.shrink(ctx, mention);
        }
    }

    /// Inputs for the sentiment towards each of `mentions` (byte spans of `text` inside `ctx`),
    /// each with the indices (into `mentions`) of the mentions it scores, in its marks' order.
    /// A marker-head model gets one input marking them all when they do not overlap and it fits
    /// (overlapping mentions go to further inputs; one too long is split per mention); any other
    /// model one input per mention.
    pub fn target_queries(
        &self,
        text: &str,
        ctx: Span,
        mentions: &[Span],
    ) -> Result<Vec<(Query, Vec<usize>)>, ModelError> {
        // Indexed once for all the mentions that need a window of their own.
        let context = OnceCell::new();
        let single = |i: usize| {
            let context =
                context.get_or_init(|| Context::new(text, ctx, self.model.splits_like_bert()));
            Ok((self.target_query(text, context, ctx, mentions[i])?, vec![i]))
        };
        if !self.marks_all() {
            return (0..mentions.len()).map(single).collect();
        }
        let mut order: Vec<usize> = (0..mentions.len()).collect();
        order.sort_by_key(|&i| (mentions[i].start, mentions[i].end, i));
        let mut out = Vec::new();
        while !order.is_empty() {
            // The mentions that do not overlap an earlier one; the rest wait for the next input.
            let (mut take, mut rest, mut at) = (Vec::new(), Vec::new(), 0);
            for i in order {
                if mentions[i].start < at {
                    rest.push(i);
                } else {
                    at = mentions[i].end;
                    take.push(i);
                }
            }
            let spans: Vec<Span> = take.iter().map(|&i| mentions[i]).collect();
            match self.marked_query(text, ctx, &spans)? {
                Some(q) => out.push((q, take)),
                None => {
                    for i in take {
                        out.push(single(i)?);
                    }
                }
            }
            order = rest;
        }
        Ok(out)
    }

    /// Runs target queries; for each query, the probabilities towards each of its mentions (one
    /// for a sequence-classification model, one per mark for a marker-head model).
    pub fn classify_targets(
        &self,
        queries: &[&Query],
        batch_size: usize,
    ) -> Result<Vec<Vec<Probabilities>>, ModelError> {
        let pieces: Vec<_> = queries.iter().map(|q| &q.piece).collect();
        let scores = crate::annotate::run_sorted(&self.model, &pieces, batch_size)?;
        let t = self.model.config.temperature;
        Ok(queries
            .iter()
            .zip(scores)
            .map(|(q, s)| {
                if q.marks.is_empty() {
                    vec![self.probabilities(&s.logits, t)]
                } else {
                    q.marks
                        .iter()
                        .map(|&m| self.probabilities(self.row(&s.logits, m), t))
                        .collect()
                }
            })
            .collect())
    }

    /// Logits of token `i` in a per-token output (empty past its end).
    fn row<'a>(&self, logits: &'a [f32], i: usize) -> &'a [f32] {
        let n = self.model.config.labels.len();
        logits.get(i * n..(i + 1) * n).unwrap_or(&[])
    }

    /// `ctx` with `mentions` (sorted, not overlapping) marked, when it fits the model.
    fn marked_query(
        &self,
        text: &str,
        ctx: Span,
        mentions: &[Span],
    ) -> Result<Option<Query>, ModelError> {
        let q = self.marked_query_unchecked(text, ctx, mentions)?;
        Ok((q.piece.ids.len() <= self.model.config.max_length).then_some(q))
    }

    fn marked_query_unchecked(
        &self,
        text: &str,
        ctx: Span,
        mentions: &[Span],
    ) -> Result<Query, ModelError> {
        let (open, close) = self.markers();
        let mut marked = String::new();
        let mut opens = Vec::new();
        let mut at = ctx.start;
        for m in mentions {
            marked.push_str(&text[at..m.start]);
            opens.push(marked.len());
            marked.push_str(&open);
            marked.push_str(m.of(text));
            marked.push_str(&close);
            at = m.end;
        }
        marked.push_str(&text[at..ctx.end]);
        if !self.marks_all() {
            let name = mentions.first().map(|m| m.of(text));
            let piece = self.model.encode_text(&marked, name)?;
            return Ok(Query {
                piece,
                weight: 1.0,
                spans: Vec::new(),
                marks: Vec::new(),
            });
        }
        let (piece, spans) = self.model.encode_spanned(&marked)?;
        let offset = self.model.prefix_len();
        let marks = opens
            .iter()
            .map(|&o| {
                let i = spans.partition_point(|s| s.0 < o);
                offset + i.min(spans.len().saturating_sub(1))
            })
            .collect();
        Ok(Query {
            piece,
            weight: 1.0,
            spans: Vec::new(),
            marks,
        })
    }
}
