//! The Google Health API's page format, pure: the `list` answer's data points read into
//! samples (a fast path that converts each point as the parser streams it, and a slow path
//! through JSON values that names what is wrong), and page fingerprints. No I/O; the saved
//! pages `import` reads go through the same rules.

use serde::Deserialize;

use crate::formats::{google_offset, rfc3339, Text};
use crate::model::Sample;

/// The parts of a data point fitpipe reads (a partial response, the standard `fields`
/// parameter): a page of these is about a quarter of the full, pretty-printed answer.
pub const FIELDS: &str = "dataPoints(dataSource(platform,recordingMethod,device(displayName,formFactor),application/packageName),heartRate(sampleTime(physicalTime,utcOffset),beatsPerMinute)),nextPageToken";

/// One page of samples.
#[derive(Debug, Default)]
pub struct Page {
    pub samples: Vec<Sample>,
    /// Points that were not valid heart-rate samples (logged, not stored).
    pub rejected: Vec<String>,
    pub next_page_token: Option<String>,
}

/// A page read whole into JSON values: the slow path, which can say what is wrong with each
/// point. The live pull falls back to it for a page the fast path refuses; saved pages that
/// `import` reads take it always.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValuePage {
    #[serde(default)]
    pub data_points: Vec<serde_json::Value>,
    /// Kept as a value: a saved page is read for its points whatever its token holds.
    #[serde(default)]
    pub next_page_token: Option<serde_json::Value>,
}

impl ValuePage {
    /// Reads a page's bytes.
    pub fn read(body: &[u8]) -> Result<ValuePage, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// What identifies a page's content: an XXH3-128 hash of its bytes with the value of a
/// trailing top-level `"nextPageToken": "..."` member cut out (servers may vary the token
/// from call to call), or of the whole page when it does not end that way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub content: u128,
    /// The token that was cut out (decoded), when one was.
    pub cut_token: Option<String>,
}

/// Fingerprints a page. Two pages with the same `content` and a cut-out token hold the same
/// data points: the same bytes surround the token, which is the page's last member and a
/// valid JSON string in both, so the rest is the same JSON. A whole-page hash covers the
/// token as well.
pub fn fingerprint(body: &[u8]) -> Fingerprint {
    use xxhash_rust::xxh3::Xxh3;
    let mut h = Xxh3::new();
    match trailing_token(body) {
        Some((a, b, token)) => {
            h.update(b"cut\0");
            h.update(&(a as u64).to_le_bytes());
            h.update(&body[..a]);
            h.update(&body[b..]);
            Fingerprint {
                content: h.digest128(),
                cut_token: Some(token),
            }
        }
        None => {
            h.update(b"whole\0");
            h.update(body);
            Fingerprint {
                content: h.digest128(),
                cut_token: None,
            }
        }
    }
}

/// Where the value of `"nextPageToken": "..."` lies (between its quotes) when it is the last
/// member of the page's object, read backwards from the closing brace, and the token decoded;
/// `None` otherwise, or when the value is not a valid JSON string.
fn trailing_token(body: &[u8]) -> Option<(usize, usize, String)> {
    let back_ws = |mut i: usize| {
        while i > 0 && matches!(body[i - 1], b' ' | b'\t' | b'\n' | b'\r') {
            i -= 1;
        }
        i
    };
    let mut i = back_ws(body.len());
    if i == 0 || body[i - 1] != b'}' {
        return None;
    }
    i = back_ws(i - 1);
    if i == 0 || body[i - 1] != b'"' {
        return None;
    }
    let close = i - 1;
    // The opening quote: the nearest one before that no odd run of backslashes escapes.
    let mut open = close;
    loop {
        open = body[..open].iter().rposition(|&c| c == b'"')?;
        let slashes = body[..open]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if slashes % 2 == 0 {
            break;
        }
    }
    let token: String = serde_json::from_slice(&body[open..=close]).ok()?;
    i = back_ws(open);
    if i == 0 || body[i - 1] != b':' {
        return None;
    }
    i = back_ws(i - 1);
    let key = b"\"nextPageToken\"";
    if i < key.len() || &body[i - key.len()..i] != key {
        return None;
    }
    i = back_ws(i - key.len());
    if i == 0 || !matches!(body[i - 1], b',' | b'{') {
        return None;
    }
    Some((open + 1, close, token))
}

mod typed {
    //! One data point read straight into borrowed structs: the fast path for well-formed
    //! pages. Strings are borrowed from the page unless they carry escapes.
    use serde::Deserialize;

    use crate::formats::{LooseNumber, Text};

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Point<'a> {
        #[serde(default, borrow)]
        pub data_source: Option<Source<'a>>,
        #[serde(default, borrow)]
        pub heart_rate: Option<HeartRate<'a>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    pub struct Source<'a> {
        #[serde(default, borrow)]
        pub platform: Option<Text<'a>>,
        #[serde(default, borrow)]
        pub recording_method: Option<Text<'a>>,
        #[serde(default, borrow)]
        pub device: Option<Device<'a>>,
        #[serde(default, borrow)]
        pub application: Option<Application<'a>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    pub struct Device<'a> {
        #[serde(default, borrow)]
        pub display_name: Option<Text<'a>>,
        #[serde(default, borrow)]
        pub form_factor: Option<Text<'a>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    pub struct Application<'a> {
        #[serde(default, borrow)]
        pub package_name: Option<Text<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct HeartRate<'a> {
        #[serde(default, borrow)]
        pub sample_time: Option<SampleTime<'a>>,
        #[serde(default)]
        pub beats_per_minute: Option<LooseNumber>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SampleTime<'a> {
        #[serde(default, borrow)]
        pub physical_time: Option<Text<'a>>,
        #[serde(default, borrow)]
        pub utc_offset: Option<Text<'a>>,
    }
}

/// Reads a page's object into `Page` as it goes: each data point is converted as soon as it
/// is read, so no list of parsed points is ever held.
struct PageSeed<'p>(&'p mut Page);

impl<'de> serde::de::DeserializeSeed<'de> for PageSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PageSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a page of data points")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key {
                "dataPoints" => map.next_value_seed(PointsSeed(&mut *self.0))?,
                "nextPageToken" => {
                    self.0.next_page_token = map
                        .next_value::<Option<Text<'de>>>()?
                        .map(|t| t.0.into_owned())
                        .filter(|t| !t.is_empty())
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct PointsSeed<'p>(&'p mut Page);

impl<'de> serde::de::DeserializeSeed<'de> for PointsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PointsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of data points")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let page = self.0;
        if let Some(n) = seq.size_hint() {
            page.samples.reserve(n);
        }
        let mut last_device = None;
        let mut i = 0usize;
        while let Some(p) = seq.next_element::<typed::Point<'de>>()? {
            match convert_typed(p, &mut last_device) {
                Ok(s) => page.samples.push(s),
                Err(reason) => page.rejected.push(format!("dataPoints[{i}]: {reason}")),
            }
            i += 1;
        }
        Ok(())
    }
}

/// Converts one data point held as a JSON value (a page that is not all well formed, or a
/// saved page), through the same rules as the fast path; `Err` says why it is refused.
pub fn convert_value(point: serde_json::Value) -> Result<Sample, String> {
    let p = typed::Point::deserialize(&point).map_err(|e| format!("malformed data point: {e}"))?;
    convert_typed(p, &mut None)
}

/// The raw `dataSource` parts of the last point converted and the label they gave.
type LastSource = Option<([Option<String>; 5], Option<std::sync::Arc<str>>)>;

fn convert_typed(p: typed::Point<'_>, last_device: &mut LastSource) -> Result<Sample, String> {
    let hr = p.heart_rate.ok_or("data point has no heartRate")?;
    let st = hr.sample_time.ok_or("heartRate has no sampleTime")?;
    let pt = st.physical_time.ok_or("sampleTime has no physicalTime")?;
    let ts = rfc3339(&pt)
        .map(|(ts, _)| ts)
        .ok_or_else(|| format!("unparseable physicalTime {:?}", &*pt))?;
    let utc_offset_min = match st.utc_offset.as_deref() {
        None => None,
        Some(o) => Some(google_offset(o).ok_or_else(|| format!("unparseable utcOffset {o:?}"))?),
    };
    let bpm = hr
        .beats_per_minute
        .ok_or("heartRate has no beatsPerMinute")?
        .to_bpm()?;
    let device = p.data_source.and_then(|d| {
        let dev = d.device.unwrap_or_default();
        let package = d.application.and_then(|a| a.package_name);
        let parts = [
            d.platform.as_deref(),
            dev.form_factor.as_deref(),
            d.recording_method.as_deref(),
            dev.display_name.as_deref(),
            package.as_deref(),
        ];
        // Points of one source come in runs: the label is built once a run.
        if let Some((last, label)) = last_device.as_ref() {
            if last.iter().map(Option::as_deref).eq(parts.iter().copied()) {
                return label.clone();
            }
        }
        let label = crate::sources::api_label(parts[0], parts[1], parts[2], parts[3], parts[4])
            .map(std::sync::Arc::<str>::from);
        *last_device = Some((parts.map(|p| p.map(str::to_string)), label.clone()));
        label
    });
    Ok(Sample {
        ts,
        bpm,
        utc_offset_min,
        device,
    })
}

/// Parses a page; a point that is not a valid heart-rate sample is rejected on its own,
/// while a body that is not a page at all is an error.
pub fn parse_page(body: &[u8]) -> Result<Page, String> {
    // Checked as UTF-8 once here, so the reader need not check each string again.
    if let Ok(text) = std::str::from_utf8(body) {
        let mut page = Page::default();
        let mut de = serde_json::Deserializer::from_str(text);
        if serde::de::DeserializeSeed::deserialize(PageSeed(&mut page), &mut de)
            .and_then(|()| de.end())
            .is_ok()
        {
            return Ok(page);
        }
    }
    // Not the expected shape somewhere: read it point by point to say which.
    parse_page_slowly(body)
}

fn parse_page_slowly(body: &[u8]) -> Result<Page, String> {
    let wire = ValuePage::read(body).map_err(|e| e.to_string())?;
    let next_page_token = match wire.next_page_token {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(t)) => Some(t).filter(|t| !t.is_empty()),
        Some(other) => return Err(format!("nextPageToken {other} is not a string")),
    };
    let mut page = Page {
        next_page_token,
        ..Page::default()
    };
    for (i, p) in wire.data_points.into_iter().enumerate() {
        if !p.is_object() {
            return Err(format!("dataPoints[{i}] is not an object"));
        }
        match convert_value(p) {
            Ok(s) => page.samples.push(s),
            Err(reason) => page.rejected.push(format!("dataPoints[{i}]: {reason}")),
        }
    }
    Ok(page)
}

/// One hour as the API's `rollUp` summarises it. fitpipe does not store these figures (the
/// API computes them over its own reconciled stream, without the samples taken while a
/// wearable was off the wrist); it compares them from sync to sync to see which hours
/// changed on the server, such as those a watch uploaded days late.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourSummary {
    /// The UTC hour start, epoch seconds.
    pub hour: i64,
    pub max: f64,
    pub min: f64,
    pub avg: f64,
}

/// One page of a `rollUp` answer.
#[derive(Debug, Default)]
pub struct RollUpPage {
    pub hours: Vec<HourSummary>,
    pub next_page_token: Option<String>,
}

/// Parses a `rollUp` answer with hourly windows. A window without figures (an hour with no
/// samples) is left out; a window that is not an hour, or a page that is not a roll-up, is
/// an error.
pub fn parse_roll_up(body: &[u8]) -> Result<RollUpPage, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Wire {
        #[serde(default)]
        rollup_data_points: Vec<Window>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Window {
        start_time: String,
        #[serde(default)]
        end_time: Option<String>,
        #[serde(default)]
        heart_rate: Option<Figures>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Figures {
        beats_per_minute_avg: Option<f64>,
        beats_per_minute_max: Option<f64>,
        beats_per_minute_min: Option<f64>,
    }
    let wire: Wire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut out = RollUpPage {
        hours: Vec::with_capacity(wire.rollup_data_points.len()),
        next_page_token: wire.next_page_token.filter(|t| !t.is_empty()),
    };
    for (i, w) in wire.rollup_data_points.into_iter().enumerate() {
        let at = |s: &str| rfc3339(s).map(|(ts, _)| ts);
        let hour = at(&w.start_time)
            .filter(|t| t.rem_euclid(crate::model::HOUR) == 0)
            .ok_or_else(|| {
                format!(
                    "rollupDataPoints[{i}]: startTime {:?} is not an hour",
                    w.start_time
                )
            })?;
        if let Some(end) = &w.end_time {
            if at(end) != Some(hour + crate::model::HOUR) {
                return Err(format!(
                    "rollupDataPoints[{i}]: endTime {end:?} is not an hour after its start"
                ));
            }
        }
        let Some(f) = w.heart_rate else { continue };
        let (Some(max), Some(min), Some(avg)) = (
            f.beats_per_minute_max,
            f.beats_per_minute_min,
            f.beats_per_minute_avg,
        ) else {
            continue;
        };
        out.hours.push(HourSummary {
            hour,
            max,
            min,
            avg,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_ups_read_the_documented_example() {
        let v: serde_json::Value = serde_json::from_slice(include_bytes!(
            "../../tests/data/health_heart_rate_rollup_hourly_example.json"
        ))
        .unwrap();
        let page = parse_roll_up(v["response"].to_string().as_bytes()).unwrap();
        // 2026-11-26T14:00:00Z, 13:00, 12:00
        let hours: Vec<i64> = page.hours.iter().map(|h| h.hour).collect();
        assert_eq!(hours, [1_795_701_600, 1_795_698_000, 1_795_694_400]);
        assert_eq!(
            page.hours[0],
            HourSummary {
                hour: 1_795_701_600,
                max: 118.0,
                min: 61.0,
                avg: 76.41
            }
        );
        assert!(page.next_page_token.is_none());
        let empty = parse_roll_up(br#"{"rollupDataPoints": [{"startTime": "2026-11-26T14:00:00Z", "endTime": "2026-11-26T15:00:00Z"}], "nextPageToken": "x"}"#).unwrap();
        assert!(empty.hours.is_empty());
        assert_eq!(empty.next_page_token.as_deref(), Some("x"));
        assert!(parse_roll_up(b"{}").unwrap().hours.is_empty());
        for bad in [
            &br#"{"rollupDataPoints": [{"startTime": "2026-11-26T14:30:00Z"}]}"#[..],
            br#"{"rollupDataPoints": [{"startTime": "2026-11-26T14:00:00Z", "endTime": "2026-11-26T16:00:00Z"}]}"#,
            b"<html>",
        ] {
            assert!(parse_roll_up(bad).is_err());
        }
    }

    #[test]
    fn pages_end_on_empty_or_absent_tokens_and_bare_objects() {
        let p = parse_page(br#"{}"#).unwrap();
        assert!(p.samples.is_empty() && p.next_page_token.is_none());
        let p = parse_page(br#"{"dataPoints": [], "nextPageToken": "abc"}"#).unwrap();
        assert_eq!(p.next_page_token.as_deref(), Some("abc"));
        let p = parse_page(include_bytes!(
            "../../tests/data/health_heart_rate_example_page2.json"
        ))
        .unwrap();
        assert_eq!(p.samples.len(), 5);
        assert!(p.next_page_token.is_none());
        assert!(parse_page(b"<html>").is_err());
        assert!(parse_page(br#"{"dataPoints": [1]}"#).is_err());
    }

    #[test]
    fn escaped_strings_read_the_same_as_plain_ones() {
        let plain = r#"{"dataPoints": [{"dataSource": {"device": {"displayName": "Montre é"}},
            "heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:14Z", "utcOffset": "3600s"},
            "beatsPerMinute": "72"}}], "nextPageToken": "n/1"}"#
            .as_bytes();
        let escaped = br#"{"dataPoints": [{"dataSource": {"device": {"displayName": "Montre \u00e9"}},
            "heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:14\u005a", "utcOffset": "3600\u0073"},
            "beatsPerMinute": "7\u0032"}}], "next\u0050ageToken": "n\/1"}"#;
        let (a, b) = (parse_page(plain).unwrap(), parse_page(escaped).unwrap());
        assert!(
            a.rejected.is_empty() && b.rejected.is_empty(),
            "{:?}",
            b.rejected
        );
        assert_eq!(a.samples, b.samples);
        assert_eq!(b.samples[0].ts, 1_795_701_614);
        assert_eq!(b.samples[0].bpm, 72);
        assert_eq!(b.samples[0].utc_offset_min, Some(60));
        assert_eq!(b.samples[0].device.as_deref(), Some("Montre \u{e9}"));
        assert_eq!(a.next_page_token, b.next_page_token);
        assert_eq!(b.next_page_token.as_deref(), Some("n/1"));
    }

    #[test]
    fn a_trailing_token_is_cut_out_of_the_fingerprint() {
        let page = |tok: &str, pretty: bool| {
            let points = r#"[{"heartRate": {"sampleTime": {"physicalTime": "2026-11-26T14:00:14Z"}, "beatsPerMinute": "72"}}]"#;
            if pretty {
                format!("{{\n  \"dataPoints\": {points},\n  \"nextPageToken\" : \"{tok}\"\n}}\n")
            } else {
                format!(r#"{{"dataPoints":{points},"nextPageToken":"{tok}"}}"#)
            }
        };
        for pretty in [false, true] {
            let (a, b) = (page("CiAKGjBj", pretty), page("Zm9vYmFy-2", pretty));
            let (fa, fb) = (fingerprint(a.as_bytes()), fingerprint(b.as_bytes()));
            assert_eq!(fa.cut_token.as_deref(), Some("CiAKGjBj"));
            assert_eq!(fb.cut_token.as_deref(), Some("Zm9vYmFy-2"));
            assert_eq!(fa.content, fb.content, "only the token differs");
            // What the parser finds is what was cut out.
            assert_eq!(
                parse_page(b.as_bytes()).unwrap().next_page_token.as_deref(),
                fb.cut_token.as_deref()
            );
            // Any other difference shows.
            let c = page("CiAKGjBj", pretty).replace("\"72\"", "\"73\"");
            assert_ne!(fingerprint(c.as_bytes()).content, fa.content);
        }
        // An empty token is cut out too, and escaped ones are decoded.
        for (body, token) in [
            (r#"{"dataPoints":[],"nextPageToken":""}"#, ""),
            (r#"{"dataPoints": [], "nextPageToken": "a\"b"}"#, "a\"b"),
            (
                r#"{"dataPoints": [], "nextPageToken": "a\u003d\u003d"}"#,
                "a==",
            ),
            (r#"{"dataPoints": [], "nextPageToken": "a\\"}"#, "a\\"),
        ] {
            assert_eq!(
                fingerprint(body.as_bytes()).cut_token.as_deref(),
                Some(token),
                "{body}"
            );
            assert_eq!(
                parse_page(body.as_bytes())
                    .unwrap()
                    .next_page_token
                    .unwrap_or_default(),
                token
            );
        }
        let (a, b) = (
            fingerprint(br#"{"dataPoints":[],"nextPageToken":"x\u003d"}"#),
            fingerprint(br#"{"dataPoints":[],"nextPageToken":"yz\"w"}"#),
        );
        assert_eq!(a.content, b.content);
        // Not a trailing top-level token, or not a valid string: the page is hashed whole.
        for body in [
            r#"{"nextPageToken": "abc", "dataPoints": []}"#,
            r#"{"dataPoints": [], "nextPageToken": "a\"}"#,
            r#"{"dataPoints": [], "nextPageToken": "a\x"}"#,
            "{\"dataPoints\": [], \"nextPageToken\": \"a\tb\"}",
            r#"{"dataPoints": [], "x": {"nextPageToken": "abc"}}"#,
            r#"{"dataPoints": [], "x": "\"nextPageToken\": \"abc"}"#,
            r#"{"dataPoints": []}"#,
            r#"{}"#,
            r#"["nextPageToken": "abc"}"#,
        ] {
            let f = fingerprint(body.as_bytes());
            assert_eq!(f.cut_token, None, "{body}");
        }
        // A whole-page hash never equals a cut one of the same remaining bytes.
        let cut = fingerprint(br#"{"nextPageToken":"t"}"#);
        let whole = fingerprint(br#"{"nextPageToken":""#);
        assert_ne!(cut.content, whole.content);
    }

    mod fingerprints {
        use super::*;
        use crate::model::format_utc;
        use proptest::prelude::*;

        fn page(points: &[(i64, u16)], token: &Option<String>, pretty: bool) -> Vec<u8> {
            let mut v = serde_json::json!({"dataPoints": points.iter().map(|(t, b)| serde_json::json!({
                "heartRate": {"sampleTime": {"physicalTime": format_utc(*t)}, "beatsPerMinute": b.to_string()}
            })).collect::<Vec<_>>()});
            if let Some(t) = token {
                v["nextPageToken"] = t.clone().into();
            }
            if pretty {
                serde_json::to_vec_pretty(&v).unwrap()
            } else {
                serde_json::to_vec(&v).unwrap()
            }
        }

        proptest! {
            // Equal fingerprints mean equal data points, whatever the tokens hold; a cut-out
            // token is the one the parser reads.
            #[test]
            fn equal_fingerprints_mean_equal_points(
                a in proptest::collection::vec((1_700_000_000i64..1_700_000_100, 30u16..33), 0..4),
                b in proptest::collection::vec((1_700_000_000i64..1_700_000_100, 30u16..33), 0..4),
                ta in proptest::option::of(".{0,6}"),
                tb in proptest::option::of(".{0,6}"),
                pretty in any::<bool>(),
            ) {
                let (pa, pb) = (page(&a, &ta, pretty), page(&b, &tb, pretty));
                let (fa, fb) = (fingerprint(&pa), fingerprint(&pb));
                for (f, p) in [(&fa, &pa), (&fb, &pb)] {
                    if let Some(t) = &f.cut_token {
                        let parsed = parse_page(p).unwrap().next_page_token;
                        prop_assert_eq!(parsed.as_deref(), Some(t.as_str()).filter(|t| !t.is_empty()));
                    }
                }
                if fa.content == fb.content {
                    prop_assert_eq!(parse_page(&pa).unwrap().samples, parse_page(&pb).unwrap().samples);
                }
                if a == b && ta.is_some() && tb.is_some() {
                    prop_assert_eq!(fa.content, fb.content, "only the tokens differ");
                }
            }
        }
    }
}
