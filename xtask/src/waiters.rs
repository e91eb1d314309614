//! `cargo xtask bench --only waiters` (and the host part of `--only
//! growth`): `slab-tests/benches/waiters.rs`, `free` with nobody waiting
//! and with 1, 4 and 16 threads of mixed priorities waiting (each hand-off
//! checked to go to the most urgent), and `waiters.svg` at the workspace
//! root: ns per `free` against the waiters, on a log scale.

use std::fmt::Write as _;

use crate::{cargo, workspace_root};

/// One row of the program's output: `free-ns;WAITERS;MEDIAN;MIN;MAX`, or
/// with `earlier` set `free-ns-earlier;WAITERS;MEDIAN;MIN;MAX;ROUNDS`
/// (the hand-offs to a waiter that queued before the previous round).
#[derive(Debug, PartialEq)]
pub struct Row {
    /// Threads waiting (0: nobody).
    pub waiters: u64,
    /// ns per `free`: median, min, max.
    pub median: f64,
    /// The fastest.
    pub min: f64,
    /// The slowest.
    pub max: f64,
    /// Rounds, for the `free-ns-earlier` rows.
    pub earlier: Option<u64>,
}

/// The rows of the program's `free-ns` and `free-ns-earlier` lines.
pub fn parse(output: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for line in output.lines() {
        let fields: Vec<&str> = line.trim().split(';').collect();
        let earlier = match fields.first() {
            Some(&"free-ns") if fields.len() == 5 => false,
            Some(&"free-ns-earlier") if fields.len() == 6 => true,
            _ => continue,
        };
        let number = |s: &str| {
            s.parse::<f64>()
                .map_err(|e| format!("bad number {s:?} in {line:?}: {e}"))
        };
        rows.push(Row {
            waiters: number(fields[1])? as u64,
            median: number(fields[2])?,
            min: number(fields[3])?,
            max: number(fields[4])?,
            earlier: if earlier {
                Some(number(fields[5])? as u64)
            } else {
                None
            },
        });
    }
    if !rows.iter().any(|r| r.waiters == 0) || !rows.iter().any(|r| r.waiters > 0) {
        return Err(format!(
            "the waiters program printed no `free-ns` rows for nobody and for waiters:\n{output}"
        ));
    }
    Ok(rows)
}

/// Runs the program (release), shows its output, and draws `waiters.svg`.
pub fn bench() -> Result<(), String> {
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "slab-tests", "--bench", "waiters"]);
    let stdout = crate::run_stdout(&mut cmd)?;
    let rows = parse(&stdout)?;
    let machine = format!("{}, load average {load} at the start", crate::machine());
    println!("  (host: {machine})");
    let svg = workspace_root().join("waiters.svg");
    std::fs::write(&svg, chart(&rows, &machine)).map_err(|e| format!("{}: {e}", svg.display()))?;
    println!("wrote {}", svg.display());
    Ok(())
}

/// `waiters.svg`: a bar per row to its median, a line from its min to its
/// max, on a log scale of ns, in the style of `growth.svg`.
pub fn chart(rows: &[Row], machine: &str) -> String {
    const WIDTH: f64 = 900.0;
    const LABEL: f64 = 260.0;
    const ROW: f64 = 36.0;
    const TOP: f64 = 110.0;
    const ALL: &str = "#2b6cb0";
    const EARLIER: &str = "#90b4de";
    let plot = WIDTH - LABEL - 40.0;
    let decades = rows
        .iter()
        .map(|r| r.max)
        .fold(10.0, f64::max)
        .log10()
        .ceil();
    let x = |v: f64| LABEL + v.max(1.0).log10() / decades * plot;
    let bottom = TOP + ROW * rows.len() as f64;
    let height = bottom + 50.0;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="28" font-size="16" font-weight="bold">free() as the waiters grow: ns per free on the host (log scale)</text>
<text x="20" y="48" fill="#555555">cargo xtask bench --only waiters: waiters of mixed priorities, each hand-off checked to go to the most urgent</text>
<text x="20" y="66" fill="#555555">host: {}</text>
<rect x="20" y="78" width="12" height="12" fill="{ALL}"/><text x="38" y="88">median of every round (bar), min to max (line)</text>
<rect x="360" y="78" width="12" height="12" fill="{EARLIER}"/><text x="378" y="88">the rounds whose waiter had queued earlier (parked by then)</text>
"##,
        escape(machine)
    );
    for decade in 0..=decades as i32 {
        let v = 10f64.powi(decade);
        let gx = x(v);
        let _ = writeln!(
            svg,
            "<line x1=\"{gx:.1}\" y1=\"{:.1}\" x2=\"{gx:.1}\" y2=\"{bottom:.1}\" stroke=\"#dddddd\"/>\n<text x=\"{gx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555555\">{v} ns</text>",
            TOP - 6.0,
            bottom + 16.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let (label, color) = match (r.waiters, r.earlier) {
            (0, _) => ("nobody waiting".to_string(), ALL),
            (n, None) => (
                format!("{n} thread{} waiting", if n == 1 { "" } else { "s" }),
                ALL,
            ),
            (_, Some(rounds)) => (
                format!("… to one queued earlier ({rounds} rounds)"),
                EARLIER,
            ),
        };
        let (lo, hi) = (x(r.min), x(r.max));
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"16\" fill=\"{color}\"/>\n\
             <line x1=\"{lo:.1}\" y1=\"{:.1}\" x2=\"{hi:.1}\" y2=\"{:.1}\" stroke=\"#222222\"/>\n\
             <line x1=\"{lo:.1}\" y1=\"{:.1}\" x2=\"{lo:.1}\" y2=\"{:.1}\" stroke=\"#222222\"/>\n\
             <line x1=\"{hi:.1}\" y1=\"{:.1}\" x2=\"{hi:.1}\" y2=\"{:.1}\" stroke=\"#222222\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#222222\">{:.0} ns median (min {:.0}, max {:.0})</text>",
            LABEL - 8.0,
            y + 12.5,
            escape(&label),
            x(r.median) - LABEL,
            y + 8.0,
            y + 8.0,
            y + 3.0,
            y + 13.0,
            y + 3.0,
            y + 13.0,
            // After the bar, on the row's lower edge, where the line ends.
            x(r.median) + 6.0,
            y + 26.0,
            r.median,
            r.min,
            r.max,
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::{Row, chart, parse};

    const OUT: &str = "  nobody waiting   30   20   130\n\
        free-ns;0;30;20;130\n\
        free-ns;4;120;80;11587\n\
        free-ns-earlier;4;1923;1483;11587;431\n";

    #[test]
    fn reads_the_free_ns_lines() {
        let rows = parse(OUT).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[2],
            Row {
                waiters: 4,
                median: 1923.0,
                min: 1483.0,
                max: 11587.0,
                earlier: Some(431)
            }
        );
        assert_eq!(rows[0].earlier, None);
        assert!(parse("free-ns;0;30;20;130\n").is_err());
        assert!(parse("free-ns;4;x;20;130\nfree-ns;0;1;1;1").is_err());
    }

    #[test]
    fn the_chart_has_a_bar_and_a_range_per_row() {
        let svg = chart(&parse(OUT).unwrap(), "2 cpus, AMD EPYC");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=\"260\"").count(), 3, "{svg}");
        assert!(svg.contains(">nobody waiting<"));
        assert!(svg.contains(">4 threads waiting<"));
        assert!(svg.contains(">… to one queued earlier (431 rounds)<"));
        assert!(svg.contains(">1923 ns median (min 1483, max 11587)<"));
        assert!(svg.contains("2 cpus, AMD EPYC"));
    }
}
