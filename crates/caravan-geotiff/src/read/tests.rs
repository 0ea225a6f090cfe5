//! Unit tests of the GeoKey directory parsing.

use super::geokeys;

#[test]
fn geokeys_reads_inline_keys_and_rejects_short_directories() {
    // Header 1.1.0 with 3 keys; key 3073 points into GeoAsciiParams (location 34737) and is skipped.
    let dir = [1, 1, 0, 3, 1024, 0, 1, 2, 2048, 0, 1, 4326, 3073, 34737, 7, 0];
    let keys = geokeys(&dir).unwrap();
    assert_eq!(keys.get(&1024), Some(&2));
    assert_eq!(keys.get(&2048), Some(&4326));
    assert_eq!(keys.get(&3073), None);
    assert!(geokeys(&[1, 1, 0]).is_err());
    let err = geokeys(&[1, 1, 0, 2, 1024, 0, 1, 2]).unwrap_err();
    assert!(err.to_string().contains("fewer keys"), "{err}");
}
