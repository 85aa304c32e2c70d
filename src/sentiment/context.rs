//! The context a targeted model reads around a mention, cut down until it fits the model.
//!
//! A text without sentence breaks (a transcript, a table, a scraped page) can be one sentence of
//! megabytes. Cutting it by scanning its chars, and tokenizing every cut, would cost a pass over
//! the whole sentence for each of its mentions, so [`Context`] indexes the sentence once: each
//! cut and each lower bound on a cut's token count is then a binary search.

use crate::text::Span;

/// A span of text (a sentence and its neighbours) indexed for cutting around its mentions.
pub(super) struct Context {
    /// Byte offset (in the text) of every char of the span, then the span's end.
    chars: Vec<usize>,
    /// Parts that each give at least one word piece, as byte spans in text order: every ASCII
    /// punctuation char, and every run of other chars between ASCII whitespace and ASCII
    /// punctuation that holds an ASCII letter or digit (the tokenizer splits at both).
    parts: Vec<Span>,
}

impl Context {
    /// Indexes `span` of `text`; `bert` when the model's tokenizer splits as BERT's does
    /// ([`crate::model::Model::splits_like_bert`]): otherwise no part is counted, the bound is
    /// zero, and every cut is tokenized.
    pub(super) fn new(text: &str, span: Span, bert: bool) -> Self {
        let mut chars: Vec<usize> = span
            .of(text)
            .char_indices()
            .map(|(b, _)| span.start + b)
            .collect();
        chars.push(span.end);
        let mut parts = Vec::new();
        let mut open: Option<(usize, bool)> = None;
        // The run open since its first byte (and whether it holds a letter or digit) ends at `at`.
        let close = |parts: &mut Vec<Span>, open: &mut Option<(usize, bool)>, at: usize| {
            if let Some((start, true)) = open.take() {
                parts.push(Span::new(start, at));
            }
        };
        let counted = if bert { span.of(text) } else { "" };
        for (b, c) in counted.char_indices() {
            let at = span.start + b;
            if matches!(c, ' ' | '\t' | '\n' | '\r') {
                close(&mut parts, &mut open, at);
            } else if c.is_ascii_punctuation() {
                close(&mut parts, &mut open, at);
                parts.push(Span::new(at, at + 1));
            } else {
                let (start, alnum) = open.unwrap_or((at, false));
                open = Some((start, alnum || c.is_ascii_alphanumeric()));
            }
        }
        close(&mut parts, &mut open, span.start + counted.len());
        Context { chars, parts }
    }

    /// Index of the char that starts at byte `at` (or of the end).
    fn char_index(&self, at: usize) -> usize {
        self.chars.partition_point(|&c| c < at)
    }

    /// `ctx` with a quarter of the chars on each side of `mention` dropped (at least one char).
    pub(super) fn shrink(&self, ctx: Span, mention: Span) -> Span {
        let (first, m_start) = (self.char_index(ctx.start), self.char_index(mention.start));
        let (m_end, last) = (self.char_index(mention.end), self.char_index(ctx.end));
        let start = self.chars[first + (m_start - first).div_ceil(4)];
        let end = self.chars[m_end + (last - m_end) * 3 / 4];
        Span::new(start, end)
    }

    /// A lower bound on the word pieces of `ctx` with `mention` marked (by a BERT tokenizer, as
    /// every shipped model's): the parts wholly inside `ctx` on either side of the mention.
    pub(super) fn min_pieces(&self, ctx: Span, mention: Span) -> usize {
        self.parts_within(ctx.start, mention.start) + self.parts_within(mention.end, ctx.end)
    }

    fn parts_within(&self, start: usize, end: usize) -> usize {
        let first = self.parts.partition_point(|p| p.start < start);
        let past = self.parts.partition_point(|p| p.end <= end);
        past.saturating_sub(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cut as it was first written: a pass over the chars on each side.
    fn shrink_by_scan(text: &str, ctx: Span, mention: Span) -> Span {
        let left = &text[ctx.start..mention.start];
        let right = &text[mention.end..ctx.end];
        let drop_left = left
            .char_indices()
            .nth(left.chars().count().div_ceil(4))
            .map_or(left.len(), |(b, _)| b);
        let keep_right = right.chars().count() * 3 / 4;
        let keep_right = right
            .char_indices()
            .nth(keep_right)
            .map_or(right.len(), |(b, _)| b);
        Span::new(ctx.start + drop_left, mention.end + keep_right)
    }

    #[test]
    fn cuts_match_a_scan_of_the_chars_down_to_the_mention() {
        let text =
            "Préface: « Müller » met 习近平 in Zürich — then   Ana\tLópez\nspoke. Ünïcödé ok";
        let span = Span::new(0, text.len());
        let context = Context::new(text, span, true);
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&b| text.is_char_boundary(b))
            .collect();
        for (i, &a) in bounds.iter().enumerate() {
            for &b in &bounds[i..] {
                let mention = Span::new(a, b);
                let mut ctx = span;
                while ctx != mention {
                    let next = context.shrink(ctx, mention);
                    assert_eq!(
                        next,
                        shrink_by_scan(text, ctx, mention),
                        "{ctx:?} {mention:?}"
                    );
                    assert!(next.start >= ctx.start && next.end <= ctx.end && next != ctx);
                    ctx = next;
                }
            }
        }
    }

    #[test]
    fn parts_are_ascii_punctuation_and_the_runs_between_that_hold_a_letter_or_digit() {
        let text = "  a-b  —  «x» \t\u{85}y\u{85}z 7\n";
        let context = Context::new(text, Span::new(0, text.len()), true);
        let parts: Vec<&str> = context.parts.iter().map(|c| c.of(text)).collect();
        assert_eq!(parts, ["a", "-", "b", "«x»", "\u{85}y\u{85}z", "7"]);
        // Only parts wholly inside a side of the mention count.
        let x = text.find('x').unwrap();
        let mention = Span::new(x, x + 1);
        assert_eq!(context.min_pieces(Span::new(0, text.len()), mention), 5);
        assert_eq!(context.min_pieces(Span::new(3, text.len()), mention), 4);
    }

    /// Every word of the bundled corpus as a mention, in its paragraph, with every window the
    /// targeted pass would try: the bound never exceeds the word pieces the shipped targeted
    /// model's tokenizer gives the marked window.
    #[test]
    fn the_bound_never_exceeds_the_word_pieces_of_a_marked_window() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/targeted/tokenizer.json"
        );
        let mut tokenizer = tokenizers::Tokenizer::from_file(dir).unwrap();
        tokenizer.with_truncation(None).unwrap();
        tokenizer.with_padding(None);
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
        let (mut windows, mut bounds, mut all) = (0, 0, 0);
        for entry in std::fs::read_dir(corpus).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut at = 0;
            for paragraph in text.split('\n') {
                let span = Span::new(at, at + paragraph.len());
                at = span.end + 1;
                let context = Context::new(&text, span, true);
                for (b, word) in paragraph.split(' ').scan(0, |o, w| {
                    let b = *o;
                    *o += w.len() + 1;
                    Some((b, w))
                }) {
                    let mention = Span::new(span.start + b, span.start + b + word.len());
                    let mut ctx = span;
                    while ctx != mention {
                        let marked = format!(
                            "{}[{}]{}",
                            &text[ctx.start..mention.start],
                            mention.of(&text),
                            &text[mention.end..ctx.end]
                        );
                        let pieces = tokenizer.encode(marked.as_str(), false).unwrap().len();
                        let bound = context.min_pieces(ctx, mention);
                        assert!(bound <= pieces, "{bound} > {pieces}: {marked:?}");
                        windows += 1;
                        bounds += bound;
                        all += pieces;
                        ctx = context.shrink(ctx, mention);
                    }
                }
            }
        }
        // Enough windows to mean something, and a bound that is not trivially low.
        assert!(windows > 20_000, "{windows} windows");
        assert!(
            bounds * 2 > all,
            "bounds sum to {bounds} of {all} word pieces"
        );
    }
}
