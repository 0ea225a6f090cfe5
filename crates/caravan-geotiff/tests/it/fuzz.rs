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
