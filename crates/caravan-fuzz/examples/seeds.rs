//! Writes the seeds that are generated rather than copied from the repository's sample files:
//! the sample certificates and their QR texts, small GeoTIFFs in every layout and compression
//! the writer has, Parquet copies of the CSV seeds in each codec, and multipart forms.
//! `cargo run -p caravan-fuzz --example seeds -- OUT_DIR [CSV_SEEDS_DIR]` writes
//! `OUT_DIR/<target>/…`, which `cargo fuzz cmin` then merges into `fuzz/corpus/<target>/`.

use std::path::{Path, PathBuf};

use caravan_geotiff::{Compression, GeoTransform, GridSpec, Layout, SampleType, write_raster};
use caravan_io::{Codec, csv_to_parquet};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn write(out: &Path, target: &str, name: &str, data: &[u8]) -> Result<()> {
    std::fs::create_dir_all(out.join(target))?;
    std::fs::write(out.join(target).join(name), data)?;
    Ok(())
}

fn certificates(out: &Path) -> Result<()> {
    for (idx, certificate) in caravan_fuzz::sample_certificates().iter().enumerate() {
        write(out, "cert_json", &format!("certificate-{idx}.json"), certificate)?;
        let text = caravan_docsign::qr::encode_certificate(certificate)?;
        write(out, "qr_decode", &format!("certificate-{idx}.txt"), text.as_bytes())?;
    }
    Ok(())
}

fn geotiffs(out: &Path) -> Result<()> {
    let dir = out.join("geotiff");
    std::fs::create_dir_all(&dir)?;
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
    let samples = [SampleType::I16, SampleType::F32, SampleType::U8];
    for (layout_idx, layout) in [Layout::Tiled(16), Layout::Stripped(5)].into_iter().enumerate() {
        for (comp_idx, compression) in
            [Compression::None, Compression::Deflate, Compression::Lzw].into_iter().enumerate()
        {
            let sample = samples[(layout_idx + comp_idx) % samples.len()];
            let path = dir.join(format!("raster-{layout_idx}-{comp_idx}.tif"));
            write_raster(&path, &spec, 2, sample, layout, compression, |b, s, n| {
                (0..n * 20).map(|i| ((i + s + b) % 100) as f64).collect()
            })?;
        }
    }
    Ok(())
}

fn parquets(out: &Path, csv_dir: &Path) -> Result<()> {
    let dir = out.join("tabular_parquet");
    std::fs::create_dir_all(&dir)?;
    let codecs = [Codec::Uncompressed, Codec::Snappy, Codec::Gzip, Codec::Zstd, Codec::Lz4Raw];
    let mut csvs: Vec<PathBuf> =
        std::fs::read_dir(csv_dir)?.map(|e| e.map(|e| e.path())).collect::<std::io::Result<_>>()?;
    csvs.sort();
    for (idx, csv) in csvs.iter().enumerate() {
        let codec = codecs[idx % codecs.len()];
        let path = dir.join(format!("table-{idx}.parquet"));
        // Column names the writer cannot write are skipped, not fatal.
        if let Err(err) = csv_to_parquet(csv, &path, codec, idx % 2 == 0, 16) {
            eprintln!("{}: {err:#}", csv.display());
        }
    }
    Ok(())
}

fn multiparts(out: &Path) -> Result<()> {
    let boundary = "----CaravanFuzzBoundary";
    let forms: [(&str, String); 4] = [
        (
            "csrf-then-file",
            format!(
                "{boundary}\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\docs\\\\a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 body\r\n--{boundary}--\r\n"
            ),
        ),
        (
            "fields",
            format!(
                "{boundary}\npreamble\r\n--{boundary} \r\ncontent-disposition: form-data; name=csrf_token\r\n\r\nxyz\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nline one\r\nline two\r\n--{boundary}--\r\n"
            ),
        ),
        (
            "empty-file-input",
            format!(
                "{boundary}\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nt\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--{boundary}--\r\n"
            ),
        ),
        (
            "file-first",
            format!(
                "{boundary}\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\na,b\n1,2\n\r\n--{boundary}--\r\n"
            ),
        ),
    ];
    for (name, form) in forms {
        write(out, "multipart", &format!("{name}.txt"), form.as_bytes())?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: seeds OUT_DIR [CSV_SEEDS_DIR]")?);
    certificates(&out)?;
    geotiffs(&out)?;
    multiparts(&out)?;
    if let Some(csv_dir) = args.next() {
        parquets(&out, Path::new(&csv_dir))?;
    }
    Ok(())
}
