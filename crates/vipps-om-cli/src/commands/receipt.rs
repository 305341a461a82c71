//! `vipps-om receipt add|validate`: order details for one payment. Many
//! payments at once (`--bulk`) are in [`super::bulk`].

use serde_json::json;
use vipps_om::{Delivered, PaymentType, Receipt, Total, ValidationReport};

use super::{Context, order_id, read_input};
use crate::cli::ReceiptAddArgs;
use crate::failure::Failure;
use crate::style::{Style, clean};

/// Checks a receipt file offline.
pub(crate) fn validate(ctx: &Context, file: &std::path::Path) -> Result<(), Failure> {
    let bytes = read_input(file)?;
    match vipps_om::parse::receipt_from_json(&bytes) {
        Ok((receipt, warnings)) => {
            ctx.emit(
                |style| {
                    let mut out = format!(
                        "{} {} order line(s), total {}\n",
                        style.ok("✓ The receipt is valid:"),
                        receipt.order_lines.len(),
                        paid(&receipt)
                    );
                    out.push_str(&warnings_text(&warnings, style));
                    out
                },
                || json!({"valid": true, "problems": warnings.problems()}),
            );
            Ok(())
        }
        Err(report) => Err(Failure::checked("the receipt", &report)),
    }
}

/// What the customer pays (lines and tip), or the marker for a sum that
/// does not fit (possible only with `--no-validate`), for the terminal.
fn paid(receipt: &Receipt) -> String {
    clean(&Total::from_checked(receipt.amount_paid()).display(&receipt.bottom_line.currency))
}

/// Warnings as indented lines.
pub(crate) fn warnings_text(report: &ValidationReport, style: &Style) -> String {
    report
        .warnings()
        .map(|w| {
            format!(
                "  {} {}: {}\n",
                style.warn("!"),
                clean(&w.path),
                clean(&w.message)
            )
        })
        .collect()
}

/// Reads and checks a receipt file; structural problems always stop,
/// rule problems only when validating.
pub(crate) fn load_receipt(
    bytes: &[u8],
    validate: bool,
) -> Result<(Receipt, ValidationReport), Failure> {
    match vipps_om::parse::receipt_from_json(bytes) {
        Ok(ok) => Ok(ok),
        Err(report) if !validate => {
            // Without validation a file that parses is sent as it is.
            serde_json::from_slice::<Receipt>(bytes)
                .map(|r| (r, ValidationReport::new()))
                .map_err(|_| Failure::invalid("the receipt", &report))
        }
        Err(report) => Err(Failure::invalid("the receipt", &report)),
    }
}

/// Sends one receipt.
pub(crate) async fn add(ctx: &Context, args: &ReceiptAddArgs) -> Result<(), Failure> {
    let (Some(raw_order), Some(file)) = (&args.order_id, &args.file) else {
        return Err(Failure::usage(
            "give ORDER_ID and --file, or --bulk FILE.jsonl",
        ));
    };
    let order_id = order_id(raw_order)?;
    let payment_type = PaymentType::from(args.payment_type);
    let (receipt, warnings) = load_receipt(&read_input(file)?, !args.no_validate)?;
    let client = ctx.client()?;
    let receipts = if args.no_validate {
        client.receipts().without_validation()
    } else {
        client.receipts()
    };
    let outcome = receipts.add(&payment_type, &order_id, &receipt).await?;
    let (status, id) = match &outcome {
        Delivered::Created(id) => ("created", id.clone()),
        Delivered::AlreadyPresent => ("already_present", None),
    };
    ctx.emit(
        |style| {
            let mut out = match &outcome {
                Delivered::Created(_) => format!(
                    "{} for {payment_type} order {order_id}: {} line(s), total {}\n",
                    style.ok("✓ Order details sent"),
                    receipt.order_lines.len(),
                    paid(&receipt)
                ),
                Delivered::AlreadyPresent => format!(
                    "{} for {payment_type} order {order_id}: an earlier attempt of this command was stored\n",
                    style.ok("✓ Order details are in place")
                ),
            };
            out.push_str(&warnings_text(&warnings, style));
            out
        },
        || json!({"orderId": order_id, "paymentType": payment_type, "status": status, "receiptId": id, "warnings": warnings.problems()}),
    );
    Ok(())
}
