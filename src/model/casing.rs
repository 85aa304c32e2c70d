//! Casing classes: the uncased encoder sees word case through its token-type ids.
//!
//! Must match `casing_class` in `training/common.py`, which trained the NER model.

/// The casing of one word piece group (a token with its `##` continuations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum CasingClass {
    /// `[CLS]`, `[SEP]`, padding.
    Special = 0,
    /// No letters (digits, punctuation).
    NoLetter = 1,
    /// No upper-case letter.
    Lower = 2,
    /// Two or more letters, all upper case.
    Upper = 3,
    /// First letter upper case, the rest not.
    Title = 4,
    /// Anything else ("iPhone", "McDonald").
    Mixed = 5,
}

impl CasingClass {
    /// The class of a piece of original text.
    pub fn of(text: &str) -> Self {
        let mut letters = text.chars().filter(|c| c.is_alphabetic());
        let Some(first) = letters.next() else {
            return Self::NoLetter;
        };
        let (mut n, mut rest_upper, mut rest_all_upper) = (1, false, true);
        for c in letters {
            n += 1;
            let up = c.is_uppercase();
            rest_upper |= up;
            rest_all_upper &= up;
        }
        match (first.is_uppercase(), rest_upper, rest_all_upper) {
            (false, false, _) => Self::Lower,
            (true, _, true) if n > 1 => Self::Upper,
            (true, false, _) => Self::Title,
            _ => Self::Mixed,
        }
    }
}

/// Casing class of every token: each `##` continuation takes its group's class.
///
/// `pieces` are the tokenizer's token strings, `spans` their byte spans in `text`.
pub fn casing_classes(text: &str, pieces: &[String], spans: &[(usize, usize)]) -> Vec<i64> {
    let mut out = vec![CasingClass::Special as i64; pieces.len()];
    let mut i = 0;
    while i < pieces.len() {
        let mut j = i + 1;
        while j < pieces.len() && pieces[j].starts_with("##") {
            j += 1;
        }
        let piece = text.get(spans[i].0..spans[j - 1].1).unwrap_or("");
        let class = CasingClass::of(piece) as i64;
        out[i..j].iter_mut().for_each(|c| *c = class);
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::CasingClass::{self, *};

    #[test]
    fn classes_match_the_training_definition() {
        let cases = [
            ("feng", Lower),
            ("Feng", Title),
            ("FENG", Upper),
            ("K", Title),
            ("McDonald", Mixed),
            ("iPhone", Mixed),
            ("1996", NoLetter),
            ("北京", Lower),
            ("Émile", Title),
        ];
        for (text, want) in cases {
            assert_eq!(CasingClass::of(text), want, "{text}");
        }
    }
}
