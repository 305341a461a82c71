//! The console as a newcomer meets it (issue 12, items 12–17), through
//! the router (tower `oneshot`) on the in-process simulator: tables that
//! stack on a phone, the category preview with the order's receipt, a
//! failed delivery that leads with its cause and fix, the audit log's
//! contents and times, Norwegian without English leftovers, one sign for
//! returns, and the apps' colours.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{Amount, Category, CategoryType, Currency, OrderId, PaymentType, TaxRate};
use vipps_om_console::{ConsoleConfig, PasswordHasherConfig};

mod common;
use common::*;

/// An order in the simulator with a category and a receipt: two items,
/// one returned, in `currency`.
async fn order_with_receipt(env: &Env, id: &str, currency: Currency) {
    let client = env.sim.demo_client().unwrap();
    let order = OrderId::new(id).unwrap();
    client
        .categories()
        .set(
            &PaymentType::Ecom,
            &order,
            &Category::new(CategoryType::Delivery, "https://shop.example/t/9"),
        )
        .await
        .unwrap();
    let receipt = ReceiptBuilder::new(currency)
        .line(
            LineBuilder::new("sock-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .line(
            LineBuilder::new("cap-1", "Knitted cap")
                .unit_price(Amount::minor(19_900))
                .tax_rate(TaxRate::from_percent(25))
                .returned(),
        )
        .receipt_number("R-77")
        .build()
        .unwrap();
    client
        .receipts()
        .add(&PaymentType::Ecom, &order, &receipt)
        .await
        .unwrap();
}

fn get_lang(path: &str, cookie: &str, accept_language: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, accept_language)
        .body(Body::empty())
        .unwrap()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"))
        + start.len();
    let to = body[from..].find(end).map_or(body.len(), |e| from + e);
    &body[from..to]
}

// ------------------------------------------------------------ item 12

#[tokio::test]
async fn every_table_cell_names_its_column_for_the_phone_layout() {
    let env = env().await;
    order_with_receipt(&env, "order-tables", Currency::Nok).await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    for path in ["/order?order_id=order-tables&payment_type=ecom", "/audit"] {
        let page = send(&env.router, get(path, Some(&cookie))).await;
        assert_eq!(page.status, StatusCode::OK);
        let tables = page.body.matches("<table").count();
        assert!(tables > 0, "{path}");
        assert_eq!(
            page.body.matches("<table").count(),
            page.body.matches("stack").count().min(tables),
            "{path}: every table stacks on a phone"
        );
        for cell in page.body.split("<td").skip(1) {
            let open = &cell[..cell.find('>').unwrap()];
            assert!(
                open.contains("data-label=") || cell[open.len() + 1..].starts_with("</td>"),
                "{path}: a cell without its column's name: <td{open}>"
            );
        }
    }
}

// ------------------------------------------------------------ item 13

#[tokio::test]
async fn the_category_preview_shows_the_orders_receipt() {
    let env = env().await;
    order_with_receipt(&env, "order-preview", Currency::Nok).await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let review = send(
        &env.router,
        post_form(
            "/category/review",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("order_id", "order-preview"),
                ("payment_type", "ecom"),
                ("category", "RECEIPT"),
                ("url", "https://shop.example/o/77"),
                ("image_id", ""),
            ],
        ),
    )
    .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(
        !review.body.contains("No order details were sent"),
        "{}",
        review.body
    );
    assert!(review.body.contains("Wool socks"), "{}", review.body);
    assert!(review.body.contains(">R-77<"), "the receipt number");
    // The new button is previewed, the current one named.
    assert!(
        review.body.contains("app-button vipps\">Receipt<"),
        "{}",
        review.body
    );
    assert!(
        review.body.contains("Track delivery"),
        "the button it replaces"
    );
    // An order without details still says so.
    let bare = send(
        &env.router,
        post_form(
            "/category/review",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("order_id", "order-nothing"),
                ("payment_type", "ecom"),
                ("category", "RECEIPT"),
                ("url", "https://shop.example/o/78"),
                ("image_id", ""),
            ],
        ),
    )
    .await;
    assert!(bare.body.contains("No order details were sent"));
}

// ------------------------------------------------------------ item 14

#[tokio::test]
async fn a_failed_delivery_leads_with_its_cause_and_the_fix() {
    let env = env().await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    let page = send(
        &env.router,
        get(
            "/order?order_id=order-failed&payment_type=ecom",
            Some(&cookie),
        ),
    )
    .await;
    let article = between(&page.body, "class=\"job state-failed\"", "</article>");
    let cause = article.find("Why it failed").expect("the cause");
    let fix = article.find("What to do").expect("the fix");
    let api = article
        .find("What the API answered")
        .expect("the API's words");
    assert!(
        cause < fix && fix < api,
        "cause, fix, then the API: {article}"
    );
    assert!(
        between(article, "Why it failed", "</p>").contains("never uploaded")
            && between(article, "Why it failed", "</p>").contains("missing-logo"),
        "{article}"
    );
    // The upload form is one click away, filled in with the id.
    let href = "/image?order_id=order-failed&amp;payment_type=ecom&amp;image_id=missing-logo";
    assert!(article.contains(href), "{article}");
    assert!(
        page.body
            .contains(&format!("class=\"button\" href=\"{href}\"")),
        "the action button too"
    );
    let form = send(&env.router, get(&href.replace("&amp;", "&"), Some(&cookie))).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains("name=\"image_id\" value=\"missing-logo\""),
        "{}",
        form.body
    );
    // The retry page says it too: retrying before the upload fails again.
    let confirm = send(
        &env.router,
        get(&format!("/jobs/{}/retry", env.failed_job), Some(&cookie)),
    )
    .await;
    assert!(confirm.body.contains("never uploaded"), "{}", confirm.body);
    // The outbox knows the order: no hint about the other payment type.
    assert!(
        !page.body.contains("Check the payment type"),
        "{}",
        page.body
    );
    // Nothing at all known: the hint shows.
    let unknown = send(
        &env.router,
        get(
            "/order?order_id=order-unknown&payment_type=ecom",
            Some(&cookie),
        ),
    )
    .await;
    assert!(
        unknown.body.contains("Check the payment type"),
        "{}",
        unknown.body
    );
    // A viewer reads the cause but gets no upload button.
    let (viewer, _) = login(&env.router, "vi", VIEWER_PW).await;
    let seen = send(
        &env.router,
        get(
            "/order?order_id=order-failed&payment_type=ecom",
            Some(&viewer),
        ),
    )
    .await;
    assert!(seen.body.contains("never uploaded"));
    assert!(!seen.body.contains("upload-missing"));
}

// ------------------------------------------------------------ item 15

#[tokio::test]
async fn the_audit_log_has_changes_and_sign_ins_in_the_staffs_time_zone() {
    let env = env().await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    send(
        &env.router,
        get(
            "/order?order_id=order-failed&payment_type=ecom",
            Some(&cookie),
        ),
    )
    .await;
    let log = env.console.store().audit_log(None, 100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "login"));
    assert!(
        !log.iter().any(|e| e.action == "order.view"),
        "page views are off by default"
    );
    let audit = send(&env.router, get_lang("/audit", &cookie, "nb-NO,nb;q=0.9")).await;
    assert!(
        audit.body.contains("--audit-page-views"),
        "says how to turn them on"
    );
    assert!(
        audit.body.contains("<strong>Europe/Oslo</strong>"),
        "{}",
        audit.body
    );
    let when = between(&audit.body, "<td class=\"nowrap\"", "</td>");
    assert!(when.contains("<time datetime=\""), "{when}");
    assert!(when.contains(" UTC\">"), "UTC on hover: {when}");
    assert!(
        when.contains("CET<") || when.contains("CEST<"),
        "Oslo time: {when}"
    );
    // Short columns never break words at desktop width.
    let rows = audit.body.matches("<td class=\"outcome-").count();
    assert!(rows > 0);
    assert_eq!(
        audit.body.matches("<td class=\"nowrap\"").count(),
        4 * rows,
        "when, who, action and order"
    );
    // No region: UTC.
    let utc = send(&env.router, get_lang("/audit", &cookie, "en")).await;
    assert!(utc.body.contains("<strong>UTC</strong>"));
}

#[tokio::test]
async fn page_views_and_the_time_zone_are_settings() {
    let env = env_configured(
        ConsoleConfig {
            audit_page_views: true,
            time_zone: Some("Europe/Helsinki".into()),
            ..ConsoleConfig::default()
        },
        PasswordHasherConfig::insecure_for_tests().unwrap(),
    )
    .await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    send(
        &env.router,
        get(
            "/order?order_id=order-failed&payment_type=ecom",
            Some(&cookie),
        ),
    )
    .await;
    let log = env.console.store().audit_log(None, 100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "order.view"));
    let audit = send(&env.router, get_lang("/audit", &cookie, "nb-NO")).await;
    assert!(
        audit.body.contains("<strong>Europe/Helsinki</strong>"),
        "the setting wins"
    );
    assert!(!audit.body.contains("--audit-page-views"));
    assert!(audit.body.contains("EET<") || audit.body.contains("EEST<"));
    // A zone that does not exist is refused at start, by name.
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let outbox = vipps_om_outbox::Outbox::connect("sqlite::memory:")
        .await
        .unwrap();
    let refused = vipps_om_console::Console::new(
        outbox,
        sim.demo_client().unwrap(),
        PasswordHasherConfig::insecure_for_tests().unwrap(),
        ConsoleConfig {
            time_zone: Some("Europe/Atlantis".into()),
            ..ConsoleConfig::default()
        },
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("Europe/Atlantis"), "{refused}");
}

// ------------------------------------------------------------ item 16

#[tokio::test]
async fn bokmal_pages_have_no_english_labels_and_returns_are_negative() {
    let env = env().await;
    order_with_receipt(&env, "order-nb", Currency::Nok).await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    let page = send(
        &env.router,
        get_lang(
            "/order?order_id=order-nb&payment_type=ecom",
            &cookie,
            "nb-NO",
        ),
    )
    .await;
    let body = &page.body;
    assert!(body.contains("Spor leveransen"), "the button label: {body}");
    assert!(!body.contains("Track delivery"));
    assert!(body.contains("2 stk") && !body.contains(" pcs"), "units");
    // The return: the same sign as in the totals and the CLI.
    let returns = between(body, "<caption>Returer</caption>", "</table>");
    assert!(returns.contains(">-199,00\u{a0}kr<"), "{returns}");
    let failed = send(
        &env.router,
        get_lang(
            "/order?order_id=order-failed&payment_type=ecom",
            &cookie,
            "nb-NO",
        ),
    )
    .await;
    assert!(failed.body.contains("kategori (v2)"), "the job kind");
    assert!(!failed.body.contains("category (v2)"));
    assert!(failed.body.contains("Hvorfor den feilet"));
    let form = send(
        &env.router,
        get_lang(
            "/category?order_id=order-nb&payment_type=ecom",
            &cookie,
            "nb",
        ),
    )
    .await;
    for english in [
        "Order details (",
        "Receipt (",
        "Order confirmation",
        "Track delivery",
        "Ticket",
        "Booking (",
    ] {
        assert!(!form.body.contains(english), "{english} in {}", form.body);
    }
    assert!(form.body.contains("Kvittering (RECEIPT)"));
}

// ------------------------------------------------------------ item 17

#[tokio::test]
async fn the_preview_uses_the_colour_of_the_app_the_customer_has() {
    let env = env().await;
    order_with_receipt(&env, "order-no", Currency::Nok).await;
    order_with_receipt(&env, "order-dk", Currency::Dkk).await;
    order_with_receipt(&env, "order-fi", Currency::Eur).await;
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let button = |body: &str| between(body, "<div class=\"button-preview\"", "</div>").to_owned();
    let no = send(
        &env.router,
        get("/order?order_id=order-no&payment_type=ecom", Some(&cookie)),
    )
    .await;
    assert!(
        button(&no.body).contains("app-button vipps")
            && button(&no.body).contains("in the Vipps app")
    );
    for id in ["order-dk", "order-fi"] {
        let page = send(
            &env.router,
            get(
                &format!("/order?order_id={id}&payment_type=ecom"),
                Some(&cookie),
            ),
        )
        .await;
        let b = button(&page.body);
        assert!(
            b.contains("app-button mobilepay") && b.contains("in the MobilePay app"),
            "{id}: {b}"
        );
    }
    assert!(!no.body.contains("<img"), "no logos");
}
