//! Criterion benchmark: one origin assessment of a 50-input bill of materials under the UK DCTS
//! rule set for chapter 85 (CTH or MaxNOM 70 %).

use std::hint::black_box;

use caravan_origin::{AssessOptions, Material, Product, assess, parse_uk_rule_sets};
use caravan_types::{CountryCode, Decimal, HsCode};
use criterion::{Criterion, criterion_group, criterion_main};

fn origin(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/dcts-general-enhanced.json");
    let text = std::fs::read_to_string(path).expect("the DCTS rule set ships in tests/data");
    let book = parse_uk_rule_sets(&text, "DCTS").expect("the DCTS rule set parses");
    let codes = [
        "740311", "390110", "854449", "850440", "392690", "732690", "760410", "400821", "560790",
        "481910",
    ];
    let origins = ["UZ", "CN", "KZ", "RU", "TR"];
    let bom: Vec<Material> = (0..50)
        .map(|idx| Material {
            hs_code: HsCode::parse(codes[idx % codes.len()]).expect("valid code"),
            origin: CountryCode::parse(origins[idx % origins.len()]).expect("valid country"),
            value: Decimal::new(100 + idx as i64, 2),
            description: None,
        })
        .collect();
    let product = Product {
        hs_code: HsCode::parse("854442").expect("valid code"),
        exporter: CountryCode::parse("UZ").expect("valid country"),
        price: Decimal::new(10_000, 2),
    };
    let options = AssessOptions::default();
    c.bench_function("assess 50-input BOM (DCTS ch. 85)", |b| {
        b.iter(|| {
            assess(black_box(&book), black_box(&product), black_box(&bom), &options)
                .map(|v| v.qualifies)
        })
    });
}

criterion_group!(benches, origin);
criterion_main!(benches);
