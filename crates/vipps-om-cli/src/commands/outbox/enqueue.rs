//! `vipps-om outbox enqueue --file FILE`: one receipt, category or image,
//! read with the outbox's own parsers and queued at once.

use serde_json::json;
use vipps_om::{Image, MerchantSerialNumber, OrderId, PaymentType, ValidationReport};
use vipps_om_outbox::{JobKind, JobRequest, NewJob, Outbox};

use super::{failure, merchant};
use crate::cli::OutboxEnqueueArgs;
use crate::commands::{Context, order_id, read_input};
use crate::failure::Failure;
use crate::style::clean;

/// Whether bytes are a PNG or JPEG file rather than JSON.
fn is_image_file(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// A job from a request body of `kind`: read and checked with the client
/// library's parsers and rules ([`NewJob::parse`]: the job and its
/// warnings), or with `validate` off only read ([`JobRequest::from_body`]).
/// Every problem otherwise, as a report (a body that is not JSON of the
/// kind, or a v3 category of another order, is one problem).
pub(super) fn job_from_body(
    kind: JobKind,
    msn: &MerchantSerialNumber,
    payment_type: &PaymentType,
    order: &OrderId,
    body: &[u8],
    validate: bool,
) -> Result<(NewJob, ValidationReport), ValidationReport> {
    if validate {
        return NewJob::parse(kind, msn, payment_type, order, body);
    }
    let refused = |message: String| {
        let mut report = ValidationReport::new();
        report.error("", message);
        report
    };
    let request = JobRequest::from_body(kind, body).map_err(|e| {
        refused(format!(
            "the {} cannot be read as JSON: {e}",
            kind.describe()
        ))
    })?;
    let job = NewJob::new(msn, payment_type, order, request).map_err(|e| refused(e.to_string()))?;
    Ok((job, ValidationReport::new()))
}

/// A job from a file of `kind` (a PNG or JPEG for an image is uploaded
/// under an id derived from its bytes): the job, its warnings and the
/// image id it uploads.
fn job_from_file(
    kind: JobKind,
    msn: &MerchantSerialNumber,
    payment_type: &PaymentType,
    order: &OrderId,
    bytes: &[u8],
    validate: bool,
) -> Result<(NewJob, ValidationReport, Option<String>), Failure> {
    let (job, warnings) = if kind == JobKind::Image && is_image_file(bytes) {
        let report = vipps_om::validate::validate_image_bytes(bytes, "src");
        if validate && report.has_errors() {
            return Err(Failure::invalid("the image", &report));
        }
        let image = Image::from_bytes_with_content_id(bytes);
        let job = NewJob::image(msn, payment_type, order, &image).map_err(failure)?;
        (job, report)
    } else {
        job_from_body(kind, msn, payment_type, order, bytes, validate)
            .map_err(|report| Failure::invalid(&format!("the {}", kind.describe()), &report))?
    };
    let image_id = match job.request() {
        JobRequest::Image(image) => Some(image.image_id.to_string()),
        _ => None,
    };
    Ok((job, warnings, image_id))
}

/// Queues one request from `--file`.
pub(super) async fn run(
    ctx: &Context,
    outbox: &Outbox,
    args: &OutboxEnqueueArgs,
) -> Result<(), Failure> {
    let (Some(raw_order), Some(file)) = (&args.order_id, &args.file) else {
        return Err(Failure::usage(
            "give --file FILE and --order-id ID, or --bulk FILE.jsonl",
        ));
    };
    let order = order_id(raw_order)?;
    let payment_type = PaymentType::from(args.payment_type);
    let kind = JobKind::from(args.kind);
    let msn = merchant(ctx)?;
    let bytes = read_input(file)?;
    let (job, warnings, image_id) =
        job_from_file(kind, &msn, &payment_type, &order, &bytes, !args.no_validate)?;
    let enqueued = outbox.submit(&job).await.map_err(failure)?;
    let id = enqueued.id;
    let already = if enqueued.already_queued {
        Some(outbox.job(id).await.map_err(failure)?.state)
    } else {
        None
    };
    ctx.emit(
        |style| {
            let mut out = match already {
                Some(state) => format!(
                    "{} as job {id} ({state}): the same {} for {payment_type} order {}, merchant {msn}; nothing new was queued (`vipps-om outbox status --job {id}`)\n",
                    style.ok("✓ Already queued"),
                    kind.describe(),
                    clean(order.as_str()),
                ),
                None => format!(
                    "{} job {id}: {} for {payment_type} order {}, merchant {msn}; `vipps-om outbox run` delivers it\n",
                    style.ok("✓ Queued"),
                    kind.describe(),
                    clean(order.as_str()),
                ),
            };
            if let Some(image_id) = &image_id {
                out.push_str(&format!("  image id: {image_id} (use it in the order's category)\n"));
            }
            out.push_str(&crate::commands::receipt::warnings_text(&warnings, style));
            out
        },
        || {
            json!({"jobId": id, "alreadyQueued": enqueued.already_queued,
                   "kind": kind, "orderId": order, "paymentType": payment_type,
                   "merchantSerialNumber": msn.as_str(), "imageId": image_id,
                   "warnings": warnings.problems()})
        },
    );
    Ok(())
}
