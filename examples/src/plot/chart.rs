//! A line chart drawn once through plotters' drawing API and written both as SVG and as PNG.
//!
//! The PNG backend renders text with a bundled font (Ubuntu Light from `epaint_default_fonts`),
//! so no system font is needed.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

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

impl LineChart {
    /// Writes the chart to `<stem>.svg` and `<stem>.png`.
    pub fn write(&self, stem: &Path) -> Result<(), PlotError> {
        register_bundled_font()?;
        let svg = stem.with_extension("svg");
        self.draw(SVGBackend::new(&svg, SIZE).into_drawing_area())
            .map_err(|e| draw_error(&svg, e))?;
        let png = stem.with_extension("png");
        self.draw(BitMapBackend::new(&png, SIZE).into_drawing_area())
            .map_err(|e| draw_error(&png, e))?;
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
        let png = std::fs::read(dir.join("c.png")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
