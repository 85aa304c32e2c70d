//! Tone on news: a plain factual sentence is neutral; a sentence that praises or condemns is not;
//! the entity tone follows what the article says of the entity.

mod common;

use common::*;
use serde_json::{json, Value};

fn annotate_texts(texts: &[&str]) -> Vec<Value> {
    annotate_texts_with(texts, &[])
}

fn annotate_texts_with(texts: &[&str], extra: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let records: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"id": format!("t{i}"), "text": t}))
        .collect();
    write_jsonl(&input, &records);
    annotate_ok(&input, &dir.path().join("out.jsonl"), extra)
}

/// The entity of annotation `a` named `name` (its fullest name).
fn entity<'a>(a: &'a Value, name: &str) -> &'a Value {
    a["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"] == name)
        .unwrap_or_else(|| panic!("{name} not found: {a}"))
}

fn labels(annotations: &[Value]) -> Vec<String> {
    annotations
        .iter()
        .map(|a| {
            a["sentences"][0]["sentiment"]["label"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn plain_factual_news_sentences_are_neutral() {
    factual_sentences_are_neutral(&[]);
}

/// With the sentence model of `extra` (the shipped one when empty).
fn factual_sentences_are_neutral(extra: &[&str]) {
    // At most one miss (known weak spot: a bare profit figure reads as positive). A plant opening
    // is left out: news-sentiment annotation, financial sets included, calls it positive.
    let facts = [
        "The meeting is scheduled for Tuesday at the city hall.",
        "The company reported its third-quarter results on Thursday.",
        "The bill will be debated in the Senate next month.",
        "Officials said the bridge will reopen in March.",
        "The central bank publishes its interest rate decision every six weeks.",
        "The minister visited three provinces during the trip.",
        "The report was released by the statistics office on Monday.",
        "Voters in the district will choose a new mayor in November.",
        "The company's shares are listed on the Helsinki stock exchange.",
        "The contract covers the delivery of 20 trucks in 2025.",
        "Operating profit totalled EUR 12.3 million in the second quarter.",
        "The Finnish group employs around 3,000 people in 12 countries.",
        "The new unit will be located in the industrial park near the port.",
        "Net sales for the period were EUR 45 million.",
        "The agreement was signed in Stockholm on Friday.",
        "The committee will meet again in January to review the proposal.",
        "The survey was conducted among 1,200 adults in June.",
        "He was born in 1956 in a small village near Krakow.",
        "The building has 24 floors and a parking garage.",
    ];
    let got = labels(&annotate_texts_with(&facts, extra));
    let neutral = got.iter().filter(|l| *l == "neutral").count();
    assert!(
        neutral + 1 >= facts.len(),
        "{neutral} of {} factual sentences neutral: {got:?}",
        facts.len()
    );
}

#[test]
fn praise_and_condemnation_are_not_neutral() {
    praise_and_blame_are_not_neutral(&[]);
}

/// With the sentence model of `extra` (the shipped one when empty).
fn praise_and_blame_are_not_neutral(extra: &[&str]) {
    let neg = [
        "The attack killed dozens of civilians and left the town in ruins.",
        "Net loss widened as sales fell by 8.6 percent.",
        "The net loss widened to EUR 3.2 million from EUR 1.1 million.",
        "Sales fell by 8.6 % to EUR 95 million.",
        "Critics called the decision a disgraceful betrayal of the workers.",
    ];
    let pos = [
        "The rescue team was praised for its heroic and selfless work.",
        "Profits soared to a record high, beating every forecast.",
        "Operating profit rose to EUR 20 million from EUR 9 million a year earlier.",
        "Residents celebrated the new hospital, calling it a wonderful gift.",
    ];
    let got = labels(&annotate_texts_with(&neg, extra));
    assert!(got.iter().all(|l| l == "negative"), "{got:?}");
    let got = labels(&annotate_texts_with(&pos, extra));
    assert!(got.iter().all(|l| l == "positive"), "{got:?}");
}

#[test]
#[ignore = "needs built/sentiment-mpnet (bash training/build_sentiment_mpnet.sh): `make test` runs it once built"]
fn sentence_mpnet_reads_facts_as_neutral_and_praise_or_blame_as_not() {
    let model = accurate_sentence_model();
    let extra = ["--sentiment-model", model.to_str().unwrap()];
    let a = annotate_texts_with(&["The meeting is on Tuesday."], &extra);
    assert!(a[0]["meta"]["models"]["sentiment"]
        .as_str()
        .unwrap()
        .starts_with("newslens-sentiment-mpnet@"));
    factual_sentences_are_neutral(&extra);
    praise_and_blame_are_not_neutral(&extra);
}

#[test]
fn entity_tone_follows_what_the_article_says_of_the_entity() {
    let a = annotate_texts(&[
        "Maria Gonzalez was praised by colleagues for her brilliant work. \
         Gonzalez won the national prize for courage. Everyone admired Gonzalez.",
        "Peter Novak was convicted of fraud and bribery. Prosecutors said Novak \
         stole millions from pensioners. Novak was sentenced to ten years.",
    ]);
    let tone = |a: &Value, name: &str| -> String {
        entity(a, name)["sentiment"]["label"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(tone(&a[0], "Maria Gonzalez"), "positive");
    assert_eq!(tone(&a[1], "Peter Novak"), "negative");
}

#[test]
fn the_fast_entity_head_tells_two_entities_of_one_sentence_apart() {
    let texts = [
        "Maria Gonzalez was praised by colleagues for her brilliant work. \
         Gonzalez won the national prize for courage. Everyone admired Gonzalez.",
        "Peter Novak was convicted of fraud and bribery. Prosecutors said Novak \
         stole millions from pensioners. Novak was sentenced to ten years.",
        "Judges praised Anna Berg for her courage, while Tom Hale was convicted of fraud.",
    ];
    let a = annotate_texts_with(&texts, &["--entity-sentiment", "head"]);
    assert_eq!(a[0]["meta"]["entity_sentiment"], "head");
    assert!(a[0]["meta"]["models"]["sentiment"]
        .as_str()
        .unwrap()
        .starts_with("newslens-joint-minilm@"));
    assert_eq!(
        entity(&a[0], "Maria Gonzalez")["sentiment"]["label"],
        "positive"
    );
    assert_eq!(
        entity(&a[1], "Peter Novak")["sentiment"]["label"],
        "negative"
    );
    // One sentence, two entities, opposite tone: the head scores each entity, not the sentence.
    let (berg, hale) = (entity(&a[2], "Anna Berg"), entity(&a[2], "Tom Hale"));
    let score = |e: &Value| e["mentions"][0]["sentiment"].as_f64().unwrap();
    assert!(
        score(berg) > 0.2 && score(hale) < -0.2,
        "Berg {} / Hale {}",
        score(berg),
        score(hale)
    );
}

#[test]
fn the_default_entity_tone_tells_the_entities_of_one_sentence_apart() {
    // One sentence, two entities with opposite tone, in both orders: the targeted model marks
    // both and reads each at its own marker (how often it gets such sentences right is measured
    // by `eval targeted`'s `mixed` figures in models/targeted/metrics.json).
    // The Siemens sentence was a known miss of targeted 3.2 (Siemens read negative, the tone of
    // the second half); 3.3, distilled from the accurate model, reads it right.
    let pairs = [
        ("Anna Berg", "Tom Hale"),
        ("Anna Berg", "Tom Hale"),
        ("Siemens", "Volkswagen"),
        ("Siemens", "Volkswagen"),
    ];
    let texts = [
        "Judges praised Anna Berg for her courage, while Tom Hale was convicted of fraud.",
        "Tom Hale was convicted of fraud, while judges praised Anna Berg for her courage.",
        "Investors applauded Siemens for its record profits, but regulators fined Volkswagen for \
         cheating.",
        "Regulators fined Volkswagen for cheating, but investors applauded Siemens for its record \
         profits.",
    ];
    let a = annotate_texts(&texts);
    let score = |a: &Value, name: &str| -> f64 {
        entity(a, name)["mentions"][0]["sentiment"]
            .as_f64()
            .unwrap()
    };
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(a[i]["meta"]["entity_sentiment"], "targeted");
        let (praised, condemned) = pairs[i];
        let (good, bad) = (score(&a[i], praised), score(&a[i], condemned));
        assert!(
            good > 0.2 && bad < -0.2,
            "{text}: {praised} {good} / {condemned} {bad}"
        );
    }
}

#[test]
fn a_persons_tone_reads_the_sentences_that_call_them_he_or_she() {
    // News names a person once and then says "she": the judging sentences here name nobody.
    let texts = [
        "Mayor Ellen Park opened the new bridge on Monday. She was later charged with taking \
         bribes and lying to investigators. Prosecutors called her conduct a disgrace.",
    ];
    let shipped = annotate_texts(&texts);
    let park = entity(&shipped[0], "Ellen Park");
    assert_eq!(park["count"], 1, "{park}");
    assert_eq!(park["sentiment"]["label"], "negative", "{park}");
    let score = park["sentiment"]["score"].as_f64().unwrap();

    // The same model reading named mentions only sees one neutral sentence.
    let dir = tempfile::tempdir().unwrap();
    let names_only = dir.path().join("targeted");
    std::fs::create_dir(&names_only).unwrap();
    for f in ["model.onnx", "tokenizer.json"] {
        std::fs::copy(root().join("models/targeted").join(f), names_only.join(f)).unwrap();
    }
    let config = root().join("models/targeted/config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(config).unwrap()).unwrap();
    assert_eq!(config["pronoun_reach"], 3);
    config.as_object_mut().unwrap().remove("pronoun_reach");
    std::fs::write(names_only.join("config.json"), config.to_string()).unwrap();
    let alone = annotate_texts_with(&texts, &["--targeted-model", names_only.to_str().unwrap()]);
    let park = entity(&alone[0], "Ellen Park");
    assert_ne!(park["sentiment"]["label"], "negative", "{park}");
    assert!(
        park["sentiment"]["score"].as_f64().unwrap() > score + 0.3,
        "{park}"
    );
}

#[test]
#[ignore = "needs built/targeted-mpnet (bash training/build_targeted_mpnet.sh): `make test` runs it once built"]
fn the_accurate_targeted_model_reads_each_companys_own_tone() {
    // Targeted 3.2 read Siemens as negative here (the tone of the second half); the accurate
    // model, 3.3's teacher, reads each company's own tone, and surely (beyond 0.5 each way).
    let text = "Investors applauded Siemens for its record profits, but regulators fined \
                Volkswagen for cheating.";
    let model = accurate_model();
    let a = annotate_texts_with(&[text], &["--targeted-model", model.to_str().unwrap()]);
    assert!(a[0]["meta"]["models"]["targeted"]
        .as_str()
        .unwrap()
        .starts_with("newslens-targeted-mpnet@"));
    let score = |name: &str| {
        entity(&a[0], name)["mentions"][0]["sentiment"]
            .as_f64()
            .unwrap()
    };
    let (siemens, vw) = (score("Siemens"), score("Volkswagen"));
    assert!(
        siemens > 0.5 && vw < -0.5,
        "Siemens {siemens} / Volkswagen {vw}"
    );
}

#[test]
fn the_ner_tone_model_reads_each_sentences_tone_from_the_ner_pass() {
    // Two sentences of opposite tone share one NER window: each is pooled over its own tokens.
    let texts = [
        "The rescue team was praised for its heroic and selfless work. \
         Critics called the decision a disgraceful betrayal of the workers.",
        "The meeting is scheduled for Tuesday at the city hall.",
    ];
    let sentence_labels = |a: &Value| -> Vec<String> {
        a["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["sentiment"]["label"].as_str().unwrap().to_string())
            .collect()
    };
    let tone = root().join("models/ner-tone");
    let tone = tone.to_str().unwrap();
    let a = annotate_texts_with(
        &texts,
        &["--entity-sentiment", "sentence", "--ner-model", tone],
    );
    let models = &a[0]["meta"]["models"];
    let ner = models["ner"].as_str().unwrap();
    assert!(ner.starts_with("newslens-ner-tone"), "{models}");
    assert_eq!(
        models["sentiment"].as_str().unwrap(),
        ner.split('+').next().unwrap(),
        "no sentence model ran: {models}"
    );
    assert_eq!(sentence_labels(&a[0]), ["positive", "negative"]);
    assert_eq!(sentence_labels(&a[1]), ["neutral"]);
    // The article's tone is its sentences' (length-weighted): between the two.
    let article = a[0]["sentiment"]["score"].as_f64().unwrap();
    let scores: Vec<f64> = a[0]["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sentiment"]["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores[1] < article && article < scores[0],
        "{article} {scores:?}"
    );
    // A sentence model named on the command line still reads the sentences.
    let joint = root().join("models/joint");
    let b = annotate_texts_with(
        &texts,
        &[
            "--entity-sentiment",
            "sentence",
            "--ner-model",
            tone,
            "--sentiment-model",
            joint.to_str().unwrap(),
        ],
    );
    let named = b[0]["meta"]["models"]["sentiment"].as_str().unwrap();
    assert!(named.starts_with("newslens-joint"), "{named}");
    assert_eq!(sentence_labels(&b[0]), ["positive", "negative"]);
}
