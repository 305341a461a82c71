//! Conformance with the official OpenAPI document
//! (`../shared/reference/order-management-openapi.yaml`; skipped with a
//! message when absent):
//! 1. a scripted session touches every operation and every status the
//!    simulator produces, and each answer's body is checked against the
//!    spec's schema for that operation and status;
//! 2. request bodies, generated and hand-written, are checked both ways:
//!    a body the schema refuses must get 400, and a 400 for a body the
//!    schema accepts may only name our documented stricter rules
//!    ([`STRICTER_RULES`]).
//!
//! The spec is OpenAPI 3.0: `$ref`s are inlined and `nullable: true`
//! becomes a `"null"` type (and enum value) before the `jsonschema` crate
//! sees a schema.

use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use reqwest::Method;
use serde_json::{Map, Value, json};
use tower::ServiceExt as _;
use vipps_om_sim::{Fault, Route, SimState, Simulator};

use crate::support::{Api, Resp, SetHeader, category, category_v3, image_body, png, receipt, send};

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/reference/order-management-openapi.yaml"
);

fn load_spec() -> Option<Value> {
    if !Path::new(SPEC).exists() {
        skip(&format!(
            "needs the OpenAPI spec at {SPEC} (the ../shared/reference material; CI provides it)"
        ));
        return None;
    }
    let text = std::fs::read_to_string(SPEC).expect("spec readable");
    Some(serde_norway::from_str(&text).expect("spec is YAML"))
}

/// An OpenAPI 3.0 schema as JSON Schema: refs inlined, nullable expanded.
fn convert(node: &Value, spec: &Value) -> Value {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference.trim_start_matches('#');
                let target = spec
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("unresolved {reference}"));
                return convert(target, spec);
            }
            let mut out = Map::new();
            for (key, value) in map {
                if matches!(
                    key.as_str(),
                    "example" | "x-examples" | "examples" | "deprecated" | "nullable"
                ) {
                    continue;
                }
                out.insert(key.clone(), convert(value, spec));
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| convert(i, spec)).collect()),
        other => other.clone(),
    }
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .expect("schema compiles")
}

fn component(spec: &Value, name: &str) -> Value {
    convert(
        &json!({"$ref": format!("#/components/schemas/{name}")}),
        spec,
    )
}

/// The gateway's own body (401, 429): the spec cannot describe it.
fn gateway_schema() -> Value {
    json!({"type": "object", "required": ["statusCode", "message"], "additionalProperties": false,
           "properties": {"statusCode": {"type": "integer"}, "message": {"type": "string", "minLength": 1}}})
}

/// The token service's answers (the access token API, not in this spec).
fn token_schema(status: u16) -> Value {
    if status == 200 {
        json!({"type": "object", "required": ["token_type", "expires_in", "access_token"],
               "properties": {"token_type": {"const": "Bearer"},
                              "expires_in": {"type": "string", "pattern": "^[0-9]+$"},
                              "access_token": {"type": "string", "minLength": 32}}})
    } else {
        json!({"type": "object",
               "required": ["error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"],
               "properties": {"error": {"type": "string"}, "error_description": {"type": "string"},
                              "error_codes": {"type": "array", "items": {"type": "integer"}},
                              "timestamp": {"type": "string"},
                              "trace_id": {"type": "string", "format": "uuid"},
                              "correlation_id": {"type": "string", "format": "uuid"}}})
    }
}

/// Statuses the simulator gives that an operation does not declare, and
/// why: the explicit list of where we go beyond the document.
const UNDECLARED: &[(&str, u16, &str)] = &[
    ("*", 401, "gateway format (declared without a body)"),
    ("*", 403, "Merchant-Serial-Number of another merchant"),
    ("*", 429, "injected rate limit, gateway format"),
    ("*", 500, "injected failure"),
    ("*", 503, "injected outage"),
    (
        "*",
        400,
        "Merchant-Serial-Number missing or Vipps-System-* too long, on any operation",
    ),
    ("post /v1/images", 409, "second upload of an imageId"),
    (
        "post /v1/images",
        400,
        "image validation (the spec declares only 200)",
    ),
    (
        "get /v2/{paymentType}/{orderId}",
        400,
        "bad paymentType or orderId in the path",
    ),
    ("deprecated", 404, "removed v1 operations"),
];

/// The schema an answer must match: `Some(schema)`, or `None` for "no
/// body".
fn expected_schema(spec: &Value, op: &str, status: u16) -> Option<Value> {
    if op == "token" {
        return Some(token_schema(status));
    }
    if matches!(status, 401 | 429) {
        return Some(gateway_schema());
    }
    let error_response = component(spec, "ErrorResponse");
    let declared = op.split_once(' ').and_then(|(method, path)| {
        spec.pointer(&format!(
            "/paths/{}/{method}/responses/{status}",
            path.replace('~', "~0").replace('/', "~1")
        ))
    });
    match declared {
        Some(response) => {
            let response = convert(response, spec);
            response
                .pointer("/content/application~1json/schema")
                .cloned()
        }
        None => {
            let allowed = UNDECLARED
                .iter()
                .any(|(o, s, _)| *s == status && (*o == "*" || *o == op));
            assert!(
                allowed,
                "{op} answered {status}, which neither the spec nor UNDECLARED lists"
            );
            Some(error_response)
        }
    }
}

fn check(spec: &Value, op: &str, resp: &Resp) {
    match expected_schema(spec, op, resp.status) {
        None => assert!(
            resp.text.is_empty(),
            "{op} {}: expected no body, got {}",
            resp.status,
            resp.text
        ),
        Some(schema) => {
            assert_eq!(
                resp.content_type(),
                Some("application/json"),
                "{op} {}",
                resp.status
            );
            let body: Value = serde_json::from_str(&resp.text)
                .unwrap_or_else(|e| panic!("{op} {}: not JSON ({e}): {}", resp.status, resp.text));
            let validator = validator(&schema);
            let errors: Vec<String> = validator
                .iter_errors(&body)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{op} {}: {errors:?}\n{}",
                resp.status,
                resp.text
            );
        }
    }
}

#[tokio::test]
async fn every_answer_of_a_scripted_session_matches_the_spec() {
    let Some(spec) = load_spec() else { return };
    let config = Simulator::builder()
        .merchants_toml(crate::support::MERCHANTS_TOML)
        .build()
        .expect("valid");
    let api = Api::start_with(config).await;
    let mut seen: Vec<(String, u16)> = Vec::new();
    let mut step = |op: &str, resp: Resp, expected: u16| {
        assert_eq!(resp.status, expected, "{op}: {}", resp.text);
        check(&spec, op, &resp);
        seen.push((op.to_owned(), expected));
    };
    const IMG: &str = "post /v1/images";
    const PUT2: &str = "put /v2/{paymentType}/categories/{orderId}";
    const REC: &str = "post /v2/{paymentType}/receipts/{orderId}";
    const GET2: &str = "get /v2/{paymentType}/{orderId}";
    const POST3: &str = "post /v3/categories";
    const LIST3: &str = "get /v3/categories";
    const GET3: &str = "get /v3/categories/{categoryId}";
    const DEL3: &str = "delete /v3/categories/{categoryId}";
    let om = |p: &str| format!("/order-management{p}");

    // Token service: 200, 401 (client credentials), 401 (gateway).
    let ok = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", "demo-client-id")
            .header("client_secret", "demo-client-secret")
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
    )
    .await;
    step("token", ok, 200);
    let bad = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", "demo-client-id")
            .header("client_secret", "nope")
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
    )
    .await;
    step("token", bad, 401);

    // Images: 200, 409, 400.
    step(IMG, api.upload_png("socks-orange-123").await, 200);
    step(IMG, api.upload_png("socks-orange-123").await, 409);
    step(
        IMG,
        api.post_json(&om("/v1/images"), &image_body("tiny", &png(10, 10)))
            .await,
        400,
    );

    // v2 category: 200, 400.
    let mut with_image = category("GENERAL");
    with_image["imageId"] = json!("socks-orange-123");
    step(
        PUT2,
        api.put_json(&om("/v2/ecom/categories/o-1"), &with_image)
            .await,
        200,
    );
    step(
        PUT2,
        api.put_json(&om("/v2/ecom/categories/o-1"), &json!({}))
            .await,
        400,
    );

    // Receipts: 201, 409, 400.
    step(
        REC,
        api.post_json(&om("/v2/ecom/receipts/o-1"), &receipt())
            .await,
        201,
    );
    step(
        REC,
        api.post_json(&om("/v2/ecom/receipts/o-1"), &receipt())
            .await,
        409,
    );
    step(
        REC,
        api.post_json(&om("/v2/ecom/receipts/o-2"), &json!({"orderLines": []}))
            .await,
        400,
    );
    let spec_example = spec
        .pointer("/paths/~1v2~1{paymentType}~1receipts~1{orderId}/post/requestBody/content/application~1json/examples/ReceiptExample/value")
        .cloned()
        .expect("the spec's receipt example");
    step(
        REC,
        api.post_json(&om("/v2/ECOM/receipts/spec-example"), &spec_example)
            .await,
        201,
    );

    // GET v2: 200 with both parts, 200 with one part, 404, 400.
    step(GET2, api.get(&om("/v2/ecom/o-1")).await, 200);
    step(GET2, api.get(&om("/v2/ecom/spec-example")).await, 200);
    step(GET2, api.get(&om("/v2/ecom/never")).await, 404);
    step(GET2, api.get(&om("/v2/card/o-1")).await, 400);

    // v3: 201, 400; list 200, 400; get 200, 400, 404; delete 200, 404.
    let created = api
        .post_json(&om("/v3/categories"), &category_v3("o-1", "RECEIPT"))
        .await;
    let id = created.body["categoryId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    step(POST3, created, 201);
    step(
        POST3,
        api.post_json(&om("/v3/categories"), &json!({"orderId": "o-1"}))
            .await,
        400,
    );
    step(LIST3, api.get(&om("/v3/categories?orderId=o-1")).await, 200);
    step(
        LIST3,
        api.get(&om("/v3/categories?orderId=never")).await,
        200,
    );
    // Without orderId: accepted in default mode (the spec does not mark it
    // required); a header over the spec's 100 characters is refused.
    step(LIST3, api.get(&om("/v3/categories")).await, 200);
    step(
        LIST3,
        send(
            api.call(Method::GET, &om("/v3/categories?orderId=o-1"))
                .set("Vipps-System-Name", &"x".repeat(101)),
        )
        .await,
        400,
    );
    step(
        GET3,
        api.get(&om(&format!("/v3/categories/{id}"))).await,
        200,
    );
    step(GET3, api.get(&om("/v3/categories/not-a-uuid")).await, 400);
    step(
        DEL3,
        api.delete(&om(&format!("/v3/categories/{id}"))).await,
        200,
    );
    step(
        GET3,
        api.get(&om(&format!("/v3/categories/{id}"))).await,
        404,
    );
    step(
        DEL3,
        api.delete(&om(&format!("/v3/categories/{id}"))).await,
        404,
    );

    // Authentication and headers on an API operation: 401 (both gateway
    // messages), 403, 400.
    step(
        GET2,
        send(api.bare(Method::GET, &om("/v2/ecom/o-1"))).await,
        401,
    );
    step(
        GET2,
        send(
            api.bare(Method::GET, &om("/v2/ecom/o-1"))
                .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
        )
        .await,
        401,
    );
    step(
        DEL3,
        send(
            api.call(Method::DELETE, &om(&format!("/v3/categories/{id}")))
                .set("Merchant-Serial-Number", "654321"),
        )
        .await,
        403,
    );
    step(
        LIST3,
        send(
            api.call(Method::GET, &om("/v3/categories?orderId=o-1"))
                .set("Vipps-System-Name", &"n".repeat(101)),
        )
        .await,
        400,
    );

    // Faults: 429, 500, 503.
    api.sim
        .inject_fault(Fault::status(Route::GetOrder, 429))
        .expect("valid");
    step(GET2, api.get(&om("/v2/ecom/o-1")).await, 429);
    api.sim
        .inject_fault(Fault::status(Route::AddReceipt, 500))
        .expect("valid");
    step(
        REC,
        api.post_json(&om("/v2/ecom/receipts/o-9"), &receipt())
            .await,
        500,
    );
    api.sim
        .inject_fault(Fault::status(Route::UploadImage, 503))
        .expect("valid");
    step(IMG, api.upload_png("later").await, 503);

    // Removed v1 operations.
    for (method, path) in [
        (Method::PUT, "/v1/orders/o-1"),
        (Method::GET, "/v1/receipts/o-1"),
    ] {
        step("deprecated", send(api.call(method, &om(path))).await, 404);
    }

    // Every operation was exercised.
    for op in [IMG, PUT2, REC, GET2, POST3, LIST3, GET3, DEL3, "token"] {
        assert!(seen.iter().any(|(o, _)| o == op), "{op} not exercised");
    }
}

/// The simulator's default-mode rules that are stricter than the schema,
/// as (field path suffix, words of the reason). A 400 for a schema-valid
/// body may only name these. The same list is in the crate README under
/// "Chosen behaviours"; everything else the client library refuses is a
/// warning in default mode (strict mode refuses it, see `rules.rs`).
const STRICTER_RULES: &[(&str, &str)] = &[
    // The changelog (August 2022): no negative amounts on order lines.
    ("totalAmount", "must be between 0 and"),
    ("totalAmountExcludingTax", "must be between 0 and"),
    ("totalTaxAmount", "must be between 0 and"),
    // ASP.NET's [Required] refuses null for the required nullable enums.
    ("category", "field is required"),
    ("type", "field is required"),
    ("currency", "field is required"),
    ("format", "field is required"),
    // The image rules of the spec's description of `src`.
    ("src", "PNG or JPEG format"),
    ("src", "Minimum height"),
    ("src", "base64-encoded"),
    ("src", "at most 2MB"),
    // A referenced image must have been uploaded.
    ("imageId", "upload it first"),
    // The simulator's limit on orderId (the spec sets none).
    ("orderId", "maximum length of 128"),
    // `format: uri` read as an absolute URI.
    ("Url", "absolute URI"),
    ("url", "absolute URI"),
];

fn is_stricter_rule(name: &str, reason: &str) -> bool {
    STRICTER_RULES
        .iter()
        .any(|(suffix, words)| name.ends_with(suffix) && reason.contains(words))
}

/// Every value a leaf is replaced with when bodies are mutated.
fn replacements() -> Vec<Option<Value>> {
    vec![
        None, // the key removed
        Some(Value::Null),
        Some(json!(-1)),
        Some(json!(0)),
        Some(json!(1.5)),
        Some(json!(10_001)),
        Some(json!("")),
        Some(json!("x y")),
        Some(json!("https://shop.example/p")),
        Some(json!(true)),
        Some(json!([])),
        Some(json!({})),
        Some(json!("ECOM")),
        Some(json!("ecom")),
        Some(json!("EAN-13")),
    ]
}

/// Paths (as JSON pointers) of every member of `value`.
fn member_pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                member_pointers(child, &pointer, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                member_pointers(child, &format!("{prefix}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn mutate(base: &Value, pointer: &str, replacement: &Option<Value>) -> Value {
    let mut body = base.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    if let Some(Value::Object(map)) = body.pointer_mut(parent) {
        match replacement {
            Some(value) => {
                map.insert(key.to_owned(), value.clone());
            }
            None => {
                map.remove(key);
            }
        }
    }
    body
}

async fn oneshot(state: &SimState, method: &str, uri: &str, token: &str, body: &Value) -> Resp {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("Authorization", format!("Bearer {token}"))
        .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
        .header("Merchant-Serial-Number", "123456")
        .header("Content-Type", "application/json")
        .body(Body::from(serde_json::to_vec(body).expect("JSON")))
        .expect("request");
    let response = vipps_om_sim::app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status().as_u16();
    let headers = reqwest::header::HeaderMap::new();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

async fn oneshot_token(state: &SimState) -> String {
    let request = Request::builder()
        .method("POST")
        .uri("/accesstoken/get")
        .header("client_id", "demo-client-id")
        .header("client_secret", "demo-client-secret")
        .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
        .body(Body::empty())
        .expect("request");
    let response = vipps_om_sim::app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body: Value = serde_json::from_slice(&bytes).expect("token JSON");
    body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn request_bodies_agree_with_the_spec_schemas() {
    let Some(spec) = load_spec() else { return };
    let state = SimState::new(&Simulator::default());
    let token = oneshot_token(&state).await;
    // An image every category may reference.
    let upload = oneshot(
        &state,
        "POST",
        "/order-management/v1/images",
        &token,
        &image_body("socks-orange-123", &png(200, 200)),
    )
    .await;
    assert_eq!(upload.status, 200);

    let mut receipt_with_everything = receipt();
    receipt_with_everything["orderLines"][0]["discount"] = json!(0);
    receipt_with_everything["orderLines"][0]["productUrl"] = json!("https://shop.example/socks");
    receipt_with_everything["orderLines"][0]["isReturn"] = json!(false);
    receipt_with_everything["bottomLine"]["tipAmount"] = json!(0);
    receipt_with_everything["bottomLine"]["paymentSources"] = json!({"card": 1000});
    receipt_with_everything["bottomLine"]["barcode"] = json!({"format": "CODE 128", "data": "A-1"});
    let mut v2 = category("GENERAL");
    v2["imageId"] = json!("socks-orange-123");
    let mut v3 = category_v3("o-1", "RECEIPT");
    v3["imageId"] = json!("socks-orange-123");
    let cases: [(&str, &str, Value); 4] = [
        ("Receipt", "receipt", receipt_with_everything),
        ("Order", "category", v2),
        ("AddCategoryRequest", "v3", v3),
        ("Image", "image", image_body("img", &png(200, 200))),
    ];

    let mut counter = 0u32;
    let mut checked = 0u32;
    let mut refused_by_schema = 0u32;
    for (schema_name, kind, base) in cases {
        let schema = validator(&component(&spec, schema_name));
        assert!(
            schema.is_valid(&base),
            "{schema_name}: the base body must be valid"
        );
        let mut pointers = Vec::new();
        member_pointers(&base, "", &mut pointers);
        let mut bodies = vec![base.clone()];
        for pointer in &pointers {
            for replacement in replacements() {
                bodies.push(mutate(&base, pointer, &replacement));
            }
        }
        bodies.extend(hand_written(kind));
        for mut body in bodies {
            counter += 1;
            // Fresh ids so that only the body decides the answer.
            if kind == "image" && body.get("imageId").and_then(Value::as_str) == Some("img") {
                body["imageId"] = json!(format!("img-{counter}"));
            }
            let (method, uri) = match kind {
                "receipt" => (
                    "POST",
                    format!("/order-management/v2/ecom/receipts/r-{counter}"),
                ),
                "category" => (
                    "PUT",
                    format!("/order-management/v2/ecom/categories/c-{counter}"),
                ),
                "v3" => ("POST", "/order-management/v3/categories".to_owned()),
                _ => ("POST", "/order-management/v1/images".to_owned()),
            };
            let schema_valid = schema.is_valid(&body);
            let resp = oneshot(&state, method, &uri, &token, &body).await;
            checked += 1;
            if !schema_valid {
                refused_by_schema += 1;
                assert_eq!(
                    resp.status, 400,
                    "{schema_name}: the schema refuses {body}, the simulator answered {}",
                    resp.text
                );
                continue;
            }
            match resp.status {
                200 | 201 => {}
                400 => {
                    let params = resp.body["invalidParams"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    assert!(!params.is_empty(), "{}", resp.text);
                    for param in params {
                        let name = param["name"].as_str().unwrap_or_default();
                        let reason = param["reason"].as_str().unwrap_or_default();
                        assert!(
                            is_stricter_rule(name, reason),
                            "{schema_name}: schema-valid body {body} refused for {name}: {reason}, which is not in STRICTER_RULES"
                        );
                    }
                }
                other => panic!("{schema_name}: {other} for {body}: {}", resp.text),
            }
        }
    }
    assert!(checked > 500, "{checked} bodies");
    assert!(
        refused_by_schema > 100,
        "{refused_by_schema} refused by the schema"
    );
}

/// Bodies written by hand: the spec's own examples and known corner cases.
fn hand_written(kind: &str) -> Vec<Value> {
    match kind {
        "receipt" => vec![
            json!({"orderLines": [{"name": "a", "id": "1", "totalAmount": 100, "totalAmountExcludingTax": 80,
                                    "totalTaxAmount": 20, "taxRate": 2500, "taxPercentage": 25}],
                   "bottomLine": {"currency": "NOK"}}),
            json!({"orderLines": [{"name": "ship", "id": "s", "totalAmount": 0, "totalAmountExcludingTax": 0,
                                    "totalTaxAmount": 0, "isShipping": true}],
                   "bottomLine": {"currency": "EUR", "barcode": {"format": "EAN-13", "data": "12345X"}}}),
            json!({"orderLines": [{"name": "a", "id": "1", "totalAmount": 100, "totalAmountExcludingTax": 80,
                                    "totalTaxAmount": 20, "taxRate": 2500, "unitInfo": {"unitPrice": null, "quantity": "12345678901"}}],
                   "bottomLine": {"currency": "DKK", "shippingInfo": {"amount": 1}}}),
            json!({"orderLines": [{"name": "", "id": "1", "totalAmount": -100, "totalAmountExcludingTax": -80,
                                    "totalTaxAmount": -20, "taxRate": 2500, "productUrl": "not a url"}],
                   "bottomLine": {"currency": "NOK", "paymentSources": {"cash": -1}}}),
            json!({"orderLines": [{"name": "a", "id": "1", "totalAmount": 100, "totalAmountExcludingTax": 80,
                                    "totalTaxAmount": 20, "taxRate": 2500}],
                   "bottomLine": {"currency": null}}),
            json!([]),
            json!("receipt"),
        ],
        "category" => vec![
            json!({"category": null, "orderDetailsUrl": "https://shop.example"}),
            json!({"category": "GENERAL", "orderDetailsUrl": "mailto:shop@example.com"}),
            json!({"category": "GENERAL", "orderDetailsUrl": "https://shop.example", "imageId": "never-uploaded"}),
            json!({"category": "GENERAL", "orderDetailsUrl": "https://shop.example", "imageId": "x".repeat(129)}),
        ],
        "v3" => vec![
            json!({"orderId": "o", "paymentType": "RECURRING", "type": "TICKET", "url": "https://shop.example"}),
            json!({"orderId": "o", "paymentType": "EPAYMENT", "type": "TICKET", "url": "https://shop.example"}),
            json!({"orderId": "x".repeat(200), "paymentType": "ECOM", "type": "TICKET", "url": "https://shop.example"}),
            json!({"orderId": "o", "paymentType": "ECOM", "type": "TICKET", "url": "https://shop.example", "imageId": null}),
        ],
        _ => vec![
            json!({"imageId": "spec-example", "src": "a3NhbGZuc2FrbGZubGthc25ma2Fuc2ZsYXNuZmxrYXNuZmw=", "type": "base64"}),
            json!({"imageId": "gif", "src": "R0lGODlhAQABAAAAACw=", "type": "base64"}),
            json!({"imageId": "", "src": "", "type": "base64"}),
        ],
    }
}

/// Says that the running test is skipped and why: one line on standard
/// error, written with `std::io::stderr()` rather than `eprintln!` because
/// the test harness captures (and, for a passing test, discards) the
/// `eprintln!` output, so that a run that reports "ok" still shows it.
fn skip(reason: &str) {
    use std::io::Write as _;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {reason}");
}
