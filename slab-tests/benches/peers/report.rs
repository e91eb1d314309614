//! Statistics and the printed tables.

/// Median, min and max of some samples.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub samples: usize,
}

impl Stats {
    pub fn new(mut samples: Vec<f64>) -> Self {
        assert!(!samples.is_empty(), "no samples");
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2.0
        };
        Self {
            median,
            min: samples[0],
            max: samples[n - 1],
            samples: n,
        }
    }
}

/// One ratio for the chart.
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The target, if any.
    pub target: Option<f64>,
    /// Whether higher is better (else lower is).
    pub higher: bool,
}

impl Bar {
    /// `Some(true)` met, `Some(false)` missed, `None` no target.
    pub fn met(&self) -> Option<bool> {
        self.target.map(|t| {
            if self.higher {
                self.value >= t
            } else {
                self.value <= t
            }
        })
    }
}

/// A printed section: rows of stats, then ratios.
pub struct Table {
    title: String,
    unit: String,
    rounds: Option<usize>,
    rows: Vec<(String, Stats)>,
    ratios: Vec<Bar>,
}

impl Table {
    pub fn new(title: &str, unit: &str) -> Self {
        Self {
            title: title.into(),
            unit: unit.into(),
            rounds: None,
            rows: Vec::new(),
            ratios: Vec::new(),
        }
    }

    /// Says how many rounds, when it differs from the run's default.
    pub fn rounds(mut self, rounds: usize) -> Self {
        self.rounds = Some(rounds);
        self
    }

    pub fn row(&mut self, name: &str, stats: &Stats) {
        self.rows.push((name.into(), *stats));
    }

    /// A ratio where lower is better, with an optional ceiling.
    pub fn ratio(&mut self, label: &str, value: f64, target: Option<f64>) {
        self.ratios.push(Bar {
            label: label.into(),
            value,
            target,
            higher: false,
        });
    }

    /// A ratio where higher is better, with an optional floor.
    pub fn ratio_higher(&mut self, label: &str, value: f64, floor: Option<f64>) {
        self.ratios.push(Bar {
            label: label.into(),
            value,
            target: floor,
            higher: true,
        });
    }

    pub fn print(&self) {
        let width = self
            .rows
            .iter()
            .map(|r| r.0.len())
            .chain(self.ratios.iter().map(|r| r.label.len()))
            .max()
            .unwrap_or(0);
        let rounds = self
            .rounds
            .map(|r| format!(", {r} rounds"))
            .unwrap_or_default();
        println!("## {}{rounds}", self.title);
        println!(
            "  {:<width$}  {:>10}  {:>10}  {:>10}",
            self.unit, "median", "min", "max"
        );
        for (name, s) in &self.rows {
            println!(
                "  {name:<width$}  {:>10.2}  {:>10.2}  {:>10.2}",
                s.median, s.min, s.max
            );
        }
        for bar in &self.ratios {
            let verdict = match (bar.target, bar.met()) {
                (Some(t), Some(met)) if bar.higher => format!("target >= {t}: {}", word(met)),
                (Some(t), Some(met)) => format!("target <= {t}: {}", word(met)),
                _ => String::new(),
            };
            println!("  {:<width$}  {:>10.3}  {verdict}", bar.label, bar.value);
        }
        println!();
    }

    pub fn bars(self) -> Vec<Bar> {
        self.ratios
    }
}

fn word(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// The CPU model from /proc/cpuinfo, or "unknown CPU".
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The ratios once more, one per line, for `cargo xtask bench` (which
/// draws them): `ratio;LABEL;VALUE;TARGET;lower|higher` (TARGET empty when
/// there is none).
pub fn print_machine_readable(bars: &[Bar]) {
    println!("# ratio;label;median value;target;better");
    for bar in bars {
        let target = bar.target.map(|t| t.to_string()).unwrap_or_default();
        let better = if bar.higher { "higher" } else { "lower" };
        println!("ratio;{};{:.4};{target};{better}", bar.label, bar.value);
    }
}
