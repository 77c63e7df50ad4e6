//! Charts, drawn with plotters as SVG and PNG from the same code. Text uses the DejaVu Sans
//! font embedded in the binary (`assets/fonts/`, its own license), so PNG labels need
//! nothing installed; SVG names the family and lets the viewer draw it.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static FONT: Once = Once::new();

/// Registers the embedded font once, under the family the charts use.
pub fn ensure_font() {
    FONT.call_once(|| {
        // The bytes are a valid TrueType font, checked by the chart tests.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, DEJAVU_SANS);
    });
}

/// One chart in both formats.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File name without extension.
    pub name: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Draws the same chart into an SVG string and a PNG image of `size` pixels.
pub fn render<FS, FP>(name: &str, size: (u32, u32), draw_svg: FS, draw_png: FP) -> Result<Chart, String>
where
    FS: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
    FP: FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
{
    ensure_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_svg(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    // The bitmap backend encodes PNG only to a file: a private temporary one.
    let tmp = std::env::temp_dir().join(format!(
        "orchsim-chart-{}-{:?}-{name}.png",
        std::process::id(),
        std::thread::current().id()
    ));
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        draw_png(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let png = std::fs::read(&tmp).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&tmp);
    Ok(Chart { name: name.to_string(), svg, png })
}

/// A colour per series, distinguishable and steady across charts.
pub fn palette(i: usize) -> RGBColor {
    const COLOURS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    COLOURS[i % COLOURS.len()]
}

/// A white chart with a title and x and y ranges, as most of the charts are.
pub fn xy<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
    String,
> {
    root.fill(&WHITE).map_err(err)?;
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

/// Draws a chart's legend, in the corner given.
pub fn legend<
    'a,
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
>(
    c: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    c.configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(err)
}

/// Reduces a series sorted by x to what `columns` pixel columns across `x` can show: per
/// column, its first, lowest, highest and last points, in x order, so that every peak and
/// trough survives while a dense series (thousands of samples) draws as a few points per
/// column. Points outside `x` are dropped. A series with no more than four points a column
/// is returned as it is.
pub fn decimate(points: &[(f64, f64)], x: std::ops::Range<f64>, columns: u32) -> Vec<(f64, f64)> {
    let columns = columns.max(1);
    if points.len() <= 4 * columns as usize || x.end <= x.start {
        return points.iter().copied().filter(|p| x.contains(&p.0) || p.0 == x.end).collect();
    }
    let width = (x.end - x.start) / f64::from(columns);
    let column_of = |px: f64| (((px - x.start) / width).floor() as i64).clamp(0, i64::from(columns) - 1);
    let mut out = Vec::with_capacity(4 * columns as usize);
    let mut i = 0;
    while i < points.len() {
        if points[i].0 < x.start || points[i].0 > x.end {
            i += 1;
            continue;
        }
        let column = column_of(points[i].0);
        let (first, mut low, mut high, mut last) = (i, i, i, i);
        let mut j = i + 1;
        while j < points.len() && points[j].0 <= x.end && column_of(points[j].0) == column {
            if points[j].1 < points[low].1 {
                low = j;
            }
            if points[j].1 > points[high].1 {
                high = j;
            }
            last = j;
            j += 1;
        }
        let mut picked = [first, low, high, last];
        picked.sort_unstable();
        for (k, &index) in picked.iter().enumerate() {
            if k == 0 || index != picked[k - 1] {
                out.push(points[index]);
            }
        }
        i = j;
    }
    out
}

/// Errors of plotters' drawing areas, as text.
pub fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_each_columns_first_lowest_highest_and_last_point() {
        // 1,000 points in 10 columns: each column of 100 keeps 4, its peak and trough among them.
        let points: Vec<(f64, f64)> = (0..1_000).map(|i| (f64::from(i), f64::from((i * 37) % 101))).collect();
        let kept = decimate(&points, 0.0..1_000.0, 10);
        assert!(kept.len() <= 40, "{}", kept.len());
        for column in 0..10 {
            let within = |p: &&(f64, f64)| (p.0 / 100.0).floor() as i32 == column;
            let all: Vec<_> = points.iter().filter(within).collect();
            let some: Vec<_> = kept.iter().filter(within).collect();
            let max = |v: &[&(f64, f64)]| v.iter().map(|p| p.1).fold(f64::MIN, f64::max);
            let min = |v: &[&(f64, f64)]| v.iter().map(|p| p.1).fold(f64::MAX, f64::min);
            assert_eq!((max(&some), min(&some)), (max(&all), min(&all)), "column {column}");
            assert_eq!((some[0], some[some.len() - 1]), (all[0], all[all.len() - 1]));
        }
        assert!(kept.windows(2).all(|w| w[0].0 < w[1].0), "in x order");
        // A sparse series is kept whole.
        assert_eq!(decimate(&points[..30], 0.0..1_000.0, 10), points[..30]);
    }
}
