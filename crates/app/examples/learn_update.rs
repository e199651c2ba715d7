//! The measurement behind `cargo xtask bench learn`: how long the desktop's open workspace takes
//! to take one approved journal into its learned suggester, against training it from scratch —
//! both as the app does them (reading the workspace, then learning), on a large history.
//!
//! Usage: `learn_update HISTORY.csv WORK_DIR [FULL_RUNS]`. Makes a demo workspace in
//! `WORK_DIR/ws` (replacing one left there), imports the history (its rows without an account
//! left out: the import refuses them), then:
//!
//! * full training: `FULL_RUNS` times (default 5), a new workspace handle (as a new process
//!   has), with the model snapshot removed, brings its model up to date — reads every history and
//!   approved line, trains, writes the snapshot;
//! * snapshot: `FULL_RUNS` new handles load the snapshot instead; then, as parts, reading the
//!   file, checking and decoding it, encoding and writing one (its size is reported too);
//! * update: the demo's journals are approved one at a time by the demo's controllers, and after
//!   each the clerk's long-lived handle brings its model up to date — reads the journals added,
//!   learns their lines; every such step must be an update (the refit rule is far away);
//! * the check that finds the model current (what opening a document costs when nothing changed).
//!
//! Prints one JSON object with the medians (milliseconds) and what was measured.

use folio_app::model_snapshot;
use folio_app::{Context, SystemClock, Workspace};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

fn open(path: &Path, actor: &str) -> Workspace {
    let context = Context {
        actor: actor.into(),
        clock: Arc::new(SystemClock),
    };
    Workspace::open_with(path, context).unwrap_or_else(|e| panic!("open as {actor}: {e}"))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn millis(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Approves a document's journal by as many of the demo's controllers as its policy asks for;
/// false when it cannot be approved (then it is left out).
fn approve(path: &Path, document: &str) -> bool {
    for controller in ["controller", "controller2"] {
        match open(path, controller).approve_document(document, &mut StdRng::seed_from_u64(7)) {
            Ok(outcome) if outcome.status == "queued" => return true,
            Ok(_) => {}
            Err(e) => {
                eprintln!("{document} left out: {e}");
                return false;
            }
        }
    }
    false
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(history), Some(work)) = (args.first(), args.get(1)) else {
        eprintln!("usage: learn_update HISTORY.csv WORK_DIR [FULL_RUNS]");
        std::process::exit(2);
    };
    let full_runs: usize = args.get(2).map_or(5, |n| n.parse().expect("FULL_RUNS"));
    let path = Path::new(work).join("ws");
    if path.exists() {
        std::fs::remove_dir_all(&path).expect("remove the old workspace");
    }
    let context = Context {
        actor: "admin".into(),
        clock: Arc::new(SystemClock),
    };
    Workspace::init(&path, true, context).expect("demo workspace");
    // `folio history import` refuses a file with a row without an account (Harrogate has 17);
    // those rows are left out of a copy next to the workspace (the file has one row per line).
    let text = std::fs::read_to_string(history).expect("history file");
    let records = folio_coding::history::parse_csv(&text).expect("history CSV");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(records.len(), lines.len(), "one CSV record per line");
    let account = records[0]
        .iter()
        .position(|h| h.trim() == "account")
        .expect("an account column");
    let mut kept = String::new();
    let mut left_out = 0usize;
    for (line, record) in lines.iter().zip(&records) {
        if record.get(account).is_some_and(|a| !a.trim().is_empty()) {
            kept.push_str(line);
            kept.push('\n');
        } else {
            left_out += 1;
        }
    }
    let copy = Path::new(work).join("history.csv");
    std::fs::write(&copy, kept).expect("history copy");
    let started = Instant::now();
    let import = open(&path, "admin")
        .import_history(&copy)
        .expect("history import");
    std::fs::remove_file(&copy).expect("remove the history copy");
    eprintln!(
        "history: {} rows imported in {:.0} ms",
        import.rows,
        millis(started)
    );

    let mut full = Vec::new();
    let mut model_lines = 0;
    let snapshot = model_snapshot::snapshot_path(&path);
    for _ in 0..full_runs {
        // No snapshot: a new process trains (and then writes one).
        let _ = std::fs::remove_file(&snapshot);
        let ws = open(&path, "clerk");
        let started = Instant::now();
        let refresh = ws.refresh_model().expect("full training");
        full.push(millis(started));
        assert_eq!(refresh.action, "trained");
        assert_eq!(ws.model_cache_stats().snapshot_writes, 1);
        model_lines = refresh.model_lines;
    }
    let snapshot_bytes = std::fs::metadata(&snapshot).expect("a snapshot").len();
    // With the snapshot: a new process loads it.
    let mut loads = Vec::new();
    for _ in 0..full_runs {
        let ws = open(&path, "clerk");
        let started = Instant::now();
        let refresh = ws.refresh_model().expect("load");
        loads.push(millis(started));
        assert_eq!(refresh.action, "loaded", "{:?}", ws.model_cache_stats());
    }
    // Its parts: reading the file, checking and decoding it; encoding and writing one.
    let (mut read, mut decode, mut encode, mut write) = (vec![], vec![], vec![], vec![]);
    for _ in 0..full_runs {
        let started = Instant::now();
        let bytes = model_snapshot::read(&path)
            .expect("read")
            .expect("a snapshot");
        read.push(millis(started));
        let started = Instant::now();
        let (header, model) = model_snapshot::open(bytes)
            .and_then(model_snapshot::Unverified::model)
            .expect("a valid snapshot");
        decode.push(millis(started));
        let started = Instant::now();
        let bytes = model_snapshot::encode(&header, &model);
        encode.push(millis(started));
        let started = Instant::now();
        model_snapshot::write(&path, &bytes).expect("write");
        write.push(millis(started));
    }

    let clerk = open(&path, "clerk");
    clerk.refresh_model().expect("warm model");
    let mut cached = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let refresh = clerk.refresh_model().expect("cached model");
        cached.push(millis(started));
        assert_eq!(refresh.action, "cached");
    }
    let mut documents = clerk.list_documents().expect("documents");
    documents.sort_by_key(|d| d.id.trim_start_matches("DOC-").parse::<u32>().unwrap_or(0));
    let mut update = Vec::new();
    let mut lines = Vec::new();
    for d in &documents {
        if !approve(&path, &d.id) {
            continue;
        }
        let started = Instant::now();
        let refresh = clerk.refresh_model().expect("update");
        update.push(millis(started));
        assert_eq!(refresh.action, "updated", "{refresh:?}");
        assert_eq!(refresh.journals_learned, 1);
        lines.push(refresh.lines_learned as f64);
    }
    let stats = clerk.model_cache_stats();
    assert_eq!(
        (stats.full_trains, stats.snapshot_loads),
        (0, 1),
        "{stats:?}"
    );
    let report = serde_json::json!({
        "history_lines": import.rows,
        "history_rows_without_account_left_out": left_out,
        "model_lines_full": model_lines,
        "full_training_ms_median": median(full.clone()),
        "full_training_runs": full.len(),
        "full_training_ms": full,
        "snapshot_bytes": snapshot_bytes,
        "snapshot_load_ms_median": median(loads.clone()),
        "snapshot_load_ms": loads,
        "snapshot_read_file_ms_median": median(read),
        "snapshot_check_and_decode_ms_median": median(decode),
        "snapshot_encode_ms_median": median(encode),
        "snapshot_write_file_ms_median": median(write),
        "update_ms_median": median(update.clone()),
        "update_runs": update.len(),
        "update_ms": update,
        "lines_per_update_median": median(lines),
        "current_check_ms_median": median(cached),
        "model_lines_after_updates": clerk.refresh_model().expect("model").model_lines,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
