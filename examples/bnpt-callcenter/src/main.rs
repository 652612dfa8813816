//! # bnpt-callcenter
//!
//! The reference BNPT call center, assembled from the Sambung crates. Run with no arguments
//! it starts on embedded defaults: data in `./bnpt-data` (SQLite database, recordings,
//! prompts), SIP on UDP and TCP `127.0.0.1:5060`, HTTP on `127.0.0.1:8080`, and the demo
//! configuration (`bnpt-callcenter config example` prints it, documented).
//!
//! It answers calls to the access numbers (greeting, office hours, the ACD's queues, agents'
//! phones bridged, every call recorded with a CDR), keeps the CMS figures from the stored ACD
//! events, and serves the web side — dashboard, wallboard, reports, recordings, CRM tickets,
//! agent desk, accounts — with the JSON API under `/api/v1` (see `web`). Subcommands print
//! reports and search, export and back up recordings.
#![forbid(unsafe_code)]

mod accounts;
mod acd_driver;
mod app;
mod calls;
mod cli;
mod config;
mod dispatch;
mod ivr;
mod listen;
mod locations;
mod media_leg;
mod prompts;
mod recording_faults;
mod recordings_cli;
mod recordings_search;
mod report;
mod secrets;
mod sip_listener;
mod sip_tls;
mod store;
mod supervise;
mod sync;
mod trunk;
mod web;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        Some(cli::Command::Config {
            action: cli::ConfigAction::Example,
        }) => {
            print_stdout(config::EXAMPLE);
            ExitCode::SUCCESS
        }
        Some(cli::Command::Config {
            action: cli::ConfigAction::Check,
        }) => match config::Config::load(&cli.global) {
            Ok(config) => {
                print_stdout(&format!("configuration is valid: {}\n", config.summary()));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Some(cli::Command::Report {
            from,
            to,
            csv: _,
            json,
        }) => match config::Config::load(&cli.global) {
            Ok(config) => match report::run(
                &config.data_dir,
                config.raw.cms.cms_config(),
                &from,
                &to,
                json,
            ) {
                Ok(text) => {
                    print_stdout(&text);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        },
        Some(cli::Command::Backup { action }) => match config::Config::load(&cli.global) {
            Ok(config) => match recordings_cli::run(&config.data_dir, &action.into()) {
                Ok(text) => {
                    print_stdout(&text);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        },
        Some(cli::Command::Recordings { action }) => match config::Config::load(&cli.global) {
            Ok(config) => match recordings_cli::run(&config.data_dir, &action) {
                Ok(text) => {
                    print_stdout(&text);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        },
        Some(cli::Command::Run) | None => {
            let config = match config::Config::load(&cli.global) {
                Ok(config) => config,
                Err(e) => return fail(&e),
            };
            app::init_logging(&config.logging.filter);
            match app::run(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
    }
}

/// Output that is the program's data goes to standard output.
#[expect(
    clippy::print_stdout,
    reason = "the command's output is data on standard output"
)]
fn print_stdout(text: &str) {
    print!("{text}");
}

/// Reports a fatal error with its chain of causes and exits non-zero.
#[expect(
    clippy::print_stderr,
    reason = "fatal errors go to standard error before logging is up"
)]
fn fail(error: &dyn std::error::Error) -> ExitCode {
    eprint!("bnpt-callcenter: error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        eprint!(": {cause}");
        source = cause.source();
    }
    eprintln!();
    ExitCode::FAILURE
}
