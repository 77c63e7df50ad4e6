//! A sweep's charts and its HTML page, from the per-point statistics of `summary.csv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{self, Chart, err, palette};
use crate::scenario::Axis;

/// What a sweep's charts and report need to know of it.
pub struct SweepView<'a> {
    pub name: &'a str,
    pub source_sha256: &'a str,
    pub base_seed: u64,
    pub replications: u32,
    pub runs: usize,
    pub overrides: &'a [String],
    pub axes: &'a [Axis],
    pub chart_metrics: &'a [String],
    /// Each point's value per axis.
    pub point_values: Vec<&'a [String]>,
}

/// Per point: metric → (mean, 95 % half-width).
pub type PointStats = BTreeMap<String, (Option<f64>, Option<f64>)>;

/// The metrics a sweep charts: those `[sweep] chart_metrics` names, or every end-to-end,
/// duration and caller-wait p99 (at most six) and the monthly total cost.
pub fn chart_metrics(plan: &SweepView<'_>, names: &[String]) -> Vec<String> {
    if !plan.chart_metrics.is_empty() {
        return plan.chart_metrics.iter().filter(|m| names.contains(m)).cloned().collect();
    }
    let mut out: Vec<String> = names
        .iter()
        .filter(|n| [".end_to_end.p99_ms", ".duration.p99_ms", ".caller_wait.p99_ms"].iter().any(|s| n.ends_with(s)))
        .take(6)
        .cloned()
        .collect();
    if names.iter().any(|n| n == "cost_usd.total_per_month") {
        out.push("cost_usd.total_per_month".into());
    }
    out
}

/// A value of an axis as a number, if it is one.
fn numeric(values: &[String]) -> Option<Vec<f64>> {
    values.iter().map(|v| v.parse::<f64>().ok()).collect()
}

/// Each chart metric against the first axis, one line per combination of the other axes
/// (at most eight), with its 95 % confidence band; a heatmap of it for a two-axis sweep;
/// and the monthly cost by service per point.
pub fn sweep_charts(plan: &SweepView<'_>, points: &[PointStats], names: &[String]) -> Vec<Chart> {
    let mut charts = Vec::new();
    let axes = plan.axes;
    let first = &axes[0];
    let xs: Vec<f64> = numeric(&first.values).unwrap_or_else(|| (0..first.values.len()).map(|i| i as f64).collect());
    let per_first: usize = axes[1..].iter().map(|a| a.values.len()).product();
    for (k, metric) in chart_metrics(plan, names).iter().enumerate() {
        // Series: one per combination of the other axes, in point order.
        let mut series: Vec<Line> = Vec::new();
        for rest in 0..per_first.min(8) {
            let label = if axes.len() > 1 {
                axes[1..]
                    .iter()
                    .zip(&plan.point_values[rest][1..])
                    .map(|(a, v)| format!("{} = {v}", a.key))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                metric.clone()
            };
            let line: Vec<(f64, f64, f64, f64)> = xs
                .iter()
                .enumerate()
                .filter_map(|(i, &x)| {
                    let (mean, ci) = points[i * per_first + rest].get(metric).copied()?;
                    let mean = mean?;
                    let ci = ci.unwrap_or(0.0);
                    Some((x, mean, mean - ci, mean + ci))
                })
                .collect();
            series.push((label, line));
        }
        let name = format!("metric-{k:02}");
        let title = format!("{metric} against {}", first.key);
        if let Ok(c) = chart::render(
            &name,
            (900, 560),
            |r| draw_lines(r, &title, &first.key, metric, &series),
            |r| draw_lines(r, &title, &first.key, metric, &series),
        ) {
            charts.push(c);
        }
        if axes.len() == 2 {
            let (nx, ny) = (axes[0].values.len(), axes[1].values.len());
            let z: Vec<Vec<Option<f64>>> =
                (0..nx).map(|i| (0..ny).map(|j| points[i * ny + j].get(metric).and_then(|s| s.0)).collect()).collect();
            let name = format!("heatmap-{k:02}");
            let title = format!("{metric}: mean over replications");
            let labels = (&axes[0].key, &axes[0].values, &axes[1].key, &axes[1].values);
            if let Ok(c) = chart::render(
                &name,
                (900, 640),
                |r| draw_heatmap(r, &title, labels, &z),
                |r| draw_heatmap(r, &title, labels, &z),
            ) {
                charts.push(c);
            }
        }
    }
    // Monthly cost by service, stacked, per point.
    let services: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_prefix("cost_usd.")?.strip_suffix("_per_month").map(str::to_string))
        .filter(|s| s != "total")
        .collect();
    if !services.is_empty() && points.len() <= 60 {
        let bars: Vec<Vec<f64>> = points
            .iter()
            .map(|p| {
                services
                    .iter()
                    .map(|s| p.get(&format!("cost_usd.{s}_per_month")).and_then(|v| v.0).unwrap_or(0.0))
                    .collect()
            })
            .collect();
        if let Ok(c) = chart::render(
            "cost-by-service",
            (900, 560),
            |r| draw_stacked(r, &services, &bars),
            |r| draw_stacked(r, &services, &bars),
        ) {
            charts.push(c);
        }
    }
    charts
}

type Line = (String, Vec<(f64, f64, f64, f64)>);

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Line],
) -> Result<(), String> {
    let pts = series.iter().flat_map(|(_, l)| l.iter());
    let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0.0f64);
    for &(x, _, _, hi) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y1 = y1.max(hi);
    }
    if x0 > x1 {
        return Err("no data".into());
    }
    if x0 == x1 {
        (x0, x1) = (x0 - 1.0, x1 + 1.0);
    }
    let y1 = if y1 <= 0.0 { 1.0 } else { y1 * 1.1 };
    let mut c = chart::xy(root, title, x0..x1, 0.0..y1)?;
    c.configure_mesh().x_desc(x_label).y_desc(y_label).label_style(("sans-serif", 13)).draw().map_err(err)?;
    for (i, (label, line)) in series.iter().enumerate() {
        let colour = palette(i);
        // The 95 % band, then the means.
        let mut band: Vec<(f64, f64)> = line.iter().map(|p| (p.0, p.3)).collect();
        band.extend(line.iter().rev().map(|p| (p.0, p.2)));
        c.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.2)))).map_err(err)?;
        c.draw_series(LineSeries::new(line.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))
            .map_err(err)?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        c.draw_series(line.iter().map(|p| Circle::new((p.0, p.1), 3, colour.filled()))).map_err(err)?;
    }
    chart::legend(&mut c, SeriesLabelPosition::UpperRight)
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    (x_key, x_values, y_key, y_values): (&String, &Vec<String>, &String, &Vec<String>),
    z: &[Vec<Option<f64>>],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (nx, ny) = (x_values.len(), y_values.len());
    let values: Vec<f64> = z.iter().flatten().flatten().copied().collect();
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    // Values spanning more than a decade are shaded on a log scale.
    let log = lo > 0.0 && hi / lo > 10.0;
    let shade = |v: f64| -> f64 {
        let (v, lo, hi) = if log { (v.ln(), lo.ln(), hi.ln()) } else { (v, lo, hi) };
        if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
    };
    let mut c = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(90)
        // A segmented range has a segment per value of its end too: n − 1 gives n cells.
        .build_cartesian_2d((0..nx.max(1) - 1).into_segmented(), (0..ny.max(1) - 1).into_segmented())
        .map_err(err)?;
    let label = |values: &Vec<String>, s: &SegmentValue<usize>| match s {
        SegmentValue::CenterOf(i) => values.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    c.configure_mesh()
        .disable_mesh()
        .x_desc(x_key.as_str())
        .y_desc(y_key.as_str())
        .x_labels(nx + 1)
        .y_labels(ny + 1)
        .x_label_formatter(&|s| label(x_values, s))
        .y_label_formatter(&|s| label(y_values, s))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    for (i, row) in z.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let Some(v) = *v else { continue };
            let t = shade(v);
            // From pale yellow (low) to dark red (high).
            let colour = RGBColor(255 - (60.0 * t) as u8, (235.0 - 210.0 * t) as u8, (180.0 - 170.0 * t) as u8);
            let cell = [
                (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
            ];
            c.draw_series(std::iter::once(Rectangle::new(cell, colour.filled()))).map_err(err)?;
            let text = if v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") };
            let ink = if t > 0.6 { WHITE } else { BLACK };
            let style = TextStyle::from(("sans-serif", 14)).color(&ink).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
            c.draw_series(std::iter::once(Text::new(
                text,
                (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
                style,
            )))
            .map_err(err)?;
        }
    }
    Ok(())
}

fn draw_stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    services: &[String],
    bars: &[Vec<f64>],
) -> Result<(), String> {
    let top = bars.iter().map(|b| b.iter().sum::<f64>()).fold(0.0, f64::max).max(1e-9) * 1.1;
    let mut c = chart::xy(root, "Monthly cost by service, per point", 0.0..bars.len() as f64, 0.0..top)?;
    c.configure_mesh().x_desc("point").y_desc("USD per month").label_style(("sans-serif", 13)).draw().map_err(err)?;
    for (k, service) in services.iter().enumerate() {
        let colour = palette(k);
        c.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let below: f64 = b[..k].iter().sum();
            Rectangle::new([(i as f64 + 0.1, below), (i as f64 + 0.9, below + b[k])], colour.filled())
        }))
        .map_err(err)?
        .label(service.as_str())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart::legend(&mut c, SeriesLabelPosition::UpperRight)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One self-contained page: the manifest, the per-point table of the chart metrics, and
/// the charts inlined as SVG.
pub fn sweep_html(plan: &SweepView<'_>, points: &[PointStats], names: &[String], charts: &[Chart]) -> String {
    let metrics = chart_metrics(plan, names);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>orchsim sweep: {0}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;font-size:13px}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}th{{background:#f3f3f3}}svg{{max-width:100%;height:auto}}</style>\n\
         </head><body>\n<h1>Sweep of {0}</h1>\n",
        escape(plan.name)
    );
    let _ = writeln!(
        h,
        "<p>Scenario SHA-256 <code>{}</code>; base seed {}; {} point(s) × {} replication(s) = {} runs; overrides: <code>{}</code>.</p>",
        plan.source_sha256,
        plan.base_seed,
        plan.point_values.len(),
        plan.replications,
        plan.runs,
        escape(&plan.overrides.join(" "))
    );
    h.push_str("<h2>Axes</h2>\n<ul>\n");
    for a in plan.axes {
        let _ = writeln!(h, "<li><code>{}</code>: {}</li>", escape(&a.key), escape(&a.values.join(", ")));
    }
    h.push_str("</ul>\n<h2>Points</h2>\n<p>Mean over replications ± the half-width of its 95 % confidence interval.</p>\n<table><tr><th>point</th>");
    for a in plan.axes {
        let _ = write!(h, "<th>{}</th>", escape(&a.key));
    }
    for m in &metrics {
        let _ = write!(h, "<th>{}</th>", escape(m));
    }
    h.push_str("</tr>\n");
    for (i, p) in points.iter().enumerate() {
        let _ = write!(h, "<tr><td>{i}</td>");
        for v in plan.point_values[i] {
            let _ = write!(h, "<td>{}</td>", escape(v));
        }
        for m in &metrics {
            let cell = match p.get(m) {
                Some((Some(mean), Some(ci))) => format!("{mean:.3} ± {ci:.3}"),
                Some((Some(mean), None)) => format!("{mean:.3}"),
                _ => String::new(),
            };
            let _ = write!(h, "<td>{cell}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n<h2>Charts</h2>\n");
    for c in charts {
        let _ = writeln!(h, "<figure>{}</figure>", svg_body(&c.svg));
    }
    h.push_str("<p>All runs: <code>runs.csv</code>; per point: <code>summary.csv</code> and <code>points/</code> (merged histograms as <code>.hgrm</code>).</p>\n");
    let _ = write!(h, "<script>\n{}</script>\n</body></html>\n", super::PAGE_CHECK);
    h
}

/// An SVG document without its XML declaration, to inline it.
pub fn svg_body(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}
