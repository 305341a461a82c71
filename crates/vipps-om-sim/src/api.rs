//! The Order Management operations. Each handler runs in the same phases,
//! in this order, and stops at the first phase that fails:
//!
//! 1. authentication ([`crate::auth`]): 401;
//! 2. headers: `Merchant-Serial-Number` of another merchant → 403;
//! 3. validation of headers, path, query and body together: one 400 that
//!    names every bad field (`invalidParams`, JSON paths such as
//!    `orderLines[1].totalTaxAmount`; `$` for the body as a whole);
//! 4. state rules: an `imageId` never uploaded (400), a second receipt or
//!    image (409), something not found (404), the store's limits (507,
//!    see [`crate::state`]);
//! 5. the change and the answer.
//!
//! Handlers are synchronous: state is touched under the store lock for a
//! few map operations only.

use axum::http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use vipps_om::image::ImageFacts;
use vipps_om::models::{Category, InvalidParam};
use vipps_om::{CategoryId, ImageId, OrderId, ValidationReport, parse};

use crate::auth;
use crate::reply::Reply;
use crate::routes::{PathParams, Route};
use crate::spec_rules;
use crate::state::{Kind, MerchantIx, OrderKey, SimState, category_v3};

/// What a handler needs of the request.
pub(crate) struct ApiRequest<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: Option<&'a str>,
    pub(crate) body: &'a [u8],
}

/// Handles a request to a live route (faults already applied).
pub(crate) fn handle(
    state: &SimState,
    route: Route,
    params: &PathParams,
    request: &ApiRequest<'_>,
) -> Reply {
    if route == Route::AccessToken {
        return auth::token(state, request.headers);
    }
    let merchant = match auth::authenticate(state, request.headers) {
        Ok(m) => m,
        Err(reply) => return reply,
    };
    let problems = match auth::check_headers(state, merchant, request.headers) {
        Ok(problems) => problems,
        Err(reply) => return reply,
    };
    let mut call = Call {
        state,
        merchant,
        params,
        request,
        problems: Problems(problems),
    };
    match route {
        Route::UploadImage => call.upload_image(),
        Route::SetCategoryV2 => call.set_category_v2(),
        Route::AddReceipt => call.add_receipt(),
        Route::GetOrder => call.get_order(),
        Route::AddCategoryV3 => call.add_category_v3(),
        Route::ListCategoriesV3 => call.list_categories_v3(),
        Route::GetCategoryV3 => call.get_category_v3(),
        Route::DeleteCategoryV3 => call.delete_category_v3(),
        Route::AccessToken => auth::token(state, request.headers),
    }
}

/// The invalid parameters found so far.
struct Problems(Vec<InvalidParam>);

impl Problems {
    fn add(&mut self, name: &str, reason: impl Into<String>) {
        let reason = reason.into();
        if !self.0.iter().any(|p| p.name == name && p.reason == reason) {
            self.0.push(InvalidParam::new(name, reason));
        }
    }

    /// Adds the errors of a report (warnings are not the API's business).
    fn add_report(&mut self, report: &ValidationReport) {
        for problem in report.errors() {
            let name = if problem.path.is_empty() {
                "$"
            } else {
                problem.path.as_str()
            };
            self.add(name, problem.message.clone());
        }
    }

    /// Adds the errors of a report for fields not already named.
    fn add_new_fields(&mut self, report: &ValidationReport) {
        for problem in report.errors() {
            if !self.0.iter().any(|p| p.name == problem.path) {
                self.add(&problem.path, problem.message.clone());
            }
        }
    }

    /// The 400, or `None` when nothing is wrong.
    fn reply(&mut self) -> Option<Reply> {
        (!self.0.is_empty()).then(|| Reply::invalid(std::mem::take(&mut self.0)))
    }
}

struct Call<'a> {
    state: &'a SimState,
    merchant: MerchantIx,
    params: &'a PathParams,
    request: &'a ApiRequest<'a>,
    problems: Problems,
}

impl Call<'_> {
    /// The `{paymentType}` of a v2 path.
    fn kind(&mut self) -> Option<Kind> {
        let segment = self.params.payment_type.as_deref().unwrap_or_default();
        let kind = Kind::from_path(segment);
        if kind.is_none() {
            let shown: String = segment.chars().take(40).collect();
            self.problems.add(
                "paymentType",
                format!("{shown:?} is not a payment type; use ECOM (eCom and ePayment payments) or RECURRING, in any case"),
            );
        }
        kind
    }

    /// An orderId from the path or query.
    fn order_id(&mut self, value: Option<&str>) -> Option<OrderId> {
        match OrderId::new(value.unwrap_or_default()) {
            Ok(id) => Some(id),
            Err(e) => {
                self.problems.add("orderId", e.to_string());
                None
            }
        }
    }

    /// The body as a JSON object, after the content-type and JSON checks.
    fn json_object(&mut self) -> Option<Value> {
        let content_type = auth::header_text(self.request.headers, header::CONTENT_TYPE.as_str());
        if !content_type.is_some_and(is_json) {
            self.problems.add(
                "Content-Type",
                "The request body must be JSON; send it with Content-Type: application/json.",
            );
        }
        if self.request.body.iter().all(u8::is_ascii_whitespace) {
            self.problems
                .add("$", "The request body is empty; send a JSON object.");
            return None;
        }
        match serde_json::from_slice::<Value>(self.request.body) {
            Ok(value @ Value::Object(_)) => Some(value),
            Ok(_) => {
                self.problems
                    .add("$", "The request body must be a JSON object ({...}).");
                None
            }
            Err(e) => {
                self.problems.add(
                    "$",
                    format!(
                        "The request body is not valid JSON (line {}, column {}): {}.",
                        e.line(),
                        e.column(),
                        e.to_string().split(" at line").next().unwrap_or_default()
                    ),
                );
                None
            }
        }
    }

    /// A referenced image must be this merchant's.
    fn check_image(&mut self, image_id: Option<&ImageId>) {
        if let Some(id) = image_id
            && !self.state.lock().has_image(self.merchant, id.as_str())
        {
            self.problems.add(
                "imageId",
                format!("no image with this id ({id}); upload it first with POST /v1/images"),
            );
        }
    }

    fn key(&self, kind: Kind, order_id: &OrderId) -> OrderKey {
        OrderKey {
            merchant: self.merchant,
            kind,
            order_id: Box::from(order_id.as_str()),
        }
    }

    fn upload_image(&mut self) -> Reply {
        let parsed =
            self.json_object()
                .and_then(|_| match parse::image_from_json(self.request.body) {
                    Ok((image, _warnings)) => Some(image),
                    Err(report) => {
                        self.problems.add_report(&report);
                        None
                    }
                });
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let Some(image) = parsed else {
            return Reply::internal("image parsed without problems but is missing");
        };
        let facts = image
            .decode()
            .ok()
            .and_then(|bytes| ImageFacts::inspect(&bytes).ok());
        let Some(facts) = facts else {
            return Reply::internal("a validated image could not be inspected");
        };
        let id = image.image_id.as_str();
        let added = self.state.lock().add_image(self.merchant, id, facts);
        let added = match added {
            Ok(added) => added,
            Err(refusal) => return refusal.reply(),
        };
        if !added {
            return Reply::problem(
                StatusCode::CONFLICT,
                format!(
                    "An image with imageId {id:?} already exists; images cannot be overwritten: reuse it, or upload the new picture under a new imageId."
                ),
            );
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ImageResponse<'a> {
            image_id: &'a str,
        }
        Reply::json(StatusCode::OK, &ImageResponse { image_id: id })
    }

    fn set_category_v2(&mut self) -> Reply {
        let kind = self.kind();
        let order_id = self.order_id(self.params.order_id.as_deref());
        let category =
            self.json_object()
                .and_then(|_| match parse::category_from_json(self.request.body) {
                    Ok((category, _warnings)) => Some(category),
                    Err(report) => {
                        self.problems.add_report(&report);
                        None
                    }
                });
        if let Some(category) = &category {
            self.check_image(category.image_id.as_ref());
        }
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let (Some(kind), Some(order_id), Some(category)) = (kind, order_id, category) else {
            return Reply::internal("category parsed without problems but is missing");
        };
        let key = self.key(kind, &order_id);
        let replaced = self.state.lock().replace_category(
            key,
            category.category,
            category.order_details_url,
            category.image_id,
        );
        let id = match replaced {
            Ok(id) => id,
            Err(refusal) => return refusal.reply(),
        };
        Reply::json(StatusCode::OK, &id.hyphenated().to_string())
    }

    fn add_receipt(&mut self) -> Reply {
        let kind = self.kind();
        let order_id = self.order_id(self.params.order_id.as_deref());
        let receipt = self.json_object().and_then(|body| {
            // The body is parsed once: the library reads the same value.
            let parsed = match parse::receipt_from_value(&body) {
                Ok((receipt, _warnings)) => Some(receipt),
                Err(report) => {
                    self.problems.add_report(&report);
                    None
                }
            };
            self.problems.add_new_fields(&spec_rules::receipt(&body));
            parsed
        });
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let (Some(kind), Some(order_id), Some(receipt)) = (kind, order_id, receipt) else {
            return Reply::internal("receipt parsed without problems but is missing");
        };
        // Written into a buffer the size of the body (the stored form is
        // rarely longer) rather than grown from serde_json's default 128
        // bytes, then copied into a string of exactly its length: what is
        // kept has no spare capacity, and no shrunk-in-place tail is left
        // behind in the heap for each stored order.
        let mut buffer = Vec::with_capacity(self.request.body.len());
        let json = match serde_json::to_writer(&mut buffer, &receipt)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                std::str::from_utf8(&buffer)
                    .map(String::from)
                    .map_err(|e| e.to_string())
            }) {
            Ok(json) => json,
            Err(e) => return Reply::internal(&format!("could not store the receipt: {e}")),
        };
        let key = self.key(kind, &order_id);
        let added = self.state.lock().add_receipt(key, json);
        match added {
            Err(refusal) => refusal.reply(),
            Ok(Some(id)) => Reply::json(StatusCode::CREATED, &id.hyphenated().to_string()),
            Ok(None) => Reply::problem(
                StatusCode::CONFLICT,
                format!(
                    "Order details (receipt) for {} order {:?} already exist; a receipt cannot be changed once it is sent.",
                    kind.wire(),
                    order_id.as_str()
                ),
            ),
        }
    }

    fn get_order(&mut self) -> Reply {
        let kind = self.kind();
        let order_id = self.order_id(self.params.order_id.as_deref());
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let (Some(kind), Some(order_id)) = (kind, order_id) else {
            return Reply::internal("order id parsed without problems but is missing");
        };
        let key = self.key(kind, &order_id);
        let found = {
            let store = self.state.lock();
            store.orders.get(&key).map(|order| {
                (
                    order.categories.last().cloned(),
                    order.receipt.as_ref().map(|r| r.json.clone()),
                )
            })
        };
        let (category, receipt) = found.unwrap_or_default();
        if category.is_none() && receipt.is_none() {
            return Reply::problem(
                StatusCode::NOT_FOUND,
                format!(
                    "No category or order details were found for {} order {:?}.",
                    kind.wire(),
                    order_id.as_str()
                ),
            );
        }
        // The receipt is kept as JSON; the answer is assembled around it.
        let mut body = String::from("{");
        if let Some(c) = category {
            let mut category = Category::new(c.category_type, c.url.into_string());
            category.image_id = c.image_id;
            match serde_json::to_string(&category) {
                Ok(json) => {
                    body.push_str("\"category\":");
                    body.push_str(&json);
                }
                Err(e) => return Reply::internal(&format!("could not encode a category: {e}")),
            }
        }
        if let Some(receipt) = receipt {
            if body.len() > 1 {
                body.push(',');
            }
            body.push_str("\"receipt\":");
            body.push_str(&receipt);
        }
        body.push('}');
        Reply::raw_json(StatusCode::OK, body.into_bytes())
    }

    fn add_category_v3(&mut self) -> Reply {
        let request = self.json_object().and_then(|body| {
            let parsed = match parse::add_category_request_from_json(self.request.body) {
                Ok((request, _warnings)) => Some(request),
                Err(report) => {
                    self.problems.add_report(&report);
                    None
                }
            };
            let spec = spec_rules::add_category(&body);
            // The library reads `ecom` as ECOM; the spec's enum does not.
            self.problems.0.retain(|p| {
                p.name != "paymentType" || !spec.errors().any(|e| e.path == "paymentType")
            });
            self.problems.add_report(&spec);
            parsed
        });
        if let Some(request) = &request {
            self.check_image(request.image_id.as_ref());
        }
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let Some(request) = request else {
            return Reply::internal("category parsed without problems but is missing");
        };
        let kind = match request.payment_type {
            vipps_om::PaymentType::Recurring => Kind::Recurring,
            _ => Kind::Ecom,
        };
        let key = self.key(kind, &request.order_id);
        let added = self.state.lock().add_category(
            key,
            request.category_type,
            request.url,
            request.image_id,
        );
        let id = match added {
            Ok(id) => id,
            Err(refusal) => return refusal.reply(),
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            category_id: CategoryId,
        }
        Reply::json(
            StatusCode::CREATED,
            &Created {
                category_id: CategoryId::from_uuid(id),
            },
        )
    }

    fn list_categories_v3(&mut self) -> Reply {
        let query = self.request.query.unwrap_or_default();
        let value = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name.eq_ignore_ascii_case("orderId"))
            .map(|(_, value)| value.into_owned());
        let order_id = match value {
            None => {
                self.problems.add(
                    "orderId",
                    "The orderId query parameter is required: GET /v3/categories?orderId=<the order's id>",
                );
                None
            }
            Some(value) => self.order_id(Some(&value)),
        };
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let Some(order_id) = order_id else {
            return Reply::internal("order id parsed without problems but is missing");
        };
        let categories: Vec<_> = {
            let store = self.state.lock();
            store
                .categories_of(self.merchant, order_id.as_str())
                .into_iter()
                .filter_map(|(kind, c)| category_v3(kind, order_id.as_str(), c))
                .collect()
        };
        Reply::json(
            StatusCode::OK,
            &vipps_om::models::GetCategoriesResponse::new(categories),
        )
    }

    /// The `{categoryId}` of the path, if it is a UUID.
    fn category_id(&self) -> Option<Uuid> {
        Uuid::parse_str(self.params.category_id.as_deref().unwrap_or_default()).ok()
    }

    fn category_not_found(&self) -> Reply {
        let shown: String = self
            .params
            .category_id
            .as_deref()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        Reply::problem(
            StatusCode::NOT_FOUND,
            format!("No category with categoryId {shown:?} was found."),
        )
    }

    fn get_category_v3(&mut self) -> Reply {
        let id = self.category_id();
        if id.is_none() {
            self.problems.add(
                "categoryId",
                "The categoryId must be a UUID, as returned by POST /v3/categories.",
            );
        }
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let found = id.and_then(|id| {
            let store = self.state.lock();
            store
                .category(self.merchant, id)
                .and_then(|(key, c)| category_v3(key.kind, &key.order_id, c))
        });
        match found {
            Some(category) => Reply::json(StatusCode::OK, &category),
            None => self.category_not_found(),
        }
    }

    fn delete_category_v3(&mut self) -> Reply {
        if let Some(reply) = self.problems.reply() {
            return reply;
        }
        let deleted = self
            .category_id()
            .is_some_and(|id| self.state.lock().delete_category(self.merchant, id));
        if deleted {
            Reply::empty(StatusCode::OK)
        } else {
            self.category_not_found()
        }
    }
}

/// `application/json` or any `+json` type, parameters ignored.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }

    #[test]
    fn problems_are_named_once() {
        let mut problems = Problems(Vec::new());
        problems.add("a", "x");
        problems.add("a", "x");
        problems.add("a", "y");
        assert_eq!(problems.0.len(), 2);
        let mut report = ValidationReport::new();
        report.error("a", "z");
        report.error("b", "z");
        report.warning("c", "w");
        problems.add_new_fields(&report);
        let names: Vec<&str> = problems.0.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["a", "a", "b"]);
    }
}
