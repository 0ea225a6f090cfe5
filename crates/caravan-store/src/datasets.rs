//! Storage of analysts' uploaded datasets (issues 6 and 7): trade tables and household surveys, with owner and access rules.
//!
//! A dataset is kept whole (its CSV bytes, at most [`MAX_DATASET_BYTES`]) with the metadata the
//! server validated at upload: kind, name, owner, column names and row count. Sharing is simple
//! and enforced by the server's policy: the owner organisation always sees its datasets; a
//! dataset may also be shared with named organisations and/or with every analyst on the platform.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Change, StoreResult};

/// Largest dataset the store accepts, in bytes (64 MiB): the server's upload limit.
pub const MAX_DATASET_BYTES: usize = 64 * 1024 * 1024;

/// What a dataset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    /// A long trade table (time, location, product, value).
    Trade,
    /// Household-survey microdata (welfare, weight, design columns).
    Survey,
}

impl DatasetKind {
    /// The stable text form used in storage, the API and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetKind::Trade => "trade",
            DatasetKind::Survey => "survey",
        }
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Option<DatasetKind> {
        match text {
            "trade" => Some(DatasetKind::Trade),
            "survey" => Some(DatasetKind::Survey),
            _ => None,
        }
    }
}

/// Who else may read a dataset besides its owner organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sharing {
    /// Organisations whose members may read it.
    pub org_ids: Vec<i64>,
    /// Every analyst on the platform may read it.
    pub all_analysts: bool,
}

/// A dataset's metadata (the bytes are read apart with [`DatasetStore::dataset_bytes`]).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dataset {
    pub id: i64,
    pub kind: DatasetKind,
    pub name: String,
    pub owner_user_id: i64,
    pub owner_org_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Size of the stored bytes.
    pub size_bytes: i64,
    /// Data rows (the header excluded).
    pub n_rows: i64,
    /// The header's column names, in order.
    pub columns: Vec<String>,
    pub sharing: Sharing,
}

/// What is needed to store a dataset; the server has already validated the bytes.
#[derive(Debug, Clone)]
pub struct NewDataset {
    pub kind: DatasetKind,
    pub name: String,
    pub owner_user_id: i64,
    pub owner_org_id: i64,
    pub n_rows: i64,
    pub columns: Vec<String>,
    pub sharing: Sharing,
    pub bytes: Vec<u8>,
}

/// Storage of analysts' uploaded datasets (issues 6 and 7).
#[async_trait]
pub trait DatasetStore: Send + Sync {
    /// Stores a dataset and audits `dataset.create`.
    ///
    /// # Errors
    /// [`crate::StoreError::NotFound`] when the owner organisation does not exist.
    async fn create_dataset(&self, change: &Change, dataset: &NewDataset) -> StoreResult<Dataset>;
    /// One dataset's metadata.
    async fn dataset(&self, id: i64) -> StoreResult<Option<Dataset>>;
    /// All datasets' metadata, oldest first (the server filters by its policy).
    async fn datasets(&self) -> StoreResult<Vec<Dataset>>;
    /// One dataset's stored bytes.
    async fn dataset_bytes(&self, id: i64) -> StoreResult<Option<Vec<u8>>>;
    /// Replaces who else may read a dataset; audits `dataset.share`.
    async fn set_dataset_sharing(
        &self,
        change: &Change,
        id: i64,
        sharing: &Sharing,
    ) -> StoreResult<Dataset>;
    /// Deletes a dataset; audits `dataset.delete`.
    ///
    /// # Errors
    /// [`crate::StoreError::NotFound`] when there is no such dataset.
    async fn delete_dataset(&self, change: &Change, id: i64) -> StoreResult<()>;
}

/// The conformance checks of this part of the port, run on every adapter.
pub async fn conformance(store: &dyn crate::Store) {
    use crate::conformance::t0;
    use crate::{Actor, NewOrganisation, OrgKind, StoreError};

    let change = |minutes: i64| Change {
        actor: Actor::system("test"),
        at: t0() + time::Duration::minutes(minutes),
    };
    let country = caravan_types::CountryCode::parse("UZ").expect("valid");
    let org = store
        .create_organisation(
            &change(0),
            &NewOrganisation {
                name: "Poverty centre".to_owned(),
                kind: OrgKind::PovertyReductionCenter,
                country,
            },
        )
        .await
        .expect("org");
    let other = store
        .create_organisation(
            &change(0),
            &NewOrganisation { name: "Other".to_owned(), kind: OrgKind::PlatformOperator, country },
        )
        .await
        .expect("org");
    let bytes = b"year,exporter,hs,value\n2020,KZ,0101,5\n".to_vec();
    let new = NewDataset {
        kind: DatasetKind::Trade,
        name: "Exports 2020".to_owned(),
        owner_user_id: 0,
        owner_org_id: org.id,
        n_rows: 1,
        columns: vec!["year".into(), "exporter".into(), "hs".into(), "value".into()],
        sharing: Sharing::default(),
        bytes: bytes.clone(),
    };
    let created = store.create_dataset(&change(1), &new).await.expect("create");
    assert_eq!(created.kind, DatasetKind::Trade);
    assert_eq!(created.size_bytes, bytes.len() as i64);
    assert_eq!(created.created_at, t0() + time::Duration::minutes(1));
    assert_eq!(store.dataset(created.id).await.expect("read"), Some(created.clone()));
    assert_eq!(store.dataset_bytes(created.id).await.expect("bytes"), Some(bytes));

    // An unknown owner organisation is refused and nothing is stored.
    let orphan = NewDataset { owner_org_id: org.id + other.id + 100, ..new.clone() };
    let err = store.create_dataset(&change(2), &orphan).await.expect_err("unknown org");
    assert!(matches!(err, StoreError::NotFound { what: "organisation", .. }), "{err:?}");
    assert_eq!(store.datasets().await.expect("list").len(), 1);

    // A survey, shared with another organisation and with all analysts.
    let survey = store
        .create_dataset(
            &change(3),
            &NewDataset {
                kind: DatasetKind::Survey,
                name: "HBS 2024".to_owned(),
                columns: vec!["welfare".into(), "weight".into()],
                bytes: b"welfare,weight\n1,2\n".to_vec(),
                ..new.clone()
            },
        )
        .await
        .expect("create");
    let sharing = Sharing { org_ids: vec![other.id], all_analysts: true };
    let shared = store.set_dataset_sharing(&change(4), survey.id, &sharing).await.expect("share");
    assert_eq!(shared.sharing, sharing);
    assert_eq!(store.dataset(survey.id).await.expect("read").expect("some").sharing, sharing);
    let listed = store.datasets().await.expect("list");
    assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), vec![created.id, survey.id]);

    store.delete_dataset(&change(5), created.id).await.expect("delete");
    assert_eq!(store.dataset(created.id).await.expect("read"), None);
    assert_eq!(store.dataset_bytes(created.id).await.expect("bytes"), None);
    let err = store.delete_dataset(&change(6), created.id).await.expect_err("gone");
    assert!(matches!(err, StoreError::NotFound { what: "dataset", .. }), "{err:?}");
    let err = store.set_dataset_sharing(&change(6), created.id, &sharing).await.expect_err("gone");
    assert!(matches!(err, StoreError::NotFound { what: "dataset", .. }), "{err:?}");

    // Every change was audited, in order, and the chain holds.
    let log = store.audit_entries(0, 100).await.expect("audit");
    let actions: Vec<&str> = log
        .iter()
        .filter(|e| e.action.starts_with("dataset."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["dataset.create", "dataset.create", "dataset.share", "dataset.delete"]);
    assert!(log.iter().any(|e| e.target == format!("dataset:{}", survey.id)));
    crate::verify_audit_chain(&log).expect("unbroken chain");
}
