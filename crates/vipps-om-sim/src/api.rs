//! The Order Management operations. Each handler runs in the same phases,
//! in this order, and stops at the first phase that fails:
//!
//! 1. authentication ([`crate::auth`]): 401;
//! 2. a body not sent as JSON (`Content-Type`) → 415;
//! 3. headers: `Merchant-Serial-Number` of another merchant → 403;
//! 4. the checks of [`crate::rules`] on headers, path, query and body
//!    together: one 400 that names every bad field (`invalidParams`, JSON
//!    paths such as `orderLines[1].totalTaxAmount`; `$` for the body as a
//!    whole); in default mode the strict rules become warnings in the
//!    request log;
//! 5. state rules: an `imageId` never uploaded (400), a second receipt or
//!    image (409), something not found (404), the store's limits (507,
//!    see [`crate::state`]);
//! 6. the body converted to the client library's models (it passed the
//!    checks, so it converts), the change and the answer.
//!
//! Handlers are synchronous: state is touched under the store lock for a
//! few map operations only.

use axum::http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;
use vipps_om::models::{AddCategoryRequest, Category, Image, Receipt};
use vipps_om::{CategoryId, OrderId};

use crate::auth;
use crate::reply::Reply;
use crate::routes::{PathParams, Route};
use crate::rules::{self, Findings, Rule, image, schema, strict};
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
    if takes_body(route) {
        let content_type = auth::header_text(request.headers, header::CONTENT_TYPE);
        if !content_type.is_some_and(is_json) {
            return Reply::problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The request body must be JSON, sent with Content-Type: application/json.",
            );
        }
    }
    let mut findings = Findings::new(state.mode(merchant));
    if let Err(reply) = auth::check_headers(state, merchant, request.headers, &mut findings) {
        return reply;
    }
    let mut call = Call {
        state,
        merchant,
        params,
        request,
        findings,
    };
    let reply = match route {
        Route::UploadImage => call.upload_image(),
        Route::SetCategoryV2 => call.set_category_v2(),
        Route::AddReceipt => call.add_receipt(),
        Route::GetOrder => call.get_order(),
        Route::AddCategoryV3 => call.add_category_v3(),
        Route::ListCategoriesV3 => call.list_categories_v3(),
        Route::GetCategoryV3 => call.get_category_v3(),
        Route::DeleteCategoryV3 => call.delete_category_v3(),
        Route::AccessToken => auth::token(state, request.headers),
        Route::CreatePayment => {
            let body = call.body();
            let key = auth::header_text(request.headers, "idempotency-key");
            crate::epayment::create(state, merchant, key, body, &mut call.findings)
        }
        Route::GetPayment => {
            let reference = params.reference.as_deref().unwrap_or_default();
            crate::epayment::get(state, merchant, reference, &mut call.findings)
        }
    };
    reply.with_warnings(call.findings.take_warnings())
}

/// The operations with a JSON request body.
fn takes_body(route: Route) -> bool {
    matches!(
        route,
        Route::UploadImage
            | Route::SetCategoryV2
            | Route::AddReceipt
            | Route::AddCategoryV3
            | Route::CreatePayment
    )
}

/// A value from the request, cut for quoting in a reason.
fn shown(value: &str) -> String {
    value.chars().take(40).collect()
}

/// A body that passed the checks, as one of the client library's models.
fn to_model<T: serde::de::DeserializeOwned>(body: Map<String, Value>) -> Result<T, Reply> {
    serde_json::from_value(Value::Object(body)).map_err(|e| {
        Reply::internal(&format!(
            "a body that passed the checks does not convert to the model: {e}"
        ))
    })
}

struct Call<'a> {
    state: &'a SimState,
    merchant: MerchantIx,
    params: &'a PathParams,
    request: &'a ApiRequest<'a>,
    findings: Findings,
}

impl Call<'_> {
    /// The 400 naming every refused field, or `None`: headers and path
    /// parameters first, then body fields in the spec's order, line by
    /// line.
    fn refused(&mut self, root: &[schema::Field]) -> Option<Reply> {
        if !self.findings.is_refused() {
            return None;
        }
        let mut problems = self.findings.take_problems();
        problems.sort_by_cached_key(|p| schema::order_key(&p.name, root));
        Some(Reply::refused(problems))
    }

    /// The `{paymentType}` of a v2 path: `ecom` or `recurring` in any case.
    fn kind(&mut self) -> Option<Kind> {
        let segment = self.params.payment_type.as_deref().unwrap_or_default();
        let kind = Kind::from_path(segment);
        if kind.is_none() {
            self.findings.refuse(
                "paymentType",
                format!(
                    "The value '{}' is not valid for paymentType (ECOM or RECURRING).",
                    shown(segment)
                ),
            );
        }
        kind
    }

    /// The `{orderId}` of a v2 path.
    fn path_order_id(&mut self) -> Option<OrderId> {
        let value = self.params.order_id.as_deref().unwrap_or_default();
        schema::check_order_id(value, &mut self.findings);
        OrderId::new(value).ok()
    }

    /// The body as a JSON object; the problem when it is not one.
    fn body(&mut self) -> Option<Map<String, Value>> {
        let body = self.request.body;
        if body.iter().all(u8::is_ascii_whitespace) {
            self.findings
                .refuse("$", "A non-empty request body is required.");
            return None;
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => Some(object),
            Ok(_) => {
                self.findings
                    .refuse("$", "The request body must be a JSON object.");
                None
            }
            Err(e) => {
                let what = if e.to_string().contains("recursion limit") {
                    "it nests too deeply"
                } else {
                    match e.classify() {
                        serde_json::error::Category::Eof => "it ends too early",
                        serde_json::error::Category::Syntax => "unexpected character",
                        serde_json::error::Category::Data => "a value cannot be read",
                        serde_json::error::Category::Io => "it could not be read",
                    }
                };
                self.findings.refuse(
                    "$",
                    format!(
                        "The request body is not valid JSON: {what} at line {}, column {}.",
                        e.line(),
                        e.column()
                    ),
                );
                None
            }
        }
    }

    /// A referenced image must be this merchant's.
    fn check_image(&mut self, body: &Map<String, Value>) {
        if self.findings.names("imageId") {
            return;
        }
        if let Some(id) = body.get("imageId").and_then(Value::as_str)
            && !self.state.lock().has_image(self.merchant, id)
        {
            self.findings.refuse(
                "imageId",
                format!(
                    "No image with imageId '{}' exists; upload it first with POST /v1/images.",
                    shown(id)
                ),
            );
        }
    }

    /// A link field of a category: absolute (schema), `https` (doubted).
    fn check_link(&mut self, body: &Map<String, Value>, field: &str) {
        if !self.findings.names(field)
            && let Some(url) = body.get(field).and_then(Value::as_str)
        {
            strict::link(url, field, false, &mut self.findings);
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
        let body = self.body();
        let mut info = None;
        if let Some(body) = &body {
            schema::check_object(body, schema::IMAGE, "", &mut self.findings);
            if !self.findings.names("src")
                && let Some(src) = body.get("src").and_then(Value::as_str)
            {
                info = image::check_src(src, &mut self.findings);
            }
        }
        if let Some(reply) = self.refused(schema::IMAGE) {
            return reply;
        }
        let (Some(body), Some(info)) = (body, info) else {
            return Reply::internal("an image passed the checks but is missing");
        };
        let image: Image = match to_model(body) {
            Ok(image) => image,
            Err(reply) => return reply,
        };
        let id = image.image_id.as_str();
        let added = self.state.lock().add_image(self.merchant, id, info);
        let added = match added {
            Ok(added) => added,
            Err(refusal) => return refusal.reply(),
        };
        if !added {
            return Reply::problem(
                StatusCode::CONFLICT,
                format!(
                    "An image with imageId '{id}' already exists; images cannot be overwritten: reuse it, or upload the new picture under a new imageId."
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
        let order_id = self.path_order_id();
        let body = self.body();
        if let Some(body) = &body {
            schema::check_object(body, schema::ORDER, "", &mut self.findings);
            self.check_link(body, "orderDetailsUrl");
            self.check_image(body);
        }
        if let Some(reply) = self.refused(schema::ORDER) {
            return reply;
        }
        let (Some(kind), Some(order_id), Some(body)) = (kind, order_id, body) else {
            return Reply::internal("a category passed the checks but is missing");
        };
        let category: Category = match to_model(body) {
            Ok(category) => category,
            Err(reply) => return reply,
        };
        let key = self.key(kind, &order_id);
        let replaced = self.state.lock().replace_category(
            key,
            category.category,
            category.order_details_url,
            category.image_id,
        );
        match replaced {
            Ok(id) => Reply::json(StatusCode::OK, &id.hyphenated().to_string()),
            Err(refusal) => refusal.reply(),
        }
    }

    fn add_receipt(&mut self) -> Reply {
        let kind = self.kind();
        let order_id = self.path_order_id();
        let body = self.body();
        if let Some(body) = &body {
            schema::check_object(body, schema::RECEIPT, "", &mut self.findings);
            strict::receipt(body, &mut self.findings);
        }
        if let Some(reply) = self.refused(schema::RECEIPT) {
            return reply;
        }
        let (Some(kind), Some(order_id), Some(body)) = (kind, order_id, body) else {
            return Reply::internal("a receipt passed the checks but is missing");
        };
        let receipt: Receipt = match to_model(body) {
            Ok(receipt) => receipt,
            Err(reply) => return reply,
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
                    "Order details (receipt) for {} order '{}' already exist; a receipt cannot be changed once it is sent.",
                    kind.wire(),
                    order_id.as_str()
                ),
            ),
        }
    }

    fn get_order(&mut self) -> Reply {
        let kind = self.kind();
        let order_id = self.path_order_id();
        if let Some(reply) = self.refused(&[]) {
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
                    // A slot marked taken without content shows nothing
                    // (POST /_sim/.../receipt-taken with no body); the
                    // order still exists, so the answer is 200 `{}`.
                    order
                        .receipt
                        .as_ref()
                        .filter(|r| !r.json.is_empty())
                        .map(|r| r.json.clone()),
                    order.receipt.is_some(),
                )
            })
        };
        let (category, receipt, slot_taken) = found.unwrap_or_default();
        if category.is_none() && !slot_taken {
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
        let body = self.body();
        if let Some(body) = &body {
            schema::check_object(body, schema::ADD_CATEGORY_REQUEST, "", &mut self.findings);
            self.check_link(body, "url");
            self.check_image(body);
        }
        if let Some(reply) = self.refused(schema::ADD_CATEGORY_REQUEST) {
            return reply;
        }
        let Some(body) = body else {
            return Reply::internal("a category passed the checks but is missing");
        };
        let request: AddCategoryRequest = match to_model(body) {
            Ok(request) => request,
            Err(reply) => return reply,
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

    /// `GET /v3/categories?orderId=`: the spec does not mark `orderId`
    /// required nor give it a pattern, so a missing or malformed one is a
    /// [`Rule::CategoriesOrderId`] doubt; default mode answers an empty
    /// list.
    fn list_categories_v3(&mut self) -> Reply {
        let query = self.request.query.unwrap_or_default();
        let value = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name.eq_ignore_ascii_case("orderId"))
            .map(|(_, value)| value.into_owned())
            .filter(|value| !value.is_empty());
        let order_id = match &value {
            None => {
                self.findings.doubt(
                    Rule::CategoriesOrderId,
                    "orderId",
                    "The orderId field is required (GET /v3/categories?orderId=<the order's id>).",
                );
                None
            }
            Some(value) => {
                let mut check = Findings::new(rules::Mode::Strict);
                schema::check_order_id(value, &mut check);
                for problem in check.take_problems() {
                    self.findings
                        .doubt(Rule::CategoriesOrderId, problem.name, problem.reason);
                }
                Some(value.as_str())
            }
        };
        if let Some(reply) = self.refused(&[]) {
            return reply;
        }
        let categories: Vec<_> = match order_id {
            None => Vec::new(),
            Some(order_id) => {
                let store = self.state.lock();
                store
                    .categories_of(self.merchant, order_id)
                    .into_iter()
                    .filter_map(|(kind, c)| category_v3(kind, order_id, c))
                    .collect()
            }
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
            format!("No category with categoryId '{shown}' was found."),
        )
    }

    fn get_category_v3(&mut self) -> Reply {
        let id = self.category_id();
        if id.is_none() {
            let sent = self.params.category_id.as_deref().unwrap_or_default();
            self.findings.refuse(
                "categoryId",
                format!(
                    "The value '{}' is not valid for categoryId (a UUID, as returned by POST /v3/categories).",
                    shown(sent)
                ),
            );
        }
        if let Some(reply) = self.refused(&[]) {
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
        if let Some(reply) = self.refused(&[]) {
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
}
