//! The shape of a receipt, checked field by field on the parsed JSON
//! value, so that every misplaced, missing or wrongly written field is
//! reported at once (serde stops at the first), each in words a person
//! uses ("totalAmount must be a whole number of øre/cents: 298.0 → 29800").
//!
//! The walk also *repairs* a copy of the document where it can guess what
//! was meant (298.0 → 29800, `"2"` → 2, `2` → `"2"`), so that the
//! [`crate::validate::Validate`] rules run on the rest of the receipt in
//! the same pass. Fields it cannot repair are filled with stand-ins and
//! remembered, so that rule problems caused by the stand-ins are not shown.

use serde_json::{Map, Number, Value};

use crate::enums::{BarcodeFormat, Currency, QuantityUnit};
use crate::validate::ValidationReport;

/// What a field holds.
#[derive(Clone, Copy)]
enum Kind {
    /// Text (`"..."`).
    Text,
    /// One of a few words, e.g. a currency; the value lists them.
    Choice(fn() -> String),
    /// An amount: a whole number of minor units (øre, cents).
    Amount,
    /// `taxRate`: a whole number of hundredths of a percent.
    Rate,
    /// The deprecated `taxPercentage`: a whole number of percent.
    Percent,
    /// `true` or `false`.
    Bool,
    /// A nested object.
    Object(&'static Schema),
}

/// One field of an object.
struct Field {
    name: &'static str,
    kind: Kind,
    /// `Some(what to add)` when the field is required.
    required: Option<&'static str>,
}

/// The fields of one kind of object, and what to call it in messages.
struct Schema {
    what: &'static str,
    fields: &'static [Field],
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: None,
    }
}

const fn req(name: &'static str, kind: Kind, add: &'static str) -> Field {
    Field {
        name,
        kind,
        required: Some(add),
    }
}

static UNIT_INFO: Schema = Schema {
    what: "unitInfo",
    fields: &[
        opt("unitPrice", Kind::Amount),
        req(
            "quantity",
            Kind::Text,
            "the quantity as text, e.g. \"2\" or \"0.822\"",
        ),
        opt("quantityUnit", Kind::Choice(QuantityUnit::expected)),
    ],
};

static ORDER_LINE: Schema = Schema {
    what: "an order line",
    fields: &[
        req("name", Kind::Text, "the product name customers see"),
        req("id", Kind::Text, "the shop's product or line id"),
        req(
            "totalAmount",
            Kind::Amount,
            "the line's total with tax, in øre/cents",
        ),
        req(
            "totalAmountExcludingTax",
            Kind::Amount,
            "the line's total without tax, in øre/cents",
        ),
        req(
            "totalTaxAmount",
            Kind::Amount,
            "the line's tax, in øre/cents",
        ),
        opt("taxRate", Kind::Rate),
        opt("taxPercentage", Kind::Percent),
        opt("unitInfo", Kind::Object(&UNIT_INFO)),
        opt("discount", Kind::Amount),
        opt("productUrl", Kind::Text),
        opt("isReturn", Kind::Bool),
        opt("isShipping", Kind::Bool),
    ],
};

static SHIPPING_INFO: Schema = Schema {
    what: "shippingInfo",
    fields: &[
        opt("amount", Kind::Amount),
        opt("amountExcludingTax", Kind::Amount),
        opt("taxAmount", Kind::Amount),
        opt("taxPercentage", Kind::Percent),
    ],
};

static PAYMENT_SOURCES: Schema = Schema {
    what: "paymentSources",
    fields: &[
        opt("giftCard", Kind::Amount),
        opt("card", Kind::Amount),
        opt("voucher", Kind::Amount),
        opt("cash", Kind::Amount),
    ],
};

static BARCODE: Schema = Schema {
    what: "barcode",
    fields: &[
        req(
            "format",
            Kind::Choice(BarcodeFormat::expected),
            "the format: \"EAN-13\", \"CODE 39\" or \"CODE 128\"",
        ),
        opt("data", Kind::Text),
    ],
};

static BOTTOM_LINE: Schema = Schema {
    what: "bottomLine",
    fields: &[
        req(
            "currency",
            Kind::Choice(Currency::expected),
            "the currency: \"NOK\", \"DKK\" or \"EUR\"",
        ),
        opt("tipAmount", Kind::Amount),
        opt("giftCardAmount", Kind::Amount),
        opt("posId", Kind::Text),
        opt("totalAmount", Kind::Amount),
        opt("totalTax", Kind::Amount),
        opt("totalDiscount", Kind::Amount),
        opt("shippingAmount", Kind::Amount),
        opt("shippingInfo", Kind::Object(&SHIPPING_INFO)),
        opt("paymentSources", Kind::Object(&PAYMENT_SOURCES)),
        opt("barcode", Kind::Object(&BARCODE)),
        opt("receiptNumber", Kind::Text),
        opt("terminalId", Kind::Text),
    ],
};

/// The amount fields of an order line whose value the line's arithmetic
/// rules (total = excl + tax, tax = rate × excl, price × quantity) use.
const LINE_ARITHMETIC_INPUTS: &[&str] = &[
    "totalAmount",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "taxRate",
    "taxPercentage",
    "discount",
    "unitInfo",
    "unitInfo.unitPrice",
    "unitInfo.quantity",
];

/// The rules of an order line that compare its amounts.
const LINE_ARITHMETIC_RULES: &[&str] = &[
    "totalAmount",
    "totalTaxAmount",
    "taxRate",
    "unitInfo.unitPrice",
];

/// The outcome of the walk.
pub(crate) struct Shape {
    /// Every shape problem (errors) and unknown field (warnings).
    pub(crate) report: ValidationReport,
    /// The document to run the rules on: the original when nothing needed
    /// repair, else the repaired copy.
    pub(crate) repaired: Option<Value>,
    /// Paths whose value is a stand-in: rule problems at or below them,
    /// and those that depend on them, are not shown.
    unknown: Vec<String>,
    /// Whether some line's amounts are unknown, so totals are too.
    totals_unknown: bool,
}

impl Shape {
    /// Whether a rule problem at `path` is worth showing: it is not about
    /// a stand-in value nor computed from one.
    pub(crate) fn keeps(&self, path: &str) -> bool {
        if self.unknown.iter().any(|u| covers(u, path)) {
            return false;
        }
        if self.totals_unknown && (path == "orderLines" || path == "bottomLine.paymentSources") {
            return false;
        }
        // A line with an unknown amount: its arithmetic rules are moot.
        for unknown in &self.unknown {
            let Some(line) = line_prefix(unknown) else {
                continue;
            };
            let field = &unknown[line.len() + 1..];
            if LINE_ARITHMETIC_INPUTS.contains(&field)
                && path
                    .strip_prefix(line)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|rule| LINE_ARITHMETIC_RULES.contains(&rule))
            {
                return false;
            }
        }
        true
    }
}

/// Whether `path` is `prefix` or inside it.
fn covers(prefix: &str, path: &str) -> bool {
    prefix.is_empty()
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// `orderLines[3]` of `orderLines[3].unitInfo.quantity`.
fn line_prefix(path: &str) -> Option<&str> {
    if !path.starts_with("orderLines[") {
        return None;
    }
    let end = path.find(']')?;
    let line = &path[..=end];
    (path.len() > line.len()).then_some(line)
}

/// Walks a receipt document.
pub(crate) fn receipt(value: &Value) -> Shape {
    let mut walk = Walk::default();
    let mut copy = value.clone();
    match &mut copy {
        Value::Object(object) => walk.receipt(object),
        other => {
            walk.report.error(
                "",
                format!(
                    "the receipt must be a JSON object ({{...}}) with \"orderLines\" and \"bottomLine\", not {}",
                    describe(other)
                ),
            );
            walk.unknown.push(String::new());
            walk.changed = true;
        }
    }
    let totals_unknown = walk.unknown.iter().any(|u| {
        u == "orderLines"
            || line_prefix(u)
                .is_some_and(|line| LINE_ARITHMETIC_INPUTS.contains(&&u[line.len() + 1..]))
            || u.starts_with("orderLines[") && !u.contains('.')
    });
    Shape {
        report: walk.report,
        repaired: walk.changed.then_some(copy),
        unknown: walk.unknown,
        totals_unknown,
    }
}

#[derive(Default)]
struct Walk {
    report: ValidationReport,
    unknown: Vec<String>,
    changed: bool,
}

impl Walk {
    fn receipt(&mut self, object: &mut Map<String, Value>) {
        match object.get_mut("orderLines") {
            None | Some(Value::Null) => {
                self.report.error(
                    "orderLines",
                    "orderLines is missing; add the list of order lines ([{...}, ...])",
                );
                self.stand_in(object, "orderLines", Value::Array(Vec::new()), "orderLines");
            }
            Some(Value::Array(lines)) => {
                for (i, line) in lines.iter_mut().enumerate() {
                    let path = format!("orderLines[{i}]");
                    match line {
                        Value::Object(fields) => self.object(fields, &ORDER_LINE, &path),
                        other => {
                            self.report.error(
                                path.clone(),
                                format!(
                                    "each order line must be an object ({{\"name\": ..., \"id\": ..., \"totalAmount\": ...}}), not {}",
                                    describe(other)
                                ),
                            );
                            *other = placeholder_line();
                            self.unknown.push(path);
                            self.changed = true;
                        }
                    }
                }
            }
            Some(other) => {
                self.report.error(
                    "orderLines",
                    format!(
                        "orderLines must be a list ([...]) of order lines, not {}",
                        describe(other)
                    ),
                );
                *other = Value::Array(Vec::new());
                self.unknown.push("orderLines".into());
                self.changed = true;
            }
        }
        match object.get_mut("bottomLine") {
            None | Some(Value::Null) => {
                self.report.error(
                    "bottomLine",
                    "bottomLine is missing; add at least {\"currency\": \"NOK\"}",
                );
                self.stand_in(
                    object,
                    "bottomLine",
                    placeholder_bottom_line(),
                    "bottomLine",
                );
            }
            Some(Value::Object(fields)) => self.object(fields, &BOTTOM_LINE, "bottomLine"),
            Some(other) => {
                self.report.error(
                    "bottomLine",
                    format!(
                        "bottomLine must be an object ({{\"currency\": \"NOK\", ...}}), not {}",
                        describe(other)
                    ),
                );
                *other = placeholder_bottom_line();
                self.unknown.push("bottomLine".into());
                self.changed = true;
            }
        }
        self.unknown_fields(object, &["orderLines", "bottomLine"], "", "the receipt");
    }

    /// Puts a stand-in for a field that cannot be read.
    fn stand_in(&mut self, object: &mut Map<String, Value>, name: &str, value: Value, path: &str) {
        object.insert(name.to_owned(), value);
        self.unknown.push(path.to_owned());
        self.changed = true;
    }

    fn object(&mut self, object: &mut Map<String, Value>, schema: &Schema, path: &str) {
        for field in schema.fields {
            let field_path = join(path, field.name);
            match object.get_mut(field.name) {
                None | Some(Value::Null) => {
                    if let Some(add) = field.required {
                        let how = if object.contains_key(field.name) {
                            "is null"
                        } else {
                            "is missing"
                        };
                        self.report.error(
                            field_path.clone(),
                            format!("{} {how}; add {add}", field.name),
                        );
                        let stand_in = match field.kind {
                            Kind::Text | Kind::Choice(_) => {
                                Value::String(stand_in_text(field.name).into())
                            }
                            _ => Value::from(0),
                        };
                        self.stand_in(object, field.name, stand_in, &field_path);
                    }
                }
                Some(value) => {
                    if let Kind::Object(inner) = field.kind {
                        if let Value::Object(fields) = value {
                            self.object(fields, inner, &field_path);
                        } else {
                            self.report.error(
                                field_path.clone(),
                                format!(
                                    "{} must be an object ({{...}}), not {}",
                                    field.name,
                                    describe(value)
                                ),
                            );
                            object.remove(field.name);
                            self.unknown.push(field_path);
                            self.changed = true;
                        }
                        continue;
                    }
                    match check(value, field.kind, field.name) {
                        Check::Fine => {}
                        Check::Repaired(message, repaired) => {
                            self.report.error(field_path, message);
                            *value = repaired;
                            self.changed = true;
                        }
                        Check::Unreadable(message) => {
                            self.report.error(field_path.clone(), message);
                            match field.required {
                                Some(_) => {
                                    *value = match field.kind {
                                        Kind::Text | Kind::Choice(_) => {
                                            Value::String(stand_in_text(field.name).into())
                                        }
                                        _ => Value::from(0),
                                    }
                                }
                                None => {
                                    object.remove(field.name);
                                }
                            }
                            self.unknown.push(field_path);
                            self.changed = true;
                        }
                    }
                }
            }
        }
        let known: Vec<&str> = schema.fields.iter().map(|f| f.name).collect();
        self.unknown_fields(object, &known, path, schema.what);
    }

    /// Warns about fields the API does not know: they are dropped when the
    /// receipt is sent, which is rarely what was meant.
    fn unknown_fields(
        &mut self,
        object: &Map<String, Value>,
        known: &[&str],
        path: &str,
        what: &str,
    ) {
        for name in object.keys().filter(|k| !known.contains(&k.as_str())) {
            let simplified = simplify(name);
            let close = known
                .iter()
                .find(|k| simplify(k) == simplified)
                .copied()
                .or_else(|| meant_elsewhere(what, &simplified));
            let message = match close {
                Some(meant) => format!(
                    "{name} is not a field of {what} and is left out when sending; did you mean {meant}?"
                ),
                None => format!(
                    "{name} is not a field of {what} and is left out when sending; the fields are {}",
                    known.join(", ")
                ),
            };
            self.report.warning(join(path, name), message);
        }
    }
}

/// Where a field people often put in the wrong place (or name after
/// another system) belongs, for "did you mean".
fn meant_elsewhere(what: &str, simplified: &str) -> Option<&'static str> {
    let line = what == ORDER_LINE.what;
    match simplified {
        "price" | "unitprice" | "priceperunit" if line => Some("unitInfo.unitPrice"),
        "quantity" | "qty" | "count" if line => Some("unitInfo.quantity"),
        "vat" | "vatrate" | "tax" | "mva" | "moms" if line => Some("taxRate (2500 = 25 %)"),
        "amount" | "total" | "sum" if line => Some("totalAmount"),
        "currency" if what == "the receipt" => Some("bottomLine.currency"),
        "lines" | "items" | "orderlines" if what == "the receipt" => Some("orderLines"),
        _ => None,
    }
}

/// A field name without case, `_` and `-`, to spot `total_amount`.
fn simplify(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// A text stand-in that passes the rules of its field (the problem was
/// reported already).
fn stand_in_text(name: &str) -> &'static str {
    match name {
        "currency" => "NOK",
        "quantity" => "1",
        "format" => "CODE 128",
        _ => "",
    }
}

fn placeholder_line() -> Value {
    serde_json::json!({
        "name": "", "id": "", "totalAmount": 0, "totalAmountExcludingTax": 0,
        "totalTaxAmount": 0, "taxRate": 0,
    })
}

fn placeholder_bottom_line() -> Value {
    serde_json::json!({"currency": "NOK"})
}

/// What a value is, as a person would say it.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("text ({})", quoted(s)),
        Value::Array(_) => "a list ([...])".into(),
        Value::Object(_) => "an object ({...})".into(),
    }
}

/// The most characters of a wrongly placed text quoted back in a
/// message; a longer text is cut there and ends in `…`, so one bad field
/// cannot flood the report.
const QUOTED_CHARS: usize = 40;

/// `s` in quotes, cut after [`QUOTED_CHARS`] characters.
fn quoted(s: &str) -> String {
    const SHOWN: usize = QUOTED_CHARS;
    let mut shown: String = s.chars().take(SHOWN).collect();
    if s.chars().count() > SHOWN {
        shown.push('…');
    }
    format!("{shown:?}")
}

enum Check {
    Fine,
    /// Wrong, but what was meant is clear: the message and the value.
    Repaired(String, Value),
    /// Wrong, and no guess.
    Unreadable(String),
}

fn check(value: &Value, kind: Kind, name: &str) -> Check {
    match kind {
        Kind::Text => match value {
            Value::String(_) => Check::Fine,
            Value::Number(n) => Check::Repaired(
                format!("{name} must be text, not a number: write \"{n}\" (in quotes)"),
                Value::String(n.to_string()),
            ),
            other => Check::Unreadable(format!(
                "{name} must be text (\"...\"), not {}",
                describe(other)
            )),
        },
        Kind::Choice(values) => match value {
            Value::String(_) => Check::Fine,
            other => Check::Unreadable(format!(
                "{name} must be one of {}, not {}",
                values(),
                describe(other)
            )),
        },
        Kind::Bool => match value {
            Value::Bool(_) => Check::Fine,
            Value::String(s) if s == "true" || s == "false" => Check::Repaired(
                format!("{name} must be true or false without quotes, not text ({s:?})"),
                Value::Bool(s == "true"),
            ),
            other => Check::Unreadable(format!(
                "{name} must be true or false, not {}",
                describe(other)
            )),
        },
        Kind::Amount => whole(
            value,
            name,
            100,
            "a whole number of øre/cents",
            "e.g. 1000 for 10.00",
        ),
        Kind::Rate => rate(value, name),
        Kind::Percent => whole(
            value,
            name,
            1,
            "a whole number of percent",
            "better: send taxRate, 2500 for 25 %",
        ),
        Kind::Object(_) => Check::Fine,
    }
}

/// An integer field. Decimals are taken as written in major units (for
/// amounts: 298.0 kr → 29800 øre) and scaled by `scale`.
fn whole(value: &Value, name: &str, scale: i64, unit: &str, example: &str) -> Check {
    match value {
        Value::Number(n) if n.is_i64() => Check::Fine,
        Value::Number(n) if n.is_u64() => Check::Unreadable(format!(
            "{name} is {n}, too large for {unit}; check the number"
        )),
        Value::Number(n) => match n.as_f64().and_then(|f| scaled(f, scale)) {
            Some(fixed) => Check::Repaired(
                format!("{name} must be {unit}: {n} → {fixed}"),
                Value::Number(Number::from(fixed)),
            ),
            None => Check::Unreadable(format!("{name} must be {unit} ({example}), not {n}")),
        },
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(int) => Check::Repaired(
                format!("{name} must be a number, not text: write {int} without quotes"),
                Value::from(int),
            ),
            Err(_) => match s.trim().parse::<f64>().ok().and_then(|f| scaled(f, scale)) {
                Some(fixed) => Check::Repaired(
                    format!(
                        "{name} must be {unit} without quotes: {} → {fixed}",
                        quoted(s)
                    ),
                    Value::from(fixed),
                ),
                None => Check::Unreadable(format!(
                    "{name} must be {unit} ({example}), not text ({})",
                    quoted(s)
                )),
            },
        },
        other => Check::Unreadable(format!(
            "{name} must be {unit} ({example}), not {}",
            describe(other)
        )),
    }
}

/// `taxRate`: whole hundredths of a percent. A decimal is read as a
/// percentage (25.5 → 2550), or as a fraction below 1 (0.25 → 2500).
fn rate(value: &Value, name: &str) -> Check {
    const UNIT: &str = "a whole number of hundredths of a percent (2500 = 25 %)";
    let fix = |f: f64| {
        let scale = if f > 0.0 && f < 1.0 { 10_000 } else { 100 };
        scaled(f, scale)
    };
    match value {
        Value::Number(n) if n.is_i64() => Check::Fine,
        Value::Number(n) => match n.as_f64().and_then(fix) {
            Some(fixed) if !n.is_u64() => Check::Repaired(
                format!("{name} must be {UNIT}: {n} → {fixed}"),
                Value::from(fixed),
            ),
            _ => Check::Unreadable(format!("{name} must be {UNIT}, not {n}")),
        },
        Value::String(s) => {
            let number = s.trim().trim_end_matches('%').trim();
            match number.parse::<f64>().ok().and_then(fix) {
                Some(fixed) => Check::Repaired(
                    format!(
                        "{name} must be {UNIT} without quotes: {} → {fixed}",
                        quoted(s)
                    ),
                    Value::from(fixed),
                ),
                None => {
                    Check::Unreadable(format!("{name} must be {UNIT}, not text ({})", quoted(s)))
                }
            }
        }
        other => Check::Unreadable(format!("{name} must be {UNIT}, not {}", describe(other))),
    }
}

/// `f × scale` rounded to a whole number, when it is finite and fits.
fn scaled(f: f64, scale: i64) -> Option<i64> {
    // i64 as f64: the scales used (1, 100, 10 000) are exact.
    #[allow(clippy::cast_precision_loss)]
    let product = (f * scale as f64).round();
    // 2^63 as f64 is exact; anything at or beyond it does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if product.is_finite() && product > -LIMIT && product < LIMIT {
        #[allow(clippy::cast_possible_truncation)]
        Some(product as i64)
    } else {
        None
    }
}
