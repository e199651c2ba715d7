//! `cargo run -p folio-import --example import_file -- FILE...`: imports files and prints the
//! outcome, for trying the importer on real invoices.

fn main() {
    for path in std::env::args().skip(1) {
        match std::fs::read(&path) {
            Err(e) => println!("{path}: cannot read: {e}"),
            Ok(bytes) => match folio_import::import_bytes(&bytes) {
                Err(r) => println!("{path}: rejected [{}] {r}", r.code),
                Ok(imported) => {
                    let doc = &imported.document;
                    println!(
                        "{path}: {} {} {} from '{}', {} lines, due {} {}",
                        doc.syntax.as_str(),
                        doc.doc_type.as_str(),
                        doc.number,
                        doc.supplier.name,
                        doc.lines.len(),
                        doc.totals.payable,
                        doc.currency.code()
                    );
                    for problem in &imported.problems {
                        println!("  {problem}");
                    }
                }
            },
        }
    }
}
