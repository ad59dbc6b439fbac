//! The `dhis2-emulator` binary:
//! `dhis2-emulator --listen 127.0.0.1:8080 --version 2.42.6 [--seed demo|empty] [--import metadata.json] [--fault ROUTE=SPEC ...]
//! [--compression off|gzip|br|zstd] [--tls-self-signed]`.

use std::net::SocketAddr;
use std::process::ExitCode;

use dhis2_emulator::{Compression, Emulator, Seed};

const USAGE: &str = "usage: dhis2-emulator [--listen ADDR] [--version VERSION] [--seed demo|empty] \
[--import FILE.json]... [--fault ROUTE=SPEC]... [--synthetic-data-values N] \
[--synthetic-org-units N] [--compression off|gzip|br|zstd] [--tls-self-signed]

  --listen ADDR      address to serve (default 127.0.0.1:8080)
  --version VERSION  DHIS2 version to emulate, 2.39 to 2.44 (default 2.42.6)
  --seed KIND        demo (default) or empty
  --import FILE      load a DHIS2 metadata export (repeatable)
  --fault ROUTE=SPEC inject faults, e.g. /api/me=503,503,pass or /api/dataElements*=repeat:delay-headers=500ms
                     steps: STATUS, STATUS+retry=SECS, STATUS+retry-date=SECS, delay-headers=DUR, delay-body=DUR,
                     reset, reset-body, truncated, html-login, empty, redirect[30x]=LOCATION, pass
                     (on HTTP/2, reset and reset-body reset the request's stream, not the connection)
  --synthetic-data-values N  data value exports generate N rows on the fly (about 281 bytes each)
  --synthetic-org-units N    add N generated org units (for large-list and paging tests)
  --compression KIND         response compression like a deployment's nginx: gzip (default), br, zstd or off;
                             only text answers (JSON, XML, JavaScript, text/*) of 1024 bytes or more, or streamed,
                             and only when the request's Accept-Encoding accepts that coding
  --tls-self-signed          serve https (ALPN h2 and http/1.1) with a certificate signed by a CA generated at
                             start; prints the path of the CA's PEM file to trust (removed on exit)

Every port speaks HTTP/1.1 and HTTP/2 (plain: h2c with prior knowledge).";

struct Args {
    listen: SocketAddr,
    version: String,
    seed: Seed,
    imports: Vec<String>,
    faults: Vec<String>,
    synthetic: Option<u64>,
    synthetic_org_units: usize,
    compression: Compression,
    tls: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        version: "2.42.6".to_string(),
        seed: Seed::Demo,
        imports: Vec::new(),
        faults: Vec::new(),
        synthetic: None,
        synthetic_org_units: 0,
        compression: Compression::default(),
        tls: false,
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--listen" => {
                let v = value("--listen")?;
                args.listen = v
                    .parse()
                    .map_err(|e| format!("--listen `{v}` is not a socket address: {e}"))?;
            }
            "--version" => args.version = value("--version")?,
            "--seed" => {
                args.seed = match value("--seed")?.as_str() {
                    "demo" => Seed::Demo,
                    "empty" => Seed::Empty,
                    other => return Err(format!("--seed must be demo or empty, not `{other}`")),
                }
            }
            "--import" => args.imports.push(value("--import")?),
            "--fault" => args.faults.push(value("--fault")?),
            "--synthetic-data-values" => {
                let v = value("--synthetic-data-values")?;
                args.synthetic = Some(
                    v.parse()
                        .map_err(|_| format!("--synthetic-data-values `{v}` is not a number"))?,
                );
            }
            "--synthetic-org-units" => {
                let v = value("--synthetic-org-units")?;
                args.synthetic_org_units = v
                    .parse()
                    .map_err(|_| format!("--synthetic-org-units `{v}` is not a number"))?;
            }
            "--compression" => {
                args.compression = value("--compression")?
                    .parse()
                    .map_err(|e| format!("--compression: {e}"))?;
            }
            "--tls-self-signed" => args.tls = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(args))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Emulator::builder()
        .version(&args.version)
        .seed(args.seed)
        .listen(args.listen);
    for path in &args.imports {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                return ExitCode::FAILURE;
            }
        };
        match serde_json::from_str(&text) {
            Ok(doc) => builder = builder.import_metadata(doc),
            Err(e) => {
                eprintln!("error: {path} is not JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for f in &args.faults {
        builder = builder.fault(f);
    }
    if let Some(n) = args.synthetic {
        builder = builder.synthetic_data_values(n);
    }
    builder = builder
        .synthetic_org_units(args.synthetic_org_units)
        .compression(args.compression);
    if args.tls {
        builder = builder.tls_self_signed();
    }
    let emu = match builder.start().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (user, pass) = emu.admin_credentials();
    println!(
        "DHIS2 {} emulator listening on {}",
        emu.version(),
        emu.url()
    );
    println!(
        "API: {}/api   credentials: {user}/{pass}   (Ctrl-C to stop)",
        emu.url()
    );
    println!("HTTP/1.1 and HTTP/2; compression: {}", emu.compression());
    if let Some(path) = emu.ca_path() {
        println!("CA certificate to trust: {}", path.display());
    }
    // Ctrl-C or SIGTERM end it; dropping the emulator then removes the CA file.
    let stopped = tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        () = terminated() => Ok(()),
    };
    drop(emu);
    if let Err(e) = stopped {
        eprintln!("error: waiting for Ctrl-C failed: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Resolves on SIGTERM (never where there is no such signal, or it cannot be watched).
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            term.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}
