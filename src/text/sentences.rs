//! Sentence splitting tuned for news: abbreviations, initials and quotes do not end a sentence.

use super::{trim, Span};

/// Words that end with a period without ending a sentence (compared without the period):
/// titles and other words that always have something after them.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "st",
    "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mt", "ft", "fig", "approx", "dept", "rev", "hon", "pres", "cf", "vol", "pp", "p",
];

/// Abbreviations that often end a sentence too ("Apple Inc. The company ..."): a break only
/// before a typical sentence opener, as after a dotted acronym.
const MAY_END: &[&str] = &[
    "inc", "corp", "co", "ltd", "jr", "sr", "etc", "al", "est", "bros",
];

/// "No." is an abbreviation only before a number ("No. 5"); else it is the word "no".
const BEFORE_NUMBERS: &[&str] = &["no", "nos"];

/// Words that start a new sentence even after a dotted acronym ("... the U.S. It is ...").
const STARTERS: &[&str] = &[
    "it", "its", "the", "he", "she", "we", "they", "i", "but", "and", "in", "this", "that", "a",
    "an", "there", "his", "her", "their", "our", "as", "at", "on", "for", "if", "so", "yet",
    "when",
];

const CLOSERS: &[char] = &['"', '\'', '”', '’', '»', ')', ']'];

/// Splits one line (`span` of `text`) into sentences.
pub fn split_sentences(text: &str, span: Span) -> Vec<Span> {
    let line = span.of(text);
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if !matches!(c, '.' | '!' | '?' | '…') {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len()
            && (matches!(chars[j].1, '.' | '!' | '?' | '…') || CLOSERS.contains(&chars[j].1))
        {
            j += 1;
        }
        let end = chars.get(j).map_or(line.len(), |&(b, _)| b);
        if j < chars.len() && !chars[j].1.is_whitespace() {
            i = j;
            continue;
        }
        let mut k = j;
        while k < chars.len() && chars[k].1.is_whitespace() {
            k += 1;
        }
        if k < chars.len() && ends_sentence(line, &chars, i, k) {
            out.push(Span::new(span.start + start, span.start + end));
            start = chars[k].0;
        }
        i = k.max(i + 1);
    }
    out.push(Span::new(span.start + start, span.end));
    out.into_iter()
        .map(|s| trim(text, s))
        .filter(|s| s.start < s.end)
        .collect()
}

/// Whether the terminator at `chars[at]` ends a sentence, the next one starting at `chars[next]`.
fn ends_sentence(line: &str, chars: &[(usize, char)], at: usize, next: usize) -> bool {
    let following = chars[next].1;
    if following.is_lowercase() {
        return false;
    }
    if chars[at].1 != '.' {
        return true;
    }
    // The word before the period.
    let mut w = at;
    while w > 0
        && !chars[w - 1].1.is_whitespace()
        && !matches!(chars[w - 1].1, '(' | '"' | '“' | '‘')
    {
        w -= 1;
    }
    let word = &line[chars[w].0..chars[at].0];
    let lower = word.to_lowercase();
    let next_word: String = line[chars[next].0..]
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return false;
    }
    if BEFORE_NUMBERS.contains(&lower.as_str()) {
        return !following.is_ascii_digit();
    }
    if matches!(lower.as_str(), "a.m" | "p.m") {
        // "at 5 p.m. Police said": a break, unless a time zone follows ("p.m. EST").
        return !(next_word.len() > 1 && next_word.chars().all(|c| c.is_uppercase()));
    }
    let starter =
        || STARTERS.contains(&next_word.to_lowercase().as_str()) && next_word.chars().count() > 1;
    if MAY_END.contains(&lower.as_str()) {
        return starter();
    }
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let dotted = word.contains('.')
        && word
            .split('.')
            .all(|p| p.chars().count() <= 2 && p.chars().all(char::is_alphabetic));
    if letters == 1 && word.chars().count() == 1 || dotted {
        // An initial ("K.") or a dotted acronym ("U.S."): a break only before a typical starter.
        return starter();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        split_sentences(text, Span::new(0, text.len()))
            .iter()
            .map(|s| s.of(text))
            .collect()
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        assert_eq!(
            split("U.S. Customs reported 4,000 arrests. Mr. Lu agreed."),
            ["U.S. Customs reported 4,000 arrests.", "Mr. Lu agreed."]
        );
        assert_eq!(
            split("By all accounts, K.C. had a pretty sweet deal. He made a living."),
            [
                "By all accounts, K.C. had a pretty sweet deal.",
                "He made a living."
            ]
        );
        assert_eq!(
            split("His first choice was the U.S. It's his dream."),
            ["His first choice was the U.S.", "It's his dream."]
        );
    }

    #[test]
    fn numbers_quotes_no_companies_and_times_end_sentences() {
        for (text, n) in [
            ("Inflation rose to 3.2. Analysts expect more.", 2),
            ("She said, \"No.\" Then she left.", 2),
            ("The answer was no. Officials said so.", 2),
            ("Apple Inc. The company said so.", 2),
            ("It happened at 5 p.m. Police said so.", 2),
            ("It starts at 5 p.m. EST on Monday.", 1),
            ("He is No. 5 in the world.", 1),
            ("Apple Inc. Chief Tim Cook spoke.", 1),
            (
                "Sign up closes on Dec. 15, Governor Gavin Newsom warned.",
                1,
            ),
        ] {
            assert_eq!(split(text).len(), n, "{text}: {:?}", split(text));
        }
        assert_eq!(
            split("Inflation rose to 3.2. Analysts expect more."),
            ["Inflation rose to 3.2.", "Analysts expect more."]
        );
    }

    #[test]
    fn quotes_stay_with_their_sentence() {
        assert_eq!(
            split("He said: “We must leave.” Then he left! Why? Nobody knows."),
            [
                "He said: “We must leave.”",
                "Then he left!",
                "Why?",
                "Nobody knows."
            ]
        );
        assert_eq!(
            split("It cost U.S.$160 billion. The bank said so."),
            ["It cost U.S.$160 billion.", "The bank said so."]
        );
    }
}
