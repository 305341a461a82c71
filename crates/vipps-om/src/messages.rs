//! The library's messages in several languages: the customer message
//! ([`Error::customer_message_in`]) and the staff message
//! ([`Error::staff_message_in`]) of every [`Error`], in English (the
//! default), Norwegian bokmål, Danish, Finnish and Swedish.
//!
//! The texts are [Fluent](https://projectfluent.org) files a translator can
//! edit without Rust: `locales/<code>/vipps-om.ftl` in this crate, one per
//! language, built into the library (nothing is read at run time). Every
//! file has every message with the same placeables (a test checks it); a
//! message missing from a language falls back to English.
//!
//! [`Error::customer_message`] and the `Display` of [`Error`] stay as they
//! are (English); the English file says the same, word for word (a test
//! checks that too).
//!
//! ```
//! use vipps_om::{Error, Language};
//!
//! let e = Error::Timeout { endpoint: "PUT /v2/{paymentType}/receipts/{orderId}" };
//! assert_eq!(e.customer_message_in(Language::English), e.customer_message());
//! assert_eq!(
//!     e.customer_message_in(Language::NorwegianBokmal),
//!     "Ordredetaljene er ikke i appen ennå. De blir sendt på nytt om kort tid."
//! );
//! assert!(e.staff_message_in(Language::Finnish).contains("määräajassa"));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;

use crate::error::{AuthFailure, Error, detail_suffix, one_line, problem_suffix};

/// A language the library's messages are written in. English is the
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Language {
    /// English (`en`).
    #[default]
    English,
    /// Norwegian bokmål (`nb`).
    NorwegianBokmal,
    /// Danish (`da`).
    Danish,
    /// Finnish (`fi`).
    Finnish,
    /// Swedish (`sv`).
    Swedish,
}

impl Language {
    /// Every language, English first.
    pub const ALL: &'static [Language] = &[
        Language::English,
        Language::NorwegianBokmal,
        Language::Danish,
        Language::Finnish,
        Language::Swedish,
    ];

    /// The language's code (BCP 47): `en`, `nb`, `da`, `fi`, `sv`.
    pub const fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::NorwegianBokmal => "nb",
            Language::Danish => "da",
            Language::Finnish => "fi",
            Language::Swedish => "sv",
        }
    }

    /// The language of a code or language tag (`nb-NO`, `fi`, `sv_SE`);
    /// `no` and `nn` read as bokmål. `None` for other languages.
    pub fn from_code(code: &str) -> Option<Language> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("");
        let found = match primary.to_ascii_lowercase().as_str() {
            "en" => Language::English,
            "nb" | "no" | "nn" => Language::NorwegianBokmal,
            "da" => Language::Danish,
            "fi" => Language::Finnish,
            "sv" => Language::Swedish,
            _ => return None,
        };
        Some(found)
    }

    /// The `.ftl` file of this language.
    fn source(self) -> &'static str {
        match self {
            Language::English => include_str!("../locales/en/vipps-om.ftl"),
            Language::NorwegianBokmal => include_str!("../locales/nb/vipps-om.ftl"),
            Language::Danish => include_str!("../locales/da/vipps-om.ftl"),
            Language::Finnish => include_str!("../locales/fi/vipps-om.ftl"),
            Language::Swedish => include_str!("../locales/sv/vipps-om.ftl"),
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

/// One bundle per language, in [`Language::ALL`]'s order, made on first use.
static BUNDLES: LazyLock<Vec<(Language, Bundle)>> = LazyLock::new(|| {
    Language::ALL
        .iter()
        .map(|&lang| (lang, bundle(lang)))
        .collect()
});

fn bundle(lang: Language) -> Bundle {
    // The files are part of the build and checked by the tests; should one
    // still not parse, the messages that did are used (the others fall
    // back to English).
    let resource = FluentResource::try_new(lang.source().to_owned())
        .unwrap_or_else(|(partial, _errors)| partial);
    let id = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Plain text: no Unicode isolation marks around placeables.
    bundle.set_use_isolating(false);
    // A message defined twice keeps its first definition.
    let _ = bundle.add_resource(resource);
    bundle
}

/// The message `id` in `lang` with its placeables filled in from `args`
/// (English when `lang` lacks it; the id itself when English does too).
pub(crate) fn text(lang: Language, id: &str, args: &[(&str, String)]) -> String {
    let find = |lang: Language| {
        BUNDLES
            .iter()
            .find(|(l, _)| *l == lang)
            .and_then(|(_, b)| Some((b, b.get_message(id)?.value()?)))
    };
    let Some((bundle, pattern)) = find(lang).or_else(|| find(Language::English)) else {
        return id.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, FluentValue::from(value.as_str()));
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent_args), &mut errors)
        .into_owned()
}

/// The ids of the customer messages, in the order of [`customer_id`].
const CUSTOMER_IDS: [&str; 4] = [
    "customer-already-registered",
    "customer-not-found",
    "customer-retrying",
    "customer-failed",
];

/// The customer messages of every language, formatted once.
static CUSTOMER: LazyLock<Vec<(Language, [String; 4])>> = LazyLock::new(|| {
    Language::ALL
        .iter()
        .map(|&lang| (lang, CUSTOMER_IDS.map(|id| text(lang, id, &[]))))
        .collect()
});

/// Which customer message an error has (an index into [`CUSTOMER_IDS`]).
fn customer_id(e: &Error) -> usize {
    match e {
        Error::ReceiptAlreadyExists { .. } | Error::ImageAlreadyExists { .. } => 0,
        Error::NotFound { .. } => 1,
        e if e.is_retryable() => 2,
        _ => 3,
    }
}

impl Error {
    /// [`Error::customer_message`] in `lang`: a short message that can be
    /// shown to a customer (no internals, no blame, no advice meant for
    /// staff). In English it is exactly [`Error::customer_message`].
    pub fn customer_message_in(&self, lang: Language) -> &'static str {
        let index = customer_id(self);
        CUSTOMER
            .iter()
            .find(|(l, _)| *l == lang)
            .and_then(|(_, texts)| texts.get(index))
            .map(String::as_str)
            .unwrap_or_else(|| self.customer_message())
    }

    /// The staff message (what happened, what to do; one line) in `lang`.
    /// In English it is exactly this error's `Display`. What the API said
    /// (its problem details, ids, field names) stays in the API's words.
    pub fn staff_message_in(&self, lang: Language) -> String {
        let (id, args) = self.staff_message_parts();
        text(lang, id, &args)
    }

    /// The message id of the staff message and its placeables.
    fn staff_message_parts(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Error::Validation(report) => {
                let errors = report.errors().count();
                let warnings = report.problems().len().saturating_sub(errors);
                let mut args = vec![
                    ("errors", errors.to_string()),
                    ("warnings", warnings.to_string()),
                ];
                match report.errors().next() {
                    Some(first) => {
                        let path = if first.path.is_empty() {
                            "(document)"
                        } else {
                            first.path.as_str()
                        };
                        args.push(("path", one_line(path)));
                        args.push(("message", one_line(&first.message)));
                        ("staff-validation-first", args)
                    }
                    None => ("staff-validation", args),
                }
            }
            Error::ReceiptAlreadyExists {
                order_id,
                payment_type,
                ..
            } => (
                "staff-receipt-exists",
                vec![
                    ("payment_type", one_line(payment_type)),
                    ("order_id", one_line(order_id)),
                ],
            ),
            Error::ImageAlreadyExists { image_id, .. } => {
                ("staff-image-exists", vec![("image_id", one_line(image_id))])
            }
            Error::ImageNotUploaded { image_id, .. } => (
                "staff-image-not-uploaded",
                vec![("image_id", one_line(image_id))],
            ),
            Error::NotFound { what, problem, .. } => (
                "staff-not-found",
                vec![
                    ("what", one_line(what)),
                    ("api_says", problem_suffix(problem)),
                ],
            ),
            Error::BadRequest { problem } => (
                "staff-bad-request",
                vec![("api_says", problem_suffix(problem))],
            ),
            Error::Unauthorized { cause, detail } => {
                let id = match cause {
                    AuthFailure::SubscriptionKey => "staff-unauthorized-subscription-key",
                    AuthFailure::AccessToken => "staff-unauthorized-access-token",
                    AuthFailure::ClientCredentials => "staff-unauthorized-client-credentials",
                };
                (id, vec![("detail", detail_suffix(detail))])
            }
            Error::Forbidden { detail } => {
                ("staff-forbidden", vec![("detail", detail_suffix(detail))])
            }
            Error::PartnerNotLinked {
                merchant_serial_number,
                detail,
            } => (
                "staff-partner-not-linked",
                vec![
                    ("detail", detail_suffix(detail)),
                    ("msn", one_line(merchant_serial_number)),
                ],
            ),
            Error::RateLimited { retry_after } => match retry_after {
                Some(wait) => (
                    "staff-rate-limited-wait",
                    vec![("seconds", wait.as_secs().max(1).to_string())],
                ),
                None => ("staff-rate-limited", Vec::new()),
            },
            Error::Api { status, problem } => {
                let id = match status {
                    500..=599 => "staff-api-server",
                    409 => "staff-api-conflict",
                    _ => "staff-api",
                };
                (
                    id,
                    vec![
                        ("status", status.to_string()),
                        ("api_says", problem_suffix(problem)),
                    ],
                )
            }
            Error::Timeout { endpoint } => {
                ("staff-timeout", vec![("endpoint", (*endpoint).to_owned())])
            }
            Error::Transport { message, .. } => {
                ("staff-transport", vec![("message", one_line(message))])
            }
            Error::Decode {
                status,
                reason,
                snippet,
                ..
            } => (
                "staff-decode",
                vec![
                    ("status", status.to_string()),
                    ("reason", one_line(reason)),
                    ("snippet", format!("{snippet:?}")),
                ],
            ),
            Error::Encode { what, source } => (
                "staff-encode",
                vec![
                    ("what", (*what).to_owned()),
                    ("reason", one_line(&source.to_string())),
                ],
            ),
            Error::Config(message) => ("staff-config", vec![("message", one_line(message))]),
        }
    }
}

/// Every message of a Fluent (`.ftl`) source with the variables (`$name`)
/// its value and attributes use: what a translation must keep. Tests (and
/// a translator's tooling) compare two languages' files with it: the same
/// message ids, each with the same placeables.
///
/// # Errors
///
/// The source does not parse (the parser's first complaint), or a message
/// is defined twice (named).
pub fn ftl_placeables(source: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let resource = fluent_syntax::parser::parse(source).map_err(|(_, errors)| {
        errors
            .first()
            .map(|e| format!("the Fluent source does not parse: {e}"))
            .unwrap_or_else(|| "the Fluent source does not parse".to_owned())
    })?;
    let mut out = BTreeMap::new();
    for entry in resource.body {
        if let ast::Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            if let Some(p) = &m.value {
                pattern_vars(p, &mut vars);
            }
            for a in &m.attributes {
                pattern_vars(&a.value, &mut vars);
            }
            if out.insert(m.id.name.to_owned(), vars).is_some() {
                return Err(format!("the message {} is defined twice", m.id.name));
            }
        }
    }
    Ok(out)
}

fn pattern_vars(p: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
    for element in &p.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
        ast::Expression::Inline(i) => inline_vars(i, vars),
    }
}

fn inline_vars(i: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        ast::InlineExpression::FunctionReference { arguments, .. }
        | ast::InlineExpression::TermReference {
            arguments: Some(arguments),
            ..
        } => {
            for a in &arguments.positional {
                inline_vars(a, vars);
            }
            for a in &arguments.named {
                inline_vars(&a.value, vars);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::models::ProblemDetails;
    use crate::validate::ValidationReport;

    fn messages(name: &str, source: &str) -> BTreeMap<String, BTreeSet<String>> {
        ftl_placeables(source).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn ftl_placeables_names_variables_duplicates_and_syntax_errors() {
        let found = ftl_placeables("a = { $x } and { $y }\nb = plain\n").unwrap();
        assert_eq!(found["a"], BTreeSet::from(["x".to_owned(), "y".to_owned()]));
        assert!(found["b"].is_empty());
        let twice = ftl_placeables("a = one\na = two\n").unwrap_err();
        assert!(twice.contains("a is defined twice"), "{twice}");
        let broken = ftl_placeables("a = { $x\n").unwrap_err();
        assert!(
            broken.starts_with("the Fluent source does not parse"),
            "{broken}"
        );
    }

    #[test]
    fn every_language_has_every_message_with_the_same_placeables() {
        let english = messages("en", Language::English.source());
        assert!(english.len() >= 25, "{english:?}");
        for &lang in &Language::ALL[1..] {
            let other = messages(lang.code(), lang.source());
            assert_eq!(
                other.keys().collect::<Vec<_>>(),
                english.keys().collect::<Vec<_>>(),
                "{}: the same messages as English",
                lang.code()
            );
            for (id, vars) in &english {
                assert_eq!(&other[id], vars, "{}: {id}'s placeables", lang.code());
            }
        }
    }

    fn problem() -> Option<Box<ProblemDetails>> {
        serde_json::from_value(serde_json::json!({"title": "Bad things", "detail": "x\ny"}))
            .ok()
            .map(Box::new)
    }

    /// One error of every variant (and every branch of its message).
    fn every_error() -> Vec<Error> {
        let mut report = ValidationReport::new();
        report.error("orderLines[0].name", "is empty");
        report.warning("tip", "is large");
        let mut warnings_only = ValidationReport::new();
        warnings_only.warning("tip", "is large");
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        vec![
            Error::Validation(report),
            Error::Validation(warnings_only),
            Error::ReceiptAlreadyExists {
                order_id: "o-1".into(),
                payment_type: "ECOM".into(),
                problem: None,
            },
            Error::ImageAlreadyExists {
                image_id: "img".into(),
                problem: None,
            },
            Error::ImageNotUploaded {
                image_id: "img".into(),
                problem: problem(),
            },
            Error::NotFound {
                what: "ECOM order o-1".into(),
                order: Some(("ECOM".into(), "o-1".into())),
                problem: problem(),
            },
            Error::NotFound {
                what: "image img".into(),
                order: None,
                problem: None,
            },
            Error::BadRequest { problem: problem() },
            Error::BadRequest { problem: None },
            Error::Unauthorized {
                cause: AuthFailure::SubscriptionKey,
                detail: "Access denied".into(),
            },
            Error::Unauthorized {
                cause: AuthFailure::AccessToken,
                detail: String::new(),
            },
            Error::Unauthorized {
                cause: AuthFailure::ClientCredentials,
                detail: String::new(),
            },
            Error::Forbidden {
                detail: "no".into(),
            },
            Error::PartnerNotLinked {
                merchant_serial_number: "123456".into(),
                detail: String::new(),
            },
            Error::RateLimited {
                retry_after: Some(Duration::from_secs(3)),
            },
            Error::RateLimited { retry_after: None },
            Error::Api {
                status: 503,
                problem: None,
            },
            Error::Api {
                status: 409,
                problem: problem(),
            },
            Error::Api {
                status: 418,
                problem: None,
            },
            Error::Timeout {
                endpoint: "POST /v1/images",
            },
            Error::Transport {
                message: "connection refused".into(),
                source: None,
            },
            Error::Decode {
                status: 200,
                reason: "missing field `x`".into(),
                snippet: "{\"a\"".into(),
                source: None,
            },
            Error::Encode {
                what: "receipt",
                source: Arc::new(json),
            },
            Error::Config("base URL: not a URL".into()),
        ]
    }

    #[test]
    fn english_is_the_display_and_the_customer_message_word_for_word() {
        for e in every_error() {
            assert_eq!(e.staff_message_in(Language::English), e.to_string());
            assert_eq!(e.staff_message_in(Language::default()), e.to_string());
            assert_eq!(
                e.customer_message_in(Language::English),
                e.customer_message()
            );
        }
    }

    #[test]
    fn every_language_says_every_error_in_its_own_words() {
        for e in every_error() {
            let english = e.to_string();
            for &lang in &Language::ALL[1..] {
                let staff = e.staff_message_in(lang);
                assert_ne!(staff, english, "{}: {e:?}", lang.code());
                assert!(!staff.contains('{') || english.contains('{'), "{staff}");
                assert!(!staff.contains('\n'), "one line: {staff}");
                assert_ne!(
                    e.customer_message_in(lang),
                    e.customer_message(),
                    "{}",
                    lang.code()
                );
            }
        }
        // The ids and the API's words are kept, whatever the language.
        let e = Error::ImageNotUploaded {
            image_id: "cat-42".into(),
            problem: None,
        };
        assert!(e.staff_message_in(Language::Danish).contains("cat-42"));
        let e = Error::BadRequest { problem: problem() };
        assert!(e.staff_message_in(Language::Swedish).contains("Bad things"));
        assert_eq!(
            Error::Config("x".into()).customer_message_in(Language::Finnish),
            "Tilaustietoja ei voitu lisätä sovellukseen. Henkilökuntamme on saanut tiedon asiasta."
        );
    }

    #[test]
    fn language_codes_round_trip() {
        for &lang in Language::ALL {
            assert_eq!(Language::from_code(lang.code()), Some(lang));
        }
        assert_eq!(
            Language::from_code("nn-NO"),
            Some(Language::NorwegianBokmal)
        );
        assert_eq!(Language::from_code("sv_SE"), Some(Language::Swedish));
        assert_eq!(Language::from_code("de"), None);
        assert_eq!(Language::default(), Language::English);
    }
}
