//! The welfare order of a domain: its rows by ascending welfare, ties by row, from one sort.
//!
//! The sort is a most-significant-digit radix pass on the bit patterns of the welfare values
//! followed by a comparison sort of each (small) bucket. It writes the rows straight into the
//! returned vector, so the only large buffer it touches is the answer itself: on a fresh process
//! every new page costs a fault and a zeroing, which made the former sort of 16-byte
//! `(key, row)` pairs the largest single cost of `caravan bench poverty`.

use rayon::prelude::*;

/// Bits of the radix digit: 2^16 buckets hold about 150 rows each at 10 M rows of log-normal
/// welfare, small enough to sort in cache.
const RADIX_BITS: u32 = 16;

/// Below this many rows one comparison sort is as fast as the radix pass.
const SMALL: usize = 1 << 14;

/// Rows of `rows` ordered by ascending welfare, ties by row (the order of R's stable `order()`).
///
/// Sort once per variable; a subdomain's order is the subsequence of this one (see
/// [`crate::restrict_order`]).
///
/// # Panics
/// If a row of `rows` is not an index of `welfare`.
pub fn order_by_welfare(welfare: &[f64], rows: &[u32]) -> Vec<u32> {
    // Non-negative doubles order like their bit patterns (`+ 0.0` turns -0 into +0); NaN and
    // negative values sort after them and are rejected by `estimate`, which names the first.
    let key = |row: u32| (welfare[row as usize] + 0.0).to_bits();
    if rows.len() < SMALL {
        let mut keyed: Vec<u128> = rows.iter().map(|&row| pack(key(row), row)).collect();
        keyed.sort_unstable();
        return keyed.into_iter().map(row_of).collect();
    }
    let (lo, hi) = rows
        .par_iter()
        .map(|&row| (key(row), key(row)))
        .reduce(|| (u64::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    // The bucket is the top RADIX_BITS of `key - lo` below its highest set bit, so it is
    // monotone in the key and the buckets cover exactly the keys present.
    let shift = (u64::BITS - (hi - lo).leading_zeros()).saturating_sub(RADIX_BITS);
    let bucket = |key: u64| ((key - lo) >> shift) as usize;
    let n_buckets = bucket(hi) + 1;
    let counts = rows
        .par_chunks(SMALL)
        .fold(
            || vec![0usize; n_buckets],
            |mut counts, chunk| {
                for &row in chunk {
                    counts[bucket(key(row))] += 1;
                }
                counts
            },
        )
        .reduce(
            || vec![0usize; n_buckets],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    let mut starts = Vec::with_capacity(n_buckets + 1);
    let mut at = 0;
    for &count in &counts {
        starts.push(at);
        at += count;
    }
    starts.push(at);

    // One part per thread, each a run of whole buckets with about the same number of rows. A
    // part reads every row and keeps its own, so parts write disjoint slices of the answer.
    let n_parts = rayon::current_num_threads().max(1);
    let mut part_buckets = vec![0];
    for part in 1..n_parts {
        let target = rows.len() * part / n_parts;
        let b = starts.partition_point(|&s| s < target).min(n_buckets);
        if b > *part_buckets.last().expect("starts with bucket 0") {
            part_buckets.push(b);
        }
    }
    part_buckets.push(n_buckets);
    let mut order = vec![0u32; rows.len()];
    let mut parts = Vec::with_capacity(part_buckets.len() - 1);
    let mut rest = order.as_mut_slice();
    for pair in part_buckets.windows(2) {
        let (part, tail) = rest.split_at_mut(starts[pair[1]] - starts[pair[0]]);
        parts.push((pair[0], pair[1], part));
        rest = tail;
    }
    parts.into_par_iter().for_each(|(first, end, part)| {
        let base = starts[first];
        let mut cursor: Vec<usize> = starts[first..end].iter().map(|s| s - base).collect();
        for &row in rows {
            let b = bucket(key(row));
            if (first..end).contains(&b) {
                part[cursor[b - first]] = row;
                cursor[b - first] += 1;
            }
        }
        // Within a bucket: the full key, ties by row.
        let mut keyed: Vec<u128> = Vec::new();
        for b in first..end {
            let bucket_rows = &mut part[starts[b] - base..starts[b + 1] - base];
            if bucket_rows.len() > 1 {
                keyed.clear();
                keyed.extend(bucket_rows.iter().map(|&row| pack(key(row), row)));
                keyed.sort_unstable();
                for (slot, &k) in bucket_rows.iter_mut().zip(&keyed) {
                    *slot = row_of(k);
                }
            }
        }
    });
    order
}

/// The welfare key in the high half and the row in the low half: integer order is the order by
/// key, then by row.
fn pack(key: u64, row: u32) -> u128 {
    (u128::from(key) << 32) | u128::from(row)
}

fn row_of(packed: u128) -> u32 {
    packed as u32
}
