//! A typed, validated async client for the Vipps MobilePay **Order
//! Management API**: attach order details (receipts), a category link with
//! an image, and read them back, for payments shown in the Vipps and
//! MobilePay apps.
//!
//! ```no_run
//! use vipps_om::{Client, Credentials, MerchantSerialNumber, OrderId, PaymentType};
//! use vipps_om::builder::{LineBuilder, ReceiptBuilder};
//! use vipps_om::{Amount, Currency, TaxRate};
//!
//! # async fn run() -> Result<(), vipps_om::Error> {
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080") // the simulator; production is the default
//!     .credentials(Credentials::new(
//!         "demo-client-id",
//!         "demo-client-secret",
//!         "demo-subscription-key",
//!         MerchantSerialNumber::new("123456")?,
//!     ))
//!     .build()?;
//!
//! let receipt = ReceiptBuilder::new(Currency::Nok)
//!     .line(LineBuilder::new("sku-1", "Wool socks").unit_price(Amount::minor(14_900)).quantity("2").tax_rate(TaxRate::from_percent(25)))
//!     .build()
//!     .map_err(vipps_om::Error::Validation)?;
//! let order = OrderId::new("order-1001")?;
//! client.receipts().add(&PaymentType::Ecom, &order, &receipt).await?;
//! let shown = client.orders().get(&PaymentType::Ecom, &order).await?;
//! println!("{} lines", shown.receipt.map(|r| r.order_lines.len()).unwrap_or(0));
//! # Ok(()) }
//! ```
//! (`?` on an id error works because [`IdError`] converts into [`Error`].)
//!
//! # Layout
//! - [`models`]: every schema of the spec, exact wire names; [`enums`]:
//!   open enums that survive values added later; [`ids`]: validated id
//!   newtypes; [`money`]: integer minor units and their display.
//! - [`validate`]: all local rules, reporting every problem with its field
//!   path; [`parse`]: JSON files to receipts with paths in every error;
//!   [`builder`]: receipts computed from unit price, quantity and tax rate;
//!   [`image`]: PNG/JPEG facts read from bytes.
//! - [`Client`] ([`client`]): headers, token lifecycle, retries, tracing;
//!   the endpoints are in [`api`] ([`Client::images`],
//!   [`Client::categories`], [`Client::receipts`], [`Client::orders`]).
//! - [`summary`]: an order as the customer sees it (groups, totals per tax
//!   rate), shared by every front end.
//! - [`Error`]: typed outcomes, each with a one-line staff message
//!   (`Display`), the rejected fields ([`Error::field_problems`], rendered
//!   one per line by [`Error::render_problems`]), a customer message,
//!   [`Error::is_retryable`], [`Error::kind`] (an [`ErrorKind`] with the
//!   ids a front end needs to say what to do in its own terms), and the
//!   transport or JSON error as its `source()`. The staff and customer
//!   messages in English, Norwegian bokmål, Danish, Finnish and Swedish:
//!   [`Error::staff_message_in`], [`Error::customer_message_in`] with a
//!   [`Language`] ([`messages`]; the texts are Fluent files in `locales/`).
//!
//! # Many merchants
//! - Partner keys: [`Credentials::partner`] and
//!   [`ClientBuilder::build_partner`] make a [`PartnerClient`], which has
//!   no API calls; [`PartnerClient::merchant`] gives one merchant's
//!   [`Client`], sharing the partner's one token (single flight, fetched
//!   without a Merchant-Serial-Number) and connection pool. A 403 for a
//!   merchant not linked to the keys is [`Error::PartnerNotLinked`].
//! - Merchants' own keys: [`Keyring`] ([`keyring`]) loads a TOML file of
//!   `[[merchant]]` entries whose secrets come from environment variables
//!   or owner-only files; [`Keyring::client`] gives each merchant's
//!   [`Client`] (one token per set of keys, one shared connection pool).
//! - [`CredentialsProvider`] is what both (and a single [`Client`])
//!   implement: `client(&msn)` and `merchants()`.
//!
//! # Building models
//! The models are `#[non_exhaustive]`: the API adds fields over time. Build
//! them with `new(..)` (the fields the spec requires) and the `with_*`
//! setters (optional fields), e.g.
//! `Category::new(CategoryType::Receipt, url).with_image_id(id)`; every
//! field stays public to read and assign. Newtypes keep their inside
//! private: [`Amount::minor`]/[`Amount::minor_units`],
//! [`TaxRate::new`]/[`TaxRate::basis`] (a rate above [`TaxRate::MAX`] is
//! refused, also when deserialised).
//!
//! # Behaviour worth knowing
//! - Every request carries `Merchant-Serial-Number`,
//!   `Ocp-Apim-Subscription-Key` and the four `Vipps-System-*` headers
//!   (a partner's token request has no `Merchant-Serial-Number`: the token
//!   serves every linked merchant); API calls add `Authorization: Bearer`.
//! - One token is shared by all calls of a client (and its clones, and with
//!   partner keys every merchant's client), fetched
//!   by a single request however many calls wait for it, renewed before it
//!   expires, and refreshed once transparently after a 401.
//! - Retries follow a per-endpoint [`retry::RetryPolicy`]; a 409 on a
//!   receipt or image after a retry is [`Delivered::AlreadyPresent`].
//! - Secrets are held in [`secrecy`] types; `Debug` output and logs never
//!   contain them.

#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod api;
pub mod builder;
pub mod client;
pub mod config;
pub mod enums;
pub mod epayment;
pub mod error;
pub mod ids;
pub mod image;
pub mod keyring;
pub mod messages;
pub mod models;
pub mod money;
pub mod parse;
pub mod retry;
pub mod summary;
mod token;
pub mod validate;

pub use api::Delivered;
pub use client::{Client, ClientBuilder, PartnerClient, TokenInfo};
pub use config::{Credentials, Environment, PartnerCredentials, SystemInfo};
pub use enums::{BarcodeFormat, CategoryType, Currency, ImageEncoding, PaymentType, QuantityUnit};
pub use error::{AuthFailure, Error, ErrorKind};
pub use ids::{CategoryId, IdError, ImageId, MerchantSerialNumber, OrderId};
pub use keyring::{CredentialsProvider, Keyring};
pub use messages::Language;
pub use models::{
    AddCategoryRequest, Barcode, BottomLine, Category, CategoryV3, Image, OrderLine,
    OrderV2Response, PaymentSources, ProblemDetails, Receipt, UnitInfo,
};
pub use money::{Amount, MAX_TAX_RATE_BASIS, TaxRate, TaxRateError, Total};
pub use retry::{Endpoint, RetryPolicies, RetryPolicy};
pub use validate::{Problem, Severity, Validate, ValidationReport};

impl From<IdError> for Error {
    fn from(e: IdError) -> Self {
        let mut report = ValidationReport::new();
        report.error(e.kind(), e.to_string());
        Error::Validation(report)
    }
}

/// Compiles the README's code as a doctest, so the front page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
