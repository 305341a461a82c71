//! The console's own links: an order's page and the payment type in
//! query strings.

use vipps_om::PaymentType;

/// The payment type of a form or query value (`recurring`, else eCom).
pub(crate) fn payment_type(value: &str) -> PaymentType {
    if value.eq_ignore_ascii_case("recurring") {
        PaymentType::Recurring
    } else {
        PaymentType::Ecom
    }
}

/// The form value of a payment type (`ecom`, `recurring`).
pub(crate) fn pt_code(pt: &PaymentType) -> &'static str {
    pt.path_segment().unwrap_or("ecom")
}

/// The query of an order's page.
pub(crate) fn order_query(order_id: &str, pt: &PaymentType) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("order_id", order_id)
        .append_pair("payment_type", pt_code(pt))
        .finish()
}

/// A query parameter's value, encoded.
pub(crate) fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
