//! The report as one self-contained HTML page: inline CSS, inline SVG charts drawn with
//! plotters, no external resource of any kind, so it opens with the network cut.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::data::{local_day_hour, ReportData, Step};
use crate::model::{format_offset, format_utc, Hour, HOUR};

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

/// The offset in force at `ts`: that of the latest hour at or before it that carries one.
fn offset_at(hours: &[Hour], ts: i64) -> Option<i16> {
    let i = hours.partition_point(|p| p.hour <= ts);
    hours[..i].iter().rev().find_map(|p| p.utc_offset_min)
}

/// `YYYY-MM-DD HH:MM` on the local clock with its offset (`2024-03-10 14:00 −04:00`), or
/// UTC when no offset is known.
fn local(hours: &[Hour], ts: i64) -> String {
    match offset_at(hours, ts) {
        None => utc(ts),
        Some(off) => {
            let s = format_utc(ts + off as i64 * 60);
            format!("{} {} {}", &s[..10], &s[11..16], format_offset(off))
        }
    }
}

fn plot_err<E: std::fmt::Debug>(e: E) -> String {
    format!("draw chart: {e:?}")
}

/// Where a chart's points landed in its SVG, for the page's hover script: the plotting
/// area and each step's x, in SVG units.
struct Placed {
    left: i32,
    top: i32,
    right: i32,
    bottom: i32,
    xs: Vec<i32>,
}

/// The x of the step after the one at `x` (local clock, see `data::local_clock`).
fn next_x(step: Step, x: i64) -> i64 {
    match step {
        Step::Hour => x + HOUR,
        _ => {
            let d = chrono::DateTime::from_timestamp(x, 0)
                .expect("in range")
                .date_naive();
            step.next(d)
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp()
        }
    }
}

/// How an x (local clock) is labelled on the axis for `step`.
fn axis_label(step: Step, x: i64) -> String {
    match step {
        Step::Hour => crate::model::format_short_hour(x),
        Step::Day | Step::Week => crate::model::format_date(x),
        Step::Month => crate::model::format_month(x),
    }
}

/// The hourly max over time, one point per step (`data.step`): a band from the lowest to
/// the highest hourly max of the step, a line through its mean, and for long ranges the
/// rolling mean; runs of steps with samples are drawn apart where steps have none.
fn over_time(data: &ReportData, svg: &mut String) -> Result<Option<Placed>, String> {
    let series = &data.series;
    let (Some(first), Some(last)) = (series.first(), series.last()) else {
        return Ok(None);
    };
    let step = data.step;
    let lo = series.iter().map(|s| s.min).min().unwrap_or(40) - 5;
    let hi = series.iter().map(|s| s.max).max().unwrap_or(200) + 5;
    let x_end = next_x(step, last.x);
    let root = SVGBackend::with_string(svg, (WIDTH, 340)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(44)
        .build_cartesian_2d(first.x..x_end, lo..hi)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|x| axis_label(step, *x))
        .y_desc("bpm")
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(plot_err)?;
    // A point sits in the middle of its step.
    let mid = |s: &super::data::StepStat| s.x + (next_x(step, s.x) - s.x) / 2;
    let mut runs: Vec<Vec<&super::data::StepStat>> = Vec::new();
    for s in series {
        match runs.last_mut() {
            Some(run) if next_x(step, run.last().expect("non-empty").x) == s.x => run.push(s),
            _ => runs.push(vec![s]),
        }
    }
    let red = RGBColor(200, 40, 40);
    for run in &runs {
        if step != Step::Hour {
            let mut band: Vec<(i64, i64)> = run.iter().map(|s| (mid(s), s.max)).collect();
            band.extend(run.iter().rev().map(|s| (mid(s), s.min)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    RGBColor(240, 160, 160).mix(0.45).filled(),
                )))
                .map_err(plot_err)?;
        }
        let line = |s: &&super::data::StepStat| {
            (
                mid(s),
                if step == Step::Hour {
                    s.max
                } else {
                    s.mean.round() as i64
                },
            )
        };
        chart
            .draw_series(LineSeries::new(run.iter().map(line), red.stroke_width(1)))
            .map_err(plot_err)?;
        if run.len() == 1 || step == Step::Hour {
            chart
                .draw_series(run.iter().map(|s| Circle::new(line(s), 2, red.filled())))
                .map_err(plot_err)?;
        }
    }
    if step.rolling().is_some() {
        chart
            .draw_series(LineSeries::new(
                series
                    .iter()
                    .filter_map(|s| s.rolling_mean.map(|m| (mid(s), m.round() as i64))),
                RGBColor(40, 40, 140).stroke_width(2),
            ))
            .map_err(plot_err)?;
    }
    let (left, top) = chart.backend_coord(&(first.x, hi));
    let (right, bottom) = chart.backend_coord(&(x_end, lo));
    let xs = series
        .iter()
        .map(|s| chart.backend_coord(&(mid(s), lo)).0)
        .collect();
    root.present().map_err(plot_err)?;
    Ok(Some(Placed {
        left,
        top,
        right,
        bottom,
        xs,
    }))
}

/// Adds the hover layer to a chart's SVG: a transparent rectangle over the plotting area
/// (named `id`) and, for the time series, a guide line.
fn add_hit_area(svg: &mut String, id: &str, p: &Placed, guide: bool) {
    let Some(end) = svg.rfind("</svg>") else {
        return;
    };
    let mut layer = format!(
        r#"<rect id="{id}" x="{}" y="{}" width="{}" height="{}" fill="transparent" pointer-events="all"/>"#,
        p.left,
        p.top,
        (p.right - p.left).max(1),
        (p.bottom - p.top).max(1)
    );
    if guide {
        let _ = write!(
            layer,
            r##"<line id="{id}-guide" x1="0" x2="0" y1="{}" y2="{}" stroke="#444" stroke-dasharray="3,3" visibility="hidden" pointer-events="none"/>"##,
            p.top, p.bottom
        );
    }
    svg.insert_str(end, &layer);
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

/// Hour of day (local) by day, week or month.
fn heat_map(data: &ReportData, svg: &mut String) -> Result<Option<Placed>, String> {
    if data.heat.is_empty() {
        return Ok(None);
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
    let labels: Vec<String> = data.heat.iter().map(|c| c.first_day.to_string()).collect();
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
    let (left, top) = chart.backend_coord(&(0, 24));
    let (right, bottom) = chart.backend_coord(&(cols, 0));
    root.present().map_err(plot_err)?;
    Ok(Some(Placed {
        left,
        top,
        right,
        bottom,
        xs: Vec::new(),
    }))
}

/// A step's name in prose.
fn step_name(step: Step) -> &'static str {
    match step {
        Step::Hour => "hour",
        Step::Day => "day",
        Step::Week => "week",
        Step::Month => "month",
    }
}

/// Which clock the page's times are on, said once in its header.
fn zone_note(data: &ReportData) -> String {
    if data.offsets.is_empty() {
        return "Times are UTC: the samples carry no UTC offset.".into();
    }
    let offs: Vec<String> = data
        .offsets
        .iter()
        .map(|o| format!("UTC{}", format_offset(*o)))
        .collect();
    let mut s = format!(
        "Times are local, on the UTC offset{} the samples carry: {}.",
        if offs.len() > 1 { "s" } else { "" },
        offs.join(", ")
    );
    if data.some_without_offset {
        s.push_str(" Hours whose samples carry none are shown in UTC.");
    }
    s
}

/// Renders the page. `generated_at` is shown as is.
pub fn html(data: &ReportData, generated_at: &str) -> Result<String, String> {
    let h = &data.headline;
    let mut over = String::new();
    let over_at = over_time(data, &mut over)?;
    if let Some(p) = &over_at {
        add_hit_area(&mut over, "ts-hit", p, true);
    }
    let mut heat = String::new();
    let heat_at = heat_map(data, &mut heat)?;
    if let Some(p) = &heat_at {
        add_hit_area(&mut heat, "hm-hit", p, false);
    }
    let at = |a: Option<super::data::AtHour>| a.map_or("–".to_string(), |a| a.bpm.to_string());
    let when =
        |a: Option<super::data::AtHour>| a.map_or(String::new(), |a| local(&data.hours, a.hour));
    let zone = zone_note(data);
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
        "step": data.step,
        "steps": data.series.len(),
        "times": zone,
    });
    // What the hover script shows: each step at its x in the chart, each heat-map cell.
    let series_json = serde_json::json!({
        "points": data.series.iter().enumerate().map(|(i, s)| serde_json::json!({
            "x": over_at.as_ref().map(|p| p.xs[i]),
            "label": s.label, "min": s.min, "max": s.max,
            "mean": (s.mean * 10.0).round() / 10.0,
            "hours": s.hours, "coverage": (s.coverage * 1000.0).round() / 10.0,
            "rolling_mean": s.rolling_mean.map(|m| (m * 10.0).round() / 10.0),
        })).collect::<Vec<_>>(),
        "heat": {
            "unit": data.heat_step,
            "columns": data.heat.iter().map(|c| c.first_day.to_string()).collect::<Vec<_>>(),
            "cells": data.heat.iter().map(|c| c.cells.to_vec()).collect::<Vec<_>>(),
        },
    });

    let mut page = String::with_capacity(64 * 1024 + over.len() + heat.len());
    let range = match (data.hours.first(), data.hours.last()) {
        (Some(a), Some(b)) => format!(
            "{} – {}",
            local(&data.hours, a.hour),
            local(&data.hours, b.hour)
        ),
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
#tip {{ position: fixed; display: none; pointer-events: none; background: #fff; border: 1px solid #999;
  border-radius: 4px; padding: .3rem .5rem; font-size: .85rem; box-shadow: 0 1px 4px rgba(0,0,0,.2); }}
</style></head><body>
<h1>Heart rate: {account}</h1>
<p class="sub">{range} · generated {generated_at} · <span id="tz"></span></p>
<p class="sub" id="times">{zone}</p>
<div id="tip"></div>
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
        zone = esc(&zone),
        range = esc(&range),
        generated_at = esc(generated_at),
        cur = at(h.current_max),
        cur_when = when(h.current_max),
        mean = h.mean_hourly_max.map_or("–".into(), |m| format!("{m:.1}")),
        high = at(h.highest_max),
        high_when = when(h.highest_max),
        hws = h.hours_with_samples,
        hir = h.hours_in_range,
        over_note = match data.step {
            Step::Hour => "The max of each hour; hover for its value.".to_string(),
            step => format!(
                "Per {}: the band spans the lowest to the highest hourly max, the red line is their mean{}; hover for the values.",
                step_name(step),
                match step.rolling() {
                    Some(n) => format!(", the blue line the mean of the last {n} {}s", step_name(step)),
                    None => String::new(),
                }
            ),
        },
        heat_unit = step_name(data.heat_step),
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
                local(&data.hours, g.from),
                local(&data.hours, g.until),
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
<script type="application/json" id="fitpipe-series">{series}</script>
<script>
document.getElementById("tz").textContent = "viewed in " + Intl.DateTimeFormat().resolvedOptions().timeZone;
(function () {{
  var data = JSON.parse(document.getElementById("fitpipe-series").textContent);
  var tip = document.getElementById("tip");
  function svgPoint(el, ev) {{
    var svg = el.ownerSVGElement, pt = svg.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse());
  }}
  function show(ev, html) {{
    tip.innerHTML = html; tip.style.display = "block";
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + "px";
    tip.style.top = (ev.clientY + 14) + "px";
  }}
  function hide() {{ tip.style.display = "none"; }}
  var ts = document.getElementById("ts-hit"), guide = document.getElementById("ts-hit-guide");
  if (ts && data.points.length) {{
    function onSeries(ev) {{
      var x = svgPoint(ts, ev).x, pts = data.points, lo = 0, hi = pts.length - 1;
      while (lo < hi) {{ var m = (lo + hi) >> 1; if (pts[m].x < x) lo = m + 1; else hi = m; }}
      if (lo > 0 && x - pts[lo - 1].x < pts[lo].x - x) lo -= 1;
      var p = pts[lo];
      guide.setAttribute("x1", p.x); guide.setAttribute("x2", p.x); guide.setAttribute("visibility", "visible");
      show(ev, "<b>" + p.label + "</b><br>max " + p.max + " bpm · lowest " + p.min + " bpm<br>mean of the hourly max " + p.mean + " bpm" +
        (p.rolling_mean === null ? "" : "<br>rolling mean " + p.rolling_mean + " bpm") +
        "<br>coverage " + p.coverage + " % (" + p.hours + " h with samples)");
    }}
    ts.addEventListener("mousemove", onSeries);
    ts.addEventListener("click", onSeries);
    ts.addEventListener("mouseleave", function () {{ hide(); guide.setAttribute("visibility", "hidden"); }});
  }}
  var hm = document.getElementById("hm-hit");
  if (hm && data.heat.columns.length) {{
    function onHeat(ev) {{
      var pt = svgPoint(hm, ev), x0 = +hm.getAttribute("x"), y0 = +hm.getAttribute("y");
      var w = +hm.getAttribute("width"), h = +hm.getAttribute("height"), n = data.heat.columns.length;
      var col = Math.min(n - 1, Math.max(0, Math.floor((pt.x - x0) / w * n)));
      var row = Math.min(23, Math.max(0, 23 - Math.floor((pt.y - y0) / h * 24)));
      var v = data.heat.cells[col][row];
      show(ev, "<b>" + data.heat.unit + " of " + data.heat.columns[col] + ", " + (row < 10 ? "0" : "") + row + ":00</b><br>" +
        (v === null ? "no samples" : "max " + v + " bpm"));
    }}
    hm.addEventListener("mousemove", onHeat);
    hm.addEventListener("click", onHeat);
    hm.addEventListener("mouseleave", hide);
  }}
}})();
</script>
</body></html>
"#,
        numbers = numbers.to_string().replace("</", "<\\/"),
        series = series_json.to_string().replace("</", "<\\/"),
        last_day = data
            .hours
            .last()
            .map(|p| local_day_hour(p).0.to_string())
            .unwrap_or_default(),
    );
    Ok(page)
}
