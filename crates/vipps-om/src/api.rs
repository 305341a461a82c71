//! The endpoints, one handler per resource: [`Images`], [`Categories`],
//! [`Receipts`], [`Orders`]. Each validates its request before sending
//! (turn that off per handler with `without_validation()`), and maps the
//! API's answers to typed results and [`Error`]s.

use std::sync::Arc;

use reqwest::Method;
use serde::Serialize;

use crate::client::{Call, Client, Reply, decode};
use crate::enums::PaymentType;
use crate::error::Error;
use crate::ids::{CategoryId, ImageId, OrderId};
use crate::models::{
    AddCategoryRequest, AddCategoryResponse, Category, CategoryV3, GetCategoriesResponse, Image,
    ImageResponse, OrderV2Response, ProblemDetails, Receipt,
};
use crate::retry::Endpoint;
use crate::validate::{Validate, ValidationReport, check_payment_type};

/// The result of a call that creates something that can exist only once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered<T> {
    /// Created by this call.
    Created(T),
    /// It was already there: an earlier attempt of this same call, which
    /// failed in a way that left it unclear whether the server stored it,
    /// did store it (the API answered 409 to the retry).
    AlreadyPresent,
}

impl<T> Delivered<T> {
    /// Whether this call created it.
    pub fn is_created(&self) -> bool {
        matches!(self, Delivered::Created(_))
    }
}

impl Client {
    /// Image uploads.
    pub fn images(&self) -> Images<'_> {
        Images {
            client: self,
            validate: true,
        }
    }

    /// Categories: the v2 link button and the v3 category list.
    pub fn categories(&self) -> Categories<'_> {
        Categories {
            client: self,
            validate: true,
        }
    }

    /// Order details (receipts).
    pub fn receipts(&self) -> Receipts<'_> {
        Receipts {
            client: self,
            validate: true,
        }
    }

    /// Reading an order back.
    pub fn orders(&self) -> Orders<'_> {
        Orders { client: self }
    }
}

macro_rules! without_validation {
    ($name:ident) => {
        impl $name<'_> {
            /// Skips local validation for calls through this handler (the
            /// API still validates).
            pub fn without_validation(mut self) -> Self {
                self.validate = false;
                self
            }
        }
    };
}

/// `POST /v1/images`.
pub struct Images<'a> {
    client: &'a Client,
    validate: bool,
}
without_validation!(Images);

/// Categories (`PUT /v2/.../categories/...` and `/v3/categories`).
pub struct Categories<'a> {
    client: &'a Client,
    validate: bool,
}
without_validation!(Categories);

/// `POST /v2/{paymentType}/receipts/{orderId}`.
pub struct Receipts<'a> {
    client: &'a Client,
    validate: bool,
}
without_validation!(Receipts);

/// `GET /v2/{paymentType}/{orderId}`.
pub struct Orders<'a> {
    client: &'a Client,
}

/// Runs validation; errors stop the call, warnings are logged.
fn check(enabled: bool, what: &str, request: &impl Validate) -> Result<(), Error> {
    if !enabled {
        return Ok(());
    }
    let report = request.validate();
    for warning in report.warnings() {
        tracing::warn!(path = %warning.path, "{what}: {}", warning.message);
    }
    if report.has_errors() {
        Err(Error::Validation(report))
    } else {
        Ok(())
    }
}

fn path_segment(payment_type: &PaymentType) -> Result<&'static str, Error> {
    payment_type.path_segment().ok_or_else(|| {
        let mut report = ValidationReport::new();
        check_payment_type(payment_type, "paymentType", &mut report);
        Error::Validation(report)
    })
}

fn json<T: Serialize>(what: &'static str, value: &T) -> Result<bytes::Bytes, Error> {
    serde_json::to_vec(value)
        .map(bytes::Bytes::from)
        .map_err(|e| Error::Encode {
            what,
            source: Arc::new(e),
        })
}

/// Maps a non-2xx reply that is not special to the endpoint.
fn failure(reply: &Reply, not_found: impl FnOnce() -> String) -> Error {
    failure_of(reply, not_found, None)
}

/// [`failure`] for a call about one order: a 404 names it.
fn order_failure(reply: &Reply, payment_type: &PaymentType, order_id: &OrderId) -> Error {
    failure_of(
        reply,
        || describe_order(payment_type, order_id),
        Some((payment_type.to_string(), order_id.to_string())),
    )
}

fn failure_of(
    reply: &Reply,
    not_found: impl FnOnce() -> String,
    order: Option<(String, String)>,
) -> Error {
    let problem = ProblemDetails::parse_boxed(&reply.body);
    match reply.status.as_u16() {
        400 => Error::BadRequest { problem },
        403 => Error::Forbidden {
            detail: problem.map(|p| p.summary()).unwrap_or_default(),
        },
        404 => Error::NotFound {
            what: not_found(),
            order,
            problem,
        },
        status => Error::Api { status, problem },
    }
}

/// A category's 400 that refuses its `imageId`: the id has the right form
/// (an [`ImageId`] always has), so the API does not know the image.
fn category_failure(image_id: Option<&ImageId>, error: Error) -> Error {
    match (error, image_id) {
        (Error::BadRequest { problem }, Some(id))
            if problem
                .as_deref()
                .is_some_and(|p| p.invalid_params.iter().any(|ip| names_image_id(&ip.name))) =>
        {
            Error::ImageNotUploaded {
                image_id: id.to_string(),
                problem,
            }
        }
        (error, _) => error,
    }
}

/// `imageId`, `ImageId`, `$.imageId`, `body.imageId`.
fn names_image_id(name: &str) -> bool {
    name.rsplit(['.', '/'])
        .next()
        .is_some_and(|last| last.eq_ignore_ascii_case("imageid"))
}

/// A 2xx body that is a JSON string (the spec's `201Created`/`200Upserted`);
/// `None` when the body is empty or something else, which is not worth
/// failing a successful write over.
fn id_string(reply: &Reply) -> Option<String> {
    serde_json::from_slice::<String>(&reply.body)
        .ok()
        .filter(|s| !s.is_empty())
}

impl Images<'_> {
    /// Uploads an image. A 409 on the first attempt is
    /// [`Error::ImageAlreadyExists`]; after a retry it is
    /// [`Delivered::AlreadyPresent`].
    pub async fn upload(&self, image: &Image) -> Result<Delivered<ImageResponse>, Error> {
        check(self.validate, "image", image)?;
        let reply = self
            .client
            .execute(Call {
                endpoint: Endpoint::UploadImage,
                method: Method::POST,
                path: "/order-management/v1/images".into(),
                query: None,
                body: Some(json("image", image)?),
                payment_type: None,
                order_id: None,
            })
            .await?;
        match reply.status.as_u16() {
            200..=299 => Ok(Delivered::Created(decode(&reply)?)),
            409 if reply.after_ambiguous_failure => Ok(Delivered::AlreadyPresent),
            409 => Err(Error::ImageAlreadyExists {
                image_id: image.image_id.to_string(),
                problem: ProblemDetails::parse_boxed(&reply.body),
            }),
            _ => Err(failure(&reply, || format!("image {}", image.image_id))),
        }
    }
}

impl Categories<'_> {
    /// Sets the v2 category of a payment, replacing any earlier one. Returns
    /// the id string the API answers with, when it sends one.
    pub async fn set(
        &self,
        payment_type: &PaymentType,
        order_id: &OrderId,
        category: &Category,
    ) -> Result<Option<String>, Error> {
        let segment = path_segment(payment_type)?;
        check(self.validate, "category", category)?;
        let reply = self
            .client
            .execute(Call {
                endpoint: Endpoint::SetCategory,
                method: Method::PUT,
                path: format!("/order-management/v2/{segment}/categories/{order_id}"),
                query: None,
                body: Some(json("category", category)?),
                payment_type: Some(segment),
                order_id: Some(order_id.as_str()),
            })
            .await?;
        match reply.status.as_u16() {
            200..=299 => Ok(id_string(&reply)),
            _ => Err(category_failure(
                category.image_id.as_ref(),
                order_failure(&reply, payment_type, order_id),
            )),
        }
    }

    /// Adds a v3 category (`POST /v3/categories`).
    pub async fn add(&self, request: &AddCategoryRequest) -> Result<CategoryId, Error> {
        path_segment(&request.payment_type)?;
        check(self.validate, "category", request)?;
        let reply = self
            .client
            .execute(Call {
                endpoint: Endpoint::AddCategoryV3,
                method: Method::POST,
                path: "/order-management/v3/categories".into(),
                query: None,
                body: Some(json("category", request)?),
                payment_type: Some(request.payment_type.as_str()),
                order_id: Some(request.order_id.as_str()),
            })
            .await?;
        match reply.status.as_u16() {
            200..=299 => Ok(decode::<AddCategoryResponse>(&reply)?.category_id),
            _ => Err(category_failure(
                request.image_id.as_ref(),
                order_failure(&reply, &request.payment_type, &request.order_id),
            )),
        }
    }

    /// The v3 categories of an order.
    pub async fn list(&self, order_id: &OrderId) -> Result<Vec<CategoryV3>, Error> {
        let reply = self
            .client
            .execute(Call {
                endpoint: Endpoint::ListCategoriesV3,
                method: Method::GET,
                path: "/order-management/v3/categories".into(),
                query: Some(("orderId", order_id.as_str())),
                body: None,
                payment_type: None,
                order_id: Some(order_id.as_str()),
            })
            .await?;
        match reply.status.as_u16() {
            200..=299 => Ok(decode::<GetCategoriesResponse>(&reply)?.categories),
            _ => Err(failure(&reply, || {
                format!("categories of order {order_id}")
            })),
        }
    }

    /// One v3 category.
    pub async fn get(&self, category_id: &CategoryId) -> Result<CategoryV3, Error> {
        let reply = self
            .category_call(Endpoint::GetCategoryV3, Method::GET, category_id)
            .await?;
        match reply.status.as_u16() {
            200..=299 => decode(&reply),
            _ => Err(failure(&reply, || format!("category {category_id}"))),
        }
    }

    /// Deletes a v3 category.
    pub async fn delete(&self, category_id: &CategoryId) -> Result<(), Error> {
        let reply = self
            .category_call(Endpoint::DeleteCategoryV3, Method::DELETE, category_id)
            .await?;
        match reply.status.as_u16() {
            200..=299 => Ok(()),
            _ => Err(failure(&reply, || format!("category {category_id}"))),
        }
    }

    async fn category_call(
        &self,
        endpoint: Endpoint,
        method: Method,
        id: &CategoryId,
    ) -> Result<Reply, Error> {
        self.client
            .execute(Call {
                endpoint,
                method,
                path: format!("/order-management/v3/categories/{id}"),
                query: None,
                body: None,
                payment_type: None,
                order_id: None,
            })
            .await
    }
}

fn describe_order(payment_type: &PaymentType, order_id: &OrderId) -> String {
    format!("{payment_type} order {order_id}")
}

impl Receipts<'_> {
    /// Sends the order details of a payment. They can be sent once: a 409
    /// on the first attempt is [`Error::ReceiptAlreadyExists`]; a 409 after
    /// a retry means our earlier attempt was stored:
    /// [`Delivered::AlreadyPresent`]. `Created` holds the id string the API
    /// answers with, when it sends one.
    pub async fn add(
        &self,
        payment_type: &PaymentType,
        order_id: &OrderId,
        receipt: &Receipt,
    ) -> Result<Delivered<Option<String>>, Error> {
        let segment = path_segment(payment_type)?;
        check(self.validate, "receipt", receipt)?;
        let reply = self
            .client
            .execute(Call {
                endpoint: Endpoint::AddReceipt,
                method: Method::POST,
                path: format!("/order-management/v2/{segment}/receipts/{order_id}"),
                query: None,
                body: Some(json("receipt", receipt)?),
                payment_type: Some(segment),
                order_id: Some(order_id.as_str()),
            })
            .await?;
        match reply.status.as_u16() {
            200..=299 => Ok(Delivered::Created(id_string(&reply))),
            409 if reply.after_ambiguous_failure => Ok(Delivered::AlreadyPresent),
            409 => Err(Error::ReceiptAlreadyExists {
                order_id: order_id.to_string(),
                payment_type: payment_type.to_string(),
                problem: ProblemDetails::parse_boxed(&reply.body),
            }),
            _ => Err(order_failure(&reply, payment_type, order_id)),
        }
    }
}

impl Orders<'_> {
    /// The category and order details of a payment as the app shows them.
    /// [`Error::NotFound`] when neither was ever sent.
    pub async fn get(
        &self,
        payment_type: &PaymentType,
        order_id: &OrderId,
    ) -> Result<OrderV2Response, Error> {
        let segment = path_segment(payment_type)?;
        let reply = self
            .client
            .execute(Call {
                endpoint: Endpoint::GetOrder,
                method: Method::GET,
                path: format!("/order-management/v2/{segment}/{order_id}"),
                query: None,
                body: None,
                payment_type: Some(segment),
                order_id: Some(order_id.as_str()),
            })
            .await?;
        match reply.status.as_u16() {
            200..=299 => decode(&reply),
            _ => Err(order_failure(&reply, payment_type, order_id)),
        }
    }
}
