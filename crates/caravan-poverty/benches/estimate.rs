//! Criterion benchmark: all point estimates plus linearised standard errors on a synthetic
//! stratified, clustered survey of 200,000 rows.

use caravan_poverty::{
    Config, Design, GiniForm, LonelyPsu, PoorIf, Variance, estimate, order_by_welfare,
};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn survey(n: usize) -> (Vec<f64>, Vec<f64>, Design) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let welfare: Vec<f64> = (0..n).map(|_| (rng.r#gen::<f64>() * 2.0).exp() * 100.0).collect();
    let weight: Vec<f64> = (0..n).map(|_| 50.0 + rng.r#gen::<f64>() * 100.0).collect();
    let psu: Vec<u32> = (0..n).map(|i| (i * 2000 / n) as u32).collect();
    let strata: Vec<u32> = psu.iter().map(|p| p % 8).collect();
    let design = Design::new(&strata, psu, 2000).expect("valid synthetic design");
    (welfare, weight, design)
}

fn bench(c: &mut Criterion) {
    let (welfare, weight, design) = survey(200_000);
    let rows: Vec<u32> = (0..welfare.len() as u32).collect();
    let config = Config { line: 300.0, poor_if: PoorIf::Below, gini: GiniForm::Pip };
    c.bench_function("estimate_linearized_200k", |b| {
        b.iter(|| {
            let order = order_by_welfare(&welfare, &rows);
            estimate(
                &welfare,
                &weight,
                &order,
                &config,
                Variance::Linearized { design: &design, lonely: LonelyPsu::Fail },
            )
            .expect("valid survey")
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
