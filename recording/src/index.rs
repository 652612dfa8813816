//! The recordings index: one row per recording, searchable by number (exact or prefix), date
//! range, agent and service type, a page at a time.
//!
//! Written against `sqlx::Any` with portable SQL (`$N` parameters, `BIGINT`/`TEXT` columns,
//! times as Unix milliseconds), so the same code runs on the embedded SQLite default and on
//! PostgreSQL (feature `postgres`) when a site scales out.
//!
//! A row is inserted when a recording starts (`complete = 0`) and completed when its file is
//! finished, so a recording interrupted by a crash is never half-written without a record
//! saying so: [`RecordingIndex::incomplete`] lists them for [`crate::wav_recorder::recover`].

use std::path::Path;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Row};

/// Wraps SQL assembled in this module from constants, column names and `$N` placeholders:
/// every value reaches the database as a bound parameter, never as text in the statement.
fn sql(statement: String) -> AssertSqlSafe<String> {
    AssertSqlSafe(statement)
}

/// Why the index could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The database refused.
    #[error("recordings index: {0}")]
    Database(#[from] sqlx::Error),
    /// A page size of zero or above [`MAX_PAGE`].
    #[error("page size {0} is not between 1 and {MAX_PAGE}")]
    BadPage(u32),
    /// A number to search for that is empty or holds more than a phone number can.
    #[error("search number {0:?} is not a phone number or prefix")]
    BadNumber(String),
}

/// Largest page a search returns.
pub const MAX_PAGE: u32 = 1000;

/// The index's file name in a data folder (beside the `recordings/` folder).
pub const INDEX_FILE: &str = "recordings.sqlite";

/// A recording as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRow {
    /// The recording's id (also its file name stem).
    pub id: String,
    /// The call it belongs to.
    pub call_id: i64,
    /// Caller, E.164.
    pub caller: String,
    /// Called number, E.164 or a short code.
    pub called: String,
    /// Agent who took the call, if any.
    pub agent: Option<String>,
    /// Queue the call came through, if any.
    pub queue: Option<String>,
    /// Service type (the DID's service: `pengaduan`, `informasi`, …), if any.
    pub service: Option<String>,
    /// Start, Unix milliseconds.
    pub started_ms: i64,
    /// End, Unix milliseconds (equal to the start until completed).
    pub ended_ms: i64,
    /// Audio length in milliseconds.
    pub duration_ms: i64,
    /// Codec and container, such as `wav/pcm16` or `wav/alaw`.
    pub codec: String,
    /// File size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the file, lower-case hex (empty until completed).
    pub sha256: String,
    /// Where the file is, relative to the recordings store.
    pub path: String,
    /// Whether the file was finished.
    pub complete: bool,
}

/// How a number is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberMatch {
    /// Caller or called number equals this.
    Exact(String),
    /// Caller or called number starts with this (`+6221` finds Jakarta fixed lines).
    Prefix(String),
}

/// A search; every field set narrows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Caller or called number.
    pub number: Option<NumberMatch>,
    /// Started at or after (Unix milliseconds).
    pub from_ms: Option<i64>,
    /// Started before (Unix milliseconds).
    pub to_ms: Option<i64>,
    /// Agent.
    pub agent: Option<String>,
    /// Service type.
    pub service: Option<String>,
    /// Rows per page, 1 to [`MAX_PAGE`].
    pub limit: u32,
    /// Rows to skip (page × limit).
    pub offset: u64,
}

impl Default for Search {
    /// Everything, newest first, 50 per page.
    fn default() -> Self {
        Self {
            number: None,
            from_ms: None,
            to_ms: None,
            agent: None,
            service: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The rows, newest first.
    pub rows: Vec<RecordingRow>,
    /// How many rows match in all.
    pub total: u64,
}

const SCHEMA: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS recordings (
        id TEXT PRIMARY KEY,
        call_id BIGINT NOT NULL,
        caller TEXT NOT NULL,
        called TEXT NOT NULL,
        agent TEXT,
        queue TEXT,
        service TEXT,
        started_ms BIGINT NOT NULL,
        ended_ms BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        codec TEXT NOT NULL,
        size_bytes BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        path TEXT NOT NULL,
        complete INTEGER NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS recordings_started ON recordings (started_ms)",
    "CREATE INDEX IF NOT EXISTS recordings_caller ON recordings (caller, started_ms)",
    "CREATE INDEX IF NOT EXISTS recordings_called ON recordings (called, started_ms)",
];

const COLUMNS: &str = "id, call_id, caller, called, agent, queue, service, started_ms, ended_ms, duration_ms, codec, size_bytes, sha256, path, complete";

fn row(r: &AnyRow) -> Result<RecordingRow, sqlx::Error> {
    Ok(RecordingRow {
        id: r.try_get("id")?,
        call_id: r.try_get("call_id")?,
        caller: r.try_get("caller")?,
        called: r.try_get("called")?,
        agent: r.try_get("agent")?,
        queue: r.try_get("queue")?,
        service: r.try_get("service")?,
        started_ms: r.try_get("started_ms")?,
        ended_ms: r.try_get("ended_ms")?,
        duration_ms: r.try_get("duration_ms")?,
        codec: r.try_get("codec")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        path: r.try_get("path")?,
        complete: r.try_get::<i32, _>("complete")? != 0,
    })
}

/// Escapes `LIKE` wildcards so a prefix is matched literally.
fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The index, over a connection pool.
#[derive(Debug, Clone)]
pub struct RecordingIndex {
    pool: AnyPool,
}

impl RecordingIndex {
    /// Connects to `url` (`sqlite://…?mode=rwc`, or `postgres://…` with the `postgres`
    /// feature) and creates the table if it is missing. SQLite runs in WAL mode with full
    /// synchronisation, so a committed row survives `kill -9` and power loss.
    pub async fn connect(url: &str) -> Result<Self, IndexError> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await?;
        }
        Ok(Self { pool })
    }

    /// Opens (creating if needed) the index of a data folder: its [`INDEX_FILE`].
    pub async fn open_data_folder(folder: &Path) -> Result<Self, IndexError> {
        Self::open_sqlite(&folder.join(INDEX_FILE)).await
    }

    /// Opens (creating if needed) an SQLite index file.
    pub async fn open_sqlite(path: &Path) -> Result<Self, IndexError> {
        Self::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Records that a recording has started (`complete` false, end equal to start).
    pub async fn begin(&self, r: &RecordingRow) -> Result<(), IndexError> {
        sqlx::query(sql(format!(
            "INSERT INTO recordings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0)"
        )))
        .bind(&r.id)
        .bind(r.call_id)
        .bind(&r.caller)
        .bind(&r.called)
        .bind(r.agent.as_deref())
        .bind(r.queue.as_deref())
        .bind(r.service.as_deref())
        .bind(r.started_ms)
        .bind(r.started_ms)
        .bind(0i64)
        .bind(&r.codec)
        .bind(0i64)
        .bind("")
        .bind(&r.path)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks a recording finished, with what its file holds. Returns whether the row existed.
    pub async fn complete(
        &self,
        id: &str,
        ended_ms: i64,
        duration_ms: i64,
        size_bytes: i64,
        sha256: &str,
    ) -> Result<bool, IndexError> {
        let done = sqlx::query(
            "UPDATE recordings SET ended_ms = $1, duration_ms = $2, size_bytes = $3, sha256 = $4, complete = 1 WHERE id = $5",
        )
        .bind(ended_ms)
        .bind(duration_ms)
        .bind(size_bytes)
        .bind(sha256)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes the agent who took the call (set once an agent answers); false if no such
    /// recording.
    pub async fn set_agent(&self, id: &str, agent: &str) -> Result<bool, IndexError> {
        let done = sqlx::query("UPDATE recordings SET agent = $1 WHERE id = $2")
            .bind(agent)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Recordings begun and never completed (left by a crash), oldest first.
    pub async fn incomplete(&self) -> Result<Vec<RecordingRow>, IndexError> {
        let rows = sqlx::query(sql(format!(
            "SELECT {COLUMNS} FROM recordings WHERE complete = 0 ORDER BY started_ms, id"
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// One recording by id.
    pub async fn get(&self, id: &str) -> Result<Option<RecordingRow>, IndexError> {
        let r = sqlx::query(sql(format!(
            "SELECT {COLUMNS} FROM recordings WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.as_ref().map(row).transpose()?)
    }

    /// Up to `limit` recordings that started before `before_ms`, oldest first, continuing
    /// after `after` (the start and id of the last row of the previous page) if given.
    pub async fn started_before(
        &self,
        before_ms: i64,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<RecordingRow>, IndexError> {
        let (after_ms, after_id) = after.unwrap_or((i64::MIN, ""));
        let rows = sqlx::query(sql(format!(
            "SELECT {COLUMNS} FROM recordings WHERE started_ms < $1 AND (started_ms > $2 OR (started_ms = $2 AND id > $3)) ORDER BY started_ms, id LIMIT $4"
        )))
        .bind(before_ms)
        .bind(after_ms)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Removes a recording's row. Returns whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool, IndexError> {
        let done = sqlx::query("DELETE FROM recordings WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Runs a search: the matching rows of one page, newest first, and the total.
    pub async fn search(&self, s: &Search) -> Result<Page, IndexError> {
        if s.limit == 0 || s.limit > MAX_PAGE {
            return Err(IndexError::BadPage(s.limit));
        }
        // The WHERE clause and its parameters, in order.
        let mut clauses: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut numbers: Vec<i64> = Vec::new();
        let mut next = 1usize;
        let mut text = |clauses: &mut Vec<String>, sql: &str, value: String| {
            clauses.push(sql.replace("{}", &format!("${next}")));
            texts.push(value);
            next += 1;
        };
        match &s.number {
            Some(NumberMatch::Exact(n) | NumberMatch::Prefix(n))
                if n.is_empty()
                    || n.len() > 32
                    || !n.chars().all(|c| c.is_ascii_digit() || c == '+') =>
            {
                return Err(IndexError::BadNumber(n.clone()));
            }
            Some(NumberMatch::Exact(n)) => {
                text(&mut clauses, "(caller = {} OR called = {})", n.clone());
            }
            Some(NumberMatch::Prefix(n)) => text(
                &mut clauses,
                "(caller LIKE {} ESCAPE '\\' OR called LIKE {} ESCAPE '\\')",
                like_prefix(n),
            ),
            None => {}
        }
        if let Some(agent) = &s.agent {
            text(&mut clauses, "agent = {}", agent.clone());
        }
        if let Some(service) = &s.service {
            text(&mut clauses, "service = {}", service.clone());
        }
        let first_number = texts.len() + 1;
        if let Some(from) = s.from_ms {
            clauses.push(format!("started_ms >= ${}", first_number + numbers.len()));
            numbers.push(from);
        }
        if let Some(to) = s.to_ms {
            clauses.push(format!("started_ms < ${}", first_number + numbers.len()));
            numbers.push(to);
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let page_at = first_number + numbers.len();
        let list_sql = format!(
            "SELECT {COLUMNS} FROM recordings{filter} ORDER BY started_ms DESC, id DESC LIMIT ${} OFFSET ${}",
            page_at,
            page_at + 1
        );
        let count_sql = format!("SELECT COUNT(*) AS n FROM recordings{filter}");

        let mut list = sqlx::query(sql(list_sql));
        let mut count = sqlx::query(sql(count_sql));
        for t in &texts {
            list = list.bind(t.as_str());
            count = count.bind(t.as_str());
        }
        for &n in &numbers {
            list = list.bind(n);
            count = count.bind(n);
        }
        let offset = i64::try_from(s.offset).unwrap_or(i64::MAX);
        let rows = list
            .bind(i64::from(s.limit))
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = count.fetch_one(&self.pool).await?.try_get("n")?;
        Ok(Page {
            rows: rows.iter().map(row).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
