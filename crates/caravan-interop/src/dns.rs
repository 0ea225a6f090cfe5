//! Pinned DNS TXT records, obtained out of band, that let an officer check an OpenAttestation
//! issuer's identity offline. The file is JSON: either an array of `{"name", "data"}` or a DNS
//! JSON answer as DNS-over-HTTPS resolvers write it (`{"Answer": [{"name", "type": 16, "data"}]}`).
//!
//! Record forms (OpenAttestation "DNS-TXT" and "DNS-DID" identity proofs):
//! `openatts net=ethereum netId=1 addr=0x…` and `openatts a=dns-did; p=did:ethr:0x…#controller; v=1.0;`.

use serde_json::Value;

/// One TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtRecord {
    /// Domain name, lowercase, without the final dot.
    pub name: String,
    /// The record's text, without surrounding quotes.
    pub data: String,
}

/// The pinned records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinnedRecords {
    /// Every record, in file order.
    pub records: Vec<TxtRecord>,
}

/// Why a records file was refused.
#[derive(Debug, thiserror::Error)]
pub enum DnsRecordsError {
    /// Not JSON.
    #[error("the DNS records file is not JSON: {0}")]
    Json(String),
    /// JSON of the wrong shape.
    #[error(
        "the DNS records file must be an array of {{\"name\", \"data\"}} or a DNS JSON answer with \"Answer\"; {0}"
    )]
    Shape(String),
}

fn normalise_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl PinnedRecords {
    /// Reads the records file.
    ///
    /// # Errors
    /// Not JSON, or a record without a string `name` and `data`.
    pub fn parse(text: &str) -> Result<Self, DnsRecordsError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| DnsRecordsError::Json(e.to_string()))?;
        let items = match &value {
            Value::Array(items) => items,
            Value::Object(map) => match map.get("Answer") {
                Some(Value::Array(items)) => items,
                _ => return Err(DnsRecordsError::Shape("no \"Answer\" array".to_owned())),
            },
            _ => return Err(DnsRecordsError::Shape("found neither".to_owned())),
        };
        let mut records = Vec::new();
        for (idx, item) in items.iter().enumerate() {
            // DNS JSON answers also list CNAMEs and others: keep type 16 (TXT) or untyped ones.
            if item.get("type").and_then(Value::as_u64).is_some_and(|t| t != 16) {
                continue;
            }
            let name = item.get("name").and_then(Value::as_str);
            let data = item.get("data").and_then(Value::as_str);
            let (Some(name), Some(data)) = (name, data) else {
                return Err(DnsRecordsError::Shape(format!(
                    "record {idx} lacks a string name or data"
                )));
            };
            // A TXT record may come as several quoted strings; DNS joins them.
            let data: String = if data.trim_start().starts_with('"') {
                data.split('"').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, s)| s).collect()
            } else {
                data.to_owned()
            };
            records.push(TxtRecord { name: normalise_name(name), data });
        }
        Ok(Self { records })
    }

    /// The OpenAttestation records (`openatts …`) at `name`, as key–value pairs.
    pub fn openatts_at(&self, name: &str) -> Vec<Vec<(String, String)>> {
        let name = normalise_name(name);
        self.records
            .iter()
            .filter(|r| r.name == name)
            .filter_map(|r| {
                let rest = r.data.trim().strip_prefix("openatts")?;
                Some(
                    rest.split(|c: char| c == ';' || c.is_whitespace())
                        .filter_map(|part| part.split_once('='))
                        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                        .collect(),
                )
            })
            .collect()
    }

    /// Whether a DNS-TXT record at `location` names the Ethereum contract `address`.
    pub fn has_dns_txt(&self, location: &str, address: &str) -> bool {
        self.openatts_at(location)
            .iter()
            .any(|pairs| pairs.iter().any(|(k, v)| k == "addr" && v.eq_ignore_ascii_case(address)))
    }

    /// Whether a DNS-DID record at `location` names the key `did_key` (`did:ethr:0x…#controller`).
    pub fn has_dns_did(&self, location: &str, did_key: &str) -> bool {
        self.openatts_at(location).iter().any(|pairs| {
            pairs.iter().any(|(k, v)| k == "a" && v.eq_ignore_ascii_case("dns-did"))
                && pairs.iter().any(|(k, v)| k == "p" && v.eq_ignore_ascii_case(did_key))
        })
    }
}
