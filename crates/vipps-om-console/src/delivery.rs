//! The console's fixes go through the outbox, which is the only writer of
//! an order's category and images: a fix updates the request of that
//! order's waiting or failed job of the same kind, or is enqueued in the
//! order's sequence, and the outbox worker (`vipps-om outbox run`, or the
//! demo's own) delivers it. The console never writes to the API itself.
//!
//! A category is delivered after the image it names: an image job is
//! enqueued at the end of the order's sequence, and a category job ahead
//! of it that names it is moved behind it ([`vipps_om_outbox::Outbox::move_to_end`],
//! which gives it a new id) — waiting ones when the image is queued,
//! failed ones when they are retried or fixed.

use vipps_om::{Category, Image, MerchantSerialNumber, OrderId, PaymentType};
use vipps_om_outbox::{
    JobId, JobKind, JobRequest, JobState, JobStatus, NewJob, Outbox, OutboxError,
};

/// What the outbox was told to do with a fix, for the page and the audit
/// log.
#[derive(Debug, Default)]
pub(crate) struct Queued {
    /// Waiting or failed jobs whose request is now the fix.
    pub(crate) updated: Vec<JobId>,
    /// Failed jobs sent again in place.
    pub(crate) retried: Vec<JobId>,
    /// Jobs moved behind the image they name: (old id, new id).
    pub(crate) moved: Vec<(JobId, JobId)>,
    /// A new job at the end of the order's sequence.
    pub(crate) enqueued: Option<JobId>,
    /// Failed category jobs ahead of a queued image that name it: they
    /// are moved behind it when retried or fixed.
    pub(crate) failed_ahead: Vec<JobId>,
}

impl Queued {
    /// One line for the audit log.
    pub(crate) fn describe(&self) -> String {
        let ids = |ids: &mut dyn Iterator<Item = &JobId>| {
            ids.map(|id| id.get().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.updated.is_empty() {
            parts.push(format!("updated job {}", ids(&mut self.updated.iter())));
        }
        if !self.retried.is_empty() {
            parts.push(format!("retried job {}", ids(&mut self.retried.iter())));
        }
        for (old, new) in &self.moved {
            parts.push(format!(
                "moved job {} behind its image as job {}",
                old.get(),
                new.get()
            ));
        }
        if let Some(id) = self.enqueued {
            parts.push(format!("enqueued job {}", id.get()));
        }
        parts.join("; ")
    }
}

/// The order a fix is for.
pub(crate) struct OrderKey<'a> {
    pub(crate) merchant: &'a MerchantSerialNumber,
    pub(crate) payment_type: &'a PaymentType,
    pub(crate) order_id: &'a OrderId,
}

impl OrderKey<'_> {
    /// The jobs of this order, in their sequence.
    pub(crate) async fn jobs(&self, outbox: &Outbox) -> Result<Vec<JobStatus>, OutboxError> {
        jobs_of(
            outbox,
            self.order_id.as_str(),
            self.merchant.as_str(),
            self.payment_type.as_str(),
        )
        .await
    }
}

/// The jobs of one merchant's order of one payment type, in their
/// sequence.
async fn jobs_of(
    outbox: &Outbox,
    order_id: &str,
    merchant: &str,
    payment_type: &str,
) -> Result<Vec<JobStatus>, OutboxError> {
    Ok(outbox
        .order_status(order_id)
        .await?
        .into_iter()
        .filter(|j| {
            j.merchant_serial_number == merchant
                && j.payment_type.eq_ignore_ascii_case(payment_type)
        })
        .collect())
}

fn waiting(job: &JobStatus) -> bool {
    matches!(job.state, JobState::Pending | JobState::Failed)
}

pub(crate) fn is_category(kind: JobKind) -> bool {
    matches!(kind, JobKind::CategoryV2 | JobKind::CategoryV3)
}

/// The image a stored request uploads or shows; none when its stored
/// request cannot be read (that job fails with the reason when it is
/// delivered, and staff replace it).
pub(crate) async fn named_image(outbox: &Outbox, id: JobId) -> Result<Option<String>, OutboxError> {
    match outbox.job_request(id).await {
        Ok(request) => Ok(request.image_id().map(str::to_owned)),
        Err(OutboxError::UnreadableRequest { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether an undelivered image job for `image` comes after `job` in
/// `jobs` (its order's sequence, as [`Outbox::order_status`] lists it).
async fn image_behind(
    outbox: &Outbox,
    jobs: &[JobStatus],
    job: JobId,
    image: &str,
) -> Result<bool, OutboxError> {
    let after = jobs.iter().skip_while(|j| j.id != job).skip(1);
    for later in after.filter(|j| j.kind == JobKind::Image && j.state != JobState::Delivered) {
        if named_image(outbox, later.id).await?.as_deref() == Some(image) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Sends a failed job again: behind the image it names when that image's
/// job waits later in the order (moved, new id), else in place.
pub(crate) async fn retry(outbox: &Outbox, job: &JobStatus) -> Result<Queued, OutboxError> {
    let mut queued = Queued::default();
    let jobs = jobs_of(
        outbox,
        &job.order_id,
        &job.merchant_serial_number,
        &job.payment_type,
    )
    .await?;
    send_again(outbox, &jobs, job, &mut queued).await?;
    Ok(queued)
}

/// A failed job is retried; a waiting or failed category job is moved
/// behind the undelivered image job it names, if there is one after it.
async fn send_again(
    outbox: &Outbox,
    jobs: &[JobStatus],
    job: &JobStatus,
    queued: &mut Queued,
) -> Result<(), OutboxError> {
    if is_category(job.kind)
        && let Some(image) = named_image(outbox, job.id).await?
        && image_behind(outbox, jobs, job.id, &image).await?
    {
        let moved = outbox.move_to_end(&[job.id]).await?;
        queued
            .moved
            .extend(moved.into_iter().map(|new| (job.id, new)));
        return Ok(());
    }
    if job.state == JobState::Failed {
        outbox.retry(job.id).await?;
        queued.retried.push(job.id);
    }
    Ok(())
}

/// Queues a category fix: every waiting or failed v2 category job of the
/// order gets the fix as its request (failed ones are sent again, behind
/// the image the fix names when that waits later); a new job is enqueued
/// when none waits at the end of the order's category jobs (none at all,
/// or the last one is in flight or delivered).
pub(crate) async fn queue_category(
    outbox: &Outbox,
    key: &OrderKey<'_>,
    category: &Category,
) -> Result<Queued, OutboxError> {
    let mut queued = Queued::default();
    let request = JobRequest::from(category.clone());
    let jobs = key.jobs(outbox).await?;
    let categories: Vec<&JobStatus> = jobs
        .iter()
        .filter(|j| j.kind == JobKind::CategoryV2)
        .collect();
    let mut last_waits = false;
    for job in categories.iter().filter(|j| waiting(j)) {
        match outbox.update_job_payload(job.id, &request).await {
            Ok(_) => {}
            // Claimed by a worker meanwhile: the new job below follows it.
            Err(OutboxError::WrongState { .. }) => continue,
            Err(e) => return Err(e),
        }
        queued.updated.push(job.id);
        last_waits = categories.last().is_some_and(|l| l.id == job.id);
        send_again(outbox, &jobs, job, &mut queued).await?;
    }
    if !last_waits {
        let job = NewJob::category(key.merchant, key.payment_type, key.order_id, category)?;
        queued.enqueued = Some(outbox.enqueue(&job).await?);
    }
    Ok(queued)
}

/// Queues an image upload at the end of the order's sequence, and moves
/// the order's waiting (not failed) category jobs that name it behind it;
/// a failed one is moved when it is retried or fixed.
pub(crate) async fn queue_image(
    outbox: &Outbox,
    key: &OrderKey<'_>,
    image: &Image,
) -> Result<Queued, OutboxError> {
    let mut queued = Queued::default();
    let job = NewJob::image(key.merchant, key.payment_type, key.order_id, image)?;
    let id = outbox.enqueue(&job).await?;
    queued.enqueued = Some(id);
    let mut ahead = Vec::new();
    let jobs = key.jobs(outbox).await?;
    for job in jobs.iter().take_while(|j| j.id != id) {
        if waiting(job)
            && is_category(job.kind)
            && named_image(outbox, job.id).await?.as_deref() == Some(image.image_id.as_str())
        {
            match job.state {
                JobState::Failed => queued.failed_ahead.push(job.id),
                _ => ahead.push(job.id),
            }
        }
    }
    if !ahead.is_empty() {
        let moved = outbox.move_to_end(&ahead).await?;
        queued.moved.extend(ahead.into_iter().zip(moved));
    }
    Ok(queued)
}
