//! An HTTP stand-in for the GCS XML API, enough for object_store: GET/HEAD/PUT/DELETE of
//! objects with generations, `x-goog-if-generation-match` (412 on mismatch, 0 for "must not
//! exist"), `If-None-Match` on reads (304 when the ETag still matches), and the list-type=2
//! listing with `prefix`, `delimiter` and `start-after`. It records the conditions it was sent and the objects whose bytes it sent.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use wiremock::{Request, Respond, ResponseTemplate};

#[derive(Default)]
pub struct State {
    pub objects: BTreeMap<String, (Vec<u8>, u64)>,
    pub next_generation: u64,
    /// (object, x-goog-if-generation-match) of every PUT.
    pub conditions: Vec<(String, Option<String>)>,
    pub rejected: usize,
    /// Objects whose bytes a GET returned (a 304 sends none).
    pub downloads: Vec<String>,
    /// Appended to a master object just before the next conditional write to it is judged:
    /// another machine's write landing between this one's read and write.
    pub interfere_once: Option<String>,
}

#[derive(Clone, Default)]
pub struct FakeGcs {
    pub state: Arc<Mutex<State>>,
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn object_headers(t: ResponseTemplate, len: usize, generation: u64) -> ResponseTemplate {
    t.insert_header("ETag", format!("\"{generation}\"").as_str())
        .insert_header("x-goog-generation", generation.to_string().as_str())
        .insert_header("Last-Modified", "Fri, 27 Nov 2026 12:00:00 GMT")
        .insert_header("Content-Length", len.to_string().as_str())
}

impl Respond for FakeGcs {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.state.lock().unwrap();
        let path = req.url.path().trim_start_matches('/').to_string();
        let (_bucket, object) = match path.split_once('/') {
            Some((b, o)) => (b.to_string(), decode(o)),
            None => (path.clone(), String::new()),
        };
        let query: BTreeMap<String, String> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        match req.method.as_str() {
            "GET"
                if object.is_empty() && query.get("list-type").map(String::as_str) == Some("2") =>
            {
                let prefix = query.get("prefix").cloned().unwrap_or_default();
                let after = query.get("start-after").cloned().unwrap_or_default();
                let delimiter = query.get("delimiter").cloned();
                let mut xml =
                    String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>");
                let mut common = BTreeSet::new();
                for (k, (data, g)) in st
                    .objects
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix) && **k > after)
                {
                    // With a delimiter, keys below a further level are rolled up into
                    // their common prefix.
                    if let Some(d) = &delimiter {
                        if let Some(i) = k[prefix.len()..].find(d.as_str()) {
                            common.insert(k[..prefix.len() + i + d.len()].to_string());
                            continue;
                        }
                    }
                    xml.push_str(&format!(
                        "<Contents><Key>{k}</Key><Size>{}</Size><LastModified>2026-11-27T12:00:00.000Z</LastModified><ETag>\"{g}\"</ETag></Contents>",
                        data.len()
                    ));
                }
                for c in common {
                    xml.push_str(&format!(
                        "<CommonPrefixes><Prefix>{c}</Prefix></CommonPrefixes>"
                    ));
                }
                xml.push_str("</ListBucketResult>");
                ResponseTemplate::new(200).set_body_raw(xml, "application/xml")
            }
            "GET" | "HEAD" => match st.objects.get(&object).cloned() {
                Some((data, g)) => {
                    let etag = format!("\"{g}\"");
                    if req
                        .headers
                        .get("if-none-match")
                        .is_some_and(|v| v.to_str().unwrap() == etag)
                    {
                        return object_headers(ResponseTemplate::new(304), 0, g);
                    }
                    let t = object_headers(ResponseTemplate::new(200), data.len(), g);
                    if req.method.as_str() == "GET" {
                        st.downloads.push(object.clone());
                        t.set_body_bytes(data)
                    } else {
                        t
                    }
                }
                None => ResponseTemplate::new(404)
                    .set_body_string("<Error><Code>NoSuchKey</Code></Error>"),
            },
            "PUT" => {
                let cond = req
                    .headers
                    .get("x-goog-if-generation-match")
                    .map(|v| v.to_str().unwrap().to_string());
                st.conditions.push((object.clone(), cond.clone()));
                if object.contains("hourly_max/") && cond.is_some() && cond.as_deref() != Some("0")
                {
                    if let Some(extra) = st.interfere_once.take() {
                        let (mut bytes, _) = st.objects.get(&object).cloned().unwrap_or_default();
                        bytes.extend_from_slice(extra.as_bytes());
                        st.next_generation += 1;
                        let g = 1_000 + st.next_generation;
                        st.objects.insert(object.clone(), (bytes, g));
                    }
                }
                let current = st.objects.get(&object).map(|(_, g)| *g);
                if let Some(c) = &cond {
                    let want: u64 = c.parse().unwrap();
                    let ok = if want == 0 {
                        current.is_none()
                    } else {
                        current == Some(want)
                    };
                    if !ok {
                        st.rejected += 1;
                        return ResponseTemplate::new(412)
                            .set_body_string("<Error><Code>PreconditionFailed</Code></Error>");
                    }
                }
                st.next_generation += 1;
                let g = 1_000 + st.next_generation;
                st.objects.insert(object, (req.body.clone(), g));
                object_headers(ResponseTemplate::new(200), 0, g)
            }
            "DELETE" => {
                st.objects.remove(&object);
                ResponseTemplate::new(204)
            }
            _ => ResponseTemplate::new(400),
        }
    }
}
