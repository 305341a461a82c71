//! Each rule production is not documented to enforce, in both modes,
//! through HTTP: default mode accepts the request and the request log
//! entry carries a warning naming the field; strict mode (here a merchant
//! with `strict = true` in the merchants file, and the whole simulator
//! with `SimulatorBuilder::strict`) refuses it with a 400 whose entry
//! carries the rule's URN as `type`.

use reqwest::Method;
use serde_json::{Value, json};
use vipps_om_sim::{Merchant, Simulator};

use crate::support::{Api, Resp, category, image_body, png, receipt, send, token};

/// The demo merchant (default mode) and this one, strict.
const STRICT_MERCHANT: &str = r#"
[[merchant]]
merchant_serial_number = "888888"
client_id = "strict-client"
client_secret = "strict-secret"
subscription_key = "strict-key"
strict = true
"#;

struct Both {
    api: Api,
    strict: Merchant,
    strict_token: String,
}

impl Both {
    async fn start() -> Both {
        let config = Simulator::builder()
            .merchants_toml(STRICT_MERCHANT)
            .build()
            .expect("valid");
        let api = Api::start_with(config).await;
        let strict = api
            .sim
            .state()
            .merchant("888888")
            .expect("merchant")
            .clone();
        assert!(strict.is_strict());
        let strict_token = token(&api.http, api.sim.base_url(), &strict).await;
        Both {
            api,
            strict,
            strict_token,
        }
    }

    /// The same request as the default-mode and the strict merchant.
    async fn both(&self, case: &Case) -> (Resp, Vec<String>, Resp) {
        let default = send(case.request(
            &self.api,
            self.api.call(case.method.clone(), &case.path("d")),
        ))
        .await;
        let warnings = self
            .api
            .sim
            .requests()
            .pop()
            .map(|r| r.warnings)
            .unwrap_or_default();
        let strict = send(case.request(
            &self.api,
            self.api.as_merchant(
                case.method.clone(),
                &case.path("s"),
                &self.strict,
                &self.strict_token,
            ),
        ))
        .await;
        (default, warnings, strict)
    }
}

struct Case {
    what: &'static str,
    method: Method,
    /// With `{o}` for an order id made unique per case and mode.
    path: &'static str,
    body: Option<Value>,
    header: Option<(&'static str, String)>,
    /// The field named.
    name: &'static str,
    urn: &'static str,
    default_status: u16,
}

impl Case {
    fn path(&self, mode: &str) -> String {
        let order: String = format!("{}-{mode}", self.what)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("/order-management{}", self.path.replace("{o}", &order))
    }

    fn request(&self, _api: &Api, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut builder = match &self.body {
            Some(body) => builder.json(body),
            None => builder,
        };
        if let Some((name, value)) = &self.header {
            builder = builder.header(*name, value);
        }
        builder
    }
}

fn receipt_with(edit: impl FnOnce(&mut Value)) -> Option<Value> {
    let mut body = receipt();
    edit(&mut body);
    Some(body)
}

fn cases() -> Vec<Case> {
    let post = |what, body, name, urn| Case {
        what,
        method: Method::POST,
        path: "/v2/ecom/receipts/{o}",
        body,
        header: None,
        name,
        urn,
        default_status: 201,
    };
    let max = i64::MAX;
    vec![
        post(
            "line arithmetic",
            receipt_with(|b| b["orderLines"][0]["totalAmount"] = json!(1001)),
            "orderLines[0].totalAmount",
            "urn:vipps-om-sim:strict:line-arithmetic",
        ),
        post(
            "tax matches rate",
            receipt_with(|b| {
                b["orderLines"][0]["totalAmountExcludingTax"] = json!(850);
                b["orderLines"][0]["totalTaxAmount"] = json!(150);
            }),
            "orderLines[0].totalTaxAmount",
            "urn:vipps-om-sim:strict:tax-matches-rate",
        ),
        post(
            "tax rate missing",
            receipt_with(|b| b["orderLines"][0]["taxRate"] = Value::Null),
            "orderLines[0].taxRate",
            "urn:vipps-om-sim:strict:tax-rate-missing",
        ),
        post(
            "both tax fields",
            receipt_with(|b| b["orderLines"][0]["taxPercentage"] = json!(25)),
            "orderLines[0].taxPercentage",
            "urn:vipps-om-sim:strict:both-tax-fields",
        ),
        post(
            "empty name",
            receipt_with(|b| b["orderLines"][0]["name"] = json!("")),
            "orderLines[0].name",
            "urn:vipps-om-sim:strict:empty-text",
        ),
        post(
            "relative product url",
            receipt_with(|b| b["orderLines"][0]["productUrl"] = json!("/socks")),
            "orderLines[0].productUrl",
            "urn:vipps-om-sim:strict:absolute-url",
        ),
        post(
            "http product url",
            receipt_with(|b| b["orderLines"][0]["productUrl"] = json!("http://shop.example/socks")),
            "orderLines[0].productUrl",
            "urn:vipps-om-sim:strict:https-link",
        ),
        post(
            "code 39 data",
            receipt_with(|b| {
                b["bottomLine"]["barcode"] = json!({"format": "CODE 39", "data": "lower case"});
            }),
            "bottomLine.barcode.data",
            "urn:vipps-om-sim:strict:barcode-data",
        ),
        post(
            "ean13 check digit",
            receipt_with(|b| {
                b["bottomLine"]["barcode"] = json!({"format": "EAN-13", "data": "4006381333932"});
            }),
            "bottomLine.barcode.data",
            "urn:vipps-om-sim:strict:ean13-check-digit",
        ),
        post(
            "negative payment source",
            receipt_with(|b| b["bottomLine"]["paymentSources"] = json!({"card": -1})),
            "bottomLine.paymentSources.card",
            "urn:vipps-om-sim:strict:negative-payment-source",
        ),
        post(
            "sum too large",
            Some(json!({
                "orderLines": [
                    {"name": "a", "id": "1", "totalAmount": max, "totalAmountExcludingTax": max - 1,
                     "totalTaxAmount": 1, "taxRate": 0},
                    {"name": "b", "id": "2", "totalAmount": 1, "totalAmountExcludingTax": 1,
                     "totalTaxAmount": 0, "taxRate": 0}
                ],
                "bottomLine": {"currency": "NOK"}
            })),
            "orderLines[1].totalAmount",
            "urn:vipps-om-sim:strict:sum-too-large",
        ),
        Case {
            what: "http category link",
            method: Method::PUT,
            path: "/v2/ecom/categories/{o}",
            body: Some(
                json!({"category": "RECEIPT", "orderDetailsUrl": "http://shop.example/o/1"}),
            ),
            header: None,
            name: "orderDetailsUrl",
            urn: "urn:vipps-om-sim:strict:https-link",
            default_status: 200,
        },
        Case {
            what: "image over 2000000 bytes",
            method: Method::POST,
            path: "/v1/images",
            body: {
                let mut bytes = png(200, 200);
                bytes.resize(2_050_000, 0);
                Some(image_body("big-image", &bytes))
            },
            header: None,
            name: "src",
            urn: "urn:vipps-om-sim:strict:image-2000000-bytes",
            default_status: 200,
        },
        Case {
            what: "system header over 30",
            method: Method::GET,
            path: "/v3/categories?orderId={o}",
            body: None,
            header: Some(("Vipps-System-Plugin-Name", "p".repeat(31))),
            name: "Vipps-System-Plugin-Name",
            urn: "urn:vipps-om-sim:strict:system-header-30",
            default_status: 200,
        },
        Case {
            what: "categories without order id",
            method: Method::GET,
            path: "/v3/categories",
            body: None,
            header: None,
            name: "orderId",
            urn: "urn:vipps-om-sim:strict:categories-order-id",
            default_status: 200,
        },
        Case {
            what: "categories with a malformed order id",
            method: Method::GET,
            path: "/v3/categories?orderId=a%20b",
            body: None,
            header: None,
            name: "orderId",
            urn: "urn:vipps-om-sim:strict:categories-order-id",
            default_status: 200,
        },
    ]
}

#[tokio::test]
async fn each_rule_warns_in_default_mode_and_refuses_in_strict_mode() {
    let both = Both::start().await;
    for case in cases() {
        let (default, warnings, strict) = both.both(&case).await;
        let what = case.what;
        assert_eq!(
            default.status, case.default_status,
            "{what}: default mode accepts: {}",
            default.text
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with(&format!("production may refuse this: {}: ", case.name))),
            "{what}: warning naming {}: {warnings:?}",
            case.name
        );
        assert_eq!(
            strict.status, 400,
            "{what}: strict refuses: {}",
            strict.text
        );
        assert_eq!(strict.invalid_params(), vec![case.name], "{what}");
        let param = &strict.body["invalidParams"][0];
        assert_eq!(param["type"], case.urn, "{what}");
        assert_eq!(strict.body["type"], "urn:vipps-om-sim:strict", "{what}");
        let reason = param["reason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with("The ") || reason.starts_with("Only "),
            "{what}: {reason}"
        );
        assert!(
            strict.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("production may accept"),
            "{what}: {}",
            strict.text
        );
    }
}

#[tokio::test]
async fn default_mode_answers_a_category_list_without_order_id_with_an_empty_list() {
    let both = Both::start().await;
    assert_eq!(
        both.api
            .put_json(
                "/order-management/v2/ecom/categories/o-1",
                &category("GENERAL")
            )
            .await
            .status,
        200
    );
    let resp = both.api.get("/order-management/v3/categories").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, json!({"categories": []}));
}

#[tokio::test]
async fn a_schema_problem_and_a_strict_rule_together_keep_the_http_type() {
    let both = Both::start().await;
    let mut body = receipt();
    body["orderLines"][0]["totalAmount"] = json!(1001);
    body["bottomLine"]["currency"] = json!("SEK");
    let resp = send(
        both.api
            .as_merchant(
                Method::POST,
                "/order-management/v2/ecom/receipts/mixed",
                &both.strict,
                &both.strict_token,
            )
            .json(&body),
    )
    .await;
    assert_eq!(resp.status, 400);
    // In the spec's field order: the lines before the bottom line.
    assert_eq!(
        resp.invalid_params(),
        vec!["orderLines[0].totalAmount", "bottomLine.currency"]
    );
    assert_eq!(
        resp.body["type"],
        "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1"
    );
    assert_eq!(
        resp.body["invalidParams"][0]["type"],
        "urn:vipps-om-sim:strict:line-arithmetic"
    );
    assert!(resp.body["invalidParams"][1].get("type").is_none());
    // Default mode names only what production refuses.
    let resp = both
        .api
        .post_json("/order-management/v2/ecom/receipts/mixed", &body)
        .await;
    assert_eq!(resp.invalid_params(), vec!["bottomLine.currency"]);
}

#[tokio::test]
async fn the_builder_makes_every_merchant_strict() {
    let api = Api::start_with(Simulator::builder().strict(true).build().expect("valid")).await;
    let mut body = receipt();
    body["orderLines"][0]["totalAmount"] = json!(1001);
    let resp = api
        .post_json("/order-management/v2/ecom/receipts/strict-1", &body)
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.invalid_params(), vec!["orderLines[0].totalAmount"]);
    // A clean receipt is taken, with no warnings.
    let resp = api
        .post_json("/order-management/v2/ecom/receipts/strict-2", &receipt())
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    assert!(
        api.sim
            .requests()
            .pop()
            .expect("logged")
            .warnings
            .is_empty()
    );
}

#[tokio::test]
async fn what_production_refuses_is_refused_in_both_modes() {
    let both = Both::start().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "negative line amount",
            {
                let mut b = receipt();
                b["orderLines"][0]["totalTaxAmount"] = json!(-200);
                b
            },
            "orderLines[0].totalTaxAmount",
        ),
        (
            "no order lines",
            json!({"orderLines": [], "bottomLine": {"currency": "NOK"}}),
            "orderLines",
        ),
    ];
    for (what, body, name) in cases {
        for strict in [false, true] {
            let path = format!("/order-management/v2/ecom/receipts/both-{strict}");
            let builder = if strict {
                both.api
                    .as_merchant(Method::POST, &path, &both.strict, &both.strict_token)
            } else {
                both.api.call(Method::POST, &path)
            };
            let resp = send(builder.json(&body)).await;
            assert_eq!(resp.status, 400, "{what} strict={strict}");
            assert_eq!(resp.invalid_params(), vec![name], "{what}");
            assert_eq!(
                resp.body["type"],
                "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1"
            );
        }
    }
    // An image under 167 px, an unknown image id: refused in both modes.
    for (merchant, token) in [
        (&both.api.merchant, &both.api.token),
        (&both.strict, &both.strict_token),
    ] {
        let resp = send(
            both.api
                .as_merchant(Method::POST, "/order-management/v1/images", merchant, token)
                .json(&image_body("small", &png(32, 32))),
        )
        .await;
        assert_eq!(resp.status, 400);
        assert_eq!(
            resp.reason("src"),
            "Minimum height is 167px; this image is 32×32 px."
        );
        let resp = send(
            both.api
                .as_merchant(
                    Method::PUT,
                    "/order-management/v2/ecom/categories/o-1",
                    merchant,
                    token,
                )
                .json(&json!({"category": "GENERAL", "orderDetailsUrl": "https://shop.example", "imageId": "never-uploaded"})),
        )
        .await;
        assert_eq!(resp.status, 400);
        assert_eq!(resp.invalid_params(), vec!["imageId"]);
    }
}
