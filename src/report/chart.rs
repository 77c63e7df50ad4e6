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

/// Errors of plotters' drawing areas, as text.
pub fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}
