//! A raster larger than the memory limit set for the test is processed block by block.

use caravan_geotiff::{Compression, Layout, SampleType};

use crate::common::{spec, write};

#[test]
fn ndvi_stack_larger_than_the_block_budget() {
    const LIMIT: usize = 8 << 20; // 8 MiB for decoded blocks and chunk caches
    let (w, h, years) = (640, 640, 12);
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let s = spec(w, h);
    write(
        &p("n.tif"),
        &s,
        years,
        SampleType::I16,
        Layout::Tiled(32),
        Compression::Deflate,
        |b, r, c| {
            3000.0 + ((r * 31 + c * 17 + b * 7) % 23) as f64
                - if r < 100 { 40.0 * b as f64 } else { 0.0 }
        },
    );
    write(
        &p("l.tif"),
        &s,
        2,
        SampleType::U8,
        Layout::Stripped(16),
        Compression::Deflate,
        |_, _, _| 3.0,
    );
    write(
        &p("s.tif"),
        &s,
        2,
        SampleType::I16,
        Layout::Tiled(32),
        Compression::Deflate,
        |_, _, _| 40.0,
    );
    write(
        &p("z.tif"),
        &s,
        2,
        SampleType::I16,
        Layout::Tiled(32),
        Compression::Deflate,
        |_, _, _| 1.0,
    );
    let out = p("out");
    crate::common::land(&[
        "sdg15",
        "--ndvi",
        p("n.tif").to_str().unwrap(),
        "--ndvi-years",
        "2003-2014",
        "--land-cover",
        p("l.tif").to_str().unwrap(),
        "--soc",
        p("s.tif").to_str().unwrap(),
        "--zones",
        p("z.tif").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--block-rows",
        "32",
    ])
    .unwrap();
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let peak = run["peak_block_bytes"].as_u64().unwrap() as usize;
    let whole = run["input_decoded_bytes"].as_u64().unwrap() as usize;
    assert!(
        whole > 4 * LIMIT,
        "the decoded inputs ({whole} B) must exceed the limit several times"
    );
    assert!(peak <= LIMIT, "peak block memory {peak} B exceeds the {LIMIT} B limit");
    assert!(peak > 0);
    let sdg = crate::common::read_layer(&out.join("sdg_15_3_1.tif"));
    assert_eq!(sdg.len(), w * h);
    assert_eq!(sdg[10 * w + 10], -1.0, "planted decline in the first 100 rows");
}
