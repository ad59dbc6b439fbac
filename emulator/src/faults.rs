//! Injectable faults and the counters tests read.
//!
//! A fault plan is attached to a route (an exact request path such as `/api/me`, or a prefix ending in `*` such
//! as `/api/dataElements*`). Each request to the route consumes the next step of the plan; when the steps run out
//! the route behaves normally again, unless the plan repeats.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// How a `Retry-After` header is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP date>` this far in the future (computed when the response is sent).
    DateIn(Duration),
}

/// One injected misbehaviour, applied to a single request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a WebMessage body, without running the handler.
    Status(u16),
    /// Answer with this status, a WebMessage body and a `Retry-After` header.
    StatusRetryAfter(u16, RetryAfter),
    /// Wait this long before running the handler (so before any header is sent).
    DelayHeaders(Duration),
    /// Send the headers and half of the body, then wait this long before the rest.
    DelayBody(Duration),
    /// Close the connection without answering (the client sees a reset / closed connection). On HTTP/2 only the
    /// request's stream is reset (`RST_STREAM`), as a proxy does; the connection's other streams go on.
    ResetBeforeHeaders,
    /// Send the headers (with the full `Content-Length`) and half of the body, then close the connection (on
    /// HTTP/2: reset the stream).
    ResetDuringBody,
    /// Answer 200 with the first half of the real JSON body (a complete HTTP message with broken JSON). When the
    /// answer is compressed, it is the first half of the encoded body, so the client's decoder fails instead.
    TruncatedJson,
    /// Answer 200 with an HTML login page, as a server behind a login proxy does.
    HtmlLoginPage,
    /// Answer 200 with an empty body.
    Empty200,
    /// Answer a redirect. A location starting with `/` is same-origin (made absolute with the request's host);
    /// anything else (e.g. `http://other.example/api/me`) is used as is.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// Where to.
        location: String,
    },
    /// Behave normally for this request.
    Pass,
}

/// A sequence of faults for one route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    steps: Vec<Fault>,
    repeat: bool,
}

impl FaultPlan {
    /// Consume `steps` one per request, then behave normally.
    pub fn sequence(steps: impl IntoIterator<Item = Fault>) -> Self {
        Self {
            steps: steps.into_iter().collect(),
            repeat: false,
        }
    }

    /// Apply `fault` to every request until cleared.
    pub fn always(fault: Fault) -> Self {
        Self {
            steps: vec![fault],
            repeat: true,
        }
    }

    /// A sequence of bare statuses (e.g. `[503, 503]`), then normal behaviour.
    pub fn statuses(statuses: impl IntoIterator<Item = u16>) -> Self {
        Self::sequence(statuses.into_iter().map(Fault::Status))
    }

    /// Make the plan start over when its steps run out.
    pub fn repeating(mut self) -> Self {
        self.repeat = true;
        self
    }

    /// The steps.
    pub fn steps(&self) -> &[Fault] {
        &self.steps
    }
}

/// Why a fault specification string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpecError(String);

impl fmt::Display for FaultSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FaultSpecError {}

fn parse_duration(s: &str) -> Option<Duration> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    s.strip_suffix('s')
        .unwrap_or(s)
        .parse()
        .ok()
        .map(Duration::from_secs)
}

impl FromStr for Fault {
    type Err = FaultSpecError;

    /// Parses one step: `503`, `503+retry=5`, `503+retry-date=10`, `delay-headers=500ms`, `delay-body=2s`,
    /// `reset`, `reset-body`, `truncated`, `html-login`, `empty`, `redirect=/path`, `redirect307=http://host/x`,
    /// `pass`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FaultSpecError(format!("unknown fault step `{s}`"));
        let s = s.trim();
        let (name, arg) = match s.split_once('=') {
            Some((n, a)) if !n.contains('+') => (n, Some(a)),
            _ => (s, None),
        };
        let dur = |a: Option<&str>| a.and_then(parse_duration).ok_or_else(bad);
        Ok(match name {
            "reset" => Fault::ResetBeforeHeaders,
            "reset-body" => Fault::ResetDuringBody,
            "truncated" => Fault::TruncatedJson,
            "html-login" => Fault::HtmlLoginPage,
            "empty" => Fault::Empty200,
            "pass" => Fault::Pass,
            "delay-headers" => Fault::DelayHeaders(dur(arg)?),
            "delay-body" => Fault::DelayBody(dur(arg)?),
            n if n.starts_with("redirect") => {
                let status = match &n["redirect".len()..] {
                    "" => 302,
                    code => code.parse().map_err(|_| bad())?,
                };
                if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                    return Err(bad());
                }
                let location = arg.filter(|a| !a.is_empty()).ok_or_else(bad)?;
                Fault::Redirect {
                    status,
                    location: location.to_string(),
                }
            }
            _ => {
                let (code, extra) = match s.split_once('+') {
                    Some((c, e)) => (c, Some(e)),
                    None => (s, None),
                };
                let status: u16 = code.parse().map_err(|_| bad())?;
                if !(100..=599).contains(&status) {
                    return Err(bad());
                }
                match extra {
                    None => Fault::Status(status),
                    Some(e) => {
                        let (k, v) = e.split_once('=').ok_or_else(bad)?;
                        let secs: u64 = v.parse().map_err(|_| bad())?;
                        let ra = match k {
                            "retry" => RetryAfter::Seconds(secs),
                            "retry-date" => RetryAfter::DateIn(Duration::from_secs(secs)),
                            _ => return Err(bad()),
                        };
                        Fault::StatusRetryAfter(status, ra)
                    }
                }
            }
        })
    }
}

impl FromStr for FaultPlan {
    type Err = FaultSpecError;

    /// Parses comma-separated steps, optionally prefixed by `repeat:` (e.g. `503,503,pass` or `repeat:delay-headers=1s`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (repeat, body) = match s.strip_prefix("repeat:") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let steps = body
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Fault::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        if steps.is_empty() {
            return Err(FaultSpecError(format!("empty fault plan `{s}`")));
        }
        Ok(FaultPlan { steps, repeat })
    }
}

#[derive(Debug)]
struct ActivePlan {
    plan: FaultPlan,
    next: usize,
}

#[derive(Debug, Default)]
struct FaultsInner {
    any: AtomicBool,
    plans: Mutex<Vec<(String, ActivePlan)>>,
}

/// The fault plans of a running emulator (cheap to clone; shared with the server).
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<FaultsInner>);

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Vec<(String, ActivePlan)>> {
        crate::state::lock(&self.0.plans)
    }

    /// Attaches a plan to a route (exact path, or a prefix ending in `*`), replacing any previous plan for it.
    pub fn set(&self, route: &str, plan: FaultPlan) {
        let mut plans = self.lock();
        plans.retain(|(r, _)| r != route);
        plans.push((route.to_string(), ActivePlan { plan, next: 0 }));
        self.0.any.store(true, Ordering::Release);
    }

    /// Parses `ROUTE=SPEC` (as the binary's `--fault` takes) and attaches it.
    pub fn set_spec(&self, spec: &str) -> Result<(), FaultSpecError> {
        let (route, plan) = spec
            .split_once('=')
            .ok_or_else(|| FaultSpecError(format!("expected ROUTE=SPEC, got `{spec}`")))?;
        if !route.starts_with('/') {
            return Err(FaultSpecError(format!(
                "fault route must start with `/`, got `{route}`"
            )));
        }
        self.set(route, plan.parse()?);
        Ok(())
    }

    /// Removes the plan of one route.
    pub fn clear(&self, route: &str) {
        let mut plans = self.lock();
        plans.retain(|(r, _)| r != route);
        self.0.any.store(!plans.is_empty(), Ordering::Release);
    }

    /// Removes every plan.
    pub fn clear_all(&self) {
        self.lock().clear();
        self.0.any.store(false, Ordering::Release);
    }

    /// Takes the fault for the next request to `path`, if any.
    pub(crate) fn next_for(&self, path: &str) -> Option<Fault> {
        if !self.0.any.load(Ordering::Acquire) {
            return None;
        }
        let mut plans = self.lock();
        let idx = plans
            .iter()
            .position(|(route, _)| match route.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => route == path,
            })?;
        let active = &mut plans[idx].1;
        if active.next >= active.plan.steps.len() {
            if active.plan.repeat {
                active.next = 0;
            } else {
                return None;
            }
        }
        let fault = active.plan.steps.get(active.next).cloned();
        active.next += 1;
        fault
    }
}

#[derive(Debug, Default)]
struct CountersInner {
    per_route: Mutex<HashMap<String, u64>>,
    total: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    writes: AtomicU64,
    bytes_sent: AtomicU64,
    body_bytes_sent: AtomicU64,
}

/// Counters tests can read: requests per route, requests in flight (now and at most), writes applied, bytes
/// sent.
#[derive(Debug, Clone, Default)]
pub struct Counters(Arc<CountersInner>);

impl Counters {
    /// Requests seen for this exact path (e.g. `/api/me`), counted on arrival, before auth and faults.
    pub fn requests(&self, path: &str) -> u64 {
        self.0
            .per_route
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests seen on any route.
    pub fn total_requests(&self) -> u64 {
        self.0.total.load(Ordering::Relaxed)
    }

    /// Requests currently being served (until their response body is finished or dropped).
    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::Relaxed)
    }

    /// The highest number of requests in flight at the same time since start (or the last reset).
    pub fn max_in_flight(&self) -> usize {
        self.0.max_in_flight.load(Ordering::Relaxed)
    }

    /// Writes applied to the store (objects created, updated, patched or deleted; data values stored).
    pub fn writes_applied(&self) -> u64 {
        self.0.writes.load(Ordering::Relaxed)
    }

    /// Every byte written to client sockets since start (or the last reset): status lines and headers, chunked
    /// framing, HTTP/2 frames, TLS records and response bodies as encoded, i.e. what crossed the wire.
    ///
    /// A byte is counted once the socket has taken it, just before the server goes on, so a client that has
    /// read a whole response on the same single-threaded runtime as the emulator sees it counted.
    pub fn bytes_sent(&self) -> u64 {
        self.0.bytes_sent.load(Ordering::Relaxed)
    }

    /// Response body bytes handed to the connection since start (or the last reset), after content coding: the
    /// compressed size of a gzip answer, the plain size of an identity one; no headers, chunk or frame overhead.
    /// Counted before the bytes are written, so a client that has read a body sees all of it counted.
    pub fn body_bytes_sent(&self) -> u64 {
        self.0.body_bytes_sent.load(Ordering::Relaxed)
    }

    /// Sets every counter back to zero (the in-flight gauge keeps its current value).
    pub fn reset(&self) {
        self.0
            .per_route
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.0.total.store(0, Ordering::Relaxed);
        self.0
            .max_in_flight
            .store(self.in_flight(), Ordering::Relaxed);
        self.0.writes.store(0, Ordering::Relaxed);
        self.0.bytes_sent.store(0, Ordering::Relaxed);
        self.0.body_bytes_sent.store(0, Ordering::Relaxed);
    }

    /// Counts one request to `path`.
    pub(crate) fn record_request(&self, path: &str) {
        self.0.total.fetch_add(1, Ordering::Relaxed);
        let mut map = self.0.per_route.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                map.insert(path.to_string(), 1);
            }
        }
    }

    /// Marks a request as in flight until the guard is dropped.
    pub(crate) fn enter(&self) -> InFlightGuard {
        let now = self.0.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.0.max_in_flight.fetch_max(now, Ordering::AcqRel);
        InFlightGuard(self.clone())
    }

    /// Counts `n` bytes taken by a client socket.
    pub(crate) fn add_bytes_sent(&self, n: usize) {
        self.0.bytes_sent.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts `n` response body bytes handed to a connection.
    pub(crate) fn add_body_bytes_sent(&self, n: usize) {
        self.0
            .body_bytes_sent
            .fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts `n` applied writes.
    pub(crate) fn add_writes(&self, n: u64) {
        self.0.writes.fetch_add(n, Ordering::Relaxed);
    }
}

/// Decrements the in-flight gauge when dropped.
#[derive(Debug)]
pub(crate) struct InFlightGuard(Counters);

impl InFlightGuard {
    /// The counters this guard belongs to.
    pub(crate) fn counters(&self) -> &Counters {
        &self.0
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0 .0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Formats a `Retry-After` value.
pub(crate) fn retry_after_value(ra: &RetryAfter) -> String {
    match ra {
        RetryAfter::Seconds(s) => s.to_string(),
        RetryAfter::DateIn(d) => httpdate::fmt_http_date(SystemTime::now() + *d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_step_kind() {
        let plan: FaultPlan =
            "503,429+retry=7,503+retry-date=10,delay-headers=250ms,delay-body=2s,reset,reset-body,truncated,html-login,empty,redirect=/api/x,redirect307=http://o/x,pass"
                .parse()
                .unwrap();
        assert_eq!(plan.steps().len(), 13);
        assert_eq!(
            plan.steps()[1],
            Fault::StatusRetryAfter(429, RetryAfter::Seconds(7))
        );
        assert_eq!(
            plan.steps()[3],
            Fault::DelayHeaders(Duration::from_millis(250))
        );
        assert_eq!(
            plan.steps()[11],
            Fault::Redirect {
                status: 307,
                location: "http://o/x".into()
            }
        );
        for bad in [
            "",
            "abc",
            "99",
            "503+retry=x",
            "redirect=",
            "redirect200=/x",
            "delay-body=x",
        ] {
            assert!(bad.parse::<FaultPlan>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sequence_then_normal_and_repeat() {
        let f = Faults::default();
        assert!(f.next_for("/api/me").is_none());
        f.set("/api/me", FaultPlan::statuses([503, 502]));
        f.set("/api/data*", FaultPlan::always(Fault::Empty200));
        assert_eq!(f.next_for("/api/me"), Some(Fault::Status(503)));
        assert_eq!(f.next_for("/api/me"), Some(Fault::Status(502)));
        assert_eq!(f.next_for("/api/me"), None);
        assert_eq!(f.next_for("/api/dataElements"), Some(Fault::Empty200));
        assert_eq!(f.next_for("/api/dataElements"), Some(Fault::Empty200));
        f.clear_all();
        assert_eq!(f.next_for("/api/dataElements"), None);
        assert!(f.set_spec("nope").is_err());
        f.set_spec("/api/x=repeat:404").unwrap();
        assert_eq!(f.next_for("/api/x"), Some(Fault::Status(404)));
        assert_eq!(f.next_for("/api/x"), Some(Fault::Status(404)));
    }

    #[test]
    fn counters_track_max_in_flight() {
        let c = Counters::default();
        let a = c.enter();
        let b = c.enter();
        assert_eq!(c.in_flight(), 2);
        drop(a);
        drop(b);
        let _c = c.enter();
        assert_eq!(c.max_in_flight(), 2);
        assert_eq!(c.in_flight(), 1);
        c.record_request("/api/me");
        c.record_request("/api/me");
        assert_eq!(c.requests("/api/me"), 2);
        assert_eq!(c.total_requests(), 2);
    }
}
