//! Charts as SVG, drawn with plotters: sentiment per group with 95% CIs, and the entity heat map.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{EntityAcross, GroupStats};

/// Diverging red-white-blue (ColorBrewer RdBu ends: colour-blind safe) for a score in [-1, 1].
pub fn diverging(score: f64) -> RGBColor {
    let (neg, mid, pos) = (
        (178.0, 24.0, 43.0),
        (247.0, 247.0, 247.0),
        (33.0, 102.0, 172.0),
    );
    let t = score.clamp(-1.0, 1.0);
    let (a, b, f) = if t < 0.0 {
        (mid, neg, -t)
    } else {
        (mid, pos, t)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Hex form of a colour, for HTML.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn fail(e: impl std::fmt::Display) -> String {
    format!("cannot draw the chart: {e}")
}

/// Mean article sentiment per group with 95% confidence intervals.
pub fn groups_chart(groups: &[GroupStats], by: &str) -> Result<String, String> {
    let mut svg = String::new();
    let height = 90 + 36 * groups.len() as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (760, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let n = groups.len();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(
                format!("Mean article sentiment by {by} (95% CI)"),
                ("sans-serif", 18),
            )
            .x_label_area_size(40)
            .y_label_area_size(230)
            .build_cartesian_2d(-1.0f64..1.0f64, -0.5f64..(n as f64 - 0.5))
            .map_err(fail)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .x_desc("sentiment score (negative -1 .. +1 positive)")
            .y_labels(n.max(1))
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                    let g = &groups[i as usize];
                    format!("{} (n={})", g.name, g.articles)
                } else {
                    String::new()
                }
            })
            .disable_y_mesh()
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, -0.5), (0.0, n as f64 - 0.5)],
                BLACK.mix(0.4),
            ))
            .map_err(fail)?;
        for (i, g) in groups.iter().enumerate() {
            let y = i as f64;
            let colour = diverging(g.sentiment.mean);
            if let (Some(lo), Some(hi)) = (g.sentiment.low, g.sentiment.high) {
                chart
                    .draw_series([ErrorBar::new_horizontal(
                        y,
                        lo.max(-1.0),
                        g.sentiment.mean,
                        hi.min(1.0),
                        BLACK.stroke_width(2),
                        10,
                    )])
                    .map_err(fail)?;
            }
            chart
                .draw_series([Circle::new((g.sentiment.mean, y), 6, colour.filled())])
                .map_err(fail)?;
            chart
                .draw_series([Circle::new((g.sentiment.mean, y), 6, BLACK.stroke_width(1))])
                .map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Entities x groups, coloured by mean entity sentiment, with the score in each cell.
pub fn heat_map(entities: &[EntityAcross], groups: &[String]) -> Result<String, String> {
    let mut svg = String::new();
    let (rows, cols) = (entities.len(), groups.len());
    let width = 260 + 130 * cols as u32;
    let height = 120 + 28 * rows as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption("Sentiment towards entities, by group", ("sans-serif", 18))
            .x_label_area_size(40)
            .y_label_area_size(230)
            .build_cartesian_2d(0f64..cols as f64, 0f64..rows as f64)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 14))
            .disable_mesh()
            .x_labels(cols * 2 + 1)
            .y_labels(rows * 2 + 1)
            .x_label_formatter(&|x| label_at(*x, groups.len(), |i| groups[i].clone()))
            .y_label_formatter(&|y| {
                label_at(rows as f64 - *y, rows, |i| {
                    format!("{} ({})", entities[i].name, entities[i].label)
                })
            })
            .draw()
            .map_err(fail)?;
        for (r, e) in entities.iter().enumerate() {
            let y = (rows - 1 - r) as f64;
            for (c, g) in groups.iter().enumerate() {
                let x = c as f64;
                let (fill, text) = match e.cells.get(g) {
                    Some(cell) => (
                        diverging(cell.score),
                        format!("{:+.2} ({})", cell.score, cell.mentions),
                    ),
                    None => (RGBColor(225, 225, 225), "–".to_string()),
                };
                chart
                    .draw_series([Rectangle::new(
                        [(x + 0.02, y + 0.04), (x + 0.98, y + 0.96)],
                        fill.filled(),
                    )])
                    .map_err(fail)?;
                let dark = e.cells.get(g).is_some_and(|c| c.score.abs() > 0.55);
                let style = ("sans-serif", 13)
                    .into_font()
                    .color(if dark { &WHITE } else { &BLACK })
                    .pos(Pos::new(HPos::Center, VPos::Center));
                chart
                    .draw_series([Text::new(text, (x + 0.5, y + 0.5), style)])
                    .map_err(fail)?;
            }
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// The label of the cell whose centre is at `v` (cells are unit wide), or nothing.
fn label_at(v: f64, n: usize, name: impl Fn(usize) -> String) -> String {
    let centre = v - 0.5;
    let i = centre.round();
    if (centre - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
        name(i as usize)
    } else {
        String::new()
    }
}
