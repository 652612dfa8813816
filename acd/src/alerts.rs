//! Thresholds on key figures that raise and clear alerts (CMS-4): service level below a floor,
//! abandon rate or ASA above a ceiling, too many callers waiting. An alert is raised once when
//! its condition starts to hold and cleared once when it stops.

use std::collections::BTreeSet;

use sambung_core::ids::QueueId;
use serde::{Deserialize, Serialize};

use crate::cms::QueueStats;

/// A figure of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Answered within the threshold ÷ offered, 0–1.
    ServiceLevel,
    /// Abandoned ÷ offered, 0–1.
    AbandonRate,
    /// Mean wait of answered calls, seconds.
    AsaSeconds,
    /// Callers waiting now.
    Waiting,
}

/// Which side of the limit is bad.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Alert when the figure is above this.
    Above(f64),
    /// Alert when the figure is below this.
    Below(f64),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// A name for people (`SL pengaduan < 80%`).
    pub name: String,
    /// The queue watched.
    pub queue: QueueId,
    /// The figure.
    pub metric: Metric,
    /// The limit.
    pub limit: Limit,
    /// Ratios are judged only once this many calls were offered (no alarm on one lost call).
    #[serde(default)]
    pub min_offered: u64,
}

/// A change of an alert's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertChange {
    /// The rule's name.
    pub name: String,
    /// True when raised, false when cleared.
    pub raised: bool,
    /// The figure's value then.
    pub value: f64,
}

/// Evaluates thresholds and remembers which alerts are up.
#[derive(Debug, Clone, Default)]
pub struct Alerts {
    thresholds: Vec<Threshold>,
    active: BTreeSet<usize>,
}

impl Alerts {
    /// Watches these rules.
    pub fn new(thresholds: Vec<Threshold>) -> Self {
        Self {
            thresholds,
            active: BTreeSet::new(),
        }
    }

    /// The names of the alerts up now.
    pub fn active(&self) -> impl Iterator<Item = &str> {
        self.active
            .iter()
            .filter_map(|&i| self.thresholds.get(i))
            .map(|t| t.name.as_str())
    }

    /// Judges a queue's figures (for the window the caller chose: the live totals or the
    /// current interval) and returns the alerts that were raised or cleared.
    pub fn evaluate(
        &mut self,
        queue: &QueueId,
        stats: &QueueStats,
        waiting: u64,
    ) -> Vec<AlertChange> {
        let mut changes = Vec::new();
        for (i, t) in self.thresholds.iter().enumerate() {
            if &t.queue != queue {
                continue;
            }
            #[expect(clippy::cast_precision_loss, reason = "a count of waiting callers")]
            let value = match t.metric {
                Metric::ServiceLevel => stats.service_level(),
                Metric::AbandonRate => stats.abandon_rate(),
                Metric::AsaSeconds => stats.asa().as_secs_f64(),
                Metric::Waiting => waiting as f64,
            };
            let judged = t.metric == Metric::Waiting || stats.offered >= t.min_offered;
            let bad = judged
                && match t.limit {
                    Limit::Above(l) => value > l,
                    Limit::Below(l) => value < l,
                };
            let was = self.active.contains(&i);
            if bad != was {
                if bad {
                    self.active.insert(i);
                } else {
                    self.active.remove(&i);
                }
                changes.push(AlertChange {
                    name: t.name.clone(),
                    raised: bad,
                    value,
                });
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raised_once_and_cleared_once() {
        let queue = QueueId::new("pengaduan").unwrap();
        let mut alerts = Alerts::new(vec![
            Threshold {
                name: "SL < 80%".into(),
                queue: queue.clone(),
                metric: Metric::ServiceLevel,
                limit: Limit::Below(0.8),
                min_offered: 10,
            },
            Threshold {
                name: "queue > 5".into(),
                queue: queue.clone(),
                metric: Metric::Waiting,
                limit: Limit::Above(5.0),
                min_offered: 0,
            },
        ]);
        let mut stats = QueueStats {
            offered: 4,
            answered_within_threshold: 1,
            ..QueueStats::default()
        };
        assert!(
            alerts.evaluate(&queue, &stats, 0).is_empty(),
            "too few calls to judge a ratio"
        );
        stats.offered = 20;
        stats.answered_within_threshold = 10;
        let raised = alerts.evaluate(&queue, &stats, 6);
        assert_eq!(
            raised
                .iter()
                .map(|c| (c.name.as_str(), c.raised))
                .collect::<Vec<_>>(),
            [("SL < 80%", true), ("queue > 5", true)]
        );
        assert!(alerts.evaluate(&queue, &stats, 6).is_empty(), "raised once");
        stats.answered_within_threshold = 19;
        let cleared = alerts.evaluate(&queue, &stats, 6);
        assert_eq!(
            cleared,
            [AlertChange {
                name: "SL < 80%".into(),
                raised: false,
                value: 0.95
            }]
        );
        assert_eq!(alerts.active().collect::<Vec<_>>(), ["queue > 5"]);
        let other = QueueId::new("informasi").unwrap();
        assert!(
            alerts
                .evaluate(&other, &QueueStats::default(), 100)
                .is_empty()
        );
    }
}
