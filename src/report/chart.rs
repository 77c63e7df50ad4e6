//! Charts, drawn with plotters as SVG and PNG from the same code. Text uses the DejaVu Sans
//! font embedded in the binary (`assets/fonts/`, its own license), so PNG labels need
//! nothing installed; SVG names the family and lets the viewer draw it. PNG text is laid out
//! here (`Png`), not by plotters, whose glyph placement garbles it.

use std::sync::{Once, OnceLock};

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

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

/// The PNG charts' backend: plotters' bitmap backend, except for text. plotters draws each
/// glyph at the pen position without its left side bearing and rounds each glyph's top
/// towards zero, so letters sit unevenly (`concurr ency`) and a full stop floats up to
/// mid-height (`sqs.jobs` reads `sqs- jobs`). Here each glyph is placed at its advance and
/// kerning on one baseline, and drawn with its own bearings and antialiasing.
pub struct Png<'a>(BitMapBackend<'a>);

impl<'a> Png<'a> {
    /// An image drawn into `buffer`, RGB, row by row.
    pub fn with_buffer(buffer: &'a mut [u8], size: (u32, u32)) -> Self {
        Png(BitMapBackend::with_buffer(buffer, size))
    }
}

/// The embedded font, parsed once.
fn dejavu() -> &'static FontRef<'static> {
    static PARSED: OnceLock<FontRef<'static>> = OnceLock::new();
    PARSED.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).expect("the embedded font is a valid TrueType font"))
}

/// `text` laid out at `size` on a baseline at the font's ascent: its glyphs, its width and
/// its height (ascent to descent), in pixels.
fn layout(text: &str, size: f64) -> (Vec<ab_glyph::Glyph>, f32, f32) {
    let font = dejavu().as_scaled(size as f32);
    let mut glyphs = Vec::with_capacity(text.len());
    let mut pen = 0.0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            pen += font.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(font.scale(), ab_glyph::point(pen, font.ascent())));
        pen += font.h_advance(id);
        previous = Some(id);
    }
    (glyphs, pen, font.ascent() - font.descent())
}

impl DrawingBackend for Png<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let (_, width, height) = layout(text, style.size());
        Ok((width.ceil() as u32, height.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let (glyphs, width, height) = layout(text, style.size());
        // The anchor in whole pixels, so that every label's baseline falls on a pixel row.
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => (-width / 2.0).round(),
            HPos::Right => -width.round(),
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0.0,
            VPos::Center => (-height / 2.0).round(),
            VPos::Bottom => -height.round(),
        };
        let transform = style.transform();
        let mut pixels = Vec::new();
        for mut glyph in glyphs {
            glyph.position = ab_glyph::point(glyph.position.x + dx, (glyph.position.y + dy).round());
            let Some(outline) = dejavu().outline_glyph(glyph) else { continue };
            let bounds = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                if coverage > 0.0 {
                    pixels.push((bounds.min.x as i32 + x as i32, bounds.min.y as i32 + y as i32, coverage.min(1.0)));
                }
            });
        }
        for (x, y, coverage) in pixels {
            let (x, y) = transform.transform(x, y);
            let ink = BackendColor { alpha: colour.alpha * f64::from(coverage), rgb: colour.rgb };
            self.0.draw_pixel((pos.0 + x, pos.1 + y), ink)?;
        }
        Ok(())
    }
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
    FP: FnOnce(&DrawingArea<Png<'_>, Shift>) -> Result<(), String>,
{
    let svg = render_svg(size, draw_svg)?;
    let png = render_png(size, draw_png)?;
    Ok(Chart { name: name.to_string(), svg, png })
}

/// A chart's SVG text, `size` pixels: [`render`]'s first half, for a caller that draws the
/// two formats side by side.
pub fn render_svg<FS>(size: (u32, u32), draw: FS) -> Result<String, String>
where
    FS: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
{
    // The SVG backend measures text with the registered font.
    ensure_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A chart's PNG file, `size` pixels: [`render`]'s second half.
///
/// The image is drawn in memory and encoded there, with the encoder and settings that
/// plotters' bitmap backend uses to save a file (the `image` crate's PNG encoder, its
/// default compression and adaptive filter), so the bytes are those of a saved file,
/// without writing a temporary file and reading it back.
pub fn render_png<FP>(size: (u32, u32), draw: FP) -> Result<Vec<u8>, String>
where
    FP: FnOnce(&DrawingArea<Png<'_>, Shift>) -> Result<(), String>,
{
    use image::ImageEncoder;
    ensure_font();
    // Black at first, as the bitmap backend's own buffer is; every chart paints its
    // background.
    let mut pixels = vec![0u8; 3 * size.0 as usize * size.1 as usize];
    {
        let root = Png::with_buffer(&mut pixels, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, size.0, size.1, image::ColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(png)
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

/// The corner of a plot where a legend of `entries` rows and `label_chars` characters at
/// most covers the fewest of the series' points (each segment sampled along its length, so
/// a steep jump counts where it passes): legends must not hide data. `plot_px` is the
/// plotting area's size in pixels. Ties go to the upper left, then clockwise.
pub fn free_corner(
    series: &[&[(f64, f64)]],
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    plot_px: (u32, u32),
    entries: usize,
    label_chars: usize,
) -> SeriesLabelPosition {
    // The legend's box as plotters draws it at 13 px: about 7 px a character, 30 px of
    // swatch and margins, 18 px a row; in fractions of the plot, with a little room.
    let w = ((40 + 7 * label_chars) as f64 / f64::from(plot_px.0.max(1))).min(1.0);
    let h = ((14 + 18 * entries) as f64 / f64::from(plot_px.1.max(1))).min(1.0);
    let corners = [
        (SeriesLabelPosition::UpperLeft, (0.0, w), (1.0 - h, 1.0)),
        (SeriesLabelPosition::UpperRight, (1.0 - w, 1.0), (1.0 - h, 1.0)),
        (SeriesLabelPosition::LowerRight, (1.0 - w, 1.0), (0.0, h)),
        (SeriesLabelPosition::LowerLeft, (0.0, w), (0.0, h)),
    ];
    let (x_span, y_span) = ((x.end - x.start).max(f64::MIN_POSITIVE), (y.end - y.start).max(f64::MIN_POSITIVE));
    let mut covered = [0usize; 4];
    for points in series {
        let unit: Vec<(f64, f64)> =
            points.iter().map(|p| ((p.0 - x.start) / x_span, (p.1 - y.start) / y_span)).collect();
        let mut count = |u: (f64, f64)| {
            for (k, (_, (x0, x1), (y0, y1))) in corners.iter().enumerate() {
                covered[k] += usize::from(u.0 >= *x0 && u.0 <= *x1 && u.1 >= *y0 && u.1 <= *y1);
            }
        };
        for pair in unit.windows(2) {
            const STEPS: usize = 16;
            for i in 0..STEPS {
                let t = i as f64 / STEPS as f64;
                count((pair[0].0 + t * (pair[1].0 - pair[0].0), pair[0].1 + t * (pair[1].1 - pair[0].1)));
            }
        }
        if let Some(last) = unit.last() {
            count(*last);
        }
    }
    let best = (0..4).min_by_key(|&k| covered[k]).expect("four corners");
    corners[best].0.clone()
}

/// How a legend entry shows its series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    /// A line with a dot: a series of points.
    Line,
    /// A filled square: bars or areas.
    Box,
}

/// The width a legend of `labels` needs beside a chart, in pixels, at least `min`.
pub fn legend_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, labels: &[&str], min: u32) -> u32 {
    let style = TextStyle::from(("sans-serif", 13));
    let widest = labels.iter().filter_map(|l| area.estimate_text_size(l, &style).ok()).map(|s| s.0).max();
    (widest.unwrap_or(0) + 50).max(min)
}

/// Draws a legend in its own area beside the plots (so it never covers a line): one entry a
/// row from the top, each its colour's swatch and its label.
pub fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(&str, RGBColor)],
    swatch: Swatch,
) -> Result<(), String> {
    for (i, (label, colour)) in entries.iter().enumerate() {
        let y = 24 + 22 * i as i32;
        match swatch {
            Swatch::Line => {
                area.draw(&PathElement::new(vec![(8, y), (30, y)], ShapeStyle::from(colour).stroke_width(2)))
                    .map_err(err)?;
                area.draw(&Circle::new((19, y), 3, colour.filled())).map_err(err)?;
            }
            Swatch::Box => area.draw(&Rectangle::new([(12, y - 6), (24, y + 6)], colour.filled())).map_err(err)?,
        }
        let style = TextStyle::from(("sans-serif", 13).into_font())
            .pos(plotters::style::text_anchor::Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(label.to_string(), (38, y), style)).map_err(err)?;
    }
    Ok(())
}

/// Groups series into panels by range, so that no series is flattened into a line at zero
/// by one far larger: the series by largest value, greatest first, each joining the last
/// panel while that panel's greatest value is at most `ratio` times its own. At most
/// `panels_max` panels (the smallest series share the last); each panel's series in their
/// given order.
pub fn panels_by_range(tops: &[f64], ratio: f64, panels_max: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..tops.len()).collect();
    order.sort_by(|&a, &b| tops[b].total_cmp(&tops[a]).then(a.cmp(&b)));
    let mut panels: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let fits = panels.last().is_some_and(|p| tops[p[0]] <= ratio * tops[i].max(1e-9));
        let full = panels.len() >= panels_max.max(1);
        match panels.last_mut() {
            Some(panel) if fits || full => panel.push(i),
            _ => panels.push(vec![i]),
        }
    }
    for panel in &mut panels {
        panel.sort_unstable();
    }
    panels
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
    #[test]
    fn a_legend_goes_where_no_series_passes() {
        let plot = (600, 300);
        // A percentile curve: steep at the left, flat along the top: the lower right is free.
        let rising: Vec<(f64, f64)> =
            (0..=60).map(|i| (f64::from(i) / 10.0, 100.0 * (1.0 - (-f64::from(i)).exp()))).collect();
        let corner = free_corner(&[&rising], 0.0..6.0, 0.0..110.0, plot, 2, 20);
        assert!(matches!(corner, SeriesLabelPosition::LowerRight), "{corner:?}");
        // A backlog that jumps up at once and drains along the diagonal: the upper right.
        let drain = [(0.0, 0.0), (0.1, 100.0), (10.0, 0.0)];
        let corner = free_corner(&[&drain], 0.0..10.0, 0.0..110.0, plot, 1, 10);
        assert!(matches!(corner, SeriesLabelPosition::UpperRight), "{corner:?}");
        // Nothing in the way: the upper left, as before.
        let flat = [(0.0, 50.0), (10.0, 50.0)];
        let corner = free_corner(&[&flat], 0.0..10.0, 0.0..110.0, plot, 1, 10);
        assert!(matches!(corner, SeriesLabelPosition::UpperLeft), "{corner:?}");
    }

    use super::*;

    /// The rows of a 60 × 30 image of `text` (13 px, black, top left at 5, 5) that hold
    /// dark pixels, first and last, and the columns likewise.
    fn ink(text: &str) -> ((i32, i32), (i32, i32)) {
        let (w, h) = (60u32, 30u32);
        let mut buffer = vec![255u8; (w * h * 3) as usize];
        {
            ensure_font();
            let root = Png::with_buffer(&mut buffer, (w, h)).into_drawing_area();
            root.draw(&Text::new(text.to_string(), (5, 5), ("sans-serif", 13))).unwrap();
            root.present().unwrap();
        }
        let dark: Vec<(i32, i32)> = (0..h as i32)
            .flat_map(|y| (0..w as i32).map(move |x| (x, y)))
            .filter(|&(x, y)| buffer[((y * w as i32 + x) * 3) as usize] < 128)
            .collect();
        let span = |v: Vec<i32>| (*v.iter().min().unwrap(), *v.iter().max().unwrap());
        (span(dark.iter().map(|p| p.0).collect()), span(dark.iter().map(|p| p.1).collect()))
    }

    #[test]
    fn a_full_stop_sits_on_the_baseline_after_its_letter() {
        // plotters' own placement drew it a row or two up, where it reads as a hyphen.
        let (s_x, s_y) = ink("s");
        let (dot_x, dot_y) = ink(".");
        let (both_x, _) = ink("s.");
        assert_eq!(s_y.1, dot_y.1, "the same bottom row: {s_y:?} {dot_y:?}");
        // Left side bearings kept: the full stop starts right of the pen, not on it.
        assert!(dot_x.0 > 5, "{dot_x:?}");
        assert!(both_x.1 > s_x.1 + 1, "a gap between the s and the full stop: {both_x:?} {s_x:?}");
    }

    #[test]
    fn series_over_a_hundred_times_apart_go_to_separate_panels() {
        // 715 s, 540 s and 190 s together; 1.2 s apart, since 715 s is over 100 times it.
        let tops = [715_478.0, 540_541.0, 190_622.0, 1_222.0, 1_211.0];
        assert_eq!(panels_by_range(&tops, 100.0, 4), [vec![0, 1, 2], vec![3, 4]]);
        assert_eq!(panels_by_range(&[5.0, 4_000.0, 6.0], 100.0, 4), [vec![1], vec![0, 2]]);
        assert_eq!(panels_by_range(&[5.0, 400.0, 6.0], 100.0, 4), [vec![0, 1, 2]]);
        // The smallest share the last panel when there are too many.
        assert_eq!(panels_by_range(&[1e6, 1e3, 1.0], 100.0, 2), [vec![0], vec![1, 2]]);
        assert_eq!(panels_by_range(&[], 100.0, 2), Vec::<Vec<usize>>::new());
    }

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
