//! Unit tests of `sig`.
use num_bigint::BigUint;
use proptest::prelude::*;
use serde_json::Value;

use super::*;

fn data(path: &str) -> Value {
    serde_json::from_slice(
        &std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap()
}

fn unhex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap()).unwrap()
}

#[test]
fn rfc8032_section_7_1_vectors() {
    // Expected: RFC 8032 §7.1 TEST 1-3 (tests/data/rfc8032).
    let json = data("rfc8032/ed25519_rfc8032_section7_1.json");
    for vector in json["vectors"].as_array().unwrap() {
        let secret: [u8; 32] = unhex(&vector["secret_key"]).try_into().unwrap();
        let key =
            PrivateKey::from_secret_bytes(Algorithm::Ed25519, &secret, DEFAULT_SM2_ID).unwrap();
        assert_eq!(key.public_key(), unhex(&vector["public_key"]), "{}", vector["name"]);
        let message = unhex(&vector["message"]);
        let signature = key.sign(&message);
        assert_eq!(signature.to_vec(), unhex(&vector["signature"]), "{}", vector["name"]);
        verify(Algorithm::Ed25519, &key.public_key(), &message, &signature, "").unwrap();
    }
}

#[test]
fn wycheproof_ed25519_all_151_verdicts_match() {
    let json = data("wycheproof/ed25519_test.json");
    let mut n_cases = 0;
    let mut n_valid = 0;
    for group in json["testGroups"].as_array().unwrap() {
        let public_key = unhex(&group["publicKey"]["pk"]);
        for case in group["tests"].as_array().unwrap() {
            let res = verify(
                Algorithm::Ed25519,
                &public_key,
                &unhex(&case["msg"]),
                &unhex(&case["sig"]),
                "",
            );
            let expected = case["result"].as_str().unwrap();
            assert_eq!(
                res.is_ok(),
                expected == "valid",
                "tcId {} ({}): {res:?}",
                case["tcId"],
                case["comment"]
            );
            n_cases += 1;
            n_valid += usize::from(res.is_ok());
        }
    }
    assert_eq!((n_cases, n_valid), (151, 88));
}

/// Every Wycheproof case with a 64-byte signature, all in one batch: each verdict is still
/// Wycheproof's (the batch fails, so each is checked alone, or passes only with valid ones).
#[test]
fn wycheproof_ed25519_verdicts_match_in_one_batch() {
    let json = data("wycheproof/ed25519_test.json");
    let mut checks = Vec::new();
    let mut expected = Vec::new();
    for group in json["testGroups"].as_array().unwrap() {
        let key = Ed25519Key::decode(&unhex(&group["publicKey"]["pk"])).unwrap();
        for case in group["tests"].as_array().unwrap() {
            let Ok(signature) = <[u8; 64]>::try_from(unhex(&case["sig"])) else { continue };
            checks.push(Ed25519Check { key, message: unhex(&case["msg"]), signature });
            expected.push(case["result"] == "valid");
        }
    }
    let refs: Vec<&Ed25519Check> = checks.iter().collect();
    let got: Vec<bool> = verify_ed25519_checks(&refs).iter().map(Result::is_ok).collect();
    assert_eq!(got, expected);
    // And the valid ones alone pass as one batch.
    let valid: Vec<&Ed25519Check> =
        checks.iter().zip(&expected).filter(|(_, ok)| **ok).map(|(c, _)| c).collect();
    assert!(valid.len() > 50);
    assert!(verify_ed25519_checks(&valid).iter().all(Result::is_ok));
}

#[test]
fn sm3_standard_examples() {
    // Expected: GB/T 32905-2016 Annex A.
    let json = data("gbt-sm2-sm3/standard_examples.json");
    let examples = json["sm3_gbt32905_2016_annexA"].as_array().unwrap();
    assert_eq!(hex::encode(sm3(b"abc")), examples[0]["digest"].as_str().unwrap());
    assert_eq!(
        hex::encode(sm3(&unhex(&examples[1]["message_hex"]))),
        examples[1]["digest"].as_str().unwrap()
    );
}

#[test]
fn wycheproof_hmac_sm3_all_verdicts_match() {
    use hmac::{Mac, SimpleHmac};
    let json = data("wycheproof/hmac_sm3_test.json");
    let mut n_cases = 0;
    for group in json["testGroups"].as_array().unwrap() {
        let tag_bytes = group["tagSize"].as_u64().unwrap() as usize / 8;
        for case in group["tests"].as_array().unwrap() {
            let mut mac = SimpleHmac::<sm3::Sm3>::new_from_slice(&unhex(&case["key"])).unwrap();
            mac.update(&unhex(&case["msg"]));
            let full = mac.finalize().into_bytes();
            let matches = full[..tag_bytes] == unhex(&case["tag"])[..];
            assert_eq!(matches, case["result"].as_str() == Some("valid"), "tcId {}", case["tcId"]);
            n_cases += 1;
        }
    }
    assert_eq!(n_cases, 174);
}

/// Affine arithmetic on y^2 = x^3 + ax + b over F_p, written from GB/T 32918.1 §3.2.3, to
/// check the Annex A example on the standard's test curve (which the sm2 crate does not carry).
struct Curve {
    p: BigUint,
    a: BigUint,
    n: BigUint,
}

type Point = Option<(BigUint, BigUint)>;

impl Curve {
    fn inv(&self, x: &BigUint, m: &BigUint) -> BigUint {
        x.modpow(&(m - 2u32), m)
    }
    fn add(&self, p1: &Point, p2: &Point) -> Point {
        let (Some((x1, y1)), Some((x2, y2))) = (p1, p2) else {
            return p1.clone().or_else(|| p2.clone());
        };
        let p = &self.p;
        let lambda = if x1 == x2 {
            if (y1 + y2) % p == BigUint::ZERO {
                return None;
            }
            (BigUint::from(3u32) * x1 * x1 + &self.a) * self.inv(&(BigUint::from(2u32) * y1), p) % p
        } else {
            ((y2 + p - y1) % p) * self.inv(&((x2 + p - x1) % p), p) % p
        };
        let x3 = (&lambda * &lambda + p * 2u32 - x1 - x2) % p;
        let y3 = (&lambda * ((x1 + p - &x3) % p) + p - y1) % p;
        Some((x3, y3))
    }
    fn mul(&self, k: &BigUint, point: &Point) -> Point {
        let mut res: Point = None;
        for bit in (0..k.bits()).rev() {
            res = self.add(&res, &res);
            if k.bit(bit) {
                res = self.add(&res, point);
            }
        }
        res
    }
}

fn big(value: &Value) -> BigUint {
    BigUint::parse_bytes(value.as_str().unwrap().as_bytes(), 16).unwrap()
}

fn be32(x: &BigUint) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    let mut out = vec![0u8; 32 - bytes.len()];
    out.extend(bytes);
    out
}

#[test]
fn sm2_gbt32918_annex_a_example_reproduces_and_verifies() {
    // Expected: GB/T 32918.2-2016 Annex A (tests/data/gbt-sm2-sm3): ZA, e, r, s.
    let json = data("gbt-sm2-sm3/standard_examples.json");
    let ex = &json["sm2_sign_gbt32918_2_2016_annexA"];
    let curve = Curve { p: big(&ex["p"]), a: big(&ex["a"]), n: big(&ex["n"]) };
    let g: Point = Some((big(&ex["xG"]), big(&ex["yG"])));
    let d = big(&ex["dA"]);
    let public = curve.mul(&d, &g);
    let (xa, ya) = public.clone().unwrap();
    assert_eq!((&xa, &ya), (&big(&ex["xA"]), &big(&ex["yA"])));
    // ZA = SM3(ENTL || ID || a || b || xG || yG || xA || yA), §5.5.
    let id = ex["id_ascii"].as_str().unwrap().as_bytes();
    let mut z = ((id.len() * 8) as u16).to_be_bytes().to_vec();
    z.extend(id);
    for field in ["a", "b", "xG", "yG"] {
        z.extend(unhex(&ex[field]));
    }
    z.extend(be32(&xa));
    z.extend(be32(&ya));
    let za = sm3(&z);
    assert_eq!(hex::encode(za), ex["ZA"].as_str().unwrap());
    let mut m = za.to_vec();
    m.extend(ex["message_ascii"].as_str().unwrap().as_bytes());
    let e = BigUint::from_bytes_be(&sm3(&m));
    assert_eq!(e, big(&ex["e"]));
    // Signing, §6.1 A4-A6, with the example's k.
    let (x1, _) = curve.mul(&big(&ex["k"]), &g).unwrap();
    let r = (&e + x1) % &curve.n;
    assert_eq!(r, big(&ex["r"]));
    let s = curve.inv(&(BigUint::from(1u32) + &d), &curve.n)
        * ((big(&ex["k"]) + &curve.n - (&r * &d) % &curve.n) % &curve.n)
        % &curve.n;
    assert_eq!(s, big(&ex["s"]));
    // Verification, §7.1 B5-B7, of the published (r, s); and a changed message fails.
    let verify_with = |e: &BigUint| {
        let t = (&r + &s) % &curve.n;
        let sum = curve.add(&curve.mul(&s, &g), &curve.mul(&t, &public));
        (e + sum.unwrap().0) % &curve.n == r
    };
    assert!(verify_with(&e));
    assert!(!verify_with(&(&e + 1u32)));
}

#[test]
fn sm2_recommended_curve_matches_the_crate() {
    // The sm2 crate's generator is the GB/T 32918.5 sm2p256v1 base point.
    let json = data("gbt-sm2-sm3/standard_examples.json");
    let params = &json["sm2p256v1_recommended_curve_gbt32918_5_2017"];
    let mut one = [0u8; 32];
    one[31] = 1;
    let key = PrivateKey::from_secret_bytes(Algorithm::Sm2, &one, DEFAULT_SM2_ID).unwrap();
    let public = key.public_key();
    assert_eq!(public[0], 4);
    assert_eq!(hex::encode(&public[1..33]), params["xG"].as_str().unwrap());
    assert_eq!(hex::encode(&public[33..]), params["yG"].as_str().unwrap());
}

#[test]
fn sm2_signatures_depend_on_the_distinguishing_id() {
    let key =
        PrivateKey::from_secret_bytes(Algorithm::Sm2, &[7u8; 32], "ALICE123@YAHOO.COM").unwrap();
    let signature = key.sign(b"message digest");
    verify(Algorithm::Sm2, &key.public_key(), b"message digest", &signature, "ALICE123@YAHOO.COM")
        .unwrap();
    assert_eq!(
        verify(Algorithm::Sm2, &key.public_key(), b"message digest", &signature, DEFAULT_SM2_ID),
        Err(SignatureError::Invalid { alg: Algorithm::Sm2 })
    );
}

#[test]
fn bad_keys_and_lengths_are_named() {
    assert_eq!(
        verify(Algorithm::Ed25519, &[0u8; 31], b"", &[0u8; 64], ""),
        Err(SignatureError::BadPublicKey { alg: Algorithm::Ed25519, len: 31 })
    );
    assert_eq!(
        verify(Algorithm::Ed25519, &[0u8; 32], b"", &[0u8; 63], ""),
        Err(SignatureError::BadSignatureLength { alg: Algorithm::Ed25519, len: 63 })
    );
    assert!(PrivateKey::from_secret_bytes(Algorithm::Sm2, &[0u8; 32], DEFAULT_SM2_ID).is_err());
    assert_eq!(Algorithm::parse("SM2"), Ok(Algorithm::Sm2));
    assert!(Algorithm::parse("rsa").is_err());
}

#[test]
fn key_files_round_trip_and_detect_mismatch() {
    for alg in [Algorithm::Ed25519, Algorithm::Sm2] {
        let key = PrivateKey::from_secret_bytes(alg, &[9u8; 32], DEFAULT_SM2_ID).unwrap();
        let mut file = KeyFile::from_key(&key);
        assert_eq!(file.to_key().unwrap().public_key(), key.public_key());
        assert!(!format!("{key:?}").contains(&file.secret_key), "Debug must not print the secret");
        file.public_key = hex::encode([1u8; 32]);
        assert_eq!(file.to_key().unwrap_err(), KeyFileError::PublicKeyMismatch);
    }
}

#[test]
fn batch_verification_accepts_good_and_refuses_one_bad() {
    let keys: Vec<PrivateKey> = (0..8u8)
        .map(|i| PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[i; 32], "").unwrap())
        .collect();
    let publics: Vec<Vec<u8>> = keys.iter().map(PrivateKey::public_key).collect();
    let messages: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 10]).collect();
    let mut signatures: Vec<[u8; 64]> =
        keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();
    let items = |sigs: &[[u8; 64]]| -> bool {
        let list: Vec<(&[u8], &[u8], &[u8; 64])> =
            (0..8).map(|i| (publics[i].as_slice(), messages[i].as_slice(), &sigs[i])).collect();
        verify_ed25519_batch(&list).is_ok()
    };
    assert!(items(&signatures));
    signatures[5][10] ^= 1;
    assert!(!items(&signatures));
}

#[test]
fn small_order_and_non_canonical_encodings_are_recognised() {
    // The eight torsion points, each with either sign bit.
    for point in curve25519_dalek::constants::EIGHT_TORSION {
        let mut encoding = point.compress().to_bytes();
        assert!(small_order_encoding(&encoding), "{encoding:?}");
        encoding[31] ^= 0x80;
        assert!(small_order_encoding(&encoding));
    }
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[3; 32], "").unwrap();
    let public: [u8; 32] = key.public_key().try_into().unwrap();
    assert!(!small_order_encoding(&public));
    assert!(canonical_y(&public));
    // p = 2^255 - 19 and p + 1 encode 0 and 1 again; p - 1 is canonical (y = -1).
    let mut p = [0xff; 32];
    p[31] = 0x7f;
    p[0] = 0xed;
    assert!(!canonical_y(&p));
    p[0] = 0xee;
    assert!(!canonical_y(&p));
    p[0] = 0xec;
    assert!(canonical_y(&p));
    p[31] = 0xff; // the sign bit does not enter y
    assert!(canonical_y(&p));
}

/// A signature whose `R` is replaced by a small-order point or a non-canonical encoding of
/// its own `y`: refused one by one, and the batch must not accept it either.
#[test]
fn batch_results_equal_one_by_one_results_for_malformed_r() {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[5; 32], "").unwrap();
    let ed = Ed25519Key::decode(&key.public_key()).unwrap();
    let good =
        |i: u8| Ed25519Check { key: ed, message: vec![i; 12], signature: key.sign(&[i; 12]) };
    let mut small_r = good(1);
    small_r.signature[..32]
        .copy_from_slice(&curve25519_dalek::constants::EIGHT_TORSION[3].compress().to_bytes());
    // y + p is a non-canonical encoding when y < 19; make R = (y = 1) + p: the identity.
    let mut non_canonical = good(2);
    let mut enc = [0xff; 32];
    enc[31] = 0x7f;
    enc[0] = 0xee;
    non_canonical.signature[..32].copy_from_slice(&enc);
    let checks = [good(0), small_r, non_canonical, good(3), good(4)];
    let refs: Vec<&Ed25519Check> = checks.iter().collect();
    let batched = verify_ed25519_checks(&refs);
    let alone: Vec<_> = checks.iter().map(Ed25519Check::verify).collect();
    assert_eq!(batched, alone);
    assert_eq!(batched.iter().filter(|r| r.is_ok()).count(), 3);
    assert!(!checks[1].batchable() && !checks[2].batchable() && checks[0].batchable());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ed25519_sign_verify_round_trips_and_any_flipped_bit_fails(
        seed in any::<[u8; 32]>(), message in prop::collection::vec(any::<u8>(), 0..200), bit in any::<prop::sample::Index>()
    ) {
        let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &seed, "").unwrap();
        let signature = key.sign(&message);
        prop_assert!(verify(Algorithm::Ed25519, &key.public_key(), &message, &signature, "").is_ok());
        let mut bad = signature;
        let i = bit.index(512);
        bad[i / 8] ^= 1 << (i % 8);
        prop_assert!(verify(Algorithm::Ed25519, &key.public_key(), &message, &bad, "").is_err());
        if !message.is_empty() {
            let mut changed = message.clone();
            let j = bit.index(changed.len() * 8);
            changed[j / 8] ^= 1 << (j % 8);
            prop_assert!(verify(Algorithm::Ed25519, &key.public_key(), &changed, &signature, "").is_err());
        }
    }

    #[test]
    fn sm2_sign_verify_round_trips_and_any_flipped_bit_fails(
        seed in any::<[u8; 32]>(), message in prop::collection::vec(any::<u8>(), 1..100), bit in any::<prop::sample::Index>()
    ) {
        let Ok(key) = PrivateKey::from_secret_bytes(Algorithm::Sm2, &seed, DEFAULT_SM2_ID) else {
            return Ok(());
        };
        let signature = key.sign(&message);
        prop_assert!(verify(Algorithm::Sm2, &key.public_key(), &message, &signature, DEFAULT_SM2_ID).is_ok());
        let mut bad = signature;
        let i = bit.index(512);
        bad[i / 8] ^= 1 << (i % 8);
        prop_assert!(verify(Algorithm::Sm2, &key.public_key(), &message, &bad, DEFAULT_SM2_ID).is_err());
        let mut changed = message.clone();
        let j = bit.index(changed.len() * 8);
        changed[j / 8] ^= 1 << (j % 8);
        prop_assert!(verify(Algorithm::Sm2, &key.public_key(), &changed, &signature, DEFAULT_SM2_ID).is_err());
    }

    /// Batches of good and damaged signatures under several keys: each result is exactly the
    /// one-by-one result.
    #[test]
    fn batch_verification_decides_each_signature_as_alone(
        damage in prop::collection::vec(prop::option::of(0usize..512), 1..24)
    ) {
        let keys: Vec<PrivateKey> = (0..3u8)
            .map(|i| PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[i + 40; 32], "").unwrap())
            .collect();
        let checks: Vec<Ed25519Check> = damage
            .iter()
            .enumerate()
            .map(|(i, flip)| {
                let key = &keys[i % keys.len()];
                let message = format!("message {i}").into_bytes();
                let mut signature = key.sign(&message);
                if let Some(bit) = flip {
                    signature[bit / 8] ^= 1 << (bit % 8);
                }
                Ed25519Check { key: Ed25519Key::decode(&key.public_key()).unwrap(), message, signature }
            })
            .collect();
        let refs: Vec<&Ed25519Check> = checks.iter().collect();
        let alone: Vec<_> = checks.iter().map(Ed25519Check::verify).collect();
        prop_assert_eq!(verify_ed25519_checks(&refs), alone.clone());
        // The equation itself (not just the one-by-one fallback): it holds exactly when every
        // signature is good, and agrees with ed25519-dalek's own batch verification.
        if refs.len() >= 2 {
            let holds = batch_equation_holds(&refs);
            prop_assert_eq!(holds, alone.iter().all(Result::is_ok));
            let messages: Vec<&[u8]> = checks.iter().map(|c| c.message.as_slice()).collect();
            let signatures: Vec<ed25519_dalek::Signature> =
                checks.iter().map(|c| ed25519_dalek::Signature::from_bytes(&c.signature)).collect();
            let keys: Vec<ed25519_dalek::VerifyingKey> = checks.iter().map(|c| c.key.key).collect();
            prop_assert_eq!(holds, ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok());
        }
    }
}
