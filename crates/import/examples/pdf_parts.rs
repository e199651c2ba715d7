//! `cargo run -p folio-import --example pdf_parts -- FILE.pdf [OUTDIR]`: lists what a PDF carries
//! that the importer looks at (embedded files with their relationship, the XMP metadata, the PDF/A
//! identification), and writes the embedded files and the XMP to OUTDIR when given. A tool for
//! looking into corpus files by hand.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: pdf_parts FILE.pdf [OUTDIR]");
        std::process::exit(2);
    };
    let out = args.next().map(std::path::PathBuf::from);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let pdf = match lopdf::Document::load_mem(&bytes) {
        Ok(pdf) => pdf,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    for file in folio_import::pdf::attachments(&pdf) {
        println!("attachment '{}' ({} bytes)", file.name, file.bytes.len());
        if let Some(dir) = &out {
            let target = dir.join(file.name.replace('/', "_"));
            if let Err(e) = std::fs::write(&target, &file.bytes) {
                eprintln!("{}: {e}", target.display());
            }
        }
    }
    match folio_import::pdfa::xmp_packet(&pdf) {
        Some(xmp) => {
            println!("XMP metadata: {} bytes", xmp.len());
            if let Some(dir) = &out
                && let Err(e) = std::fs::write(dir.join("metadata.xmp"), &xmp)
            {
                eprintln!("{e}");
            }
        }
        None => println!("no XMP metadata"),
    }
    let facts = folio_import::pdfa::facts(&pdf);
    match &facts.xmp {
        None => println!("xmp: none"),
        Some(Err(e)) => println!("xmp: not well-formed: {e}"),
        Some(Ok(x)) => {
            println!(
                "xmp: pdfaid {:?}/{:?}, extension schemas {:?}",
                x.pdfa_part, x.pdfa_conformance, x.extension_namespaces
            );
            if let Some(p) = &x.invoice {
                println!(
                    "xmp invoice: {} type {:?} file {:?} version {:?} level {:?}",
                    p.schema.map(|s| s.name).unwrap_or_default(),
                    p.document_type,
                    p.document_file_name,
                    p.version,
                    p.conformance_level
                );
            }
        }
    }
    for f in &facts.files {
        println!(
            "file spec '{}' relationship {:?} in catalog /AF {}, MIME type {:?}, ModDate {}",
            f.name, f.relationship, f.in_catalog_af, f.mime_type, f.has_mod_date
        );
    }
    println!(
        "pages: {:?}; PDF/A output intent {}; device colour {:?}",
        facts.pages_type, facts.pdfa_output_intent, facts.device_colour
    );
}
