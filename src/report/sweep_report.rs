//! A sweep's charts and its HTML page, from the per-point statistics of `summary.csv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{self, Chart, err, palette};
use super::format;
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
/// duration and caller-wait p99 (at most six) and the total cost: per month for steady
/// traffic, a run's own for a one-off scenario (which has no monthly figures).
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
    } else if names.iter().any(|n| n == "cost_usd.total") {
        out.push("cost_usd.total".into());
    }
    out
}

/// A value of an axis as a number, if it is one.
fn numeric(values: &[String]) -> Option<Vec<f64>> {
    values.iter().map(|v| v.parse::<f64>().ok()).collect()
}

/// Each axis's name on a chart: the last part of its key (`maximum_concurrency`), or the
/// whole key when another axis's key ends the same way.
pub fn axis_names(axes: &[Axis]) -> Vec<String> {
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    axes.iter()
        .map(|a| {
            let short = last(&a.key);
            if axes.iter().filter(|b| last(&b.key) == short).count() > 1 { a.key.clone() } else { short }
        })
        .collect()
}

/// An axis value as people read it: numbers with separators (`16,000`), other values as
/// they are.
fn value_text(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => format::tick(x),
        _ => v.to_string(),
    }
}

/// A point as its axes' values: `workers = 4`, or `rate_per_s = 200, maximum_concurrency = 5`.
pub fn point_label(names: &[String], values: &[String]) -> String {
    names.iter().zip(values).map(|(n, v)| format!("{n} = {}", value_text(v))).collect::<Vec<_>>().join(", ")
}

/// The unit a scenario key's name ends with, if it says one.
fn key_unit(key: &str) -> Option<&'static str> {
    const SUFFIXES: [(&str, &str); 7] = [
        ("_per_s", "per s"),
        ("_ms", "ms"),
        ("_s", "s"),
        ("_mb", "MB"),
        ("_kib", "KiB"),
        ("_bytes", "bytes"),
        ("_usd", "USD"),
    ];
    SUFFIXES.iter().find(|(suffix, _)| key.ends_with(suffix)).map(|p| p.1)
}

/// An axis's title: its key and unit, and the scale when it is logarithmic.
fn axis_title(key: &str, log: bool) -> String {
    let mut said: Vec<&str> = key_unit(key).into_iter().collect();
    if log {
        said.push("log scale");
    }
    if said.is_empty() { key.to_string() } else { format!("{key} ({})", said.join(", ")) }
}

/// What a metric measures, which decides its unit and how its values read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Measure {
    /// Milliseconds, drawn in ms or s as the values suit.
    Duration,
    /// US dollars.
    Usd,
    /// A count or any other figure.
    Plain,
}

fn measure(metric: &str) -> Measure {
    if metric.ends_with("_ms") {
        Measure::Duration
    } else if metric.starts_with("cost_usd") || metric.contains("_usd") {
        Measure::Usd
    } else {
        Measure::Plain
    }
}

/// A metric's value as people read it: `1.21 s`, `$2,099.12`, `16,000`.
fn value_of(metric: &str, v: f64) -> String {
    match measure(metric) {
        Measure::Duration => format::duration_ms(v),
        Measure::Usd => format::usd(v),
        Measure::Plain => format::number_trimmed(v, 2),
    }
}

/// A metric's name on a chart: a latency's statistic apart from its path and without the
/// unit (`sqs.orders.end_to_end p99`), other metrics as they are.
fn metric_name(metric: &str) -> String {
    let Some(name) = metric.strip_suffix("_ms") else { return metric.to_string() };
    match name.rsplit_once('.') {
        Some((what, stat)) if stat.starts_with('p') || ["mean", "max", "min"].contains(&stat) => {
            format!("{what} {stat}")
        }
        _ => name.to_string(),
    }
}

/// A metric's axis for values up to `top`: its title with the unit, the factor from the
/// metric's values to the axis's, and its tick labels.
fn metric_axis(metric: &str, top: f64) -> (String, f64, fn(f64) -> String) {
    match measure(metric) {
        Measure::Duration => {
            let (unit, scale) = format::duration_unit(top);
            (format!("{} ({unit})", metric_name(metric)), scale, format::tick)
        }
        Measure::Usd => {
            let unit = if metric.ends_with("_per_month") { "USD per month" } else { "USD" };
            (format!("{metric} ({unit})"), 1.0, format::usd_short)
        }
        Measure::Plain => (axis_title(metric, false), 1.0, format::tick),
    }
}

/// Where each value of the first axis sits on the x axis, and whether the axis is
/// logarithmic: numbers at their value (its logarithm when all are positive and span ten
/// times or more, as 5 to 80 workers do), other values one step apart in their order.
fn x_positions(values: &[String]) -> (Vec<f64>, bool) {
    match numeric(values) {
        Some(v) => {
            let (lo, hi) = v.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            if lo > 0.0 && hi / lo >= 10.0 { (v.iter().map(|x| x.log10()).collect(), true) } else { (v, false) }
        }
        None => ((0..values.len()).map(|i| i as f64).collect(), false),
    }
}

/// One metric against the first axis: a line per combination of the other axes.
struct LineChart {
    title: String,
    metric: String,
    x_title: String,
    /// Each value of the first axis: its place on the x axis and its label.
    ticks: Vec<(f64, String)>,
    series: Vec<Line>,
}

/// One chart of a sweep, ready to draw in each format: every chart and format is
/// independent of the others, so that the caller may draw them all in parallel (drawing the
/// PNGs is most of a sweep's report), the PNGs first, as they take longest.
pub struct ChartDrawing<'a> {
    /// The chart's file name, without extension.
    pub name: String,
    svg: Box<dyn Fn() -> Result<String, String> + Send + Sync + 'a>,
    png: Box<dyn Fn() -> Result<Vec<u8>, String> + Send + Sync + 'a>,
}

/// How a chart of data `T` is drawn as SVG, and as PNG: the same generic function, named
/// once for each backend.
type DrawSvg<T> = for<'b, 'c, 'd> fn(&'b DrawingArea<SVGBackend<'d>, Shift>, &'c T) -> Result<(), String>;
type DrawPng<T> = for<'b, 'c, 'd> fn(&'b DrawingArea<chart::Png<'d>, Shift>, &'c T) -> Result<(), String>;

impl<'a> ChartDrawing<'a> {
    /// A chart of `size` pixels drawn from `data` by `svg` and `png` (one drawing function,
    /// for each backend).
    fn new<T: Send + Sync + 'a>(
        name: String,
        size: (u32, u32),
        data: T,
        svg: DrawSvg<T>,
        png: DrawPng<T>,
    ) -> ChartDrawing<'a> {
        let data = std::sync::Arc::new(data);
        let for_png = std::sync::Arc::clone(&data);
        ChartDrawing {
            name,
            svg: Box::new(move || chart::render_svg(size, |r| svg(r, &data))),
            png: Box::new(move || chart::render_png(size, |r| png(r, &for_png))),
        }
    }

    /// The chart's SVG text, if it can be drawn.
    pub fn svg(&self) -> Option<String> {
        (self.svg)().ok()
    }

    /// The chart's PNG file, if it can be drawn.
    pub fn png(&self) -> Option<Vec<u8>> {
        (self.png)().ok()
    }

    /// The chart in both formats, if both can be drawn.
    pub fn draw(&self) -> Option<Chart> {
        Some(Chart { name: self.name.clone(), svg: self.svg()?, png: self.png()? })
    }
}

/// [`sweep_chart_drawings`], drawn one after another, in order.
pub fn sweep_charts(plan: &SweepView<'_>, points: &[PointStats], names: &[String]) -> Vec<Chart> {
    sweep_chart_drawings(plan, points, names).iter().filter_map(ChartDrawing::draw).collect()
}

/// Each chart metric against the first axis, one line per combination of the other axes
/// (at most eight), with its 95 % confidence band, in panels of similar range; a heatmap
/// of it for a two-axis sweep; and the monthly cost by service per point. A chart that
/// cannot be drawn is left out.
pub fn sweep_chart_drawings<'a>(
    plan: &'a SweepView<'_>,
    points: &'a [PointStats],
    names: &[String],
) -> Vec<ChartDrawing<'a>> {
    let mut charts: Vec<ChartDrawing<'a>> = Vec::new();
    let axes = plan.axes;
    let first = &axes[0];
    let axis_names = axis_names(axes);
    let (xs, log_x) = x_positions(&first.values);
    let ticks: Vec<(f64, String)> = xs.iter().zip(&first.values).map(|(x, v)| (*x, value_text(v))).collect();
    let per_first: usize = axes[1..].iter().map(|a| a.values.len()).product();
    for (k, metric) in chart_metrics(plan, names).iter().enumerate() {
        // Series: one per combination of the other axes, in point order.
        let mut series: Vec<Line> = Vec::new();
        for rest in 0..per_first.min(8) {
            let label = if axes.len() > 1 {
                point_label(&axis_names[1..], &plan.point_values[rest][1..])
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
        let chart = LineChart {
            title: format!("{} against {}", metric_name(metric), axis_names[0]),
            metric: metric.clone(),
            x_title: axis_title(&first.key, log_x),
            ticks: ticks.clone(),
            series,
        };
        let tops: Vec<f64> = chart.series.iter().map(|(_, l)| l.iter().map(|p| p.3).fold(0.0, f64::max)).collect();
        let panels = chart::panels_by_range(&tops, 100.0, 4);
        let height = 100 + 300 * panels.len().max(1) as u32;
        charts.push(ChartDrawing::new(
            format!("metric-{k:02}"),
            (900, height),
            (chart, panels),
            |r, (chart, panels)| draw_lines(r, chart, panels).map(drop),
            |r, (chart, panels)| draw_lines(r, chart, panels).map(drop),
        ));
        if axes.len() == 2 {
            let (nx, ny) = (axes[0].values.len(), axes[1].values.len());
            let z: Vec<Vec<Option<f64>>> =
                (0..nx).map(|i| (0..ny).map(|j| points[i * ny + j].get(metric).and_then(|s| s.0)).collect()).collect();
            let name = format!("heatmap-{k:02}");
            let runs = if plan.replications == 1 { "1 run".to_string() } else { format!("{} runs", plan.replications) };
            let title = format!("{}: mean of {runs} a point", metric_name(metric));
            let x_title = axis_title(&axes[0].key, false);
            let y_title = axis_title(&axes[1].key, false);
            let heatmap = Heatmap { title, metric: metric.clone(), x_title, y_title, axes, z };
            charts.push(ChartDrawing::new(name, (900, 640), heatmap, |r, h| h.draw(r), |r, h| h.draw(r)));
        }
    }
    // Cost by service, stacked, per point: per month for steady traffic, else each run's own
    // (a one-off scenario has no monthly figures).
    let monthly = names.iter().any(|n| n.starts_with("cost_usd.") && n.ends_with("_per_month"));
    let suffix = if monthly { "_per_month" } else { "" };
    let services: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_prefix("cost_usd.")?.strip_suffix(suffix).map(str::to_string))
        .filter(|s| s != "total" && !s.ends_with("_per_month"))
        .collect();
    if !services.is_empty() && points.len() <= 60 {
        let bars: Vec<(String, Vec<f64>)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let costs = services
                    .iter()
                    .map(|s| p.get(&format!("cost_usd.{s}{suffix}")).and_then(|v| v.0).unwrap_or(0.0))
                    .collect();
                (point_label(&axis_names, plan.point_values[i]), costs)
            })
            .collect();
        let height = 130 + 26 * bars.len() as u32;
        charts.push(ChartDrawing::new(
            "cost-by-service".to_string(),
            (900, height),
            (services, bars, monthly),
            |r, (services, bars, monthly)| draw_stacked(r, services, bars, *monthly),
            |r, (services, bars, monthly)| draw_stacked(r, services, bars, *monthly),
        ));
    }
    charts
}

type Line = (String, Vec<(f64, f64, f64, f64)>);

/// A heatmap of a metric over a two-axis sweep, ready to draw.
struct Heatmap<'a> {
    title: String,
    metric: String,
    x_title: String,
    y_title: String,
    axes: &'a [Axis],
    /// The metric's mean at each point, by first then second axis value.
    z: Vec<Vec<Option<f64>>>,
}

impl Heatmap<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let labels = (&self.x_title, &self.axes[0].values, &self.y_title, &self.axes[1].values);
        draw_heatmap(root, &self.title, &self.metric, labels, &self.z)
    }
}

/// The plotting area of each panel, in pixels (x, y).
type PlotAreas = Vec<(std::ops::Range<i32>, std::ops::Range<i32>)>;

/// The chart's title on top, its panels down the left, and the legend on the right, clear
/// of every line.
fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    panels: &[Vec<usize>],
) -> Result<PlotAreas, String> {
    root.fill(&WHITE).map_err(err)?;
    let (width, _) = root.dim_in_pixel();
    let (title, body) = root.split_vertically(45);
    let centre = Pos::new(HPos::Center, VPos::Center);
    title
        .draw(&Text::new(chart.title.clone(), (width as i32 / 2, 25), TextStyle::from(("sans-serif", 20)).pos(centre)))
        .map_err(err)?;
    let labels: Vec<&str> = chart.series.iter().map(|(l, _)| l.as_str()).collect();
    let legend_width = chart::legend_width(root, &labels, 120).min(width / 3);
    let (plots, legend) = body.split_horizontally(width - legend_width);
    let entries: Vec<(&str, RGBColor)> = labels.iter().enumerate().map(|(i, l)| (*l, palette(i))).collect();
    chart::side_legend(&legend, &entries, chart::Swatch::Line)?;
    let mut areas = Vec::new();
    for (panel, area) in panels.iter().zip(plots.split_evenly((panels.len().max(1), 1))) {
        areas.push(draw_panel(&area, chart, panel)?);
    }
    Ok(areas)
}

/// One panel: the series of `panel`, on a y axis in the unit that suits them, the x axis
/// labelled by the first axis's values.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    panel: &[usize],
) -> Result<(std::ops::Range<i32>, std::ops::Range<i32>), String> {
    let xs: Vec<f64> = chart.ticks.iter().map(|t| t.0).collect();
    let (mut x0, mut x1) = xs.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    if x0 > x1 {
        return Err("no data".into());
    }
    if x0 == x1 {
        (x0, x1) = (x0 - 1.0, x1 + 1.0);
    }
    // Room at both ends, so the first and last points' dots stay inside the plot.
    let pad = (x1 - x0) * 0.04;
    let (x0, x1) = (x0 - pad, x1 + pad);
    let top = panel.iter().flat_map(|&i| chart.series[i].1.iter()).map(|p| p.3).fold(0.0, f64::max);
    let (y_title, scale, tick) = metric_axis(&chart.metric, top);
    let y1 = if top <= 0.0 { 1.0 } else { top * scale * 1.1 };
    // Room below zero for the dots of points at zero (or near it, beside a series far
    // larger), so that they stay inside the plot: about four pixels.
    let plot_height = f64::from(area.dim_in_pixel().1.saturating_sub(70).max(40));
    let y0 = -y1 * 4.0 / plot_height;
    let mut c = ChartBuilder::on(area)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc(chart.x_title.as_str())
        .y_desc(y_title)
        .y_label_formatter(&|y| if *y < 0.0 { String::new() } else { tick(*y) })
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    // The x axis's ticks: the first axis's values, each with a grid line, a mark and its label.
    let grid = RGBColor(220, 220, 220);
    for (x, label) in &chart.ticks {
        c.draw_series(LineSeries::new([(*x, y0), (*x, y1)], grid.stroke_width(1))).map_err(err)?;
        let style = TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Center, VPos::Top));
        let mark = EmptyElement::at((*x, y0))
            + PathElement::new(vec![(0, 0), (0, 5)], BLACK)
            + Text::new(label.clone(), (0, 8), style);
        c.draw_series(std::iter::once(mark)).map_err(err)?;
    }
    for &i in panel {
        let (_, line) = &chart.series[i];
        let colour = palette(i);
        let scaled: Vec<(f64, f64, f64, f64)> =
            line.iter().map(|p| (p.0, p.1 * scale, (p.2 * scale).max(0.0), p.3 * scale)).collect();
        // The 95 % band (never below the axis), then the means.
        let mut band: Vec<(f64, f64)> = scaled.iter().map(|p| (p.0, p.3)).collect();
        band.extend(scaled.iter().rev().map(|p| (p.0, p.2)));
        c.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.2)))).map_err(err)?;
        c.draw_series(LineSeries::new(scaled.iter().map(|p| (p.0, p.1)), colour.stroke_width(2))).map_err(err)?;
        c.draw_series(scaled.iter().map(|p| Circle::new((p.0, p.1), 3, colour.filled()))).map_err(err)?;
    }
    Ok(c.plotting_area().get_pixel_range())
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    metric: &str,
    (x_title, x_values, y_title, y_values): (&String, &Vec<String>, &String, &Vec<String>),
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
        SegmentValue::CenterOf(i) => values.get(*i).map(|v| value_text(v)).unwrap_or_default(),
        _ => String::new(),
    };
    c.configure_mesh()
        .disable_mesh()
        .x_desc(x_title.as_str())
        .y_desc(y_title.as_str())
        .x_labels(nx + 1)
        .y_labels(ny + 1)
        .x_label_formatter(&|s| label(x_values, s))
        .y_label_formatter(&|s| label(y_values, s))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
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
            let ink = if t > 0.6 { WHITE } else { BLACK };
            let style = TextStyle::from(("sans-serif", 14)).color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
            c.draw_series(std::iter::once(Text::new(
                value_of(metric, v),
                (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
                style,
            )))
            .map_err(err)?;
        }
    }
    Ok(())
}

/// Horizontal bars, one per point labelled by its axis values, stacked by service, with the
/// services' colours beside the plot.
fn draw_stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    services: &[String],
    bars: &[(String, Vec<f64>)],
    monthly: bool,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (width, _) = root.dim_in_pixel();
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let legend_width = chart::legend_width(root, &names, 110).min(width / 4);
    let (plot, legend) = root.split_horizontally(width - legend_width);
    let entries: Vec<(&str, RGBColor)> = names.iter().enumerate().map(|(k, s)| (*s, palette(k))).collect();
    let (_, legend) = legend.split_vertically(40);
    chart::side_legend(&legend, &entries, chart::Swatch::Box)?;
    let rows = bars.len();
    let top = bars.iter().map(|b| b.1.iter().sum::<f64>()).fold(0.0, f64::max).max(1e-9) * 1.1;
    let labels: Vec<&str> = bars.iter().map(|b| b.0.as_str()).collect();
    let label_width = chart::legend_width(root, &labels, 100) - 35;
    let (title, unit) = if monthly {
        ("Monthly cost by service, per point (if this traffic ran all month)", "USD per month")
    } else {
        ("Cost of a run by service, per point (one-off: no monthly projection)", "USD per run")
    };
    let mut c = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .margin_right(30)
        .x_label_area_size(45)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..top, (0..rows.max(1) - 1).into_segmented())
        .map_err(err)?;
    c.configure_mesh()
        .disable_y_mesh()
        .y_labels(rows + 1)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(rows - 1 - *i).map(|l| l.to_string()).unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|x| format::usd_short(*x))
        .x_desc(unit)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    for (i, (_, costs)) in bars.iter().enumerate() {
        // The first point on top, as the table lists it.
        let row = rows - 1 - i;
        let mut below = 0.0;
        for (k, cost) in costs.iter().enumerate() {
            let mut bar = Rectangle::new(
                [(below, SegmentValue::Exact(row)), (below + cost, SegmentValue::Exact(row + 1))],
                palette(k).filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            c.draw_series(std::iter::once(bar)).map_err(err)?;
            below += cost;
        }
    }
    Ok(())
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
        "<p>Scenario SHA-256 <code>{}</code>; base seed {}; {} point(s) × {} replication(s) = {} runs; {}.</p>",
        plan.source_sha256,
        plan.base_seed,
        plan.point_values.len(),
        plan.replications,
        plan.runs,
        if plan.overrides.is_empty() {
            "no overrides".to_string()
        } else {
            format!("overrides: <code>{}</code>", escape(&plan.overrides.join(" ")))
        }
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
                Some((Some(mean), Some(ci))) => format!("{} ± {}", format::number(*mean, 3), format::number(*ci, 3)),
                Some((Some(mean), None)) => format::number(*mean, 3),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(key: &str, values: &[&str]) -> Axis {
        Axis { key: key.to_string(), values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn points_are_labelled_by_their_axis_values() {
        let axes = [
            axis("workload.orders.rate_per_s", &["200", "16000"]),
            axis("lambda.process_order.maximum_concurrency", &["5"]),
        ];
        let names = axis_names(&axes);
        assert_eq!(names, ["rate_per_s", "maximum_concurrency"]);
        let values = ["16000".to_string(), "5".to_string()];
        assert_eq!(point_label(&names, &values), "rate_per_s = 16,000, maximum_concurrency = 5");
        assert_eq!(point_label(&["workers".to_string()], &["4".to_string()]), "workers = 4");
        // Two keys ending alike keep their whole keys; words stay as they are.
        let axes = [axis("lambda.a.memory_mb", &["128"]), axis("lambda.b.memory_mb", &["256"])];
        assert_eq!(axis_names(&axes), ["lambda.a.memory_mb", "lambda.b.memory_mb"]);
        assert_eq!(point_label(&["mode".to_string()], &["fifo".to_string()]), "mode = fifo");
    }

    #[test]
    fn axis_titles_carry_their_units() {
        assert_eq!(axis_title("workload.orders.rate_per_s", false), "workload.orders.rate_per_s (per s)");
        assert_eq!(axis_title("lambda.f.memory_mb", true), "lambda.f.memory_mb (MB, log scale)");
        assert_eq!(axis_title("sqs.q.visibility_timeout_s", false), "sqs.q.visibility_timeout_s (s)");
        assert_eq!(metric_axis("sqs.orders.end_to_end.p99_ms", 715_478.0).0, "sqs.orders.end_to_end p99 (s)");
        assert_eq!(metric_axis("sqs.orders.end_to_end.p99_ms", 1_222.0).0, "sqs.orders.end_to_end p99 (ms)");
        assert_eq!(metric_axis("cost_usd.total_per_month", 3_000.0).0, "cost_usd.total_per_month (USD per month)");
        assert_eq!(value_of("cost_usd.total_per_month", 2_099.123), "$2,099.12");
        assert_eq!(value_of("sqs.orders.end_to_end.p99_ms", 1_209.7), "1.21 s");
        // 5 to 80 spans 16 times: a log axis; 200 to 800 a linear one.
        assert!(x_positions(&["5".into(), "10".into(), "80".into()]).1);
        assert_eq!(x_positions(&["200".into(), "800".into()]), (vec![200.0, 800.0], false));
        assert_eq!(x_positions(&["fifo".into(), "standard".into()]), (vec![0.0, 1.0], false));
    }

    /// A two-axis sweep of 3 × 5 points like the shipped Lambda one: p99s from 1.2 s to 715 s.
    fn sweep() -> (Vec<Axis>, Vec<Vec<String>>, Vec<PointStats>) {
        let axes = vec![
            axis("workload.orders.rate_per_s", &["200", "400", "800"]),
            axis("lambda.process_order.maximum_concurrency", &["5", "10", "20", "40", "80"]),
        ];
        let mut values = Vec::new();
        let mut points = Vec::new();
        for (i, rate) in axes[0].values.iter().enumerate() {
            for (j, concurrency) in axes[1].values.iter().enumerate() {
                values.push(vec![rate.clone(), concurrency.clone()]);
                // Starved: concurrency 5 at 200 a second, 5 and 10 at 400, 5 to 20 at 800.
                let p99 = if j <= i { 180_000.0 * (i + 1 - j) as f64 } else { 1_210.0 + j as f64 };
                let mut stats = PointStats::new();
                stats.insert("sqs.orders.end_to_end.p99_ms".into(), (Some(p99), Some(p99 * 0.02)));
                stats.insert("cost_usd.lambda_per_month".into(), (Some(100.0 * (j + 1) as f64), None));
                stats.insert("cost_usd.sqs_per_month".into(), (Some(250.0 * (i + 1) as f64), None));
                points.push(stats);
            }
        }
        (axes, values, points)
    }

    #[test]
    fn sweep_charts_read_axis_values_not_point_numbers() {
        let (axes, values, points) = sweep();
        let metrics = vec!["sqs.orders.end_to_end.p99_ms".to_string()];
        let view = SweepView {
            name: "s",
            source_sha256: "",
            base_seed: 1,
            replications: 3,
            runs: 45,
            overrides: &[],
            axes: &axes,
            chart_metrics: &metrics,
            point_values: values.iter().map(Vec::as_slice).collect(),
        };
        let names: Vec<String> =
            points[0].keys().cloned().chain(std::iter::once("cost_usd.total_per_month".into())).collect();
        let charts = sweep_charts(&view, &points, &names);
        // The texts of a chart's SVG, each trimmed.
        let texts = |name: &str| -> Vec<String> {
            let svg = &charts.iter().find(|c| c.name == name).unwrap().svg;
            svg.split("<text")
                .skip(1)
                .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_string()))
                .collect()
        };
        let cost = texts("cost-by-service");
        assert!(
            cost.iter().any(|t| t == "rate_per_s = 200, maximum_concurrency = 5"),
            "bars named by their values: {cost:?}"
        );
        assert!(cost.iter().any(|t| t == "rate_per_s = 800, maximum_concurrency = 80"));
        assert!(!cost.iter().any(|t| t == "point" || t == "14" || t == "14.0"), "no point numbers: {cost:?}");
        let metric = texts("metric-00");
        for text in ["200", "400", "800", "maximum_concurrency = 40", "workload.orders.rate_per_s (per s)"] {
            assert!(metric.iter().any(|t| t == text), "{text} in {metric:?}");
        }
        assert!(!metric.iter().any(|t| t.ends_with(".0")), "no decimals the values do not have: {metric:?}");
        for title in ["sqs.orders.end_to_end p99 (s)", "sqs.orders.end_to_end p99 (ms)"] {
            assert!(metric.iter().any(|t| t == title), "540 s and 1.2 s in panels of their own units: {metric:?}");
        }
        let heatmap = texts("heatmap-00");
        assert!(heatmap.iter().any(|t| t == "540 s") && heatmap.iter().any(|t| t == "1.21 s"), "{heatmap:?}");
    }

    #[test]
    fn the_legend_sits_beside_the_panels_and_nothing_is_drawn_outside_them() {
        let (axes, values, points) = sweep();
        let names = axis_names(&axes);
        let series: Vec<Line> = (0..5)
            .map(|j| {
                let line = (0..3)
                    .map(|i| {
                        let (mean, ci) = points[i * 5 + j]["sqs.orders.end_to_end.p99_ms"];
                        let (mean, ci) = (mean.unwrap(), ci.unwrap());
                        (axes[0].values[i].parse().unwrap(), mean, mean - ci, mean + ci)
                    })
                    .collect();
                (point_label(&names[1..], &values[j][1..]), line)
            })
            .collect();
        let chart = LineChart {
            title: "t".into(),
            metric: "sqs.orders.end_to_end.p99_ms".into(),
            x_title: "x".into(),
            ticks: vec![(200.0, "200".into()), (400.0, "400".into()), (800.0, "800".into())],
            series,
        };
        let tops: Vec<f64> = chart.series.iter().map(|(_, l)| l.iter().map(|p| p.3).fold(0.0, f64::max)).collect();
        let panels = chart::panels_by_range(&tops, 100.0, 4);
        assert_eq!(panels.len(), 2, "{panels:?}");
        let (width, height) = (900u32, 700u32);
        let mut buffer = vec![0u8; (width * height * 3) as usize];
        let areas = {
            chart::ensure_font();
            let root = chart::Png::with_buffer(&mut buffer, (width, height)).into_drawing_area();
            let areas = draw_lines(&root, &chart, &panels).unwrap();
            root.present().unwrap();
            areas
        };
        let legend_x = areas.iter().map(|a| a.0.end).max().unwrap() + 2;
        let inside = |x: i32, y: i32| {
            areas
                .iter()
                .any(|(xs, ys)| (xs.start - 1..=xs.end + 1).contains(&x) && (ys.start - 1..=ys.end + 1).contains(&y))
        };
        for i in 0..5 {
            let colour = palette(i);
            let (mut in_legend, mut outside) = (0, 0);
            for y in 0..height as i32 {
                for x in 0..width as i32 {
                    let k = ((y * width as i32 + x) * 3) as usize;
                    if buffer[k..k + 3] != [colour.0, colour.1, colour.2] {
                        continue;
                    }
                    if x > legend_x {
                        in_legend += 1;
                    } else if !inside(x, y) {
                        outside += 1;
                    }
                }
            }
            assert!(in_legend > 0, "series {i} has its legend entry right of the plots");
            assert_eq!(outside, 0, "series {i} drawn outside {areas:?}");
        }
    }
}
