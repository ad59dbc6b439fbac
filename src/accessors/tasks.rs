//! `client.tasks()`: async jobs. Poll a job's notifications (`/api/system/tasks/{type}/{id}`, or
//! `/api/tracker/jobs/{id}` for tracker imports), wait for it with an interval and an overall timeout, report
//! progress as notifications arrive (callback, `tracing`, or a `Stream`), detect failure, and fetch the summary.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::exchange;
use crate::models::{JobConfiguration, Notification, NotificationLevel};
use crate::{path, Dhis2Client, Error};

/// Job endpoints. Get one with [`Dhis2Client::tasks`].
#[derive(Debug, Clone, Copy)]
pub struct Tasks<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// Async jobs: task notifications, waiting, summaries.
    pub fn tasks(&self) -> Tasks<'_> {
        Tasks { client: self }
    }
}

/// A started job: its type, id and where to read its notifications and summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    job_type: String,
    id: String,
    notifications_path: String,
    summary_path: String,
    cancel_path: String,
}

/// The job type of tracker imports.
const TRACKER_IMPORT_JOB: &str = "TRACKER_IMPORT_JOB";

impl JobRef {
    /// A job polled through `/api/system/tasks/{job_type}/{id}`. `id` must be a DHIS2 id (11 letters or digits)
    /// and `job_type` one path segment (not empty, `.` or `..`; it is percent-encoded); anything else is refused
    /// with [`Error::Config`], so a job reference can only ever name one job.
    pub fn new(job_type: impl Into<String>, id: impl Into<String>) -> Result<Self, Error> {
        let (job_type, id) = (job_type.into(), id.into());
        let type_segment = path::segment("job type", &job_type)?;
        let id_segment = path::uid_segment("job", &id)?;
        Ok(JobRef {
            notifications_path: format!("api/system/tasks/{type_segment}/{id_segment}"),
            summary_path: format!("api/system/taskSummaries/{type_segment}/{id_segment}"),
            cancel_path: format!("api/system/tasks/{type_segment}/{id_segment}"),
            job_type,
            id,
        })
    }

    /// A tracker import job (`/api/tracker/jobs/{id}` and its `/report`). `id` is checked as in [`new`](Self::new).
    pub fn tracker(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        let id_segment = path::uid_segment("tracker job", &id)?;
        Ok(JobRef {
            notifications_path: format!("api/tracker/jobs/{id_segment}"),
            summary_path: format!("api/tracker/jobs/{id_segment}/report"),
            cancel_path: format!("api/system/tasks/{TRACKER_IMPORT_JOB}/{id_segment}"),
            job_type: TRACKER_IMPORT_JOB.to_owned(),
            id,
        })
    }

    /// The job an `async=true` answer describes. The server's id and job type are checked as in
    /// [`new`](Self::new), so a bad answer cannot steer polling or cancelling; an answer without them is an
    /// [`Error::Config`] too.
    pub fn from_job(job: &JobConfiguration) -> Result<Self, Error> {
        let (Some(job_type), Some(id)) = (job.job_type.as_str(), job.id.as_str()) else {
            return Err(Error::Config(
                "the job configuration has no id or job type".to_owned(),
            ));
        };
        JobRef::new(job_type, id)
    }

    /// Job type, e.g. `DATAVALUE_IMPORT`.
    pub fn job_type(&self) -> &str {
        &self.job_type
    }

    /// Job UID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Path of the notifications list.
    pub fn notifications_path(&self) -> &str {
        &self.notifications_path
    }

    /// Path of the summary (or tracker import report).
    pub fn summary_path(&self) -> &str {
        &self.summary_path
    }
}

impl fmt::Display for JobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.job_type, self.id)
    }
}

type Callback = Arc<dyn Fn(&Notification) + Send + Sync>;

/// How to wait for a job: polling interval (default 500 ms), overall timeout (default 10 min), optional progress callback.
#[derive(Clone)]
pub struct WaitOptions {
    interval: Duration,
    timeout: Duration,
    on_notification: Option<Callback>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            interval: Duration::from_millis(500),
            timeout: Duration::from_secs(600),
            on_notification: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("on_notification", &self.on_notification.is_some())
            .finish()
    }
}

impl WaitOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Time between polls.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Give up (with [`Error::JobTimeout`]) after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Calls `f` with every new notification, oldest first.
    pub fn on_notification(mut self, f: impl Fn(&Notification) + Send + Sync + 'static) -> Self {
        self.on_notification = Some(Arc::new(f));
        self
    }
}

/// A finished job.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// The job.
    pub job: JobRef,
    /// Every notification seen, oldest first.
    pub notifications: Vec<Notification>,
    /// How long the wait took.
    pub elapsed: Duration,
}

impl JobOutcome {
    /// The final notification's message.
    pub fn last_message(&self) -> Option<&str> {
        self.notifications.last().and_then(|n| n.message.as_str())
    }
}

/// Identity of a notification across polls.
fn key(n: &Notification) -> String {
    n.uid
        .as_str()
        .or(n.id.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:?}|{:?}", n.time.value(), n.message.as_str()))
}

fn is_error(n: &Notification) -> bool {
    matches!(n.level.value(), Some(NotificationLevel::Error))
}

/// The polling state shared by [`Tasks::wait`] and [`Tasks::watch`].
struct Poller<'a> {
    client: &'a Dhis2Client,
    job: JobRef,
    options: WaitOptions,
    started: Instant,
    seen: HashSet<String>,
    history: Vec<Notification>,
    last_len: usize,
    polls: u64,
    finished: bool,
}

impl<'a> Poller<'a> {
    fn new(client: &'a Dhis2Client, job: JobRef, options: WaitOptions) -> Self {
        Poller {
            client,
            job,
            options,
            started: Instant::now(),
            seen: HashSet::new(),
            history: Vec::new(),
            last_len: 0,
            polls: 0,
            finished: false,
        }
    }

    fn timeout_error(&self) -> Error {
        Error::JobTimeout {
            job_type: self.job.job_type.clone(),
            job_id: self.job.id.clone(),
            waited: self.started.elapsed(),
            last_message: self
                .history
                .last()
                .and_then(|n| n.message.as_str())
                .map(str::to_owned),
        }
    }

    /// Waits for the next poll time and returns the new notifications (oldest first) plus whether the job
    /// finished; a failed job or an elapsed timeout is an error.
    async fn next_batch(&mut self) -> Result<(Vec<Notification>, bool), Error> {
        let deadline = self.started + self.options.timeout;
        if self.polls > 0 {
            let now = Instant::now();
            if now >= deadline {
                return Err(self.timeout_error());
            }
            tokio::time::sleep(self.options.interval.min(deadline - now)).await;
        }
        self.polls += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let tasks = Tasks {
            client: self.client,
        };
        let fetch = tasks.notifications(&self.job);
        let list = match tokio::time::timeout(remaining, fetch).await {
            Ok(list) => list?,
            Err(_) => return Err(self.timeout_error()),
        };
        // Cleared notifications (2.44 does this to a job that stopped without completing) shrink the list.
        let cleared = list.len() < self.last_len;
        self.last_len = list.len();
        let mut fresh = Vec::new();
        for n in list.into_iter().rev() {
            if self.seen.insert(key(&n)) {
                fresh.push(n);
            }
        }
        for n in &fresh {
            tracing::info!(target: "dhis2::tasks", job = %self.job, level = ?n.level.value(),
                completed = n.is_completed(), message = n.message.as_str().unwrap_or(""), "job notification");
            if let Some(cb) = &self.options.on_notification {
                cb(n);
            }
        }
        self.history.extend(fresh.iter().cloned());
        // The list is newest first, so the newest notification is the last one we pushed in this or an earlier
        // batch; a job is finished when any notification says so.
        let completed = self.history.iter().any(Notification::is_completed);
        if !completed {
            if Instant::now() >= deadline {
                return Err(self.timeout_error());
            }
            return Ok((fresh, false));
        }
        self.finished = true;
        if let Some(failure) = self.history.iter().rev().find(|n| is_error(n)) {
            return Err(Error::JobFailed {
                job_type: self.job.job_type.clone(),
                job_id: self.job.id.clone(),
                message: failure.message.as_str().unwrap_or("failed").to_owned(),
            });
        }
        if cleared && !self.has_summary().await? {
            return Err(Error::JobFailed {
                job_type: self.job.job_type.clone(),
                job_id: self.job.id.clone(),
                message: "the server cleared the job's notifications and kept no summary (the job stopped \
                          without completing)"
                    .to_owned(),
            });
        }
        Ok((fresh, true))
    }

    /// [`next_batch`](Self::next_batch) as a boxed `Send` future, for the stream in [`Tasks::watch`].
    fn next_batch_boxed(
        &mut self,
    ) -> futures_util::future::BoxFuture<'_, Result<(Vec<Notification>, bool), Error>> {
        Box::pin(self.next_batch())
    }

    async fn has_summary(&self) -> Result<bool, Error> {
        let (status, bytes, _) =
            exchange::collect(self.client, Method::GET, &self.job.summary_path, &[], None).await?;
        Ok(status.is_success() && !bytes.iter().all(u8::is_ascii_whitespace))
    }
}

impl Tasks<'_> {
    /// The job's notifications as the server lists them (newest first; empty before the job starts).
    pub async fn notifications(&self, job: &JobRef) -> Result<Vec<Notification>, Error> {
        let (status, bytes, path) =
            exchange::collect(self.client, Method::GET, &job.notifications_path, &[], None).await?;
        if status == StatusCode::NOT_FOUND && job.job_type == TRACKER_IMPORT_JOB {
            // A tracker job not yet registered answers 404 on some versions; treat it as "nothing yet".
            return Ok(Vec::new());
        }
        if !status.is_success() {
            return Err(exchange::error_for(status, bytes, &Method::GET, &path).await);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        exchange::decode_as(&Method::GET, &path, &bytes)
    }

    /// Polls until the job completes. Fails with [`Error::JobFailed`] when the job fails (an `ERROR`
    /// notification, or notifications cleared with no summary as 2.44 does) and with [`Error::JobTimeout`]
    /// (naming the job and the time waited) when `options.timeout` elapses first.
    pub async fn wait(&self, job: &JobRef, options: WaitOptions) -> Result<JobOutcome, Error> {
        let mut poller = Poller::new(self.client, job.clone(), options);
        tracing::info!(target: "dhis2::tasks", job = %job, "waiting for job");
        loop {
            let (_, done) = poller.next_batch().await?;
            if done {
                tracing::info!(target: "dhis2::tasks", job = %job, elapsed = ?poller.started.elapsed(), "job finished");
                return Ok(JobOutcome {
                    job: job.clone(),
                    notifications: poller.history,
                    elapsed: poller.started.elapsed(),
                });
            }
        }
    }

    /// The job's notifications as a stream, oldest first, each once; the stream ends after the completing
    /// notification, or yields one error (failure or timeout) and ends.
    pub fn watch(
        &self,
        job: &JobRef,
        options: WaitOptions,
    ) -> impl Stream<Item = Result<Notification, Error>> + Send + '_ {
        let poller = Poller::new(self.client, job.clone(), options);
        futures_util::stream::unfold(
            (poller, VecDeque::new(), false),
            |(mut poller, mut queue, mut done)| async move {
                loop {
                    if let Some(n) = queue.pop_front() {
                        return Some((Ok(n), (poller, queue, done)));
                    }
                    if done {
                        return None;
                    }
                    match poller.next_batch_boxed().await {
                        Ok((fresh, finished)) => {
                            queue.extend(fresh);
                            done = finished;
                        }
                        Err(e) => return Some((Err(e), (poller, queue, true))),
                    }
                }
            },
        )
    }

    /// The job's summary (`/api/system/taskSummaries/{type}/{id}`, or the tracker import report); `None` when
    /// the server has none (it answers 200 with an empty body).
    pub async fn summary<T: DeserializeOwned>(&self, job: &JobRef) -> Result<Option<T>, Error> {
        let (status, bytes, path) =
            exchange::collect(self.client, Method::GET, &job.summary_path, &[], None).await?;
        if !status.is_success() {
            return Err(exchange::error_for(status, bytes, &Method::GET, &path).await);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        exchange::decode_as(&Method::GET, &path, &bytes).map(Some)
    }

    /// Waits for the job (polling per `wait`), then fetches its [`summary`](Self::summary).
    pub(crate) async fn wait_for_summary<T: DeserializeOwned>(
        &self,
        job: &JobRef,
        wait: WaitOptions,
    ) -> Result<Option<T>, Error> {
        self.wait(job, wait).await?;
        self.summary(job).await
    }

    /// Asks the server to stop the job (`DELETE /api/system/tasks/{type}/{id}`).
    pub async fn cancel(&self, job: &JobRef) -> Result<(), Error> {
        exchange::mapped(self.client, Method::DELETE, &job.cancel_path, &[], None).await?;
        Ok(())
    }
}
