//! Flat CSV tables for pandas, polars, DuckDB and spreadsheets: one row per document, entity,
//! mention and sentence, each with the document id and the grouping field.

use crate::schema::Annotation;

use super::field;

type Table = (&'static str, String);

fn csv_of(header: &[&str], rows: Vec<Vec<String>>) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| e.to_string())?;
    for r in rows {
        w.write_record(&r).map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

/// The four tables as (file name, CSV text).
pub fn tables(annotations: &[Annotation], by: &str) -> Result<Vec<Table>, String> {
    let (mut docs, mut ents, mut ments, mut sents) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for a in annotations {
        let text = |f: &str| field(a, f).unwrap_or_default();
        let (group, source) = (text(by), text("source"));
        let p = &a.sentiment.probabilities;
        docs.push(vec![
            a.id.clone(),
            group.clone(),
            source.clone(),
            text("title"),
            text("date"),
            a.chars.to_string(),
            a.sentences.len().to_string(),
            a.entities.len().to_string(),
            a.sentiment.label.clone(),
            a.sentiment.score.to_string(),
            p.negative.to_string(),
            p.neutral.to_string(),
            p.positive.to_string(),
        ]);
        for (i, e) in a.entities.iter().enumerate() {
            ents.push(vec![
                a.id.clone(),
                group.clone(),
                source.clone(),
                i.to_string(),
                e.text.clone(),
                e.label.clone(),
                e.count.to_string(),
                e.salience.to_string(),
                e.sentiment.label.clone(),
                e.sentiment.score.to_string(),
            ]);
            for m in &e.mentions {
                ments.push(vec![
                    a.id.clone(),
                    group.clone(),
                    source.clone(),
                    i.to_string(),
                    e.text.clone(),
                    m.label.clone(),
                    m.start.to_string(),
                    m.end.to_string(),
                    m.text.clone(),
                    m.score.to_string(),
                    m.sentence.to_string(),
                    m.sentiment.to_string(),
                ]);
            }
        }
        for (i, s) in a.sentences.iter().enumerate() {
            let p = &s.sentiment.probabilities;
            sents.push(vec![
                a.id.clone(),
                group.clone(),
                source.clone(),
                i.to_string(),
                s.start.to_string(),
                s.end.to_string(),
                s.sentiment.label.clone(),
                s.sentiment.score.to_string(),
                p.negative.to_string(),
                p.neutral.to_string(),
                p.positive.to_string(),
                s.text.clone(),
            ]);
        }
    }
    Ok(vec![
        (
            "documents.csv",
            csv_of(
                &[
                    "id",
                    "group",
                    "source",
                    "title",
                    "date",
                    "chars",
                    "sentences",
                    "entities",
                    "sentiment_label",
                    "sentiment_score",
                    "p_negative",
                    "p_neutral",
                    "p_positive",
                ],
                docs,
            )?,
        ),
        (
            "entities.csv",
            csv_of(
                &[
                    "id",
                    "group",
                    "source",
                    "entity_index",
                    "entity",
                    "label",
                    "count",
                    "salience",
                    "sentiment_label",
                    "sentiment_score",
                ],
                ents,
            )?,
        ),
        (
            "mentions.csv",
            csv_of(
                &[
                    "id",
                    "group",
                    "source",
                    "entity_index",
                    "entity",
                    "label",
                    "start",
                    "end",
                    "text",
                    "score",
                    "sentence",
                    "sentiment_score",
                ],
                ments,
            )?,
        ),
        (
            "sentences.csv",
            csv_of(
                &[
                    "id",
                    "group",
                    "source",
                    "sentence",
                    "start",
                    "end",
                    "sentiment_label",
                    "sentiment_score",
                    "p_negative",
                    "p_neutral",
                    "p_positive",
                    "text",
                ],
                sents,
            )?,
        ),
    ])
}
