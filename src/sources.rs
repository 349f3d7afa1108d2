//! Where a sample came from, and which sources the hourly max counts. Pure.
//!
//! A source is known by one text label, stored with each sample (`device`) and written to
//! the lake's parts, so every machine that holds a sample knows its source and applies the
//! same rules to it:
//!
//! - a Takeout CSV's `data source` cell as it is (`Pixel Watch 3`, `Phone Health Connect`);
//! - for the API, the device's display name alone when the point is a wearable's own
//!   measurement through Fitbit (platform `FITBIT` or none, form factor a watch, band or ring
//!   or none, not entered by hand): `Pixel Watch 4`, the same label a Takeout export of the
//!   same watch has; any other point is labelled with its name (device, else application
//!   package) and what the API says of it, e.g.
//!   `com.example.hr (HEALTH_CONNECT, PHONE)` or `Apple Watch (HEALTH_KIT, WATCH)`;
//! - no label (`None`) when nothing says (Takeout's JSON day files, old CSVs, a point
//!   without a `dataSource`): the wearable's own export.
//!
//! By default ([`counted_by_default`]) the hourly max counts the wearable's own
//! measurements and not phone apps, Health Connect or Apple Health mirrors, or manual
//! entries. A user's own choices per account override the default ([`Policy`]).

use std::collections::BTreeMap;

/// Form factors of the wearables whose own measurements count by default.
const WEARABLES: [&str; 3] = ["WATCH", "FITNESS_BAND", "RING"];

/// The label of an API point's `dataSource` (see the module documentation), or `None` when
/// the point says nothing of its source.
pub fn api_label(
    platform: Option<&str>,
    form_factor: Option<&str>,
    recording_method: Option<&str>,
    display_name: Option<&str>,
    package_name: Option<&str>,
) -> Option<String> {
    fn clean(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let (platform, form_factor, method) =
        (clean(platform), clean(form_factor), clean(recording_method));
    let (display, package) = (clean(display_name), clean(package_name));
    let manual = method == Some("MANUAL");
    if let Some(name) = display {
        let fitbit = platform.is_none_or(|p| p == "FITBIT");
        let wearable = form_factor.is_none_or(|f| WEARABLES.contains(&f));
        if fitbit && wearable && !manual {
            return Some(name.to_string());
        }
    }
    let name = display.or(package);
    if name.is_none() && platform.is_none() && form_factor.is_none() && !manual {
        return None;
    }
    let mut what: Vec<&str> = Vec::new();
    what.extend(platform);
    what.extend(form_factor);
    if manual {
        what.push("MANUAL");
    }
    Some(format!(
        "{} ({})",
        name.unwrap_or("unnamed"),
        what.join(", ")
    ))
}

/// Whether the hourly max counts a source unless the user chose otherwise: the wearable's
/// own measurements do; phone apps, Health Connect and Apple Health mirrors, and manual
/// entries do not.
pub fn counted_by_default(label: Option<&str>) -> bool {
    let Some(label) = label else {
        return true;
    };
    // An API label with what the API said of it: only a wearable outside Apple's mirror,
    // measured rather than typed in, counts.
    if let Some(what) = label
        .strip_suffix(')')
        .and_then(|l| l.rsplit_once(" ("))
        .map(|(_, w)| w)
    {
        let parts: Vec<&str> = what.split(", ").collect();
        let known =
            |p: &&str| p.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !p.is_empty();
        if parts.iter().all(known) {
            return !parts.contains(&"MANUAL")
                && !parts.contains(&"HEALTH_KIT")
                && parts.iter().any(|p| WEARABLES.contains(p));
        }
    }
    // A Takeout `data source`: device names count; the phone's apps and mirrors do not.
    let l = label.to_lowercase();
    // (Google Fit names a typed-in reading's source `...:user_input`.)
    let phone = [
        "health connect",
        "health kit",
        "healthkit",
        "apple health",
        "mobiletrack",
        "user_input",
    ];
    if phone.iter().any(|p| l.contains(p)) {
        return false;
    }
    !(l == "fitbit app" || l == "google health app" || l.ends_with(" app"))
}

/// The version of the rules in [`counted_by_default`]: part of every policy's version, so
/// that hours computed under older rules are recognised as such.
const RULES: &str = "sources-1";

/// An account's choices of sources, by label: counted or not, and when chosen (RFC 3339, for
/// merging the choices of several machines: the later one wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub choices: BTreeMap<String, Choice>,
    /// The ids of the imports removed from the account (`removals`): not merged with the
    /// choices, but part of the version, so that hours a removal lowered replace the copies
    /// computed before it.
    pub removed: std::collections::BTreeSet<String>,
}

/// One choice of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub counted: bool,
    pub changed_at: String,
}

impl Policy {
    /// Whether the hourly max counts `label` under this policy.
    pub fn counts(&self, label: Option<&str>) -> bool {
        match label.and_then(|l| self.choices.get(l)) {
            Some(c) => c.counted,
            None => counted_by_default(label),
        }
    }

    /// Merges another machine's choices: for each label the later choice (ties: the one
    /// that does not count, then either, being equal). Commutative, associative and
    /// idempotent, so machines that exchange choices end with the same policy.
    pub fn merge(&mut self, other: &Policy) {
        for (label, theirs) in &other.choices {
            match self.choices.get(label) {
                Some(ours)
                    if (ours.changed_at.as_str(), !ours.counted)
                        >= (theirs.changed_at.as_str(), !theirs.counted) => {}
                _ => {
                    self.choices.insert(label.clone(), theirs.clone());
                }
            }
        }
    }

    /// What identifies the policy's effect: the rules' version, every choice that
    /// differs from the default and every removed import, as a 64-bit hash. Two machines
    /// with the same version count the same samples; a choice that restates the default
    /// does not change it.
    pub fn version(&self) -> u64 {
        let mut text = String::from(RULES);
        for (label, c) in &self.choices {
            if c.counted != counted_by_default(Some(label)) {
                text.push('\n');
                text.push(if c.counted { '+' } else { '-' });
                text.push_str(label);
            }
        }
        for id in &self.removed {
            text.push_str("\nx");
            text.push_str(id);
        }
        xxhash_rust::xxh3::xxh3_64(text.as_bytes())
    }
}

/// How a policy version is written: 16 hex digits.
pub fn format_version(v: u64) -> String {
    format!("{v:016x}")
}

/// Reads [`format_version`]'s text.
pub fn parse_version(s: &str) -> Option<u64> {
    (s.len() == 16)
        .then(|| u64::from_str_radix(s, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_labels_keep_the_wearable_plain_and_name_everything_else() {
        let l = |p, f, m, d, a| api_label(p, f, m, d, a);
        let watch = l(
            Some("FITBIT"),
            Some("WATCH"),
            Some("PASSIVELY_MEASURED"),
            Some("Pixel Watch 4"),
            None,
        );
        assert_eq!(watch.as_deref(), Some("Pixel Watch 4"));
        assert_eq!(
            l(None, None, None, Some("Charge 6"), None).as_deref(),
            Some("Charge 6")
        );
        let app = l(
            Some("HEALTH_CONNECT"),
            None,
            Some("ACTIVELY_MEASURED"),
            None,
            Some("com.example.hr"),
        );
        assert_eq!(app.as_deref(), Some("com.example.hr (HEALTH_CONNECT)"));
        let strap = l(
            Some("HEALTH_CONNECT"),
            Some("CHEST_STRAP"),
            None,
            Some("H10"),
            Some("com.polar"),
        );
        assert_eq!(strap.as_deref(), Some("H10 (HEALTH_CONNECT, CHEST_STRAP)"));
        let apple = l(
            Some("HEALTH_KIT"),
            Some("WATCH"),
            None,
            Some("Apple Watch"),
            None,
        );
        assert_eq!(apple.as_deref(), Some("Apple Watch (HEALTH_KIT, WATCH)"));
        let typed = l(
            Some("FITBIT"),
            None,
            Some("MANUAL"),
            Some("Inspire 3"),
            None,
        );
        assert_eq!(typed.as_deref(), Some("Inspire 3 (FITBIT, MANUAL)"));
        let phone = l(Some("FITBIT"), Some("PHONE"), None, Some("Pixel 9"), None);
        assert_eq!(phone.as_deref(), Some("Pixel 9 (FITBIT, PHONE)"));
        assert_eq!(
            l(None, None, Some("PASSIVELY_MEASURED"), Some(" "), None),
            None
        );
        assert_eq!(
            l(Some("HEALTH_CONNECT"), None, None, None, None).as_deref(),
            Some("unnamed (HEALTH_CONNECT)")
        );
    }

    #[test]
    fn the_default_counts_wearables_only() {
        for counted in [
            None,
            Some("Pixel Watch 3"),
            Some("Charge 5"),
            Some("Google Fitbit Air"),
            Some("Radiance"),
            Some("Galaxy Watch7 (HEALTH_CONNECT, WATCH)"),
            Some("Oura (HEALTH_CONNECT, RING)"),
            Some("A watch (of mine)"),
            Some("raw:com.google.heart_rate.bpm:com.mobvoi.ticwear:watch"),
        ] {
            assert!(counted_by_default(counted), "{counted:?}");
        }
        for not in [
            "Fitbit App",
            "Google Health App",
            "MobileTrack",
            "Fit Health Connect",
            "Phone Health Connect",
            "Apple Health Health Kit",
            "com.apple.heartratecoordinatord Health Kit",
            "Some Workout App",
            "com.example.hr (HEALTH_CONNECT)",
            "H10 (HEALTH_CONNECT, CHEST_STRAP)",
            "Apple Watch (HEALTH_KIT, WATCH)",
            "Inspire 3 (FITBIT, MANUAL)",
            "Pixel 9 (FITBIT, PHONE)",
            "raw:com.google.heart_rate.bpm:com.google.android.apps.fitness:user_input",
        ] {
            assert!(!counted_by_default(Some(not)), "{not}");
        }
    }

    fn choice(counted: bool, at: &str) -> Choice {
        Choice {
            counted,
            changed_at: at.into(),
        }
    }

    #[test]
    fn policies_merge_to_the_same_result_in_any_order() {
        let mut a = Policy::default();
        a.choices
            .insert("Fitbit App".into(), choice(true, "2026-12-01T10:00:00Z"));
        a.choices
            .insert("Charge 5".into(), choice(false, "2026-12-01T09:00:00Z"));
        let mut b = Policy::default();
        b.choices
            .insert("Fitbit App".into(), choice(false, "2026-12-01T11:00:00Z"));
        b.choices
            .insert("Charge 5".into(), choice(true, "2026-12-01T09:00:00Z"));
        let (mut ab, mut ba) = (a.clone(), b.clone());
        ab.merge(&b);
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert!(!ab.counts(Some("Fitbit App")), "the later choice wins");
        assert!(!ab.counts(Some("Charge 5")), "a tie goes to not counting");
        let again = ab.clone();
        ab.merge(&again);
        assert_eq!(ab, again);
        assert_eq!(ab.version(), ba.version());
    }

    #[test]
    fn versions_change_with_the_effect_only() {
        let default = Policy::default().version();
        let mut same = Policy::default();
        same.choices
            .insert("Pixel Watch 3".into(), choice(true, "2026-12-01T10:00:00Z"));
        assert_eq!(same.version(), default, "restating the default");
        let mut other = Policy::default();
        other.choices.insert(
            "Pixel Watch 3".into(),
            choice(false, "2026-12-01T10:00:00Z"),
        );
        assert_ne!(other.version(), default);
        let mut removed = Policy::default();
        removed.removed.insert("0123456789abcdef".into());
        assert_ne!(removed.version(), default, "a removed import");
        assert_eq!(
            parse_version(&format_version(removed.version())),
            Some(removed.version())
        );
        assert_eq!(
            parse_version(&format_version(other.version())),
            Some(other.version())
        );
        assert_eq!(parse_version("xyz"), None);
    }
}
