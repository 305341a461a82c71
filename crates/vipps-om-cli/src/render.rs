//! Text rendering of an order for people: the category button, the lines
//! grouped as the app groups them, totals per tax rate, and the receipt's
//! details. The numbers come from [`vipps_om::summary::OrderSummary`], so
//! the CLI and the support console never disagree.
//!
//! Every piece of text that came from the API passes through
//! [`clean`] on its way into the output (a hostile order must not retitle
//! or recolour the terminal); only this module's own layout adds line
//! breaks and colour. A sum too large to compute shows
//! [`vipps_om::Total::OVERFLOW_MARKER`] instead of a number.

use std::fmt::Write as _;

use vipps_om::summary::{LineSummary, OrderSummary, ReceiptSummary};
use vipps_om::{Amount, Currency, OrderId, PaymentType, Total};

use crate::style::{Style, clean};

/// Longest product name shown before it is shortened with `…`.
const NAME_WIDTH: usize = 32;

/// The whole order as text.
pub(crate) fn order(
    order_id: &OrderId,
    payment_type: &PaymentType,
    summary: &OrderSummary,
    style: &Style,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.heading(&clean(&format!("Order {order_id} ({payment_type})")))
    );
    out.push('\n');
    match &summary.category {
        Some(button) => {
            let _ = writeln!(
                out,
                "Category    {} ({})",
                style.strong(&clean(&format!("[{}]", button.label))),
                clean(button.category.as_str())
            );
            let _ = writeln!(out, "Link        {}", clean(&button.url));
            if let Some(image) = &button.image_id {
                let _ = writeln!(out, "Image       {}", clean(image));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "Category    {}",
                style.dim("none: the payment shows no link button")
            );
        }
    }
    out.push('\n');
    match &summary.receipt {
        Some(receipt) => receipt_text(receipt, style, &mut out),
        None => {
            let _ = writeln!(
                out,
                "Receipt     {}",
                style.dim("none: no order details were sent for this payment")
            );
        }
    }
    out
}

fn receipt_text(r: &ReceiptSummary, style: &Style, out: &mut String) {
    let money = |a: Total| clean(&a.display(&r.currency));
    let _ = writeln!(out, "{}", style.strong("Order details"));
    lines(&r.items, &r.currency, out);
    if !r.shipping.is_empty() {
        let _ = writeln!(out, "  {}", style.dim("Shipping"));
        lines(&r.shipping, &r.currency, out);
    }
    if !r.returns.is_empty() {
        let _ = writeln!(out, "  {}", style.dim("Returns"));
        lines(&r.returns, &r.currency, out);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  {:<10} {:>16} {:>16} {:>16}",
        "Tax rate", "Excl. tax", "Tax", "Total"
    );
    for t in &r.tax_totals {
        let rate = t
            .rate
            .map(|r| r.to_string())
            .unwrap_or_else(|| "unknown".into());
        let _ = writeln!(
            out,
            "  {:<10} {:>16} {:>16} {:>16}",
            rate,
            money(t.excluding_tax),
            money(t.tax),
            money(t.total)
        );
    }
    if r.total_discount != Total::ZERO {
        let _ = writeln!(
            out,
            "  {:<44} {:>16}",
            "Discount included",
            money(r.total_discount)
        );
    }
    if let Some(tip) = r.tip.filter(|t| *t != Amount::ZERO) {
        let _ = writeln!(out, "  {:<44} {:>16}", "Tip", money(tip.into()));
    }
    let _ = writeln!(
        out,
        "  {:<44} {:>16}",
        style.strong("Total"),
        style.strong(&money(r.amount_paid))
    );
    out.push('\n');
    let mut details = Vec::new();
    if let Some(n) = &r.receipt_number {
        details.push(format!("Receipt number {}", clean(n)));
    }
    if let Some(pos) = &r.pos_id {
        details.push(format!("POS {}", clean(pos)));
    }
    if let Some(b) = &r.barcode {
        details.push(format!(
            "Barcode {}: {}",
            clean(b.format.as_str()),
            clean(b.data.as_deref().unwrap_or("").trim_end())
        ));
    }
    for d in details {
        let _ = writeln!(out, "{d}");
    }
    if let Some(sources) = &r.payment_sources {
        let paid: Vec<String> = sources
            .entries()
            .map(|(name, amount)| {
                let label = match name {
                    "giftCard" => "gift card",
                    other => other,
                };
                format!("{label} {}", money(amount.into()))
            })
            .collect();
        if !paid.is_empty() {
            let _ = writeln!(out, "Paid with {}", paid.join(", "));
        }
    }
}

fn lines(lines: &[LineSummary], currency: &Currency, out: &mut String) {
    for line in lines {
        let qty = format!("{} {}", clean(&line.quantity), unit_label(line));
        let unit_price = line
            .unit_price
            .map(|p| format!("à {}", clean(&p.display(currency))))
            .unwrap_or_default();
        // Negative for returns already (the summary's sign).
        let total = line.total;
        let rate = line.tax_rate.map(|r| r.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<8} {:<w$} {:>16} {:>16} {:>8}",
            qty,
            shorten(&line.name),
            unit_price,
            clean(&total.display(currency)),
            rate,
            w = NAME_WIDTH
        );
        if let Some(discount) = line.discount {
            let _ = writeln!(
                out,
                "  {:<8} {:<w$} {:>16}",
                "",
                "discount",
                format!("-{}", clean(&discount.display(currency))),
                w = NAME_WIDTH
            );
        }
    }
}

fn unit_label(line: &LineSummary) -> &'static str {
    use vipps_om::QuantityUnit::*;
    match line.unit {
        Pcs => "pcs",
        Kg => "kg",
        Km => "km",
        Minute => "min",
        Litre => "l",
        Kwh => "kWh",
        _ => "",
    }
}

fn shorten(name: &str) -> String {
    // Control characters from the API must never move the cursor or
    // change the terminal: they are replaced, not printed.
    let clean = clean(name);
    if clean.chars().count() <= NAME_WIDTH {
        clean
    } else {
        let mut s: String = clean.chars().take(NAME_WIDTH - 1).collect();
        s.push('…');
        s
    }
}
