//! Grouping the mentions of one article into entities ("Emily Feng", "Feng", "FENG" are one PER;
//! "Chinese Communist Party" and "CCP" one ORG).

use std::collections::HashMap;

use super::RawMention;

/// Mentions of one entity, with the name and label decided from them.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Indices into the mention list, in text order.
    pub members: Vec<usize>,
    /// Canonical name.
    pub name: String,
    /// Label with the largest summed score over the members.
    pub label: String,
}

/// Second words that make "X County" the same place as "X".
const ADMIN_SUFFIXES: &[&str] = &[
    "county",
    "province",
    "city",
    "district",
    "prefecture",
    "region",
    "state",
    "municipality",
];

/// A mention's comparison key: lower case, no possessive, no leading "the", single spaces.
pub fn key(text: &str) -> String {
    let mut t = text.trim().to_lowercase();
    for suffix in ["'s", "’s", "'", "’"] {
        if let Some(s) = t.strip_suffix(suffix) {
            t = s.to_string();
            break;
        }
    }
    let t = t.strip_prefix("the ").unwrap_or(&t).to_string();
    if is_acronym(text.trim()) {
        return t.replace('.', "");
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Display form: the text without a trailing possessive.
fn display(text: &str) -> &str {
    ["'s", "’s"]
        .iter()
        .find_map(|s| text.strip_suffix(s))
        .unwrap_or(text)
        .trim()
}

fn initials(key: &str) -> String {
    key.split([' ', '-'])
        .filter(|w| !w.is_empty() && !matches!(*w, "of" | "the" | "and" | "for" | "&"))
        .filter_map(|w| w.chars().next())
        .collect()
}

fn is_acronym(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| *c != '.').collect();
    (2..=6).contains(&letters.len()) && letters.iter().all(|c| c.is_uppercase())
}

/// Groups `mentions` (with their texts). With `parts`, a single word also joins a longer name
/// it is part of ("Feng" -> "Emily Feng"): right within one article, too loose across articles.
/// With `parts`, a name of two or more words also joins a longer name it ends ("Federal Reserve"
/// -> "US Federal Reserve"): across articles this joined different things ("Environmental
/// Protection Agency" -> China's "State Environmental Protection Agency").
///
/// Labels must agree. A short name joins the nearest full name mentioned before it (after it only
/// when none comes before), so "Feng" after "David Feng" is David's even if "Emily Feng" came first.
pub fn group_mentions(mentions: &[RawMention], texts: &[&str], parts: bool) -> Vec<Group> {
    group_weighted(mentions, texts, parts, None)
}

/// Groups distinct names across articles (never by parts): `mentions[i]` stands for `weights[i]`
/// occurrences of `texts[i]` (for the choice of the canonical name), its score is its summed
/// mention count (for the label vote) and its span's start is its first occurrence.
pub fn group_names(mentions: &[RawMention], texts: &[&str], weights: &[usize]) -> Vec<Group> {
    group_weighted(mentions, texts, false, Some(weights))
}

fn group_weighted(
    mentions: &[RawMention],
    texts: &[&str],
    parts: bool,
    weights: Option<&[usize]>,
) -> Vec<Group> {
    let keys: Vec<String> = texts.iter().map(|t| key(t)).collect();
    let words = |i: usize| keys[i].split(' ').count();
    let mut order: Vec<usize> = (0..mentions.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(words(i)), mentions[i].span.start));

    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_key: HashMap<(&str, &str), usize> = HashMap::new();
    // Longer names indexed by what may abbreviate them: (word or initials, label) -> (group, mention).
    let mut by_part: HashMap<(String, &str), Vec<(usize, usize)>> = HashMap::new();
    let mut by_initials: HashMap<(String, &str), Vec<(usize, usize)>> = HashMap::new();
    // Names of 3+ words indexed by their last words, 2 or more ("Communist Party" ->
    // "Chinese Communist Party").
    let mut by_suffix: HashMap<(&str, &str), Vec<(usize, usize)>> = HashMap::new();
    for &i in &order {
        let k = keys[i].as_str();
        let label = mentions[i].label.as_str();
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        if parts && words(i) == 1 {
            candidates.extend(by_part.get(&(k.to_string(), label)).into_iter().flatten());
        }
        if parts {
            candidates.extend(by_suffix.get(&(k, label)).into_iter().flatten());
        }
        if is_acronym(display(texts[i])) {
            let bare = (k.replace('.', ""), label);
            candidates.extend(by_initials.get(&bare).into_iter().flatten());
        }
        let start = mentions[i].span.start;
        let nearest = candidates
            .into_iter()
            .min_by_key(|&(_, m)| {
                let a = mentions[m].span.start;
                if a <= start {
                    (0, start - a)
                } else {
                    (1, a - start)
                }
            })
            .map(|(g, _)| g);
        let g = nearest
            .or_else(|| by_key.get(&(k, label)).copied())
            .unwrap_or_else(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
        groups[g].push(i);
        by_key.entry((k, label)).or_insert(g);
        if words(i) > 1 {
            by_initials
                .entry((initials(k), label))
                .or_default()
                .push((g, i));
            for part in abbreviations(k, label == "PER") {
                by_part.entry((part, label)).or_default().push((g, i));
            }
            let spaces: Vec<usize> = k.match_indices(' ').map(|(at, _)| at).collect();
            for &at in &spaces[..spaces.len() - 1] {
                by_suffix
                    .entry((&k[at + 1..], label))
                    .or_default()
                    .push((g, i));
            }
        }
    }

    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|mut members| {
            members.sort_by_key(|&m| mentions[m].span.start);
            Group {
                name: canonical(&members, texts, weights),
                label: vote(&members, mentions),
                members,
            }
        })
        .collect();
    out.sort_by_key(|g| mentions[g.members[0]].span.start);
    out
}

/// The single words that stand for the longer name `full`: a person's first or last name
/// ("Feng" -> "Emily Feng"), or a place without its suffix ("Lianjiang" -> "Lianjiang County").
fn abbreviations(full: &str, person: bool) -> Vec<String> {
    let ws: Vec<&str> = full.split(' ').collect();
    let (first, last) = (ws[0], ws[ws.len() - 1]);
    if person {
        vec![first.to_string(), last.to_string()]
    } else if ws.len() == 2 && ADMIN_SUFFIXES.contains(&last) {
        vec![first.to_string()]
    } else {
        Vec::new()
    }
}

fn canonical(members: &[usize], texts: &[&str], weights: Option<&[usize]>) -> String {
    let mut freq: HashMap<&str, usize> = HashMap::new();
    for &m in members {
        *freq.entry(display(texts[m])).or_default() += weights.map_or(1, |w| w[m]);
    }
    let best = members
        .iter()
        .map(|&m| display(texts[m]))
        .max_by_key(|t| {
            let n_words = key(t).split(' ').count();
            let shouting = t.chars().any(char::is_lowercase)
                || t.chars().filter(|c| c.is_alphabetic()).count() < 2;
            (n_words, shouting, freq[t], std::cmp::Reverse(*t))
        })
        .unwrap_or("");
    best.to_string()
}

fn vote(members: &[usize], mentions: &[RawMention]) -> String {
    let mut score: HashMap<&str, f32> = HashMap::new();
    for &m in members {
        *score.entry(mentions[m].label.as_str()).or_default() += mentions[m].score;
    }
    let mut pairs: Vec<(&str, f32)> = score.into_iter().collect();
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    pairs.first().map(|p| p.0.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Span;

    fn find(text: &str, items: &[(&str, &str)]) -> (Vec<RawMention>, Vec<String>) {
        let mut from = 0;
        let mut out = Vec::new();
        let mut texts = Vec::new();
        for (m, label) in items {
            let s = from + text[from..].find(m).unwrap();
            out.push(RawMention {
                span: Span::new(s, s + m.len()),
                label: label.to_string(),
                score: 0.9,
            });
            texts.push(m.to_string());
            from = s + m.len();
        }
        (out, texts)
    }

    fn groups_of(text: &str, items: &[(&str, &str)]) -> Vec<(String, String, usize)> {
        let (m, t) = find(text, items);
        let texts: Vec<&str> = t.iter().map(String::as_str).collect();
        group_mentions(&m, &texts, true)
            .into_iter()
            .map(|g| (g.name, g.label, g.members.len()))
            .collect()
    }

    fn g(name: &str, label: &str, n: usize) -> (String, String, usize) {
        (name.to_string(), label.to_string(), n)
    }

    #[test]
    fn a_short_name_joins_the_nearest_full_name_before_it() {
        let text = "Emily Feng met David Feng. Feng said yes. Later Emily Feng spoke. Feng left. \
                    George Bush and Laura Bush came. Bush waved.";
        let got = groups_of(
            text,
            &[
                ("Emily Feng", "PER"),
                ("David Feng", "PER"),
                ("Feng", "PER"),
                ("Emily Feng", "PER"),
                ("Feng", "PER"),
                ("George Bush", "PER"),
                ("Laura Bush", "PER"),
                ("Bush", "PER"),
            ],
        );
        assert_eq!(
            got,
            [
                g("Emily Feng", "PER", 3),
                g("David Feng", "PER", 2),
                g("George Bush", "PER", 1),
                g("Laura Bush", "PER", 2)
            ]
        );
    }

    #[test]
    fn labels_must_agree() {
        let text = "Uma Singh flew to the US. Michael Jordan visited JORDAN. Jordan smiled.";
        let got = groups_of(
            text,
            &[
                ("Uma Singh", "PER"),
                ("US", "LOC"),
                ("Michael Jordan", "PER"),
                ("JORDAN", "LOC"),
                ("Jordan", "PER"),
            ],
        );
        assert_eq!(
            got,
            [
                g("Uma Singh", "PER", 1),
                g("US", "LOC", 1),
                g("Michael Jordan", "PER", 2),
                g("JORDAN", "LOC", 1)
            ]
        );
    }

    #[test]
    fn the_end_of_a_longer_name_joins_it_within_an_article_only() {
        let text = "The US Federal Reserve met. The Federal Reserve Bank of Boston did not. \
                    The Federal Reserve said no. Robert De Niro and Pete De Niro. De Niro left.";
        let items = [
            ("US Federal Reserve", "ORG"),
            ("Federal Reserve Bank of Boston", "ORG"),
            ("Federal Reserve", "ORG"),
            ("Robert De Niro", "PER"),
            ("Pete De Niro", "PER"),
            ("De Niro", "PER"),
        ];
        assert_eq!(
            groups_of(text, &items),
            [
                g("US Federal Reserve", "ORG", 2),
                g("Federal Reserve Bank of Boston", "ORG", 1),
                g("Robert De Niro", "PER", 1),
                g("Pete De Niro", "PER", 2)
            ]
        );
        // Across articles (the report) a name never joins a longer one it ends: the US EPA is not
        // China's State Environmental Protection Agency.
        let text = "State Environmental Protection Agency. Environmental Protection Agency. \
                    US Federal Reserve. Federal Reserve.";
        let (m, t) = find(
            text,
            &[
                ("State Environmental Protection Agency", "ORG"),
                ("Environmental Protection Agency", "ORG"),
                ("US Federal Reserve", "ORG"),
                ("Federal Reserve", "ORG"),
            ],
        );
        let texts: Vec<&str> = t.iter().map(String::as_str).collect();
        assert_eq!(group_names(&m, &texts, &[1; 4]).len(), 4);
    }

    #[test]
    fn dotted_and_plain_acronyms_are_one() {
        let text = "K.C. Lee ran. KC said no. K.C. said yes.";
        let got = groups_of(text, &[("K.C.", "PER"), ("KC", "PER"), ("K.C.", "PER")]);
        assert_eq!(got, [g("K.C.", "PER", 3)]);
    }

    #[test]
    fn names_surnames_capitals_and_acronyms_group() {
        let text = "NPR's Emily Feng reports. FENG: The Chinese Communist Party (CCP) said no. Feng met Ying Cao. Cao left. The CCP's rule.";
        let (m, t) = find(
            text,
            &[
                ("NPR", "ORG"),
                ("Emily Feng", "PER"),
                ("FENG", "PER"),
                ("Chinese Communist Party", "ORG"),
                ("CCP", "ORG"),
                ("Feng", "PER"),
                ("Ying Cao", "PER"),
                ("Cao", "PER"),
                ("CCP's", "ORG"),
            ],
        );
        let texts: Vec<&str> = t.iter().map(String::as_str).collect();
        let groups = group_mentions(&m, &texts, true);
        let names: Vec<(&str, usize)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.members.len()))
            .collect();
        assert_eq!(
            names,
            [
                ("NPR", 1),
                ("Emily Feng", 3),
                ("Chinese Communist Party", 3),
                ("Ying Cao", 2)
            ]
        );
        assert!(groups.iter().all(|g| !g.label.is_empty()));
    }
}
