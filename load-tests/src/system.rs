//! What else the machine is doing, reported with every figure.

/// The three load averages of `/proc/loadavg` (what `uptime` prints), or "unknown".
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Cores the generator can see.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
