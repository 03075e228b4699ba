//! Catalogue imports running in the background: what the import page shows of an import that
//! takes longer than a request should wait.
//!
//! A [`Job`] is one run of [`csv_io::import`] (a check or an import) started from the
//! producer's import page: its id (UUID v7), the producer, the person who started it, its
//! mode, its state ([`JobState`]: running, done with its [`ImportReport`], or failed with the
//! error's words), its progress (lines read, bytes read of the file's bytes) and when it
//! started and finished. The work itself is [`ImportJobs::work`], run on the database pool by
//! the page; it stays one transaction, so an import is all or nothing whether the page waited
//! for it or not.
//!
//! **Bounds.** At most one job runs per producer at a time ([`StartError::Busy`]: a second
//! import of the same catalogue would only wait for the first one's write lock, then undo or
//! redo its work). A finished job is forgotten [`KEEP_FINISHED_SECONDS`] after it finished,
//! and at most [`MAX_JOBS`] are kept (the oldest finished go first; when that many are still
//! running, a new one is refused with [`StartError::Full`]).
//!
//! **Where jobs live.** The registry is in the memory of the process that runs the import
//! (in [`crate::state::AppState`]), and nothing of it is written to the database: a restart
//! forgets every job (a running import's transaction is rolled back with its connection, so
//! nothing is half written), and with several instances behind a reverse proxy, a job's page
//! must reach the instance that started it — route a producer's requests to one instance
//! (sticky sessions), or the page says the job is unknown. The catalogue itself is always
//! right: it is in the database, whichever instance reads it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDateTime;

use super::csv_io::{self, ImportOptions, ImportReport, Progress};
use super::rules::CatalogRules;
use super::CatalogError;
use crate::db::DbConn;
use crate::error::FieldError;
use crate::ids::UserId;

/// How long a finished job is remembered, in seconds.
pub const KEEP_FINISHED_SECONDS: i64 = 3600;

/// Jobs remembered at most, running and finished.
pub const MAX_JOBS: usize = 300;

/// What a job does with the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every line checked, nothing written (a dry run).
    Check,
    /// Written when every line is right (or, with `partial`, the right lines).
    Import,
}

/// Where a job is.
#[derive(Debug, Clone)]
pub enum JobState {
    Running,
    /// Finished: the report, as [`csv_io::import`] returns it (lines refused included).
    Done(ImportReport),
    /// Stopped on an error: nothing was written.
    Failed(Failure),
}

/// Why a job stopped without a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The file cannot be read as a catalogue (no header line, a missing column, a line that
    /// is not CSV): each reason with its line and column.
    Input(Vec<FieldError>),
    /// The import is not possible now (the producer is gone): the reason.
    Refused(String),
    /// Not the file's fault (the database failed): the cause is in the log, not shown.
    Internal,
}

impl Failure {
    /// The failure of an import that returned `error` (an internal one is logged here).
    pub fn of(job_id: &str, error: &CatalogError) -> Failure {
        match error {
            CatalogError::Invalid(invalid) => Failure::Input(invalid.0.clone()),
            CatalogError::NotFound(detail) | CatalogError::Conflict(detail) => {
                Failure::Refused(detail.clone())
            }
            other => {
                tracing::error!(job = %job_id, error = %other, "a catalogue import failed");
                Failure::Internal
            }
        }
    }
}

/// One import, running or finished.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub producer_id: String,
    pub started_by: UserId,
    pub mode: Mode,
    /// The right lines are written even when some are wrong.
    pub partial: bool,
    pub state: JobState,
    /// Data lines read so far (updated every thousand lines, and at the end).
    pub rows: u64,
    /// Bytes of the file read so far (read ahead of the lines by a buffer's length).
    pub bytes: u64,
    /// The file's length.
    pub total_bytes: u64,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

impl Job {
    pub fn is_running(&self) -> bool {
        matches!(self.state, JobState::Running)
    }

    /// How much of the file is read, in whole percent (0–100; 100 for an empty file).
    pub fn percent(&self) -> u64 {
        if self.total_bytes == 0 {
            return 100;
        }
        (self.bytes.saturating_mul(100) / self.total_bytes).min(100)
    }

    /// The options [`csv_io::import`] runs with.
    pub fn options(&self) -> ImportOptions {
        ImportOptions {
            partial: self.partial,
            dry_run: self.mode == Mode::Check,
        }
    }
}

/// A job to start.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub producer_id: String,
    pub started_by: UserId,
    pub mode: Mode,
    pub partial: bool,
    pub total_bytes: u64,
}

/// Why a job is not started.
#[derive(Debug, Clone)]
pub enum StartError {
    /// This producer's catalogue is being imported already: that job.
    Busy(Box<Job>),
    /// [`MAX_JOBS`] jobs are running.
    Full,
}

/// The jobs of this process (see the module documentation).
#[derive(Debug, Default)]
pub struct ImportJobs {
    jobs: Mutex<HashMap<String, Job>>,
}

impl ImportJobs {
    pub fn new() -> ImportJobs {
        ImportJobs::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Job>> {
        // a panic while the lock was held leaves a map that is still whole: keep going
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a running job, unless the producer has one running or [`MAX_JOBS`] are.
    pub fn start(&self, new: NewJob) -> Result<Job, StartError> {
        self.start_at(new, crate::time::now())
    }

    fn start_at(&self, new: NewJob, now: NaiveDateTime) -> Result<Job, StartError> {
        let mut jobs = self.lock();
        forget_old(&mut jobs, now);
        if let Some(running) = jobs
            .values()
            .find(|j| j.is_running() && j.producer_id == new.producer_id)
        {
            return Err(StartError::Busy(Box::new(running.clone())));
        }
        if jobs.len() >= MAX_JOBS {
            let mut finished: Vec<(NaiveDateTime, String)> = jobs
                .values()
                .filter_map(|j| j.finished_at.map(|at| (at, j.id.clone())))
                .collect();
            finished.sort();
            let excess = jobs.len() + 1 - MAX_JOBS;
            for (_, id) in finished.into_iter().take(excess) {
                jobs.remove(&id);
            }
            if jobs.len() >= MAX_JOBS {
                return Err(StartError::Full);
            }
        }
        let job = Job {
            id: crate::time::new_id(),
            producer_id: new.producer_id,
            started_by: new.started_by,
            mode: new.mode,
            partial: new.partial,
            state: JobState::Running,
            rows: 0,
            bytes: 0,
            total_bytes: new.total_bytes,
            started_at: now,
            finished_at: None,
        };
        jobs.insert(job.id.clone(), job.clone());
        Ok(job)
    }

    /// Records how far a running job is.
    pub fn progress(&self, id: &str, progress: Progress) {
        if let Some(job) = self.lock().get_mut(id) {
            if job.is_running() {
                job.rows = progress.rows;
                job.bytes = progress.bytes;
            }
        }
    }

    /// Ends a running job with the import's outcome (a job already finished is left as it
    /// is: the first outcome stands).
    pub fn finish(&self, id: &str, outcome: &Result<ImportReport, CatalogError>) {
        self.finish_at(id, outcome, crate::time::now())
    }

    fn finish_at(
        &self,
        id: &str,
        outcome: &Result<ImportReport, CatalogError>,
        now: NaiveDateTime,
    ) {
        let mut jobs = self.lock();
        let Some(job) = jobs.get_mut(id) else {
            return;
        };
        if !job.is_running() {
            return;
        }
        job.state = match outcome {
            Ok(report) => {
                job.rows = report.rows;
                job.bytes = job.total_bytes;
                JobState::Done(report.clone())
            }
            Err(e) => JobState::Failed(Failure::of(id, e)),
        };
        job.finished_at = Some(now);
    }

    /// The job `id` of `producer_id`: `None` when there is none, it was forgotten, or it is
    /// another producer's.
    pub fn of_producer(&self, producer_id: &str, id: &str) -> Option<Job> {
        self.of_producer_at(producer_id, id, crate::time::now())
    }

    fn of_producer_at(&self, producer_id: &str, id: &str, now: NaiveDateTime) -> Option<Job> {
        let mut jobs = self.lock();
        forget_old(&mut jobs, now);
        jobs.get(id)
            .filter(|j| j.producer_id == producer_id)
            .cloned()
    }

    /// The import of `job` (started by [`ImportJobs::start`]) from `input`, to run on the
    /// database pool ([`crate::db::Db::run`]): it records its progress and its outcome here,
    /// and returns the outcome too.
    pub fn work(
        self: &Arc<Self>,
        job: &Job,
        rules: Arc<CatalogRules>,
        input: Vec<u8>,
    ) -> impl FnOnce(&mut DbConn) -> Result<ImportReport, CatalogError> + Send + 'static {
        let (jobs, id, producer, options) = (
            self.clone(),
            job.id.clone(),
            job.producer_id.clone(),
            job.options(),
        );
        move |conn| {
            let outcome = csv_io::import(
                conn,
                &rules,
                &producer,
                input.as_slice(),
                options,
                &mut |p| jobs.progress(&id, p),
            );
            jobs.finish(&id, &outcome);
            outcome
        }
    }
}

/// Drops the jobs finished more than [`KEEP_FINISHED_SECONDS`] ago.
fn forget_old(jobs: &mut HashMap<String, Job>, now: NaiveDateTime) {
    let limit = now - chrono::Duration::seconds(KEEP_FINISHED_SECONDS);
    jobs.retain(|_, j| j.finished_at.is_none_or(|at| at > limit));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(producer: &str) -> NewJob {
        NewJob {
            producer_id: producer.into(),
            started_by: UserId::from("user"),
            mode: Mode::Import,
            partial: false,
            total_bytes: 200,
        }
    }

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default()
    }

    fn done() -> Result<ImportReport, CatalogError> {
        Ok(ImportReport {
            rows: 3,
            created: 3,
            written: true,
            ..ImportReport::default()
        })
    }

    #[test]
    fn one_running_job_per_producer() {
        let jobs = ImportJobs::new();
        let first = jobs.start_at(new("farm"), at(0)).expect("started");
        match jobs.start_at(new("farm"), at(1)) {
            Err(StartError::Busy(running)) => assert_eq!(running.id, first.id),
            other => panic!("{other:?}"),
        }
        // another producer's import runs beside it
        jobs.start_at(new("bakery"), at(1)).expect("started");
        jobs.finish_at(&first.id, &done(), at(2));
        let second = jobs.start_at(new("farm"), at(3)).expect("started again");
        assert_ne!(second.id, first.id);
    }

    #[test]
    fn progress_then_the_report() {
        let jobs = ImportJobs::new();
        let job = jobs.start_at(new("farm"), at(0)).expect("started");
        jobs.progress(
            &job.id,
            Progress {
                rows: 1000,
                bytes: 50,
            },
        );
        let seen = jobs.of_producer_at("farm", &job.id, at(1)).expect("job");
        assert!(seen.is_running());
        assert_eq!((seen.rows, seen.percent()), (1000, 25));
        jobs.finish_at(&job.id, &done(), at(2));
        let seen = jobs.of_producer_at("farm", &job.id, at(3)).expect("job");
        assert!(matches!(&seen.state, JobState::Done(r) if r.created == 3));
        assert_eq!(
            (seen.rows, seen.percent(), seen.finished_at),
            (3, 100, Some(at(2)))
        );
        // a second outcome does not replace the first
        jobs.finish_at(&job.id, &Err(CatalogError::internal("late")), at(4));
        let seen = jobs.of_producer_at("farm", &job.id, at(5)).expect("job");
        assert!(matches!(seen.state, JobState::Done(_)));
        // another producer does not see it
        assert!(jobs.of_producer_at("bakery", &job.id, at(5)).is_none());
    }

    #[test]
    fn failures_keep_the_files_reasons_only() {
        let jobs = ImportJobs::new();
        let job = jobs.start_at(new("farm"), at(0)).expect("started");
        let bad = CatalogError::invalid(vec![FieldError::at_line(1, "file", "empty", "empty")]);
        jobs.finish_at(&job.id, &Err(bad), at(1));
        let seen = jobs.of_producer_at("farm", &job.id, at(1)).expect("job");
        assert!(matches!(&seen.state, JobState::Failed(Failure::Input(e)) if e[0].code == "empty"));
        let job = jobs.start_at(new("farm"), at(2)).expect("started");
        let broken = CatalogError::internal("connection reset by peer");
        jobs.finish_at(&job.id, &Err(broken), at(3));
        let seen = jobs.of_producer_at("farm", &job.id, at(3)).expect("job");
        assert!(matches!(seen.state, JobState::Failed(Failure::Internal)));
    }

    #[test]
    fn finished_jobs_are_forgotten_after_an_hour() {
        let jobs = ImportJobs::new();
        let job = jobs.start_at(new("farm"), at(0)).expect("started");
        let running = jobs.start_at(new("bakery"), at(0)).expect("started");
        jobs.finish_at(&job.id, &done(), at(10));
        assert!(jobs
            .of_producer_at("farm", &job.id, at(9 + KEEP_FINISHED_SECONDS))
            .is_some());
        assert!(jobs
            .of_producer_at("farm", &job.id, at(10 + KEEP_FINISHED_SECONDS))
            .is_none());
        // a running job is never forgotten
        assert!(jobs
            .of_producer_at("bakery", &running.id, at(100 * KEEP_FINISHED_SECONDS))
            .is_some());
    }

    #[test]
    fn at_most_max_jobs_are_kept() {
        let jobs = ImportJobs::new();
        let mut first = None;
        for n in 0..MAX_JOBS {
            let job = jobs
                .start_at(new(&format!("p{n}")), at(0))
                .expect("started");
            jobs.finish_at(&job.id, &done(), at(n as i64));
            first.get_or_insert(job.id);
        }
        // the oldest finished one makes room
        jobs.start_at(new("new"), at(500)).expect("started");
        let first = first.expect("a first job");
        assert!(jobs.of_producer_at("p0", &first, at(500)).is_none());
        assert_eq!(jobs.lock().len(), MAX_JOBS);

        // all running: refused
        let full = ImportJobs::new();
        for n in 0..MAX_JOBS {
            full.start_at(new(&format!("p{n}")), at(0))
                .expect("started");
        }
        assert!(matches!(
            full.start_at(new("one more"), at(1)),
            Err(StartError::Full)
        ));
    }
}
