//! Criterion benchmark of the full complexity pipeline on a synthetic HS4-sized table.

use caravan_complexity::{ComplexityConfig, complexity};
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A `n_locations x n_products` table with skewed values and about 30 % zeros, fixed seed.
fn synthetic(n_locations: usize, n_products: usize) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    Array2::from_shape_fn((n_locations, n_products), |(c, p)| {
        if rng.gen_bool(0.3) {
            0.0
        } else {
            let size = 1.0 + (c % 17) as f64 + (p % 13) as f64;
            size * rng.gen_range(1.0f64..1e3).powi(2)
        }
    })
}

fn bench(c: &mut Criterion) {
    let values = synthetic(224, 1_222);
    let config = ComplexityConfig::default();
    c.bench_function("complexity 224x1222", |b| {
        b.iter(|| complexity(values.view(), &config).expect("valid synthetic table"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
