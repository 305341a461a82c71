//! The simulator's request checking, its own code, written from the
//! official spec (`order-management-openapi.yaml`, v2.1) and the documented
//! behaviours, not from the client library: a rule the two disagree on is
//! found by the tests that run the client against the simulator. The
//! client's *models* are used only after a body passed these checks, to
//! store it and to answer ([`crate::api`]).
//!
//! - [`schema`]: the spec's request schemas as data (one table per
//!   component, in the spec's field order) and the walker that checks raw
//!   JSON against them: required fields, types, enums, patterns, lengths,
//!   minimums and maximums. Production refuses these (ASP.NET model
//!   validation), so they are refused in every mode.
//! - [`image`]: what the spec says of an image's bytes (base64, PNG or
//!   JPEG, at least 167 px high, at most 2 MB).
//! - [`strict`]: what the docs do not say production refuses but the
//!   client library does, and the ambiguous cases: line arithmetic, tax
//!   matching the rate, empty names, both tax fields, relative or `http`
//!   links, barcode data, sums beyond `int64`, `Vipps-System-*` over 30
//!   characters, `GET /v3/categories` without `orderId`. Each is a
//!   [`Rule`] with its own problem `type` URN.
//!
//! In the default [`Mode`] a [`Rule`] finding is accepted and the request
//! log entry carries it as a warning ("production may refuse this: …"); in
//! [`Mode::Strict`] it is refused like a schema problem, and the 400 says
//! which rule in the `type` of the entry (and of the whole answer when
//! only such rules failed).
//!
//! Reasons are sentences in the style of ASP.NET's validation (the API's
//! framework): "The orderLines field is required.", "The field taxRate
//! must be between 0 and 10000.". Names are JSON paths
//! (`orderLines[1].unitInfo.quantity`), headers and parameters by their
//! own name, `$` for the body as a whole.

pub(crate) mod image;
pub(crate) mod schema;
pub(crate) mod strict;

use axum::http::{HeaderMap, HeaderName};

/// How strict the simulator is with one merchant's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Refuse what production is documented to refuse; accept the rest,
    /// with warnings in the request log.
    #[default]
    Default,
    /// Also refuse what the client library refuses and what the docs leave
    /// ambiguous.
    Strict,
}

/// A rule production is not documented to enforce (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// `totalAmount = totalAmountExcludingTax + totalTaxAmount`.
    LineArithmetic,
    /// `totalTaxAmount` matches the rate within rounding.
    TaxMatchesRate,
    /// A line with amounts has `taxRate` or `taxPercentage`.
    TaxRateMissing,
    /// Not both `taxRate` and `taxPercentage`.
    BothTaxFields,
    /// Line `name` and `id` are not empty or blank.
    EmptyText,
    /// `productUrl` is an absolute URL.
    AbsoluteUrl,
    /// Links use `https` (the docs never say; ePayment's do).
    HttpsLink,
    /// Barcode data fits its format and is not empty.
    BarcodeData,
    /// EAN-13 data is 13 digits with a valid check digit.
    Ean13CheckDigit,
    /// An image of at most 2,000,000 bytes ("2MB" read as decimal).
    ImageDecimalMegabytes,
    /// `Vipps-System-*` headers of at most 30 characters (the knowledge
    /// base; the spec says 100).
    SystemHeaderLength,
    /// `GET /v3/categories` with a valid `orderId`.
    CategoriesOrderId,
    /// Payment sources are not negative.
    NegativePaymentSource,
    /// Every sum a receipt is shown with fits in `int64` minor units.
    SumTooLarge,
}

impl Rule {
    /// The problem `type` of this rule: a URN saying that production may
    /// accept what the simulator's strict mode refused.
    pub(crate) fn urn(self) -> &'static str {
        match self {
            Rule::LineArithmetic => "urn:vipps-om-sim:strict:line-arithmetic",
            Rule::TaxMatchesRate => "urn:vipps-om-sim:strict:tax-matches-rate",
            Rule::TaxRateMissing => "urn:vipps-om-sim:strict:tax-rate-missing",
            Rule::BothTaxFields => "urn:vipps-om-sim:strict:both-tax-fields",
            Rule::EmptyText => "urn:vipps-om-sim:strict:empty-text",
            Rule::AbsoluteUrl => "urn:vipps-om-sim:strict:absolute-url",
            Rule::HttpsLink => "urn:vipps-om-sim:strict:https-link",
            Rule::BarcodeData => "urn:vipps-om-sim:strict:barcode-data",
            Rule::Ean13CheckDigit => "urn:vipps-om-sim:strict:ean13-check-digit",
            Rule::ImageDecimalMegabytes => "urn:vipps-om-sim:strict:image-2000000-bytes",
            Rule::SystemHeaderLength => "urn:vipps-om-sim:strict:system-header-30",
            Rule::CategoriesOrderId => "urn:vipps-om-sim:strict:categories-order-id",
            Rule::NegativePaymentSource => "urn:vipps-om-sim:strict:negative-payment-source",
            Rule::SumTooLarge => "urn:vipps-om-sim:strict:sum-too-large",
        }
    }
}

/// The `type` of a 400 whose every problem is a strict-mode [`Rule`].
pub(crate) const STRICT_TYPE: &str = "urn:vipps-om-sim:strict";

/// Most warnings kept for one request; beyond it one last warning says
/// how many more there were (a receipt of thousands of lines would
/// otherwise fill the request log).
pub(crate) const MAX_WARNINGS: usize = 100;

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// JSON path, header or parameter name; `$` for the whole body.
    pub(crate) name: String,
    /// An ASP.NET-style sentence.
    pub(crate) reason: String,
    /// `Some` when only strict mode refuses it.
    pub(crate) rule: Option<Rule>,
}

/// What the checks found in one request.
#[derive(Debug)]
pub(crate) struct Findings {
    mode: Mode,
    problems: Vec<Problem>,
    warnings: Vec<String>,
    /// Warnings beyond [`MAX_WARNINGS`].
    more_warnings: usize,
}

impl Findings {
    pub(crate) fn new(mode: Mode) -> Findings {
        Findings {
            mode,
            problems: Vec::new(),
            warnings: Vec::new(),
            more_warnings: 0,
        }
    }

    /// A problem production refuses (every mode).
    pub(crate) fn refuse(&mut self, name: impl Into<String>, reason: impl Into<String>) {
        self.push(name.into(), reason.into(), None);
    }

    /// A problem only strict mode refuses; a warning otherwise.
    pub(crate) fn doubt(&mut self, rule: Rule, name: impl Into<String>, reason: impl Into<String>) {
        let (name, reason) = (name.into(), reason.into());
        match self.mode {
            Mode::Strict => self.push(name, reason, Some(rule)),
            Mode::Default => {
                let warning = format!("production may refuse this: {name}: {reason}");
                if self.warnings.len() >= MAX_WARNINGS {
                    self.more_warnings = self.more_warnings.saturating_add(1);
                } else if !self.warnings.contains(&warning) {
                    self.warnings.push(warning);
                }
            }
        }
    }

    fn push(&mut self, name: String, reason: String, rule: Option<Rule>) {
        if !self
            .problems
            .iter()
            .any(|p| p.name == name && p.reason == reason)
        {
            self.problems.push(Problem { name, reason, rule });
        }
    }

    /// Whether a problem was found under `name` (or inside it).
    pub(crate) fn names(&self, name: &str) -> bool {
        self.problems.iter().any(|p| {
            p.name == name
                || p.name
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        })
    }

    pub(crate) fn is_refused(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The problems, leaving none behind.
    pub(crate) fn take_problems(&mut self) -> Vec<Problem> {
        std::mem::take(&mut self.problems)
    }

    /// The warnings, leaving none behind.
    pub(crate) fn take_warnings(&mut self) -> Vec<String> {
        let mut warnings = std::mem::take(&mut self.warnings);
        if self.more_warnings > 0 {
            warnings.push(format!(
                "production may refuse this: {} more warnings like these (only the first {MAX_WARNINGS} are kept)",
                self.more_warnings
            ));
            self.more_warnings = 0;
        }
        warnings
    }
}

/// The optional headers the spec caps at 100 characters.
pub(crate) const SYSTEM_HEADERS: [&str; 4] = [
    "Vipps-System-Name",
    "Vipps-System-Version",
    "Vipps-System-Plugin-Name",
    "Vipps-System-Plugin-Version",
];
/// The spec's `maxLength` for each `Vipps-System-*` header (refused beyond).
pub(crate) const SYSTEM_HEADER_MAX: usize = 100;
/// The knowledge base's cap for each `Vipps-System-*` header (a warning
/// beyond it, refused in strict mode).
pub(crate) const SYSTEM_HEADER_KB_MAX: usize = 30;

/// [`SYSTEM_HEADERS`] parsed once, in the same order (a lookup by `&str`
/// parses the name on every request).
const SYSTEM_HEADER_NAMES: [HeaderName; 4] = [
    HeaderName::from_static("vipps-system-name"),
    HeaderName::from_static("vipps-system-version"),
    HeaderName::from_static("vipps-system-plugin-name"),
    HeaderName::from_static("vipps-system-plugin-version"),
];

/// The `Vipps-System-*` headers of an API call.
pub(crate) fn system_headers(headers: &HeaderMap, findings: &mut Findings) {
    for (name, parsed) in SYSTEM_HEADERS.into_iter().zip(SYSTEM_HEADER_NAMES) {
        let Some(value) = headers.get(parsed) else {
            continue;
        };
        let length = String::from_utf8_lossy(value.as_bytes()).chars().count();
        if length > SYSTEM_HEADER_MAX {
            findings.refuse(
                name,
                format!(
                    "The field {name} must be a string with a maximum length of {SYSTEM_HEADER_MAX}."
                ),
            );
        } else if length > SYSTEM_HEADER_KB_MAX {
            findings.doubt(
                Rule::SystemHeaderLength,
                name,
                format!(
                    "The field {name} must be a string with a maximum length of {SYSTEM_HEADER_KB_MAX} (the knowledge base's limit; the spec allows {SYSTEM_HEADER_MAX}); it has {length} characters."
                ),
            );
        }
    }
}

/// The last segment of a JSON path, for sentences: `orderLines[0].name` →
/// `name`.
pub(crate) fn leaf(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubts_are_warnings_by_default_and_problems_when_strict() {
        let mut default = Findings::new(Mode::Default);
        default.doubt(Rule::EmptyText, "orderLines[0].name", "x");
        default.doubt(Rule::EmptyText, "orderLines[0].name", "x");
        assert!(!default.is_refused());
        assert_eq!(
            default.take_warnings(),
            vec!["production may refuse this: orderLines[0].name: x"]
        );
        let mut strict = Findings::new(Mode::Strict);
        strict.doubt(Rule::EmptyText, "orderLines[0].name", "x");
        strict.refuse("bottomLine", "y");
        assert!(strict.names("orderLines[0]"));
        assert!(strict.names("orderLines"));
        assert!(!strict.names("orderLine"));
        assert!(!strict.names("orderLines[1]"));
        assert!(strict.names("orderLines[0].name"));
        let problems = strict.take_problems();
        assert_eq!(problems[0].rule, Some(Rule::EmptyText));
        assert_eq!(problems[1].rule, None);
    }

    #[test]
    fn system_header_names_are_the_system_headers() {
        for (name, parsed) in SYSTEM_HEADERS.into_iter().zip(SYSTEM_HEADER_NAMES) {
            assert_eq!(parsed.as_str(), name.to_ascii_lowercase());
        }
    }

    #[test]
    fn every_rule_has_its_own_urn() {
        let rules = [
            Rule::LineArithmetic,
            Rule::TaxMatchesRate,
            Rule::TaxRateMissing,
            Rule::BothTaxFields,
            Rule::EmptyText,
            Rule::AbsoluteUrl,
            Rule::HttpsLink,
            Rule::BarcodeData,
            Rule::Ean13CheckDigit,
            Rule::ImageDecimalMegabytes,
            Rule::SystemHeaderLength,
            Rule::CategoriesOrderId,
            Rule::NegativePaymentSource,
            Rule::SumTooLarge,
        ];
        let mut urns: Vec<&str> = rules.iter().map(|r| r.urn()).collect();
        assert!(urns.iter().all(|u| u.starts_with(STRICT_TYPE)));
        urns.sort_unstable();
        urns.dedup();
        assert_eq!(urns.len(), rules.len());
    }
}
