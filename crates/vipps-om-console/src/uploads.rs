//! Images checked and waiting for their editor's confirmation, in memory.
//!
//! Each waits at most [`crate::ConsoleConfig::upload_ttl`] (15 minutes by
//! default). An editor has at most [`MAX_PENDING_PER_USER`] waiting: a
//! newer review replaces that editor's oldest one (whose confirm button
//! then says the upload expired), so one editor never blocks another. All
//! editors together have at most [`MAX_PENDING_TOTAL`] waiting (images are
//! at most 2 MiB each: 128 MiB); beyond that the oldest of anyone's goes
//! first, and is refused as expired when confirmed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Images one editor may have waiting for confirmation.
pub const MAX_PENDING_PER_USER: usize = 4;
/// Images all editors together may have waiting.
pub const MAX_PENDING_TOTAL: usize = 64;

/// An image checked and waiting for the editor's confirmation.
#[derive(Clone)]
pub(crate) struct PendingUpload {
    pub(crate) user_id: i64,
    pub(crate) image_id: vipps_om::ImageId,
    pub(crate) bytes: Arc<Vec<u8>>,
    pub(crate) order_id: String,
    pub(crate) payment_type: String,
}

struct Entry {
    upload: PendingUpload,
    added: Instant,
}

/// The waiting images, by upload id.
pub(crate) struct PendingUploads {
    ttl: Duration,
    map: Mutex<HashMap<String, Entry>>,
}

impl PendingUploads {
    pub(crate) fn new(ttl: Duration) -> PendingUploads {
        PendingUploads {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn live(&self, entry: &Entry, now: Instant) -> bool {
        now.saturating_duration_since(entry.added) < self.ttl
    }

    /// Keeps `upload` under `id`, making room as described above.
    pub(crate) fn insert(&self, id: String, upload: PendingUpload) {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, e| now.saturating_duration_since(e.added) < self.ttl);
        let user = upload.user_id;
        let oldest = |map: &HashMap<String, Entry>, only: Option<i64>| {
            map.iter()
                .filter(|(_, e)| only.is_none_or(|u| e.upload.user_id == u))
                .min_by_key(|(_, e)| e.added)
                .map(|(k, _)| k.clone())
        };
        while map.values().filter(|e| e.upload.user_id == user).count() >= MAX_PENDING_PER_USER {
            match oldest(&map, Some(user)) {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        while map.len() >= MAX_PENDING_TOTAL {
            match oldest(&map, None) {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(id, Entry { upload, added: now });
    }

    /// Takes the upload `id` if it is `user_id`'s and has not expired.
    pub(crate) fn take(&self, id: &str, user_id: i64) -> Option<PendingUpload> {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(id) {
            Some(e) if e.upload.user_id == user_id && self.live(e, now) => {
                map.remove(id).map(|e| e.upload)
            }
            Some(e) if !self.live(e, now) => {
                map.remove(id);
                None
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(user_id: i64) -> PendingUpload {
        PendingUpload {
            user_id,
            image_id: vipps_om::ImageId::new("x").unwrap(),
            bytes: Arc::new(vec![1]),
            order_id: String::new(),
            payment_type: String::new(),
        }
    }

    #[test]
    fn bounded_per_user_and_in_total() {
        let pending = PendingUploads::new(Duration::from_secs(60));
        for i in 0..10 {
            pending.insert(format!("a{i}"), upload(1));
        }
        assert!(pending.take("a0", 1).is_none(), "the oldest made room");
        assert!(pending.take("a9", 2).is_none(), "not another user's");
        assert!(pending.take("a9", 1).is_some());
        for i in 0..200 {
            pending.insert(format!("u{i}"), upload(100 + i));
        }
        let len = pending.map.lock().unwrap().len();
        assert!(len <= MAX_PENDING_TOTAL, "{len}");
    }
}
