//! The start page (the order search), the stylesheet and the 404 page.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::i18n::T;
use crate::views::{self, page, respond};
use crate::web::{Ctx, Signed};

const STYLESHEET: &str = include_str!("../../static/console.css");

pub(crate) async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

pub(crate) async fn not_found(ctx: Ctx) -> Response {
    views::message_page(
        &ctx,
        StatusCode::NOT_FOUND,
        ctx.lang.t(T::NotFound),
        ctx.lang.t(T::NotFound),
    )
}

pub(crate) async fn home(signed: Signed) -> Response {
    let ctx = &signed.ctx;
    respond(
        StatusCode::OK,
        page(
            ctx,
            ctx.lang.t(T::FindOrder),
            views::search_form(ctx, "", "ecom"),
        ),
    )
}

#[cfg(test)]
mod tests {
    /// The stylesheet without its comments.
    fn css() -> String {
        let mut out = String::new();
        let mut rest = super::STYLESHEET;
        while let Some(start) = rest.find("/*") {
            out.push_str(&rest[..start]);
            rest = rest[start..]
                .find("*/")
                .map_or("", |end| &rest[start + end + 2..]);
        }
        out.push_str(rest);
        out
    }

    /// The stylesheet's custom properties that hold a colour.
    fn variables() -> Vec<(String, String)> {
        css()
            .split([';', '{', '}'])
            .filter_map(|decl| decl.trim().strip_prefix("--")?.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_lowercase()))
            .filter(|(_, v)| v.starts_with('#'))
            .collect()
    }

    fn resolve(value: &str, vars: &[(String, String)]) -> String {
        let value = value.trim();
        match value
            .strip_prefix("var(--")
            .and_then(|v| v.strip_suffix(')'))
        {
            Some(name) => vars
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no colour variable --{name}")),
            None => value.to_lowercase(),
        }
    }

    /// WCAG 2 relative luminance of `#rgb` or `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let h = hex.trim_start_matches('#');
        let h: String = if h.len() == 3 {
            h.chars().flat_map(|c| [c, c]).collect()
        } else {
            h.to_owned()
        };
        assert_eq!(h.len(), 6, "not a hex colour: {hex}");
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&h[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn contrast_formula_matches_wcag() {
        assert!((contrast("#000", "#fff") - 21.0).abs() < 0.01);
        // White on the Vipps orange is too faint for text (about 3:1).
        assert!(contrast("#fff", "#ff5b24") < 4.5);
    }

    /// Every rule that styles a button (console buttons, link buttons,
    /// the app's category button) sets both its text and background
    /// colour, and they contrast at least 4.5:1 (WCAG 2 AA).
    #[test]
    fn every_button_has_aa_contrast() {
        let vars = variables();
        let mut checked = Vec::new();
        let sheet = css();
        for rule in sheet.split('}') {
            let Some((selector, body)) = rule.split_once('{') else {
                continue;
            };
            let selector = selector.trim();
            if !selector.contains("button") || selector.contains("::") {
                continue;
            }
            let decl = |name: &str| {
                body.split(';').find_map(|d| {
                    let (k, v) = d.split_once(':')?;
                    (k.trim() == name).then(|| v.split_whitespace().next().unwrap_or("").to_owned())
                })
            };
            let (fg, bg) = (
                decl("color"),
                decl("background").or_else(|| decl("background-color")),
            );
            match (fg, bg) {
                (None, None) => continue,
                (Some(fg), Some(bg)) => {
                    let (fg, bg) = (resolve(&fg, &vars), resolve(&bg, &vars));
                    let ratio = contrast(&fg, &bg);
                    assert!(ratio >= 4.5, "{selector}: {fg} on {bg} is {ratio:.2}:1");
                    checked.push(selector.to_owned());
                }
                (fg, bg) => panic!(
                    "{selector} sets only one of color ({fg:?}) and background ({bg:?}): set both"
                ),
            }
        }
        for expected in [
            "button, .button",
            "header.top button",
            ".app-button",
            ".app-button.mobilepay",
        ] {
            assert!(
                checked.iter().any(|s| s == expected),
                "{expected} not checked: {checked:?}"
            );
        }
    }

    #[test]
    fn the_apps_use_their_brand_colours() {
        let vars = variables();
        let var = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(var("vipps"), Some("#ff5b24"));
        assert_eq!(var("mobilepay"), Some("#5a78ff"));
        assert!(
            !css().contains("url("),
            "no images (logos) in the stylesheet"
        );
    }
}
