//! Google Fit's Takeout (`Takeout/Fit/All Data/raw_com.google.heart_rate.bpm*.json`, one
//! file per data source, years in one file; the folder's name is localised, the file's is
//! not): `{"Data Source": "raw:com.google.heart_rate.bpm:...", "Data Points": [{
//! "dataTypeName": "com.google.heart_rate.bpm", "startTimeNanos": 1480316400000000000,
//! "endTimeNanos": ..., "fitValue": [{"value": {"fpVal": 76}}]}, ...]}`, as other readers of
//! these exports have met it. Nanosecond stamps are integers past 2^53 (read exactly, never
//! through a float), sometimes quoted. Only the `raw_` files are read: a `derived_` file
//! merges the raw ones and would count each reading twice.
//!
//! Read as a stream: points are handed over as they are parsed. The source of every point
//! is the file's "Data Source" when it comes before the points (as it does in the files
//! seen), else the file's name.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::Item;
use crate::formats::LooseNumber;
use crate::model::Sample;

/// Whether `base` (a file name) is a Google Fit raw heart-rate file.
pub fn is_fit_heart_rate(base: &str) -> bool {
    base.starts_with("raw_com.google.heart_rate.bpm") && base.ends_with(".json")
}

/// An integer that may be written as a number or a string.
struct Nanos(Option<i128>);

impl<'de> Deserialize<'de> for Nanos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Nanos;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("nanoseconds as an integer")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Nanos, E> {
                Ok(Nanos(Some(v as i128)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Nanos, E> {
                Ok(Nanos(Some(v as i128)))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Nanos, E> {
                Ok(Nanos(None))
            }
            fn visit_str<E>(self, v: &str) -> Result<Nanos, E> {
                Ok(Nanos(v.trim().parse().ok()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct Point {
    #[serde(rename = "startTimeNanos")]
    start: Option<Nanos>,
    #[serde(rename = "fitValue", default)]
    fit_value: Vec<FitValue>,
}

#[derive(Deserialize)]
struct FitValue {
    #[serde(default)]
    value: Option<Value>,
}

#[derive(Deserialize)]
struct Value {
    #[serde(rename = "fpVal")]
    fp: Option<LooseNumber>,
    #[serde(rename = "intVal")]
    int: Option<LooseNumber>,
}

struct File<'f> {
    name: &'f str,
    source: Option<std::sync::Arc<str>>,
    out: &'f mut dyn FnMut(Item),
}

impl<'de> DeserializeSeed<'de> for &mut File<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut File<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Google Fit data source with its data points")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Data Source" => {
                    let s: String = map.next_value()?;
                    self.source = Some(s.into());
                }
                "Data Points" => map.next_value_seed(Points(self))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Points<'a, 'f>(&'a mut File<'f>);

impl<'de> DeserializeSeed<'de> for Points<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Points<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of data points")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let file = self.0;
        let source = file.source.clone().unwrap_or_else(|| {
            std::sync::Arc::from(file.name.rsplit('/').next().unwrap_or(file.name))
        });
        let mut i = 0usize;
        while let Some(p) = seq.next_element::<Point>()? {
            let ts = p
                .start
                .and_then(|n| n.0)
                .map(|n| n.div_euclid(1_000_000_000) as i64);
            let value = p
                .fit_value
                .into_iter()
                .find_map(|v| v.value.and_then(|v| v.fp.or(v.int)));
            let item = match (ts, value) {
                (None, _) => Item::reject(
                    file.name,
                    None,
                    format!("Data Points[{i}]: no startTimeNanos"),
                ),
                (Some(_), Some(LooseNumber::Missing)) | (Some(_), None) => Item::NoReading,
                (Some(ts), Some(v)) => match v.to_bpm() {
                    Ok(bpm) => Item::Sample(Sample {
                        ts,
                        bpm,
                        utc_offset_min: None,
                        device: Some(source.clone()),
                    }),
                    Err(reason) => {
                        Item::reject(file.name, None, format!("Data Points[{i}]: {reason}"))
                    }
                },
            };
            (file.out)(item);
            i += 1;
        }
        Ok(())
    }
}

/// Parses one Google Fit heart-rate file from `r`, as it reads.
pub fn parse(r: impl std::io::Read, name: &str, out: &mut dyn FnMut(Item)) {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(r));
    let mut file = File {
        name,
        source: None,
        out,
    };
    let res = (&mut file).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = res {
        (file.out)(Item::reject(
            name,
            Some(e.line() as u64),
            format!("not a readable Google Fit file ({e}); points before this were read"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_read_with_exact_nanoseconds_and_the_files_source() {
        let text = r#"{"Data Source": "raw:com.google.heart_rate.bpm:com.mobvoi.ticwear:watch",
          "Data Points": [
            {"dataTypeName": "com.google.heart_rate.bpm", "startTimeNanos": 1715771743999999999,
             "endTimeNanos": 1715771744000000000, "fitValue": [{"value": {"fpVal": 65.4}}]},
            {"startTimeNanos": "1715771803000000000", "fitValue": [{"value": {"intVal": 72}}]},
            {"startTimeNanos": 1715771863000000000, "fitValue": [{"value": {"fpVal": 900}}]},
            {"startTimeNanos": 1715771923000000000, "fitValue": []},
            {"fitValue": [{"value": {"fpVal": 70}}]}
          ]}"#;
        let mut items = Vec::new();
        parse(
            text.as_bytes(),
            "Fit/All Data/raw_com.google.heart_rate.bpm_x.json",
            &mut |i| items.push(i),
        );
        let samples: Vec<&Sample> = items
            .iter()
            .filter_map(|i| match i {
                Item::Sample(s) => Some(s),
                _ => None,
            })
            .collect();
        // 1715771743999999999 ns is 2024-05-15T11:15:43.999999999Z: second 1715771743.
        assert_eq!(
            samples.iter().map(|s| (s.ts, s.bpm)).collect::<Vec<_>>(),
            vec![(1_715_771_743, 65), (1_715_771_803, 72)]
        );
        assert_eq!(
            samples[0].device.as_deref(),
            Some("raw:com.google.heart_rate.bpm:com.mobvoi.ticwear:watch")
        );
        let rejects = items
            .iter()
            .filter(|i| matches!(i, Item::Reject(_)))
            .count();
        let none = items
            .iter()
            .filter(|i| matches!(i, Item::NoReading))
            .count();
        assert_eq!((rejects, none), (2, 1));
        assert!(is_fit_heart_rate(
            "raw_com.google.heart_rate.bpm_com.mobvoi.json"
        ));
        assert!(!is_fit_heart_rate(
            "derived_com.google.heart_rate.bpm_merged.json"
        ));
    }
}
