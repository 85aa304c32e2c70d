//! One article between the model stages: its sentences, mentions and entities, and the
//! record they become once the models have scored them.

use crate::input::Article;
use crate::model::EntityTone;
use crate::ner::{group_mentions, RawMention};
use crate::schema::{
    Annotation, ChromeLine, Entity, Mention, Probabilities, RunMeta, SentenceAnnotation,
};
use crate::sentiment::entity::entity_tone;
use crate::sentiment::pronoun::{pronoun_mentions, Named};
use crate::sentiment::{aggregate, sentiment};
use crate::text::{CharIndex, Segmented, Span};

/// What a sentiment query is for: (document, sentence), or (document, sentence, the entities
/// whose marked mentions it scores).
pub(super) enum Owner {
    Sentence(usize, usize),
    Entities(usize, usize, Vec<usize>),
}

/// One article between the model stages.
pub(super) struct Doc {
    /// The article's content sentences and chrome lines.
    pub(super) seg: Segmented,
    /// Mentions in content sentences, in text order.
    pub(super) mentions: Vec<RawMention>,
    /// Each mention's sentence.
    pub(super) sentence_of: Vec<usize>,
    /// The mentions grouped into entities.
    pub(super) groups: Vec<crate::ner::Group>,
}

impl Doc {
    /// Each (entity group, sentence) once, with the group's first mention in that sentence;
    /// then `pronouns`, the (person, sentence, pronoun) of sentences naming a person only by
    /// pronoun (from [`Doc::pronouns`]).
    pub(super) fn entity_sentences(
        &self,
        pronouns: &[(usize, usize, Span)],
    ) -> Vec<(usize, usize, Span)> {
        let mut out = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            let mut seen = Vec::new();
            for &m in &group.members {
                let s = self.sentence_of[m];
                if !seen.contains(&s) {
                    seen.push(s);
                    out.push((g, s, self.mentions[m].span));
                }
            }
        }
        out.extend_from_slice(pronouns);
        out
    }

    /// Per sentence, each entity group it mentions with the group's first mention there, then
    /// the people it refers to by `pronouns` only.
    pub(super) fn sentence_entities(
        &self,
        pronouns: &[(usize, usize, Span)],
    ) -> Vec<Vec<(usize, Span)>> {
        let mut out = vec![Vec::new(); self.seg.sentences.len()];
        for (g, s, span) in self.entity_sentences(pronouns) {
            out[s].push((g, span));
        }
        out
    }

    /// (person group, sentence, pronoun span) for the sentences that refer to a person by a
    /// pronoun only, at most `reach` sentences after the person was last named.
    pub(super) fn pronouns(&self, text: &str, reach: usize) -> Vec<(usize, usize, Span)> {
        let named: Vec<Named> = self
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.label == "PER")
            .flat_map(|(g, group)| {
                group.members.iter().map(move |&m| Named {
                    span: self.mentions[m].span,
                    entity: g,
                    sentence: self.sentence_of[m],
                })
            })
            .collect();
        pronoun_mentions(text, &self.seg.sentences, &named, reach)
    }

    /// The article `text` cut into `seg`, with the mentions `found` in its content sentences
    /// (mentions in chrome lines are dropped) grouped into entities.
    pub(super) fn new(text: &str, seg: Segmented, found: Vec<RawMention>) -> Doc {
        let mut mentions = Vec::new();
        let mut sentence_of = Vec::new();
        for m in found {
            // The sentence holding the mention's start; mentions in chrome lines are dropped.
            let idx = seg.sentences.partition_point(|s| s.end <= m.span.start);
            if idx < seg.sentences.len() && seg.sentences[idx].start <= m.span.start {
                sentence_of.push(idx);
                mentions.push(m);
            }
        }
        let texts: Vec<&str> = mentions.iter().map(|m| m.span.of(text)).collect();
        let groups = group_mentions(&mentions, &texts, true);
        Doc {
            seg,
            mentions,
            sentence_of,
            groups,
        }
    }

    /// The article's record: sentences with their tone (`sentence_parts`: each sentence's
    /// model results and weights), entities with theirs (`entity_parts`: each entity's
    /// (sentence, result) pairs, read through `layer` when there is one).
    pub(super) fn annotation(
        self,
        article: &Article,
        sentence_parts: Vec<Vec<(Probabilities, f64)>>,
        entity_parts: Vec<Vec<(usize, Probabilities)>>,
        layer: Option<&EntityTone>,
        run: RunMeta,
    ) -> Annotation {
        let text = &article.text;
        let idx = CharIndex::new(text);
        let chars = |s: Span| (idx.char_of(s.start), idx.char_of(s.end));
        let sentence_probs: Vec<crate::schema::Sentiment> =
            sentence_parts.into_iter().map(aggregate).collect();
        let sentences: Vec<SentenceAnnotation> = self
            .seg
            .sentences
            .iter()
            .zip(&sentence_probs)
            .map(|(&s, sent)| {
                let (start, end) = chars(s);
                SentenceAnnotation {
                    start,
                    end,
                    text: s.of(text).to_string(),
                    sentiment: sent.clone(),
                }
            })
            .collect();
        let doc_sentiment = aggregate(
            self.seg
                .sentences
                .iter()
                .zip(&sentence_probs)
                .map(|(s, p)| (p.probabilities, (s.end - s.start) as f64)),
        );
        let len = text.len().max(1) as f64;
        let weight = |m: &RawMention| 1.0 + (1.0 - m.span.start as f64 / len);
        let total: f64 = self.mentions.iter().map(weight).sum::<f64>().max(1e-12);
        let mut entities: Vec<Entity> = self
            .groups
            .iter()
            .zip(entity_parts)
            .map(|(g, parts)| {
                // Per sentence: the targeted result, or else the sentence's own tone.
                let mut per_sentence: Vec<(usize, Probabilities)> = if parts.is_empty() {
                    g.members
                        .iter()
                        .map(|&m| {
                            (
                                self.sentence_of[m],
                                sentence_probs[self.sentence_of[m]].probabilities,
                            )
                        })
                        .collect()
                } else {
                    parts
                };
                per_sentence.sort_by_key(|p| p.0);
                per_sentence.dedup_by_key(|p| p.0);
                let score_in = |s: usize| {
                    per_sentence
                        .iter()
                        .find(|p| p.0 == s)
                        .map_or(0.0, |p| sentiment(p.1).score)
                };
                let mentions: Vec<Mention> = g
                    .members
                    .iter()
                    .map(|&m| {
                        let rm = &self.mentions[m];
                        let (start, end) = chars(rm.span);
                        Mention {
                            start,
                            end,
                            text: rm.span.of(text).to_string(),
                            label: rm.label.clone(),
                            score: (rm.score as f64 * 1e4).round() / 1e4,
                            sentence: self.sentence_of[m],
                            sentiment: score_in(self.sentence_of[m]),
                        }
                    })
                    .collect();
                let evidence: Vec<Probabilities> = per_sentence.iter().map(|p| p.1).collect();
                let salience = g
                    .members
                    .iter()
                    .map(|&m| weight(&self.mentions[m]))
                    .sum::<f64>()
                    / total;
                Entity {
                    text: g.name.clone(),
                    label: g.label.clone(),
                    salience: (salience * 1e4).round() / 1e4,
                    count: mentions.len(),
                    sentiment: entity_tone(layer, &evidence, &doc_sentiment.probabilities),
                    mentions,
                    evidence,
                }
            })
            .collect();
        entities.sort_by(|a, b| {
            b.salience
                .total_cmp(&a.salience)
                .then(a.mentions[0].start.cmp(&b.mentions[0].start))
        });
        let chrome = self
            .seg
            .chrome
            .iter()
            .map(|&s| {
                let (start, end) = chars(s);
                ChromeLine {
                    start,
                    end,
                    text: s.of(text).to_string(),
                }
            })
            .collect();
        Annotation {
            id: article.id.clone(),
            meta: article.meta.clone(),
            chars: idx.char_of(text.len()),
            text_hash: crate::schema::text_hash(text),
            sentiment: doc_sentiment,
            sentences,
            entities,
            chrome,
            run,
        }
    }
}
