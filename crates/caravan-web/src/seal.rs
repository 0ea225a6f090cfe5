//! Private signing keys at rest: sealed with the server's master key, which lives in a file of
//! mode 0600 in the data folder (`cert-master.key`, 32 random bytes in hex).
//!
//! The seal is XChaCha20-Poly1305 (RFC 8439 AEAD with the extended 24-byte nonce of
//! draft-irtf-cfrg-xchacha), RustCrypto's `chacha20poly1305` crate: a random nonce per seal and
//! the context as associated data, which binds a sealed key to its organisation and key id so
//! rows cannot be swapped. Layout: `0x02 || nonce (24) || ciphertext (32) || tag (16)`. Key
//! material is never logged.

use std::path::Path;
use std::sync::OnceLock;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const VERSION: u8 = 2;
const NONCE_LEN: usize = 24;
const SEALED_LEN: usize = 1 + NONCE_LEN + 32 + 16;
/// The master key's file name in the data folder.
pub const MASTER_KEY_FILE: &str = "cert-master.key";

/// 32 random bytes from the operating system's generator.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Seals 32 secret bytes under `master`, bound to `context`.
pub fn seal(master: &[u8; 32], context: &[u8], secret: &[u8; 32]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(master.into());
    let mut out = Vec::with_capacity(SEALED_LEN);
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    // Encryption of a 32-byte message cannot fail (the AEAD's only error is a length overflow).
    if let Ok(ciphertext) =
        cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad: context })
    {
        out.extend_from_slice(&ciphertext);
    }
    out
}

/// Opens a sealed secret; `None` when it was altered, bound to another context or sealed under
/// another master key.
pub fn open(master: &[u8; 32], context: &[u8], sealed: &[u8]) -> Option<[u8; 32]> {
    if sealed.len() != SEALED_LEN || sealed[0] != VERSION {
        return None;
    }
    let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(master.into());
    let plain = cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context })
        .ok()?;
    <[u8; 32]>::try_from(plain.as_slice()).ok()
}

/// The master key: read from `{data_dir}/cert-master.key`, created (mode 0600) when missing.
/// Without a data folder (tests that keep nothing on disk) it is a random key held in memory
/// for the life of the process.
///
/// # Errors
/// When the file cannot be created or read, or does not hold 32 bytes of hex.
pub fn master_key(data_dir: Option<&Path>) -> anyhow::Result<[u8; 32]> {
    let Some(dir) = data_dir else {
        static EPHEMERAL: OnceLock<[u8; 32]> = OnceLock::new();
        return Ok(*EPHEMERAL.get_or_init(random_bytes));
    };
    let path = dir.join(MASTER_KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                use std::io::Write as _;
                file.write_all(hex::encode(random_bytes()).as_bytes())?;
                file.sync_all()?;
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(anyhow::anyhow!("creating {}: {err}", path.display())),
        }
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|err| anyhow::anyhow!("reading {}: {err}", path.display()))?;
    hex::decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| anyhow::anyhow!("{} must hold 32 bytes of hex", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_unchanged_in_their_context() {
        let master = [7u8; 32];
        let secret = [42u8; 32];
        let sealed = seal(&master, b"org 1 kid a", &secret);
        assert_ne!(&sealed[1 + NONCE_LEN..1 + NONCE_LEN + 32], &secret[..], "ciphertext hides it");
        assert_eq!(open(&master, b"org 1 kid a", &sealed), Some(secret));
        assert_eq!(open(&master, b"org 2 kid a", &sealed), None, "bound to its context");
        assert_eq!(open(&[8u8; 32], b"org 1 kid a", &sealed), None, "another master key");
        for idx in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[idx] ^= 1;
            assert_eq!(open(&master, b"org 1 kid a", &bad), None, "flipped byte {idx}");
        }
        assert_ne!(seal(&master, b"c", &secret), seal(&master, b"c", &secret), "fresh nonce");
    }

    #[test]
    fn master_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = master_key(Some(dir.path())).unwrap();
        assert_eq!(master_key(Some(dir.path())).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode =
                std::fs::metadata(dir.path().join(MASTER_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
