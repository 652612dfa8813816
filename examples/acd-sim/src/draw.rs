//! `--svg FILE`: the chart a planner asks for — service level and ASA against the number of
//! agents, from a sweep.

use std::path::Path;

use acd_sim::sweep::Point;
use plotters::prelude::*;

/// Why the chart cannot be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {path}: {message}")]
pub(crate) struct DrawError {
    path: String,
    message: String,
}

/// Draws service level (%) and ASA (s) of the first queue against the agent count.
pub(crate) fn draw(points: &[Point], queue: &str, path: &Path) -> Result<(), DrawError> {
    let err = |e: &dyn std::fmt::Display| DrawError {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let series: Vec<(u32, f64, f64)> = points
        .iter()
        .filter_map(|p| {
            p.report
                .queues
                .get(queue)
                .map(|q| (p.agents, q.service_level * 100.0, q.asa_s))
        })
        .collect();
    let (Some(first), Some(last)) = (series.first(), series.last()) else {
        return Ok(());
    };
    let max_asa = series.iter().map(|p| p.2).fold(1.0f64, f64::max) * 1.1;
    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Queue {queue}: service level and ASA by agents"),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .right_y_label_area_size(56)
        .build_cartesian_2d(first.0..last.0, 0f64..100f64)
        .map_err(|e| err(&e))?
        .set_secondary_coord(first.0..last.0, 0f64..max_asa);
    chart
        .configure_mesh()
        .x_desc("agents")
        .y_desc("service level (%)")
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .configure_secondary_axes()
        .y_desc("ASA (s)")
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(
            series.iter().map(|p| (p.0, p.1)),
            BLUE.stroke_width(2),
        ))
        .map_err(|e| err(&e))?
        .label("service level (%)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_secondary_series(LineSeries::new(
            series.iter().map(|p| (p.0, p.2)),
            RED.stroke_width(2),
        ))
        .map_err(|e| err(&e))?
        .label("ASA (s)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}
