//! The report as one self-contained HTML page: inline CSS, inline SVG charts drawn with
//! plotters, no external resource of any kind, so it opens with the network cut.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::data::{local_day_hour, ReportData};
use crate::model::{format_date, format_offset, format_utc, HOUR};

const WIDTH: u32 = 1100;
/// Ranges up to this many hours get an hourly line; longer ones a daily band.
pub const HOURLY_LINE_MAX_HOURS: i64 = 31 * 24;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `YYYY-MM-DD HH:00 UTC`.
fn utc(ts: i64) -> String {
    let s = format_utc(ts);
    if s.len() == 20 {
        format!("{} {}:00 UTC", &s[..10], &s[11..13])
    } else {
        s
    }
}

type DrawResult = Result<(), String>;

fn plot_err<E: std::fmt::Debug>(e: E) -> String {
    format!("draw chart: {e:?}")
}

/// Hourly max as a line (short ranges) or a daily min-max band with the daily mean.
fn over_time(data: &ReportData, svg: &mut String) -> DrawResult {
    let (Some(first), Some(last)) = (data.hours.first(), data.hours.last()) else {
        return Ok(());
    };
    let lo = data.hours.iter().map(|p| p.max_bpm).min().unwrap_or(40) - 5;
    let hi = data.hours.iter().map(|p| p.max_bpm).max().unwrap_or(200) + 5;
    let root = SVGBackend::with_string(svg, (WIDTH, 340)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(44)
        .build_cartesian_2d(first.hour..last.hour + HOUR, lo..hi)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|x| format_date(*x))
        .y_desc("bpm")
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(plot_err)?;
    let red = RGBColor(200, 40, 40);
    if last.hour - first.hour <= HOURLY_LINE_MAX_HOURS * HOUR {
        // Break the line at gaps rather than drawing across them.
        let mut run: Vec<(i64, i64)> = Vec::new();
        let mut runs = Vec::new();
        for p in &data.hours {
            if run.last().is_some_and(|(h, _)| p.hour - h > HOUR) {
                runs.push(std::mem::take(&mut run));
            }
            run.push((p.hour, p.max_bpm));
        }
        runs.push(run);
        for r in runs {
            chart
                .draw_series(LineSeries::new(r, red.stroke_width(2)))
                .map_err(plot_err)?;
        }
        chart
            .draw_series(
                data.hours
                    .iter()
                    .map(|p| Circle::new((p.hour, p.max_bpm), 2, red.filled())),
            )
            .map_err(plot_err)?;
    } else {
        let day_x = |d: &chrono::NaiveDate| {
            d.and_hms_opt(12, 0, 0)
                .expect("valid")
                .and_utc()
                .timestamp()
        };
        let mut band: Vec<(i64, i64)> = data.days.iter().map(|d| (day_x(&d.date), d.max)).collect();
        band.extend(data.days.iter().rev().map(|d| (day_x(&d.date), d.min)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                RGBColor(240, 160, 160).mix(0.6).filled(),
            )))
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                data.days
                    .iter()
                    .map(|d| (day_x(&d.date), d.mean.round() as i64)),
                red.stroke_width(1),
            ))
            .map_err(plot_err)?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Colour of a bpm on the heat map: pale yellow (low) to dark red (high).
fn heat_colour(bpm: i64, lo: i64, hi: i64) -> RGBColor {
    let t = if hi > lo {
        (bpm - lo) as f64 / (hi - lo) as f64
    } else {
        0.5
    };
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(255.0, 150.0), lerp(240.0, 0.0), lerp(170.0, 30.0))
}

/// Hour of day (local) by day or week.
fn heat_map(data: &ReportData, svg: &mut String) -> DrawResult {
    if data.heat.is_empty() {
        return Ok(());
    }
    let cols = data.heat.len() as i32;
    let values = data
        .heat
        .iter()
        .flat_map(|c| c.cells.iter().flatten().copied());
    let (lo, hi) = values
        .clone()
        .fold((i64::MAX, i64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let root = SVGBackend::with_string(svg, (WIDTH, 300)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let labels: Vec<String> = data
        .heat
        .iter()
        .map(|c| c.first_day.format("%Y-%m-%d").to_string())
        .collect();
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(44)
        .build_cartesian_2d(0..cols, 0..24)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(8)
        .y_labels(7)
        .x_label_formatter(&|x| labels.get(*x as usize).cloned().unwrap_or_default())
        .y_label_formatter(&|y| format!("{y:02}:00"))
        .y_desc("local hour")
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(data.heat.iter().enumerate().flat_map(|(i, c)| {
            c.cells.iter().enumerate().filter_map(move |(h, v)| {
                v.map(|bpm| {
                    Rectangle::new(
                        [(i as i32, h as i32), (i as i32 + 1, h as i32 + 1)],
                        heat_colour(bpm, lo, hi).filled(),
                    )
                })
            })
        }))
        .map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Renders the page. `generated_at` is shown as is.
pub fn html(data: &ReportData, generated_at: &str) -> Result<String, String> {
    let h = &data.headline;
    let mut over = String::new();
    over_time(data, &mut over)?;
    let mut heat = String::new();
    heat_map(data, &mut heat)?;
    let at = |a: Option<super::data::AtHour>| a.map_or("–".to_string(), |a| a.bpm.to_string());
    let when = |a: Option<super::data::AtHour>| a.map_or(String::new(), |a| utc(a.hour));
    let coverage = if h.hours_in_range > 0 {
        format!(
            "{:.1} %",
            100.0 * h.hours_with_samples as f64 / h.hours_in_range as f64
        )
    } else {
        "–".into()
    };
    let numbers = serde_json::json!({
        "account": data.account,
        "current_max": h.current_max,
        "mean_hourly_max": h.mean_hourly_max,
        "highest_max": h.highest_max,
        "hours_with_samples": h.hours_with_samples,
        "hours_in_range": h.hours_in_range,
        "samples": h.samples,
    });

    let mut page = String::with_capacity(64 * 1024 + over.len() + heat.len());
    let range = match (data.hours.first(), data.hours.last()) {
        (Some(a), Some(b)) => format!("{} – {}", utc(a.hour), utc(b.hour)),
        _ => "no data in this range".into(),
    };
    let _ = write!(
        page,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fitpipe: heart rate of {account}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1140px; color: #222; }}
h1 {{ margin-bottom: .2rem; }} .sub {{ color: #666; margin-top: 0; }}
.cards {{ display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.5rem 0; }}
.card {{ border: 1px solid #ddd; border-radius: 8px; padding: .8rem 1.2rem; min-width: 180px; }}
.card .v {{ font-size: 2rem; font-weight: 600; }} .card .l {{ color: #666; font-size: .9rem; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; }}
td, th {{ border-bottom: 1px solid #eee; padding: .25rem .8rem; text-align: right; }}
th {{ background: #fafafa; }} td:first-child, th:first-child {{ text-align: left; }}
svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>Heart rate: {account}</h1>
<p class="sub">{range} · generated {generated_at} · <span id="tz"></span></p>
<div class="cards">
<div class="card" id="current-max"><div class="v">{cur}</div><div class="l">current max (bpm)<br>{cur_when}</div></div>
<div class="card" id="mean-hourly-max"><div class="v">{mean}</div><div class="l">average of the hourly max (bpm)</div></div>
<div class="card" id="highest-max"><div class="v">{high}</div><div class="l">highest max (bpm)<br>{high_when}</div></div>
<div class="card" id="coverage"><div class="v">{coverage}</div><div class="l">hours with samples<br>{hws} of {hir}</div></div>
</div>
<h2>Hourly max over time</h2>
<p class="sub">{over_note}</p>
{over}
<h2>Hour of day</h2>
<p class="sub">Max of the hourly max per local hour and {heat_unit}: pale is {heat_lo} bpm, dark red {heat_hi} bpm; blank cells have no samples.</p>
{heat}
<h2>Coverage</h2>
"#,
        account = esc(&data.account),
        range = esc(&range),
        generated_at = esc(generated_at),
        cur = at(h.current_max),
        cur_when = when(h.current_max),
        mean = h.mean_hourly_max.map_or("–".into(), |m| format!("{m:.1}")),
        high = at(h.highest_max),
        high_when = when(h.highest_max),
        hws = h.hours_with_samples,
        hir = h.hours_in_range,
        over_note = if data
            .hours
            .last()
            .zip(data.hours.first())
            .is_some_and(|(b, a)| b.hour - a.hour <= HOURLY_LINE_MAX_HOURS * HOUR)
        {
            "The max of each UTC hour."
        } else {
            "Per local day: the band spans the lowest to the highest hourly max, the line is the daily mean."
        },
        heat_unit = if data.heat_by_week { "week" } else { "day" },
        heat_lo = data.days.iter().map(|d| d.min).min().unwrap_or_default(),
        heat_hi = data.days.iter().map(|d| d.max).max().unwrap_or_default(),
    );
    if data.gaps.is_empty() {
        page.push_str("<p>No gaps: every hour in the range has samples.</p>\n");
    } else {
        page.push_str(
            "<table id=\"gaps\"><tr><th>longest gaps: from</th><th>until</th><th>hours</th></tr>\n",
        );
        for g in &data.gaps {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                utc(g.from),
                utc(g.until),
                g.hours
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("<h2>Weekly summary</h2>\n<table id=\"weekly\"><tr><th>week of</th><th>max</th><th>mean hourly max</th><th>hours</th></tr>\n");
    for w in data.weeks.iter().rev() {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
            w.monday, w.max, w.mean, w.hours
        );
    }
    page.push_str("</table>\n<h2>Daily summary (last 31 days)</h2>\n<table id=\"daily\"><tr><th>local day</th><th>min</th><th>max</th><th>mean hourly max</th><th>hours</th></tr>\n");
    for d in data.days.iter().rev().take(31) {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
            d.date, d.min, d.max, d.mean, d.hours
        );
    }
    let offsets = data
        .hours
        .last()
        .and_then(|p| p.utc_offset_min)
        .map(format_offset)
        .unwrap_or_else(|| "unknown".into());
    let _ = write!(
        page,
        r#"</table>
<p class="sub">Local times use the UTC offset the samples carry (latest: {offsets}). Day of the latest hour: {last_day}.</p>
<script type="application/json" id="fitpipe-numbers">{numbers}</script>
<script>
document.getElementById("tz").textContent = "viewed in " + Intl.DateTimeFormat().resolvedOptions().timeZone;
</script>
</body></html>
"#,
        numbers = numbers.to_string().replace("</", "<\\/"),
        last_day = data
            .hours
            .last()
            .map(|p| local_day_hour(p).0.to_string())
            .unwrap_or_default(),
    );
    Ok(page)
}
