//! CPU time from Linux `/proc`, shared by the outbox benches.

/// CPU time (user + system) a process has used, in milliseconds; `None`
/// is this process. 0 where `/proc` cannot be read.
pub(crate) fn cpu_ms(pid: Option<u32>) -> u64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0;
    };
    // The fields after the command name (which may hold spaces).
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line (11 and 12 here);
    // the kernel counts 100 ticks a second.
    (ticks(11) + ticks(12)).saturating_mul(10)
}
