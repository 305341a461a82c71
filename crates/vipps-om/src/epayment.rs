//! The receipt for the ePayment API's `createPayment`
//! (`POST /epayment/v1/payments`).
//!
//! ePayment's `receipt` field is the Order Management `Receipt` object
//! itself (its OpenAPI spec refers to the Order Management spec's
//! `Receipt` schema): `orderLines` and `bottomLine`, the same field names
//! and rules. So [`Receipt`] serialises exactly as ePayment expects, and a
//! receipt sent this way *is* the order's receipt: Order Management keeps
//! it for the payment's `reference` (as an `ECOM` order), a later
//! `POST /order-management/v2/ecom/receipts/{reference}` gets 409, and
//! `GET /order-management/v2/ecom/{reference}` returns it. The outbox
//! treats that 409 as delivered when the stored receipt is the same one.
//!
//! [`receipt_field`] checks the receipt with the rules
//! [`crate::validate`] applies before an Order Management POST (a receipt
//! production would refuse fails `createPayment` as a whole, so it is
//! better caught before the payment is created) and returns the JSON value
//! to put under `"receipt"` in the createPayment body:
//!
//! ```
//! use serde_json::json;
//! use vipps_om::builder::{LineBuilder, ReceiptBuilder};
//! use vipps_om::{Amount, Currency, TaxRate};
//!
//! let receipt = ReceiptBuilder::new(Currency::Nok)
//!     .line(
//!         LineBuilder::new("sku-1", "Wool socks")
//!             .unit_price(Amount::minor(14_900))
//!             .quantity("2")
//!             .tax_rate(TaxRate::from_percent(25)),
//!     )
//!     .receipt_number("10042")
//!     .build()
//!     .expect("valid receipt");
//! let body = json!({
//!     "reference": "acme-shop-10042",
//!     "amount": {"currency": "NOK", "value": 29_800},
//!     "paymentMethod": {"type": "WALLET"},
//!     "userFlow": "WEB_REDIRECT",
//!     "returnUrl": "https://shop.example/return?order=10042",
//!     "paymentDescription": "Order 10042",
//!     "receipt": vipps_om::epayment::receipt_field(&receipt)?,
//! });
//! assert_eq!(body["receipt"]["orderLines"][0]["totalAmount"], 29_800);
//! assert_eq!(body["receipt"]["bottomLine"]["currency"], "NOK");
//! // Send `body` to POST /epayment/v1/payments with your ePayment client,
//! // with an Idempotency-Key header.
//! # Ok::<(), vipps_om::Error>(())
//! ```

use serde_json::Value;

use crate::error::Error;
use crate::models::Receipt;
use crate::validate::{Validate, ValidationReport};

/// The value of `createPayment`'s `receipt` field for `receipt`, after the
/// same checks an Order Management receipt POST runs
/// ([`Error::Validation`] naming each problem when it fails them).
pub fn receipt_field(receipt: &Receipt) -> Result<Value, Error> {
    let report = receipt.validate();
    if report.has_errors() {
        return Err(Error::Validation(report));
    }
    serde_json::to_value(receipt).map_err(|e| {
        let mut report = ValidationReport::new();
        report.error(
            "receipt",
            format!("the receipt could not be encoded as JSON: {e}"),
        );
        Error::Validation(report)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{LineBuilder, ReceiptBuilder};
    use crate::{Amount, Currency, TaxRate};

    fn receipt() -> Receipt {
        ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("sku-1", "Wool socks")
                    .unit_price(Amount::minor(500))
                    .quantity("2")
                    .tax_rate(TaxRate::from_percent(25)),
            )
            .build()
            .expect("valid receipt")
    }

    #[test]
    fn the_field_is_the_order_management_receipt_json() {
        let receipt = receipt();
        let field = receipt_field(&receipt).unwrap();
        assert_eq!(field, serde_json::to_value(&receipt).unwrap());
        let keys: Vec<&String> = field.as_object().unwrap().keys().collect();
        assert!(keys.iter().any(|k| *k == "orderLines"), "{keys:?}");
        assert!(keys.iter().any(|k| *k == "bottomLine"), "{keys:?}");
        assert_eq!(field["orderLines"][0]["totalAmountExcludingTax"], 800);
        // It reads back as the same receipt (what OM's GET returns).
        assert_eq!(serde_json::from_value::<Receipt>(field).unwrap(), receipt);
    }

    #[test]
    fn a_receipt_production_would_refuse_is_refused_before_the_payment() {
        let mut receipt = receipt();
        receipt.order_lines.clear();
        let err = receipt_field(&receipt).unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{err}");
        assert!(err.to_string().contains("orderLines"), "{err}");
    }
}
