//! The audit of a placement: stability (every blocking pair), capacity and quota checks,
//! the rank histogram, per-programme cutoffs and the comparison of two placements.

use caravan_types::CountryCode;
use rayon::prelude::*;

use crate::{Instance, Matching};

/// A student and a programme that would both rather be together (Gale and Shapley 1962,
/// "College Admissions and the Stability of Marriage", definition of an unstable
/// assignment): the student prefers the programme to what she got, and the
/// programme's seat pool for her country has a free seat or holds someone of lower priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockingPair {
    /// The student (index).
    pub student: usize,
    /// 0-based position of the programme in her list.
    pub choice: usize,
    /// The programme (index).
    pub programme: usize,
    /// The lowest-priority student the pool holds, whom she outranks; `None` when the
    /// pool has a free seat.
    pub outranks: Option<usize>,
}

/// Every blocking pair of `matching`, by student then choice. Empty means the matching is
/// stable (with hard quotas: stable within each country's seats).
pub fn blocking_pairs(instance: &Instance, matching: &Matching) -> Vec<BlockingPair> {
    let n_pools = instance.n_pools();
    // Per pool: number held and the held student with the largest (worst) key.
    let mut held = vec![0u32; n_pools];
    let mut worst: Vec<(u64, u32)> = vec![(0, u32::MAX); n_pools];
    for student in 0..instance.n_students() {
        if let Some(c) = matching.choice(student) {
            let pool = instance.choice_pool(student, c);
            held[pool] += 1;
            let key = instance.priority_key(student, c);
            if worst[pool].1 == u32::MAX || key > worst[pool].0 {
                worst[pool] = (key, student as u32);
            }
        }
    }
    (0..instance.n_students())
        .into_par_iter()
        .flat_map_iter(|student| {
            let better = matching.choice(student).unwrap_or(instance.list_len(student));
            let held = &held;
            let worst = &worst;
            (0..better).filter_map(move |choice| {
                let pool = instance.choice_pool(student, choice);
                let blocking = BlockingPair {
                    student,
                    choice,
                    programme: instance.choice_programme(student, choice),
                    outranks: None,
                };
                if held[pool] < instance.pool_capacity(pool) {
                    return Some(blocking);
                }
                let (worst_key, worst_student) = worst[pool];
                (worst_student != u32::MAX && instance.priority_key(student, choice) < worst_key)
                    .then_some(BlockingPair { outranks: Some(worst_student as usize), ..blocking })
            })
        })
        .collect()
}

/// A broken capacity or quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeasibilityViolation {
    /// More students placed in a programme than it has seats.
    OverCapacity {
        /// The programme (index).
        programme: usize,
        /// Students placed there.
        placed: u32,
        /// Its seats.
        capacity: u32,
    },
    /// More students of a country placed in a programme than its quota for that country.
    OverQuota {
        /// The programme (index).
        programme: usize,
        /// The country whose share is exceeded.
        country: CountryCode,
        /// Students of that country placed there.
        placed: u32,
        /// The country's quota.
        quota: u32,
    },
}

/// Capacity and quota check: every programme and every country share within its seats.
pub fn feasibility(instance: &Instance, matching: &Matching) -> Vec<FeasibilityViolation> {
    let placed = placed_per_pool(instance, matching);
    let mut violations = Vec::new();
    for programme in 0..instance.n_programmes() {
        let pools = instance.programme_pools[programme] as usize
            ..instance.programme_pools[programme + 1] as usize;
        let total: u32 = placed[pools.clone()].iter().sum();
        let capacity = instance.programme_capacity(programme);
        if total > capacity {
            violations.push(FeasibilityViolation::OverCapacity {
                programme,
                placed: total,
                capacity,
            });
        }
        for pool in pools {
            if let Some(country) = instance.pool_country(pool)
                && placed[pool] > instance.pool_capacity(pool)
            {
                violations.push(FeasibilityViolation::OverQuota {
                    programme,
                    country,
                    placed: placed[pool],
                    quota: instance.pool_capacity(pool),
                });
            }
        }
    }
    violations
}

fn placed_per_pool(instance: &Instance, matching: &Matching) -> Vec<u32> {
    let mut placed = vec![0u32; instance.n_pools()];
    for student in 0..instance.n_students() {
        if let Some(pool) = matching.pool(instance, student) {
            placed[pool] += 1;
        }
    }
    placed
}

/// How many students got their 1st, 2nd, ... choice, and how many none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankHistogram {
    /// `by_rank[k]` students got their choice of rank `k + 1`.
    pub by_rank: Vec<usize>,
    /// Students placed nowhere.
    pub unmatched: usize,
}

/// The rank histogram of `matching`.
pub fn rank_histogram(instance: &Instance, matching: &Matching) -> RankHistogram {
    let mut by_rank = vec![0usize; instance.max_list_len()];
    let mut unmatched = 0;
    for student in 0..instance.n_students() {
        match matching.choice(student) {
            Some(c) => by_rank[c] += 1,
            None => unmatched += 1,
        }
    }
    RankHistogram { by_rank, unmatched }
}

/// The cutoff of one seat pool: who got in last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoff {
    /// The programme (index).
    pub programme: usize,
    /// The country of the seats, for a programme with quotas.
    pub country: Option<CountryCode>,
    /// Seats in the pool.
    pub seats: u32,
    /// Students placed in the pool.
    pub placed: u32,
    /// The placed student of lowest priority, and her score there; `None` if none placed.
    pub last_admitted: Option<(usize, u32)>,
}

impl Cutoff {
    /// Whether the pool is full, so that its last admitted score is a real cutoff: an
    /// applicant of lower priority was (or would have been) turned away.
    pub fn is_binding(&self) -> bool {
        self.placed >= self.seats
    }
}

/// Per-programme (per country share, under quotas) cutoffs of `matching`, in pool order.
pub fn cutoffs(instance: &Instance, matching: &Matching) -> Vec<Cutoff> {
    let n_pools = instance.n_pools();
    let mut placed = vec![0u32; n_pools];
    let mut last: Vec<Option<(u64, usize, u32)>> = vec![None; n_pools];
    for student in 0..instance.n_students() {
        if let Some(c) = matching.choice(student) {
            let pool = instance.choice_pool(student, c);
            placed[pool] += 1;
            let key = instance.priority_key(student, c);
            if last[pool].is_none_or(|(k, _, _)| key > k) {
                last[pool] = Some((key, student, instance.choice_score(student, c)));
            }
        }
    }
    (0..n_pools)
        .map(|pool| Cutoff {
            programme: instance.pool_programme(pool),
            country: instance.pool_country(pool),
            seats: instance.pool_capacity(pool),
            placed: placed[pool],
            last_admitted: last[pool].map(|(_, s, score)| (s, score)),
        })
        .collect()
}

/// How two placements of the same instance differ, student by student.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comparison {
    /// Students who got a better choice in the first placement (unplaced is worst).
    pub better_in_first: Vec<usize>,
    /// Students who got a better choice in the second placement.
    pub better_in_second: Vec<usize>,
    /// Students with the same choice in both.
    pub same: usize,
}

/// Compares two placements of `instance`.
///
/// # Panics
/// If either matching is not of `instance` (different number of students).
pub fn compare(instance: &Instance, first: &Matching, second: &Matching) -> Comparison {
    assert!(
        first.len() == instance.n_students() && second.len() == instance.n_students(),
        "both matchings must be of this instance"
    );
    let mut res = Comparison::default();
    for student in 0..instance.n_students() {
        let a = first.choice(student).unwrap_or(usize::MAX);
        let b = second.choice(student).unwrap_or(usize::MAX);
        match a.cmp(&b) {
            std::cmp::Ordering::Less => res.better_in_first.push(student),
            std::cmp::Ordering::Greater => res.better_in_second.push(student),
            std::cmp::Ordering::Equal => res.same += 1,
        }
    }
    res
}
