//! The PNG map of the indicator with a legend, drawn without a font dependency.

use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use caravan_landtrend::{NODATA, OUTSIDE};

/// A down-sampled copy of the SDG layer, filled row by row during the pass.
#[derive(Debug)]
pub(crate) struct MapCanvas {
    step: usize,
    width: usize,
    height: usize,
    pixels: Vec<i16>,
}

const LEGEND: [(i16, [u8; 3], &str); 5] = [
    (-1, [200, 40, 40], "DEGRADED"),
    (0, [245, 235, 200], "STABLE"),
    (1, [40, 150, 60], "IMPROVED"),
    (NODATA, [120, 120, 120], "NO DATA / WATER"),
    (OUTSIDE, [255, 255, 255], "OUTSIDE"),
];

fn colour(code: i16) -> [u8; 3] {
    LEGEND.iter().find(|(c, _, _)| *c == code).map_or([0, 0, 0], |(_, rgb, _)| *rgb)
}

/// 5×7 glyphs, one byte per row, low 5 bits, for the legend's letters.
fn glyph(c: char) -> [u8; 7] {
    match c {
        'A' => [14, 17, 17, 31, 17, 17, 17],
        'B' => [30, 17, 17, 30, 17, 17, 30],
        'D' => [30, 17, 17, 17, 17, 17, 30],
        'E' => [31, 16, 16, 30, 16, 16, 31],
        'G' => [14, 17, 16, 23, 17, 17, 15],
        'I' => [14, 4, 4, 4, 4, 4, 14],
        'L' => [16, 16, 16, 16, 16, 16, 31],
        'M' => [17, 27, 21, 21, 17, 17, 17],
        'N' => [17, 25, 21, 19, 17, 17, 17],
        'O' => [14, 17, 17, 17, 17, 17, 14],
        'P' => [30, 17, 17, 30, 16, 16, 16],
        'R' => [30, 17, 17, 30, 20, 18, 17],
        'S' => [15, 16, 16, 14, 1, 1, 30],
        'T' => [31, 4, 4, 4, 4, 4, 4],
        'U' => [17, 17, 17, 17, 17, 17, 14],
        'V' => [17, 17, 17, 17, 17, 10, 4],
        'W' => [17, 17, 17, 21, 21, 21, 10],
        '/' => [1, 1, 2, 4, 8, 16, 16],
        _ => [0; 7],
    }
}

impl MapCanvas {
    /// A canvas at most `max_side` pixels on its longer side.
    pub(crate) fn new(width: usize, height: usize, max_side: usize) -> Self {
        let step = width.max(height).div_ceil(max_side).max(1);
        let (w, h) = (width.div_ceil(step), height.div_ceil(step));
        Self { step, width: w, height: h, pixels: vec![OUTSIDE; w * h] }
    }

    /// Takes every `step`-th pixel of full-resolution rows `start..` (nearest neighbour).
    pub(crate) fn add_rows(&mut self, start: usize, full_width: usize, rows: &[i16]) {
        for (r, row) in rows.chunks_exact(full_width).enumerate() {
            let full_row = start + r;
            if !full_row.is_multiple_of(self.step) {
                continue;
            }
            let y = full_row / self.step;
            for (x, &v) in row.iter().step_by(self.step).enumerate() {
                self.pixels[y * self.width + x] = v;
            }
        }
    }

    /// Writes the map with a legend strip below it.
    pub(crate) fn write_png(&self, path: &Path) -> Result<()> {
        let legend_h = 12 + 14 * LEGEND.len();
        let width = self.width.max(140);
        let height = self.height + legend_h;
        let mut rgb = vec![255u8; width * height * 3];
        for y in 0..self.height {
            for x in 0..self.width {
                let at = (y * width + x) * 3;
                rgb[at..at + 3].copy_from_slice(&colour(self.pixels[y * self.width + x]));
            }
        }
        for (i, (_, col, label)) in LEGEND.iter().enumerate() {
            let top = self.height + 6 + i * 14;
            for y in top..top + 10 {
                for x in 6..16 {
                    let at = (y * width + x) * 3;
                    let edge = y == top || y == top + 9 || x == 6 || x == 15;
                    rgb[at..at + 3].copy_from_slice(if edge { &[0, 0, 0] } else { col });
                }
            }
            for (k, ch) in label.chars().enumerate() {
                let g = glyph(ch);
                for (gy, bits) in g.iter().enumerate() {
                    for gx in 0..5 {
                        let x = 22 + k * 6 + gx;
                        if bits & (1 << (4 - gx)) != 0 && x < width {
                            let at = ((top + 1 + gy) * width + x) * 3;
                            rgb[at..at + 3].copy_from_slice(&[0, 0, 0]);
                        }
                    }
                }
            }
        }
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut enc = png::Encoder::new(
            BufWriter::new(file),
            u32::try_from(width).context("map too wide")?,
            u32::try_from(height).context("map too tall")?,
        );
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer =
            enc.write_header().with_context(|| format!("writing {}", path.display()))?;
        writer.write_image_data(&rgb).with_context(|| format!("writing {}", path.display()))?;
        writer.finish().with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}
