//! RFC 9162 §2.1 Merkle tree hashes, inclusion proofs and consistency proofs, with SHA-256.
//!
//! Generation follows the recursive definitions of §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1
//! (PROOF/SUBPROOF) over a slice of leaf hashes; verification follows the iterative algorithms
//! of §2.1.3.2 and §2.1.4.2 step by step. [`CompactTree`] keeps the O(log n) right frontier of
//! a growing log so that an append costs one leaf hash and a few node hashes.
//!
//! A log too large to read whole keeps the hashes of its complete [`Subtree`]s instead (§2.1:
//! MTH of a complete subtree never changes once all its leaves are in): [`SubtreeProof`] names
//! the O(log n) of them an inclusion or consistency proof needs and assembles the proof from
//! them, [`root_from_subtrees`] the root, and [`append_leaf`] the root, proof and newly
//! completed subtrees of one append.

use std::ops::Range;

use sha2::{Digest, Sha256};

/// A SHA-256 node or leaf hash.
pub type Hash = [u8; 32];

/// Why a proof did not verify or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("first tree size {size1} is larger than second tree size {size2}")]
    SizesReversed { size1: u64, size2: u64 },
    #[error("a consistency proof from an empty tree proves nothing")]
    EmptyFirstTree,
    #[error("proof has {got} hashes, but a tree of this shape needs {expected}")]
    WrongLength { got: usize, expected: usize },
    #[error("{what} is {len} bytes, a SHA-256 hash is 32")]
    BadHashLength { what: &'static str, len: usize },
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
    #[error("the hash of complete subtree {level}/{index} is not at hand")]
    MissingSubtree { level: u8, index: u64 },
}

/// The RFC 9162 §2.1.1 hash of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 9162 §2.1.1: the leaf hash `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(data);
    hasher.finalize().into()
}

/// RFC 9162 §2.1.1: the interior node hash `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two strictly smaller than `n` (the split point `k` of §2.1.1), `n >= 2`.
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// RFC 9162 §2.1.1 Merkle Tree Hash of the leaves whose leaf hashes are given.
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    let mut tree = CompactTree::default();
    for leaf in leaf_hashes {
        tree.push(*leaf);
    }
    tree.root()
}

fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.1 PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of
/// `leaf_hashes`.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] when `index >= leaf_hashes.len()`.
pub fn inclusion_proof(leaf_hashes: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaf_hashes.len() as u64;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(index as usize, leaf_hashes, &mut proof);
    Ok(proof)
}

fn path(m: usize, leaves: &[Hash], proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    // The proof lists siblings from the leaf upwards, so recurse first, then push.
    if m < k {
        path(m, &leaves[..k], proof);
        proof.push(mth(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], proof);
        proof.push(mth(&leaves[..k]));
    }
}

/// RFC 9162 §2.1.4.1 PROOF(m, D[n]): the consistency proof between the first `size1` leaves
/// and all of `leaf_hashes`.
///
/// # Errors
/// [`ProofError::SizesReversed`] when `size1` exceeds the tree, [`ProofError::EmptyFirstTree`]
/// when `size1` is 0.
pub fn consistency_proof(leaf_hashes: &[Hash], size1: u64) -> Result<Vec<Hash>, ProofError> {
    let size2 = leaf_hashes.len() as u64;
    if size1 > size2 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyFirstTree);
    }
    let mut proof = Vec::new();
    subproof(size1 as usize, leaf_hashes, true, &mut proof);
    Ok(proof)
}

fn subproof(m: usize, leaves: &[Hash], whole: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            proof.push(mth(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], whole, proof);
        proof.push(mth(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, proof);
        proof.push(mth(&leaves[..k]));
    }
}

/// RFC 9162 §2.1.3.2: the root that an inclusion proof leads to.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] or [`ProofError::WrongLength`].
pub fn root_from_inclusion_proof(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    // Step 1.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    // Step 2 and 3.
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf;
    // Step 4.
    for p in proof {
        // 4a.
        if sn == 0 {
            return Err(ProofError::WrongLength { got: proof.len(), expected });
        }
        // 4b.
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        // 4c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5: sn must have reached 0, i.e. the proof had exactly the needed length.
    if sn != 0 {
        return Err(ProofError::WrongLength { got: proof.len(), expected });
    }
    Ok(r)
}

/// The number of hashes in the inclusion proof of `index` in a tree of `size` leaves.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    // Siblings above the point where the paths to `index` and to the last leaf diverge are
    // all present; below it, one per level of the shared path that has a right neighbour.
    let inner = (u64::BITS - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    inner + border
}

/// RFC 9162 §2.1.3.2: verifies that `leaf` is the leaf at `index` of the tree of `size` leaves
/// with root `root`.
///
/// # Errors
/// The [`ProofError`] naming why the proof fails.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf, index, size, proof)?;
    if &computed != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: verifies that the tree of `size2` leaves with root `root2` extends the
/// tree of `size1` leaves with root `root1`.
///
/// Roots are taken as bytes: equal sizes only need equal roots, and otherwise both must be
/// 32-byte hashes. A first tree of size 0 is refused, as transparency-dev does: the empty tree
/// is a prefix of every tree, so such a proof shows nothing.
///
/// # Errors
/// The [`ProofError`] naming why the proof fails.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyFirstTree);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength { got: proof.len(), expected: 0 });
        }
        return if root1 == root2 { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    let root1: &Hash = root1
        .try_into()
        .map_err(|_| ProofError::BadHashLength { what: "first root", len: root1.len() })?;
    let root2: &Hash = root2
        .try_into()
        .map_err(|_| ProofError::BadHashLength { what: "second root", len: root2.len() })?;
    let wrong_length = || ProofError::WrongLength {
        got: proof.len(),
        expected: consistency_proof_len(size1, size2),
    };
    // Step 1.
    if proof.is_empty() {
        return Err(wrong_length());
    }
    // Step 2: when size1 is a power of two, its root is the first node of the path.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(root1);
    }
    path.extend(proof.iter());
    // Step 3 and 4.
    let mut fn_ = size1 - 1;
    let mut sn = size2 - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let mut fr = *path[0];
    let mut sr = *path[0];
    // Step 6.
    for c in &path[1..] {
        if sn == 0 {
            return Err(wrong_length());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(wrong_length());
    }
    if &fr != root1 || &sr != root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The number of hashes in the consistency proof between sizes `size1 <= size2`, `size1 > 0`.
pub fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    if size1 == 0 || size1 >= size2 {
        return 0;
    }
    let inner = (u64::BITS - ((size1 - 1) ^ (size2 - 1)).leading_zeros()) as usize;
    let border = (size1 - 1).checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    let shift = (size1.trailing_zeros() as usize).min(inner);
    inner + border - shift + usize::from(!size1.is_power_of_two())
}

/// The right frontier of a growing Merkle tree: the roots of its perfect subtrees, largest
/// first. Appending is O(log n); the root is O(log n). The state a log needs between appends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactTree {
    size: u64,
    /// Roots of the perfect subtrees that make up the tree, from the left (largest).
    frontier: Vec<Hash>,
}

impl CompactTree {
    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        // Each trailing 1 bit of the old size is a perfect subtree that the new leaf completes.
        let mut carry = self.size;
        while carry & 1 == 1 {
            let left = self.frontier.pop().expect("one frontier node per set bit of the size");
            node = node_hash(&left, &node);
            carry >>= 1;
        }
        self.frontier.push(node);
        self.size += 1;
    }

    /// RFC 9162 §2.1.1 root of the tree so far: the frontier folded from the right.
    pub fn root(&self) -> Hash {
        let mut iter = self.frontier.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// A complete (perfect) subtree of a log's tree: the `index`-th run of `2^level` leaves, leaves
/// `index << level .. (index + 1) << level`. Level 0 is a leaf. RFC 9162 §2.1.1: its hash is
/// MTH of those leaves, which never changes once the log holds all of them, so a log can keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subtree {
    pub level: u8,
    pub index: u64,
}

impl Subtree {
    /// Its first leaf.
    pub fn start(self) -> u64 {
        self.index << self.level
    }

    /// One past its last leaf: the subtree is complete in a tree of at least this many leaves.
    pub fn end(self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// The complete subtrees that leaves `range` split into, left to right, each the largest its
/// alignment allows. For every range RFC 9162's recursions (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1
/// SUBPROOF) hash, i.e. `lo..hi` with `lo` a multiple of a power of two at least `hi - lo`, these
/// are the subtrees the recursion splits the range into, largest first, so MTH of the range is
/// their hashes folded from the right.
pub fn range_subtrees(range: Range<u64>) -> Vec<Subtree> {
    let (mut start, end) = (range.start, range.end);
    let mut res = Vec::new();
    while start < end {
        let fits = (u64::BITS - 1 - (end - start).leading_zeros()) as u8;
        let aligned = start.trailing_zeros().min(63) as u8;
        let level = fits.min(aligned);
        res.push(Subtree { level, index: start >> level });
        start += 1 << level;
    }
    res
}

/// MTH of a range of the shape [`range_subtrees`] requires, from its subtrees' hashes.
fn range_hash(
    range: Range<u64>,
    lookup: &mut impl FnMut(Subtree) -> Option<Hash>,
) -> Result<Hash, ProofError> {
    let mut acc: Option<Hash> = None;
    for subtree in range_subtrees(range).into_iter().rev() {
        let hash = lookup(subtree)
            .ok_or(ProofError::MissingSubtree { level: subtree.level, index: subtree.index })?;
        acc = Some(match acc {
            None => hash,
            Some(right) => node_hash(&hash, &right),
        });
    }
    Ok(acc.unwrap_or_else(empty_root))
}

/// The complete subtrees whose hashes make up the root of a tree of `size` leaves: its right
/// frontier, largest first (at most one per bit of `size`).
pub fn root_subtrees(size: u64) -> Vec<Subtree> {
    range_subtrees(0..size)
}

/// RFC 9162 §2.1.1 root of a tree of `size` leaves from the hashes of [`root_subtrees`].
///
/// # Errors
/// [`ProofError::MissingSubtree`] when `lookup` has no hash for one of them.
pub fn root_from_subtrees(
    size: u64,
    mut lookup: impl FnMut(Subtree) -> Option<Hash>,
) -> Result<Hash, ProofError> {
    range_hash(0..size, &mut lookup)
}

/// An inclusion or consistency proof to assemble from complete-subtree hashes: each hash of the
/// proof is MTH of a range of leaves, and each range is at most O(log n) complete subtrees.
/// Only one range of a proof reaches the incomplete right edge of the tree; every other is one
/// complete subtree, so a proof needs at most about `2 log2 n` stored hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtreeProof {
    /// The leaf range each hash of the proof covers, in proof order.
    ranges: Vec<Range<u64>>,
}

impl SubtreeProof {
    /// RFC 9162 §2.1.3.1 PATH(index, D[size]), the recursion unrolled: the sibling of each node
    /// on the path from the root down to the leaf, listed from the leaf upwards.
    ///
    /// # Errors
    /// [`ProofError::IndexOutOfRange`] when `index >= size`.
    pub fn inclusion(index: u64, size: u64) -> Result<SubtreeProof, ProofError> {
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut ranges = Vec::new();
        let (mut lo, mut hi) = (0, size);
        while hi - lo > 1 {
            let k = split_u64(hi - lo);
            if index < lo + k {
                ranges.push(lo + k..hi);
                hi = lo + k;
            } else {
                ranges.push(lo..lo + k);
                lo += k;
            }
        }
        ranges.reverse();
        Ok(SubtreeProof { ranges })
    }

    /// RFC 9162 §2.1.4.1 PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true), the
    /// recursion unrolled.
    ///
    /// # Errors
    /// [`ProofError::SizesReversed`] when `size1 > size2`, [`ProofError::EmptyFirstTree`] when
    /// `size1` is 0.
    pub fn consistency(size1: u64, size2: u64) -> Result<SubtreeProof, ProofError> {
        if size1 > size2 {
            return Err(ProofError::SizesReversed { size1, size2 });
        }
        if size1 == 0 {
            return Err(ProofError::EmptyFirstTree);
        }
        let mut ranges = Vec::new();
        let (mut lo, mut hi, mut whole) = (0, size2, true);
        loop {
            let (m, n) = (size1 - lo, hi - lo);
            if m == n {
                // SUBPROOF(m, D[m], false) = {MTH(D[m])}; with b = true it is empty.
                if !whole {
                    ranges.push(lo..hi);
                }
                break;
            }
            let k = split_u64(n);
            if m <= k {
                ranges.push(lo + k..hi);
                hi = lo + k;
            } else {
                ranges.push(lo..lo + k);
                lo += k;
                whole = false;
            }
        }
        ranges.reverse();
        Ok(SubtreeProof { ranges })
    }

    /// The complete subtrees whose hashes [`Self::assemble`] needs, sorted, each once.
    pub fn subtrees(&self) -> Vec<Subtree> {
        let mut res: Vec<Subtree> =
            self.ranges.iter().flat_map(|range| range_subtrees(range.clone())).collect();
        res.sort_unstable();
        res.dedup();
        res
    }

    /// The proof: MTH of each range, folded from the hashes `lookup` gives for
    /// [`Self::subtrees`]. Equal to [`inclusion_proof`] or [`consistency_proof`] over all the
    /// leaves.
    ///
    /// # Errors
    /// [`ProofError::MissingSubtree`] when `lookup` has no hash for one of them.
    pub fn assemble(
        &self,
        mut lookup: impl FnMut(Subtree) -> Option<Hash>,
    ) -> Result<Vec<Hash>, ProofError> {
        self.ranges.iter().map(|range| range_hash(range.clone(), &mut lookup)).collect()
    }
}

/// [`split`] on tree sizes: the largest power of two strictly smaller than `n >= 2`.
fn split_u64(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// What appending one leaf to a tree of `size` leaves gives: the new root, the leaf's inclusion
/// proof in the new tree, and the complete subtrees the leaf completes (itself at level 0 first,
/// then one per trailing 1 bit of `size`), whose hashes a log keeps from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub root: Hash,
    pub proof: Vec<Hash>,
    pub completed: Vec<(Subtree, Hash)>,
}

/// Appends `leaf` as leaf `size` given the hashes of [`root_subtrees`]`(size)`: O(log n) hashes
/// in, O(log n) node hashes computed.
///
/// The inclusion proof of the last leaf (§2.1.3.1) is the old frontier from the smallest
/// subtree up, and the new root (§2.1.1) is the old frontier and the leaf folded from the right.
///
/// # Errors
/// [`ProofError::MissingSubtree`] when `lookup` has no hash for a frontier subtree.
pub fn append_leaf(
    size: u64,
    leaf: Hash,
    mut lookup: impl FnMut(Subtree) -> Option<Hash>,
) -> Result<Appended, ProofError> {
    let frontier = root_subtrees(size)
        .into_iter()
        .map(|subtree| {
            let hash = lookup(subtree)
                .ok_or(ProofError::MissingSubtree { level: subtree.level, index: subtree.index })?;
            Ok((subtree, hash))
        })
        .collect::<Result<Vec<_>, ProofError>>()?;
    let proof: Vec<Hash> = frontier.iter().rev().map(|(_, hash)| *hash).collect();
    let root = proof.iter().fold(leaf, |acc, left| node_hash(left, &acc));
    // Each trailing 1 bit of the old size is a frontier subtree the new leaf completes a
    // sibling of, as in [`CompactTree::push`].
    let mut completed = vec![(Subtree { level: 0, index: size }, leaf)];
    let mut node = leaf;
    let mut carry = size;
    let mut level = 0u8;
    for left in &proof {
        if carry & 1 == 0 {
            break;
        }
        node = node_hash(left, &node);
        carry >>= 1;
        level += 1;
        completed.push((Subtree { level, index: size >> level }, node));
    }
    Ok(Appended { root, proof, completed })
}

/// Every complete subtree of the tree of `leaf_hashes` with its hash, level by level from the
/// leaves (level 0) up: what a log that kept no subtree hashes needs to start keeping them.
/// O(n) hashes.
pub fn complete_subtrees(leaf_hashes: &[Hash]) -> Vec<(Subtree, Hash)> {
    let mut res: Vec<(Subtree, Hash)> = leaf_hashes
        .iter()
        .enumerate()
        .map(|(idx, hash)| (Subtree { level: 0, index: idx as u64 }, *hash))
        .collect();
    let mut level_start = 0;
    let mut level = 0u8;
    loop {
        let below = &res[level_start..];
        if below.len() < 2 {
            break;
        }
        let above: Vec<(Subtree, Hash)> = below
            .chunks_exact(2)
            .enumerate()
            .map(|(idx, pair)| {
                (Subtree { level: level + 1, index: idx as u64 }, node_hash(&pair[0].1, &pair[1].1))
            })
            .collect();
        level_start = res.len();
        level += 1;
        res.extend(above);
    }
    res
}

#[cfg(test)]
mod tests;
