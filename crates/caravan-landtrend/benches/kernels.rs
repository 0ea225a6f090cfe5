//! Criterion benches of the per-pixel kernels and of a whole block (both passes).

use std::collections::HashMap;

use caravan_landtrend::productivity::{Profile, trajectory};
use caravan_landtrend::stats::mann_kendall;
use caravan_landtrend::{
    Block, Config, Legend, Tally, TransitionMatrix, assess_block, trend_block, unit_p90,
};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn kernels(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let series: Vec<f64> =
        (0..16).map(|i| 4000.0 + 20.0 * f64::from(i) + rng.gen_range(-100.0..100.0)).collect();
    let years: Vec<f64> = (2000..2016).map(f64::from).collect();
    c.bench_function("mann_kendall_16", |b| b.iter(|| mann_kendall(std::hint::black_box(&series))));
    c.bench_function("trajectory_16_gpg2", |b| {
        b.iter(|| trajectory(&years, std::hint::black_box(&series), Profile::Gpg2))
    });

    let (width, n_rows) = (512, 64);
    let n = width * n_rows;
    let bands: Vec<Vec<f64>> = (0..16)
        .map(|y| (0..n).map(|i| 4000.0 + f64::from(y) * ((i % 7) as f64 - 3.0) * 20.0).collect())
        .collect();
    let lc = vec![2.0; n];
    let soc = vec![50.0; n];
    let eco = vec![1.0; n];
    let region = vec![1i64; n];
    let areas = vec![0.06; n_rows];
    let block = Block {
        width,
        n_rows,
        ndvi: bands.iter().map(Vec::as_slice).collect(),
        lc_baseline: &lc,
        lc_target: &lc,
        soc_baseline: &soc,
        soc_target: &soc,
        ecozone: &eco,
        region: &region,
        row_area_km2: &areas,
    };
    let years: Vec<i32> = (2000..2016).collect();
    let cfg =
        Config::new(Profile::Gpg2, &years, None, None, Legend::Unccd, TransitionMatrix::default())
            .expect("valid configuration");
    c.bench_function("block_512x64x16_both_passes", |b| {
        b.iter(|| {
            let mut means = HashMap::new();
            let trends = trend_block(&cfg, &block, &mut means);
            let p90 = unit_p90(means);
            let mut tally = Tally::default();
            assess_block(&cfg, &block, &trends, &p90, &mut tally)
        });
    });
}

criterion_group!(benches, kernels);
criterion_main!(benches);
