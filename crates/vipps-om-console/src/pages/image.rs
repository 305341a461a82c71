//! Uploading an image for an order: a form, a review of the checked file
//! (kept in [`crate::uploads`] until confirmed), then the upload is queued
//! in the outbox ([`delivery::queue_image`]).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use vipps_om::{ImageId, OrderId};

use super::category::OrderRef;
use super::{AppError, Page, St, internal, load_jobs, record_fix};
use crate::auth::random_token;
use crate::delivery;
use crate::i18n::T;
use crate::links::payment_type;
use crate::uploads::PendingUpload;
use crate::views::forms::{ImageForm, ImageReview};
use crate::views::{self, respond};
use crate::web::Signed;

pub(crate) async fn image_form(signed: Signed, Query(q): Query<OrderRef>) -> Page {
    signed.require_editor()?;
    let form = ImageForm {
        order_id: q.order_id,
        payment_type: q.payment_type,
        // The id a failed category job needs (the order page links here
        // with it).
        image_id: q.image_id.trim().to_owned(),
    };
    Ok(views::forms::image_form(&signed.ctx, &form, None))
}

/// The fields and file of the image form, or the form again with why not.
async fn read_form(
    signed: &Signed,
    multipart: &mut Multipart,
) -> Result<(ImageForm, Vec<u8>), AppError> {
    let mut form = ImageForm {
        order_id: String::new(),
        payment_type: String::new(),
        image_id: String::new(),
    };
    let mut bytes = Vec::new();
    let refuse = |form: &ImageForm, field: &str, why: String| -> AppError {
        views::forms::image_form(&signed.ctx, form, Some(&[(field.to_owned(), why)])).into()
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok((form, bytes)),
            Err(e) => return Err(refuse(&form, "", e.body_text())),
        };
        match field.name().unwrap_or("") {
            "file" => match field.bytes().await {
                Ok(b) => bytes = b.to_vec(),
                Err(_) => {
                    return Err(refuse(&form, "file", "the file could not be read".into()));
                }
            },
            "order_id" => form.order_id = field.text().await.unwrap_or_default(),
            "payment_type" => form.payment_type = field.text().await.unwrap_or_default(),
            "image_id" => form.image_id = field.text().await.unwrap_or_default().trim().to_owned(),
            _ => {}
        }
    }
}

pub(crate) async fn image_review(
    State(state): St,
    signed: Signed,
    mut multipart: Multipart,
) -> Page {
    signed.require_editor()?;
    let ctx = &signed.ctx;
    let (form, bytes) = read_form(&signed, &mut multipart).await?;
    let report = vipps_om::validate::validate_image_bytes(&bytes, "file");
    let mut errors: Vec<(String, String)> = report
        .errors()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    if form.order_id.trim().is_empty() {
        errors.push(("orderId".into(), ctx.lang.t(T::NeedsOrder).into()));
    } else if let Err(e) = OrderId::new(form.order_id.trim()) {
        errors.push(("orderId".into(), e.to_string()));
    }
    let id = if form.image_id.is_empty() {
        Some(ImageId::from_content(&bytes))
    } else {
        ImageId::new(form.image_id.as_str())
            .map_err(|e| errors.push(("imageId".into(), e.to_string())))
            .ok()
    };
    let (Some(id), true) = (id, errors.is_empty()) else {
        return Err(views::forms::image_form(ctx, &form, Some(&errors)).into());
    };
    let warnings: Vec<(String, String)> = report
        .warnings()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    let upload_id = random_token().map_err(|e| internal(ctx, e))?;
    let body = views::forms::image_review(
        ctx,
        &ImageReview {
            form: &form,
            image_id: &id,
            facts: vipps_om::image::ImageFacts::inspect(&bytes).ok(),
            size: bytes.len(),
            warnings: &warnings,
            upload_id: &upload_id,
        },
    );
    state.uploads.insert(
        upload_id,
        PendingUpload {
            user_id: signed.session.user.id,
            image_id: id,
            bytes: Arc::new(bytes),
            order_id: form.order_id.trim().to_owned(),
            payment_type: form.payment_type,
        },
    );
    Ok(respond(StatusCode::OK, body))
}

#[derive(Deserialize)]
pub(crate) struct ApplyUpload {
    upload: String,
}

pub(crate) async fn image_apply(
    State(state): St,
    signed: Signed,
    Form(form): Form<ApplyUpload>,
) -> Page {
    signed.require_editor()?;
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let pending = state
        .uploads
        .take(&form.upload, signed.session.user.id)
        .ok_or_else(|| {
            views::message_page(
                ctx,
                StatusCode::GONE,
                lang.t(T::ActionFailed),
                lang.t(T::UploadExpired),
            )
        })?;
    // Checked by the review.
    let order_id = OrderId::new(pending.order_id.as_str()).map_err(|e| internal(ctx, e))?;
    let pt = payment_type(&pending.payment_type);
    let key = state.order_key(&pt, &order_id);
    let image = vipps_om::Image::from_bytes(pending.image_id.clone(), &pending.bytes);
    let result = delivery::queue_image(&state.outbox, &key, &image).await;
    let what = format!("image {} ({} bytes)", pending.image_id, pending.bytes.len());
    let queued = record_fix(&state, &signed, &key, "image.upload", &what, result).await?;
    let jobs = load_jobs(&state, &key).await;
    Ok(respond(
        StatusCode::OK,
        views::forms::image_queued(ctx, &key, &pending.image_id, &queued, &jobs),
    ))
}
