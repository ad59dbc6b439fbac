//! Command-line parsing (hand-rolled: four flags do not justify a parser crate).

use std::path::PathBuf;

use crate::decode_only::DecodeOptions;
use crate::workload::Workload;
use crate::BenchError;

/// What the process was asked to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// Run the benchmark and write the reports.
    Bench(Options),
    /// Hidden: the client side of `stream_1gib`, in its own process so its peak RSS is its own.
    StreamChild(ChildArgs),
    /// Hidden: one download of `wan_export_1m_values` through the shaped link, in its own process.
    WanChild(ChildArgs),
    /// `decode-only`: time the decode_100k decoders on bytes in memory and print a table.
    DecodeOnly(DecodeOptions),
    /// Print usage and exit.
    Help,
}

/// Options of a benchmark run.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Smaller workloads, fewer runs (under two minutes).
    pub(crate) quick: bool,
    /// Run only these workloads (`--only` may repeat); empty means all.
    pub(crate) only: Vec<Workload>,
    /// Override the number of measured runs per contender.
    pub(crate) runs: Option<usize>,
    /// Where `REPORT.md` and `report.json` go (default: the bench crate directory).
    pub(crate) out_dir: PathBuf,
}

/// Arguments of the hidden `__stream-child` subcommand.
#[derive(Debug, Clone)]
pub(crate) struct ChildArgs {
    /// Which client downloads: `hyper_bare` or `dhis2_raw`.
    pub(crate) contender: String,
    /// Base URL of the server (`http://127.0.0.1:PORT`).
    pub(crate) url: String,
    /// Path and query of the export below the base URL.
    pub(crate) path: String,
    /// File the body is written to.
    pub(crate) out: PathBuf,
    /// The CA file to trust (`--ca`, the WAN child's TLS emulator).
    pub(crate) ca: Option<PathBuf>,
}

/// The name of the hidden subcommand the parent re-executes itself with.
pub(crate) const STREAM_CHILD: &str = "__stream-child";
/// The hidden subcommand of a `wan_export_1m_values` download.
pub(crate) const WAN_CHILD: &str = "__wan-child";

pub(crate) const USAGE: &str = "\
dhis2-bench: benchmark the dhis2 client against a bare hyper-util client and reqwest

USAGE:
    cargo run --release -p dhis2-bench -- [OPTIONS]

OPTIONS:
    --quick            smaller workloads and fewer runs (under two minutes)
    --only WORKLOAD    run only this workload (repeatable): small_get_c1, small_get_c64,
                       decode_100k, paged_100k, stream_1gib, limit_10k,
                       emulator_list, emulator_me, wan_org_units_100k,
                       wan_export_1m_values, wan_small_get_c64, poor_org_units_2k,
                       poor_small_get_c64
    --runs N           measured runs per contender (default 5, quick 3)
    --out-dir DIR      where REPORT.md and report.json are written (default: the bench/ directory)
    -h, --help         this text

    cargo run --release -p dhis2-bench -- decode-only [--units N] [--runs N] [--decoder NAME] [--save FILE]

    Decodes the decode_100k payload (realistic fields=* org units, default 100000) from memory, no
    network, with each decoder: serde_plain_typed, dhis2_typed, serde_value, dhis2_raw (default 10
    runs each). --decoder runs only one (for a profiler); --save also writes the payload to FILE.
    Prints a table; writes no report.
";

/// Parses the process arguments (without the program name).
pub(crate) fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, BenchError> {
    let mut args = args.into_iter().peekable();
    if args.peek().map(String::as_str) == Some(STREAM_CHILD) {
        args.next();
        return parse_child(args).map(Command::StreamChild);
    }
    if args.peek().map(String::as_str) == Some(WAN_CHILD) {
        args.next();
        return parse_child(args).map(Command::WanChild);
    }
    if args.peek().map(String::as_str) == Some("decode-only") {
        args.next();
        return parse_decode_only(args).map(Command::DecodeOnly);
    }
    let mut opts = Options {
        quick: false,
        only: Vec::new(),
        runs: None,
        out_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => opts.quick = true,
            "--only" => {
                let name = value(&mut args, "--only")?;
                let workload = name.parse::<Workload>()?;
                if !opts.only.contains(&workload) {
                    opts.only.push(workload);
                }
            }
            "--runs" => {
                opts.runs = Some(positive(&value(&mut args, "--runs")?, "--runs")?);
            }
            "--out-dir" => opts.out_dir = PathBuf::from(value(&mut args, "--out-dir")?),
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown argument {other:?}; try --help").into()),
        }
    }
    Ok(Command::Bench(opts))
}

fn positive(raw: &str, flag: &str) -> Result<usize, BenchError> {
    raw.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag} wants a positive integer, got {raw:?}").into())
}

fn parse_decode_only<I: Iterator<Item = String>>(mut args: I) -> Result<DecodeOptions, BenchError> {
    let mut opts = DecodeOptions {
        units: 100_000,
        runs: 10,
        decoder: None,
        save: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--units" => opts.units = positive(&value(&mut args, "--units")?, "--units")?,
            "--runs" => opts.runs = positive(&value(&mut args, "--runs")?, "--runs")?,
            "--decoder" => opts.decoder = Some(value(&mut args, "--decoder")?),
            "--save" => opts.save = Some(PathBuf::from(value(&mut args, "--save")?)),
            other => {
                return Err(format!("decode-only: unknown argument {other:?}; try --help").into())
            }
        }
    }
    Ok(opts)
}

fn parse_child<I: Iterator<Item = String>>(mut args: I) -> Result<ChildArgs, BenchError> {
    let (mut contender, mut url, mut path, mut out, mut ca) = (None, None, None, None, None);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--contender" => &mut contender,
            "--url" => &mut url,
            "--path" => &mut path,
            "--out" => &mut out,
            "--ca" => &mut ca,
            other => return Err(format!("{STREAM_CHILD}: unknown argument {other:?}").into()),
        };
        *slot = Some(value(&mut args, &arg)?);
    }
    let need = |v: Option<String>, name: &str| {
        v.ok_or_else(|| BenchError::from(format!("{STREAM_CHILD}: missing {name}")))
    };
    Ok(ChildArgs {
        contender: need(contender, "--contender")?,
        url: need(url, "--url")?,
        path: need(path, "--path")?,
        out: PathBuf::from(need(out, "--out")?),
        ca: ca.map(PathBuf::from),
    })
}

fn value<I: Iterator<Item = String>>(args: &mut I, flag: &str) -> Result<String, BenchError> {
    args.next()
        .ok_or_else(|| format!("{flag} needs a value; try --help").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, BenchError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_are_full_run_of_everything() {
        let Command::Bench(opts) = parse_strs(&[]).unwrap() else {
            panic!("expected Bench");
        };
        assert!(!opts.quick);
        assert!(opts.only.is_empty());
        assert_eq!(opts.runs, None);
        assert!(opts.out_dir.ends_with("bench"));
    }

    #[test]
    fn flags_are_read() {
        let cmd = parse_strs(&[
            "--quick",
            "--only",
            "small_get_c1",
            "--only",
            "limit_10k",
            "--runs",
            "2",
        ]);
        let Command::Bench(opts) = cmd.unwrap() else {
            panic!("expected Bench");
        };
        assert!(opts.quick);
        assert_eq!(opts.only, vec![Workload::SmallGetC1, Workload::Limit10k]);
        assert_eq!(opts.runs, Some(2));
        let Command::Bench(opts) = parse_strs(&["--only", "wan_export_1m_values"]).unwrap() else {
            panic!("expected Bench");
        };
        assert_eq!(opts.only, vec![Workload::WanExport1mValues]);
    }

    #[test]
    fn bad_input_is_an_error_naming_the_flag() {
        let err = parse_strs(&["--runs", "0"]).unwrap_err().to_string();
        assert!(err.contains("--runs"), "{err}");
        let err = parse_strs(&["--only", "nope"]).unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
        let err = parse_strs(&["--only"]).unwrap_err().to_string();
        assert!(err.contains("--only"), "{err}");
        assert!(parse_strs(&["--fast"]).is_err());
    }

    #[test]
    fn decode_only_reads_its_flags() {
        let Command::DecodeOnly(opts) = parse_strs(&["decode-only"]).unwrap() else {
            panic!("expected DecodeOnly");
        };
        assert_eq!((opts.units, opts.runs, opts.decoder), (100_000, 10, None));
        let cmd = parse_strs(&[
            "decode-only",
            "--units",
            "50",
            "--runs",
            "2",
            "--decoder",
            "dhis2_typed",
        ]);
        let Command::DecodeOnly(opts) = cmd.unwrap() else {
            panic!("expected DecodeOnly");
        };
        assert_eq!(opts.units, 50);
        assert_eq!(opts.runs, 2);
        assert_eq!(opts.decoder.as_deref(), Some("dhis2_typed"));
        assert_eq!(opts.save, None);
        let Command::DecodeOnly(opts) =
            parse_strs(&["decode-only", "--save", "/tmp/p.json"]).unwrap()
        else {
            panic!("expected DecodeOnly");
        };
        assert_eq!(opts.save, Some(PathBuf::from("/tmp/p.json")));
        assert!(parse_strs(&["decode-only", "--units", "0"]).is_err());
        assert!(parse_strs(&["decode-only", "--quick"]).is_err());
    }

    #[test]
    fn child_subcommand_needs_all_arguments() {
        let cmd = parse_strs(&[
            STREAM_CHILD,
            "--contender",
            "hyper_bare",
            "--url",
            "http://127.0.0.1:1",
            "--path",
            "/api/dataValueSets",
            "--out",
            "/tmp/x",
        ])
        .unwrap();
        let Command::StreamChild(child) = cmd else {
            panic!("expected StreamChild");
        };
        assert_eq!(child.contender, "hyper_bare");
        assert_eq!(child.out, PathBuf::from("/tmp/x"));
        assert_eq!(child.ca, None);
        let cmd = parse_strs(&[
            WAN_CHILD,
            "--contender",
            "dhis2_typed",
            "--url",
            "https://127.0.0.1:1",
            "--path",
            "/api/dataValueSets",
            "--ca",
            "/tmp/ca.pem",
            "--out",
            "/tmp/x",
        ])
        .unwrap();
        let Command::WanChild(child) = cmd else {
            panic!("expected WanChild");
        };
        assert_eq!(child.ca, Some(PathBuf::from("/tmp/ca.pem")));
        let err = parse_strs(&[STREAM_CHILD, "--url", "x"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--contender"), "{err}");
    }
}
