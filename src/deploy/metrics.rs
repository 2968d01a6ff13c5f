//! Resource metrics next to what is deployed, read the same way on every target: a series of
//! points over a window, summarised as latest, min and max, and drawn as a sparkline.
//! CloudWatch gives AWS targets a window of history; the Docker daemon gives one sample per look,
//! which `monitor --watch` gathers into a series.

use serde::Serialize;

/// One metric over a window, points oldest first.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metric {
    /// Short name: `cpu`, `memory`, `health`.
    pub name: String,
    /// Where it comes from, e.g. "CPUUtilization, AWS/ECS, average per 60s".
    pub source: String,
    /// `%`, `bytes`, or empty.
    pub unit: String,
    pub latest: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// (RFC 3339 time, value), oldest first.
    pub points: Vec<(String, f64)>,
}

impl Metric {
    /// A metric from points (any order), summarised.
    pub fn new(name: &str, source: &str, unit: &str, mut points: Vec<(i64, f64)>) -> Metric {
        points.sort_by_key(|p| p.0);
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        Metric {
            name: name.into(),
            source: source.into(),
            unit: unit.into(),
            latest: values.last().copied(),
            min: values.iter().copied().reduce(f64::min),
            max: values.iter().copied().reduce(f64::max),
            points: points
                .into_iter()
                .map(|(t, v)| (crate::units::rfc3339(t), round(v)))
                .collect(),
        }
    }

    /// Add a sample (from `--watch`), keeping at most `keep` points.
    pub fn push(&mut self, at: i64, value: f64, keep: usize) {
        let mut pts: Vec<(i64, f64)> = self
            .points
            .iter()
            .filter_map(|(t, v)| {
                humantime::parse_rfc3339(t)
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| (d.as_secs() as i64, *v))
            })
            .collect();
        pts.push((at, value));
        let skip = pts.len().saturating_sub(keep);
        *self = Metric::new(&self.name, &self.source, &self.unit, pts.split_off(skip));
    }

    /// `cpu      12.5%  (min 3.1%, max 40.2%)  ▁▂▃▅▇█▅▃`, or "no data".
    pub fn render(&self, width: usize) -> String {
        let Some(latest) = self.latest else {
            return format!("{:<8} no data ({})", self.name, self.source);
        };
        let v = |x: f64| value(x, &self.unit);
        let range = match (self.min, self.max) {
            (Some(lo), Some(hi)) if self.points.len() > 1 => {
                format!("  (min {}, max {})", v(lo), v(hi))
            }
            _ => String::new(),
        };
        let values: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        let spark = if values.len() > 1 {
            format!("  {}", sparkline(&values, width))
        } else {
            String::new()
        };
        format!("{:<8} {}{range}{spark}", self.name, v(latest))
    }
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn value(x: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{x:.1}%"),
        "bytes" => crate::units::human_bytes(x.max(0.0) as u64),
        _ => format!("{x:.2}"),
    }
}

/// Block characters for `values`, averaged into at most `width` buckets, scaled min..max.
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let buckets = values.len().min(width);
    let avg: Vec<f64> = (0..buckets)
        .map(|b| {
            let (from, to) = (
                b * values.len() / buckets,
                ((b + 1) * values.len() / buckets).max(b * values.len() / buckets + 1),
            );
            let part = &values[from..to.min(values.len())];
            part.iter().sum::<f64>() / part.len() as f64
        })
        .collect();
    let lo = avg.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = avg.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    avg.iter()
        .map(|v| {
            if (hi - lo).abs() < f64::EPSILON {
                BARS[3]
            } else {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_is_summarised_oldest_first_and_drawn_between_its_min_and_max() {
        let m = Metric::new("cpu", "test", "%", vec![(120, 40.0), (0, 10.0), (60, 25.0)]);
        assert_eq!(
            (m.latest, m.min, m.max),
            (Some(40.0), Some(10.0), Some(40.0))
        );
        assert_eq!(m.points[0], ("1970-01-01T00:00:00Z".to_string(), 10.0));
        assert_eq!(sparkline(&[10.0, 25.0, 40.0], 40), "▁▅█");
        assert_eq!(m.render(40), "cpu      40.0%  (min 10.0%, max 40.0%)  ▁▅█");
        // More points than columns: averaged into buckets.
        let many: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(sparkline(&many, 10).chars().count(), 10);
        assert_eq!(sparkline(&[5.0, 5.0], 10), "▄▄");
        let empty = Metric::new("memory", "AWS/ECS", "%", Vec::new());
        assert_eq!(empty.render(40), "memory   no data (AWS/ECS)");
    }

    #[test]
    fn samples_gathered_by_watch_keep_the_newest() {
        let mut m = Metric::new("memory", "daemon", "bytes", vec![(0, 1024.0)]);
        for i in 1..5 {
            m.push(i * 2, 1024.0 * (i + 1) as f64, 3);
        }
        assert_eq!(m.points.len(), 3);
        assert_eq!(m.latest, Some(5120.0));
        assert_eq!(m.min, Some(3072.0));
    }
}
