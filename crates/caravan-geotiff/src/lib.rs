//! GeoTIFF reading and writing for Caravan's raster engines, block by block.
//!
//! [`GeoTiffReader`] decodes stripped or tiled GeoTIFFs (and so Cloud-Optimized ones) with
//! the `tiff` crate (image-rs: pure Rust, fuzzed upstream, decodes chunks one at a time,
//! which is what streaming needs); it adds the GeoTIFF layer: GeoKeys for the CRS
//! (GeoTIFF 1.1, OGC 19-008r4, §7), ModelPixelScale/ModelTiepoint/ModelTransformation for the
//! grid, and GDAL's nodata tag. It keeps one row of chunks per band in memory, so rasters
//! larger than memory are read in row windows.
//!
//! The writers are ours, because the `tiff` encoder writes neither tiles nor overviews:
//! [`write_raster`] streams multi-band rasters (stripped or tiled, none/deflate/LZW) and
//! [`CogWriter`] builds int16 Cloud-Optimized GeoTIFFs (tiled, deflate, overviews, IFDs
//! before the data; COG spec, OGC 21-026).

mod read;
mod write;

pub use read::{GeoTiffReader, RasterInfo};
pub use write::{CogWriter, Compression, GridSpec, Layout, write_raster};

/// Sample types read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleType {
    /// 8-bit unsigned.
    U8,
    /// 8-bit signed.
    I8,
    /// 16-bit unsigned.
    U16,
    /// 16-bit signed.
    I16,
    /// 32-bit unsigned.
    U32,
    /// 32-bit signed.
    I32,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

impl SampleType {
    /// Bits per sample.
    pub fn bits(self) -> u16 {
        match self {
            SampleType::U8 | SampleType::I8 => 8,
            SampleType::U16 | SampleType::I16 => 16,
            SampleType::U32 | SampleType::I32 | SampleType::F32 => 32,
            SampleType::F64 => 64,
        }
    }

    /// TIFF SampleFormat: 1 unsigned, 2 signed, 3 IEEE float.
    pub fn sample_format(self) -> u16 {
        match self {
            SampleType::U8 | SampleType::U16 | SampleType::U32 => 1,
            SampleType::I8 | SampleType::I16 | SampleType::I32 => 2,
            SampleType::F32 | SampleType::F64 => 3,
        }
    }
}

/// North-up affine grid: the top-left corner of pixel (0, 0) and the pixel size, both in CRS
/// units (degrees for EPSG:4326). Rows go south: row r spans `origin_y − r·pixel_height` down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoTransform {
    /// x (longitude) of the top-left corner.
    pub origin_x: f64,
    /// y (latitude) of the top-left corner.
    pub origin_y: f64,
    /// Pixel width (> 0).
    pub pixel_width: f64,
    /// Pixel height (> 0; rows go towards smaller y).
    pub pixel_height: f64,
}

impl GeoTransform {
    /// Whether two grids coincide to within 1e-9 of a pixel.
    pub fn same_grid(&self, other: &GeoTransform) -> bool {
        let tol = 1e-9 * self.pixel_width.abs().max(self.pixel_height.abs());
        (self.origin_x - other.origin_x).abs() <= tol
            && (self.origin_y - other.origin_y).abs() <= tol
            && (self.pixel_width - other.pixel_width).abs() <= tol
            && (self.pixel_height - other.pixel_height).abs() <= tol
    }
}

/// The coordinate reference system declared by the GeoKeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// Geographic (GTModelTypeGeoKey = 2) with this GeographicTypeGeoKey (4326 = WGS 84).
    Geographic(u16),
    /// Projected (GTModelTypeGeoKey = 1) with this ProjectedCSTypeGeoKey.
    Projected(u16),
    /// No GeoKeys, or a model type we do not know.
    Unknown,
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Crs::Geographic(code) => write!(f, "geographic EPSG:{code}"),
            Crs::Projected(code) => write!(f, "projected EPSG:{code}"),
            Crs::Unknown => f.write_str("no CRS"),
        }
    }
}

/// Why a GeoTIFF could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum GeoTiffError {
    #[error("not a readable TIFF: {0}")]
    Tiff(#[from] tiff::TiffError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported compression {0} (supported: none, LZW, deflate)")]
    UnsupportedCompression(u16),
    #[error("unsupported sample type: {bits}-bit, SampleFormat {format}")]
    UnsupportedSampleType { bits: u16, format: u16 },
    #[error("no georeferencing: neither ModelPixelScale+ModelTiepoint nor ModelTransformation")]
    NoTransform,
    #[error("rotated or sheared grids are not supported (ModelTransformation with rotation terms)")]
    Rotated,
    #[error("malformed {tag}: {reason}")]
    Malformed { tag: &'static str, reason: String },
    #[error("band {band} out of range: the file has {bands} band(s)")]
    BandOutOfRange { band: usize, bands: usize },
    #[error("rows {start}..{end} out of range: the file has {height} rows")]
    RowsOutOfRange { start: usize, end: usize, height: usize },
    #[error("the raster is larger than classic TIFF's 4 GiB")]
    TooLarge,
}
