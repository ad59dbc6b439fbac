//! Closed-loop load: `concurrency` tasks each send one request after another until a request budget or a time
//! budget runs out.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::BenchError;

/// Completed requests and the wall time they took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    pub(crate) completed: u64,
    pub(crate) elapsed: Duration,
}

impl Load {
    pub(crate) fn req_per_s(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// One request of a workload; each load task owns a clone (so a task can own its own client clone).
pub(crate) trait Op: Clone + Send + Sync + 'static {
    /// Sends one request and consumes its answer.
    fn call(&self) -> impl Future<Output = Result<(), BenchError>> + Send + '_;
}

/// Runs `op` from `concurrency` tasks until `max_requests` were started or `max_time` passed.
///
/// Must be called inside a tokio runtime; the tasks are spawned on it.
pub(crate) async fn closed_loop<O: Op>(
    concurrency: usize,
    max_requests: u64,
    max_time: Duration,
    op: O,
) -> Result<Load, BenchError> {
    let tickets = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + max_time;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let op = op.clone();
        let tickets = tickets.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while tickets.fetch_add(1, Ordering::Relaxed) < max_requests
                && Instant::now() < deadline
            {
                op.call().await?;
                done += 1;
            }
            Ok::<u64, BenchError>(done)
        }));
    }
    let mut completed = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(done)) => completed += done,
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert_with(|| format!("load task failed: {e}").into());
            }
        }
    }
    let elapsed = start.elapsed();
    match first_error {
        Some(e) => Err(e),
        None => Ok(Load { completed, elapsed }),
    }
}

/// Longest any single step (a connect, a fetch, a load slice) may take before the contender is declared stuck.
pub(crate) const STEP_LIMIT: Duration = Duration::from_secs(180);

/// `rt.block_on(fut)`, failing with a clear error instead of hanging when `fut` takes longer than `limit`.
pub(crate) fn block_on_within<T>(
    rt: &tokio::runtime::Runtime,
    limit: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, BenchError>>,
) -> Result<T, BenchError> {
    // The timer must be created inside the runtime, hence the async block.
    match rt.block_on(async move { tokio::time::timeout(limit, fut).await }) {
        Ok(result) => result,
        Err(_) => Err(format!("{what} did not finish within {limit:?}").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Clone)]
    struct Count(Arc<AtomicUsize>, bool);

    impl Op for Count {
        async fn call(&self) -> Result<(), BenchError> {
            if self.1 && self.0.load(Ordering::Relaxed) >= 3 {
                return Err("boom".into());
            }
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    #[tokio::test]
    async fn stops_at_the_request_budget() {
        let calls = Arc::new(AtomicUsize::new(0));
        let load = closed_loop(
            8,
            1000,
            Duration::from_secs(60),
            Count(calls.clone(), false),
        )
        .await
        .unwrap();
        assert_eq!(load.completed, 1000);
        assert_eq!(calls.load(Ordering::Relaxed), 1000);
        assert!(load.req_per_s() > 0.0);
    }

    #[test]
    fn a_stuck_step_is_an_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let stuck = std::future::pending::<Result<(), BenchError>>();
        let err = block_on_within(&rt, Duration::from_millis(20), "the fetch", stuck).unwrap_err();
        assert_eq!(err.to_string(), "the fetch did not finish within 20ms");
        assert_eq!(
            block_on_within(&rt, Duration::from_secs(5), "x", async { Ok(7) }).unwrap(),
            7
        );
    }

    #[tokio::test]
    async fn an_error_is_returned() {
        let calls = Arc::new(AtomicUsize::new(0));
        let result = closed_loop(2, 10, Duration::from_secs(60), Count(calls, true)).await;
        assert_eq!(result.unwrap_err().to_string(), "boom");
    }
}
