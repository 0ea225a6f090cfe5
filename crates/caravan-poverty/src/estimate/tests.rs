//! Unit tests of [`Prefix`]: the running sums kept every [`MARK_EVERY`] units give the same
//! doubles and the same quantile index as the full arrays they replace.

use super::*;

/// Units per chunk of the parallel prefix sum below 4 * 2^15 units per thread.
const CHUNK: usize = 1 << 15;

/// The running weight as a full array, each chunk continuing from the sum of the chunk sums
/// before it, as `Prefix::new` computed it when it kept every unit.
fn full_cum_w(w: &[f64]) -> Vec<f64> {
    let mut res = Vec::with_capacity(w.len());
    let mut offset = 0.0;
    for chunk in w.chunks(chunk_len(w.len())) {
        let mut a = offset;
        for &wi in chunk {
            a += wi;
            res.push(a);
        }
        offset += chunk.iter().fold(0.0, |s, wi| s + wi);
    }
    res
}

/// Checks the running weight of every unit and the unit found for every target against the full
/// array, and returns whether the prefix kept the full array.
#[track_caller]
fn check(w: Vec<f64>, targets: &[f64]) -> bool {
    let sorted = Sorted { y: (0..w.len()).map(|i| 100.0 + i as f64).collect(), w };
    let prefix = Prefix::new(&sorted);
    let full = full_cum_w(&sorted.w);
    for (i, &c) in full.iter().enumerate() {
        assert_eq!(prefix.cum(&sorted, i).0.to_bits(), c.to_bits(), "running weight of unit {i}");
    }
    let monotone = full.windows(2).all(|pair| pair[0] <= pair[1]);
    assert_eq!(prefix.cum_w.is_none(), monotone, "the full array is kept only when it dips");
    for &target in targets {
        let expected = full.partition_point(|&c| c < target).min(full.len() - 1);
        assert_eq!(prefix.first_reaching(&sorted, target), expected, "target {target:e}");
    }
    prefix.cum_w.is_some()
}

/// Weights of 3/4 ulp round every addition to 1 up in the second chunk, but its sum from 0 is
/// exact: the third chunk (1,000 units of weight 0) starts 8192 ulps below where the second
/// ended. The search falls back to the full array and finds what `partition_point` found before
/// marks were kept; a search by blocks would differ for 921 of these targets.
#[test]
fn running_weight_that_dips_at_a_chunk_boundary_is_searched_in_full() {
    let w: Vec<f64> = (0..2 * CHUNK + 1000)
        .map(|i| match i {
            0 => 1.0,
            i if (CHUNK..2 * CHUNK).contains(&i) => 0.75 * f64::EPSILON,
            _ => 0.0,
        })
        .collect();
    let targets: Vec<f64> =
        (0..34_000).map(|k| 1.0 + f64::from(k) * f64::EPSILON).chain([0.5, 2.0]).collect();
    assert!(check(w, &targets));
}

/// A monotone running weight (every chunk sum exact) is searched by blocks, then units.
#[test]
fn monotone_running_weight_is_searched_by_blocks() {
    let w: Vec<f64> = (0..3 * CHUNK + 100).map(|i| f64::from((i % 7) as u32)).collect();
    let total = full_cum_w(&w)[w.len() - 1];
    let targets: Vec<f64> =
        (0..=1000).map(|k| total * f64::from(k) / 1000.0).chain([-1.0, 3.5, total + 1.0]).collect();
    assert!(!check(w, &targets));
}
