//! BIO labels, constrained Viterbi decoding, and tokens merged into mention spans.

use super::RawMention;
use crate::model::Tokenized;
use crate::text::Span;

/// One label of the model, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// Outside any entity.
    Outside,
    /// First token of an entity of this type.
    Begin(String),
    /// Later token of an entity of this type (also the IO scheme's only form).
    Inside(String),
}

/// The label set of a token-classification model.
#[derive(Debug, Clone)]
pub struct Scheme {
    tags: Vec<Tag>,
    /// `allowed[prev * n + cur]`: whether `cur` may follow `prev`.
    allowed: Vec<bool>,
    start_allowed: Vec<bool>,
    /// Entity types (`PER`, `ORG`, ...), sorted; `type_of[label]` indexes them (`None` for `O`).
    types: Vec<String>,
    type_of: Vec<Option<usize>>,
}

impl Scheme {
    /// Parses labels such as `O`, `B-PER`, `I-PER` (or IO labels like `PER`).
    pub fn new(labels: &[String]) -> Self {
        let tags: Vec<Tag> = labels
            .iter()
            .map(|l| {
                let (prefix, kind) = match l.split_once(['-', '_']) {
                    Some((p, k)) if p.len() == 1 => (p.to_ascii_uppercase(), k.to_string()),
                    _ => (String::new(), l.clone()),
                };
                match prefix.as_str() {
                    _ if l == "O" => Tag::Outside,
                    "B" | "S" => Tag::Begin(kind),
                    _ => Tag::Inside(kind),
                }
            })
            .collect();
        let has_begin = tags.iter().any(|t| matches!(t, Tag::Begin(_)));
        let n = tags.len();
        let ok = |prev: Option<&Tag>, cur: &Tag| match cur {
            Tag::Inside(k) if has_begin => {
                matches!(prev, Some(Tag::Begin(p)) | Some(Tag::Inside(p)) if p == k)
            }
            _ => true,
        };
        let mut allowed = vec![false; n * n];
        for (p, pt) in tags.iter().enumerate() {
            for (c, ct) in tags.iter().enumerate() {
                allowed[p * n + c] = ok(Some(pt), ct);
            }
        }
        let start_allowed = tags.iter().map(|t| ok(None, t)).collect();
        let kind = |t: &Tag| match t {
            Tag::Begin(k) | Tag::Inside(k) => Some(k.clone()),
            Tag::Outside => None,
        };
        let mut types: Vec<String> = tags.iter().filter_map(kind).collect();
        types.sort_unstable();
        types.dedup();
        let type_of = tags
            .iter()
            .map(|t| kind(t).and_then(|k| types.iter().position(|x| *x == k)))
            .collect();
        Scheme {
            tags,
            allowed,
            start_allowed,
            types,
            type_of,
        }
    }

    /// The label a word of entity type `t` gets: `B-` for a first word (`I-` in an IO scheme),
    /// `I-` after.
    fn label_of(&self, t: usize, first: bool) -> Option<usize> {
        let find = |begin: bool| {
            self.tags.iter().position(|tag| match tag {
                Tag::Begin(k) => begin && *k == self.types[t],
                Tag::Inside(k) => !begin && *k == self.types[t],
                Tag::Outside => false,
            })
        };
        if first {
            find(true).or_else(|| find(false))
        } else {
            find(false)
        }
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The tag of label index `i`.
    pub fn tag(&self, i: usize) -> &Tag {
        &self.tags[i]
    }

    /// The most probable label sequence in which every `I-X` follows `B-X` or `I-X`.
    /// `probs` is `[token][label]`, flat.
    pub fn viterbi(&self, probs: &[f32]) -> Vec<usize> {
        let n = self.tags.len();
        let t_len = probs.len() / n.max(1);
        if t_len == 0 {
            return Vec::new();
        }
        let lp = |x: f32| x.max(1e-12).ln();
        let mut score: Vec<f32> = (0..n)
            .map(|c| {
                if self.start_allowed[c] {
                    lp(probs[c])
                } else {
                    f32::NEG_INFINITY
                }
            })
            .collect();
        let mut back = vec![0u16; t_len * n];
        let mut next = vec![0f32; n];
        for t in 1..t_len {
            for c in 0..n {
                let (mut best, mut arg) = (f32::NEG_INFINITY, 0);
                for (p, &sp) in score.iter().enumerate() {
                    if self.allowed[p * n + c] && sp > best {
                        best = sp;
                        arg = p;
                    }
                }
                next[c] = best + lp(probs[t * n + c]);
                back[t * n + c] = arg as u16;
            }
            std::mem::swap(&mut score, &mut next);
        }
        let mut last = (0..n)
            .max_by(|&a, &b| score[a].total_cmp(&score[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        let mut out = vec![0; t_len];
        for t in (0..t_len).rev() {
            out[t] = last;
            last = back[t * n + last] as usize;
        }
        out
    }
}

/// `probs` (`[word][label]`, flat) with `O` weighed by `weight` and each row renormalised: what
/// Viterbi decodes (mention scores keep the model's own probabilities).
pub fn weigh_outside(scheme: &Scheme, weight: f32, probs: &[f32]) -> Vec<f32> {
    let n = scheme.len();
    let mut out = probs.to_vec();
    if weight == 1.0 || n == 0 {
        return out;
    }
    for row in out.chunks_mut(n) {
        for (l, p) in row.iter_mut().enumerate() {
            if *scheme.tag(l) == Tag::Outside {
                *p *= weight;
            }
        }
        let sum: f32 = row.iter().sum();
        row.iter_mut()
            .for_each(|p| *p /= sum.max(f32::MIN_POSITIVE));
    }
    out
}

/// Words that are never a mention on their own ("The" split off "The Epoch Times"); all but
/// "a" ("Serie A") never end one.
const FUNCTION_WORDS: &[&str] = &[
    "the", "a", "an", "of", "and", "in", "on", "at", "to", "for", "by", "from", "with",
];

/// Longest mention reported, in bytes: longer runs are not names (a 1,000,000-char "word").
pub const MAX_MENTION_BYTES: usize = 120;

/// What follows an apostrophe at the end of a name without being part of it ("Xi's", "Obama'd").
const CLITICS: &[&str] = &["s", "t", "d", "ll", "re", "ve", "m"];

/// Words as token ranges `[first, end)`: a piece and its `##` continuations.
pub fn words(tokens: &Tokenized) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (t, piece) in tokens.pieces.iter().enumerate() {
        match out.last_mut() {
            Some(last) if piece.starts_with("##") => last.1 = t + 1,
            _ => out.push((t, t + 1)),
        }
    }
    out
}

/// Turns per-word tags into mention spans of whole words, never overlapping.
pub fn spans(
    text: &str,
    tokens: &Tokenized,
    words: &[(usize, usize)],
    tags: &[usize],
    probs: &[f32],
    scheme: &Scheme,
) -> Vec<RawMention> {
    let n = scheme.len();
    let word_span =
        |w: usize| Span::new(tokens.spans[words[w].0].0, tokens.spans[words[w].1 - 1].1);
    // A mention never crosses a line break.
    let same_line = |w: usize| {
        !text
            .get(word_span(w - 1).end..word_span(w).start)
            .unwrap_or("\n")
            .contains('\n')
    };
    let mut out: Vec<RawMention> = Vec::new();
    let mut w = 0;
    while w < tags.len() {
        let kind = match scheme.tag(tags[w]) {
            Tag::Outside => {
                w += 1;
                continue;
            }
            Tag::Begin(k) | Tag::Inside(k) => k.clone(),
        };
        let first = w;
        let mut sum = probs[w * n + tags[w]];
        w += 1;
        while w < tags.len()
            && matches!(scheme.tag(tags[w]), Tag::Inside(k) if *k == kind)
            && same_line(w)
        {
            sum += probs[w * n + tags[w]];
            w += 1;
        }
        // A name does not end in a function word standing apart or a dash ("Great Firewall of",
        // "zero-"; "Xi'an" keeps its "an"): CoNLL-2003's training set has 1 such entity in
        // 23,499 ("Serie A" aside).
        let word = |w: usize| text.get(word_span(w).start..word_span(w).end).unwrap_or("");
        let joined = |a: usize| word_span(a).end == word_span(a + 1).start;
        let mut last = w - 1;
        while last > first && {
            let lower = word(last).to_lowercase();
            lower != "a" && FUNCTION_WORDS.contains(&lower.as_str()) && !joined(last - 1)
                || lower
                    .chars()
                    .all(|c| matches!(c, '-' | '\u{2013}' | '\u{2014}' | ',' | ':' | ';'))
        } {
            last -= 1;
        }
        // Nor at an apostrophe inside a word ("Xi'an" read as "Xi'"): the rest of the word joins
        // it when the model left it outside, unless it is a clitic ("Marianne's" -> "Marianne").
        if last > first && matches!(word(last), "'" | "\u{2019}" | "\u{2bc}") {
            let rest = (last + 1 < tags.len() && joined(last))
                .then(|| word(last + 1))
                .filter(|r| r.chars().all(char::is_alphabetic));
            match rest {
                Some(r)
                    if !CLITICS.contains(&r.to_lowercase().as_str())
                        && matches!(scheme.tag(tags[last + 1]), Tag::Outside) =>
                {
                    last += 1;
                    w = w.max(last + 1);
                }
                _ => last -= 1,
            }
        }
        // Nor does it start with a mark standing apart ("Mr. Wei" read as ". Wei").
        let mut start = first;
        while start < last
            && text
                .get(word_span(start).start..word_span(start + 1).start)
                .is_some_and(|x| {
                    x.ends_with(char::is_whitespace) && !x.chars().any(char::is_alphanumeric)
                })
        {
            start += 1;
        }
        let span = Span::new(word_span(start).start, word_span(last).end);
        let Some(s) = text.get(span.start..span.end) else {
            continue;
        };
        if span.end - span.start > MAX_MENTION_BYTES
            || !s.chars().any(char::is_alphanumeric)
            || FUNCTION_WORDS.contains(&s.to_lowercase().as_str())
        {
            continue;
        }
        let score = sum / (w - first) as f32;
        // "Xi" B-PER + "Jinping" B-PER, one space apart: one person.
        if let Some(prev) = out.last_mut().filter(|p: &&mut RawMention| {
            p.label == kind && kind == "PER" && text.get(p.span.end..span.start) == Some(" ")
        }) {
            if span.end - prev.span.start <= MAX_MENTION_BYTES {
                prev.span.end = span.end;
                prev.score = prev.score.min(score);
                continue;
            }
        }
        out.push(RawMention {
            span,
            label: kind,
            score,
        });
    }
    out
}

/// An article as decoding sees it: its text, tokens, words (token ranges) and each word's label
/// probabilities under `scheme`.
pub struct Article<'a> {
    /// The article's text.
    pub text: &'a str,
    /// Its tokens.
    pub tokens: &'a Tokenized,
    /// Words as token ranges ([`words`]).
    pub words: &'a [(usize, usize)],
    /// Label probabilities per word, `scheme.len()` a word.
    pub probs: &'a [f32],
    /// The labels.
    pub scheme: &'a Scheme,
}

/// One type per name in an article: a mention whose own type has less than `below` of its
/// probability takes the type with the most probability summed over every mention of the same
/// name ([`super::group::key`]; a word's B- and I- tags of a type count for it), so "Epoch Times"
/// read as ORG three times and, less surely, MISC once is ORG four times. A relabelled mention's
/// score is the mean probability of its tags under the new type.
pub fn consistent_types(below: f32, article: &Article, mentions: &mut [RawMention]) {
    let Article {
        text,
        tokens,
        words,
        probs,
        scheme,
    } = *article;
    let (n, n_types) = (scheme.len(), scheme.types.len());
    let starts: Vec<usize> = words.iter().map(|w| tokens.spans[w.0].0).collect();
    // Words of a mention: those starting inside its span.
    let words_of = |m: &RawMention| {
        starts.partition_point(|&s| s < m.span.start)..starts.partition_point(|&s| s < m.span.end)
    };
    // Each mention's probability per entity type, averaged over its words.
    let mass = |m: &RawMention| {
        let ws = words_of(m);
        let mut out = vec![0f32; n_types];
        for w in ws.clone() {
            for (l, t) in scheme.type_of.iter().enumerate() {
                if let Some(t) = t {
                    out[*t] += probs[w * n + l];
                }
            }
        }
        out.iter_mut().for_each(|x| *x /= ws.len().max(1) as f32);
        out
    };
    let masses: Vec<Vec<f32>> = mentions.iter().map(mass).collect();
    let keys: Vec<String> = mentions
        .iter()
        .map(|m| super::group::key(text.get(m.span.start..m.span.end).unwrap_or("")))
        .collect();
    let mut pooled: std::collections::HashMap<&str, Vec<f32>> = std::collections::HashMap::new();
    for (key, ms) in keys.iter().zip(&masses) {
        let acc = pooled.entry(key).or_insert_with(|| vec![0.0; n_types]);
        acc.iter_mut().zip(ms).for_each(|(a, x)| *a += x);
    }
    for ((m, own), key) in mentions.iter_mut().zip(&masses).zip(&keys) {
        let mine = scheme.types.iter().position(|t| *t == m.label);
        if mine.map_or(0.0, |i| own[i]) >= below {
            continue;
        }
        let acc = &pooled[key.as_str()];
        let Some(best) = (0..n_types).max_by(|&a, &b| acc[a].total_cmp(&acc[b]).then(b.cmp(&a)))
        else {
            continue;
        };
        if Some(best) == mine {
            continue;
        }
        let ws = words_of(m);
        let sum: f32 = ws
            .clone()
            .enumerate()
            .filter_map(|(i, w)| scheme.label_of(best, i == 0).map(|l| probs[w * n + l]))
            .sum();
        m.label = scheme.types[best].clone();
        m.score = sum / ws.len().max(1) as f32;
    }
}

/// A person's last name, from a full name the article gives ("Emily Feng"), is that person where
/// it stands alone and capitalised outside any mention ("FENG:", "Feng said"), when the model
/// gives the word at least `min` of its probability as PER.
pub fn propagate_surnames(min: f32, article: &Article, mentions: &mut Vec<RawMention>) {
    let (text, scheme) = (article.text, article.scheme);
    let n = scheme.len();
    let Some(per) = scheme.types.iter().position(|t| t == "PER") else {
        return;
    };
    let surnames: std::collections::HashSet<String> = mentions
        .iter()
        .filter(|m| m.label == "PER")
        .filter_map(|m| {
            let mut parts = text.get(m.span.start..m.span.end)?.split_whitespace();
            let last = parts.next_back()?;
            (parts.next().is_some()
                && last.chars().count() > 1
                && last.chars().all(char::is_alphabetic))
            .then(|| last.to_lowercase())
        })
        .collect();
    if surnames.is_empty() {
        return;
    }
    let mut found = Vec::new();
    for (w, &(first, last)) in article.words.iter().enumerate() {
        let span = Span::new(
            article.tokens.spans[first].0,
            article.tokens.spans[last - 1].1,
        );
        let Some(word) = text.get(span.start..span.end) else {
            continue;
        };
        // Mentions are in text order and never overlap: the first one ending after the word's
        // start is the only one that can cover it.
        let next = mentions.partition_point(|m| m.span.end <= span.start);
        if !word.starts_with(char::is_uppercase)
            || mentions.get(next).is_some_and(|m| m.span.start < span.end)
            || !surnames.contains(&word.to_lowercase())
        {
            continue;
        }
        let p: f32 = (0..n)
            .filter(|&l| scheme.type_of[l] == Some(per))
            .map(|l| article.probs[w * n + l])
            .sum();
        if p >= min {
            found.push(RawMention {
                span,
                label: "PER".to_string(),
                score: p,
            });
        }
    }
    mentions.extend(found);
    mentions.sort_by_key(|m| m.span.start);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme() -> Scheme {
        Scheme::new(&["O", "B-PER", "I-PER", "B-ORG", "I-ORG"].map(String::from))
    }

    #[test]
    fn viterbi_repairs_an_inside_tag_without_begin() {
        let s = scheme();
        // token 0: O; token 1: I-PER most probable but B-PER close; token 2: I-PER.
        let probs = [
            0.9, 0.05, 0.03, 0.01, 0.01, 0.1, 0.35, 0.45, 0.05, 0.05, 0.05, 0.05, 0.85, 0.025,
            0.025,
        ];
        assert_eq!(s.viterbi(&probs), vec![0, 1, 2]);
    }

    #[test]
    fn weighing_outside_drops_an_unsure_mention_and_keeps_a_clear_one() {
        let s = scheme();
        // word 0: B-PER 0.6 against O 0.4 (unsure); word 1: O; word 2: B-ORG 0.9 against O 0.1.
        let probs = [
            0.4, 0.6, 0.0, 0.0, 0.0, 0.9, 0.05, 0.05, 0.0, 0.0, 0.1, 0.0, 0.0, 0.9, 0.0,
        ];
        assert_eq!(s.viterbi(&weigh_outside(&s, 1.0, &probs)), vec![1, 0, 3]);
        let weighed = weigh_outside(&s, 4.0, &probs);
        assert_eq!(s.viterbi(&weighed), vec![0, 0, 3]);
        for row in weighed.chunks(5) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
    }

    fn tokens(text: &str, pieces: &[&str]) -> Tokenized {
        // Pieces laid out over `text` in order (`##` pieces glued to the previous one).
        let lower = text.to_lowercase();
        let mut spans = Vec::new();
        let mut at = 0;
        for p in pieces {
            let bare = p.trim_start_matches("##");
            let start = lower[at..].find(bare).unwrap() + at;
            spans.push((start, start + bare.len()));
            at = start + bare.len();
        }
        Tokenized {
            ids: vec![0; pieces.len()],
            pieces: pieces.iter().map(|p| p.to_string()).collect(),
            spans,
        }
    }

    fn article<'a>(
        text: &'a str,
        tokens: &'a Tokenized,
        words: &'a [(usize, usize)],
        probs: &'a [f32],
        scheme: &'a Scheme,
    ) -> Article<'a> {
        Article {
            text,
            tokens,
            words,
            probs,
            scheme,
        }
    }

    /// The mentions' texts when the words of `text` (as `pieces`) are tagged `tags`, surely.
    fn found_in(text: &str, pieces: &[&str], tags: &[usize]) -> Vec<String> {
        let t = tokens(text, pieces);
        spans(text, &t, &words(&t), tags, &one_hot(tags, 5), &scheme())
            .iter()
            .map(|m| m.span.of(text).to_string())
            .collect()
    }

    fn one_hot(tags: &[usize], n: usize) -> Vec<f32> {
        tags.iter()
            .flat_map(|&t| (0..n).map(move |c| if c == t { 0.9 } else { 0.1 / (n - 1) as f32 }))
            .collect()
    }

    #[test]
    fn an_unsure_mention_takes_the_type_its_name_has_in_the_article() {
        // "Acme" as ORG twice (sure) and PER once (unsure); "Lee" as PER once, sure.
        let s = scheme();
        let text = "Acme rose . Acme fell . Acme won . Lee left";
        let t = tokens(
            text,
            &[
                "acme", "rose", ".", "acme", "fell", ".", "acme", "won", ".", "lee", "left",
            ],
        );
        let w = words(&t);
        let o = [0.98, 0.005, 0.005, 0.005, 0.005];
        let org = [0.01, 0.01, 0.0, 0.97, 0.01];
        let unsure_per = [0.05, 0.55, 0.0, 0.4, 0.0];
        let per = [0.0, 0.99, 0.0, 0.01, 0.0];
        let probs: Vec<f32> = [org, o, o, org, o, o, unsure_per, o, o, per, o].concat();
        let tags: Vec<usize> = probs
            .chunks(5)
            .map(|r| (0..5).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap())
            .collect();
        let article = article(text, &t, &w, &probs, &s);
        let mut m = spans(text, &t, &w, &tags, &probs, &s);
        let labels = |m: &[RawMention]| m.iter().map(|x| x.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&m), ["ORG", "ORG", "PER", "PER"]);
        consistent_types(0.95, &article, &mut m);
        assert_eq!(labels(&m), ["ORG", "ORG", "ORG", "PER"]);
        assert!((m[2].score - 0.4).abs() < 1e-6, "{}", m[2].score);
        // Only mentions below the bar vote themselves out: at 0.5 the 55% PER stays.
        let mut m = spans(text, &t, &w, &tags, &probs, &s);
        consistent_types(0.5, &article, &mut m);
        assert_eq!(labels(&m), ["ORG", "ORG", "PER", "PER"]);
    }

    #[test]
    fn a_label_change_inside_a_word_gives_one_mention() {
        // B-ORG on "mc", B-PER on "##donald": the word is decided by its first piece.
        let s = scheme();
        let text = "mcdonald said";
        let t = tokens(text, &["mc", "##donald", "said"]);
        let w = words(&t);
        assert_eq!(w, vec![(0, 2), (2, 3)]);
        let tags = [3, 0];
        let m = spans(text, &t, &w, &tags, &one_hot(&tags, 5), &s);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].span.of(text), "mcdonald");
        assert_eq!(m[0].label, "ORG");
    }

    #[test]
    fn mentions_never_overlap() {
        // "Imam Khomeini International Airport": PER on a word, then ORG from the same word on.
        let s = scheme();
        let text = "Imam Khomeini International Airport";
        let t = tokens(
            text,
            &["imam", "kh", "##ome", "##ini", "international", "airport"],
        );
        let w = words(&t);
        let tags = [0, 1, 4, 4];
        let m = spans(text, &t, &w, &tags, &one_hot(&tags, 5), &s);
        for pair in m.windows(2) {
            assert!(pair[0].span.end <= pair[1].span.start, "{m:?}");
        }
        assert_eq!(m[0].span.of(text), "Khomeini");
    }

    #[test]
    fn a_mention_never_ends_in_a_function_word_or_a_dash() {
        let s = scheme();
        let text = "the Great Firewall of China and zero - Covid";
        let t = tokens(
            text,
            &[
                "the", "great", "firewall", "of", "china", "and", "zero", "-", "co", "##vid",
            ],
        );
        let w = words(&t);
        // B-ORG I-ORG I-ORG on "Great Firewall of", B-ORG I-ORG on "zero -".
        let tags = [0, 3, 4, 4, 0, 0, 3, 4, 0];
        let m = spans(text, &t, &w, &tags, &one_hot(&tags, 5), &s);
        let found: Vec<&str> = m.iter().map(|m| m.span.of(text)).collect();
        assert_eq!(found, ["Great Firewall", "zero"]);
        // "Serie A" keeps its "A".
        assert_eq!(found_in("Serie A", &["serie", "a"], &[3, 4])[0], "Serie A");
    }

    #[test]
    fn a_name_is_not_cut_at_an_apostrophe_inside_a_word() {
        let xian = ["xi", "\u{2019}", "an", "fell"];
        // "an" is a function word, but not one standing apart.
        assert_eq!(
            found_in("Xi\u{2019}an fell", &xian, &[3, 4, 4, 0])[0],
            "Xi\u{2019}an"
        );
        // The model stopped at the apostrophe: the rest of the word joins.
        assert_eq!(
            found_in("Xi\u{2019}an fell", &xian, &[3, 4, 0, 0])[0],
            "Xi\u{2019}an"
        );
        // A clitic does not; nor does a word standing apart.
        let pieces = ["acme", "'", "s", "deal"];
        assert_eq!(found_in("Acme's deal", &pieces, &[3, 4, 0, 0])[0], "Acme");
        assert_eq!(found_in("Acme' s deal", &pieces, &[3, 4, 0, 0])[0], "Acme");
        assert_eq!(
            found_in("Acme' deal", &["acme", "'", "deal"], &[3, 4, 0])[0],
            "Acme"
        );
    }

    #[test]
    fn a_mention_never_starts_with_a_mark_standing_apart() {
        // "Mr. Wei" with the full stop read as B-PER: "Wei".
        assert_eq!(
            found_in("Mr. Wei", &["mr", ".", "wei"], &[0, 1, 2])[0],
            "Wei"
        );
        // A mark joined to the name stays: ".NET".
        assert_eq!(found_in(".NET", &[".", "net"], &[3, 4])[0], ".NET");
    }

    #[test]
    fn a_full_names_last_word_standing_alone_is_that_person() {
        let s = scheme();
        let text = "Emily Feng reports. FENG: Hello. Feng said so. feng is lower.";
        let pieces = [
            "emily", "feng", "reports", ".", "feng", ":", "hello", ".", "feng", "said", "so", ".",
            "feng", "is", "lower", ".",
        ];
        let t = tokens(text, &pieces);
        let w = words(&t);
        let mut tags = vec![0; w.len()];
        (tags[0], tags[1]) = (1, 2);
        // The model gives the capitalised "FENG" 10% PER and "Feng" 1%.
        let mut probs = one_hot(&tags, 5);
        probs[4 * 5..5 * 5].copy_from_slice(&[0.9, 0.1, 0.0, 0.0, 0.0]);
        probs[8 * 5..9 * 5].copy_from_slice(&[0.99, 0.01, 0.0, 0.0, 0.0]);
        let article = article(text, &t, &w, &probs, &s);
        let mut m = spans(text, &t, &w, &tags, &probs, &s);
        propagate_surnames(0.05, &article, &mut m);
        let found: Vec<(&str, &str)> = m
            .iter()
            .map(|m| (m.span.of(text), m.label.as_str()))
            .collect();
        assert_eq!(found, [("Emily Feng", "PER"), ("FENG", "PER")]);
        // With no gate every capitalised one counts; the lower-case one never does.
        let mut m = spans(text, &t, &w, &tags, &probs, &s);
        propagate_surnames(0.0, &article, &mut m);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn overlong_runs_are_not_mentions() {
        let s = scheme();
        let text = "x".repeat(1000);
        let t = tokens(&text, &[text.as_str()]);
        let w = words(&t);
        assert!(spans(&text, &t, &w, &[1], &one_hot(&[1], 5), &s).is_empty());
    }

    #[test]
    fn io_labels_parse_as_inside() {
        let s = Scheme::new(&["O", "PER", "LOC"].map(String::from));
        assert_eq!(s.tag(1), &Tag::Inside("PER".into()));
        assert_eq!(s.viterbi(&[0.1, 0.8, 0.1]), vec![1]);
    }
}
