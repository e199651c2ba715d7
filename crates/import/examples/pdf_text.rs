//! `cargo run -p folio-import --example pdf_text -- [--no-templates] [--text] FILE.pdf...`: shows
//! what the plain-PDF reader finds in each file (every field with its confidence and how it was
//! found), with the vendor templates or with the generic heuristics alone; `--text` prints the
//! normalised text the templates' expressions run on, for writing a template.

use folio_import::pdftext::{self, Found, Templates};

fn show<T: std::fmt::Debug>(name: &str, found: &Option<Found<T>>) {
    match found {
        Some(f) => println!("  {name:<11} {:?} ({} %, {})", f.value, f.confidence, f.how),
        None => println!("  {name:<11} -"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let no_templates = args.iter().any(|a| a == "--no-templates");
    let print_text = args.iter().any(|a| a == "--text");
    let none = Templates::default();
    let templates = if no_templates {
        &none
    } else {
        Templates::builtin()
    };
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                println!("{path}: {e}");
                continue;
            }
        };
        let Some(text) = folio_import::pdf::extract_text(&bytes) else {
            println!("{path}: no text");
            continue;
        };
        if print_text {
            println!("{}", pdftext::normalise(&text));
        }
        let ex = pdftext::extract(&text, templates);
        println!("{path}: template {:?}", ex.template);
        show("supplier", &Some(ex.supplier.clone()));
        show("number", &ex.number);
        show("issue_date", &ex.issue_date);
        show("due_date", &ex.due_date);
        show("currency", &ex.currency);
        show("net", &ex.net);
        show("vat", &ex.vat);
        show("total", &ex.total);
    }
}
