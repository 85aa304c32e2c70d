//! Text: spans of the original article, sentence splitting, site-chrome lines, char offsets.
//!
//! Everything here works in byte offsets of the untouched text; [`CharIndex`] converts them to
//! Unicode scalar offsets at the output edge.

mod chrome;
mod sentences;

pub use chrome::ChromeRules;
pub use sentences::split_sentences;

/// A byte range `start..end` of the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (bytes).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The spanned text.
    pub fn of<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }

    /// Whether `other` lies inside this span.
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// An article cut into content sentences and site-chrome lines.
#[derive(Debug, Clone, Default)]
pub struct Segmented {
    /// Sentences of article content, in order.
    pub sentences: Vec<Span>,
    /// Lines recognised as site chrome: kept out of annotation, reported in the output.
    pub chrome: Vec<Span>,
}

/// Cuts `text` into lines, marks chrome lines, and splits the other lines into sentences.
pub fn segment(text: &str, chrome: &ChromeRules) -> Segmented {
    let mut out = Segmented::default();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let span = trim(text, Span::new(start, start + line.len()));
        start += line.len();
        if span.start == span.end {
            continue;
        }
        if chrome.is_chrome(span.of(text)) {
            out.chrome.push(span);
        } else {
            out.sentences.extend(split_sentences(text, span));
        }
    }
    out
}

/// Shrinks a span to exclude surrounding white space.
pub fn trim(text: &str, span: Span) -> Span {
    let s = span.of(text);
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead == s.len() {
        return Span::new(span.start, span.start);
    }
    Span::new(span.start + lead, span.end - trail)
}

/// Converts byte offsets of one text to Unicode scalar (char) offsets.
pub struct CharIndex {
    ascii: bool,
    bytes: usize,
    /// `chars[b]` = number of chars before byte `b`, for every char boundary.
    chars: Vec<u32>,
}

impl CharIndex {
    /// Builds the index for `text`.
    pub fn new(text: &str) -> Self {
        if text.is_ascii() {
            return CharIndex {
                ascii: true,
                bytes: text.len(),
                chars: Vec::new(),
            };
        }
        let mut chars = vec![0u32; text.len() + 1];
        let mut n = 0u32;
        for (b, c) in text.char_indices() {
            for slot in &mut chars[b..b + c.len_utf8()] {
                *slot = n;
            }
            n += 1;
        }
        chars[text.len()] = n;
        CharIndex {
            ascii: false,
            bytes: text.len(),
            chars,
        }
    }

    /// Byte offset of char offset `c`, if within the text.
    pub fn byte_of(&self, c: usize) -> Option<usize> {
        if self.ascii {
            return (c <= self.bytes).then_some(c);
        }
        let last = *self.chars.last()? as usize;
        if c > last {
            return None;
        }
        let b = self.chars.partition_point(|&n| (n as usize) < c);
        Some(b)
    }

    /// Char offset of byte offset `b` (which must be a char boundary).
    pub fn char_of(&self, b: usize) -> usize {
        if self.ascii {
            b
        } else {
            self.chars[b] as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_count_scalar_values() {
        let text = "é 北京 🙂 Feng";
        let idx = CharIndex::new(text);
        let b = text.find("Feng").unwrap();
        assert_eq!(idx.char_of(b), 7);
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(chars[7..11].iter().collect::<String>(), "Feng");
    }

    #[test]
    fn chrome_lines_are_kept_apart_from_sentences() {
        let text =
            "Play Live Radio\nNext Up:\n0:00 0:00\nMr. Lu left China. He went to Thailand.\n";
        let seg = segment(text, &ChromeRules::default());
        let chrome: Vec<&str> = seg.chrome.iter().map(|s| s.of(text)).collect();
        assert_eq!(chrome, ["Play Live Radio", "Next Up:", "0:00 0:00"]);
        let sents: Vec<&str> = seg.sentences.iter().map(|s| s.of(text)).collect();
        assert_eq!(sents, ["Mr. Lu left China.", "He went to Thailand."]);
    }
}
