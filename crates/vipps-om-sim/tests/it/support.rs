//! Shared helpers: a spawned simulator with an HTTP client and a token,
//! request shortcuts, sample bodies and minimal image files.

use reqwest::Method;
use serde_json::{Value, json};
use vipps_om_sim::{Merchant, RunningSim, Simulator};

/// A simulator, an HTTP client and a valid token of one merchant.
pub(crate) struct Api {
    pub(crate) sim: RunningSim,
    pub(crate) http: reqwest::Client,
    pub(crate) merchant: Merchant,
    pub(crate) token: String,
}

/// An answer, with the body read as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
    pub(crate) body: Value,
}

impl Resp {
    /// The `name`s of `invalidParams`, in order.
    pub(crate) fn invalid_params(&self) -> Vec<String> {
        self.body["invalidParams"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The reason given for invalid parameter `name`.
    pub(crate) fn reason(&self, name: &str) -> String {
        self.body["invalidParams"]
            .as_array()
            .and_then(|items| items.iter().find(|p| p["name"] == name))
            .and_then(|p| p["reason"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}

pub(crate) async fn read(response: reqwest::Response) -> Resp {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        body,
    }
}

pub(crate) async fn send(builder: reqwest::RequestBuilder) -> Resp {
    read(builder.send().await.expect("the simulator answers")).await
}

/// Fetches a token for `merchant`.
pub(crate) async fn token(http: &reqwest::Client, base_url: &str, merchant: &Merchant) -> String {
    let resp = send(
        http.post(format!("{base_url}/accesstoken/get"))
            .header("client_id", merchant.client_id())
            .header("client_secret", merchant.client_secret())
            .header("Ocp-Apim-Subscription-Key", merchant.subscription_key())
            .header(
                "Merchant-Serial-Number",
                merchant.merchant_serial_number().as_str(),
            ),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    resp.body["access_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

impl Api {
    /// The default simulator and a token of the demo merchant.
    pub(crate) async fn start() -> Api {
        Api::start_with(Simulator::default()).await
    }

    pub(crate) async fn start_with(config: Simulator) -> Api {
        let sim = vipps_om_sim::spawn(config).await.expect("spawned");
        let http = reqwest::Client::new();
        let merchant = sim.demo_merchant().clone();
        let token = token(&http, sim.base_url(), &merchant).await;
        Api {
            sim,
            http,
            merchant,
            token,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    /// A request with no credentials at all.
    pub(crate) fn bare(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request with the demo merchant's headers and token.
    pub(crate) fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.as_merchant(method, path, &self.merchant, &self.token)
    }

    pub(crate) fn as_merchant(
        &self,
        method: Method,
        path: &str,
        merchant: &Merchant,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.bare(method, path)
            .header("Authorization", format!("Bearer {token}"))
            .header("Ocp-Apim-Subscription-Key", merchant.subscription_key())
            .header(
                "Merchant-Serial-Number",
                merchant.merchant_serial_number().as_str(),
            )
            .header("Vipps-System-Name", "acme")
            .header("Vipps-System-Version", "3.1.2")
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Resp {
        send(self.call(Method::POST, path).json(body)).await
    }

    pub(crate) async fn put_json(&self, path: &str, body: &Value) -> Resp {
        send(self.call(Method::PUT, path).json(body)).await
    }

    pub(crate) async fn get(&self, path: &str) -> Resp {
        send(self.call(Method::GET, path)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Resp {
        send(self.call(Method::DELETE, path)).await
    }

    pub(crate) async fn upload_png(&self, image_id: &str) -> Resp {
        self.post_json(
            "/order-management/v1/images",
            &image_body(image_id, &png(200, 200)),
        )
        .await
    }
}

/// Sets a header, replacing any value set before (reqwest's `header`
/// appends, and the simulator reads the first value).
pub(crate) trait SetHeader {
    fn set(self, name: &str, value: &str) -> Self;
}

impl SetHeader for reqwest::RequestBuilder {
    fn set(self, name: &str, value: &str) -> Self {
        let mut map = reqwest::header::HeaderMap::new();
        map.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            reqwest::header::HeaderValue::from_str(value).expect("header value"),
        );
        self.headers(map)
    }
}

/// A correct one-line receipt.
pub(crate) fn receipt() -> Value {
    json!({
        "orderLines": [{
            "name": "Wool socks", "id": "line_1",
            "totalAmount": 1000, "totalAmountExcludingTax": 800, "totalTaxAmount": 200,
            "taxRate": 2500,
            "unitInfo": {"unitPrice": 500, "quantity": "2", "quantityUnit": "PCS"}
        }],
        "bottomLine": {"currency": "NOK", "posId": "pos_1", "receiptNumber": "0527013501"}
    })
}

/// A correct v2 category.
pub(crate) fn category(kind: &str) -> Value {
    json!({"category": kind, "orderDetailsUrl": "https://shop.example/orders/1"})
}

/// A correct v3 category.
pub(crate) fn category_v3(order_id: &str, kind: &str) -> Value {
    json!({"orderId": order_id, "paymentType": "ECOM", "type": kind, "url": "https://shop.example/o"})
}

pub(crate) fn image_body(image_id: &str, bytes: &[u8]) -> Value {
    use base64::Engine as _;
    json!({
        "imageId": image_id,
        "src": base64::engine::general_purpose::STANDARD.encode(bytes),
        "type": "base64"
    })
}

/// A PNG signature and IHDR chunk: all a size check reads.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    v
}

/// A JPEG SOI and SOF0 header.
pub(crate) fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&[
        0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9,
    ]);
    v
}

/// Two merchants besides the demo one, as a merchants file would have them.
pub(crate) const MERCHANTS_TOML: &str = r#"
[[merchant]]
merchant_serial_number = "654321"
client_id = "shop-two-id"
client_secret = "shop-two-secret"
subscription_key = "shop-two-key"

[[merchant]]
merchant_serial_number = 777777
client_id = "shop-three-id"
client_secret = "shop-three-secret"
subscription_key = "shop-three-key"
"#;
