//! Writers: streamed multi-band GeoTIFFs and int16 Cloud-Optimized GeoTIFFs (little-endian
//! classic TIFF 6.0).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use crate::{GeoTiffError, GeoTransform, SampleType};

/// The grid and CRS of a raster to write (always geographic EPSG:4326 here).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridSpec {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// North-up grid.
    pub transform: GeoTransform,
    /// EPSG code of the geographic CRS (GeodeticCRSGeoKey), e.g. 4326.
    pub epsg: u16,
    /// Value written to GDAL_NODATA, if any.
    pub nodata: Option<f64>,
}

/// Chunking of a written raster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Square tiles of this side (a multiple of 16).
    Tiled(usize),
    /// Strips of this many rows.
    Stripped(usize),
}

/// Compression of a written raster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Code 1.
    None,
    /// Code 8 (zlib).
    Deflate,
    /// Code 5 (TIFF LZW, MSB first, early change).
    Lzw,
}

impl Compression {
    fn code(self) -> u16 {
        match self {
            Compression::None => 1,
            Compression::Deflate => 8,
            Compression::Lzw => 5,
        }
    }

    fn encode(self, raw: &[u8]) -> Result<Vec<u8>, GeoTiffError> {
        match self {
            Compression::None => Ok(raw.to_vec()),
            Compression::Deflate => {
                let mut enc =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(raw)?;
                Ok(enc.finish()?)
            }
            Compression::Lzw => {
                weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                    .encode(raw)
                    .map_err(|e| GeoTiffError::Io(std::io::Error::other(e.to_string())))
            }
        }
    }
}

enum Value {
    Short(Vec<u16>),
    Long(Vec<u32>),
    Double(Vec<f64>),
    Ascii(String),
}

impl Value {
    fn type_and_count(&self) -> (u16, u32) {
        let (ty, n) = match self {
            Value::Short(v) => (3, v.len()),
            Value::Long(v) => (4, v.len()),
            Value::Double(v) => (12, v.len()),
            Value::Ascii(s) => (2, s.len() + 1),
        };
        (ty, u32::try_from(n).expect("tag value counts are small"))
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Short(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Long(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Double(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Ascii(s) => s.bytes().chain(std::iter::once(0)).collect(),
        }
    }
}

/// Serialises one IFD placed at `offset`, its out-of-line values right after it.
fn encode_ifd(
    mut entries: Vec<(u16, Value)>,
    offset: u64,
    next: u32,
) -> Result<Vec<u8>, GeoTiffError> {
    entries.sort_by_key(|e| e.0);
    let n = entries.len();
    let mut data_pos = offset + 2 + 12 * n as u64 + 4;
    let mut head = Vec::with_capacity(2 + 12 * n + 4);
    let mut tail = Vec::new();
    head.extend_from_slice(&u16::try_from(n).expect("few tags").to_le_bytes());
    for (tag, value) in &entries {
        let (ty, count) = value.type_and_count();
        let bytes = value.bytes();
        head.extend_from_slice(&tag.to_le_bytes());
        head.extend_from_slice(&ty.to_le_bytes());
        head.extend_from_slice(&count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut inline = [0u8; 4];
            inline[..bytes.len()].copy_from_slice(&bytes);
            head.extend_from_slice(&inline);
        } else {
            // TIFF 6.0 §2: values are word-aligned.
            if data_pos % 2 == 1 {
                tail.push(0);
                data_pos += 1;
            }
            head.extend_from_slice(
                &u32::try_from(data_pos).map_err(|_| GeoTiffError::TooLarge)?.to_le_bytes(),
            );
            data_pos += bytes.len() as u64;
            tail.extend_from_slice(&bytes);
        }
    }
    head.extend_from_slice(&next.to_le_bytes());
    head.extend_from_slice(&tail);
    Ok(head)
}

struct ImageDesc {
    width: usize,
    height: usize,
    bands: usize,
    sample: SampleType,
    layout: Layout,
    compression: Compression,
    overview: bool,
    geo: Option<GridSpec>,
}

fn ifd_entries(d: &ImageDesc, offsets: Vec<u32>, counts: Vec<u32>) -> Vec<(u16, Value)> {
    let w = u32::try_from(d.width).expect("checked size");
    let h = u32::try_from(d.height).expect("checked size");
    let bands = u16::try_from(d.bands).expect("few bands");
    let mut e = vec![
        (254, Value::Long(vec![u32::from(d.overview)])),
        (256, Value::Long(vec![w])),
        (257, Value::Long(vec![h])),
        (258, Value::Short(vec![d.sample.bits(); d.bands])),
        (259, Value::Short(vec![d.compression.code()])),
        (262, Value::Short(vec![1])),
        (277, Value::Short(vec![bands])),
        (284, Value::Short(vec![if d.bands > 1 { 2 } else { 1 }])),
        (339, Value::Short(vec![d.sample.sample_format(); d.bands])),
    ];
    match d.layout {
        Layout::Tiled(t) => {
            let t = u32::try_from(t).expect("small tile");
            e.push((322, Value::Long(vec![t])));
            e.push((323, Value::Long(vec![t])));
            e.push((324, Value::Long(offsets)));
            e.push((325, Value::Long(counts)));
        }
        Layout::Stripped(r) => {
            e.push((273, Value::Long(offsets)));
            e.push((278, Value::Long(vec![u32::try_from(r).expect("small strip")])));
            e.push((279, Value::Long(counts)));
        }
    }
    if let Some(g) = &d.geo {
        let t = g.transform;
        e.push((33550, Value::Double(vec![t.pixel_width, t.pixel_height, 0.0])));
        e.push((33922, Value::Double(vec![0.0, 0.0, 0.0, t.origin_x, t.origin_y, 0.0])));
        // GeoTIFF 1.1 §7: version 1.1.0, 3 keys: model type geographic, PixelIsArea, the EPSG code.
        e.push((
            34735,
            Value::Short(vec![1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, g.epsg]),
        ));
        if let Some(nd) = g.nodata {
            e.push((42113, Value::Ascii(format!("{nd}"))));
        }
    }
    e
}

fn sample_bytes(sample: SampleType, values: &[f64], out: &mut Vec<u8>) {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "values are in the sample type's range by contract"
    )]
    #[expect(clippy::cast_sign_loss, reason = "values are in the sample type's range by contract")]
    for &v in values {
        match sample {
            SampleType::U8 => out.push(v as u8),
            SampleType::I8 => out.push((v as i8).to_le_bytes()[0]),
            SampleType::U16 => out.extend_from_slice(&(v as u16).to_le_bytes()),
            SampleType::I16 => out.extend_from_slice(&(v as i16).to_le_bytes()),
            SampleType::U32 => out.extend_from_slice(&(v as u32).to_le_bytes()),
            SampleType::I32 => out.extend_from_slice(&(v as i32).to_le_bytes()),
            SampleType::F32 => out.extend_from_slice(&(v as f32).to_le_bytes()),
            SampleType::F64 => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

/// Cuts `rows` (full width, `n_rows` rows) into the chunks of one chunk row, encoded.
fn encode_chunk_row(
    d: &ImageDesc,
    rows: &[f64],
    n_rows: usize,
    fill: f64,
) -> Result<Vec<Vec<u8>>, GeoTiffError> {
    let mut chunks = Vec::new();
    let mut raw = Vec::new();
    match d.layout {
        Layout::Stripped(_) => {
            sample_bytes(d.sample, rows, &mut raw);
            chunks.push(d.compression.encode(&raw)?);
        }
        Layout::Tiled(t) => {
            let mut tile = vec![fill; t * t];
            for tile_col in 0..d.width.div_ceil(t) {
                tile.fill(fill);
                for r in 0..n_rows {
                    let c0 = tile_col * t;
                    let c1 = (c0 + t).min(d.width);
                    tile[r * t..r * t + (c1 - c0)]
                        .copy_from_slice(&rows[r * d.width + c0..r * d.width + c1]);
                }
                raw.clear();
                sample_bytes(d.sample, &tile, &mut raw);
                chunks.push(d.compression.encode(&raw)?);
            }
        }
    }
    Ok(chunks)
}

fn chunk_rows(layout: Layout) -> usize {
    match layout {
        Layout::Tiled(t) | Layout::Stripped(t) => t,
    }
}

/// Streams a georeferenced raster to `path`: bands in separate planes when more than one,
/// data first and the IFD last. `rows(band, start, n_rows)` returns `width * n_rows` values
/// of the band, row-major; it is called once per chunk row, so memory stays at one chunk row.
///
/// # Errors
/// I/O errors, or a file beyond classic TIFF's 4 GiB.
pub fn write_raster<F>(
    path: &Path,
    spec: &GridSpec,
    bands: usize,
    sample: SampleType,
    layout: Layout,
    compression: Compression,
    mut rows: F,
) -> Result<(), GeoTiffError>
where
    F: FnMut(usize, usize, usize) -> Vec<f64>,
{
    check_size(spec.width, spec.height)?;
    let desc = ImageDesc {
        width: spec.width,
        height: spec.height,
        bands,
        sample,
        layout,
        compression,
        overview: false,
        geo: Some(*spec),
    };
    let mut file = BufWriter::new(File::create(path)?);
    file.write_all(&[b'I', b'I', 42, 0, 0, 0, 0, 0])?;
    let mut pos: u64 = 8;
    let (mut offsets, mut counts) = (Vec::new(), Vec::new());
    let step = chunk_rows(layout);
    let fill = spec.nodata.unwrap_or(0.0);
    for band in 0..bands {
        let mut start = 0;
        while start < spec.height {
            let n = step.min(spec.height - start);
            let data = rows(band, start, n);
            if data.len() != n * spec.width {
                return Err(GeoTiffError::Malformed {
                    tag: "rows",
                    reason: format!(
                        "band {band} rows {start}.. gave {} values, expected {}",
                        data.len(),
                        n * spec.width
                    ),
                });
            }
            for chunk in encode_chunk_row(&desc, &data, n, fill)? {
                offsets.push(u32::try_from(pos).map_err(|_| GeoTiffError::TooLarge)?);
                counts.push(u32::try_from(chunk.len()).map_err(|_| GeoTiffError::TooLarge)?);
                file.write_all(&chunk)?;
                pos += chunk.len() as u64;
            }
            start += n;
        }
    }
    if pos % 2 == 1 {
        file.write_all(&[0])?;
        pos += 1;
    }
    let ifd = encode_ifd(ifd_entries(&desc, offsets, counts), pos, 0)?;
    file.write_all(&ifd)?;
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&u32::try_from(pos).map_err(|_| GeoTiffError::TooLarge)?.to_le_bytes())?;
    file.flush()?;
    Ok(())
}

fn check_size(width: usize, height: usize) -> Result<(), GeoTiffError> {
    if width == 0 || height == 0 || u32::try_from(width).is_err() || u32::try_from(height).is_err()
    {
        return Err(GeoTiffError::TooLarge);
    }
    Ok(())
}

/// One resolution level of a COG being built: compressed tiles plus the rows not yet tiled.
struct Level {
    width: usize,
    height: usize,
    factor: usize,
    pending: Vec<f64>,
    pending_rows: usize,
    tiles: Vec<Vec<u8>>,
    rows_seen: usize,
}

/// Builds a single-band int16 Cloud-Optimized GeoTIFF from rows pushed top to bottom.
///
/// Tiles are 256×256, deflate-compressed; overviews halve the size (nearest neighbour, the
/// right choice for class codes) until one tile holds the image. Compressed tiles stay in
/// memory until [`CogWriter::finish`] writes the header, all IFDs, then the tile data from
/// the smallest overview to full resolution (COG spec, OGC 21-026 §7.1).
pub struct CogWriter {
    spec: GridSpec,
    levels: Vec<Level>,
    next_row: usize,
}

/// Tile side of written COGs.
const COG_TILE: usize = 256;

impl CogWriter {
    /// Starts a COG of the given grid.
    ///
    /// # Errors
    /// [`GeoTiffError::TooLarge`] for an empty or oversized grid.
    pub fn new(spec: GridSpec) -> Result<Self, GeoTiffError> {
        check_size(spec.width, spec.height)?;
        let mut levels = Vec::new();
        let (mut w, mut h, mut factor) = (spec.width, spec.height, 1);
        loop {
            levels.push(Level {
                width: w,
                height: h,
                factor,
                // One chunk row of tiles, reserved once: growing it by doubling faulted in
                // fresh pages for every output.
                pending: Vec::with_capacity(w * COG_TILE.min(h)),
                pending_rows: 0,
                tiles: Vec::new(),
                rows_seen: 0,
            });
            if w <= COG_TILE && h <= COG_TILE {
                break;
            }
            w = w.div_ceil(2);
            h = h.div_ceil(2);
            factor *= 2;
        }
        Ok(Self { spec, levels, next_row: 0 })
    }

    /// Appends full-resolution rows (`width * n` values).
    ///
    /// # Errors
    /// Rows beyond the grid, a length that is not whole rows, or a compression failure.
    pub fn push_rows(&mut self, rows: &[i16]) -> Result<(), GeoTiffError> {
        let width = self.spec.width;
        if !rows.len().is_multiple_of(width)
            || self.next_row + rows.len() / width > self.spec.height
        {
            return Err(GeoTiffError::RowsOutOfRange {
                start: self.next_row,
                end: self.next_row + rows.len() / width,
                height: self.spec.height,
            });
        }
        let fill = self.spec.nodata.unwrap_or(0.0);
        for row in rows.chunks_exact(width) {
            let full_row = self.next_row;
            self.next_row += 1;
            for level in &mut self.levels {
                if !full_row.is_multiple_of(level.factor) {
                    continue;
                }
                level.pending.extend(row.iter().step_by(level.factor).map(|&v| f64::from(v)));
                level.pending_rows += 1;
                level.rows_seen += 1;
                if level.pending_rows == COG_TILE || level.rows_seen == level.height {
                    flush_level(level, fill)?;
                }
            }
        }
        Ok(())
    }

    /// Writes the file. All rows must have been pushed.
    ///
    /// # Errors
    /// Missing rows, I/O errors, or a file beyond 4 GiB.
    pub fn finish(self, path: &Path) -> Result<(), GeoTiffError> {
        if self.next_row != self.spec.height {
            return Err(GeoTiffError::RowsOutOfRange {
                start: self.next_row,
                end: self.spec.height,
                height: self.spec.height,
            });
        }
        let descs: Vec<ImageDesc> = self
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| ImageDesc {
                width: l.width,
                height: l.height,
                bands: 1,
                sample: SampleType::I16,
                layout: Layout::Tiled(COG_TILE),
                compression: Compression::Deflate,
                overview: i > 0,
                geo: (i == 0).then_some(self.spec),
            })
            .collect();
        // Sizes of the IFDs do not depend on the offsets' values, so lay out with zeros first.
        let mut ifd_sizes = Vec::new();
        for (d, l) in descs.iter().zip(&self.levels) {
            let n = l.tiles.len();
            ifd_sizes
                .push(encode_ifd(ifd_entries(d, vec![0; n], vec![0; n]), 0, 0)?.len() as u64 + 2);
        }
        let ifd_offsets: Vec<u64> = ifd_sizes
            .iter()
            .scan(8u64, |pos, size| {
                let at = *pos;
                *pos += size;
                Some(at)
            })
            .collect();
        let mut data_pos = 8 + ifd_sizes.iter().sum::<u64>();
        // Tile data: smallest overview first, full resolution last.
        let mut tile_offsets: Vec<Vec<u32>> = vec![Vec::new(); self.levels.len()];
        for (i, l) in self.levels.iter().enumerate().rev() {
            for tile in &l.tiles {
                tile_offsets[i].push(u32::try_from(data_pos).map_err(|_| GeoTiffError::TooLarge)?);
                data_pos += tile.len() as u64;
            }
        }
        let mut file = BufWriter::new(File::create(path)?);
        file.write_all(&[b'I', b'I', 42, 0])?;
        file.write_all(
            &u32::try_from(ifd_offsets[0]).map_err(|_| GeoTiffError::TooLarge)?.to_le_bytes(),
        )?;
        for (i, (d, l)) in descs.iter().zip(&self.levels).enumerate() {
            let next = ifd_offsets
                .get(i + 1)
                .map_or(Ok(0), |&o| u32::try_from(o))
                .map_err(|_| GeoTiffError::TooLarge)?;
            let counts = l
                .tiles
                .iter()
                .map(|t| u32::try_from(t.len()).map_err(|_| GeoTiffError::TooLarge))
                .collect::<Result<_, _>>()?;
            let mut ifd =
                encode_ifd(ifd_entries(d, tile_offsets[i].clone(), counts), ifd_offsets[i], next)?;
            ifd.resize(usize::try_from(ifd_sizes[i]).map_err(|_| GeoTiffError::TooLarge)?, 0);
            file.write_all(&ifd)?;
        }
        for l in self.levels.iter().rev() {
            for tile in &l.tiles {
                file.write_all(tile)?;
            }
        }
        file.flush()?;
        Ok(())
    }
}

fn flush_level(level: &mut Level, fill: f64) -> Result<(), GeoTiffError> {
    let desc = ImageDesc {
        width: level.width,
        height: level.height,
        bands: 1,
        sample: SampleType::I16,
        layout: Layout::Tiled(COG_TILE),
        compression: Compression::Deflate,
        overview: false,
        geo: None,
    };
    let tiles = encode_chunk_row(&desc, &level.pending, level.pending_rows, fill)?;
    level.tiles.extend(tiles);
    level.pending.clear();
    level.pending_rows = 0;
    Ok(())
}
