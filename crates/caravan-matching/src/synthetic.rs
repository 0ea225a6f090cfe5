//! Seeded synthetic instances for benchmarks and tests: students with a latent ability, so
//! the scores programmes give them are correlated, and programmes of unequal popularity.

use caravan_types::CountryCode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{MAX_SCORE, ProgrammeSpec, QUOTA_COUNTRIES, StudentTable};

/// Shape of a synthetic instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticConfig {
    /// Number of students.
    pub n_students: usize,
    /// Number of programmes.
    pub n_programmes: usize,
    /// Choices per student (capped at the number of programmes).
    pub list_len: usize,
    /// Seats over all programmes as a share of students, in percent.
    pub seats_percent: u32,
    /// Give every programme per-country quotas.
    pub quotas: bool,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        // Issue 9's benchmark: 100,000 students, 2,000 programmes, lists of 10.
        Self {
            n_students: 100_000,
            n_programmes: 2_000,
            list_len: 10,
            seats_percent: 90,
            quotas: false,
        }
    }
}

/// Generates an instance from `seed`: the same seed gives the same tables.
///
/// Programme `p` has popularity weight `1 / (p + 10)` (a Zipf-like tail); each student draws
/// her list without replacement by popularity, so popular programmes come first. Her score
/// at a programme is `ability + noise`, with one ability per student and fresh noise per
/// programme, scaled to `0..=1000`. Students are spread evenly over the six countries.
pub fn generate(config: &SyntheticConfig, seed: u64) -> (StudentTable, Vec<ProgrammeSpec>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_programmes = config.n_programmes.max(1);
    let list_len = config.list_len.min(n_programmes);
    let cumulative: Vec<f64> = (0..n_programmes)
        .scan(0.0, |acc, p| {
            *acc += 1.0 / (p as f64 + 10.0);
            Some(*acc)
        })
        .collect();
    let total_weight = cumulative[n_programmes - 1];

    let countries: Vec<CountryCode> = QUOTA_COUNTRIES
        .iter()
        .map(|c| CountryCode::parse(c).expect("constant codes parse"))
        .collect();
    let mut students = StudentTable::with_capacity(config.n_students, config.n_students * list_len);
    let mut list: Vec<(usize, i64)> = Vec::with_capacity(list_len);
    for student in 0..config.n_students {
        let ability: f64 = (0..4).map(|_| rng.r#gen::<f64>()).sum::<f64>() / 4.0;
        list.clear();
        while list.len() < list_len {
            let x = rng.r#gen::<f64>() * total_weight;
            let programme = cumulative.partition_point(|&c| c < x).min(n_programmes - 1);
            if list.iter().any(|&(p, _)| p == programme) {
                continue;
            }
            let noise: f64 = rng.r#gen::<f64>();
            let score = (1000.0 * (0.75 * ability + 0.25 * noise)).round() as i64;
            list.push((programme, score.clamp(0, i64::from(MAX_SCORE))));
        }
        students.push(student as u64 + 1, countries[student % 6], list.iter().copied());
    }

    let seats = config.n_students as u64 * u64::from(config.seats_percent) / 100;
    let per_programme = seats / n_programmes as u64;
    let programmes = (0..n_programmes)
        .map(|_| {
            // Capacities vary by +-50 % around the mean.
            let capacity = if per_programme == 0 {
                rng.gen_range(0..=1)
            } else {
                rng.gen_range(per_programme / 2..=per_programme + per_programme / 2)
            } as u32;
            let quotas = config.quotas.then(|| {
                let mut quotas = [capacity / 6; 6];
                for quota in quotas.iter_mut().take((capacity % 6) as usize) {
                    *quota += 1;
                }
                quotas
            });
            ProgrammeSpec { capacity, quotas }
        })
        .collect();
    (students, programmes)
}
