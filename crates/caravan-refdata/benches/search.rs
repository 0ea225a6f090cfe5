//! Criterion benchmark of HS search and reference-data loading.

use caravan_refdata::{Lang, ReferenceData, SearchQuery, Sources};
use criterion::{Criterion, criterion_group, criterion_main};

fn read(rel: &str) -> String {
    let path = format!("{}/../../data/reference/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("reference data ships in the repo")
}

fn bench(c: &mut Criterion) {
    let files = [
        "hs2022-nomenclature/harmonized-system.csv",
        "hs2022-nomenclature/sections.csv",
        "hs-correspondence/hs2022_hs2017_correlation.csv",
        "tnved-eaeu-ru/tnved_eaeu_ru.csv",
        "iso-codes/country-codes.csv",
        "iso-codes/iso4217_list_one.csv",
        "unece-rec20/rec20_all_codes.csv",
        "search/hs_synonyms.csv",
    ]
    .map(read);
    let sources = Sources {
        hs2022: &files[0],
        sections: &files[1],
        hs2017_correlation: &files[2],
        tnved_ru: &files[3],
        countries: &files[4],
        currencies: &files[5],
        units: &files[6],
        synonyms: &files[7],
    };
    c.bench_function("load_reference_data", |b| {
        b.iter(|| ReferenceData::load(&sources).expect("valid"))
    });
    let data = ReferenceData::load(&sources).expect("valid");
    for query in ["copper cathodes", "медные катоды", "coper cathods", "cott"] {
        c.bench_function(&format!("search/{query}"), |b| {
            b.iter(|| data.hs_search(&SearchQuery { text: query, lang: Lang::En, limit: 10 }))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
