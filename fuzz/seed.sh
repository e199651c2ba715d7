#!/bin/sh
# Copies seed inputs into fuzz/corpus/<target>/ from the shared corpus (../shared beside the
# repository, or $FOLIO_SHARED_DIR) and the importer's test fixtures. The corpus directories are
# not committed (.gitignore); run this before `cargo fuzz run`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
shared=${FOLIO_SHARED_DIR:-$repo/../shared}
invoices=$shared/corpus/invoices
fixtures=$repo/crates/import/tests/fixtures
for target in ubl cii pdf csv; do mkdir -p "$here/corpus/$target"; done
if [ -f "$invoices/catalogue.csv" ]; then
    # source,path,ext,bytes,sha256,syntax,...: route each file by its catalogued syntax.
    tail -n +2 "$invoices/catalogue.csv" | while IFS=, read -r source path ext bytes sha syntax rest; do
        file="$invoices/$source/$path"
        [ -f "$file" ] || continue
        case "$ext:$syntax" in
            xml:UBL) dest=ubl ;;
            xml:CII|xml:ZUGFeRD1-CII) dest=cii ;;
            pdf:*) [ "$bytes" -le 400000 ] 2>/dev/null || continue; dest=pdf ;;
            *) continue ;;
        esac
        cp "$file" "$here/corpus/$dest/$sha"
    done
else
    echo "no shared corpus at $invoices: seeding from the fixtures only" >&2
fi
cp "$fixtures"/ubl-*.xml "$here/corpus/ubl/"
cp "$fixtures"/cii-*.xml "$fixtures"/zugferd*.xml "$here/corpus/cii/"
cp "$fixtures"/tabular/*.csv "$here/corpus/csv/"
for target in ubl cii pdf csv; do
    echo "$target: $(ls "$here/corpus/$target" | wc -l) seeds"
done
