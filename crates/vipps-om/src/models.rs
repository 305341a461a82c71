//! Every schema of the Order Management API (spec v2.1) and of the access
//! token service, with the exact wire spellings.
//!
//! Shape rules: optional fields are `Option` and left out when `None`;
//! fields the spec marks *required but nullable* (`unitInfo.unitPrice`,
//! `barcode.data`) are always written, as `null` when `None`. Numbers that
//! the spec bounds (`taxRate`, amounts) are plain integers here so that an
//! out-of-range value reaches [`crate::validate`] and is reported with its
//! field path, instead of failing the parse.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use crate::enums::{
    BarcodeFormat, CategoryType, Currency, ImageEncoding, PaymentType, QuantityUnit,
};
use crate::ids::{CategoryId, ImageId, OrderId};
use crate::money::{Amount, TaxRate};

// ---------------------------------------------------------------- images

/// `POST /v1/images` request body: an image the app can show with orders.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// The id the merchant chooses; images cannot be overwritten.
    pub image_id: ImageId,
    /// The image file, base64-encoded (standard alphabet, padded).
    pub src: String,
    /// Always `base64`.
    #[serde(rename = "type")]
    pub encoding: ImageEncoding,
}

impl Image {
    /// An upload of the given file bytes under `image_id`.
    pub fn from_bytes(image_id: ImageId, bytes: &[u8]) -> Self {
        use base64::Engine as _;
        Image {
            image_id,
            src: base64::engine::general_purpose::STANDARD.encode(bytes),
            encoding: ImageEncoding::Base64,
        }
    }

    /// An upload whose id is derived from the bytes ([`ImageId::from_content`]).
    pub fn from_bytes_with_content_id(bytes: &[u8]) -> Self {
        Self::from_bytes(ImageId::from_content(bytes), bytes)
    }

    /// The decoded file bytes, or why `src` is not base64.
    pub fn decode(&self) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(self.src.trim())
    }
}

/// `POST /v1/images` response: the id of the stored image.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageResponse {
    /// The id the image was stored under.
    pub image_id: String,
}

// ---------------------------------------------------------------- categories

/// The v2 category of a payment (the spec's `Order` schema): the link button
/// on the payment in the app. `PUT /v2/{paymentType}/categories/{orderId}`
/// replaces any earlier one; `GET /v2/{paymentType}/{orderId}` returns it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// What the link is (decides the button label and icon).
    pub category: CategoryType,
    /// Where the button leads: an absolute `https` URL that works for a user
    /// who is not logged in on the phone's browser.
    pub order_details_url: String,
    /// An image uploaded earlier with `POST /v1/images`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<ImageId>,
}

/// `POST /v3/categories` request body. Note the v3 names: `type` (v2
/// `category`) and `url` (v2 `orderDetailsUrl`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddCategoryRequest {
    /// The payment the category belongs to.
    pub order_id: OrderId,
    /// Which payment API created the payment.
    pub payment_type: PaymentType,
    /// What the link is.
    #[serde(rename = "type")]
    pub category_type: CategoryType,
    /// Where the button leads.
    pub url: String,
    /// An image uploaded earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<ImageId>,
}

/// `POST /v3/categories` response.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddCategoryResponse {
    /// The id the API gave the new category.
    pub category_id: CategoryId,
}

/// A stored v3 category (`GET /v3/categories/{categoryId}`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryV3 {
    /// Its id.
    pub category_id: CategoryId,
    /// The payment it belongs to.
    pub order_id: OrderId,
    /// Which payment API created the payment.
    pub payment_type: PaymentType,
    /// What the link is.
    #[serde(rename = "type")]
    pub category_type: CategoryType,
    /// Where the button leads.
    pub url: String,
    /// The image shown with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<ImageId>,
}

/// `GET /v3/categories?orderId=` response.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetCategoriesResponse {
    /// The order's categories, oldest first.
    #[serde(default)]
    pub categories: Vec<CategoryV3>,
}

// ---------------------------------------------------------------- receipts

/// Order details ("receipt") of a payment: `POST /v2/{paymentType}/receipts/{orderId}`.
/// Can be sent once per payment; it cannot be changed afterwards.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// At least one line. Totals are computed by Vipps from these.
    pub order_lines: Vec<OrderLine>,
    /// Currency and receipt-wide information.
    pub bottom_line: BottomLine,
}

/// One line of a receipt. Amounts are minor units, all non-negative; a
/// returned item is a line with positive amounts and `isReturn: true`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// Product name as the customer sees it.
    pub name: String,
    /// The merchant's product id.
    pub id: String,
    /// Line total including tax and discount.
    pub total_amount: Amount,
    /// Line total after discount, excluding tax.
    pub total_amount_excluding_tax: Amount,
    /// Tax of the line.
    pub total_tax_amount: Amount,
    /// Tax rate in hundredths of a percent (2500 = 25 %), 0–10000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<i64>,
    /// Deprecated whole-percent tax (0–100); use `tax_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_percentage: Option<i64>,
    /// Unit price and quantity; without it the line shows as 1 PCS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_info: Option<UnitInfo>,
    /// Total discount of the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Amount>,
    /// Link to the product in the merchant's shop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_url: Option<String>,
    /// The line is a return and counts negative in every sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_return: Option<bool>,
    /// The line is shipping and is shown apart in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_shipping: Option<bool>,
}

impl OrderLine {
    /// The line's tax rate, from `taxRate` or else the deprecated
    /// `taxPercentage`, when it is in range.
    pub fn effective_tax_rate(&self) -> Option<TaxRate> {
        match (self.tax_rate, self.tax_percentage) {
            (Some(rate), _) => u32::try_from(rate)
                .ok()
                .and_then(|rate| TaxRate::new(rate).ok()),
            (None, Some(pct)) => u32::try_from(pct)
                .ok()
                .and_then(|pct| TaxRate::try_from_percent(pct).ok()),
            _ => None,
        }
    }

    /// Whether the line is a return.
    pub fn is_return(&self) -> bool {
        self.is_return.unwrap_or(false)
    }

    /// Whether the line is shipping.
    pub fn is_shipping(&self) -> bool {
        self.is_shipping.unwrap_or(false)
    }

    /// The line's contribution to the receipt total: negative for returns;
    /// `None` for the one amount whose negation does not fit (`i64::MIN`,
    /// refused by validation as negative anyway).
    pub fn signed_total(&self) -> Option<Amount> {
        signed(self.is_return(), self.total_amount)
    }
}

/// `amount`, negated when `negative` (checked).
pub(crate) fn signed(negative: bool, amount: Amount) -> Option<Amount> {
    if negative {
        amount.checked_neg()
    } else {
        Some(amount)
    }
}

/// Unit price and quantity of a line (shown to the customer; the API does
/// not check them against the line total).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitInfo {
    /// Price per unit including tax, before discount. Required but nullable.
    pub unit_price: Option<Amount>,
    /// Quantity as a decimal string: `"2"`, `"0.822"` (at most 10 characters,
    /// at most 8 decimals, `.` as decimal mark).
    pub quantity: String,
    /// Unit of the quantity; `PCS` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_unit: Option<QuantityUnit>,
}

/// Receipt-wide information. Sums are computed by Vipps from the lines; the
/// deprecated total fields are accepted for old integrations but ignored.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BottomLine {
    /// The receipt's currency.
    pub currency: Currency,
    /// Tip, not part of any line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_amount: Option<Amount>,
    /// Deprecated: amount paid by gift card; use `payment_sources.gift_card`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_card_amount: Option<Amount>,
    /// Device number of the POS terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos_id: Option<String>,
    /// Deprecated and ignored: computed from the lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Amount>,
    /// Deprecated and ignored: computed from the lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Amount>,
    /// Deprecated and ignored: computed from the lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_discount: Option<Amount>,
    /// Deprecated: use a line with `isShipping`; breaks the sums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_amount: Option<Amount>,
    /// Deprecated: use a line with `isShipping`; breaks the sums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_info: Option<ShippingInfo>,
    /// How the total was paid, for a valid electronic sales receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_sources: Option<PaymentSources>,
    /// A barcode printed on the receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<Barcode>,
    /// The merchant's receipt number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_number: Option<String>,
    /// Deprecated: use `pos_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
}

impl BottomLine {
    /// A bottom line with only the currency set.
    pub fn new(currency: Currency) -> Self {
        BottomLine {
            currency,
            tip_amount: None,
            gift_card_amount: None,
            pos_id: None,
            total_amount: None,
            total_tax: None,
            total_discount: None,
            shipping_amount: None,
            shipping_info: None,
            payment_sources: None,
            barcode: None,
            receipt_number: None,
            terminal_id: None,
        }
    }
}

/// Deprecated shipping summary; use a line with `isShipping` instead.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingInfo {
    /// Shipping including tax and discount.
    pub amount: Option<Amount>,
    /// Shipping excluding tax.
    pub amount_excluding_tax: Option<Amount>,
    /// Tax on shipping.
    pub tax_amount: Option<Amount>,
    /// Whole-percent tax rate.
    pub tax_percentage: Option<i64>,
}

/// How the receipt total was paid, per source, in minor units.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSources {
    /// Paid by gift card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_card: Option<Amount>,
    /// Paid by card (including Vipps MobilePay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Amount>,
    /// Paid by voucher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher: Option<Amount>,
    /// Paid in cash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash: Option<Amount>,
}

impl PaymentSources {
    /// The sources that are set, with their wire names.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, Amount)> {
        [
            ("giftCard", self.gift_card),
            ("card", self.card),
            ("voucher", self.voucher),
            ("cash", self.cash),
        ]
        .into_iter()
        .filter_map(|(name, amount)| amount.map(|a| (name, a)))
    }
}

/// A barcode shown on the receipt.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Barcode {
    /// How `data` is encoded.
    pub format: BarcodeFormat,
    /// The encoded content. Required but nullable.
    pub data: Option<String>,
}

// ---------------------------------------------------------------- orders

/// `GET /v2/{paymentType}/{orderId}` response: what the app shows.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderV2Response {
    /// The latest category, when one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The order details, when they were sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
}

// ---------------------------------------------------------------- errors

/// The API's error body (`ErrorResponse`, RFC 7807 style) for 400, 404 and
/// 409. Read tolerantly: the platform's variants (`extraDetails` instead of
/// `invalidParams`, a numeric or string `status`, the gateway's
/// `{statusCode, message}`) all land here; see [`ProblemDetails::parse`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemDetails {
    /// A URI naming the kind of problem.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub problem_type: Option<String>,
    /// Short summary, e.g. "One or more validation errors occurred.".
    #[serde(default)]
    pub title: String,
    /// Explanation of this occurrence.
    #[serde(default)]
    pub detail: String,
    /// Id of this occurrence (a trace id); quote it to Vipps support.
    #[serde(default)]
    pub instance: String,
    /// Every rejected field with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
}

/// One field the API rejected.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidParam {
    /// The field's name or JSON path.
    pub name: String,
    /// Why it was rejected.
    pub reason: String,
}

impl ProblemDetails {
    /// Reads an error body in any of the platform's shapes; `None` when the
    /// body is not a JSON object with at least one recognisable field.
    pub fn parse(body: &[u8]) -> Option<ProblemDetails> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let obj = value.as_object()?;
        let text = |key: &str| -> Option<String> {
            match obj.get(key)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        };
        let params = obj
            .get("invalidParams")
            .or_else(|| obj.get("extraDetails"))
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let name = item.get("name")?.as_str()?.to_owned();
                        let reason = item
                            .get("reason")
                            .and_then(|r| r.as_str())
                            .unwrap_or_default()
                            .to_owned();
                        Some(InvalidParam { name, reason })
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let problem = ProblemDetails {
            problem_type: text("type"),
            title: text("title").or_else(|| text("error")).unwrap_or_default(),
            detail: text("detail")
                .or_else(|| text("message"))
                .or_else(|| text("error_description"))
                .unwrap_or_default(),
            instance: text("instance")
                .or_else(|| text("traceId"))
                .or_else(|| text("trace_id"))
                .unwrap_or_default(),
            invalid_params: params,
        };
        let recognised = !problem.title.is_empty()
            || !problem.detail.is_empty()
            || !problem.invalid_params.is_empty();
        recognised.then_some(problem)
    }

    /// [`ProblemDetails::parse`], boxed (as [`crate::Error`] keeps it).
    pub fn parse_boxed(body: &[u8]) -> Option<Box<ProblemDetails>> {
        Self::parse(body).map(Box::new)
    }

    /// The most informative one-line summary of the problem.
    pub fn summary(&self) -> String {
        match (self.title.trim(), self.detail.trim()) {
            ("", "") => String::new(),
            (title, "") => title.to_owned(),
            ("", detail) => detail.to_owned(),
            (title, detail) if title == detail => title.to_owned(),
            (title, detail) => format!("{title} ({detail})"),
        }
    }
}

// ---------------------------------------------------------------- constructors
//
// The models are `#[non_exhaustive]` (the API adds fields over time), so
// code outside this crate builds them with these constructors (the fields
// the spec requires) and `with_*` setters (the optional ones); every field
// stays public to read and to assign.

/// `with_*` setters for optional fields: each sets `Some(value)`.
macro_rules! setters {
    ($ty:ident { $( $(#[$doc:meta])* $setter:ident => $field:ident: $t:ty ),+ $(,)? }) => {
        impl $ty {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $setter(mut self, value: $t) -> Self {
                    self.$field = Some(value);
                    self
                }
            )+
        }
    };
}

impl ImageResponse {
    /// A response naming the stored image.
    pub fn new(image_id: impl Into<String>) -> Self {
        ImageResponse {
            image_id: image_id.into(),
        }
    }
}

impl Category {
    /// A v2 category: what the link is and where it leads.
    pub fn new(category: CategoryType, order_details_url: impl Into<String>) -> Self {
        Category {
            category,
            order_details_url: order_details_url.into(),
            image_id: None,
        }
    }
}
setters!(Category {
    /// Shows an image uploaded earlier with the link.
    with_image_id => image_id: ImageId,
});

impl AddCategoryRequest {
    /// A v3 category for a payment.
    pub fn new(
        order_id: OrderId,
        payment_type: PaymentType,
        category_type: CategoryType,
        url: impl Into<String>,
    ) -> Self {
        AddCategoryRequest {
            order_id,
            payment_type,
            category_type,
            url: url.into(),
            image_id: None,
        }
    }
}
setters!(AddCategoryRequest {
    /// Shows an image uploaded earlier with the link.
    with_image_id => image_id: ImageId,
});

impl AddCategoryResponse {
    /// A response naming the new category.
    pub fn new(category_id: CategoryId) -> Self {
        AddCategoryResponse { category_id }
    }
}

impl CategoryV3 {
    /// A stored v3 category.
    pub fn new(
        category_id: CategoryId,
        order_id: OrderId,
        payment_type: PaymentType,
        category_type: CategoryType,
        url: impl Into<String>,
    ) -> Self {
        CategoryV3 {
            category_id,
            order_id,
            payment_type,
            category_type,
            url: url.into(),
            image_id: None,
        }
    }
}
setters!(CategoryV3 {
    /// The image shown with it.
    with_image_id => image_id: ImageId,
});

impl GetCategoriesResponse {
    /// A list of categories.
    pub fn new(categories: Vec<CategoryV3>) -> Self {
        GetCategoriesResponse { categories }
    }
}

impl Receipt {
    /// Order details from their lines and bottom line.
    pub fn new(order_lines: Vec<OrderLine>, bottom_line: BottomLine) -> Self {
        Receipt {
            order_lines,
            bottom_line,
        }
    }
}

impl OrderLine {
    /// A line with the amounts the spec requires; the optional fields are
    /// set with the `with_*` setters. [`crate::builder::LineBuilder`]
    /// computes the amounts from a unit price, quantity and tax rate.
    pub fn new(
        name: impl Into<String>,
        id: impl Into<String>,
        total_amount: Amount,
        total_amount_excluding_tax: Amount,
        total_tax_amount: Amount,
    ) -> Self {
        OrderLine {
            name: name.into(),
            id: id.into(),
            total_amount,
            total_amount_excluding_tax,
            total_tax_amount,
            tax_rate: None,
            tax_percentage: None,
            unit_info: None,
            discount: None,
            product_url: None,
            is_return: None,
            is_shipping: None,
        }
    }

    /// Sets `taxRate`.
    #[must_use]
    pub fn with_tax_rate(mut self, rate: TaxRate) -> Self {
        self.tax_rate = Some(i64::from(rate.basis()));
        self
    }
}
setters!(OrderLine {
    /// Unit price and quantity.
    with_unit_info => unit_info: UnitInfo,
    /// Total discount of the line.
    with_discount => discount: Amount,
    /// Link to the product in the merchant's shop.
    with_product_url => product_url: String,
    /// Marks the line as a return (or not).
    with_is_return => is_return: bool,
    /// Marks the line as shipping (or not).
    with_is_shipping => is_shipping: bool,
});

impl UnitInfo {
    /// A unit price (required but nullable) and a quantity such as `"2"`.
    pub fn new(unit_price: Option<Amount>, quantity: impl Into<String>) -> Self {
        UnitInfo {
            unit_price,
            quantity: quantity.into(),
            quantity_unit: None,
        }
    }
}
setters!(UnitInfo {
    /// The unit of the quantity (`PCS` when not set).
    with_quantity_unit => quantity_unit: QuantityUnit,
});

setters!(BottomLine {
    /// Tip, not part of any line.
    with_tip_amount => tip_amount: Amount,
    /// Device number of the POS terminal.
    with_pos_id => pos_id: String,
    /// How the total was paid.
    with_payment_sources => payment_sources: PaymentSources,
    /// A barcode printed on the receipt.
    with_barcode => barcode: Barcode,
    /// The merchant's receipt number.
    with_receipt_number => receipt_number: String,
});

setters!(ShippingInfo {
    /// Shipping including tax and discount.
    with_amount => amount: Amount,
    /// Shipping excluding tax.
    with_amount_excluding_tax => amount_excluding_tax: Amount,
    /// Tax on shipping.
    with_tax_amount => tax_amount: Amount,
    /// Whole-percent tax rate.
    with_tax_percentage => tax_percentage: i64,
});

setters!(PaymentSources {
    /// Paid by gift card.
    with_gift_card => gift_card: Amount,
    /// Paid by card (including Vipps MobilePay).
    with_card => card: Amount,
    /// Paid by voucher.
    with_voucher => voucher: Amount,
    /// Paid in cash.
    with_cash => cash: Amount,
});

impl Barcode {
    /// A barcode of the given format; `data` is required but nullable.
    pub fn new(format: BarcodeFormat, data: Option<String>) -> Self {
        Barcode { format, data }
    }
}

impl OrderV2Response {
    /// What the app shows: the latest category and the order details.
    pub fn new(category: Option<Category>, receipt: Option<Receipt>) -> Self {
        OrderV2Response { category, receipt }
    }
}

impl ProblemDetails {
    /// A problem with a title and a detail; the rest is set with the
    /// `with_*` setters or by assigning the fields.
    pub fn new(title: impl Into<String>, detail: impl Into<String>) -> Self {
        ProblemDetails {
            title: title.into(),
            detail: detail.into(),
            ..Default::default()
        }
    }

    /// Sets the occurrence id (trace id).
    #[must_use]
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = instance.into();
        self
    }

    /// Sets the rejected fields.
    #[must_use]
    pub fn with_invalid_params(mut self, params: Vec<InvalidParam>) -> Self {
        self.invalid_params = params;
        self
    }
}
setters!(ProblemDetails {
    /// A URI naming the kind of problem.
    with_problem_type => problem_type: String,
});

impl InvalidParam {
    /// A rejected field and why.
    pub fn new(name: impl Into<String>, reason: impl Into<String>) -> Self {
        InvalidParam {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

// ---------------------------------------------------------------- tokens

/// `POST /accesstoken/get` response. Only `access_token` and `expires_in`
/// are promised; the others were announced to disappear in 2023. Numbers
/// may arrive as JSON strings (`"3600"`) or numbers.
#[non_exhaustive]
#[derive(Deserialize)]
pub struct TokenResponse {
    /// The bearer token. Never printed.
    pub access_token: SecretString,
    /// Seconds until the token expires.
    #[serde(deserialize_with = "number_or_string")]
    pub expires_in: u64,
    /// Usually `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Legacy: extended expiry in seconds.
    #[serde(default, deserialize_with = "opt_number_or_string")]
    pub ext_expires_in: Option<u64>,
    /// Legacy: expiry as Unix seconds.
    #[serde(default, deserialize_with = "opt_number_or_string")]
    pub expires_on: Option<u64>,
    /// Legacy: start of validity as Unix seconds.
    #[serde(default, deserialize_with = "opt_number_or_string")]
    pub not_before: Option<u64>,
    /// Legacy: resource id.
    #[serde(default)]
    pub resource: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[REDACTED]")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

impl TokenResponse {
    /// The token, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        self.access_token.expose_secret()
    }
}

/// The token service's error body (Azure AD style).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenErrorBody {
    /// Error code, e.g. `invalid_client`.
    #[serde(default)]
    pub error: Option<String>,
    /// Human description.
    #[serde(default)]
    pub error_description: Option<String>,
    /// Numeric error codes.
    #[serde(default)]
    pub error_codes: Option<Vec<i64>>,
    /// When it happened.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Trace id for Vipps support.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Correlation id for Vipps support.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Link to documentation of the error.
    #[serde(default)]
    pub error_uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    Text(String),
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumberOrString::deserialize(d)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::Text(s) => s.trim().parse().map_err(|_| {
            serde::de::Error::custom(format!("expected a number of seconds, got {s:?}"))
        }),
    }
}

fn opt_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    // Legacy fields are informational: a value we cannot read is dropped,
    // never allowed to fail the token response.
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_accepts_strings_numbers_and_missing_legacy_fields() {
        let old: TokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":"86398","ext_expires_in":"0","expires_on":"1495271273",
               "not_before":"1495184574","resource":"00000002-0000-0000-c000-000000000000","access_token":"eyJ.x.y"}"#,
        )
        .unwrap();
        assert_eq!(old.expires_in, 86398);
        assert_eq!(old.expires_on, Some(1_495_271_273));
        let new: TokenResponse =
            serde_json::from_str(r#"{"access_token":"abc","expires_in":3600}"#).unwrap();
        assert_eq!(new.expires_in, 3600);
        assert_eq!(new.expose(), "abc");
        assert!(new.token_type.is_none());
    }

    #[test]
    fn token_response_debug_hides_the_token() {
        let t: TokenResponse =
            serde_json::from_str(r#"{"access_token":"very-secret","expires_in":1}"#).unwrap();
        assert!(!format!("{t:?}").contains("very-secret"));
    }

    #[test]
    fn problem_details_reads_every_platform_shape() {
        let spec = br#"{"type":"https://x","title":"One or more validation errors occurred.","detail":"BadRequest",
            "instance":"00-61-48-00","invalidParams":[{"name":"RedirectUrl","reason":"must match"}]}"#;
        let p = ProblemDetails::parse(spec).unwrap();
        assert_eq!(
            p.invalid_params,
            vec![InvalidParam {
                name: "RedirectUrl".into(),
                reason: "must match".into()
            }]
        );
        assert_eq!(p.instance, "00-61-48-00");

        let kb = br#"{"title":"Bad","detail":"d","instance":"urn:uuid:1","status":"400","extraDetails":[{"name":"a","reason":"b"}]}"#;
        assert_eq!(ProblemDetails::parse(kb).unwrap().invalid_params.len(), 1);

        let gateway =
            br#"{"statusCode":401,"message":"Access denied due to invalid subscription key."}"#;
        assert!(
            ProblemDetails::parse(gateway)
                .unwrap()
                .detail
                .contains("subscription key")
        );

        assert!(ProblemDetails::parse(b"<html>").is_none());
        assert!(ProblemDetails::parse(b"{}").is_none());
    }

    #[test]
    fn required_nullable_fields_are_written_as_null() {
        let info = UnitInfo {
            unit_price: None,
            quantity: "1".into(),
            quantity_unit: None,
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"unitPrice":null,"quantity":"1"}"#
        );
    }

    #[test]
    fn v3_category_uses_type_and_url() {
        let req = AddCategoryRequest {
            order_id: OrderId::new("PaymentReference123").unwrap(),
            payment_type: PaymentType::Ecom,
            category_type: CategoryType::Receipt,
            url: "https://www.example.com".into(),
            image_id: None,
        };
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            serde_json::json!({"orderId":"PaymentReference123","paymentType":"ECOM","type":"RECEIPT","url":"https://www.example.com"})
        );
    }

    #[test]
    fn image_round_trips_bytes() {
        let img = Image::from_bytes(ImageId::new("a").unwrap(), b"\x89PNG");
        assert_eq!(img.decode().unwrap(), b"\x89PNG");
        assert_eq!(serde_json::to_value(&img).unwrap()["type"], "base64");
    }
}
