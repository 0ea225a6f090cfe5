//! Criterion benchmarks of deferred acceptance and the stability audit on a seeded synthetic
//! instance (20,000 students x 400 programmes, lists of 10; `caravan bench placement` runs
//! issue 9's full sizes once).

use caravan_matching::synthetic::{SyntheticConfig, generate};
use caravan_matching::{
    CallLimits, Instance, Mechanism, PriorityRule, audit, deferred_acceptance, place,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn placement(c: &mut Criterion) {
    let config = SyntheticConfig {
        n_students: 20_000,
        n_programmes: 400,
        list_len: 10,
        seats_percent: 90,
        quotas: false,
    };
    let (students, programmes) = generate(&config, 2017);
    let instance =
        Instance::new(&students, &programmes, &PriorityRule::default(), CallLimits::default())
            .expect("generated instances are valid");
    let mut group = c.benchmark_group("placement_20k_x_400");
    group.sample_size(20);
    group.bench_function("deferred_acceptance", |b| b.iter(|| deferred_acceptance(&instance)));
    group.bench_function("programme_proposing_da", |b| {
        b.iter(|| place(&instance, Mechanism::ProgrammeProposingDa))
    });
    group.bench_function("top_trading_cycles", |b| {
        b.iter(|| place(&instance, Mechanism::TopTradingCycles))
    });
    let matching = deferred_acceptance(&instance);
    group.bench_function("stability_audit", |b| {
        b.iter(|| audit::blocking_pairs(&instance, &matching))
    });
    group.bench_function("instance_build", |b| {
        b.iter(|| {
            Instance::new(&students, &programmes, &PriorityRule::default(), CallLimits::default())
        })
    });
    group.finish();
}

criterion_group!(benches, placement);
criterion_main!(benches);
