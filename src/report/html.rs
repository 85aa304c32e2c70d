//! The report as a self-contained HTML page (no script, no network) and as Markdown.

use std::fmt::Write;

use super::charts::{diverging, groups_chart, hex, series_colour, timeline_chart};
use super::{Evidence, Report};

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ci(g: &super::GroupStats) -> String {
    match (g.sentiment.low, g.sentiment.high) {
        (Some(l), Some(h)) if g.sentiment.clipped => format!("[{l:+.3}, {h:+.3}]*"),
        (Some(l), Some(h)) => format!("[{l:+.3}, {h:+.3}]"),
        _ => "none (n = 1)".into(),
    }
}

/// A colour legend for scores from -1 to +1.
fn legend() -> String {
    let mut s = String::from("<p class=\"legend\">Colour of a score: ");
    for v in [-1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0] {
        let _ = write!(
            s,
            "<span class=\"swatch\" style=\"background:{}\"></span> {v:+.1} ",
            hex(diverging(v))
        );
    }
    s.push_str(
        "(red negative, blue positive: a colour-blind-safe scale; grey: not mentioned).</p>\n",
    );
    s
}

const HOW_TO_READ: &str = "<h2>How to read this</h2><p>Every article gets a tone score from -1 \
(negative) to +1 (positive): P(positive) - P(negative) of its sentences, averaged with longer \
sentences counting more. A group's dot is the mean score of its articles; the bar is a 95% \
confidence interval of that mean (t-based, clipped to [-1, 1]; a clipped interval is marked *), \
so two groups whose bars overlap widely are not shown to differ. A group of one article (n = 1) \
has no interval: do not compare it. The entity table gives, for each entity named by at least \
two groups, the mean tone towards it in each group and the number of mentions; open an entity \
under Evidence to read the sentences behind its scores.</p>\n";

fn highlighted(e: &Evidence) -> String {
    let chars: Vec<char> = e.sentence.chars().collect();
    let (a, b) = (
        e.mention_start.min(chars.len()),
        e.mention_end.min(chars.len()),
    );
    let part = |r: &[char]| esc(&r.iter().collect::<String>());
    format!(
        "{}<mark>{}</mark>{}",
        part(&chars[..a]),
        part(&chars[a..b]),
        part(&chars[b..])
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}details{margin:.3em 0}summary{cursor:pointer}
mark{background:#ffe08a}.ev{font-size:.92em;margin:.2em 0 .2em 1.5em}.swatch{display:inline-block;width:1em;height:1em;vertical-align:middle;border:1px solid #999}
figure{margin:1em 0}figcaption{color:#555;font-size:.9em}
.heat{max-height:80vh;overflow:auto;display:inline-block}.heat table{margin:0}
.heat thead th{position:sticky;top:0;background:#fff;z-index:1;box-shadow:0 1px 0 #ccc}
.legend{font-size:.92em}.legend .swatch{margin-left:.6em}";

/// An SVG chart for inline use (HTML needs no namespace URL).
fn inline(svg: String) -> String {
    svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")
}

/// The HTML page.
pub fn page(r: &Report) -> Result<String, String> {
    let group_names: Vec<String> = r.groups.iter().map(|g| g.name.clone()).collect();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>newslens report</title><style>{STYLE}</style></head><body>\n\
         <h1>Sentiment by {by}</h1><p>{n} articles, {g} groups. Models: {m}. Scores run from -1 (negative) to +1 (positive); \
         an article's score is P(positive) - P(negative) averaged over its sentences, weighted by length. \
         Intervals are t-based 95% confidence intervals of the mean article score, clipped to [-1, 1] (marked * when clipped).</p>\n",
        by = esc(&r.by),
        n = r.articles,
        g = r.groups_total,
        m = esc(&r.models.join(", "))
    );
    if r.groups_total > r.groups.len() {
        let _ = writeln!(
            h,
            "<p>This page shows the {} groups with the most articles of {} (<code>--top-groups</code>); report.json and the tables hold all of them.</p>",
            r.groups.len(),
            r.groups_total
        );
    }
    if !r.unassigned.is_empty() {
        let _ = writeln!(
            h,
            "<p><b>{} article(s) without a {by}</b> are not compared with the groups: {}</p>",
            r.unassigned.len(),
            code_list(&r.unassigned, 20),
            by = esc(&r.by)
        );
    }
    if !r.unreadable.is_empty() {
        let _ = writeln!(
            h,
            "<p><b>{} input line(s) are not annotations</b> and are left out of every figure: {}</p>",
            r.unreadable.len(),
            code_list(&r.unreadable, 5)
        );
    }
    h.push_str(HOW_TO_READ);
    h.push_str(&legend());
    let _ = writeln!(h, "<figure>{}<figcaption>Mean article sentiment per {} with 95% CI (the axis spans the data; the line marks 0); most negative at the bottom; n = 1: no interval.</figcaption></figure>", inline(groups_chart(&r.groups, &r.by)?), esc(&r.by));
    h.push_str("<table><tr><th>group (colour: mean score)</th><th>articles</th><th>mean score</th><th>95% CI</th><th>sentences</th><th>negative</th><th>neutral</th><th>positive</th></tr>\n");
    for g in &r.groups {
        let _ = writeln!(
            h,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span> {}</td><td>{}</td><td>{:+.3}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{:.1}%</td><td>{:.1}%</td></tr>",
            hex(diverging(g.sentiment.mean)), esc(&g.name), if g.articles == 1 { "1 (n = 1)".to_string() } else { g.articles.to_string() }, g.sentiment.mean, ci(g), g.sentences,
            100.0 * g.share_negative, 100.0 * g.share_neutral, 100.0 * g.share_positive
        );
    }
    h.push_str("</table>\n");
    if let Some(t) = &r.timeline {
        timeline_section(&mut h, t)?;
    }
    h.push_str("<h2>Entities across groups</h2>\n");
    if r.entities.is_empty() {
        h.push_str(
            "<p>No entity is mentioned by enough groups (see <code>--min-groups</code>).</p>\n",
        );
    } else {
        let _ = writeln!(
            h,
            "<p>Mean tone towards each entity in each group; in brackets, its mentions and its coverage: the share of all entity mentions in that group's articles that name it (who is named by whom). The {} most mentioned of {} entities named by at least two groups (<code>--top</code>).</p>",
            r.entities.len(),
            r.entities_total
        );
        h.push_str("<div class=\"heat\"><table><thead><tr><th>entity</th><th>label</th>");
        for g in &group_names {
            let _ = write!(h, "<th>{}</th>", esc(g));
        }
        h.push_str("</tr></thead><tbody>\n");
        for e in &r.entities {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td>", esc(&e.name), esc(&e.label));
            for g in &group_names {
                match e.cells.get(g) {
                    Some(c) => {
                        let _ = write!(
                            h,
                            "<td style=\"background:{}\">{:+.3} ({}, {:.1}%)</td>",
                            hex(diverging(c.score)),
                            c.score,
                            c.mentions,
                            100.0 * c.coverage
                        );
                    }
                    None => h.push_str("<td style=\"background:#e1e1e1\">–</td>"),
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table></div>\n");
        let diffs: Vec<String> = r
            .entities
            .iter()
            .flat_map(|e| {
                e.differences.iter().map(move |d| {
                    format!(
                        "<li><b>{}</b>: {} is more negative than {} (gap {:.2}, p = {:.3})</li>",
                        esc(&e.name),
                        esc(&d.lower),
                        esc(&d.higher),
                        d.gap,
                        d.p
                    )
                })
            })
            .collect();
        h.push_str("<h2>Differences in tone beyond chance</h2><p>For each entity and pair of groups with at least 3 articles naming it: a two-sided permutation test (4,999 relabellings, fixed seed; Welch's t-test when the two groups have more than 400 such articles together) of the difference between the groups' mean per-article scores. Listed when p &lt; 0.05, per comparison: with many comparisons some will appear by chance.</p>\n");
        if diffs.is_empty() {
            h.push_str("<p>None.</p>\n");
        } else {
            let _ = writeln!(h, "<ul>{}</ul>", diffs.join(""));
        }
        h.push_str(
            "<h2>Evidence</h2><p>The sentences behind each score, with the mention marked.</p>\n",
        );
        for e in &r.entities {
            let aliases = if e.aliases.is_empty() {
                String::new()
            } else {
                format!(" — also: {}", esc(&e.aliases.join(", ")))
            };
            let _ = writeln!(
                h,
                "<details><summary><b>{}</b> ({}){}</summary>",
                esc(&e.name),
                esc(&e.label),
                aliases
            );
            for (g, c) in &e.cells {
                let shown = if c.evidence_total > c.evidence.len() {
                    format!(
                        " (the first {} of {} sentences; all are in the mentions table)",
                        c.evidence.len(),
                        c.evidence_total
                    )
                } else {
                    String::new()
                };
                let _ = writeln!(h, "<details class=\"ev\"><summary>{}: {:+.3}, {} mentions in {} articles{shown}</summary>", esc(g), c.score, c.mentions, c.articles);
                for ev in &c.evidence {
                    let _ = writeln!(
                        h,
                        "<p class=\"ev\">{:+.2} · <code>{}</code> [{}..{}] {}</p>",
                        ev.score,
                        esc(&ev.id),
                        ev.start,
                        ev.end,
                        highlighted(ev)
                    );
                }
                h.push_str("</details>\n");
            }
            h.push_str("</details>\n");
        }
    }
    h.push_str("<p>Tables behind this page: documents, entities, mentions and sentences, as .csv and .parquet (see README.md).</p></body></html>\n");
    Ok(h)
}

fn timeline_section(h: &mut String, t: &super::Timeline) -> Result<(), String> {
    let _ = writeln!(
        h,
        "<h2>Over time</h2><p>Mean article score per {:?} (by the <code>{}</code> field), one line per group; each cell of the table gives the mean and the number of articles.</p>",
        t.period,
        esc(&t.field)
    );
    if t.periods.is_empty() {
        let _ = writeln!(
            h,
            "<p>No article has a readable date in the <code>{}</code> field ({} articles): no timeline.</p>",
            esc(&t.field),
            t.undated.len()
        );
        return Ok(());
    }
    let _ = writeln!(h, "<figure>{}</figure>", inline(timeline_chart(t)?));
    h.push_str("<table><tr><th>group</th>");
    for p in &t.periods {
        let _ = write!(h, "<th>{}</th>", esc(p));
    }
    h.push_str("</tr>\n");
    for (i, (g, points)) in t.series.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span> {}</td>",
            hex(series_colour(i)),
            esc(g)
        );
        for p in &t.periods {
            match points.get(p) {
                Some(pt) => {
                    let _ = write!(h, "<td>{:+.3} ({})</td>", pt.mean, pt.articles);
                }
                None => h.push_str("<td>–</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    if !t.undated.is_empty() {
        let shown: Vec<String> = t.undated.iter().take(20).map(|i| esc(i)).collect();
        let _ = writeln!(
            h,
            "<p>{} article(s) without a readable date are not on the timeline: <code>{}</code>{}</p>",
            t.undated.len(),
            shown.join("</code>, <code>"),
            if t.undated.len() > 20 { " …" } else { "" }
        );
    }
    Ok(())
}

/// The first `most` items as `<code>` elements, comma-separated, with an ellipsis when cut.
fn code_list(items: &[String], most: usize) -> String {
    let shown: Vec<String> = items.iter().take(most).map(|i| esc(i)).collect();
    let more = if items.len() > most { " …" } else { "" };
    format!("<code>{}</code>{more}", shown.join("</code>, <code>"))
}

/// The report as Markdown tables.
pub fn markdown(r: &Report) -> String {
    let mut m = format!(
        "# Sentiment by {}\n\n{} articles. Models: {}.\n\n",
        r.by,
        r.articles,
        r.models.join(", ")
    );
    if !r.unassigned.is_empty() {
        let _ = writeln!(
            m,
            "{} article(s) without a {} are not compared: {}.\n",
            r.unassigned.len(),
            r.by,
            r.unassigned.join(", ")
        );
    }
    if !r.unreadable.is_empty() {
        let _ = writeln!(
            m,
            "{} input line(s) are not annotations and are left out: {}.\n",
            r.unreadable.len(),
            r.unreadable.join("; ")
        );
    }
    if r.groups_total > r.groups.len() {
        let _ = writeln!(
            m,
            "Showing the {} groups with the most articles of {} (--top-groups); report.json and the tables hold all of them.\n",
            r.groups.len(),
            r.groups_total
        );
    }
    m.push_str("95% CIs are t-based, clipped to [-1, 1] (* when clipped); n = 1 has none.\n\n");
    m.push_str("| group | articles | mean score | 95% CI | sentences | negative | neutral | positive |\n|---|---|---|---|---|---|---|---|\n");
    for g in &r.groups {
        let _ = writeln!(
            m,
            "| {} | {} | {:+.3} | {} | {} | {:.1}% | {:.1}% | {:.1}% |",
            g.name,
            g.articles,
            g.sentiment.mean,
            ci(g),
            g.sentences,
            100.0 * g.share_negative,
            100.0 * g.share_neutral,
            100.0 * g.share_positive
        );
    }
    m.push_str("\n## Entities across groups (mean score, mentions)\n\n| entity | label |");
    for g in &r.groups {
        let _ = write!(m, " {} |", g.name);
    }
    m.push_str("\n|---|---|");
    m.push_str(&"---|".repeat(r.groups.len()));
    m.push('\n');
    for e in &r.entities {
        let _ = write!(m, "| {} | {} |", e.name, e.label);
        for g in &r.groups {
            match e.cells.get(&g.name) {
                Some(c) => {
                    let _ = write!(m, " {:+.3} ({}) |", c.score, c.mentions);
                }
                None => m.push_str(" – |"),
            }
        }
        m.push('\n');
    }
    m
}
