//! A backtest's chart of one metric: the observed points and the simulated ones, period by
//! period, over the observed window; or, for a distribution, the two distribution
//! functions.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{self, Chart, err, palette};
use super::format;

/// One metric's series: (minutes since the window's start, value), or (value, share at or
/// below it).
pub struct Comparison<'a> {
    /// File name without extension.
    pub name: &'a str,
    pub title: &'a str,
    /// The x axis's title, with its unit.
    pub x_desc: &'a str,
    /// The y axis's title, with its unit.
    pub y_desc: &'a str,
    pub observed: &'a [(f64, f64)],
    pub simulated: &'a [(f64, f64)],
    /// Whether the points are periods, whose missing ones break the line (not so for the
    /// steps of a distribution function).
    pub periods: bool,
}

/// Draws `c` as SVG and PNG.
pub fn backtest_chart(c: &Comparison<'_>) -> Result<Chart, String> {
    chart::render(c.name, (900, 480), |r| draw(r, c), |r| draw(r, c))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Comparison<'_>) -> Result<(), String> {
    if c.periods && c.observed.len() <= 1 && c.simulated.len() <= 1 {
        return draw_values(root, c);
    }
    let all = || c.observed.iter().chain(c.simulated);
    let x_max = all().map(|p| p.0).fold(1.0, f64::max) * 1.02 + 0.5;
    let y_top = all().map(|p| p.1).fold(0.0, f64::max);
    let y_max = if y_top > 0.0 { y_top * 1.15 } else { 1.0 };
    let mut ch = chart::xy(root, c.title, 0.0..x_max, 0.0..y_max)?;
    ch.configure_mesh()
        .x_desc(c.x_desc)
        .y_desc(c.y_desc)
        .x_label_formatter(&|x| format::tick(*x))
        .y_label_formatter(&|y| format::tick(*y))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    let columns = ch.plotting_area().dim_in_pixel().0;
    let series = [("observed (CloudWatch)", c.observed, 0), ("simulated", c.simulated, 1)];
    let mut drawn = Vec::new();
    for (label, points, colour) in series {
        let colour = palette(colour);
        let shown = chart::decimate(points, 0.0..x_max, columns);
        // Few points get their markers: a period is one point, and a missing one shows.
        if shown.len() <= 120 {
            ch.draw_series(shown.iter().map(|&(x, y)| Circle::new((x, y), 3, colour.filled()))).map_err(err)?;
        }
        // A period without a point breaks the line: CloudWatch's missing point is not a
        // zero, and a line across it would say it was in between.
        let parts = if c.periods { runs(&shown) } else { vec![shown.as_slice()] };
        for (k, run) in parts.into_iter().enumerate() {
            let line = ch.draw_series(LineSeries::new(run.iter().copied(), colour.stroke_width(2))).map_err(err)?;
            if k == 0 {
                line.label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
            }
        }
        drawn.push(shown);
    }
    let plot_px = ch.plotting_area().dim_in_pixel();
    let refs: Vec<&[(f64, f64)]> = drawn.iter().map(Vec::as_slice).collect();
    let corner = chart::free_corner(&refs, 0.0..x_max, 0.0..y_max, plot_px, 2, 21);
    chart::legend(&mut ch, corner)
}

/// One value each over the window: a line of one point has no course to show, so two bars,
/// each with its value written above it.
fn draw_values<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Comparison<'_>) -> Result<(), String> {
    let bars = [
        ("observed (CloudWatch)", c.observed.first().map(|p| p.1), 0),
        ("simulated", c.simulated.first().map(|p| p.1), 1),
    ];
    let y_top = bars.iter().filter_map(|b| b.1).fold(0.0, f64::max);
    let y_max = if y_top > 0.0 { y_top * 1.2 } else { 1.0 };
    let mut ch = chart::xy(root, c.title, 0.0..2.0, 0.0..y_max)?;
    let names = |x: &f64| match *x {
        x if (x - 0.5).abs() < 1e-9 => bars[0].0.to_string(),
        x if (x - 1.5).abs() < 1e-9 => bars[1].0.to_string(),
        _ => String::new(),
    };
    ch.configure_mesh()
        .disable_x_mesh()
        .x_labels(5)
        .x_desc("the whole observed window")
        .y_desc(c.y_desc)
        .x_label_formatter(&names)
        .y_label_formatter(&|y| format::tick(*y))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    for (k, (_, value, colour)) in bars.iter().enumerate() {
        let x0 = k as f64 + 0.25;
        match value {
            Some(v) => {
                ch.draw_series(std::iter::once(Rectangle::new([(x0, 0.0), (x0 + 0.5, *v)], palette(*colour).filled())))
                    .map_err(err)?;
                ch.draw_series(std::iter::once(Text::new(
                    format::tick(*v),
                    (x0 + 0.2, v + y_max * 0.07),
                    ("sans-serif", 14),
                )))
                .map_err(err)?;
            }
            None => {
                ch.draw_series(std::iter::once(Text::new("no value", (x0 + 0.15, y_max * 0.05), ("sans-serif", 14))))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// `points` cut where two neighbours are more than one and a half of the smallest spacing
/// apart.
fn runs(points: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    let step = points.windows(2).map(|w| w[1].0 - w[0].0).filter(|g| *g > 0.0).fold(f64::INFINITY, f64::min);
    let mut out = Vec::new();
    let mut from = 0;
    for i in 1..points.len() {
        if points[i].0 - points[i - 1].0 > 1.5 * step {
            out.push(&points[from..i]);
            from = i;
        }
    }
    if from < points.len() {
        out.push(&points[from..]);
    }
    out
}
