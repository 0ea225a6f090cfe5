//! Block reader: GeoTIFF metadata plus row windows of one band, decoded chunk by chunk.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use crate::{Crs, GeoTiffError, GeoTransform, SampleType};

/// What a GeoTIFF holds, read from its first IFD.
#[derive(Debug, Clone, PartialEq)]
pub struct RasterInfo {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Bands (SamplesPerPixel).
    pub bands: usize,
    /// Sample type of every band.
    pub sample_type: SampleType,
    /// TIFF Compression code (1 none, 5 LZW, 8/32946 deflate).
    pub compression: u16,
    /// Tiled (true) or stripped.
    pub tiled: bool,
    /// Chunk (tile or strip) width and height.
    pub chunk: (usize, usize),
    /// Whether bands are stored in separate planes (PlanarConfiguration = 2).
    pub planar: bool,
    /// The grid, if georeferenced.
    pub transform: Option<GeoTransform>,
    /// The CRS from the GeoKeys.
    pub crs: Crs,
    /// GDAL_NODATA, if present.
    pub nodata: Option<f64>,
}

/// The most bytes of samples one byte of a file can decode to (LZW's bound, above DEFLATE's
/// 1032); see [`GeoTiffReader::new`].
const MAX_EXPANSION: usize = 4096;

/// One decoded row of chunks of one band (`width * rows` values, NaN for nodata).
#[derive(Debug)]
struct ChunkRow {
    index: usize,
    rows: usize,
    values: Vec<f64>,
}

/// Reads row windows of a GeoTIFF's bands, keeping one row of chunks per band in memory.
pub struct GeoTiffReader<R: Read + Seek> {
    decoder: Decoder<R>,
    info: RasterInfo,
    cache: HashMap<usize, ChunkRow>,
    peak_cache_bytes: usize,
    /// The last decoded chunk as doubles, kept for its buffer.
    decoded: Vec<f64>,
}

impl std::fmt::Debug for GeoTiffReader<BufReader<File>> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoTiffReader").field("info", &self.info).finish_non_exhaustive()
    }
}

impl GeoTiffReader<BufReader<File>> {
    /// Opens a file and reads its metadata.
    ///
    /// # Errors
    /// I/O errors, a malformed TIFF, unsupported compression or sample type, malformed GeoTIFF tags.
    pub fn open(path: &Path) -> Result<Self, GeoTiffError> {
        Self::new(BufReader::new(File::open(path)?))
    }
}

impl GeoTiffReader<Cursor<Vec<u8>>> {
    /// Reads a GeoTIFF held in memory.
    ///
    /// # Errors
    /// As [`GeoTiffReader::open`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, GeoTiffError> {
        Self::new(Cursor::new(bytes))
    }
}

fn geokeys(keys: &[u16]) -> Result<HashMap<u16, u16>, GeoTiffError> {
    let malformed = |reason: &str| GeoTiffError::Malformed {
        tag: "GeoKeyDirectoryTag",
        reason: reason.to_owned(),
    };
    if keys.len() < 4 {
        return Err(malformed("shorter than its 4-value header"));
    }
    let n = usize::from(keys[3]);
    let entries =
        keys.get(4..4 + 4 * n).ok_or_else(|| malformed("fewer keys than its header says"))?;
    // GeoTIFF 1.1 §7.1.3: key id, TIFF tag location (0 = value inline), count, value/offset.
    Ok(entries.chunks_exact(4).filter(|e| e[1] == 0).map(|e| (e[0], e[3])).collect())
}

impl<R: Read + Seek> GeoTiffReader<R> {
    /// Reads the metadata of the first image.
    ///
    /// # Errors
    /// As [`GeoTiffReader::open`].
    pub fn new(mut reader: R) -> Result<Self, GeoTiffError> {
        let file_len = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        let mut limits = Limits::default();
        limits.decoding_buffer_size = 512 << 20;
        let mut decoder = Decoder::new(reader)?.with_limits(limits);
        let compression = decoder.find_tag_unsigned::<u16>(Tag::Compression)?.unwrap_or(1);
        if !matches!(compression, 1 | 5 | 8 | 32946) {
            return Err(GeoTiffError::UnsupportedCompression(compression));
        }
        let (width, height) = decoder.dimensions()?;
        let bands =
            usize::from(decoder.find_tag_unsigned::<u16>(Tag::SamplesPerPixel)?.unwrap_or(1));
        let bits = decoder
            .find_tag_unsigned_vec::<u16>(Tag::BitsPerSample)?
            .and_then(|v| v.first().copied())
            .unwrap_or(1);
        let format = decoder
            .find_tag_unsigned_vec::<u16>(Tag::SampleFormat)?
            .and_then(|v| v.first().copied())
            .unwrap_or(1);
        let sample_type = match (bits, format) {
            (8, 1) => SampleType::U8,
            (8, 2) => SampleType::I8,
            (16, 1) => SampleType::U16,
            (16, 2) => SampleType::I16,
            (32, 1) => SampleType::U32,
            (32, 2) => SampleType::I32,
            (32, 3) => SampleType::F32,
            (64, 3) => SampleType::F64,
            _ => return Err(GeoTiffError::UnsupportedSampleType { bits, format }),
        };
        let planar = decoder.find_tag_unsigned::<u16>(Tag::PlanarConfiguration)?.unwrap_or(1) == 2;
        let tiled = decoder.get_chunk_type() == tiff::decoder::ChunkType::Tile;
        let (cw, ch) = decoder.chunk_dimensions();
        let transform = read_transform(&mut decoder)?;
        let crs = match decoder.find_tag(Tag::GeoKeyDirectoryTag)? {
            Some(value) => {
                let keys: Vec<u16> = value.into_u16_vec()?;
                let keys = geokeys(&keys)?;
                // GeoTIFF 1.1 §7.5: GTModelTypeGeoKey 1024 (1 projected, 2 geographic),
                // GeodeticCRSGeoKey 2048, ProjectedCRSGeoKey 3072.
                match keys.get(&1024) {
                    Some(2) => Crs::Geographic(keys.get(&2048).copied().unwrap_or(0)),
                    Some(1) => Crs::Projected(keys.get(&3072).copied().unwrap_or(0)),
                    _ => Crs::Unknown,
                }
            }
            None => Crs::Unknown,
        };
        let nodata = match decoder.find_tag(Tag::GdalNodata)? {
            Some(value) => {
                let text = value.into_string()?;
                let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
                Some(text.parse::<f64>().map_err(|_| GeoTiffError::Malformed {
                    tag: "GDAL_NODATA",
                    reason: format!("{text:?} is not a number"),
                })?)
            }
            None => None,
        };
        let transform = match (transform, decoder.find_tag(Tag::GeoKeyDirectoryTag)?) {
            // GeoTIFF 1.1 §7.5.2.2: GTRasterTypeGeoKey 1025 = 2 (PixelIsPoint) puts the tiepoint
            // at the pixel centre; shift to the corner as GDAL does.
            (Some(mut t), Some(value)) => {
                let keys = geokeys(&value.into_u16_vec()?)?;
                if keys.get(&1025) == Some(&2) {
                    t.origin_x -= t.pixel_width / 2.0;
                    t.origin_y += t.pixel_height / 2.0;
                }
                Some(t)
            }
            (t, _) => t,
        };
        let info = RasterInfo {
            width: width as usize,
            height: height as usize,
            bands,
            sample_type,
            compression,
            tiled,
            chunk: (cw as usize, ch as usize),
            planar,
            transform,
            crs,
            nodata,
        };
        if info.chunk.0 == 0 || info.chunk.1 == 0 || bands == 0 {
            return Err(GeoTiffError::Malformed {
                tag: "TileWidth/RowsPerStrip",
                reason: "zero-sized chunks".into(),
            });
        }
        // Found by fuzzing (issue 22): a file of 2 KB claiming 6 million columns made reading 64
        // rows reserve 3 GB. The bytes of a file bound what it can decode to: DEFLATE expands at
        // most 1032-fold and LZW (12-bit codes, strings of at most 4096 bytes) at most 4096-fold,
        // so a file claiming more samples than that is damaged and is refused before any block
        // is held in memory.
        let sample_bytes = usize::from(bits.div_ceil(8));
        let claimed = info
            .width
            .checked_mul(info.height)
            .and_then(|n| n.checked_mul(bands))
            .and_then(|n| n.checked_mul(sample_bytes));
        let most = usize::try_from(file_len).unwrap_or(usize::MAX).saturating_mul(MAX_EXPANSION);
        if claimed.is_none_or(|n| n > most) {
            return Err(GeoTiffError::Malformed {
                tag: "ImageWidth",
                reason: format!(
                    "{} × {} pixels of {bands} bands cannot be stored in {file_len} bytes; the file is damaged",
                    info.width, info.height
                ),
            });
        }
        Ok(Self { decoder, info, cache: HashMap::new(), peak_cache_bytes: 0, decoded: Vec::new() })
    }

    /// The metadata.
    pub fn info(&self) -> &RasterInfo {
        &self.info
    }

    /// The most bytes of decoded chunks this reader has held at once.
    pub fn peak_cache_bytes(&self) -> usize {
        self.peak_cache_bytes
    }

    /// Reads rows `start..start + n_rows` of `band` (0-based) into `out` as `f64`, nodata as NaN.
    ///
    /// # Errors
    /// Out-of-range band or rows, or a chunk that fails to decode.
    pub fn read_rows(
        &mut self,
        band: usize,
        start: usize,
        n_rows: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), GeoTiffError> {
        let info = &self.info;
        if band >= info.bands {
            return Err(GeoTiffError::BandOutOfRange { band: band + 1, bands: info.bands });
        }
        let end = start.checked_add(n_rows).filter(|&e| e <= info.height).ok_or(
            GeoTiffError::RowsOutOfRange {
                start,
                end: start.saturating_add(n_rows),
                height: info.height,
            },
        )?;
        out.clear();
        // The width comes from the file: a damaged one can claim more than memory holds.
        n_rows.checked_mul(info.width).and_then(|cells| out.try_reserve(cells).ok()).ok_or_else(
            || GeoTiffError::Malformed {
                tag: "ImageWidth",
                reason: format!(
                    "{} columns × {n_rows} rows do not fit in memory; the file is damaged or \
                     the rows must be read in smaller blocks",
                    info.width
                ),
            },
        )?;
        let ch = info.chunk.1;
        let width = info.width;
        let mut row = start;
        while row < end {
            let chunk_row = row / ch;
            if self.cache.get(&band).is_none_or(|c| c.index != chunk_row) {
                self.load_chunk_row(band, chunk_row)?;
            }
            let cached = self.cache.get(&band).expect("loaded above");
            let first = row - chunk_row * ch;
            let last = (end - chunk_row * ch).min(cached.rows);
            out.extend_from_slice(&cached.values[first * width..last * width]);
            row = chunk_row * ch + last;
        }
        Ok(())
    }

    /// Reads a whole band (convenience for small rasters and tests).
    ///
    /// # Errors
    /// As [`GeoTiffReader::read_rows`].
    pub fn read_band(&mut self, band: usize) -> Result<Vec<f64>, GeoTiffError> {
        let mut out = Vec::new();
        self.read_rows(band, 0, self.info.height, &mut out)?;
        Ok(out)
    }

    fn load_chunk_row(&mut self, band: usize, chunk_row: usize) -> Result<(), GeoTiffError> {
        let info = self.info.clone();
        let (cw, ch) = info.chunk;
        let across = info.width.div_ceil(cw);
        let down = info.height.div_ceil(ch);
        let rows = ch.min(info.height - chunk_row * ch);
        // Chunky files decode every band at once; keep them all.
        let bands_here: Vec<usize> =
            if info.planar || info.bands == 1 { vec![band] } else { (0..info.bands).collect() };
        // The chunk row this one replaces gives its buffer back: a fresh one per chunk row cost
        // a fifth of the SDG 15.3.1 pipeline's time in page faults.
        let mut planes: Vec<Vec<f64>> = bands_here
            .iter()
            .map(|slot| {
                let mut plane = self.cache.remove(slot).map(|c| c.values).unwrap_or_default();
                plane.clear();
                plane.resize(info.width * rows, f64::NAN);
                plane
            })
            .collect();
        let mut data = std::mem::take(&mut self.decoded);
        for col in 0..across {
            let plane_offset = if info.planar { band * across * down } else { 0 };
            let index = plane_offset + chunk_row * across + col;
            let index = u32::try_from(index).map_err(|_| GeoTiffError::TooLarge)?;
            // read_chunk validates the index first; chunk_data_dimensions would panic on a bad one.
            to_f64(self.decoder.read_chunk(index)?, &mut data);
            // The decoder's own layout of this chunk (its row stride); for planar tiled files
            // it may report a bottom/right tile of a later plane unclipped, so clip ourselves.
            let (sw, sh) = self.decoder.chunk_data_dimensions(index);
            let (sw, sh) = (sw as usize, sh as usize);
            let samples = if info.planar { 1 } else { info.bands };
            let dw = cw.min(info.width - col * cw).min(sw);
            let dh = rows.min(sh);
            if data.len() < sw * sh * samples {
                return Err(GeoTiffError::Malformed {
                    tag: "chunk",
                    reason: format!(
                        "chunk {index} decodes to {} values, expected {}",
                        data.len(),
                        sw * sh * samples
                    ),
                });
            }
            for r in 0..dh {
                let dst = r * info.width + col * cw;
                if samples == 1 {
                    planes[0][dst..dst + dw].copy_from_slice(&data[r * sw..r * sw + dw]);
                    continue;
                }
                for c in 0..dw {
                    let base = (r * sw + c) * samples;
                    for (slot, plane) in planes.iter_mut().enumerate() {
                        plane[dst + c] = data[base + bands_here[slot]];
                    }
                }
            }
        }
        if let Some(nodata) = info.nodata {
            for plane in &mut planes {
                for v in plane.iter_mut() {
                    #[expect(clippy::float_cmp, reason = "GDAL nodata is an exact sentinel value")]
                    if *v == nodata {
                        *v = f64::NAN;
                    }
                }
            }
        }
        self.decoded = data;
        for (slot, values) in bands_here.into_iter().zip(planes) {
            self.cache.insert(slot, ChunkRow { index: chunk_row, rows, values });
        }
        let bytes: usize = self.cache.values().map(|c| c.values.len() * 8).sum();
        self.peak_cache_bytes = self.peak_cache_bytes.max(bytes);
        Ok(())
    }
}

fn read_transform<R: Read + Seek>(
    decoder: &mut Decoder<R>,
) -> Result<Option<GeoTransform>, GeoTiffError> {
    let malformed = |tag, reason: &str| GeoTiffError::Malformed { tag, reason: reason.to_owned() };
    if let Some(value) = decoder.find_tag(Tag::ModelTransformationTag)? {
        let m = value.into_f64_vec()?;
        if m.len() != 16 {
            return Err(malformed("ModelTransformationTag", "needs 16 values"));
        }
        if m[1] != 0.0 || m[4] != 0.0 {
            return Err(GeoTiffError::Rotated);
        }
        return checked(GeoTransform {
            origin_x: m[3],
            origin_y: m[7],
            pixel_width: m[0],
            pixel_height: -m[5],
        })
        .map(Some);
    }
    let scale = decoder.find_tag(Tag::ModelPixelScaleTag)?;
    let tie = decoder.find_tag(Tag::ModelTiepointTag)?;
    match (scale, tie) {
        (Some(scale), Some(tie)) => {
            let s = scale.into_f64_vec()?;
            let t = tie.into_f64_vec()?;
            if s.len() < 2 || t.len() < 6 {
                return Err(malformed("ModelPixelScaleTag/ModelTiepointTag", "too few values"));
            }
            // GeoTIFF 1.1 §7.3: the tiepoint (I, J) → (X, Y); rows go towards −Y.
            checked(GeoTransform {
                origin_x: t[3] - t[0] * s[0],
                origin_y: t[4] + t[1] * s[1],
                pixel_width: s[0],
                pixel_height: s[1],
            })
            .map(Some)
        }
        _ => Ok(None),
    }
}

fn checked(t: GeoTransform) -> Result<GeoTransform, GeoTiffError> {
    let ok = [t.origin_x, t.origin_y, t.pixel_width, t.pixel_height].iter().all(|v| v.is_finite())
        && t.pixel_width > 0.0
        && t.pixel_height > 0.0;
    if ok {
        Ok(t)
    } else {
        Err(GeoTiffError::Malformed {
            tag: "ModelPixelScaleTag",
            reason: format!("not a north-up grid: {t:?}"),
        })
    }
}

/// Converts a decoded chunk into `out`, reusing its buffer.
fn to_f64(result: DecodingResult, out: &mut Vec<f64>) {
    out.clear();
    match result {
        DecodingResult::U8(v) => out.extend(v.into_iter().map(f64::from)),
        DecodingResult::I8(v) => out.extend(v.into_iter().map(f64::from)),
        DecodingResult::U16(v) => out.extend(v.into_iter().map(f64::from)),
        DecodingResult::I16(v) => out.extend(v.into_iter().map(f64::from)),
        DecodingResult::U32(v) => out.extend(v.into_iter().map(f64::from)),
        DecodingResult::I32(v) => out.extend(v.into_iter().map(f64::from)),
        #[expect(
            clippy::cast_precision_loss,
            reason = "64-bit integers beyond 2^53 are not raster values we use"
        )]
        DecodingResult::U64(v) => out.extend(v.into_iter().map(|x| x as f64)),
        #[expect(
            clippy::cast_precision_loss,
            reason = "64-bit integers beyond 2^53 are not raster values we use"
        )]
        DecodingResult::I64(v) => out.extend(v.into_iter().map(|x| x as f64)),
        DecodingResult::F16(v) => out.extend(v.into_iter().map(f64::from)),
        DecodingResult::F32(v) => out.extend(v.into_iter().map(f64::from)),
        DecodingResult::F64(v) => out.extend_from_slice(&v),
    }
}

#[cfg(test)]
mod tests;
