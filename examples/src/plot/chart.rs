//! A line chart drawn once through plotters' drawing API and written both as SVG and as PNG.
//!
//! The PNG backend renders text with a bundled font (Ubuntu Light from `epaint_default_fonts`),
//! so no system font is needed. Both files are rendered in memory and written with core's
//! `write_atomic`, so an interrupted run never leaves a half-written figure.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::backend::RGBPixel;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use subspace_core::{AtomicWriteError, write_atomic};

use super::png::encode_png;

/// Why a chart could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// plotters failed to draw or to write the file.
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The file being written.
        path: String,
        /// plotters' message.
        message: String,
    },
    /// The bundled font did not load.
    #[error("the bundled font did not load: {0}")]
    Font(String),
    /// The drawn file could not be written.
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
}

/// One curve: `(x, y)` points and an optional symmetric band `y ± band`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
    /// Half-width of a shaded band around each point (e.g. a standard deviation).
    pub band: Option<Vec<f64>>,
    /// Line colour as RGB.
    pub color: (u8, u8, u8),
}

/// A chart of several series on shared axes.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// x range.
    pub x_range: (f64, f64),
    /// y range.
    pub y_range: (f64, f64),
    /// Draw the diagonal `y = x` (perfect calibration).
    pub diagonal: bool,
    /// The curves.
    pub series: Vec<Series>,
}

/// Image size in pixels.
const SIZE: (u32, u32) = (720, 480);

static FONT: Once = Once::new();

fn register_bundled_font() -> Result<(), PlotError> {
    let mut result = Ok(());
    FONT.call_once(|| {
        result = register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .map_err(|_| PlotError::Font("Ubuntu Light could not be parsed".into()));
    });
    result
}

fn draw_error(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// `stem` with `suffix` appended (a stem may hold dots, e.g. a noise level of `0.2`).
fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(suffix);
    name.into()
}

impl LineChart {
    /// Writes the chart to `<stem>.svg` and `<stem>.png`, each drawn in memory and then
    /// written atomically (a temporary sibling renamed over the file).
    pub fn write(&self, stem: &Path) -> Result<(), PlotError> {
        register_bundled_font()?;
        let svg = with_suffix(stem, ".svg");
        let mut text = String::new();
        self.draw(SVGBackend::with_string(&mut text, SIZE).into_drawing_area())
            .map_err(|e| draw_error(&svg, e))?;
        write_atomic(&svg, text.as_bytes())?;

        let png = with_suffix(stem, ".png");
        let mut rgb = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
        let bitmap = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut rgb, SIZE)
            .map_err(|e| draw_error(&png, e))?;
        self.draw(bitmap.into_drawing_area())
            .map_err(|e| draw_error(&png, e))?;
        let bytes = encode_png(&rgb, SIZE).map_err(|e| draw_error(&png, e))?;
        write_atomic(&png, &bytes)?;
        Ok(())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(
                self.x_range.0..self.x_range.1,
                self.y_range.0..self.y_range.1,
            )?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 15))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        if self.diagonal {
            let (lo, hi) = (
                self.x_range.0.max(self.y_range.0),
                self.x_range.1.min(self.y_range.1),
            );
            chart
                .draw_series(LineSeries::new(
                    [(lo, lo), (hi, hi)],
                    ShapeStyle::from(&RGBColor(150, 150, 150)).stroke_width(1),
                ))?
                .label("perfect calibration")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RGBColor(150, 150, 150)));
        }
        for s in &self.series {
            let color = RGBColor(s.color.0, s.color.1, s.color.2);
            if let Some(band) = &s.band {
                let upper = s.points.iter().zip(band).map(|(&(x, y), b)| (x, y + b));
                let lower = s
                    .points
                    .iter()
                    .zip(band)
                    .rev()
                    .map(|(&(x, y), b)| (x, y - b));
                let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart.draw_series(std::iter::once(Polygon::new(outline, color.mix(0.18))))?;
            }
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().copied(),
                    ShapeStyle::from(&color).stroke_width(2),
                ))?
                .label(&s.label)
                .legend(move |(x, y)| {
                    PathElement::new(
                        [(x, y), (x + 18, y)],
                        ShapeStyle::from(&color).stroke_width(2),
                    )
                });
            chart.draw_series(
                s.points
                    .iter()
                    .map(|&p| Circle::new(p, 3, ShapeStyle::from(&color).filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 15))
            .draw()?;
        root.present()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_svg_with_the_labels_and_a_png() {
        let dir = std::env::temp_dir().join(format!("subspace-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let chart = LineChart {
            title: "test chart".into(),
            x_label: "a".into(),
            y_label: "accuracy (%)".into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 100.0),
            diagonal: true,
            series: vec![Series {
                label: "learned line".into(),
                points: vec![(0.0, 80.0), (0.5, 85.0), (1.0, 81.0)],
                band: Some(vec![1.0, 1.0, 1.0]),
                color: (31, 119, 180),
            }],
        };
        chart.write(&dir.join("c")).unwrap();
        let svg = std::fs::read_to_string(dir.join("c.svg")).unwrap();
        assert!(svg.contains("learned line") && svg.contains("test chart"));
        assert!(svg.trim_end().ends_with("</svg>"));
        let png = std::fs::read(dir.join("c.png")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: 720 × 480, 8-bit RGB.
        assert_eq!(png[16..25], [0, 0, 2, 208, 0, 0, 1, 224, 8]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn figures_replace_the_old_files_instead_of_writing_into_them() {
        let dir = tempfile::TempDir::new().unwrap();
        let chart = LineChart {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            diagonal: true,
            series: Vec::new(),
        };
        // A stem with a dot (a noise level) keeps it: the extension is appended.
        let stem = dir.path().join("fig_noise0.2");
        // Old figures that another name also links to: writing into them in place (what a
        // backend that opens the file does) would change the other name too; a new file
        // renamed over the old one leaves it alone.
        for ext in ["svg", "png"] {
            let old = dir.path().join(format!("fig_noise0.2.{ext}"));
            std::fs::write(&old, b"old").unwrap();
            std::fs::hard_link(&old, dir.path().join(format!("kept.{ext}"))).unwrap();
        }
        chart.write(&stem).unwrap();
        for ext in ["svg", "png"] {
            let kept = std::fs::read(dir.path().join(format!("kept.{ext}"))).unwrap();
            assert_eq!(kept, b"old", "{ext}");
            let new = std::fs::read(dir.path().join(format!("fig_noise0.2.{ext}"))).unwrap();
            assert!(new.len() > 100, "{ext}");
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "fig_noise0.2.png",
                "fig_noise0.2.svg",
                "kept.png",
                "kept.svg"
            ]
        );
    }
}
