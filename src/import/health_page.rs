//! Saved Google Health API response pages (`list` or `reconcile` of `heart-rate`):
//! `{"dataPoints": [...], "nextPageToken": "..."}`, where a last page may be a bare `{}`.

use super::Item;
use crate::health_api::{convert_value, ValuePage};

/// Parses one saved page.
pub fn parse(bytes: &[u8], file: &str, out: &mut dyn FnMut(Item)) {
    let page = match ValuePage::read(bytes) {
        Ok(p) => p,
        Err(e) => {
            out(Item::reject(
                file,
                Some(e.line() as u64),
                format!("not a Google Health API page: {e}"),
            ));
            return;
        }
    };
    for (i, point) in page.data_points.into_iter().enumerate() {
        match convert_value(point) {
            Ok(s) => out(Item::Sample(s)),
            Err(reason) => out(Item::reject(
                file,
                None,
                format!("dataPoints[{i}]: {reason}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Reject;
    use crate::model::Sample;

    fn run(text: &str) -> (Vec<Sample>, Vec<Reject>) {
        let mut s = Vec::new();
        let mut r = Vec::new();
        parse(text.as_bytes(), "p.json", &mut |i| match i {
            Item::Sample(x) => s.push(x),
            Item::Reject(x) => r.push(*x),
            Item::NoReading => {}
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
}
