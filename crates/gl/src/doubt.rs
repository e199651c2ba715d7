//! The "in doubt" window of a connector whose GL may book a write some time after its answer was
//! lost (QuickBooks, Tryton).
//!
//! After a write of a reference was sent without a known outcome, a look-up that does not find
//! the entry proves nothing until `write_bound` has passed: the write may still be booked inside
//! the GL. Connectors mark such references here, ask whether a reference is still in doubt before
//! treating "not found" as an absence, and clear the mark once the outcome is known.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Where a reference stands against its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doubt {
    /// A write of it may still be booked: "not found" is an unknown outcome.
    Open,
    /// It was in doubt, and the bound has now passed: "not found" is an absence (the mark is gone).
    Lapsed,
    /// No write of it is in doubt.
    Clear,
}

/// When a write of each reference was last sent without a known outcome.
#[derive(Debug)]
pub(crate) struct Doubts {
    since: Mutex<HashMap<String, Instant>>,
    bound: Duration,
}

impl Doubts {
    /// No reference in doubt; a write stays in doubt for `bound` after it was sent.
    pub(crate) fn new(bound: Duration) -> Self {
        Self {
            since: Mutex::new(HashMap::new()),
            bound,
        }
    }

    /// Marks `refs` as written with a lost answer now.
    pub(crate) fn mark(&self, refs: &[&str]) {
        let mut since = self.since.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        for r in refs {
            since.insert((*r).to_owned(), now);
        }
    }

    /// Whether a write of `reference` may still be booked; a lapsed mark is dropped.
    pub(crate) fn check(&self, reference: &str) -> Doubt {
        let mut since = self.since.lock().unwrap_or_else(PoisonError::into_inner);
        match since.get(reference) {
            Some(at) if at.elapsed() < self.bound => Doubt::Open,
            Some(_) => {
                since.remove(reference);
                Doubt::Lapsed
            }
            None => Doubt::Clear,
        }
    }

    /// The outcome of `reference` is known: it is no longer in doubt.
    pub(crate) fn settle(&self, reference: &str) {
        self.since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(reference);
    }
}

#[cfg(test)]
mod tests {
    use super::{Doubt, Doubts};
    use std::time::Duration;

    #[test]
    fn a_mark_is_open_within_the_bound_and_cleared_by_settling() {
        let doubts = Doubts::new(Duration::from_secs(3600));
        assert_eq!(doubts.check("J-1"), Doubt::Clear);
        doubts.mark(&["J-1", "J-2"]);
        assert_eq!(doubts.check("J-1"), Doubt::Open);
        assert_eq!(
            doubts.check("J-1"),
            Doubt::Open,
            "checking does not clear an open mark"
        );
        doubts.settle("J-1");
        assert_eq!(doubts.check("J-1"), Doubt::Clear);
        assert_eq!(doubts.check("J-2"), Doubt::Open);
        assert_eq!(doubts.check("J-3"), Doubt::Clear);
    }

    #[test]
    fn a_mark_lapses_once_after_the_bound() {
        let doubts = Doubts::new(Duration::ZERO);
        doubts.mark(&["J-1"]);
        assert_eq!(doubts.check("J-1"), Doubt::Lapsed);
        assert_eq!(
            doubts.check("J-1"),
            Doubt::Clear,
            "a lapsed mark is dropped"
        );
        doubts.mark(&["J-1"]);
        assert_eq!(
            doubts.check("J-1"),
            Doubt::Lapsed,
            "a new mark starts a new window"
        );
    }
}
