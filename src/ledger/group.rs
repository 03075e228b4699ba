//! Committing to the journal — [`commit`] one request, [`commit_batch`] many, [`commit_slots`]
//! — and the group commit: concurrent journal commits share one write transaction.
//!
//! Every entry takes the chain head's lock and holds it through its durable commit, so
//! entries committed one by one are serialised and each pays a whole commit (an fsync). When
//! several commits arrive at once (outside any transaction of their callers), the first one
//! becomes the **leader**: it takes every request waiting at that moment — its own among them
//! — and commits them with the journal's batch logic ([`journal::commit_alone`]) in one transaction on its
//! connection; the others wait and get their own results. That is exactly the batch
//! semantics, already proven equal to one-by-one commits: each request keeps its own
//! all-or-nothing result, in arrival order. A failure of the batch as a whole (the database)
//! sends every request of it back to commit alone, so each gets its own error. With one
//! writer nothing waits: a batch of one.
//!
//! A commit inside a caller's transaction (a checkout's hold with its order) is never
//! grouped: the leader's transaction would carry someone else's work.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use super::journal::{self, Committed, EntryRequest, Slot};
use super::LedgerError;
use crate::db::DbConn;

/// The most entries (slots) one group carries, so that a single payment does not wait
/// behind an unbounded pile of batches.
const MAX_GROUP_SLOTS: usize = 1000;

/// The answers of one commit: one per slot.
pub type Answers = Vec<Option<Result<Committed, LedgerError>>>;

/// How grouping went: commit calls waiting for a leader now, the most calls one group has
/// carried, and the groups committed with the calls they carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    pub waiting: usize,
    pub largest: usize,
    pub groups: u64,
    pub calls: u64,
}

/// Requests waiting to be committed together (one per pool of connections).
#[derive(Default)]
pub struct GroupCommit {
    state: Mutex<State>,
    answered: Condvar,
}

#[derive(Default)]
struct State {
    leading: bool,
    /// The most commit calls one group has carried.
    largest: usize,
    /// Groups committed, and the commit calls they carried.
    groups: u64,
    calls: u64,
    next_ticket: u64,
    waiting: Vec<(u64, Vec<Owned>)>,
    answers: HashMap<u64, Answer>,
}

impl State {
    /// One more group, of `calls` commit calls.
    fn counted(&mut self, calls: usize) {
        self.largest = self.largest.max(calls);
        self.groups += 1;
        self.calls += calls as u64;
    }
}

enum Answer {
    Done(Result<Answers, LedgerError>),
    /// The group failed as a whole: commit alone.
    Alone,
}

/// A slot that outlives its caller's borrow.
enum Owned {
    Request(EntryRequest),
    Refused { id: String, request_hash: String },
}

impl Owned {
    fn of(slot: &Slot) -> Owned {
        match slot {
            Slot::Request(r) => Owned::Request((*r).clone()),
            Slot::Refused { id, request_hash } => Owned::Refused {
                id: id.to_string(),
                request_hash: request_hash.to_string(),
            },
        }
    }

    fn slot(&self) -> Slot<'_> {
        match self {
            Owned::Request(r) => Slot::Request(r),
            Owned::Refused { id, request_hash } => Slot::Refused { id, request_hash },
        }
    }
}

/// Gives up the lead when dropped, posting the answers; when they are not all there (the
/// group failed as a whole, or the leader's work panicked) every member of the group is sent
/// back to commit alone.
struct Lead<'a> {
    group: &'a GroupCommit,
    tickets: Vec<u64>,
    answers: Vec<(u64, Answer)>,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut state = self.group.lock();
        let mut answers = std::mem::take(&mut self.answers);
        if answers.len() != self.tickets.len() {
            answers = self.tickets.iter().map(|t| (*t, Answer::Alone)).collect();
        }
        state.answers.extend(answers);
        state.leading = false;
        self.group.answered.notify_all();
    }
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How grouping went so far.
    pub fn stats(&self) -> GroupStats {
        let state = self.lock();
        GroupStats {
            waiting: state.waiting.len(),
            largest: state.largest,
            groups: state.groups,
            calls: state.calls,
        }
    }

    /// Commits `slots` with whatever else is waiting (see the module documentation); `conn`
    /// has no transaction open.
    pub fn commit(&self, conn: &mut DbConn, slots: &[Slot]) -> Result<Answers, LedgerError> {
        let mut state = self.lock();
        if !state.leading && state.waiting.is_empty() {
            // nobody else: a group of just this call, without copying it
            state.leading = true;
            state.counted(1);
            drop(state);
            let _lead = Lead {
                group: self,
                tickets: Vec::new(),
                answers: Vec::new(),
            };
            return journal::commit_alone(conn, slots);
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state
            .waiting
            .push((ticket, slots.iter().map(Owned::of).collect()));
        loop {
            match state.answers.remove(&ticket) {
                Some(Answer::Done(answers)) => return answers,
                Some(Answer::Alone) => {
                    drop(state);
                    return journal::commit_alone(conn, slots);
                }
                None => {}
            }
            if state.leading {
                state = self.answered.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            state.leading = true;
            // the calls waiting, in arrival order, up to a bound on the group's entries
            let mut taken = 0;
            let mut size = 0;
            for (_, owned) in &state.waiting {
                if taken > 0 && size + owned.len() > MAX_GROUP_SLOTS {
                    break;
                }
                size += owned.len();
                taken += 1;
            }
            let group: Vec<(u64, Vec<Owned>)> = state.waiting.drain(..taken).collect();
            state.counted(group.len());
            drop(state);
            self.lead(conn, &group);
            state = self.lock();
        }
    }

    /// Commits a group on the leader's connection and posts each member's answers.
    fn lead(&self, conn: &mut DbConn, group: &[(u64, Vec<Owned>)]) {
        let mut lead = Lead {
            group: self,
            tickets: group.iter().map(|(t, _)| *t).collect(),
            answers: Vec::new(),
        };
        let slots: Vec<Slot> = group
            .iter()
            .flat_map(|(_, owned)| owned.iter().map(Owned::slot))
            .collect();
        // a panic in someone else's request must not fail the leader's: everyone retries alone
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            journal::commit_alone(conn, &slots)
        }));
        // (left unanswered, the group's members are sent to commit alone by `Lead`)
        let Ok(outcome) = outcome else {
            return;
        };
        match outcome {
            // a group of one: its outcome, whatever it is
            outcome if group.len() == 1 => {
                lead.answers.push((group[0].0, Answer::Done(outcome)));
            }
            Ok(answers) if answers.len() == slots.len() => {
                let mut answers = answers.into_iter();
                for (ticket, owned) in group {
                    let mine: Answers = answers.by_ref().take(owned.len()).collect();
                    lead.answers.push((*ticket, Answer::Done(Ok(mine))));
                }
            }
            // the group failed as a whole
            Ok(_) | Err(_) => {}
        }
    }
}

/// Commits `request` (see [`super::journal`] for the steps): a batch of one.
pub fn commit(conn: &mut DbConn, request: &EntryRequest) -> Result<Committed, LedgerError> {
    journal::single(commit_batch(conn, std::slice::from_ref(request))?)
}

/// Commits many requests in one write transaction — one lock of their accounts and of the
/// chain head, one write, one durable commit for all (TigerBeetle's batching) — while each
/// request keeps its own all-or-nothing result: a refused entry changes nothing and does not
/// stop the others, and later entries see the effects of earlier ones, exactly as if they
/// had been committed one after the other in this order.
///
/// The outer `Err` is for failures of the batch as a whole (the database), after which
/// nothing of the batch is written.
pub fn commit_batch(
    conn: &mut DbConn,
    requests: &[EntryRequest],
) -> Result<journal::BatchResults, LedgerError> {
    let slots: Vec<Slot> = requests.iter().map(Slot::Request).collect();
    commit_slots(conn, &slots)?
        .into_iter()
        .map(|result| {
            result.ok_or_else(|| LedgerError::Invariant("a request was left unanswered".into()))
        })
        .collect()
}

/// [`commit_batch`] with places refused beforehand: such a place is answered `None` unless
/// its id belongs to an earlier entry (then: the original, or a conflict).
///
/// Outside a transaction of the caller, concurrent commits are grouped into one write
/// transaction (this module).
pub fn commit_slots(
    conn: &mut DbConn,
    slots: &[Slot],
) -> Result<Vec<Option<Result<Committed, LedgerError>>>, LedgerError> {
    let mut answers = match conn.group_commit() {
        Some(shared) => shared.extension::<GroupCommit>().commit(conn, slots)?,
        None => journal::commit_alone(conn, slots)?,
    };
    // a refusal says its amounts in the currency's decimals (`138.00 LEM`)
    for answer in answers.iter_mut() {
        if let Some(Err(LedgerError::InsufficientFunds {
            currency,
            scale: scale @ None,
            ..
        })) = answer
        {
            if let Ok(row) = super::currencies::get(conn, currency) {
                *scale = Some(crate::money::minor_scale(row.scale));
            }
        }
    }
    Ok(answers)
}
