//! The sample design (strata and ultimate clusters) and the Taylor-linearised variance of
//! estimated totals, as R `survey::svyrecvar` computes it for a one-stage view of the design.

/// What to do with a stratum that holds a single PSU, where the within-stratum variance is
/// undefined.
///
/// These mirror `options(survey.lonely.psu = ...)` of R `survey` (Lumley 2010, section 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LonelyPsu {
    /// Refuse: return [`DesignError::LonelyPsu`] (R's default `"fail"`).
    Fail,
    /// The stratum contributes nothing to the variance (R's `"remove"`).
    Remove,
    /// Centre the stratum's PSU total at the mean PSU total of the whole design instead of the
    /// stratum mean, with no `n/(n-1)` factor (R's `"adjust"`): conservative.
    Adjust,
}

/// Why a design could not be built or used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DesignError {
    #[error("design columns have {got} rows but the survey has {expected}")]
    LengthMismatch { expected: usize, got: usize },
    #[error(
        "psu {psu} of row {row} is also used in stratum {other_stratum}; PSU ids must nest in strata"
    )]
    PsuNotNested { row: usize, psu: u32, other_stratum: u32 },
    #[error("stratum {stratum} has a single PSU; choose a lonely-PSU treatment (remove or adjust)")]
    LonelyPsu { stratum: u32 },
    #[error("psu id {psu} of row {row} is not below the number of PSUs {n_psu}")]
    PsuOutOfRange { row: usize, psu: u32, n_psu: usize },
}

/// A stratified, clustered design: for every row its stratum and its PSU (ultimate cluster).
///
/// PSU ids are dense (`0..n_psu`) and each PSU lies in exactly one stratum. A design without
/// clusters uses one PSU per row; a design without strata has one stratum.
#[derive(Debug, Clone)]
pub struct Design {
    psu_of_row: Vec<u32>,
    stratum_of_psu: Vec<u32>,
    n_strata: usize,
}

impl Design {
    /// Builds a design from per-row dense stratum ids (`0..n_strata`) and dense PSU ids.
    ///
    /// # Errors
    /// [`DesignError`] when lengths differ, a PSU id is out of range, or a PSU appears in two strata.
    pub fn new(
        stratum_of_row: &[u32],
        psu_of_row: Vec<u32>,
        n_psu: usize,
    ) -> Result<Design, DesignError> {
        if stratum_of_row.len() != psu_of_row.len() {
            return Err(DesignError::LengthMismatch {
                expected: psu_of_row.len(),
                got: stratum_of_row.len(),
            });
        }
        let mut stratum_of_psu = vec![u32::MAX; n_psu];
        for (row, (&stratum, &psu)) in stratum_of_row.iter().zip(&psu_of_row).enumerate() {
            let slot = stratum_of_psu.get_mut(psu as usize).ok_or(DesignError::PsuOutOfRange {
                row,
                psu,
                n_psu,
            })?;
            if *slot == u32::MAX {
                *slot = stratum;
            } else if *slot != stratum {
                return Err(DesignError::PsuNotNested { row, psu, other_stratum: *slot });
            }
        }
        // A PSU id with no rows belongs nowhere; park it in stratum 0 with a zero total.
        for slot in &mut stratum_of_psu {
            if *slot == u32::MAX {
                *slot = 0;
            }
        }
        let n_strata = stratum_of_psu.iter().map(|&s| s as usize + 1).max().unwrap_or(1);
        Ok(Design { psu_of_row, stratum_of_psu, n_strata })
    }

    /// Simple random sampling with replacement: one stratum, every row its own PSU.
    pub fn unclustered(n_rows: usize) -> Design {
        let n = u32::try_from(n_rows).expect("surveys hold fewer than 2^32 rows");
        Design { psu_of_row: (0..n).collect(), stratum_of_psu: vec![0; n_rows], n_strata: 1 }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.psu_of_row.len()
    }

    /// Number of PSUs.
    pub fn n_psu(&self) -> usize {
        self.stratum_of_psu.len()
    }

    /// Number of strata.
    pub fn n_strata(&self) -> usize {
        self.n_strata
    }

    /// PSU of every row.
    pub fn psu_of_row(&self) -> &[u32] {
        &self.psu_of_row
    }

    /// Strata that hold exactly one PSU.
    pub fn lonely_strata(&self) -> Vec<u32> {
        let counts = self.psu_counts();
        (0..self.n_strata as u32).filter(|&h| counts[h as usize] == 1).collect()
    }

    fn psu_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.n_strata];
        for &h in &self.stratum_of_psu {
            counts[h as usize] += 1;
        }
        counts
    }

    /// Variances of `m` estimated totals from their PSU totals (`psu_totals[psu * m + j]` is the
    /// sum of `w_i z_ij` over the rows of the PSU), with replacement and no finite population
    /// correction: `sum_h n_h / (n_h - 1) * sum_i (t_hi - mean_h)^2` (Wolter 2007, eq. 6.7;
    /// R `survey::svyrecvar` for the first stage).
    ///
    /// # Errors
    /// [`DesignError::LonelyPsu`] when a stratum has one PSU and `lonely` is [`LonelyPsu::Fail`].
    pub fn variance_of_totals(
        &self,
        psu_totals: &[f64],
        m: usize,
        lonely: LonelyPsu,
    ) -> Result<Vec<f64>, DesignError> {
        let n_psu = self.n_psu();
        debug_assert_eq!(psu_totals.len(), n_psu * m);
        let counts = self.psu_counts();
        let mut stratum_sums = vec![0.0; self.n_strata * m];
        let mut grand = vec![0.0; m];
        for psu in 0..n_psu {
            let h = self.stratum_of_psu[psu] as usize;
            for j in 0..m {
                stratum_sums[h * m + j] += psu_totals[psu * m + j];
                grand[j] += psu_totals[psu * m + j];
            }
        }
        for g in &mut grand {
            *g /= n_psu.max(1) as f64;
        }
        let mut var = vec![0.0; m];
        for psu in 0..n_psu {
            let h = self.stratum_of_psu[psu] as usize;
            let n_h = counts[h];
            if n_h == 1 {
                match lonely {
                    LonelyPsu::Fail => return Err(DesignError::LonelyPsu { stratum: h as u32 }),
                    LonelyPsu::Remove => {}
                    LonelyPsu::Adjust => {
                        for j in 0..m {
                            let d = psu_totals[psu * m + j] - grand[j];
                            var[j] += d * d;
                        }
                    }
                }
                continue;
            }
            let scale = n_h as f64 / (n_h as f64 - 1.0);
            for j in 0..m {
                let d = psu_totals[psu * m + j] - stratum_sums[h * m + j] / n_h as f64;
                var[j] += scale * d * d;
            }
        }
        Ok(var)
    }
}
