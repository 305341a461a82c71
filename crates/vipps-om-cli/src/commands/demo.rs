//! `vipps-om demo`: the whole merchant flow on an embedded simulator, step
//! by step, ending with the order as the customer sees it and two things
//! going wrong with their messages. Needs no credentials and no network.

use std::time::Instant;

use serde_json::{Value, json};
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::summary::OrderSummary;
use vipps_om::{
    Amount, BarcodeFormat, Category, CategoryType, Client, Credentials, Currency, Delivered, Image,
    ImageId, MerchantSerialNumber, OrderId, PaymentSources, PaymentType, QuantityUnit, TaxRate,
    Total,
};

use super::{Context, write_stdout};
use crate::failure::Failure;
use crate::render;
use crate::style::{Style, clean};

/// The demo's logo: a 256×256 PNG (Vipps orange with a ring).
const LOGO: &[u8] = include_bytes!("../../assets/demo-logo.png");

/// Prints one line of the demo (quietly stops when stdout is closed).
fn say(text: impl AsRef<str>) {
    write_stdout(format!("{}\n", text.as_ref()).as_bytes());
}

/// Runs the demo.
pub(crate) async fn run(ctx: &Context) -> Result<(), Failure> {
    // Strict mode: the demo's API failure names the same fields as the
    // local validation before it (the default mode refuses only what
    // production is documented to refuse).
    let config = vipps_om_sim::Simulator::builder()
        .strict(true)
        .build()
        .map_err(|e| Failure::usage(format!("could not configure the embedded simulator: {e}")))?;
    let sim = vipps_om_sim::spawn(config)
        .await
        .map_err(|e| Failure::usage(format!("could not start the embedded simulator: {e}")))?;
    let result = flow(ctx, sim.base_url()).await;
    if let Err(e) = sim.shutdown().await {
        // The demo's work is done; a failed stop only matters to logs.
        tracing::warn!(error = %e, "the embedded simulator did not stop cleanly");
    }
    result
}

struct Steps<'a> {
    style: &'a Style,
    json: bool,
    log: Vec<Value>,
    text: String,
}

impl Steps<'_> {
    fn step(&mut self, n: usize, title: &str, detail: String, started: Instant) {
        let ms = started.elapsed().as_millis();
        if self.json {
            self.log
                .push(json!({"step": n, "title": title, "detail": detail, "ms": ms}));
        } else {
            let line = format!(
                "{} {title} {}\n      {}\n",
                self.style.ok(&format!("[{n}]")),
                self.style.dim(&format!("({ms} ms)")),
                clean(&detail)
            );
            write_stdout(line.as_bytes());
            self.text.push_str(&line);
        }
    }
}

async fn flow(ctx: &Context, base_url: &str) -> Result<(), Failure> {
    let style = ctx.style;
    let mut steps = Steps {
        style: &style,
        json: ctx.json,
        log: Vec::new(),
        text: String::new(),
    };
    if !ctx.json {
        say(style.heading("Vipps MobilePay Order Management: demo on the embedded simulator"));
        say(format!(
            "Simulator at {base_url}, demo merchant Merchant-Serial-Number 123456\n"
        ));
    }
    let msn = MerchantSerialNumber::new("123456").map_err(|e| Failure::usage(e.to_string()))?;
    let client = Client::builder()
        .base_url(base_url)
        .credentials(Credentials::new(
            "demo-client-id",
            "demo-client-secret",
            "demo-subscription-key",
            msn,
        ))
        .build()?;
    let payment_type = PaymentType::Ecom;
    let order_id = OrderId::new(format!("demo-{}", std::process::id()))
        .map_err(|e| Failure::usage(e.to_string()))?;

    let t = Instant::now();
    let token = client.token_info().await?;
    steps.step(
        1,
        "Access token",
        format!(
            "fetched for MSN {}, valid {} s (the token itself is never printed)",
            token.merchant_serial_number,
            token.lifetime.as_secs()
        ),
        t,
    );

    let t = Instant::now();
    let image_id = ImageId::from_content(LOGO);
    let outcome = client
        .images()
        .upload(&Image::from_bytes(image_id.clone(), LOGO))
        .await?;
    let verb = if matches!(outcome, Delivered::Created(_)) {
        "uploaded"
    } else {
        "already there"
    };
    steps.step(2, "Image", format!("256×256 PNG {verb} as {image_id}"), t);

    let t = Instant::now();
    let category = Category::new(
        CategoryType::Receipt,
        format!("https://shop.example/orders/{order_id}"),
    )
    .with_image_id(image_id);
    client
        .categories()
        .set(&payment_type, &order_id, &category)
        .await?;
    steps.step(
        3,
        "Category",
        format!(
            "the payment now shows the button [{}] → {}",
            category.category.button_label(),
            category.order_details_url
        ),
        t,
    );

    let t = Instant::now();
    let receipt = ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-socks", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25))
                .product_url("https://shop.example/p/socks"),
        )
        .line(
            LineBuilder::new("sku-coffee", "Coffee beans")
                .unit_price(Amount::minor(25_900))
                .quantity("0.5")
                .unit(QuantityUnit::Kg)
                .tax_rate(TaxRate::from_percent(15)),
        )
        .line(
            LineBuilder::new("sku-cap", "Cap (returned)")
                .unit_price(Amount::minor(19_900))
                .tax_rate(TaxRate::from_percent(25))
                .returned(),
        )
        .shipping(
            "Home delivery",
            Amount::minor(9_900),
            TaxRate::from_percent(25),
        )
        .receipt_number("10042")
        .barcode(BarcodeFormat::Code128, "10042")
        .payment_sources(PaymentSources::default().with_card(Amount::minor(32_750)))
        .expect_payment(Amount::minor(32_750))
        .build()
        .map_err(|report| Failure::invalid("the demo receipt", &report))?;
    client
        .receipts()
        .add(&payment_type, &order_id, &receipt)
        .await?;
    steps.step(
        4,
        "Order details",
        format!(
            "{} lines sent, total {}",
            receipt.order_lines.len(),
            Total::from_checked(receipt.total()).display(&Currency::Nok)
        ),
        t,
    );

    let t = Instant::now();
    let order = client.orders().get(&payment_type, &order_id).await?;
    let summary = OrderSummary::new(&order);
    steps.step(
        5,
        "Read back",
        "the order as the customer sees it in the app:".into(),
        t,
    );
    if !ctx.json {
        let rendered = render::order(&order_id, &payment_type, &summary, &style);
        for line in rendered.lines() {
            say(format!("      {line}"));
        }
        say("");
    }

    // Two things going wrong, as staff would see them.
    let t = Instant::now();
    let mut broken = receipt.clone();
    broken.order_lines[0].total_tax_amount = Amount::minor(0);
    if let Some(info) = broken.order_lines[1].unit_info.as_mut() {
        info.quantity = "0,5".into();
    }
    broken.bottom_line.currency = Currency::Unknown("NKR".into());
    let invalid_order =
        OrderId::new(format!("{order_id}-b")).map_err(|e| Failure::usage(e.to_string()))?;
    let local = client
        .receipts()
        .add(&payment_type, &invalid_order, &broken)
        .await
        .err();
    let api = client
        .receipts()
        .without_validation()
        .add(&payment_type, &invalid_order, &broken)
        .await
        .err();
    let problems =
        |e: &Option<vipps_om::Error>| e.as_ref().map(|e| e.field_problems()).unwrap_or_default();
    steps.step(
        6,
        "An invalid receipt",
        "stopped before sending (local validation), and what the API answers when sent anyway:"
            .into(),
        t,
    );
    if !ctx.json {
        for (who, list) in [
            ("local validation", problems(&local)),
            ("API (400)", problems(&api)),
        ] {
            say(format!("      {}", style.strong(who)));
            for (path, reason) in list {
                say(format!(
                    "        {} {}: {}",
                    style.fail("✗"),
                    clean(&path),
                    clean(&reason)
                ));
            }
        }
        say("");
    }

    let t = Instant::now();
    let again = client
        .receipts()
        .add(&payment_type, &order_id, &receipt)
        .await
        .err();
    let message = again
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "unexpectedly accepted".into());
    steps.step(7, "A second receipt for the same order", message.clone(), t);
    if !ctx.json {
        if let Some(e) = &again {
            say(format!(
                "      customer sees: {}\n",
                clean(e.customer_message())
            ));
        }
        say(style.ok("Done. Try it yourself on a simulator that keeps running:"));
        say(try_it_yourself());
    } else {
        say(format!(
            "{}",
            json!({
                "baseUrl": base_url, "orderId": order_id, "steps": steps.log, "order": order, "summary": summary,
                "invalidReceipt": {"local": problems(&local), "api": problems(&api)},
                "secondReceipt": message,
            })
        ));
    }
    Ok(())
}

/// The demo's last hint: commands that work as written, one per line
/// (comments after `#`): start the simulator, point `vipps-om` at it as
/// the demo merchant (the block `vipps-om sim` prints too), and send and
/// read an order of one's own.
fn try_it_yourself() -> String {
    use vipps_om_sim::config::{
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_MSN, DEMO_SUBSCRIPTION_KEY,
    };
    let base_url = format!("http://{}", super::sim::DEFAULT_LISTEN);
    format!(
        "  vipps-om sim   # in a second terminal; it listens on {base_url} until Ctrl-C\n{}  vipps-om category set my-order-1 --category RECEIPT --url https://shop.example/orders/1\n  vipps-om order get my-order-1",
        super::sim::export_block(
            &base_url,
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            DEMO_SUBSCRIPTION_KEY,
            DEMO_MSN
        )
    )
}
