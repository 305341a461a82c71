//! Partner keys: one token for every linked merchant, 403 for a merchant
//! not linked (or none named), data isolated per MSN whoever writes it,
//! through real HTTP and through the client library's `PartnerClient`.

use std::sync::Arc;

use reqwest::Method;
use vipps_om::{ErrorKind, MerchantSerialNumber, OrderId, PaymentType};
use vipps_om_sim::{Fault, Partner, Route, Simulator};

use crate::support::{Api, SetHeader, receipt, send};

const PARTNER_TOML: &str = r#"
[[merchant]]
merchant_serial_number = "654321"
client_id = "own-id"
client_secret = "own-secret"
subscription_key = "own-key"

[[partner]]
name = "acme"
client_id = "acme-id"
client_secret = "acme-secret"
subscription_key = "acme-key"
merchants = ["111111", "222222", "654321"]
"#;

async fn partner_sim() -> Api {
    Api::start_with(
        Simulator::builder()
            .merchants_toml(PARTNER_TOML)
            .build()
            .expect("valid"),
    )
    .await
}

async fn partner_token(api: &Api) -> String {
    let resp = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", "acme-id")
            .header("client_secret", "acme-secret")
            .header("Ocp-Apim-Subscription-Key", "acme-key"),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    resp.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

fn as_partner(api: &Api, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    api.bare(method, path)
        .header("Authorization", format!("Bearer {token}"))
        .header("Ocp-Apim-Subscription-Key", "acme-key")
        .header("Vipps-System-Name", "acme")
}

#[tokio::test]
async fn a_partner_token_acts_for_linked_merchants_only() {
    let api = partner_sim().await;
    let token = partner_token(&api).await;
    let path = "/order-management/v2/ecom/receipts/p-1";
    for msn in ["111111", "222222", "654321"] {
        let resp = send(
            as_partner(&api, Method::POST, path, &token)
                .header("Merchant-Serial-Number", msn)
                .json(&receipt()),
        )
        .await;
        assert_eq!(resp.status, 201, "{msn}: {}", resp.text);
        assert!(api.sim.used_partner_keys(msn));
    }
    assert!(!api.sim.used_partner_keys("123456"));

    // The demo merchant is not linked to acme: 403 saying so.
    let resp = send(
        as_partner(&api, Method::POST, path, &token)
            .header("Merchant-Serial-Number", "123456")
            .json(&receipt()),
    )
    .await;
    assert_eq!(resp.status, 403, "{}", resp.text);
    assert_eq!(
        resp.body["title"], "Forbidden",
        "problem details: {}",
        resp.text
    );
    let detail = resp.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("\"123456\" is not linked to these partner keys"),
        "{detail}"
    );

    // No MSN at all: 403 naming the header.
    let resp = send(as_partner(
        &api,
        Method::GET,
        "/order-management/v2/ecom/p-1",
        &token,
    ))
    .await;
    assert_eq!(resp.status, 403, "{}", resp.text);
    assert!(
        resp.text
            .contains("Merchant-Serial-Number header is required"),
        "{}",
        resp.text
    );

    // A partner token with a merchant's subscription key is refused (401).
    let resp = send(
        api.bare(Method::GET, "/order-management/v2/ecom/p-1")
            .header("Authorization", format!("Bearer {token}"))
            .header("Ocp-Apim-Subscription-Key", "own-key")
            .header("Merchant-Serial-Number", "654321"),
    )
    .await;
    assert_eq!(resp.status, 401);

    // A wrong partner secret is the token service's 401, secret not echoed.
    let resp = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", "acme-id")
            .header("client_secret", "wrong-secret")
            .header("Ocp-Apim-Subscription-Key", "acme-key"),
    )
    .await;
    assert_eq!(resp.status, 401);
    assert!(!resp.text.contains("wrong-secret"));
    let counters = api.sim.counters();
    assert_eq!(counters.partner_token_requests_for("acme"), 2);
    assert_eq!(counters.partner_tokens_issued.get("acme"), Some(&1));
}

#[tokio::test]
async fn data_written_by_a_partner_stays_with_its_merchant() {
    let api = partner_sim().await;
    let token = partner_token(&api).await;
    let resp = send(
        as_partner(
            &api,
            Method::POST,
            "/order-management/v2/ecom/receipts/same",
            &token,
        )
        .header("Merchant-Serial-Number", "111111")
        .json(&receipt()),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    // The same partner acting for another merchant sees nothing.
    let resp = send(
        as_partner(&api, Method::GET, "/order-management/v2/ecom/same", &token)
            .header("Merchant-Serial-Number", "222222"),
    )
    .await;
    assert_eq!(resp.status, 404, "{}", resp.text);
    // The merchant with own keys and the partner share 654321's data.
    let own = api.sim.merchant("654321").cloned().expect("merchant");
    let own_token = crate::support::token(&api.http, api.sim.base_url(), &own).await;
    let resp = send(
        api.as_merchant(
            Method::POST,
            "/order-management/v2/ecom/receipts/shared",
            &own,
            &own_token,
        )
        .json(&receipt()),
    )
    .await;
    assert_eq!(resp.status, 201);
    let resp = send(
        as_partner(
            &api,
            Method::GET,
            "/order-management/v2/ecom/shared",
            &token,
        )
        .header("Merchant-Serial-Number", "654321"),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert!(
        api.sim
            .order("111111", &PaymentType::Ecom, "same")
            .is_some()
    );
    assert!(
        api.sim
            .order("222222", &PaymentType::Ecom, "same")
            .is_none()
    );
    assert!(
        api.sim
            .order("123456", &PaymentType::Ecom, "same")
            .is_none()
    );
    // A merchant listed only under a partner has no keys of its own.
    assert!(!api.sim.merchant("111111").expect("exists").has_own_keys());
    // Faults aimed at one merchant hit the partner's calls for it only.
    api.sim
        .inject_fault(Fault::status(Route::GetOrder, 503).for_merchant("222222"))
        .expect("injected");
    let resp = send(
        as_partner(&api, Method::GET, "/order-management/v2/ecom/same", &token)
            .header("Merchant-Serial-Number", "111111"),
    )
    .await;
    assert_eq!(resp.status, 200);
    let resp = send(
        as_partner(&api, Method::GET, "/order-management/v2/ecom/same", &token)
            .set("Merchant-Serial-Number", "222222"),
    )
    .await;
    assert_eq!(resp.status, 503);
}

/// 100 merchants, 10 concurrent calls each, through one `PartnerClient`:
/// the simulator counts exactly one token request.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_partner_token_serves_a_hundred_merchants() {
    let msns: Vec<String> = (0..100).map(|i| format!("{}", 500_000 + i)).collect();
    let listed: Vec<&str> = msns.iter().map(String::as_str).collect();
    let config = Simulator::builder()
        .partner(Partner::new("big", "big-id", "big-secret", "big-key", &listed).expect("partner"))
        .build()
        .expect("valid");
    let sim = vipps_om_sim::spawn(config).await.expect("spawned");
    let partner = Arc::new(
        sim.partner_client("big")
            .expect("configured")
            .expect("builds"),
    );
    let mut tasks = Vec::new();
    for msn in &msns {
        let client = partner.merchant(&MerchantSerialNumber::new(msn.as_str()).expect("msn"));
        for call in 0..10 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let order = OrderId::new(format!("o-{call}")).expect("id");
                client.orders().get(&PaymentType::Ecom, &order).await
            }));
        }
    }
    for task in tasks {
        let result = task.await.expect("task");
        // Nothing stored: every call reached the API and got its 404.
        assert!(
            matches!(result, Err(ref e) if e.status() == Some(404)),
            "{result:?}"
        );
    }
    let counters = sim.counters();
    assert_eq!(counters.total(Route::AccessToken), 1, "{counters:?}");
    assert_eq!(counters.partner_token_requests_for("big"), 1);
    assert_eq!(counters.total(Route::GetOrder), 1000);
    assert!(sim.used_partner_keys("500042"));
}

#[tokio::test]
async fn the_library_names_an_unlinked_sales_unit_and_the_fix() {
    let api = partner_sim().await;
    let partner = api
        .sim
        .partner_client("acme")
        .expect("acme")
        .expect("builds");
    let client = partner.merchant(&MerchantSerialNumber::new("123456").expect("msn"));
    assert!(client.uses_partner_keys());
    let error = client
        .orders()
        .get(&PaymentType::Ecom, &OrderId::new("o-1").expect("id"))
        .await
        .expect_err("not linked");
    assert_eq!(
        error.kind(),
        ErrorKind::PartnerNotLinked {
            merchant_serial_number: "123456".into()
        }
    );
    let text = error.to_string();
    assert!(
        text.contains("these partner keys are not linked to sales unit 123456: link it in the partner portal, or use the merchant's own keys"),
        "{text}"
    );
    assert!(!text.contains("acme-secret") && !text.contains("acme-key"));
    // A linked merchant works with the same token.
    let linked = partner.merchant(&MerchantSerialNumber::new("111111").expect("msn"));
    let order = OrderId::new("o-2").expect("id");
    let receipt: vipps_om::Receipt = serde_json::from_value(receipt()).expect("receipt");
    linked
        .receipts()
        .add(&PaymentType::Ecom, &order, &receipt)
        .await
        .expect("stored");
    assert!(
        api.sim
            .receipt("111111", &PaymentType::Ecom, "o-2")
            .is_some()
    );
    assert_eq!(api.sim.counters().partner_token_requests_for("acme"), 1);
}

/// The checklist grades a merchant reached with partner keys as a partner
/// integration (the Vipps headers are mandatory there), without being told.
#[tokio::test]
async fn the_checklist_grades_calls_made_with_partner_keys_as_a_partner_integration() {
    let config = Simulator::builder()
        .partner(Partner::new("p", "p-id", "p-secret", "p-key", &["777777"]).expect("partner"))
        .build()
        .expect("valid");
    let sim = vipps_om_sim::spawn(config).await.expect("spawned");
    let partner = sim
        .partner_client("p")
        .expect("configured")
        .expect("builds");
    let client = partner.merchant(&MerchantSerialNumber::new("777777").expect("msn"));
    let order = OrderId::new("p-order").expect("id");
    let _ = client.orders().get(&PaymentType::Ecom, &order).await;
    let report: serde_json::Value = reqwest::get(format!(
        "{}/_sim/checklist?msn=777777&links=skip",
        sim.base_url()
    ))
    .await
    .expect("checklist")
    .json()
    .await
    .expect("json");
    assert_eq!(report["reports"][0]["partner"], true, "{report:#}");
    sim.shutdown().await.expect("stopped");
}
