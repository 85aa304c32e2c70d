//! Charts as SVG, drawn with plotters: sentiment per group with 95% CIs.

use plotters::prelude::*;

use super::{GroupStats, Timeline};

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
        // The axis spans the data (means and intervals) and zero, with a margin.
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for g in groups {
            let s = &g.sentiment;
            lo = lo.min(s.low.unwrap_or(s.mean)).min(s.mean);
            hi = hi.max(s.high.unwrap_or(s.mean)).max(s.mean);
        }
        let pad = ((hi - lo) * 0.08).max(0.02);
        let (lo, hi) = ((lo - pad).max(-1.0), (hi + pad).min(1.0));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(
                format!("Mean article sentiment by {by} (95% CI)"),
                ("sans-serif", 18),
            )
            .x_label_area_size(40)
            .y_label_area_size(230)
            .build_cartesian_2d(lo..hi, -0.5f64..(n as f64 - 0.5))
            .map_err(fail)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .x_desc("mean article score (-1 negative .. +1 positive; axis zoomed to the data)")
            .y_labels(n.max(1))
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                    let g = &groups[i as usize];
                    let name: String = g.name.chars().take(28).collect();
                    format!("{name} (n={})", g.articles)
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
                        lo,
                        g.sentiment.mean,
                        hi,
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

/// Colour-blind-safe categorical colours (Okabe-Ito) for the timeline's groups.
const SERIES: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// The colour of the `i`-th group of the timeline.
pub fn series_colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Each group's mean article score per period, as lines (a dot where a period has articles).
pub fn timeline_chart(t: &Timeline) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let n = t.periods.len().max(1);
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for p in t.series.values().flat_map(|m| m.values()) {
            lo = lo.min(p.mean);
            hi = hi.max(p.mean);
        }
        let pad = ((hi - lo) * 0.1).max(0.05);
        let (lo, hi) = ((lo - pad).max(-1.0), (hi + pad).min(1.0));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption("Mean article score over time", ("sans-serif", 18))
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 13))
            .x_labels(n.min(24))
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < t.periods.len() {
                    t.periods[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_desc("mean score")
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                [(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
                BLACK.mix(0.4),
            ))
            .map_err(fail)?;
        for (i, points) in t.series.values().enumerate() {
            let colour = series_colour(i);
            let xy: Vec<(f64, f64)> = t
                .periods
                .iter()
                .enumerate()
                .filter_map(|(x, p)| points.get(p).map(|pt| (x as f64, pt.mean)))
                .collect();
            chart
                .draw_series(LineSeries::new(xy.clone(), colour.stroke_width(2)))
                .map_err(fail)?;
            chart
                .draw_series(xy.into_iter().map(|p| Circle::new(p, 4, colour.filled())))
                .map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}
