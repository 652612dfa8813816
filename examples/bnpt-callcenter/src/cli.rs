//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The reference BNPT call center built on Sambung.
#[derive(Debug, Parser)]
#[command(name = "bnpt-callcenter", version, about)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Flags that apply to every subcommand; each overrides the configuration file.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct GlobalArgs {
    /// Configuration file (TOML). Without it, the built-in demo configuration is used.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Data folder: database, recordings, prompts [default: ./bnpt-data].
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// SIP listening address, repeatable: `udp:127.0.0.1:5060`, `tcp:[::1]:5060`,
    /// `tls:127.0.0.1:5061`, `ws:127.0.0.1:8088` (RFC 7118).
    #[arg(long = "sip-listen", global = true, value_name = "ADDR")]
    pub(crate) sip_listen: Vec<String>,
    /// HTTP listening address [default: 127.0.0.1:8080].
    #[arg(long = "http-listen", global = true, value_name = "ADDR")]
    pub(crate) http_listen: Option<String>,
}

/// What to do; `run` when none is given.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Start the call center (the default).
    Run,
    /// Work with the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print the CMS interval report (15-minute rollups per queue) for a time range, from the
    /// stored ACD events; works while the call center runs.
    Report {
        /// Start (RFC 3339, such as 2026-11-28T00:00:00+07:00).
        #[arg(long)]
        from: String,
        /// End, exclusive (RFC 3339).
        #[arg(long)]
        to: String,
        /// CSV with a header line (the default).
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// JSON: `{"interval_s": 900, "intervals": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// Search and export recordings; back up, verify and restore the recordings folder.
    Recordings {
        #[command(subcommand)]
        action: RecordingsAction,
    },
    /// The weekly backup of the recordings (`backup run`), its check (`backup verify`) and
    /// restore (`backup restore`): the same as `recordings backup|verify|restore`.
    Backup {
        #[command(subcommand)]
        action: BackupAction,
    },
}

/// `backup` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum BackupAction {
    /// Write every recording into OUT/NAME.tar with OUT/NAME.manifest.json (SHA-256 sums).
    Run(BackupArgs),
    /// Prove a backup complete and intact against its manifest.
    Verify(ManifestArgs),
    /// Verify a backup, then put its recordings back into the data folder.
    Restore(ManifestArgs),
}

/// Where a backup goes.
#[derive(Debug, Clone, Args)]
pub(crate) struct BackupArgs {
    /// Folder the backup is written to.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Name of the backup [default: `backup-YYYY-MM-DD`, today].
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Which backup.
#[derive(Debug, Clone, Args)]
pub(crate) struct ManifestArgs {
    /// The backup's manifest (NAME.manifest.json, beside NAME.tar).
    pub(crate) manifest: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

impl From<BackupAction> for RecordingsAction {
    fn from(action: BackupAction) -> Self {
        match action {
            BackupAction::Run(args) => RecordingsAction::Backup(args),
            BackupAction::Verify(args) => RecordingsAction::Verify(args),
            BackupAction::Restore(args) => RecordingsAction::Restore(args),
        }
    }
}

/// Which recordings: the index's search filters.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RecordingFilter {
    /// Caller or called number; a trailing `*` matches a prefix (`+6221*`).
    #[arg(long)]
    pub(crate) number: Option<String>,
    /// Started at or after: RFC 3339, or a date (YYYY-MM-DD, midnight WIB).
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Started before: RFC 3339, or a date (YYYY-MM-DD, midnight WIB: the day is excluded).
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Agent who took the call.
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// Service type (`pengaduan`, `informasi`).
    #[arg(long)]
    pub(crate) service: Option<String>,
    /// Most recordings [default: 50, at most 1000].
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: u32,
}

/// Recording subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RecordingsAction {
    /// Find recordings in the index, newest first.
    Search {
        #[command(flatten)]
        filter: RecordingFilter,
        /// Print JSON: `{"total": n, "recordings": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// Copy the recordings a search finds into a folder (WAV, or MP3 with --mp3), with an
    /// `export.json` listing each file, its call and its SHA-256.
    Export {
        #[command(flatten)]
        filter: RecordingFilter,
        /// The folder to write into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Encode MP3 (32 kbit/s) instead of copying the WAV masters.
        #[arg(long)]
        mp3: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every recording into OUT/NAME.tar with OUT/NAME.manifest.json (SHA-256 sums).
    Backup(BackupArgs),
    /// Prove a backup complete and intact against its manifest.
    Verify(ManifestArgs),
    /// Verify a backup, then put its recordings back into the data folder.
    Restore(ManifestArgs),
    /// Verify the hash-chained log of who searched, played and downloaded recordings: exit 0
    /// with its length and head, or 1 naming the first line that was altered or removed.
    Audit {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Configuration subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigAction {
    /// Print a documented example configuration (the built-in demo).
    Example,
    /// Load and validate the configuration, then exit.
    Check,
}
