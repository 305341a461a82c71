//! The category link of an order: a form (filled from the API), a review
//! with the preview, then the fix is queued in the outbox
//! ([`delivery::queue_category`]).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use vipps_om::summary::OrderSummary;
use vipps_om::{Category, CategoryType, ImageId, OrderId, PaymentType, Validate};

use super::{AppError, Page, St, load_jobs, record_fix};
use crate::delivery;
use crate::links::{payment_type, pt_code};
use crate::views::{self, respond};
use crate::web::Signed;

/// The category form's fields, as typed.
#[derive(Deserialize)]
pub(crate) struct CategoryForm {
    pub(crate) order_id: String,
    pub(crate) payment_type: String,
    pub(crate) category: String,
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) image_id: String,
}

/// An order named in a query, with an image to prefill.
#[derive(Deserialize)]
pub(crate) struct OrderRef {
    pub(crate) order_id: String,
    #[serde(default)]
    pub(crate) payment_type: String,
    #[serde(default)]
    pub(crate) image_id: String,
}

pub(crate) async fn category_form(
    State(state): St,
    signed: Signed,
    Query(q): Query<OrderRef>,
) -> Page {
    signed.require_editor()?;
    let pt = payment_type(&q.payment_type);
    let mut form = CategoryForm {
        order_id: q.order_id.clone(),
        payment_type: pt_code(&pt).to_owned(),
        category: CategoryType::Receipt.as_str().to_owned(),
        url: String::new(),
        image_id: q.image_id.clone(),
    };
    if let Ok(id) = OrderId::new(q.order_id.as_str())
        && let Ok(order) = state.client.orders().get(&pt, &id).await
        && let Some(current) = order.category
    {
        form.category = current.category.as_str().to_owned();
        form.url = current.order_details_url;
        if form.image_id.is_empty() {
            form.image_id = current.image_id.map(|i| i.to_string()).unwrap_or_default();
        }
    }
    Ok(views::forms::category_edit(&signed.ctx, &form, None))
}

/// Order, payment type, category and warnings.
type ParsedCategory = (OrderId, PaymentType, Category, Vec<(String, String)>);

/// The category the form describes, or every problem with it.
fn parse_category(form: &CategoryForm) -> Result<ParsedCategory, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let order_id = OrderId::new(form.order_id.trim())
        .map_err(|e| errors.push(("orderId".to_owned(), e.to_string())))
        .ok();
    let category: CategoryType = form
        .category
        .parse()
        .unwrap_or(CategoryType::Unknown(form.category.clone()));
    let image_id = match form.image_id.trim() {
        "" => None,
        id => ImageId::new(id)
            .map_err(|e| errors.push(("imageId".to_owned(), e.to_string())))
            .ok(),
    };
    let mut value = Category::new(category, form.url.trim());
    value.image_id = image_id;
    let report = value.validate();
    for p in report.errors() {
        errors.push((p.path.clone(), p.message.clone()));
    }
    let warnings: Vec<(String, String)> = report
        .warnings()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    match order_id {
        Some(order_id) if errors.is_empty() => {
            Ok((order_id, payment_type(&form.payment_type), value, warnings))
        }
        _ => Err(errors),
    }
}

/// The category form of a review or an apply: editors only, checked the
/// same way both times (the apply step trusts nothing from the review).
fn editor_category(signed: &Signed, form: &CategoryForm) -> Result<ParsedCategory, AppError> {
    signed.require_editor()?;
    parse_category(form)
        .map_err(|errors| views::forms::category_edit(&signed.ctx, form, Some(&errors)).into())
}

pub(crate) async fn category_review(
    State(state): St,
    signed: Signed,
    Form(form): Form<CategoryForm>,
) -> Page {
    let (order_id, pt, category, warnings) = editor_category(&signed, &form)?;
    // The preview is the order as the customer will see it: the new
    // button over the order details the API already has.
    let order = state.client.orders().get(&pt, &order_id).await.ok();
    let (current, receipt) = match order {
        Some(order) => (order.category, order.receipt),
        None => (None, None),
    };
    let preview = OrderSummary::new(&vipps_om::OrderV2Response::new(
        Some(category.clone()),
        receipt,
    ));
    Ok(respond(
        StatusCode::OK,
        views::forms::category_review(
            &signed.ctx,
            &views::forms::CategoryReview {
                order_id: &order_id,
                payment_type: &pt,
                category: &category,
                current: current.as_ref(),
                preview: &preview,
                warnings: &warnings,
            },
        ),
    ))
}

pub(crate) async fn category_apply(
    State(state): St,
    signed: Signed,
    Form(form): Form<CategoryForm>,
) -> Page {
    let (order_id, pt, category, _) = editor_category(&signed, &form)?;
    let ctx = &signed.ctx;
    let key = state.order_key(&pt, &order_id);
    let result = delivery::queue_category(&state.outbox, &key, &category).await;
    let mut detail = format!(
        "category {} → {}",
        category.category.as_str(),
        category.order_details_url
    );
    if let Some(image) = &category.image_id {
        detail.push_str(&format!(" with image {image}"));
    }
    let queued = record_fix(&state, &signed, &key, "category.set", &detail, result).await?;
    let jobs = load_jobs(&state, &key).await;
    Ok(respond(
        StatusCode::OK,
        views::forms::category_queued(ctx, &key, &queued, &jobs),
    ))
}
