//! The data folder and its SQLite database.
//!
//! The database runs in WAL mode with `synchronous = FULL`: a committed row survives
//! `kill -9` and power loss. Each start is recorded in `service_runs`; a previous run that has
//! no stop time ended uncleanly, and start-up says so.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::Timestamp;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, SqlSafeStr};

/// The database file inside the data folder.
pub(crate) const DATABASE_FILE: &str = "bnpt.sqlite";
/// Sub-folders created in the data folder.
pub(crate) const SUBFOLDERS: [&str; 2] = ["recordings", "prompts"];

/// Why the data folder or database could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("cannot create data folder {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open database {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot bring database {} up to date", path.display())]
    Migrate {
        path: PathBuf,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
}

/// The schema, embedded so the binary needs nothing beside it.
fn migrator() -> Migrator {
    let step = |version, name: &str, sql: &'static str| {
        Migration::new(
            version,
            name.to_owned().into(),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        step(
            1,
            "service runs",
            include_str!("../migrations/0001_service_runs.sql"),
        ),
        step(
            2,
            "call detail records",
            include_str!("../migrations/0002_cdrs.sql"),
        ),
        step(
            3,
            "ACD events",
            include_str!("../migrations/0003_acd_events.sql"),
        ),
        step(
            4,
            "CDR agent",
            include_str!("../migrations/0004_cdr_agent.sql"),
        ),
        step(
            5,
            "CDR survey score",
            include_str!("../migrations/0005_cdr_survey.sql"),
        ),
        step(
            6,
            "callback requests",
            include_str!("../migrations/0006_callbacks.sql"),
        ),
        step(
            7,
            "web accounts",
            include_str!("../migrations/0007_accounts.sql"),
        ),
        step(8, "tickets", include_str!("../migrations/0008_tickets.sql")),
        step(
            9,
            "saved reports",
            include_str!("../migrations/0009_saved_reports.sql"),
        ),
        step(
            10,
            "CDR transfer",
            include_str!("../migrations/0010_cdr_transfer.sql"),
        ),
        step(
            11,
            "registrations",
            include_str!("../migrations/0011_registrations.sql"),
        ),
        step(
            12,
            "agent seats",
            include_str!("../migrations/0012_agent_seats.sql"),
        ),
    ])
}

/// Every stored ACD event (`seq`, `wall_ms`, `kind`), in order: read by the ACD at start-up and by
/// `report`.
pub(crate) const ACD_EVENTS: &str = "SELECT seq, wall_ms, kind FROM acd_events ORDER BY seq";

/// A new call, as its CDR starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewCdr<'a> {
    pub(crate) sip_call_id: &'a str,
    pub(crate) caller: &'a str,
    pub(crate) called: &'a str,
    pub(crate) service: &'a str,
    pub(crate) arrived_ms: i64,
}

/// The open data folder.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pool: SqlitePool,
    root: PathBuf,
    run_id: i64,
}

/// What start-up found about the previous run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PreviousRun {
    /// First start on this data folder.
    None,
    /// The last run stopped cleanly.
    Clean,
    /// The last run (started then) never recorded a stop.
    Unclean { started_at: String },
}

impl Store {
    /// Creates the folder layout if needed, opens and migrates the database, and records
    /// this run.
    pub(crate) async fn open(
        root: &Path,
        now: Timestamp,
    ) -> Result<(Self, PreviousRun), StoreError> {
        for dir in std::iter::once(root.to_owned()).chain(SUBFOLDERS.iter().map(|s| root.join(s))) {
            std::fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
                path: dir.clone(),
                source,
            })?;
        }
        let path = root.join(DATABASE_FILE);
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        migrator()
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: path.clone(),
                source,
            })?;

        let last =
            sqlx::query("SELECT started_at, stopped_at FROM service_runs ORDER BY id DESC LIMIT 1")
                .fetch_optional(&pool)
                .await?;
        let previous = match last {
            None => PreviousRun::None,
            Some(row) => match row.try_get::<Option<String>, _>("stopped_at")? {
                Some(_) => PreviousRun::Clean,
                None => PreviousRun::Unclean {
                    started_at: row.try_get("started_at")?,
                },
            },
        };
        let run_id = sqlx::query(
            "INSERT INTO service_runs (started_at, version, pid) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(now.to_string())
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(i64::from(std::process::id()))
        .fetch_one(&pool)
        .await?
        .try_get("id")?;
        Ok((
            Self {
                pool,
                root: root.to_owned(),
                run_id,
            },
            previous,
        ))
    }

    /// The data folder.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The connection pool, for the modules that keep their own tables (accounts, tickets).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// This run's row id.
    pub(crate) fn run_id(&self) -> i64 {
        self.run_id
    }

    /// A round trip to the database, for health checks.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a call's CDR (`in_progress`); returns its row id.
    pub(crate) async fn cdr_begin(&self, c: &NewCdr<'_>) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "INSERT INTO cdrs (sip_call_id, caller, called, service, arrived_ms, disposition) \
             VALUES (?, ?, ?, ?, ?, 'in_progress') RETURNING id",
        )
        .bind(c.sip_call_id)
        .bind(c.caller)
        .bind(c.called)
        .bind(c.service)
        .bind(c.arrived_ms)
        .fetch_one(&self.pool)
        .await?
        .try_get("id")?)
    }

    /// Notes when the call was answered and its recording.
    pub(crate) async fn cdr_answered(
        &self,
        id: i64,
        answered_ms: i64,
        recording_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE cdrs SET answered_ms = ?, recording_id = ? WHERE id = ?")
            .bind(answered_ms)
            .bind(recording_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Notes the agent who answered the call.
    pub(crate) async fn cdr_agent(&self, id: i64, agent: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE cdrs SET agent = ? WHERE id = ?")
            .bind(agent)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Where each logged-in agent sits: (agent, extension).
    pub(crate) async fn seats(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT agent, extension FROM agent_seats")
            .fetch_all(&self.pool)
            .await?)
    }

    /// `agent` now sits at `extension` (`None`: logged out).
    pub(crate) async fn set_seat(
        &self,
        agent: &str,
        extension: Option<&str>,
    ) -> Result<(), StoreError> {
        match extension {
            Some(e) => {
                sqlx::query("INSERT OR REPLACE INTO agent_seats (agent, extension) VALUES (?, ?)")
                    .bind(agent)
                    .bind(e)
                    .execute(&self.pool)
                    .await?;
            }
            None => {
                sqlx::query("DELETE FROM agent_seats WHERE agent = ?")
                    .bind(agent)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// The registrar's bindings not expired at `now` (Unix seconds), by address-of-record.
    pub(crate) async fn registrations(
        &self,
        now: u64,
    ) -> Result<Vec<(String, sambung_sip::registrar::Binding)>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT aor, contact, expires_at, q, call_id, cseq, path, received FROM registrations WHERE expires_at > ?",
        )
        .bind(i64::try_from(now).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let path: String = r.get("path");
                let received: Option<String> = r.get("received");
                (
                    r.get::<String, _>("aor"),
                    sambung_sip::registrar::Binding {
                        contact: r.get("contact"),
                        expires_at: u64::try_from(r.get::<i64, _>("expires_at")).unwrap_or(0),
                        q: u16::try_from(r.get::<i64, _>("q")).unwrap_or(1000),
                        call_id: r.get("call_id"),
                        cseq: u32::try_from(r.get::<i64, _>("cseq")).unwrap_or(0),
                        path: serde_json::from_str(&path).unwrap_or_default(),
                        received: received.and_then(|a| a.parse().ok()),
                    },
                )
            })
            .collect())
    }

    /// Replaces the stored bindings of `aor` (none: it unregistered or expired).
    pub(crate) async fn save_registrations(
        &self,
        aor: &str,
        bindings: &[sambung_sip::registrar::Binding],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM registrations WHERE aor = ?")
            .bind(aor)
            .execute(&mut *tx)
            .await?;
        for b in bindings {
            sqlx::query(
                "INSERT OR REPLACE INTO registrations (aor, contact, expires_at, q, call_id, cseq, path, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(aor)
            .bind(&b.contact)
            .bind(i64::try_from(b.expires_at).unwrap_or(i64::MAX))
            .bind(i64::from(b.q))
            .bind(&b.call_id)
            .bind(i64::from(b.cseq))
            .bind(serde_json::to_string(&b.path).unwrap_or_else(|_| "[]".to_owned()))
            .bind(b.received.map(|a| a.to_string()))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Notes where an agent transferred the call.
    pub(crate) async fn cdr_transferred(&self, id: i64, to: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE cdrs SET transferred_to = ? WHERE id = ?")
            .bind(to)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores the caller's satisfaction rating.
    pub(crate) async fn cdr_survey(&self, id: i64, score: u8) -> Result<(), StoreError> {
        sqlx::query("UPDATE cdrs SET survey_score = ? WHERE id = ?")
            .bind(i64::from(score))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a caller's request to be called back.
    pub(crate) async fn callback_request(
        &self,
        cdr: i64,
        caller: &str,
        service: &str,
        requested_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO callbacks (cdr_id, caller, service, requested_ms) VALUES (?, ?, ?, ?)",
        )
        .bind(cdr)
        .bind(caller)
        .bind(service)
        .bind(requested_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Appends what the caller keyed in the IVR (`menu:key`, space-separated) to a CDR.
    pub(crate) async fn cdr_ivr_input(&self, id: i64, input: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE cdrs SET ivr_input = CASE WHEN ivr_input IS NULL THEN ? ELSE ivr_input || ' ' || ? END WHERE id = ?",
        )
        .bind(input)
        .bind(input)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Callback requests not yet done, oldest first: (id, caller, service, requested ms).
    pub(crate) async fn open_callbacks(
        &self,
    ) -> Result<Vec<(i64, String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, caller, service, requested_ms FROM callbacks WHERE done_ms IS NULL ORDER BY id LIMIT 1000",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("caller")?,
                    r.try_get("service")?,
                    r.try_get("requested_ms")?,
                ))
            })
            .collect()
    }

    /// Closes a call's CDR.
    pub(crate) async fn cdr_end(
        &self,
        id: i64,
        ended_ms: i64,
        disposition: &str,
        end_reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE cdrs SET ended_ms = ?, disposition = ?, end_reason = ? WHERE id = ?")
            .bind(ended_ms)
            .bind(disposition)
            .bind(end_reason)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes the CDRs a crash left open (`interrupted`, ended when the run died, as far as
    /// is known: now); returns how many.
    pub(crate) async fn cdr_close_interrupted(&self, now_ms: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE cdrs SET ended_ms = ?, disposition = 'interrupted', end_reason = 'interrupted' \
             WHERE ended_ms IS NULL",
        )
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Appends ACD events (seq, wall-clock ms, JSON kind) in one transaction; a sequence
    /// number already stored is kept as it was.
    pub(crate) async fn append_acd_events(
        &self,
        rows: &[(i64, i64, String)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (seq, wall_ms, kind) in rows {
            sqlx::query("INSERT OR IGNORE INTO acd_events (seq, wall_ms, kind) VALUES (?, ?, ?)")
                .bind(seq)
                .bind(wall_ms)
                .bind(kind)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every stored ACD event, in order.
    pub(crate) async fn acd_events(&self) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let rows = sqlx::query(ACD_EVENTS).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("wall_ms")?, r.try_get("kind")?)))
            .collect()
    }

    /// Agents' sessions — (agent, logged in ms, logged out ms if they have) — that overlap
    /// `[from_ms, to_ms)`, oldest first, from the stored ACD events (CRM-4).
    pub(crate) async fn agent_sessions(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT wall_ms, kind FROM acd_events WHERE wall_ms < ? \
             AND (kind LIKE '%\"type\":\"agent_logged_in\"%' OR kind LIKE '%\"type\":\"agent_logged_out\"%') \
             ORDER BY seq",
        )
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        let mut open: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        let mut sessions = Vec::new();
        for r in &rows {
            let at: i64 = r.try_get("wall_ms")?;
            let kind: String = r.try_get("kind")?;
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&kind) else {
                continue;
            };
            let Some(agent) = event["agent"].as_str() else {
                continue;
            };
            match event["type"].as_str() {
                Some("agent_logged_in") => {
                    // A second login without a logout closes the first where the second began.
                    if let Some(start) = open.insert(agent.to_owned(), at) {
                        sessions.push((agent.to_owned(), start, Some(at)));
                    }
                }
                Some("agent_logged_out") => {
                    if let Some(start) = open.remove(agent) {
                        sessions.push((agent.to_owned(), start, Some(at)));
                    }
                }
                _ => {}
            }
        }
        sessions.extend(open.into_iter().map(|(agent, start)| (agent, start, None)));
        sessions.retain(|(_, start, end)| *start < to_ms && end.is_none_or(|e| e >= from_ms));
        sessions.sort_by_key(|(agent, start, _)| (*start, agent.clone()));
        Ok(sessions)
    }

    /// Records a clean stop of this run and closes the database.
    pub(crate) async fn close(self, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE service_runs SET stopped_at = ? WHERE id = ?")
            .bind(now.to_string())
            .bind(self.run_id)
            .execute(&self.pool)
            .await?;
        self.pool.close().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_are_recorded_and_an_unclean_stop_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let t0: Timestamp = "2026-11-30T01:00:00Z".parse().unwrap();
        let (store, previous) = Store::open(dir.path(), t0).await.unwrap();
        assert_eq!(previous, PreviousRun::None);
        assert!(dir.path().join("recordings").is_dir());
        assert!(dir.path().join(DATABASE_FILE).is_file());
        store.ping().await.unwrap();
        // Simulate a crash: drop without close.
        drop(store);
        let (store, previous) = Store::open(dir.path(), t0).await.unwrap();
        assert_eq!(
            previous,
            PreviousRun::Unclean {
                started_at: t0.to_string()
            }
        );
        assert_eq!(store.run_id(), 2);
        store.close(t0).await.unwrap();
        let (_, previous) = Store::open(dir.path(), t0).await.unwrap();
        assert_eq!(previous, PreviousRun::Clean);
    }
}
