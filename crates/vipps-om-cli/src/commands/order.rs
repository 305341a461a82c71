//! `vipps-om order get`: an order as the customer sees it.

use serde_json::json;
use vipps_om::summary::OrderSummary;
use vipps_om::{Error, PaymentType};

use super::{Context, order_id};
use crate::cli::PaymentTypeArg;
use crate::failure::{ExitCode, Failure};
use crate::render;

/// Shows the category and order details of a payment.
pub(crate) async fn get(
    ctx: &Context,
    raw_order_id: &str,
    payment_type: PaymentTypeArg,
) -> Result<(), Failure> {
    let order_id = order_id(raw_order_id)?;
    let payment_type = PaymentType::from(payment_type);
    let client = ctx.client()?;
    match client.orders().get(&payment_type, &order_id).await {
        Ok(order) => {
            let summary = OrderSummary::new(&order);
            ctx.emit(
                |style| render::order(&order_id, &payment_type, &summary, style),
                || {
                    json!({
                        "orderId": order_id, "paymentType": payment_type, "exists": true,
                        "hasCategory": order.category.is_some(), "hasReceipt": order.receipt.is_some(),
                        "order": order, "summary": summary,
                    })
                },
            );
            Ok(())
        }
        Err(Error::NotFound { .. }) => {
            let other = match payment_type {
                PaymentType::Recurring => "ecom",
                _ => "recurring",
            };
            if ctx.json {
                // The documented shape, on stdout, for scripts that ask
                // whether an order exists; the exit code still says no.
                ctx.emit(
                    |_| String::new(),
                    || {
                        json!({
                            "orderId": order_id, "paymentType": payment_type, "exists": false,
                            "hasCategory": false, "hasReceipt": false,
                            "order": null, "summary": null,
                        })
                    },
                );
                return Err(Failure::reported(ExitCode::Refused));
            }
            Err(Failure {
                code: ExitCode::Refused,
                kind: "not_found",
                status: Some(404),
                problems: Vec::new(),
                message: format!(
                    "Vipps MobilePay has no category and no order details for {payment_type} order {order_id}. \
                     Nothing was sent for it yet, the id is wrong (ids are case-sensitive), or the payment is of \
                     another type (try --payment-type {other})"
                ),
            })
        }
        Err(e) => Err(e.into()),
    }
}
