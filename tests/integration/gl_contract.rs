//! The contract every GL connector keeps, run against each one on a real ledger: a balanced
//! multi-line entry with decimals and dimensions lands once and is found by its reference;
//! sending it again books nothing new; an unknown account is refused naming the line; concurrent
//! workers lose nothing; the master-data pull returns the chart.

use folio_gl::{Connector, GlError, JournalRef, Outgoing};
use folio_tests::gl_support::{chart, outgoing};
use std::collections::HashMap;

/// What a contract run needs to see the GL itself (not through the connector).
pub struct Gl<'a> {
    /// How often each reference is in the GL.
    pub refs: &'a dyn Fn() -> HashMap<String, usize>,
    /// The GL's own consistency check: empty when it is happy.
    pub check: &'a dyn Fn() -> String,
}

fn assert_posted(outcome: &[(JournalRef, Result<folio_gl::Posted, GlError>)]) {
    for (reference, result) in outcome {
        let posted = result
            .as_ref()
            .unwrap_or_else(|e| panic!("{reference} was not posted: {e}"));
        assert!(!posted.gl_id.is_empty(), "{reference} has no GL id");
    }
}

/// Runs the whole contract. `make` builds another connector to the same GL (a second worker).
pub async fn run<C: Connector + Clone>(tag: &str, connector: &C, make: impl Fn() -> C, gl: Gl<'_>) {
    // A balanced multi-line entry with decimals and dimensions, in a batch of three.
    let batch: Vec<Outgoing> = (1..=3).map(|n| outgoing(tag, n)).collect();
    let outcome = connector.post(batch.clone()).await;
    assert_eq!(outcome.len(), 3);
    assert_posted(&outcome);
    let refs = (gl.refs)();
    for o in &batch {
        assert_eq!(refs.get(o.reference.as_str()), Some(&1), "{}", o.reference);
    }
    assert_eq!((gl.check)(), "", "the GL's check after the first post");

    // Lookup by reference: the posted ones, not the others.
    let unposted = JournalRef::new(tag, 999).unwrap();
    let mut wanted: Vec<JournalRef> = batch.iter().map(|o| o.reference.clone()).collect();
    wanted.push(unposted.clone());
    let found = connector.lookup(wanted).await.expect("lookup");
    assert_eq!(found.len(), 3);
    assert!(!found.contains_key(&unposted));
    for (reference, result) in &outcome {
        let posted = result.as_ref().unwrap();
        assert_eq!(found[reference].gl_id, posted.gl_id, "{reference}");
    }

    // Sending again books nothing new.
    let again = connector.post(batch[..1].to_vec()).await;
    assert_posted(&again);
    assert_eq!((gl.refs)().get(batch[0].reference.as_str()), Some(&1));

    // An unknown account is refused, naming the line; nothing is booked.
    let mut bad = outgoing(tag, 4);
    bad.journal.lines[1].account = "4711".into();
    let outcome = connector.post(vec![bad.clone(), outgoing(tag, 5)]).await;
    match &outcome[0].1 {
        Err(GlError::Permanent { field, message }) => {
            assert_eq!(field.as_deref(), Some("lines[1].account"), "{message}");
            assert!(message.contains("4711"), "{message}");
        }
        other => panic!("an unknown account must be refused, got {other:?}"),
    }
    assert!(outcome[1].1.is_ok(), "{:?}", outcome[1].1);
    assert_eq!((gl.refs)().get(bad.reference.as_str()), None);
    assert_eq!((gl.check)(), "", "the GL's check after a refusal");

    // Concurrent workers, each with its own connection and its own journals. A journal whose
    // outcome is not known yet is sent again, as the outbox does (after a look-up it would find
    // it; sending again must book nothing twice either way).
    let workers = 4u32;
    let per_worker = 15u32;
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..workers {
        let c = make();
        let tag = tag.to_owned();
        tasks.spawn(async move {
            for chunk in 0..3 {
                let mut batch: Vec<Outgoing> = (0..per_worker / 3)
                    .map(|i| outgoing(&tag, 100 + w * per_worker + chunk * (per_worker / 3) + i))
                    .collect();
                let mut last = Vec::new();
                for _round in 0..10 {
                    let outcome = c.post(batch.clone()).await;
                    for (reference, result) in &outcome {
                        if let Err(e @ GlError::Permanent { .. }) = result {
                            panic!("{reference} was refused: {e}");
                        }
                    }
                    batch.retain(|o| {
                        outcome
                            .iter()
                            .any(|(r, result)| r == &o.reference && result.is_err())
                    });
                    last = outcome;
                    if batch.is_empty() {
                        break;
                    }
                }
                assert!(
                    batch.is_empty(),
                    "still not posted after 10 rounds: {last:?}"
                );
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("worker");
    }
    let refs = (gl.refs)();
    for n in 100..100 + workers * per_worker {
        let r = JournalRef::new(tag, i64::from(n)).unwrap();
        assert_eq!(refs.get(r.as_str()), Some(&1), "{r}");
    }
    assert_eq!((gl.check)(), "", "the GL's check after concurrent workers");

    // The master-data pull has the chart's postable accounts.
    let master = connector.master_data().await.expect("master data");
    let codes: Vec<&str> = master.accounts.iter().map(|a| a.code.as_str()).collect();
    for account in chart().iter().filter(|a| a.postable) {
        assert!(
            codes.contains(&account.code.as_str()),
            "{} missing from {codes:?}",
            account.code
        );
    }
    // Every call was recorded for the integration monitor.
    let calls = connector.drain_calls();
    assert!(calls.iter().any(|c| c.operation == "post"), "{calls:?}");
    assert!(calls.iter().any(|c| c.operation == "lookup"), "{calls:?}");
}
