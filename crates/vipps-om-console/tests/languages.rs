//! The console in its five languages (issue 17), through the router on the
//! in-process simulator: every page in English, bokmål, Danish, Finnish
//! and Swedish with `<html lang>` set and no English left over, the switch
//! offering all five, amounts and dates in each language's format, the
//! library's explanations in the staff's language, and the status text
//! staff copy for the customer in the customer's language.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{Amount, Category, CategoryType, Currency, OrderId, PaymentType, TaxRate};
use vipps_om_outbox::NewJob;

mod common;
use common::*;

const LANGS: [&str; 5] = ["en", "nb", "da", "fi", "sv"];

/// "Sign out" in each language of [`LANGS`].
const SIGN_OUT: [&str; 5] = ["Sign out", "Logg ut", "Log ud", "Kirjaudu ulos", "Logga ut"];

/// English labels that must not show on a page in another language.
const ENGLISH: &[&str] = &[
    ">Sign out<",
    ">Find order<",
    ">Audit log<",
    "Deliveries from the outbox",
    "Why it failed",
    "What to do",
    "Status for the customer",
    "Signed in as",
    ">Show order<",
    "Times are shown in",
    "Yes, do it",
    ">Review<",
    "Upload an image",
    "What needs attention",
    "Failed deliveries, by reason",
    "Deliveries still on their way",
    ">All deliveries<",
    "Rows per page",
    "Show the numbers as a table",
    "Retry the ticked jobs",
    "failed jobs will be sent again",
    "Each is retried as from",
];

/// An order in the simulator with a category and a receipt of 2 × 149,00
/// (one 199,00 item returned), in `currency`.
async fn order_with_receipt(env: &Env, id: &str, currency: Currency) {
    let client = env.sim.demo_client().unwrap();
    let order = OrderId::new(id).unwrap();
    client
        .categories()
        .set(
            &PaymentType::Ecom,
            &order,
            &Category::new(CategoryType::Receipt, "https://shop.example/o/5"),
        )
        .await
        .unwrap();
    let receipt = ReceiptBuilder::new(currency)
        .line(
            LineBuilder::new("tv-1", "Television")
                .unit_price(Amount::minor(1_234_550))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .line(
            LineBuilder::new("cap-1", "Knitted cap")
                .unit_price(Amount::minor(19_900))
                .tax_rate(TaxRate::from_percent(25))
                .returned(),
        )
        .build()
        .unwrap();
    client
        .receipts()
        .add(&PaymentType::Ecom, &order, &receipt)
        .await
        .unwrap();
}

fn get_in(path: &str, cookie: Option<&str>, lang: &str) -> Request<Body> {
    let cookie = match cookie {
        Some(c) => format!("{c}; console_lang={lang}"),
        None => format!("console_lang={lang}"),
    };
    Request::get(path)
        .header(header::COOKIE, cookie)
        // The cookie wins over the browser's language.
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .body(Body::empty())
        .unwrap()
}

/// The text of the element with `id` (up to its closing tag).
fn element<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let from = start + body[start..].find('>').unwrap() + 1;
    let to = from + body[from..].find("</").unwrap();
    &body[from..to]
}

#[tokio::test]
async fn every_page_renders_in_each_language_with_html_lang_and_no_english_left() {
    let env = env().await;
    order_with_receipt(&env, "order-lang", Currency::Nok).await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let pages = [
        "/".to_owned(),
        "/jobs".to_owned(),
        "/jobs?state=failed".to_owned(),
        "/order?order_id=order-lang&payment_type=ecom".to_owned(),
        "/order?order_id=order-failed&payment_type=ecom".to_owned(),
        "/audit".to_owned(),
        "/category?order_id=order-lang&payment_type=ecom".to_owned(),
        "/image?order_id=order-lang&payment_type=ecom".to_owned(),
        format!("/jobs/{}/retry", env.failed_job),
        "/no-such-page".to_owned(),
    ];
    for (i, lang) in LANGS.iter().enumerate() {
        let signin = send(&env.router, get_in("/login", None, lang)).await;
        assert_eq!(signin.status, StatusCode::OK);
        assert!(
            signin.body.contains(&format!("<html lang=\"{lang}\">")),
            "{lang}: {}",
            signin.body
        );
        for path in &pages {
            let page = send(&env.router, get_in(path, Some(&cookie), lang)).await;
            assert!(
                page.status == StatusCode::OK || path == "/no-such-page",
                "{lang} {path}: {}",
                page.status
            );
            let body = &page.body;
            assert!(
                body.contains(&format!("<html lang=\"{lang}\">")),
                "{lang} {path}"
            );
            assert!(body.contains(SIGN_OUT[i]), "{lang} {path}: {body}");
            // The switch offers all five; the current one is not a link.
            for other in LANGS {
                let link = format!("href=\"/lang/{other}?back=");
                assert_eq!(
                    body.contains(&link),
                    other != *lang,
                    "{lang} {path}: {other}"
                );
            }
            assert!(body.contains("aria-current=\"true\""), "{lang} {path}");
            if *lang != "en" {
                for english in ENGLISH {
                    assert!(!body.contains(english), "{lang} {path}: {english}");
                }
            }
        }
        // The bulk retry's review (a form's answer, not a link).
        let review = send(
            &env.router,
            post_form(
                "/bulk/retry/review",
                Some(&format!("{cookie}; console_lang={lang}")),
                &[("csrf", &csrf), ("scope", "filter"), ("state", "failed")],
            ),
        )
        .await;
        assert_eq!(review.status, StatusCode::OK, "{lang}: {}", review.body);
        let body = &review.body;
        assert!(body.contains(&format!("<html lang=\"{lang}\">")), "{lang}");
        assert!(body.contains("<strong>1</strong>"), "{lang}: {body}");
        if *lang != "en" {
            for english in ENGLISH {
                assert!(!body.contains(english), "{lang} review: {english}");
            }
        }
    }
}

#[tokio::test]
async fn the_switch_sets_each_language_and_the_browser_chooses_without_it() {
    let env = env().await;
    for lang in LANGS {
        let switch = send(
            &env.router,
            get(&format!("/lang/{lang}?back=%2Flogin"), None),
        )
        .await;
        assert_eq!(switch.location(), "/login");
        assert_eq!(switch.cookie("console_lang").as_deref(), Some(lang));
    }
    for (accept, lang) in [
        ("da-DK,da;q=0.9,en;q=0.5", "da"),
        ("fi-FI", "fi"),
        ("sv-SE,sv;q=0.9", "sv"),
        ("de-DE,nn;q=0.5", "nb"),
    ] {
        let page = send(
            &env.router,
            Request::get("/login")
                .header(header::ACCEPT_LANGUAGE, accept)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn amounts_and_dates_follow_the_staffs_language() {
    let env = env().await;
    order_with_receipt(&env, "order-dkk", Currency::Dkk).await;
    order_with_receipt(&env, "order-eur", Currency::Eur).await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    // 2 × 12 345,50 − 199,00 = 24 492,00.
    for (lang, order, total, returned) in [
        ("en", "order-dkk", "DKK 24,492.00", "-DKK 199.00"),
        ("nb", "order-dkk", "24 492,00 DKK", "-199,00 DKK"),
        ("da", "order-dkk", "24.492,00 kr.", "-199,00 kr."),
        ("fi", "order-eur", "24 492,00 €", "-199,00 €"),
        ("sv", "order-eur", "24 492,00 €", "-199,00 €"),
        ("da", "order-eur", "24.492,00 €", "-199,00 €"),
    ] {
        let page = send(
            &env.router,
            get_in(
                &format!("/order?order_id={order}&payment_type=ecom"),
                Some(&cookie),
                lang,
            ),
        )
        .await;
        let nbsp = |s: &str| s.replace(' ', "\u{a0}");
        assert_eq!(element(&page.body, "order-total"), nbsp(total), "{lang}");
        assert!(
            page.body.contains(&format!(">{}<", nbsp(returned))),
            "{lang}: {returned}"
        );
    }
    // The failed delivery's time: 2025-… written as each language does.
    for (lang, pattern) in [
        ("en", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
        ("nb", r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d"),
        ("da", r"\d\d\.\d\d\.\d{4} \d\d\.\d\d\.\d\d"),
        ("fi", r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}\.\d\d\.\d\d"),
        ("sv", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
    ] {
        let page = send(
            &env.router,
            get_in(
                "/order?order_id=order-failed&payment_type=ecom",
                Some(&cookie),
                lang,
            ),
        )
        .await;
        let shown: Vec<&str> = page
            .body
            .split("<time ")
            .skip(1)
            .map(|t| &t[t.find('>').unwrap() + 1..t.find("</time>").unwrap()])
            .collect();
        assert!(!shown.is_empty(), "{lang}");
        for t in shown {
            assert!(matches_pattern(t, pattern), "{lang}: {t}");
        }
    }
}

/// Whether `text` starts with the simple pattern (`\d`, `\d{n}`,
/// `\d{a,b}`, `\.`, literal characters): enough for dates, no regex
/// crate needed.
fn matches_pattern(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut i, mut j) = (0, 0);
    while j < p.len() {
        if p[j] == '\\' && p.get(j + 1) == Some(&'d') {
            j += 2;
            let (min, max) = if p.get(j) == Some(&'{') {
                let end = j + p[j..].iter().position(|c| *c == '}').unwrap();
                let spec: String = p[j + 1..end].iter().collect();
                j = end + 1;
                match spec.split_once(',') {
                    Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                    None => (spec.parse().unwrap(), spec.parse().unwrap()),
                }
            } else {
                (1, 1)
            };
            let mut n = 0;
            while n < max && t.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
                n += 1;
            }
            if n < min {
                return false;
            }
        } else {
            let c = if p[j] == '\\' {
                j += 1;
                p[j]
            } else {
                p[j]
            };
            if t.get(i) != Some(&c) {
                return false;
            }
            i += 1;
            j += 1;
        }
    }
    true
}

#[tokio::test]
async fn the_customer_status_text_is_in_the_customers_language() {
    let env = env().await;
    order_with_receipt(&env, "order-in-app", Currency::Nok).await;
    // A category queued but not yet delivered.
    let msn = env
        .sim
        .demo_client()
        .unwrap()
        .merchant_serial_number()
        .clone();
    env.outbox
        .enqueue(
            &NewJob::category(
                &msn,
                &PaymentType::Ecom,
                &OrderId::new("order-waiting").unwrap(),
                &Category::new(CategoryType::Receipt, "https://shop.example/o/6"),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let status = |order: &str, lang: &str, customer: &str| {
        let path = format!(
            "/order?order_id={order}&payment_type=ecom{}",
            if customer.is_empty() {
                String::new()
            } else {
                format!("&customer_lang={customer}")
            }
        );
        let request = get_in(&path, Some(&cookie), lang);
        let router = env.router.clone();
        async move { send(&router, request).await }
    };
    // A NOK order: the customer's language is bokmål, whatever the
    // staff's; the staff's interface stays English.
    let page = status("order-in-app", "en", "").await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("Status for the customer"));
    assert!(
        page.body
            .contains("<textarea id=\"customer-text\" readonly")
    );
    assert!(page.body.contains("lang=\"nb\" data-status=\"Delivered\""));
    assert_eq!(
        element(&page.body, "customer-text"),
        "Ordredetaljene dine ligger nå i Vipps-appen. Åpne betalingen i appen for å se dem."
    );
    // Chosen on the page: Finnish for the customer, Swedish for the staff.
    let page = status("order-in-app", "sv", "fi").await;
    assert!(page.body.contains("<html lang=\"sv\">") && page.body.contains("Status till kunden"));
    assert_eq!(
        element(&page.body, "customer-text"),
        "Tilaustietosi ovat nyt Vipps-sovelluksessa. Avaa maksu sovelluksessa nähdäksesi ne."
    );
    // The links choose each language and come back to the text.
    for lang in ["en", "nb", "da", "sv"] {
        assert!(
            page.body.contains(&format!(
                "&amp;customer_lang={lang}#customer-status\" lang=\"{lang}\""
            )),
            "{lang}"
        );
    }
    // A delivery waiting: within a few minutes.
    let page = status("order-waiting", "en", "en").await;
    assert_eq!(
        element(&page.body, "customer-text"),
        "Your order details will appear in the Vipps app within a few minutes."
    );
    let page = status("order-waiting", "en", "da").await;
    assert_eq!(
        element(&page.body, "customer-text"),
        "Dine ordredetaljer dukker op i MobilePay-appen inden for få minutter."
    );
    // A failed delivery: staff are on it; nothing internal is said.
    let page = status("order-failed", "nb", "en").await;
    let text = element(&page.body, "customer-text");
    assert_eq!(
        text,
        "Your order details are not in the Vipps app yet. We are working on it, and you do not need to do anything."
    );
    // Nothing sent, nothing in the app.
    let page = status("order-unknown", "en", "sv").await;
    assert!(
        element(&page.body, "customer-text").starts_with("Dina orderuppgifter finns inte i"),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-status=\"NotSent\""));
}

#[tokio::test]
async fn the_apis_failure_is_explained_in_the_staffs_language() {
    use vipps_om_sim::{Fault, Route};
    let env = env().await;
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    for (lang, said) in [
        ("en", "Vipps MobilePay answered 418"),
        ("nb", "Vipps MobilePay svarte 418"),
        ("da", "Vipps MobilePay svarede 418"),
        ("fi", "Vipps MobilePay vastasi 418"),
        ("sv", "Vipps MobilePay svarade 418"),
    ] {
        env.sim
            .inject_fault(Fault::status(Route::GetOrder, 418).times(1))
            .unwrap();
        let page = send(
            &env.router,
            get_in(
                "/order?order_id=order-teapot&payment_type=ecom",
                Some(&cookie),
                lang,
            ),
        )
        .await;
        assert!(page.body.contains(said), "{lang}: {}", page.body);
    }
}

#[tokio::test]
async fn a_limit_is_named_in_a_whole_sentence_of_each_language() {
    let env = env().await;
    let path = format!("/login?next={}", "a".repeat(9_000));
    for (lang, said) in [
        ("en", "The address (URL) is too long: at most 8192 bytes."),
        ("nb", "Adressen (URL-en) er for lang: høyst 8192 byte."),
        ("da", "Adressen (URL'en) er for lang: højst 8192 byte."),
        ("fi", "Osoite (URL) on liian pitkä: enintään 8192 tavua."),
        ("sv", "Adressen (URL:en) är för lång: högst 8192 byte."),
    ] {
        let reply = send(&env.router, get_in(&path, None, lang)).await;
        assert_eq!(reply.status, StatusCode::URI_TOO_LONG, "{lang}");
        assert!(reply.body.contains(said), "{lang}: {}", reply.body);
    }
}
