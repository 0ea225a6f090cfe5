//! Unit tests of `merkle`.
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::Value;

use super::*;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/merkle-rfc6962")
}

fn b64(value: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(value.as_str().unwrap_or("")).unwrap()
}

fn hash(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok()
}

fn reference_leaves() -> Vec<Hash> {
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir().join("reference_tree_8_leaves.json")).unwrap())
            .unwrap();
    json["leaves_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| leaf_hash(&hex::decode(h.as_str().unwrap()).unwrap()))
        .collect()
}

fn files(kind: &str) -> Vec<(String, Value)> {
    let mut res = Vec::new();
    let mut stack = vec![dir().join(kind)];
    while let Some(folder) = stack.pop() {
        for file in std::fs::read_dir(&folder).unwrap() {
            let path = file.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let json = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            res.push((path.strip_prefix(dir()).unwrap().display().to_string(), json));
        }
    }
    res.sort_by(|a, b| a.0.cmp(&b.0));
    res
}

#[test]
fn reference_tree_roots_match() {
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir().join("reference_tree_8_leaves.json")).unwrap())
            .unwrap();
    let leaves = reference_leaves();
    assert_eq!(hex::encode(root(&[])), json["empty_tree_root"].as_str().unwrap());
    for (size, expected) in json["roots_by_tree_size"].as_object().unwrap() {
        let size: usize = size.parse().unwrap();
        assert_eq!(hex::encode(root(&leaves[..size])), expected.as_str().unwrap(), "size {size}");
        assert_eq!(
            hex::encode(mth(&leaves[..size])),
            expected.as_str().unwrap(),
            "recursive, size {size}"
        );
    }
}

#[test]
fn transparency_dev_inclusion_files_all_give_the_expected_verdict() {
    let cases = files("inclusion");
    assert!(cases.len() >= 98, "{} inclusion files", cases.len());
    let mut n_rejected = 0;
    for (name, case) in &cases {
        let proof: Option<Vec<Hash>> = case["proof"]
            .as_array()
            .map(|p| p.iter().map(|h| hash(&b64(h))).collect())
            .unwrap_or(Some(Vec::new()));
        let leaf = hash(&b64(&case["leafHash"]));
        let root = hash(&b64(&case["root"]));
        let res = match (proof, leaf, root) {
            (Some(proof), Some(leaf), Some(root)) => verify_inclusion(
                &leaf,
                case["leafIdx"].as_u64().unwrap(),
                case["treeSize"].as_u64().unwrap(),
                &proof,
                &root,
            )
            .is_ok(),
            _ => false,
        };
        let want_err = case["wantErr"].as_bool().unwrap();
        assert_eq!(res, !want_err, "{name}: {}", case["desc"]);
        n_rejected += usize::from(!res);
    }
    assert!(n_rejected > 80, "most files are must-reject cases, {n_rejected} rejected");
}

#[test]
fn transparency_dev_consistency_files_all_give_the_expected_verdict() {
    let cases = files("consistency");
    assert!(cases.len() >= 98, "{} consistency files", cases.len());
    for (name, case) in &cases {
        let proof: Option<Vec<Hash>> = case["proof"]
            .as_array()
            .map(|p| p.iter().map(|h| hash(&b64(h))).collect())
            .unwrap_or(Some(Vec::new()));
        let res = match proof {
            Some(proof) => verify_consistency(
                case["size1"].as_u64().unwrap(),
                case["size2"].as_u64().unwrap(),
                &proof,
                &b64(&case["root1"]),
                &b64(&case["root2"]),
            )
            .is_ok(),
            None => false,
        };
        assert_eq!(res, !case["wantErr"].as_bool().unwrap(), "{name}: {}", case["desc"]);
    }
}

#[test]
fn generated_proofs_match_the_golden_happy_paths() {
    let leaves = reference_leaves();
    for (name, case) in files("inclusion") {
        if !name.ends_with("happy-path.json") {
            continue;
        }
        let size = case["treeSize"].as_u64().unwrap() as usize;
        let proof = inclusion_proof(&leaves[..size], case["leafIdx"].as_u64().unwrap()).unwrap();
        let expected: Vec<Hash> = case["proof"]
            .as_array()
            .map(|p| p.iter().map(|h| hash(&b64(h)).unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(proof, expected, "{name}");
    }
    for (name, case) in files("consistency") {
        if !name.ends_with("happy-path.json") {
            continue;
        }
        let size2 = case["size2"].as_u64().unwrap() as usize;
        let proof = consistency_proof(&leaves[..size2], case["size1"].as_u64().unwrap()).unwrap();
        let expected: Vec<Hash> = case["proof"]
            .as_array()
            .map(|p| p.iter().map(|h| hash(&b64(h)).unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(proof, expected, "{name}");
    }
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

#[test]
fn every_proof_up_to_40_leaves_verifies_and_has_the_predicted_length() {
    let all = leaves(40);
    for size in 1..=40u64 {
        let tree = &all[..size as usize];
        let tree_root = root(tree);
        for index in 0..size {
            let proof = inclusion_proof(tree, index).unwrap();
            assert_eq!(proof.len(), inclusion_proof_len(index, size));
            verify_inclusion(&tree[index as usize], index, size, &proof, &tree_root).unwrap();
        }
        for size1 in 1..=size {
            let proof = consistency_proof(tree, size1).unwrap();
            assert_eq!(proof.len(), consistency_proof_len(size1, size), "{size1} -> {size}");
            verify_consistency(size1, size, &proof, &root(&tree[..size1 as usize]), &tree_root)
                .unwrap();
        }
    }
}

#[test]
fn proof_generation_refuses_impossible_requests() {
    let tree = leaves(5);
    assert_eq!(inclusion_proof(&tree, 5), Err(ProofError::IndexOutOfRange { index: 5, size: 5 }));
    assert_eq!(consistency_proof(&tree, 6), Err(ProofError::SizesReversed { size1: 6, size2: 5 }));
    assert_eq!(consistency_proof(&tree, 0), Err(ProofError::EmptyFirstTree));
}

proptest! {
    #[test]
    fn compact_tree_root_equals_recursive_root(n in 0usize..300) {
        let tree = leaves(n);
        prop_assert_eq!(root(&tree), mth(&tree));
    }

    // A proof for size n never verifies for size n-1 or n+1.
    #[test]
    fn inclusion_proof_is_bound_to_its_tree_size(size in 2u64..200, seed in any::<u64>()) {
        let tree = leaves(size as usize + 1);
        let index = seed % (size - 1);
        let proof = inclusion_proof(&tree[..size as usize], index).unwrap();
        let tree_root = root(&tree[..size as usize]);
        prop_assert!(verify_inclusion(&tree[index as usize], index, size, &proof, &tree_root).is_ok());
        for other in [size - 1, size + 1] {
            let other_root = root(&tree[..other as usize]);
            // Against the root of the tree that size claims. (The root of size n with size n+1 can
            // pass for a left-edge leaf: RFC 9162's path does not encode the size there.)
            prop_assert!(verify_inclusion(&tree[index as usize], index, other, &proof, &other_root).is_err());
        }
    }

    #[test]
    fn consistency_proof_is_bound_to_its_sizes(size2 in 3u64..200, seed in any::<u64>()) {
        let tree = leaves(size2 as usize + 1);
        let size1 = 1 + seed % (size2 - 2);
        let proof = consistency_proof(&tree[..size2 as usize], size1).unwrap();
        let root1 = root(&tree[..size1 as usize]);
        let root2 = root(&tree[..size2 as usize]);
        prop_assert!(verify_consistency(size1, size2, &proof, &root1, &root2).is_ok());
        for (s1, s2) in [(size1, size2 - 1), (size1, size2 + 1), (size1 + 1, size2), (size1 - 1, size2)] {
            if s1 == 0 || s1 >= s2 { continue; }
            let r1 = root(&tree[..s1 as usize]);
            let r2 = root(&tree[..s2 as usize]);
            prop_assert!(verify_consistency(s1, s2, &proof, &r1, &r2).is_err(), "{} -> {}", s1, s2);
        }
    }

    #[test]
    fn any_flipped_bit_in_an_inclusion_proof_fails(size in 2u64..100, seed in any::<u64>(), bit in 0usize..256) {
        let tree = leaves(size as usize);
        let index = seed % size;
        let mut proof = inclusion_proof(&tree, index).unwrap();
        let tree_root = root(&tree);
        let node = (seed as usize / 7) % proof.len();
        proof[node][bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify_inclusion(&tree[index as usize], index, size, &proof, &tree_root).is_err());
    }

    // Bounded fuzzing of proof verification with arbitrary inputs: errors, never panics.
    #[test]
    fn proof_verification_never_panics(index in any::<u64>(), size in any::<u64>(), size1 in any::<u64>(),
                                       proof in prop::collection::vec(any::<[u8; 32]>(), 0..70), root in any::<[u8; 32]>()) {
        let _ = verify_inclusion(&root, index, size, &proof, &root);
        let _ = verify_consistency(size1, size, &proof, &root, &root);
        let _ = inclusion_proof_len(index, size);
        let _ = consistency_proof_len(size1, size);
    }
}

/// The hashes a log keeps for a tree of `size` leaves: every complete subtree, at most `size`.
fn stored(all: &[Hash], size: usize) -> std::collections::HashMap<Subtree, Hash> {
    complete_subtrees(&all[..size]).into_iter().collect()
}

#[test]
fn subtree_proofs_equal_all_leaves_proofs_for_every_size_and_index_up_to_70() {
    let all = leaves(70);
    for size in 1..=70u64 {
        let tree = &all[..size as usize];
        let kept = stored(&all, size as usize);
        let lookup = |subtree: Subtree| {
            assert!(subtree.end() <= size, "{subtree:?} is not complete in {size}");
            kept.get(&subtree).copied()
        };
        assert_eq!(root_from_subtrees(size, lookup), Ok(root(tree)), "root of {size}");
        for index in 0..size {
            let plan = SubtreeProof::inclusion(index, size).unwrap();
            assert_eq!(plan.assemble(lookup), inclusion_proof(tree, index), "{index} in {size}");
        }
        for size1 in 1..=size {
            let plan = SubtreeProof::consistency(size1, size).unwrap();
            assert_eq!(plan.assemble(lookup), consistency_proof(tree, size1), "{size1} -> {size}");
        }
    }
}

#[test]
fn appending_leaf_by_leaf_keeps_every_complete_subtree_and_proves_each_leaf() {
    let all = leaves(70);
    let mut kept = std::collections::HashMap::new();
    for (size, leaf) in all.iter().enumerate() {
        let size = size as u64;
        let appended = append_leaf(size, *leaf, |s| kept.get(&s).copied()).unwrap();
        let tree = &all[..=size as usize];
        assert_eq!(appended.root, root(tree), "root after {size}");
        assert_eq!(Ok(appended.proof), inclusion_proof(tree, size), "proof of {size}");
        kept.extend(appended.completed);
        assert_eq!(kept, stored(&all, size as usize + 1), "subtrees after appending {size}");
    }
}

#[test]
fn a_missing_subtree_is_named() {
    let plan = SubtreeProof::inclusion(0, 4).unwrap();
    assert_eq!(plan.subtrees(), [Subtree { level: 0, index: 1 }, Subtree { level: 1, index: 1 }]);
    assert_eq!(plan.assemble(|_| None), Err(ProofError::MissingSubtree { level: 0, index: 1 }));
    assert_eq!(
        append_leaf(3, [0; 32], |_| None).map(|a| a.root),
        Err(ProofError::MissingSubtree { level: 1, index: 0 })
    );
    assert_eq!(
        SubtreeProof::inclusion(4, 4),
        Err(ProofError::IndexOutOfRange { index: 4, size: 4 })
    );
    assert_eq!(SubtreeProof::consistency(0, 4), Err(ProofError::EmptyFirstTree));
    assert_eq!(
        SubtreeProof::consistency(5, 4),
        Err(ProofError::SizesReversed { size1: 5, size2: 4 })
    );
    assert_eq!(root_from_subtrees(0, |_| None), Ok(empty_root()));
}

/// MTH of any complete subtree, from the leaves: a lookup that needs no stored table.
fn subtree_hash(tree: &[Hash], subtree: Subtree) -> Option<Hash> {
    let (start, end) =
        (usize::try_from(subtree.start()).ok()?, usize::try_from(subtree.end()).ok()?);
    tree.get(start..end).map(mth)
}

proptest! {
    #[test]
    fn subtree_proofs_equal_all_leaves_proofs(size in 1u64..3000, seed in any::<u64>()) {
        let tree = leaves(size as usize);
        let index = seed % size;
        let size1 = 1 + (seed >> 20) % size;
        let lookup = |s| subtree_hash(&tree, s);
        prop_assert_eq!(SubtreeProof::inclusion(index, size).unwrap().assemble(lookup), inclusion_proof(&tree, index));
        prop_assert_eq!(SubtreeProof::consistency(size1, size).unwrap().assemble(lookup), consistency_proof(&tree, size1));
        prop_assert_eq!(root_from_subtrees(size, lookup), Ok(root(&tree)));
    }

    // The point of stored subtrees: a proof reads O(log n) of them, all complete, whatever n.
    #[test]
    fn a_proof_needs_few_complete_subtrees(size in 1u64..(1 << 62), seed in any::<u64>()) {
        let index = seed % size;
        let size1 = 1 + seed.rotate_left(32) % size;
        let bound = 2 * (u64::BITS - size.leading_zeros()) as usize;
        for plan in [SubtreeProof::inclusion(index, size).unwrap(), SubtreeProof::consistency(size1, size).unwrap()] {
            let subtrees = plan.subtrees();
            prop_assert!(subtrees.len() <= bound, "{} subtrees for size {}", subtrees.len(), size);
            prop_assert!(subtrees.iter().all(|s| s.end() <= size));
        }
        prop_assert!(root_subtrees(size).len() == size.count_ones() as usize);
    }
}
