//! RFC 9162 §2.1 Merkle tree hashes, inclusion proofs and consistency proofs, with SHA-256.
//!
//! Generation follows the recursive definitions of §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1
//! (PROOF/SUBPROOF) over a slice of leaf hashes; verification follows the iterative algorithms
//! of §2.1.3.2 and §2.1.4.2 step by step. [`CompactTree`] keeps the O(log n) right frontier of
//! a growing log so that an append costs one leaf hash and a few node hashes.

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

#[cfg(test)]
mod tests;
