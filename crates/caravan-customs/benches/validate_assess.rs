//! Throughput of validate (JSON text → checked declaration) and validate + assess, for
//! declarations of 1, 10 and 100 items built from the shipped apples sample.

use caravan_customs::risk::{RiskRuleSet, RoutingTable};
use caravan_customs::{AssessmentInput, CertificateVerdict, TraderHistory, assess, validate_json};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

#[path = "../tests/it/fixture.rs"]
#[expect(dead_code, reason = "the bench uses part of the test fixture")]
mod fixture;

fn declaration_text(n_items: usize) -> String {
    let text =
        std::fs::read_to_string(fixture::customs_dir().join("samples/import-apples-cn-kz.json"))
            .expect("sample present");
    let mut value: Value = serde_json::from_str(&text).expect("sample is JSON");
    let item = value["items"][0].clone();
    value["items"] = Value::Array(vec![item; n_items]);
    // The same certificate may not be attached twice to one list, but each item has its own.
    serde_json::to_string(&value).expect("serialises")
}

fn bench(c: &mut Criterion) {
    let fixture = fixture::Fixture::load();
    let dir = fixture::customs_dir();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("shipped file");
    let rules =
        RiskRuleSet::parse(&read("risk-rules.json"), &read("reference-values.csv")).expect("rules");
    let routing = RoutingTable::parse(&read("agency-routing.csv")).expect("routing");
    let verdicts = [
        CertificateVerdict {
            document_reference: "CCPIT-XJ-2026-88812".to_owned(),
            verified: true,
            reason: String::new(),
        },
        CertificateVerdict {
            document_reference: "EPHYTO-CN-2026-77123".to_owned(),
            verified: true,
            reason: String::new(),
        },
    ];
    let mut group = c.benchmark_group("declaration");
    for n_items in [1usize, 10, 100] {
        let text = declaration_text(n_items);
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("validate", n_items), &text, |b, text| {
            b.iter(|| validate_json(text, &fixture.context()).expect("valid"));
        });
        group.bench_with_input(BenchmarkId::new("validate_assess", n_items), &text, |b, text| {
            b.iter(|| {
                let declaration = validate_json(text, &fixture.context()).expect("valid");
                let input = AssessmentInput {
                    version: 1,
                    selection: caravan_customs::Selection::Keyed(b"bench selection key"),
                    standing: None,
                    duty_lines: &[],
                    verdicts: &verdicts,
                    history: TraderHistory { n_declarations: 50, n_violations: 0 },
                    rules: &rules,
                    routing: &routing,
                    code_lists: &fixture.code_lists,
                };
                assess(&declaration, &input).expect("assessable")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
