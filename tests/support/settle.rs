//! Waiting (in real time) for something a test cannot await directly, such as a server seeing a hang-up.

use std::time::{Duration, Instant};

/// Polls `ok` every 10 ms until it holds; panics naming `what` when it still does not after `within`.
pub async fn settle(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < within, "{what} did not settle");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
