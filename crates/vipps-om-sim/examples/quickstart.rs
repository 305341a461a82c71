//! The whole Order Management flow in one page: image, category, receipt,
//! read back.
//!
//! Runs against the embedded simulator unless `VIPPS_BASE_URL` is set, in
//! which case the `VIPPS_*` environment variables configure the client
//! (e.g. start `vipps-om sim` in another terminal and point at it).
//!
//! ```sh
//! cargo run --example quickstart -p vipps-om-sim
//! ```

use std::fmt::Write as _;

use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::summary::{LineSummary, OrderSummary};
use vipps_om::{
    Amount, Category, CategoryType, Client, Currency, Delivered, Error, Image, OrderId,
    PaymentType, TaxRate,
};

/// A 200×200 PNG header is all the size check reads; the simulator stores
/// the bytes as sent.
fn logo() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&200u32.to_be_bytes());
    v.extend_from_slice(&200u32.to_be_bytes());
    v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    v
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, sim) = if std::env::var_os("VIPPS_BASE_URL").is_some() {
        (Client::from_env()?, None)
    } else {
        let sim = vipps_om_sim::spawn_default().await?;
        println!("embedded simulator at {}", sim.base_url());
        (sim.demo_client()?, Some(sim))
    };

    let order = OrderId::new(format!("quickstart-{}", std::process::id()))?;
    let payment_type = PaymentType::Ecom;

    // 1. An image, with an id derived from its bytes: re-running is safe.
    let image = Image::from_bytes_with_content_id(&logo());
    match client.images().upload(&image).await {
        Ok(Delivered::Created(_)) | Ok(Delivered::AlreadyPresent) => {
            println!("image {}", image.image_id)
        }
        Err(Error::ImageAlreadyExists { .. }) => {
            println!("image {} (uploaded earlier)", image.image_id)
        }
        Err(e) => return Err(e.into()),
    }

    // 2. The link button on the payment.
    let category = Category::new(
        CategoryType::Receipt,
        format!("https://shop.example/orders/{order}"),
    )
    .with_image_id(image.image_id.clone());
    client
        .categories()
        .set(&payment_type, &order, &category)
        .await?;
    println!("category set: [{}]", category.category.button_label());

    // 3. Order details, computed from unit prices and tax rates.
    let receipt = ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .shipping(
            "Home delivery",
            Amount::minor(9_900),
            TaxRate::from_percent(25),
        )
        .expect_payment(Amount::minor(39_700))
        .build()
        .map_err(Error::Validation)?;
    client
        .receipts()
        .add(&payment_type, &order, &receipt)
        .await?;
    println!(
        "receipt sent: {}",
        vipps_om::Total::from_checked(receipt.total()).display(&Currency::Nok)
    );

    // 4. Read back what the app shows, as a customer reads it.
    let shown = client.orders().get(&payment_type, &order).await?;
    print!("{}", as_shown(&order, &OrderSummary::new(&shown)));

    // 5. A second receipt for the same payment is refused, with a clear message.
    if let Err(e) = client.receipts().add(&payment_type, &order, &receipt).await {
        println!("second receipt: {e}");
    }

    if let Some(sim) = sim {
        sim.shutdown().await?;
    }
    Ok(())
}

/// The order as the app shows it: the button, the lines, the totals.
fn as_shown(order: &OrderId, summary: &OrderSummary) -> String {
    let mut out = format!("\norder {order} in the app:\n");
    match &summary.category {
        Some(button) => {
            let _ = writeln!(out, "  button   [{}] → {}", button.label, button.url);
            if let Some(image) = &button.image_id {
                let _ = writeln!(out, "  image    {image}");
            }
        }
        None => out.push_str("  no button\n"),
    }
    let Some(receipt) = &summary.receipt else {
        out.push_str("  no order details\n");
        return out;
    };
    let currency = &receipt.currency;
    let line = |out: &mut String, l: &LineSummary, sign: &str| {
        let rate = l
            .tax_rate
            .map(|r| format!(" ({r} VAT)"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} × {:<20} {sign}{}{rate}",
            l.quantity,
            l.name,
            l.total.display(currency)
        );
    };
    for l in &receipt.items {
        line(&mut out, l, "");
    }
    for l in &receipt.shipping {
        line(&mut out, l, "");
    }
    for l in &receipt.returns {
        line(&mut out, l, "−");
    }
    let _ = writeln!(
        out,
        "  total    {} (of which VAT {})",
        receipt.amount_paid.display(currency),
        receipt.total_tax.display(currency)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vipps_om::{OrderV2Response, Receipt};

    #[test]
    fn the_order_is_printed_as_the_app_shows_it_not_as_debug() {
        let receipt: Receipt = ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("sku-1", "Wool socks")
                    .unit_price(Amount::minor(14_900))
                    .quantity("2")
                    .tax_rate(TaxRate::from_percent(25)),
            )
            .build()
            .unwrap();
        let mut order = OrderV2Response::default();
        order.category = Some(Category::new(
            CategoryType::Receipt,
            "https://shop.example/orders/1",
        ));
        order.receipt = Some(receipt);
        let id = OrderId::new("o-1").unwrap();
        let text = as_shown(&id, &OrderSummary::new(&order));
        assert!(
            text.contains("button   [Receipt] → https://shop.example/orders/1"),
            "{text}"
        );
        assert!(text.contains("2 × Wool socks"), "{text}");
        assert!(text.contains("298,00 kr (25 % VAT)"), "{text}");
        assert!(!text.contains("Some("), "{text}");
    }
}
