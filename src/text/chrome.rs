//! Site chrome: whole lines that belong to the web page, not to the article.
//!
//! A line is chrome when, trimmed, it matches one of the rules: case-insensitive regular
//! expressions anchored at both ends, and it is short (at most [`MAX_CHROME_CHARS`] chars): a
//! rule names a whole boilerplate line, never a sentence of prose. The defaults cover players, share buttons, sign-up forms
//! and copyright lines; `--chrome-rules FILE` adds rules (one a line, `#` for comments) and
//! `--keep-chrome` turns the check off.

use std::path::Path;

use regex::{RegexSet, RegexSetBuilder};

/// The default rules.
pub const DEFAULT_RULES: &[&str] = &[
    r"(\d{1,2}:\d{2}\s*)+",
    r"play live radio",
    r"next up:?",
    r"available on air stations",
    r"listen( live)?( · \d+:\d+)?",
    r"share( this)?( article| story| on \w+)?",
    r"sign up( now)? (to|for) (receive |get )?(our|the|a|free)?\s?[\w' ]{0,40}(newsletters?|news|updates|e-?mails?|alerts?|digest|briefing)[!.]?",
    r"by submitting this form,? (you|i) (agree|consent)[^.!?]{0,160}[.!]?",
    r"(©|\(c\)|copyright( ©)?)\s*\d{4}(\s*[-–]\s*\d{4})?(\s+[\w&'’.-]+){0,6}(,? (inc|llc|ltd)\.?)?(\s*all rights reserved\.?)?",
    r"real\. reliable\.[\w .,']{0,60}",
    r"(advertisement|skip to (main )?content|read more|related( stories| articles)?|subscribe( now)?|comments?|print|email|close)",
    r"transcript provided by [\w .,&'’-]{1,60}",
    // A line without a letter or a digit: a separator ("* * *", "—"), bullets, invisible
    // characters. It has no words for a model to read.
    r"[^\p{L}\p{N}]+",
];

/// Longer lines are never chrome, whatever the rules say.
pub const MAX_CHROME_CHARS: usize = 160;

/// The rules that tell chrome lines.
#[derive(Debug, Clone)]
pub struct ChromeRules {
    set: Option<RegexSet>,
}

impl Default for ChromeRules {
    fn default() -> Self {
        Self::new(DEFAULT_RULES.iter().map(|s| s.to_string()).collect())
            .expect("default chrome rules compile")
    }
}

impl ChromeRules {
    /// Rules from patterns (each anchored and made case-insensitive here).
    pub fn new(patterns: Vec<String>) -> Result<Self, regex::Error> {
        let anchored: Vec<String> = patterns.iter().map(|p| format!("(?i)^(?:{p})$")).collect();
        let set = RegexSetBuilder::new(anchored)
            .size_limit(64 << 20)
            .build()?;
        Ok(ChromeRules { set: Some(set) })
    }

    /// No line is chrome.
    pub fn none() -> Self {
        ChromeRules { set: None }
    }

    /// The defaults plus the rules in `path`; errors name the file and line.
    pub fn with_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read chrome rules: {e}", path.display()))?;
        let mut patterns: Vec<String> = DEFAULT_RULES.iter().map(|s| s.to_string()).collect();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            regex::Regex::new(line).map_err(|e| {
                format!(
                    "{}:{}: not a valid regular expression: {e}",
                    path.display(),
                    n + 1
                )
            })?;
            patterns.push(line.to_string());
        }
        Self::new(patterns).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Whether a trimmed line is chrome.
    pub fn is_chrome(&self, line: &str) -> bool {
        let line = line.trim();
        line.chars().count() <= MAX_CHROME_CHARS
            && self.set.as_ref().is_some_and(|s| s.is_match(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_chrome_lines_match_and_content_does_not() {
        let rules = ChromeRules::default();
        for line in [
            "Play Live Radio",
            "0:00 0:00",
            "Sign up to receive our latest news!",
            "By submitting this form, I agree to the terms.",
            "© 2024 Texas Public Radio",
            "Share",
            "Sign up for our daily newsletter",
            "(c) 2024 Reuters. All rights reserved.",
            "Copyright 2023-2024 The Epoch Times",
            "Transcript provided by NPR, Copyright NPR.",
            "* * *",
            "—",
            "\u{200b}\u{200b}",
        ] {
            assert!(rules.is_chrome(line), "{line}");
        }
        for line in [
            "Different Routes",
            "Emily Feng is NPR's Beijing correspondent.",
            "Share prices fell 3% on Monday.",
            "Sign up for health insurance closes on Dec. 15, Governor Gavin Newsom warned.",
            "(c) 2024 was the year the company finally turned a profit, its chief executive said, \
             after a decade of losses that had worried investors and regulators alike.",
            "© 2024 marked a turning point for the region, officials said.",
            "Sign up to the army was compulsory for men over 18, the law said.",
            "2024",
            "— Ying Cao",
        ] {
            assert!(!rules.is_chrome(line), "{line}");
        }
        assert!(!ChromeRules::none().is_chrome("Play Live Radio"));
    }
}
