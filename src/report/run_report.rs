//! A run's charts and HTML page, drawn from its result files alone, so that `orchsim chart`
//! redraws them from a saved folder exactly as the run drew them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use super::chart::{self, Chart, err, palette};
use super::format;
use super::sweep_report::svg_body;

/// The files a run's charts and page are drawn from: name → text.
pub type Files = BTreeMap<String, String>;

/// At most this many lines in one chart.
const LINES_MAX: usize = 8;

/// The percentile spectrum of the latencies, queue depth over time, the monthly cost by
/// service and resource, and the distribution of each state machine's cost per execution.
pub fn run_charts(files: &Files) -> Vec<Chart> {
    let mut charts = Vec::new();
    // Percentile spectrum, from the .hgrm files: the latencies that answer first, in panels
    // of similar range.
    let spectra: Vec<(String, Vec<(f64, f64)>)> = files
        .iter()
        .filter_map(|(name, text)| {
            let metric = name.strip_prefix("histograms/")?.strip_suffix(".hgrm")?;
            let points = hgrm_points(text);
            (points.len() > 1).then(|| (metric.to_string(), points))
        })
        .collect();
    let panels = spectrum_panels(spectra);
    if !panels.is_empty() {
        let height = 120 + 330 * panels.len() as u32;
        if let Ok(c) =
            chart::render("latency-spectrum", (900, height), |r| draw_spectra(r, &panels), |r| draw_spectra(r, &panels))
        {
            charts.push(c);
        }
    }
    // Queue depth over time: visible plus in flight, per queue.
    if let Some(text) = files.get("timeseries.csv")
        && let Some(series) = queue_depths(text)
        && let Ok(c) = chart::render(
            "queue-depth",
            (900, 560),
            |r| draw_depths(r, &series).map(drop),
            |r| draw_depths(r, &series).map(drop),
        )
    {
        charts.push(c);
    }
    // This run's cost by resource, coloured by service, with the monthly figure's basis
    // for steady traffic.
    if let Some(text) = files.get("cost.csv") {
        let costs = resource_costs(text);
        let summary = files.get("summary.json").and_then(|t| serde_json::from_str::<Value>(t).ok());
        let measured_s = summary.as_ref().and_then(|v| v["measured_s"].as_f64());
        let basis = summary.as_ref().map_or(CostBasis::Steady, CostBasis::of);
        if costs.iter().any(|c| c.usd_window > 0.0) {
            let rows = costs.iter().filter(|c| c.usd_window > 0.0).count().min(COST_ROWS_MAX) as u32;
            let size = (900, 150 + 30 * rows);
            if let Ok(c) = chart::render(
                "cost-by-service",
                size,
                |r| draw_costs(r, &costs, measured_s, basis),
                |r| draw_costs(r, &costs, measured_s, basis),
            ) {
                charts.push(c);
            }
        }
    }
    // Cost per execution, one chart per state machine.
    if let Some(text) = files.get("cost_per_execution.csv") {
        for (k, (machine, buckets)) in cost_buckets(text).into_iter().take(4).enumerate() {
            let name = format!("cost-per-execution-{k:02}");
            if let Ok(c) = chart::render(
                &name,
                (900, 500),
                |r| draw_cost_histogram(r, &machine, &buckets),
                |r| draw_cost_histogram(r, &machine, &buckets),
            ) {
                charts.push(c);
            }
        }
    }
    charts
}

/// (percentile, value in ms) rows of an `.hgrm` file, the last (100 %) left out.
fn hgrm_points(text: &str) -> Vec<(f64, f64)> {
    text.lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            if cols.len() != 4 {
                return None;
            }
            Some((cols[1].parse::<f64>().ok()?, cols[0].parse::<f64>().ok()?))
        })
        .filter(|(q, _)| *q < 1.0)
        .collect()
}

/// The spectrum's x: how many nines the percentile has (0 for 0 %, 1 for 90 %, 2 for 99 %).
fn nines(q: f64) -> f64 {
    -(1.0 - q).max(1e-7).log10()
}

/// What a latency answers, for choosing which to draw: the rank of its name.
/// 0: end to end and workflow durations; 1: what a caller waits; 2: time in a queue;
/// 3: every hop (a function's or a worker's duration, INIT, a delivery).
fn spectrum_rank(name: &str) -> u8 {
    if name.ends_with(".end_to_end") || (name.starts_with("step_functions.") && name.ends_with(".duration")) {
        0
    } else if name.ends_with(".caller_wait") || name.ends_with(".response") {
        1
    } else if name.ends_with(".queue_wait") {
        2
    } else {
        3
    }
}

/// The latencies to draw, at most `LINES_MAX`, the most telling first (`spectrum_rank`, then
/// name), grouped into at most three panels in each of which the largest value is at most
/// 100 times the smallest series' largest, so no series is flattened into a line at 0.
fn spectrum_panels(mut spectra: Series) -> Vec<Series> {
    spectra.sort_by(|a, b| (spectrum_rank(&a.0), &a.0).cmp(&(spectrum_rank(&b.0), &b.0)));
    spectra.truncate(LINES_MAX);
    let top = |points: &[(f64, f64)]| points.iter().map(|p| p.1).fold(0.0, f64::max);
    // Largest first, so each panel starts at its largest range.
    spectra.sort_by(|a, b| top(&b.1).total_cmp(&top(&a.1)).then_with(|| a.0.cmp(&b.0)));
    let mut panels: Vec<Series> = Vec::new();
    for (name, points) in spectra {
        let fits = panels.last().is_some_and(|p| top(&p[0].1) <= 100.0 * top(&points).max(1e-3));
        match panels.last_mut() {
            Some(panel) if fits => panel.push((name, points)),
            _ => panels.push(vec![(name, points)]),
        }
    }
    panels.truncate(3);
    panels
}

fn draw_spectra<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, panels: &[Series]) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (title, body) = root.split_vertically(50);
    title
        .draw(&Text::new(
            "Latency by percentile",
            (title.dim_in_pixel().0 as i32 / 2, 25),
            TextStyle::from(("sans-serif", 20).into_font()).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            )),
        ))
        .map_err(err)?;
    let mut colour = 0;
    for (panel, area) in panels.iter().zip(body.split_evenly((panels.len(), 1))) {
        draw_spectrum(&area, panel, colour)?;
        colour += panel.len();
    }
    Ok(())
}

fn draw_spectrum<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spectra: &[(String, Vec<(f64, f64)>)],
    first_colour: usize,
) -> Result<(), String> {
    let x_max = spectra.iter().flat_map(|(_, p)| p.iter()).map(|p| nines(p.0)).fold(1.0, f64::max).ceil();
    let top_ms = spectra.iter().flat_map(|(_, p)| p.iter()).map(|p| p.1).fold(0.001, f64::max);
    let (unit, scale) = format::duration_unit(top_ms);
    let y_max = top_ms * scale * 1.1;
    let mut c = ChartBuilder::on(root)
        .margin(10)
        .margin_right(40)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(err)?;
    c.configure_mesh()
        .x_desc("percentile (log scale of nines)")
        .y_desc(format!("latency ({unit})"))
        .x_labels(x_max as usize + 1)
        .x_label_formatter(&|x| {
            // Labels at whole numbers of nines: 0%, 90%, 99%, 99.9%, …
            if (x - x.round()).abs() > 1e-9 {
                return String::new();
            }
            match x.round() as usize {
                0 => "0%".into(),
                1 => "90%".into(),
                n => format!("99{}{}%", if n > 2 { "." } else { "" }, "9".repeat(n - 2)),
            }
        })
        .y_label_formatter(&|y| format::tick(*y))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let plot_px = c.plotting_area().dim_in_pixel();
    let mut drawn = Vec::with_capacity(spectra.len());
    for (i, (name, points)) in spectra.iter().enumerate() {
        let colour = palette(first_colour + i);
        // A long .hgrm has more rows than the plot has pixel columns: reduced like any dense
        // series, so its line's joins stay inside the plot.
        let points: Vec<(f64, f64)> = points.iter().map(|p| (nines(p.0), p.1 * scale)).collect();
        let shown = chart::decimate(&points, 0.0..x_max, plot_px.0);
        c.draw_series(LineSeries::new(shown.iter().copied(), colour.stroke_width(2)))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        drawn.push(shown);
    }
    let corner = free_corner_of(&drawn, spectra.iter().map(|s| s.0.as_str()), 0.0..x_max, 0.0..y_max, plot_px);
    chart::legend(&mut c, corner)
}

/// [`chart::free_corner`] for the series drawn, named by `names`.
fn free_corner_of<'n>(
    drawn: &[Vec<(f64, f64)>],
    names: impl Iterator<Item = &'n str>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    plot_px: (u32, u32),
) -> SeriesLabelPosition {
    let longest = names.map(|n| n.chars().count()).max().unwrap_or(0);
    let series: Vec<&[(f64, f64)]> = drawn.iter().map(Vec::as_slice).collect();
    chart::free_corner(&series, x, y, plot_px, drawn.len(), longest)
}

type Series = Vec<(String, Vec<(f64, f64)>)>;

/// Each queue's messages stored (visible plus in flight) at each sample.
fn queue_depths(text: &str) -> Option<Series> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().ok()?.iter().map(str::to_string).collect();
    let queues: Vec<(String, usize, usize)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let q = h.strip_suffix(".visible")?;
            let j = header.iter().position(|x| *x == format!("{q}.in_flight"))?;
            Some((q.to_string(), i, j))
        })
        .take(LINES_MAX)
        .collect();
    if queues.is_empty() {
        return None;
    }
    let rows: Vec<Vec<f64>> = reader
        .records()
        .filter_map(|r| r.ok()?.iter().map(|v| v.parse::<f64>().ok()).collect::<Option<Vec<_>>>())
        .collect();
    Some(queues.into_iter().map(|(q, i, j)| (q, rows.iter().map(|r| (r[0], r[i] + r[j])).collect())).collect())
}

/// Draws the queues' depths; returns the plotting area's pixel ranges (x, y), inside which
/// every point of a series lies.
fn draw_depths<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &Series,
) -> Result<(std::ops::Range<i32>, std::ops::Range<i32>), String> {
    let x_max = series.iter().flat_map(|(_, p)| p.iter()).map(|p| p.0).fold(1.0, f64::max);
    let y_max = series.iter().flat_map(|(_, p)| p.iter()).map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let mut c = chart::xy(root, "Messages in each queue (visible and in flight)", 0.0..x_max, 0.0..y_max)?;
    c.configure_mesh()
        .x_desc("virtual time (s)")
        .y_desc("messages")
        .x_label_formatter(&|x| format::tick(*x))
        .y_label_formatter(&|y| format::tick(*y))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    // One pixel column a point at most (per column its first, lowest, highest and last):
    // thousands of samples drawn as they are turn into a thick zigzag that the bitmap's
    // line joins throw far outside the plot.
    let plot_px = c.plotting_area().dim_in_pixel();
    let columns = plot_px.0;
    let mut drawn = Vec::with_capacity(series.len());
    for (i, (name, points)) in series.iter().enumerate() {
        let colour = palette(i);
        let shown = chart::decimate(points, 0.0..x_max, columns);
        // A dense series in a thin line: plotters' bitmap joins of thick lines at steep
        // angles reach far past their points.
        let width = if shown.len() as u32 > columns { 1 } else { 2 };
        c.draw_series(LineSeries::new(shown.iter().copied(), colour.stroke_width(width)))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        drawn.push(shown);
    }
    let corner = free_corner_of(&drawn, series.iter().map(|s| s.0.as_str()), 0.0..x_max, 0.0..y_max, plot_px);
    chart::legend(&mut c, corner)?;
    Ok(c.plotting_area().get_pixel_range())
}

/// The most resources the cost chart draws, the costliest first; the rest are summed in
/// its note.
const COST_ROWS_MAX: usize = 20;

/// Whether the cost chart shows a monthly figure beside the run's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CostBasis {
    /// The traffic is steady: each bar also says the month it would make.
    Steady,
    /// A one-off run: its own cost, never projected.
    OneOff,
}

impl CostBasis {
    /// From `summary.json`'s `cost_basis`; a folder written before it had one was steady.
    fn of(summary: &Value) -> CostBasis {
        match summary["cost_basis"]["traffic"].as_str() {
            Some("one-off") => CostBasis::OneOff,
            _ => CostBasis::Steady,
        }
    }
}

/// One line of `cost.csv`: what a resource cost in the run's window, and that cost as a
/// month if the traffic ran all month (none for a one-off run).
#[derive(Clone, Debug, PartialEq)]
struct ResourceCost {
    service: String,
    /// The resource and what it is billed for, e.g. `sqs.orders requests`.
    label: String,
    usd_window: f64,
    usd_per_month: Option<f64>,
}

/// The lines of `cost.csv`, in its order.
fn resource_costs(text: &str) -> Vec<ResourceCost> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .flatten()
        .filter_map(|r| {
            Some(ResourceCost {
                service: r.get(0)?.to_string(),
                label: format!("{} {}", r.get(1)?, r.get(2)?),
                usd_window: r.get(5)?.parse().ok()?,
                usd_per_month: r.get(6)?.parse().ok(),
            })
        })
        .collect()
}

/// `label` if it is at most `max_px` wide, else its longest end that fits after an ellipsis.
fn fit_left(label: &str, max_px: u32, width_of: &dyn Fn(&str) -> u32) -> String {
    if width_of(label) <= max_px {
        return label.to_string();
    }
    let starts = label.char_indices().map(|(i, _)| i).skip(1);
    for start in starts {
        let shortened = format!("…{}", &label[start..]);
        if width_of(&shortened) <= max_px {
            return shortened;
        }
    }
    "…".to_string()
}

/// Horizontal bars, one per resource that cost anything, the costliest on top, coloured by
/// service: the run's own cost, each labelled with it and, for steady traffic, with the
/// month it would make if the traffic ran all month (the basis said, never the projection
/// alone; a one-off run shows none).
fn draw_costs<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    costs: &[ResourceCost],
    measured_s: Option<f64>,
    basis: CostBasis,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let mut shown: Vec<&ResourceCost> = costs.iter().filter(|c| c.usd_window > 0.0).collect();
    shown.sort_by(|a, b| b.usd_window.total_cmp(&a.usd_window).then_with(|| a.label.cmp(&b.label)));
    let left_out: Vec<&ResourceCost> = shown.split_off(shown.len().min(COST_ROWS_MAX));
    let services: Vec<&str> = shown.iter().fold(Vec::new(), |mut v, c| {
        if !v.contains(&c.service.as_str()) {
            v.push(c.service.as_str());
        }
        v
    });
    let rows = shown.len();
    let top = shown.iter().map(|c| c.usd_window).fold(0.0, f64::max);
    let window = measured_s.map_or("the run's window".to_string(), |s| format!("{} s", format::tick(s.round())));
    // Two rows at least: a segmented axis of one row has no height, and its bar none.
    let slots = rows.max(2);
    // Enough decimals that the ticks (about a tenth of the axis apart) read differently.
    let decimals = ((-(top * 1.9 / 10.0).log10()).ceil().max(2.0) as usize).min(8);
    let (chart_area, note) = root.split_vertically(root.dim_in_pixel().1 - 40);
    // The labels' column is as wide as the widest label, up to half the chart; a longer
    // label keeps its end (what the resource is billed for) and loses the start of its
    // name, marked with an ellipsis, rather than running off the picture.
    let label_style = TextStyle::from(("sans-serif", 13));
    let width_of = |text: &str| root.estimate_text_size(text, &label_style).map_or(0, |s| s.0);
    let label_max_px = root.dim_in_pixel().0 / 2;
    let labels: Vec<String> = shown.iter().map(|c| fit_left(&c.label, label_max_px, &width_of)).collect();
    let label_area_px = labels.iter().map(|l| width_of(l)).max().unwrap_or(0).max(100) + 20;
    let mut c = ChartBuilder::on(&chart_area)
        .caption(format!("Cost of this run ({window}) by resource"), ("sans-serif", 20))
        .margin(15)
        .margin_right(30)
        .x_label_area_size(45)
        .y_label_area_size(label_area_px)
        // Room right of the longest bar for its labels.
        .build_cartesian_2d(0.0..top * 1.9, (0..slots - 1).into_segmented())
        .map_err(err)?;
    c.configure_mesh()
        .disable_y_mesh()
        .y_labels(slots + 1)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(slots - 1 - *i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|x| format!("${}", format::number(*x, decimals)))
        .x_desc(format!("USD in this run ({window})"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    for (i, cost) in shown.iter().enumerate() {
        let row = slots - 1 - i;
        let colour = palette(services.iter().position(|s| *s == cost.service).unwrap_or(0));
        let mut bar = Rectangle::new(
            [(0.0, SegmentValue::Exact(row)), (cost.usd_window, SegmentValue::Exact(row + 1))],
            colour.filled(),
        );
        bar.set_margin(4, 4, 0, 0);
        c.draw_series(std::iter::once(bar)).map_err(err)?;
        let text = match (basis, cost.usd_per_month) {
            (CostBasis::Steady, Some(month)) => {
                format!(
                    "{}  ({}/month if this traffic ran all month)",
                    format::usd(cost.usd_window),
                    format::usd(month)
                )
            }
            _ => format::usd(cost.usd_window),
        };
        let style = TextStyle::from(("sans-serif", 12)).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
        c.draw_series(std::iter::once(Text::new(
            text,
            (cost.usd_window + top * 0.01, SegmentValue::CenterOf(row)),
            style,
        )))
        .map_err(err)?;
    }
    // The services' colours, and what was left out, under the chart.
    let mut x = 20;
    for (k, service) in services.iter().enumerate() {
        note.draw(&Rectangle::new([(x, 12), (x + 12, 24)], palette(k).filled())).map_err(err)?;
        note.draw(&Text::new(service.to_string(), (x + 16, 11), ("sans-serif", 13))).map_err(err)?;
        x += 26 + 8 * service.len() as i32;
    }
    let free = costs.iter().filter(|c| c.usd_window <= 0.0).count();
    let rest: f64 = left_out.iter().map(|c| c.usd_window).sum();
    let mut said = Vec::new();
    if !left_out.is_empty() {
        said.push(format!("{} more, {} in all", resources(left_out.len()), format::usd(rest)));
    }
    if free > 0 {
        said.push(format!("{} at no cost", resources(free)));
    }
    if !said.is_empty() {
        note.draw(&Text::new(format!("not drawn: {}", said.join("; ")), (x + 20, 11), ("sans-serif", 13)))
            .map_err(err)?;
    }
    Ok(())
}

/// `n resources`, or `1 resource`.
fn resources(n: usize) -> String {
    if n == 1 { "1 resource".into() } else { format!("{n} resources") }
}

/// Appends `item` to the group named `key`, creating it at the end if new (first-seen order).
fn push_grouped<T>(groups: &mut Vec<(String, Vec<T>)>, key: &str, item: T) {
    match groups.iter_mut().find(|(k, _)| k == key) {
        Some((_, items)) => items.push(item),
        None => groups.push((key.to_string(), vec![item])),
    }
}

/// Per state machine, its cost-per-execution buckets (USD, count).
fn cost_buckets(text: &str) -> Vec<(String, Vec<(f64, u64)>)> {
    let mut out: Vec<(String, Vec<(f64, u64)>)> = Vec::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for r in reader.records().flatten() {
        let (Some(name), Some(usd), Some(count)) =
            (r.get(0), r.get(1).and_then(|v| v.parse::<f64>().ok()), r.get(2).and_then(|v| v.parse::<u64>().ok()))
        else {
            continue;
        };
        push_grouped(&mut out, name, (usd, count));
    }
    out
}

fn draw_cost_histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    machine: &str,
    buckets: &[(f64, u64)],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    // Twenty equal bins from the least to the most expensive execution.
    let lo = buckets.iter().map(|b| b.0).fold(f64::MAX, f64::min);
    let hi = buckets.iter().map(|b| b.0).fold(f64::MIN, f64::max);
    let width = if hi > lo { (hi - lo) / 20.0 } else { lo.max(1e-9) / 20.0 };
    let mut bins = [0u64; 21];
    for &(usd, count) in buckets {
        bins[(((usd - lo) / width).floor() as usize).min(20)] += count;
    }
    let top = *bins.iter().max().unwrap_or(&1) as f64 * 1.1;
    let mut c = ChartBuilder::on(root)
        .caption(format!("Step Functions cost per execution: {machine}"), ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..lo + 21.0 * width, 0.0..top.max(1.0))
        .map_err(err)?;
    c.configure_mesh()
        .x_desc("USD per execution")
        .y_desc("executions")
        .x_label_formatter(&|v| format::usd_short(*v))
        .y_label_formatter(&|y| format::tick(*y))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    c.draw_series(bins.iter().enumerate().map(|(i, &n)| {
        let x = lo + i as f64 * width;
        Rectangle::new([(x, 0.0), (x + width * 0.9, n as f64)], palette(0).filled())
    }))
    .map_err(err)?;
    Ok(())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One self-contained page: what the run says (its warnings), its latency, cost per
/// execution, counter and cost tables, its charts inlined, the overrides when there are
/// any, and its manifest.
pub fn run_html(files: &Files, charts: &[Chart]) -> String {
    let summary: Value = files.get("summary.json").and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
    let manifest: Value = files.get("manifest.json").and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
    let mut h = String::new();
    let title = summary["scenario"].as_str().unwrap_or("run");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>orchsim: {0}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;font-size:13px}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}\
         th{{background:#f3f3f3}}svg{{max-width:100%;height:auto}}.warnings li{{margin:0.3em 0}}\
         .warnings code{{background:#fff3cd;padding:0 3px}}.note{{font-size:13px;color:#444}}</style>\n\
         </head><body>\n<h1>{0}</h1>\n",
        escape(title)
    );
    let _ = writeln!(
        h,
        "<p>Seed {}, stopped by {} at {} s of virtual time ({} s measured after a {} s warm-up), {} events.</p>",
        summary["seed"],
        escape(summary["stop_reason"].as_str().unwrap_or("")),
        seconds(&summary["sim_time_s"]),
        seconds(&summary["measured_s"]),
        seconds(&summary["warmup_s"]),
        format::count(summary["events"].as_u64().unwrap_or(0))
    );
    warnings_html(&mut h, &summary);
    latency_html(&mut h, &summary);
    cost_per_execution_html(&mut h, &summary);
    h.push_str("<h2>Counters (non-zero)</h2>\n<table><tr><th>counter</th><th>value</th></tr>\n");
    for (name, v) in summary["counters"].as_object().into_iter().flatten() {
        if v.as_u64() != Some(0) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(name),
                v.as_u64().map_or(v.to_string(), format::count)
            );
        }
    }
    h.push_str("</table>\n");
    cost_html(&mut h, &summary, files.get("cost.csv").map(|t| resource_costs(t)).unwrap_or_default());
    h.push_str("<h2>Charts</h2>\n");
    for c in charts {
        let _ = writeln!(h, "<figure>{}</figure>", svg_body(&c.svg));
    }
    let overrides: Vec<&str> =
        manifest["overrides"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if !overrides.is_empty() {
        h.push_str("<h2>Overrides</h2>\n<p class=\"note\">Settings given with <code>--set</code>, over the scenario file's:</p>\n<ul>\n");
        for o in overrides {
            let _ = writeln!(h, "<li><code>{}</code></li>", escape(o));
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(
        h,
        "<h2>Manifest</h2>\n<pre>{}</pre>\n<script>\n{}</script>\n</body></html>",
        escape(&serde_json::to_string_pretty(&manifest).unwrap_or_default()),
        super::PAGE_CHECK
    );
    h
}

/// Seconds to the millisecond, with separators: `202.772`, `3,600`.
fn seconds(v: &Value) -> String {
    format::tick((v.as_f64().unwrap_or(0.0) * 1000.0).round() / 1000.0)
}

/// The run's warnings, first thing after its outcome: what to look at.
fn warnings_html(h: &mut String, summary: &Value) {
    let warnings = summary["warnings"].as_array().map(Vec::as_slice).unwrap_or_default();
    if warnings.is_empty() {
        return;
    }
    h.push_str("<h2>Warnings</h2>\n<ul class=\"warnings\">\n");
    for w in warnings {
        let _ = writeln!(
            h,
            "<li><code>{}</code> <b>{}</b>: {}</li>",
            escape(w["element"].as_str().unwrap_or("")),
            escape(w["kind"].as_str().unwrap_or("")),
            escape(w["message"].as_str().unwrap_or(""))
        );
    }
    h.push_str("</ul>\n");
}

/// A figure of a table: `decimals` decimals, or `–` for a metric with nothing recorded
/// (null in `summary.json`).
fn cell(v: &Value, decimals: usize) -> String {
    v.as_f64().map_or_else(|| "–".to_string(), |x| format::number(x, decimals))
}

fn latency_html(h: &mut String, summary: &Value) {
    h.push_str("<h2>Latency (ms)</h2>\n<table><tr><th>metric</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n");
    for (name, v) in summary["latency_ms"].as_object().into_iter().flatten() {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", escape(name), format::count(v["count"].as_u64().unwrap_or(0)));
        for k in ["mean", "p50", "p90", "p99", "p999", "max"] {
            let _ = write!(h, "<td>{}</td>", cell(&v[k], 1));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// Each state machine's Step Functions charges per execution, as the console prints them.
fn cost_per_execution_html(h: &mut String, summary: &Value) {
    let Some(machines) = summary["cost_per_execution_usd"].as_object().filter(|m| !m.is_empty()) else { return };
    h.push_str("<h2>Cost per execution (USD)</h2>\n<table><tr><th>metric</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>\n");
    for (name, v) in machines {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", escape(name), format::count(v["count"].as_u64().unwrap_or(0)));
        for k in ["mean", "p50", "p90", "p99", "max"] {
            let _ = write!(h, "<td>{}</td>", cell(&v[k], 7));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// The run's own cost by service and by resource; beside it, for steady traffic, the month
/// it would make, with that basis said; for a one-off run, why there is no month.
fn cost_html(h: &mut String, summary: &Value, resources: Vec<ResourceCost>) {
    let costs = &summary["cost_usd"];
    let basis = &summary["cost_basis"];
    let projection = basis["monthly_projection"].as_str();
    let window = summary["measured_s"]
        .as_f64()
        .map_or(String::new(), |s| format!(" ({} s)", format::tick((s * 10.0).round() / 10.0)));
    let _ = writeln!(
        h,
        "<h2>Cost (USD)</h2>\n<p>This run{window} cost <b>{}</b>.",
        format::usd(costs["total"].as_f64().unwrap_or(0.0))
    );
    match projection {
        Some(said) => {
            let _ = writeln!(
                h,
                " Per month {}: <b>{}</b> <span class=\"note\">(steady traffic: {})</span>.</p>",
                escape(said),
                format::usd(costs["total_per_month"].as_f64().unwrap_or(0.0)),
                escape(basis["reason"].as_str().unwrap_or(""))
            );
        }
        None => {
            let _ = writeln!(
                h,
                " No monthly projection: a one-off run <span class=\"note\">({})</span>.</p>",
                escape(basis["reason"].as_str().unwrap_or(""))
            );
        }
    }
    let month_header = if projection.is_some() { "<th>per month</th>" } else { "" };
    let _ = writeln!(h, "<h3>By service</h3>\n<table><tr><th>service</th><th>this run</th>{month_header}</tr>");
    // The services, then the total.
    let mut names: Vec<&str> = costs
        .as_object()
        .into_iter()
        .flatten()
        .map(|(n, _)| n.as_str())
        .filter(|n| !n.ends_with("_per_month") && *n != "total")
        .collect();
    names.push("total");
    for name in names {
        let v = &costs[name];
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", escape(name), format::number(v.as_f64().unwrap_or(0.0), 4));
        if projection.is_some() {
            let month = costs[format!("{name}_per_month")].as_f64().unwrap_or(0.0);
            let _ = write!(h, "<td>{}</td>", format::number(month, 2));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    if resources.is_empty() {
        return;
    }
    let _ = writeln!(h, "<h3>By resource</h3>\n<table><tr><th>resource</th><th>this run</th>{month_header}</tr>");
    for r in &resources {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", escape(&r.label), format::number(r.usd_window, 4));
        if projection.is_some() {
            let _ = write!(h, "<td>{}</td>", r.usd_per_month.map_or("–".into(), |m| format::number(m, 2)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    #[test]
    fn a_dense_series_draws_no_pixel_outside_the_plotting_area() {
        // 20,000 samples swinging between 0 and 100: thousands of steep segments a column.
        let points: Vec<(f64, f64)> =
            (0..20_000).map(|i| (f64::from(i), if i % 2 == 0 { 0.0 } else { 100.0 })).collect();
        let series = vec![("sqs.q".to_string(), points)];
        let (width, height) = (900u32, 560u32);
        let mut buffer = vec![0u8; (width * height * 3) as usize];
        let (xs, ys) = {
            chart::ensure_font();
            let root = chart::Png::with_buffer(&mut buffer, (width, height)).into_drawing_area();
            let area = draw_depths(&root, &series).unwrap();
            root.present().unwrap();
            area
        };
        let colour = palette(0);
        let mut outside = 0;
        for y in 0..height as i32 {
            for x in 0..width as i32 {
                let i = ((y * width as i32 + x) * 3) as usize;
                let is_series = buffer[i] == colour.0 && buffer[i + 1] == colour.1 && buffer[i + 2] == colour.2;
                // The plotting area's edges may be touched: a point at the axis lies on them.
                let inside = (xs.start - 1..=xs.end + 1).contains(&x) && (ys.start - 1..=ys.end + 1).contains(&y);
                if is_series && !inside {
                    outside += 1;
                }
            }
        }
        assert_eq!(outside, 0, "pixels of the series outside {xs:?} × {ys:?}");
    }
}

#[cfg(test)]
mod spectrum_tests {
    use super::*;

    fn series(name: &str, top_ms: f64) -> (String, Vec<(f64, f64)>) {
        (name.to_string(), vec![(0.0, 0.0), (0.5, top_ms / 2.0), (0.99, top_ms)])
    }

    #[test]
    fn the_workflow_and_end_to_end_latencies_come_first_in_panels_of_similar_range() {
        let mut spectra = vec![series("lambda.a.duration", 40.0), series("step_functions.orders.duration", 700.0)];
        // Hops named before the workflow's duration alphabetically, more than fit.
        for i in 0..9 {
            spectra.insert(0, series(&format!("lambda.f{i}.init"), 300.0));
        }
        spectra.push(series("subscription.partner.delivery", 678_000.0));
        spectra.push(series("sqs.q.end_to_end", 2_000.0));
        let panels = spectrum_panels(spectra);
        let names: Vec<Vec<&str>> = panels.iter().map(|p| p.iter().map(|s| s.0.as_str()).collect()).collect();
        let all: Vec<&str> = names.iter().flatten().copied().collect();
        assert_eq!(all.len(), LINES_MAX);
        assert!(all.contains(&"step_functions.orders.duration") && all.contains(&"sqs.q.end_to_end"));
        assert!(!all.contains(&"subscription.partner.delivery"), "a hop, ranked after the answers");
        assert_eq!(names.len(), 1, "within 100 times of each other: {names:?}");

        // 678 s is over 100 times 2 s: a panel of its own, so the others are not flattened.
        let spectra = vec![
            series("subscription.partner.delivery", 678_000.0),
            series("sqs.q.end_to_end", 2_000.0),
            series("lambda.a.duration", 40.0),
        ];
        let panels = spectrum_panels(spectra);
        let names: Vec<Vec<&str>> = panels.iter().map(|p| p.iter().map(|s| s.0.as_str()).collect()).collect();
        assert_eq!(names, [vec!["subscription.partner.delivery"], vec!["sqs.q.end_to_end", "lambda.a.duration"]]);
    }
}

#[cfg(test)]
mod cost_tests {
    use super::*;

    #[test]
    fn the_cost_chart_shows_the_runs_own_cost_first_and_says_what_the_month_assumes() {
        let csv = "service,resource,usage_unit,usage_window,usage_per_month,cost_usd_window,cost_usd_per_month\n\
                   sqs,sqs.backlog,requests,1,1,0.48,9612.86\n\
                   lambda,lambda.drain,gb_seconds,1,1,0.32,6403.72\n\
                   workers,workers.pool,worker_hours,1,1,0,0\n";
        let costs = resource_costs(csv);
        assert_eq!(costs.len(), 3);
        let chart = chart::render(
            "c",
            (900, 240),
            |r| draw_costs(r, &costs, Some(131.0), CostBasis::Steady),
            |r| draw_costs(r, &costs, Some(131.0), CostBasis::Steady),
        )
        .unwrap();
        for text in ["Cost of this run (131 s) by resource", "sqs.backlog requests", "lambda.drain gb_seconds"] {
            assert!(chart.svg.contains(text), "{text}");
        }
        assert!(
            chart.svg.contains("$0.48  ($9,612.86/month if this traffic ran all month)"),
            "the run's cost, then the month's basis"
        );
        assert!(chart.svg.contains("not drawn: 1 resource at no cost"));
        assert!(!chart.svg.contains(">workers<"), "no legend entry for a service with nothing drawn");
    }

    #[test]
    fn the_cost_chart_of_a_one_off_run_shows_no_month() {
        let csv = "service,resource,usage_unit,usage_window,usage_per_month,cost_usd_window,cost_usd_per_month\n\
                   sqs,sqs.backlog,requests,1,,0.48,\n";
        let costs = resource_costs(csv);
        assert_eq!(costs.len(), 1);
        let chart = chart::render(
            "c",
            (900, 240),
            |r| draw_costs(r, &costs, Some(131.0), CostBasis::OneOff),
            |r| draw_costs(r, &costs, Some(131.0), CostBasis::OneOff),
        )
        .unwrap();
        assert!(chart.svg.contains("$0.48"), "the run's own cost");
        assert!(!chart.svg.contains("month"), "no projection");
    }
}

#[cfg(test)]
mod label_tests {
    use super::fit_left;

    #[test]
    fn a_label_too_wide_for_its_column_keeps_its_end_after_an_ellipsis() {
        let width_of = |t: &str| 7 * t.chars().count() as u32;
        assert_eq!(fit_left("sqs.q requests", 200, &width_of), "sqs.q requests");
        let long = "lambda.checkout_managed management_fee_instance_hours";
        let fitted = fit_left(long, 200, &width_of);
        assert!(fitted.starts_with('…') && long.ends_with(&fitted['…'.len_utf8()..]), "{fitted}");
        assert!(width_of(&fitted) <= 200 && width_of(&fitted) > 193, "{fitted}: the longest end that fits");
    }
}
