//! # sip-lint
//!
//! A tool for people debugging SIP: parses each file as one datagram with `sambung-sip` and
//! says whether it is valid, what it holds, or what is wrong and where.
//!
//! ```text
//! sip-lint [--json] FILE...      (`-` reads standard input)
//! ```
//!
//! With `--json`, one JSON object per file per line (fields: `file`, `ok`, `kind`, `method`,
//! `request_uri`, `status`, `reason`, `call_id`, `cseq`, `from`, `to`, `via`, `max_forwards`,
//! `contacts`, `content_length`, `body_len`, `error`; those that do not apply are left out).
//! Exit status: 0 when every file parsed, 1 when any was rejected, 2 on usage or I/O errors.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use sambung_sip::report::Report;

/// Largest input read from one file: far above any SIP datagram (64 KiB).
const MAX_INPUT: u64 = 1024 * 1024;

/// Parse SIP messages and say what is wrong and where.
#[derive(Debug, Parser)]
#[command(name = "sip-lint", version, about)]
struct Args {
    /// Print one JSON object per file per line.
    #[arg(long)]
    json: bool,
    /// Files holding one SIP message each; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut any_rejected = false;
    let mut io_failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in &args.files {
        let name = path.display().to_string();
        let bytes = match read_input(path) {
            Ok(b) => b,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "sip-lint: {name}: {e}");
                io_failed = true;
                continue;
            }
        };
        let mut report = Report::of_bytes(&bytes);
        report.file = Some(name.clone());
        any_rejected |= !report.ok;
        let written = if args.json {
            serde_json::to_string(&report)
                .map_err(std::io::Error::other)
                .and_then(|line| writeln!(out, "{line}"))
        } else {
            write_readable(&mut out, &name, &report, &bytes)
        };
        if written.is_err() {
            // Standard output closed (a pipe to `head`): nothing more to say.
            return ExitCode::from(2);
        }
    }
    if io_failed {
        ExitCode::from(2)
    } else if any_rejected {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn read_input(path: &PathBuf) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)?
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > MAX_INPUT {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_INPUT} bytes"
        )));
    }
    Ok(bytes)
}

fn write_readable(
    out: &mut impl Write,
    name: &str,
    r: &Report,
    bytes: &[u8],
) -> std::io::Result<()> {
    if let Some(e) = &r.error {
        let code = e.response_code.map_or_else(
            || "drop: a bad response is not answered".to_owned(),
            |c| format!("answer {c}"),
        );
        writeln!(out, "{name}: rejected ({code})")?;
        writeln!(out, "  {}", e.message)?;
        let (line_no, line, column) = locate(bytes, e.offset);
        writeln!(out, "  line {line_no}: {line}")?;
        writeln!(
            out,
            "  {}^",
            " ".repeat(column + format!("line {line_no}: ").len())
        )?;
        return Ok(());
    }
    let first = match (&r.method, &r.request_uri, r.status, &r.reason) {
        (Some(m), Some(u), _, _) => format!("{m} {u}"),
        (_, _, Some(s), Some(reason)) => format!("{s} {reason}"),
        _ => String::new(),
    };
    writeln!(out, "{name}: ok, {} {first}", r.kind.unwrap_or("message"))?;
    if let Some(c) = &r.cseq {
        writeln!(
            out,
            "  Call-ID {}  CSeq {} {}",
            r.call_id.as_deref().unwrap_or(""),
            c.seq,
            c.method
        )?;
    }
    for (label, a) in [("From", &r.from), ("To", &r.to)] {
        if let Some(a) = a {
            let display = a
                .display_name
                .as_deref()
                .map(|d| format!("{d:?} "))
                .unwrap_or_default();
            let tag = a
                .tag
                .as_deref()
                .map(|t| format!(" tag={t}"))
                .unwrap_or_default();
            writeln!(out, "  {label} {display}<{}>{tag}", a.uri)?;
        }
    }
    for v in r.via.iter().flatten() {
        let port = v.port.map(|p| format!(":{p}")).unwrap_or_default();
        let branch = v
            .branch
            .as_deref()
            .map(|b| format!(" branch={b}"))
            .unwrap_or_default();
        writeln!(out, "  Via {} {}{port}{branch}", v.transport, v.host)?;
    }
    for c in r.contacts.iter().flatten() {
        writeln!(out, "  Contact {}", c.uri)?;
    }
    if let Some(mf) = r.max_forwards {
        writeln!(out, "  Max-Forwards {mf}")?;
    }
    let declared = r
        .content_length
        .map(|l| format!(" (Content-Length {l})"))
        .unwrap_or_default();
    writeln!(out, "  body {} bytes{declared}", r.body_len.unwrap_or(0))
}

/// The 1-based line number, the line's text (escaped), and the column of `offset`.
fn locate(bytes: &[u8], offset: usize) -> (usize, String, usize) {
    let offset = offset.min(bytes.len());
    let start = bytes[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let end = bytes[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| offset + p);
    let line_no = bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
    let raw = &bytes[start..end];
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let before: String = String::from_utf8_lossy(&bytes[start..offset])
        .escape_debug()
        .collect();
    let line: String = String::from_utf8_lossy(raw).escape_debug().collect();
    (line_no, line, before.chars().count())
}
