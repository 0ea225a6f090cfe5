//! "Fuzz" the reader with proptest (cargo-fuzz needs nightly): arbitrary bytes and mutations
//! of valid files must give a value or an error, never a panic or a hang.

use caravan_geotiff::{
    Compression, GeoTiffReader, GeoTransform, GridSpec, Layout, SampleType, write_raster,
};
use proptest::prelude::*;

fn valid(layout: Layout, compression: Compression) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.tif");
    let spec = GridSpec {
        width: 20,
        height: 12,
        transform: GeoTransform {
            origin_x: 70.0,
            origin_y: 40.0,
            pixel_width: 0.1,
            pixel_height: 0.1,
        },
        epsg: 4326,
        nodata: Some(-32768.0),
    };
    write_raster(&path, &spec, 2, SampleType::I16, layout, compression, |b, s, n| {
        (0..n * 20).map(|i| (i + s + b) as f64).collect()
    })
    .unwrap();
    std::fs::read(path).unwrap()
}

/// Reads everything a reader would; the result does not matter, only that it returns.
fn exercise(bytes: Vec<u8>) -> bool {
    let Ok(mut reader) = GeoTiffReader::from_bytes(bytes) else { return false };
    let bands = reader.info().bands.min(4);
    let height = reader.info().height.min(64);
    let mut ok = true;
    for band in 0..bands {
        let mut out = Vec::new();
        ok &= reader.read_rows(band, 0, height, &mut out).is_ok();
    }
    ok
}

#[test]
fn valid_files_read() {
    for layout in [Layout::Tiled(16), Layout::Stripped(5)] {
        for compression in [Compression::None, Compression::Deflate, Compression::Lzw] {
            assert!(exercise(valid(layout, compression)), "{layout:?} {compression:?}");
        }
    }
}

/// A valid little-endian file whose ImageWidth entry claims `width` columns (as a LONG).
fn with_width(mut bytes: Vec<u8>, width: u32) -> Vec<u8> {
    assert_eq!(&bytes[..4], b"II*\0", "the writer writes little-endian classic TIFF");
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]) as usize;
    let entry = (0..n)
        .map(|k| ifd + 2 + 12 * k)
        .find(|&e| u16::from_le_bytes([bytes[e], bytes[e + 1]]) == 256)
        .expect("an ImageWidth entry");
    bytes[entry + 2..entry + 4].copy_from_slice(&4u16.to_le_bytes());
    bytes[entry + 4..entry + 8].copy_from_slice(&1u32.to_le_bytes());
    bytes[entry + 8..entry + 12].copy_from_slice(&width.to_le_bytes());
    bytes
}

#[test]
fn a_width_beyond_memory_is_an_error_not_an_abort() {
    // Found by mutated_files_never_panic: the reader reserved rows × width cells up front and
    // aborted on a 51 GB allocation.
    for layout in [Layout::Tiled(16), Layout::Stripped(5)] {
        let bytes = with_width(valid(layout, Compression::Deflate), 0xFFFF_FFF0);
        let Ok(mut reader) = GeoTiffReader::from_bytes(bytes) else { continue };
        let mut out = Vec::new();
        let err = reader.read_rows(0, 0, reader.info().height.min(64), &mut out);
        assert!(err.is_err(), "{layout:?}: a width of 4 billion columns cannot be read");
    }
}

#[test]
fn issue_22_a_small_file_claiming_millions_of_columns_is_refused_on_opening() {
    // Found by cargo fuzz: 1.5 KB claiming 6.7 million columns made reading 64 rows reserve
    // 3 GB; no compression expands 1.5 KB that far, so the file is refused when opened.
    for layout in [Layout::Tiled(16), Layout::Stripped(5)] {
        let bytes = with_width(valid(layout, Compression::Deflate), 6_700_000);
        // A tiled file also lacks the tiles for so many columns, which the tiff crate notices.
        assert!(GeoTiffReader::from_bytes(bytes).is_err(), "{layout:?}: 6.7 million columns");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut with_header = b"II*\0\x08\0\0\0".to_vec();
        with_header.extend_from_slice(&bytes);
        exercise(bytes);
        exercise(with_header);
    }

    #[test]
    fn mutated_files_never_panic(
        which in 0usize..6,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let layouts = [Layout::Tiled(16), Layout::Stripped(5)];
        let comps = [Compression::None, Compression::Deflate, Compression::Lzw];
        let mut bytes = valid(layouts[which % 2], comps[which / 2]);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            let n = cut.index(bytes.len());
            bytes.truncate(n);
        }
        exercise(bytes);
    }
}
