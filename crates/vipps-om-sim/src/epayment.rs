//! The part of the ePayment API that touches Order Management:
//! `POST /epayment/v1/payments` (createPayment) and
//! `GET /epayment/v1/payments/{reference}` (getPayment).
//!
//! A payment's `receipt` (the Order Management `Receipt` object, checked by
//! the same rules as `POST /order-management/v2/{paymentType}/receipts/…`)
//! takes the receipt slot of the ECOM order whose `orderId` is the
//! payment's `reference`: a later OM receipt POST gets 409 and the OM GET
//! returns it, as production documents.
//!
//! Not simulated: the payment's life after creation (the user never
//! approves; `state` stays `CREATED`), capture/cancel/refund, the event log,
//! webhooks, `customer`/`profile`/`industryData` beyond their shape, the
//! landing page behind `redirectUrl`, and ePayment's own problem format
//! (refusals use the simulator's Order Management problem format).

use std::collections::HashMap;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vipps_om::models::Receipt;

use crate::reply::Reply;
use crate::rules::{Findings, Mode, schema, strict};
use crate::state::{Kind, MerchantIx, OrderKey, SimState};

/// Most ePayment payments kept at once (all merchants); beyond it a
/// create gets 507 until `POST /_sim/reset`.
pub const MAX_PAYMENTS: usize = 100_000;

/// Longest `Idempotency-Key` ePayment accepts (its spec's `maxLength`).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 50;

/// Largest `amount.value` ePayment accepts, in minor units (its spec).
pub const MAX_PAYMENT_AMOUNT: i64 = 65_000_000;

/// A created payment.
#[derive(Debug, Clone)]
pub(crate) struct PaymentRecord {
    idempotency_key: Box<str>,
    /// SHA-256 of the request body as parsed and re-encoded: the same body
    /// sent again (whatever its whitespace) is recognised.
    body_digest: [u8; 32],
    /// The 201 answer, replayed for the same key and body.
    answer: Box<str>,
    currency: Box<str>,
    value: i64,
    method: Box<str>,
    psp_reference: Box<str>,
    redirect_url: Option<Box<str>>,
}

/// Payments by merchant and reference (references are unique per MSN).
pub(crate) type Payments = HashMap<(MerchantIx, Box<str>), PaymentRecord>;

const REFERENCE_RULE: &str = "8 to 50 letters a-z, A-Z, digits or '-'";

fn reference_ok(text: &str) -> bool {
    (8..=50).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn check_enum(
    body: &Map<String, Value>,
    field: &str,
    path: &str,
    allowed: &[&str],
    findings: &mut Findings,
) -> Option<String> {
    match body.get(field) {
        None | Some(Value::Null) => {
            findings.refuse(path, format!("The {field} field is required."));
            None
        }
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
        Some(_) => {
            findings.refuse(
                path,
                format!("The field {field} must be one of: {}.", allowed.join(", ")),
            );
            None
        }
    }
}

/// What a valid create request carries.
struct Create {
    reference: String,
    currency: String,
    value: i64,
    method: String,
    user_flow: String,
    receipt: Option<Map<String, Value>>,
}

fn check_create(body: &Map<String, Value>, findings: &mut Findings) -> Option<Create> {
    let reference = match body.get("reference") {
        None | Some(Value::Null) => {
            findings.refuse("reference", "The reference field is required.");
            None
        }
        Some(Value::String(r)) if reference_ok(r) => Some(r.clone()),
        Some(_) => {
            findings.refuse(
                "reference",
                format!("The field reference must be {REFERENCE_RULE}."),
            );
            None
        }
    };
    let (mut currency, mut value) = (None, None);
    match body.get("amount") {
        Some(Value::Object(amount)) => {
            currency = check_enum(
                amount,
                "currency",
                "amount.currency",
                &["NOK", "DKK", "EUR"],
                findings,
            );
            match amount.get("value") {
                None | Some(Value::Null) => findings.refuse("amount.value", "The value field is required."),
                Some(v) => match v.as_i64() {
                    Some(v) if (0..=MAX_PAYMENT_AMOUNT).contains(&v) => value = Some(v),
                    _ => findings.refuse(
                        "amount.value",
                        format!("The field value must be an integer between 0 and {MAX_PAYMENT_AMOUNT} (minor units)."),
                    ),
                },
            }
        }
        None | Some(Value::Null) => findings.refuse("amount", "The amount field is required."),
        Some(_) => findings.refuse(
            "amount",
            "The field amount must be an object with currency and value.",
        ),
    }
    let method = match body.get("paymentMethod") {
        Some(Value::Object(m)) => check_enum(
            m,
            "type",
            "paymentMethod.type",
            &["WALLET", "CARD"],
            findings,
        ),
        None | Some(Value::Null) => {
            findings.refuse("paymentMethod", "The paymentMethod field is required.");
            None
        }
        Some(_) => {
            findings.refuse(
                "paymentMethod",
                "The field paymentMethod must be an object with type.",
            );
            None
        }
    };
    let user_flow = check_enum(
        body,
        "userFlow",
        "userFlow",
        &["PUSH_MESSAGE", "NATIVE_REDIRECT", "WEB_REDIRECT", "QR"],
        findings,
    );
    if user_flow.as_deref() == Some("PUSH_MESSAGE")
        && !body
            .get("customer")
            .and_then(|c| c.get("phoneNumber"))
            .is_some_and(|p| p.is_u64() || p.is_string())
    {
        findings.refuse(
            "customer.phoneNumber",
            "The customer.phoneNumber field is required when userFlow is PUSH_MESSAGE.",
        );
    }
    if method.as_deref() == Some("CARD")
        && user_flow.as_deref().is_some_and(|f| f != "WEB_REDIRECT")
    {
        findings.refuse(
            "userFlow",
            "A paymentMethod of type CARD needs userFlow WEB_REDIRECT.",
        );
    }
    let receipt = match body.get("receipt") {
        None | Some(Value::Null) => None,
        Some(Value::Object(receipt)) => {
            check_receipt(receipt, findings);
            Some(receipt.clone())
        }
        Some(_) => {
            findings.refuse(
                "receipt",
                "The field receipt must be an object with orderLines and bottomLine.",
            );
            None
        }
    };
    match body.get("receiptUrl") {
        None | Some(Value::Null) => {}
        Some(Value::String(url)) if schema::is_absolute_uri(url) => {}
        Some(_) => findings.refuse(
            "receiptUrl",
            "The field receiptUrl must be an absolute URL.",
        ),
    }
    Some(Create {
        reference: reference?,
        currency: currency?,
        value: value?,
        method: method?,
        user_flow: user_flow?,
        receipt,
    })
}

/// The receipt rules of `POST /order-management/v2/.../receipts/...`, with
/// every name under `receipt.`. They run as in strict mode, so each doubt
/// keeps its [`crate::rules::Rule`]; `findings` then refuses it or makes it
/// a warning by its own mode, as for an Order Management receipt.
fn check_receipt(receipt: &Map<String, Value>, findings: &mut Findings) {
    let mut inner = Findings::new(Mode::Strict);
    schema::check_object(receipt, schema::RECEIPT, "", &mut inner);
    strict::receipt(receipt, &mut inner);
    for problem in inner.take_problems() {
        let name = format!("receipt.{}", problem.name);
        match problem.rule {
            None => findings.refuse(name, problem.reason),
            Some(rule) => findings.doubt(rule, name, problem.reason),
        }
    }
}

fn problem(status: StatusCode, detail: String) -> Reply {
    Reply::problem(status, detail)
}

/// `POST /epayment/v1/payments`.
pub(crate) fn create(
    state: &SimState,
    merchant: MerchantIx,
    idempotency_key: Option<&str>,
    body: Option<Map<String, Value>>,
    findings: &mut Findings,
) -> Reply {
    match idempotency_key.map(str::trim) {
        None | Some("") => findings.refuse("Idempotency-Key", "The Idempotency-Key field is required."),
        Some(key) if key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS => findings.refuse(
            "Idempotency-Key",
            format!("The field Idempotency-Key must be a string with a maximum length of {MAX_IDEMPOTENCY_KEY_CHARS}."),
        ),
        Some(_) => {}
    }
    let checked = body.as_ref().and_then(|b| check_create(b, findings));
    if findings.is_refused() {
        return Reply::refused(findings.take_problems());
    }
    let (Some(body), Some(create), Some(key)) = (body, checked, idempotency_key.map(str::trim))
    else {
        return Reply::internal("a payment passed the checks but is missing");
    };
    let digest: [u8; 32] =
        Sha256::digest(serde_json::to_vec(&Value::Object(body)).unwrap_or_default()).into();
    let receipt_json = match &create.receipt {
        None => None,
        Some(receipt) => match serde_json::from_value::<Receipt>(Value::Object(receipt.clone()))
            .ok()
            .and_then(|r| serde_json::to_string(&r).ok())
        {
            Some(json) => Some(json),
            None => return Reply::internal("a receipt passed the checks but does not convert"),
        },
    };
    let slot = (merchant, Box::<str>::from(create.reference.as_str()));
    let mut store = state.lock();
    if let Some(existing) = store.payments.get(&slot) {
        if *existing.idempotency_key == *key && existing.body_digest == digest {
            return Reply::raw_json(StatusCode::CREATED, existing.answer.as_bytes().to_vec());
        }
        return problem(
            StatusCode::CONFLICT,
            format!(
                "A payment with reference '{}' already exists; a reference is used once per merchant (repeat a create with the same Idempotency-Key and body to get its answer again).",
                create.reference
            ),
        );
    }
    if store.payments.len() >= MAX_PAYMENTS {
        return problem(
            StatusCode::INSUFFICIENT_STORAGE,
            format!(
                "The simulator keeps at most {MAX_PAYMENTS} ePayment payments; reset it (POST /_sim/reset) to make room."
            ),
        );
    }
    if let Some(json) = receipt_json {
        let order = OrderKey {
            merchant,
            kind: Kind::Ecom,
            order_id: Box::from(create.reference.as_str()),
        };
        match store.add_receipt(order, json) {
            Err(refusal) => return refusal.reply(),
            Ok(None) => {
                return problem(
                    StatusCode::CONFLICT,
                    format!(
                        "Order details (receipt) for ECOM order '{}' already exist; send the payment without receipt (the stored one stays).",
                        create.reference
                    ),
                );
            }
            Ok(Some(_)) => {}
        }
    }
    let token = Uuid::new_v4().simple().to_string();
    let redirect_url = match create.user_flow.as_str() {
        "PUSH_MESSAGE" => None,
        "QR" => Some(format!("https://qr-image.vipps.no/v1?token={token}")),
        _ => Some(format!("https://landing.vipps.no?token={token}")),
    };
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Created<'a> {
        reference: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        redirect_url: Option<&'a str>,
    }
    let answer = serde_json::to_string(&Created {
        reference: &create.reference,
        redirect_url: redirect_url.as_deref(),
    })
    .unwrap_or_default();
    store.payments.insert(
        slot,
        PaymentRecord {
            idempotency_key: Box::from(key),
            body_digest: digest,
            answer: answer.clone().into_boxed_str(),
            currency: create.currency.into_boxed_str(),
            value: create.value,
            method: create.method.into_boxed_str(),
            psp_reference: Uuid::new_v4().simple().to_string().into_boxed_str(),
            redirect_url: redirect_url.map(String::into_boxed_str),
        },
    );
    drop(store);
    Reply::raw_json(StatusCode::CREATED, answer.into_bytes())
}

/// `GET /epayment/v1/payments/{reference}`.
pub(crate) fn get(
    state: &SimState,
    merchant: MerchantIx,
    reference: &str,
    findings: &mut Findings,
) -> Reply {
    if !reference_ok(reference) {
        findings.refuse(
            "reference",
            format!("The field reference must be {REFERENCE_RULE}."),
        );
        return Reply::refused(findings.take_problems());
    }
    let found = state
        .lock()
        .payments
        .get(&(merchant, Box::from(reference)))
        .cloned();
    let Some(p) = found else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("No payment with reference '{reference}' was found."),
        );
    };
    let amount = json!({"currency": &*p.currency, "value": p.value});
    let zero = json!({"currency": &*p.currency, "value": 0});
    let mut body = json!({
        "aggregate": {
            "authorizedAmount": zero, "cancelledAmount": zero,
            "capturedAmount": zero, "refundedAmount": zero
        },
        "amount": amount,
        "state": "CREATED",
        "paymentMethod": {"type": &*p.method},
        "profile": {},
        "pspReference": &*p.psp_reference,
        "reference": reference,
    });
    if let (Some(url), Some(object)) = (p.redirect_url.as_deref(), body.as_object_mut()) {
        object.insert("redirectUrl".to_owned(), Value::from(url));
    }
    Reply::json(StatusCode::OK, &body)
}
