//! The `tryton` connector against a real Tryton 8.2 (`account`, `analytic_account`) on
//! PostgreSQL, checked in Tryton's own database: the connector contract (each reference on
//! exactly one move, every move posted and balanced, cost centres as analytic lines), a draft
//! left by an interrupted post is posted rather than created again, and the master data.

use crate::gl_contract::{self, Gl};
use folio_gl::{Connector, Tryton};
use folio_tests::gl_support::outgoing;
use folio_tests::tryton_support::{DATABASE, PASSWORD, TrytonServer, USER};
use std::collections::HashMap;
use std::time::Duration;

fn connector(server: &TrytonServer) -> Tryton {
    Tryton::new(
        &server.url(),
        DATABASE,
        USER,
        PASSWORD,
        Duration::from_secs(30),
        folio_gl::tryton::DEFAULT_WRITE_BOUND,
    )
    .unwrap()
}

/// How often each reference (the first word of a move's description) is in Tryton.
fn ref_counts(server: &TrytonServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for line in server
        .sql("select split_part(description, ' ', 1) from account_move where description is not null")
        .lines()
    {
        *counts.entry(line.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Tryton's books are in order: every move posted and balanced. Empty when they are.
fn check(server: &TrytonServer) -> String {
    let mut problems = String::new();
    let drafts = server.sql("select description from account_move where state <> 'posted'");
    if !drafts.trim().is_empty() {
        problems.push_str(&format!("moves not posted: {drafts}"));
    }
    let unbalanced = server.sql(
        "select m.description, sum(l.debit), sum(l.credit) from account_move m \
         join account_move_line l on l.move = m.id group by m.id, m.description \
         having sum(l.debit) <> sum(l.credit)",
    );
    if !unbalanced.trim().is_empty() {
        problems.push_str(&format!("moves that do not balance: {unbalanced}"));
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tryton_keeps_the_connector_contract() {
    let Some(server) = TrytonServer::start("tryton_keeps_the_connector_contract") else {
        return;
    };
    let refs = || ref_counts(&server);
    let checked = || check(&server);
    gl_contract::run(
        "TR",
        &connector(&server),
        || connector(&server),
        Gl {
            refs: &refs,
            check: &checked,
        },
    )
    .await;
    // The cost centres went in as analytic lines, to the cent, on the expense lines only.
    let analytic = server.sql(
        "select a.code, sum(al.debit) from analytic_account_line al \
         join analytic_account_account a on a.id = al.account \
         join account_move_line l on l.id = al.move_line \
         join account_move m on m.id = l.move where m.description like 'FTR-1 %' \
         group by a.code order by a.code",
    );
    let journal = outgoing("TR", 1).journal;
    assert_eq!(
        analytic,
        format!(
            "CC-100\t{}\nCC-200\t{}\n",
            journal.lines[0].amount, journal.lines[1].amount
        ),
        "analytic lines of FTR-1"
    );
}

/// A move created as a draft whose post never happened (the process died between the two) is
/// not reported by a look-up, and the next post of the journal posts that draft: one move.
#[tokio::test]
async fn a_draft_left_behind_is_posted_not_created_again() {
    let Some(server) = TrytonServer::start("a_draft_left_behind_is_posted_not_created_again")
    else {
        return;
    };
    let tryton = connector(&server);
    let first = tryton.post(vec![outgoing("DR", 1)]).await;
    assert!(first[0].1.is_ok(), "{:?}", first[0].1);
    // Turn it back into a draft, as if the post had not happened.
    server.sql(
        "update account_move set state = 'draft', number = null where description like 'FDR-1 %'",
    );
    let reference = outgoing("DR", 1).reference;
    let found = tryton.lookup(vec![reference.clone()]).await.unwrap();
    assert!(found.is_empty(), "a draft is not a posted entry: {found:?}");
    let again = tryton.post(vec![outgoing("DR", 1)]).await;
    let posted = again[0].1.as_ref().expect("posted");
    assert!(posted.gl_id.contains("account.move,"), "{posted:?}");
    assert_eq!(ref_counts(&server).get(reference.as_str()), Some(&1));
    assert_eq!(check(&server), "");
}

#[tokio::test]
async fn master_data_has_accounts_cost_centres_taxes_parties_and_periods() {
    let Some(server) =
        TrytonServer::start("master_data_has_accounts_cost_centres_taxes_parties_and_periods")
    else {
        return;
    };
    let master = connector(&server).master_data().await.unwrap();
    let account = |code: &str| master.accounts.iter().find(|a| a.code == code).cloned();
    let office = account("4930").expect("4930");
    assert!(office.postable && office.active);
    assert_eq!(office.kind, folio_domain::AccountKind::Expense);
    assert_eq!(
        account("1576").unwrap().kind,
        folio_domain::AccountKind::Asset
    );
    assert!(!account("4000").expect("the heading").postable);
    let centres = master
        .dimensions
        .iter()
        .find(|d| d.code == "cost_centre")
        .expect("cost_centre");
    let values: Vec<&str> = centres.values.iter().map(|v| v.code.as_str()).collect();
    assert_eq!(values, ["CC-100", "CC-200"]);
    let v19 = master
        .tax_codes
        .iter()
        .find(|t| t.code == "V19")
        .expect("V19");
    assert_eq!(v19.rate, rust_decimal::Decimal::new(19, 0));
    assert_eq!(v19.input_account.as_deref(), Some("1576"));
    assert!(
        master
            .vendors
            .iter()
            .any(|v| v.name == "Bürobedarf Nord GmbH")
    );
    let open: Vec<&str> = master
        .periods
        .iter()
        .filter(|p| !p.closed)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(open.len(), 12, "{open:?}");
}
