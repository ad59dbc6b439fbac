//! Shared support of the `dhis2` integration tests: one hand-written HTTP/1.1 server (plain or TLS, well-behaved or
//! misbehaving), test certificates, log capture, process counters, waiting for settling state, and an emulator with
//! a connected client. Each test binary compiles this module on its own and uses only part of it, hence the
//! `dead_code` and `unused_imports` allowance.
#![allow(dead_code, unused_imports)]

pub mod emulator;
pub mod logs;
pub mod message;
pub mod process;
pub mod proxy;
pub mod server;
pub mod settle;
pub mod tls;

pub use logs::LogBuffer;
pub use message::{system_info, Action, Req, Resp};
pub use process::{open_fds, rss_kib};
pub use server::{
    always, dhis2_like, io_kinds, is_refused, refusing_port, start, start_tls, start_with, Options,
    Server, Stats,
};
pub use settle::settle;
