//! The staff's time zone: the console's setting
//! ([`crate::ConsoleConfig::time_zone`]) when given, else the region of
//! the browser's `Accept-Language` (`nb-NO` → Europe/Oslo), else UTC.
//! Times are shown in it with their UTC time on hover
//! (`<time datetime=… title="… UTC">`).

use jiff::tz::TimeZone;
use maud::{Markup, html};
use vipps_om_outbox::Timestamp;

use crate::i18n::Lang;

/// The most language tags of an `Accept-Language` header that are read
/// (a longer header is cut there; browsers send a handful).
pub const MAX_ACCEPT_LANGUAGE_TAGS: usize = 16;

/// Regions (and region-less languages) with one time zone, the ones staff
/// of Nordic merchants are likely to have. Others fall back to the
/// setting or UTC rather than guess between several zones.
const ZONES: &[(&str, &str)] = &[
    ("NO", "Europe/Oslo"),
    ("SE", "Europe/Stockholm"),
    ("DK", "Europe/Copenhagen"),
    ("FI", "Europe/Helsinki"),
    ("IS", "Atlantic/Reykjavik"),
    ("AX", "Europe/Mariehamn"),
    ("FO", "Atlantic/Faroe"),
    ("GB", "Europe/London"),
    ("IE", "Europe/Dublin"),
    ("DE", "Europe/Berlin"),
    ("NL", "Europe/Amsterdam"),
    ("BE", "Europe/Brussels"),
    ("FR", "Europe/Paris"),
    ("PL", "Europe/Warsaw"),
    ("EE", "Europe/Tallinn"),
    ("LV", "Europe/Riga"),
    ("LT", "Europe/Vilnius"),
    ("AT", "Europe/Vienna"),
    ("CH", "Europe/Zurich"),
    ("IT", "Europe/Rome"),
    ("UA", "Europe/Kyiv"),
];

/// Languages spoken in one time zone, for tags without a region.
const LANGUAGE_ZONES: &[(&str, &str)] = &[
    ("nb", "NO"),
    ("nn", "NO"),
    ("no", "NO"),
    ("da", "DK"),
    ("fi", "FI"),
    ("sv", "SE"),
    ("is", "IS"),
];

/// The zone of a region code (`NO`), when it has exactly one.
fn region_zone(region: &str) -> Option<TimeZone> {
    let name = ZONES
        .iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(region))
        .map(|(_, z)| *z)?;
    TimeZone::get(name).ok()
}

/// The zone of the most preferred language tag of an `Accept-Language`
/// header whose region (or region-less language) has one zone.
pub fn from_accept_language(header: &str) -> Option<TimeZone> {
    let mut tags: Vec<(u16, &str)> = header
        .split(',')
        .take(MAX_ACCEPT_LANGUAGE_TAGS)
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let q = (q.clamp(0.0, 1.0) * 1000.0) as u16;
            (q > 0 && !tag.is_empty()).then_some((q, tag))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    tags.sort_by_key(|t| std::cmp::Reverse(t.0));
    tags.into_iter().find_map(|(_, tag)| {
        let mut subtags = tag.split(['-', '_']);
        let language = subtags.next().unwrap_or("");
        let region = subtags.find(|s| s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()));
        match region {
            Some(region) => region_zone(region),
            None => LANGUAGE_ZONES
                .iter()
                .find(|(l, _)| l.eq_ignore_ascii_case(language))
                .and_then(|(_, r)| region_zone(r)),
        }
    })
}

/// The zone an IANA name (`Europe/Oslo`, `UTC`) names, or why not.
pub fn named(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim()).map_err(|_| {
        format!(
            "time zone: `{name}` is not a time zone name; use an IANA name such as Europe/Oslo, Europe/Copenhagen or UTC"
        )
    })
}

/// The zone's name for people: `Europe/Oslo`, or `UTC`.
pub fn name(zone: &TimeZone) -> &str {
    zone.iana_name().unwrap_or("UTC")
}

/// A time in `zone`, written as `lang` writes it
/// ([`Lang::datetime_format`]: `2025-11-25 16:56:00 CET` in English), with
/// its UTC time as the machine-readable value and on hover.
pub fn time(zone: &TimeZone, t: Timestamp, lang: Lang) -> Markup {
    let utc = t.to_string();
    let plain = |s: &str| match (s.get(0..10), s.get(11..19)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => s.to_owned(),
    };
    let local = jiff::Timestamp::from_millisecond(t.as_millis())
        .ok()
        .map(|ts| {
            ts.to_zoned_datetime(zone.clone())
                .strftime(lang.datetime_format())
                .to_string()
        });
    let hover = format!("{} UTC", plain(&utc));
    html! {
        time datetime=(utc) title=(hover) { (local.unwrap_or_else(|| hover.clone())) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_region_picks_the_zone() {
        let zone = |h: &str| from_accept_language(h).map(|z| name(&z).to_owned());
        assert_eq!(
            zone("nb-NO,nb;q=0.9,en;q=0.8").as_deref(),
            Some("Europe/Oslo")
        );
        assert_eq!(zone("da-DK").as_deref(), Some("Europe/Copenhagen"));
        assert_eq!(
            zone("en-US,en;q=0.5,fi;q=0.4").as_deref(),
            Some("Europe/Helsinki")
        );
        assert_eq!(zone("sv").as_deref(), Some("Europe/Stockholm"));
        assert_eq!(zone("en"), None);
        assert_eq!(zone("en-US"), None, "several zones: no guess");
        assert_eq!(zone(""), None);
        assert_eq!(zone("nb-NO;q=0,en-GB").as_deref(), Some("Europe/London"));
    }

    #[test]
    fn times_show_local_with_utc_on_hover() {
        let oslo = named("Europe/Oslo").unwrap();
        // 2025-11-25T15:56:00Z: winter, UTC+1.
        let at = Timestamp::from_millis(1_764_086_160_000);
        let html = time(&oslo, at, Lang::En).into_string();
        assert!(html.contains("datetime=\"2025-11-25T15:56:00"), "{html}");
        assert!(html.contains("title=\"2025-11-25 15:56:00 UTC\""), "{html}");
        assert!(html.contains(">2025-11-25 16:56:00 CET</time>"), "{html}");
        let html = time(&oslo, at, Lang::Nb).into_string();
        assert!(html.contains(">25.11.2025 16:56:00 CET</time>"), "{html}");
        assert!(html.contains("title=\"2025-11-25 15:56:00 UTC\""), "{html}");
        assert!(named("Mars/Olympus").unwrap_err().contains("IANA name"));
    }
}
