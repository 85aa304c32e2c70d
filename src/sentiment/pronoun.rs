//! Pronouns as evidence of a person's tone: in news a person is named once or twice and then
//! called "he" or "she", so the sentences that judge them most often do not name them.
//!
//! The rule is deliberately plain: a third-person singular pronoun refers to the person named
//! last before it, if that person was named at most `reach` sentences earlier. Only sentences
//! that do not name the person themselves are added, once each, at their first such pronoun.

use std::collections::HashSet;

use crate::text::Span;

/// Pronouns that can stand for one person.
const PRONOUNS: [&str; 8] = [
    "he", "him", "his", "himself", "she", "her", "hers", "herself",
];

/// A person's mention: its byte span, its entity (group) and its sentence.
#[derive(Debug, Clone, Copy)]
pub struct Named {
    /// Byte span of the name in the text.
    pub span: Span,
    /// The entity it names.
    pub entity: usize,
    /// The sentence it is in.
    pub sentence: usize,
}

/// (entity, sentence, pronoun span) for each sentence that refers to a person by pronoun only.
/// `sentences` are byte spans of `text` in order; `named` are the people's mentions.
pub fn pronoun_mentions(
    text: &str,
    sentences: &[Span],
    named: &[Named],
    reach: usize,
) -> Vec<(usize, usize, Span)> {
    if named.is_empty() {
        return Vec::new();
    }
    let mut named: Vec<Named> = named.to_vec();
    named.sort_by_key(|n| (n.span.start, n.span.end));
    // (entity, sentence) pairs that need no pronoun: named there, or already given one.
    let mut taken: HashSet<(usize, usize)> = named.iter().map(|n| (n.entity, n.sentence)).collect();
    let mut out: Vec<(usize, usize, Span)> = Vec::new();
    for (s, sentence) in sentences.iter().enumerate() {
        for word in words(text, *sentence) {
            let word_text = word.of(text);
            if !PRONOUNS.iter().any(|p| p.eq_ignore_ascii_case(word_text)) {
                continue;
            }
            let before = named.partition_point(|n| n.span.start < word.start);
            let Some(last) = before.checked_sub(1).map(|i| named[i]) else {
                continue;
            };
            if last.span.end > word.start || s.saturating_sub(last.sentence) > reach {
                continue;
            }
            if taken.insert((last.entity, s)) {
                out.push((last.entity, s, word));
            }
        }
    }
    out
}

/// The alphabetic words of `span` in `text`, as byte spans.
fn words(text: &str, span: Span) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in span.of(text).char_indices() {
        match (c.is_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                out.push(Span::new(span.start + b, span.start + i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push(Span::new(span.start + b, span.end));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans_of(text: &str, parts: &[&str]) -> Vec<Span> {
        parts
            .iter()
            .map(|p| {
                let start = text.find(p).unwrap();
                Span::new(start, start + p.len())
            })
            .collect()
    }

    #[test]
    fn a_pronoun_refers_to_the_person_named_last_within_reach() {
        let text = "Ann Lee met Bo Chan. He praised her. Rain fell. It was late. She left.";
        let sentences = spans_of(
            text,
            &[
                "Ann Lee met Bo Chan.",
                "He praised her.",
                "Rain fell.",
                "It was late.",
                "She left.",
            ],
        );
        let ann = spans_of(text, &["Ann Lee"])[0];
        let bo = spans_of(text, &["Bo Chan"])[0];
        let named = [
            Named {
                span: ann,
                entity: 0,
                sentence: 0,
            },
            Named {
                span: bo,
                entity: 1,
                sentence: 0,
            },
        ];
        let found = pronoun_mentions(text, &sentences, &named, 2);
        // "He" goes to Bo Chan (named last); "her" too, once per sentence and person; "She" is
        // four sentences after the last name, past the reach of 2.
        let he = spans_of(text, &["He"])[0];
        assert_eq!(found, vec![(1, 1, he)]);
        let far = pronoun_mentions(text, &sentences, &named, 4);
        assert_eq!(far.len(), 2);
        assert_eq!(far[1].0, 1);
        assert_eq!(far[1].1, 4);
        assert_eq!(far[1].2.of(text), "She");
    }

    #[test]
    fn a_sentence_that_names_the_person_adds_nothing() {
        let text = "Ann Lee spoke. Ann Lee said she would stay.";
        let sentences = spans_of(text, &["Ann Lee spoke.", "Ann Lee said she would stay."]);
        let named = [
            Named {
                span: Span::new(0, 7),
                entity: 0,
                sentence: 0,
            },
            Named {
                span: Span::new(15, 22),
                entity: 0,
                sentence: 1,
            },
        ];
        assert!(pronoun_mentions(text, &sentences, &named, 3).is_empty());
        // Words are whole: "Shell" and "there" hold no pronoun.
        let text = "Ann Lee spoke. Shell was there.";
        let sentences = spans_of(text, &["Ann Lee spoke.", "Shell was there."]);
        assert!(pronoun_mentions(text, &sentences, &named[..1], 3).is_empty());
    }
}
