//! Saved Google Health API response pages (`list` or `reconcile` of `heart-rate`):
//! `{"dataPoints": [...], "nextPageToken": "..."}`, where a last page may be a bare `{}`.

use serde::Deserialize;

use super::takeout_json::LooseNumber;
use super::{Item, Reject};
use crate::model::Sample;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    data_points: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataPoint {
    #[serde(default)]
    data_source: Option<DataSource>,
    heart_rate: Option<HeartRate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataSource {
    #[serde(default)]
    device: Option<Device>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Device {
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeartRate {
    sample_time: Option<SampleTime>,
    beats_per_minute: Option<LooseNumber>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SampleTime {
    physical_time: Option<String>,
    #[serde(default)]
    utc_offset: Option<String>,
}

/// Parses a google-duration such as `"-18000s"` or `"19800.5s"` into whole minutes.
pub(crate) fn parse_offset(s: &str) -> Option<i16> {
    let secs: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    if !secs.is_finite() || secs.abs() > 18.0 * 3600.0 {
        return None;
    }
    Some((secs / 60.0).round() as i16)
}

/// Converts one data point; `Err` says why it is refused.
pub fn convert(point: serde_json::Value) -> Result<Sample, String> {
    let dp: DataPoint =
        serde_json::from_value(point).map_err(|e| format!("malformed data point: {e}"))?;
    let hr = dp.heart_rate.ok_or("data point has no heartRate")?;
    let st = hr.sample_time.ok_or("heartRate has no sampleTime")?;
    let pt = st.physical_time.ok_or("sampleTime has no physicalTime")?;
    let ts = chrono::DateTime::parse_from_rfc3339(&pt)
        .map_err(|_| format!("unparseable physicalTime {pt:?}"))?
        .timestamp();
    let utc_offset_min = match st.utc_offset.as_deref() {
        None => None,
        Some(o) => Some(parse_offset(o).ok_or_else(|| format!("unparseable utcOffset {o:?}"))?),
    };
    let bpm = hr
        .beats_per_minute
        .ok_or("heartRate has no beatsPerMinute")?
        .to_bpm()?;
    let device = dp
        .data_source
        .and_then(|d| d.device)
        .and_then(|d| d.display_name)
        .filter(|n| !n.trim().is_empty())
        .map(Into::into);
    Ok(Sample {
        ts,
        bpm,
        utc_offset_min,
        device,
    })
}

/// Parses one saved page.
pub fn parse(bytes: &[u8], file: &str, out: &mut dyn FnMut(Item)) {
    let page: Page = match serde_json::from_slice(bytes) {
        Ok(p) => p,
        Err(e) => {
            out(Item::Reject(Reject::new(
                file,
                Some(e.line() as u64),
                format!("not a Google Health API page: {e}"),
            )));
            return;
        }
    };
    for (i, point) in page.data_points.into_iter().enumerate() {
        match convert(point) {
            Ok(s) => out(Item::Sample(s)),
            Err(reason) => out(Item::Reject(Reject::new(
                file,
                None,
                format!("dataPoints[{i}]: {reason}"),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (Vec<Sample>, Vec<Reject>) {
        let mut s = Vec::new();
        let mut r = Vec::new();
        parse(text.as_bytes(), "p.json", &mut |i| match i {
            Item::Sample(x) => s.push(x),
            Item::Reject(x) => r.push(x),
        });
        (s, r)
    }

    #[test]
    fn reads_list_and_reconcile_pages() {
        let (s, r) = run(include_str!(
            "../../tests/data/health_heart_rate_example.json"
        ));
        assert!(r.is_empty());
        assert_eq!(s.len(), 5);
        // 2026-11-26T14:00:14Z, "-18000s", "74"
        assert_eq!(s[0].ts, 1_795_701_614);
        assert_eq!(s[0].utc_offset_min, Some(-300));
        assert_eq!(s[0].bpm, 74);
        assert_eq!(s[0].device.as_deref(), Some("Pixel Watch 3"));
        let (s, r) = run(include_str!(
            "../../tests/data/health_heart_rate_reconcile_example.json"
        ));
        assert!(r.is_empty(), "{r:?}");
        assert!(!s.is_empty());
        assert!(s.iter().all(|x| x.device.is_none()));
    }

    #[test]
    fn empty_last_page_and_bad_points() {
        assert_eq!(run("{}").0.len(), 0);
        let (s, r) = run(r#"{"dataPoints": [
            {"heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:14.250Z"}, "beatsPerMinute": "74"}},
            {"heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:15Z"}, "beatsPerMinute": "x"}},
            {"heartRate": {"beatsPerMinute": "70"}},
            {"steps": {}}
        ]}"#);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].utc_offset_min, None);
        assert_eq!(r.len(), 3);
        assert!(r[0].reason.starts_with("dataPoints[1]"));
        let (_, r) = run("{\"dataPoints\": [");
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("-18000s"), Some(-300));
        assert_eq!(parse_offset("19800s"), Some(330));
        assert_eq!(parse_offset("0s"), Some(0));
        assert_eq!(parse_offset("3600"), None);
    }
}
