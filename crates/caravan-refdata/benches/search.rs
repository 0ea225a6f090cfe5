//! Criterion benchmark of HS search and reference-data loading.

use caravan_refdata::{Lang, ReferenceData, SOURCE_FILES, SearchQuery, Sources};
use criterion::{Criterion, criterion_group, criterion_main};

fn read(rel: &str) -> String {
    let path = format!("{}/../../data/reference/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("reference data ships in the repo")
}

fn bench(c: &mut Criterion) {
    let files = SOURCE_FILES.map(read);
    let sources = Sources::from_texts(&files);
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("reference_data", |b| {
        b.iter(|| ReferenceData::load(&sources).expect("valid"))
    });
    group.finish();
    let data = ReferenceData::load(&sources).expect("valid");
    for query in ["copper cathodes", "медные катоды", "coper cathods", "cott"] {
        c.bench_function(&format!("search/{query}"), |b| {
            b.iter(|| data.hs_search(&SearchQuery { text: query, lang: Lang::En, limit: 10 }))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
