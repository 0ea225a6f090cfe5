//! The placement instance: students' ranked choices with the scores programmes give them,
//! programmes with capacities and optional per-country quotas, and the priority rule.
//!
//! [`Instance::new`] validates everything once and lays the data out flat: one entry per
//! (student, choice) in compressed-sparse-row order, with the seat pool it applies to and a
//! `u64` priority key (smaller is higher priority). The mechanisms then touch only integer
//! indices and keys, never strings.

use caravan_types::CountryCode;

/// Highest score a programme may give a student; scores are integers in `0..=MAX_SCORE`.
pub const MAX_SCORE: u32 = 1_000_000_000;

/// The six countries of the mechanism in the order quota columns use
/// (`quota_CN, quota_KZ, quota_KG, quota_TJ, quota_TM, quota_UZ`).
pub const QUOTA_COUNTRIES: [&str; 6] = CountryCode::MECHANISM;

/// Sentinel of "no country index": a student from outside the six, or a pool without quota.
pub(crate) const NO_COUNTRY: u8 = u8::MAX;

/// Students' ranked choices, as given: one row per student, flat.
///
/// Choice `k` (0-based) of a student is a programme index (position in the programme
/// table) and the integer score that programme gives the student.
#[derive(Debug, Clone, Default)]
pub struct StudentTable {
    ids: Vec<u64>,
    countries: Vec<CountryCode>,
    offsets: Vec<usize>,
    programmes: Vec<usize>,
    scores: Vec<i64>,
}

impl StudentTable {
    /// An empty table.
    pub fn new() -> Self {
        Self { offsets: vec![0], ..Self::default() }
    }

    /// An empty table with room for `n_students` students and `n_choices` choices in all.
    pub fn with_capacity(n_students: usize, n_choices: usize) -> Self {
        let mut offsets = Vec::with_capacity(n_students + 1);
        offsets.push(0);
        Self {
            ids: Vec::with_capacity(n_students),
            countries: Vec::with_capacity(n_students),
            offsets,
            programmes: Vec::with_capacity(n_choices),
            scores: Vec::with_capacity(n_choices),
        }
    }

    /// Appends a student with her choices `(programme index, score)`, best first.
    pub fn push(
        &mut self,
        id: u64,
        country: CountryCode,
        choices: impl IntoIterator<Item = (usize, i64)>,
    ) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.ids.push(id);
        self.countries.push(country);
        for (programme, score) in choices {
            self.programmes.push(programme);
            self.scores.push(score);
        }
        self.offsets.push(self.programmes.len());
    }

    /// Number of students.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no students.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of student `student`.
    pub fn id(&self, student: usize) -> u64 {
        self.ids[student]
    }

    /// Number of choices over all students.
    pub fn n_choices(&self) -> usize {
        self.programmes.len()
    }

    /// The choices of student `student`: `(programme index, score)`.
    pub fn choices(&self, student: usize) -> impl Iterator<Item = (usize, i64)> + '_ {
        let range = self.offsets[student]..self.offsets[student + 1];
        self.programmes[range.clone()].iter().copied().zip(self.scores[range].iter().copied())
    }
}

/// A programme: its seats, and optionally their split by country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgrammeSpec {
    /// Number of seats.
    pub capacity: u32,
    /// Seats reserved per country in [`QUOTA_COUNTRIES`] order; when present they must sum to
    /// `capacity`, and a student competes only for the seats of her own country (hard quotas).
    pub quotas: Option<[u32; 6]>,
}

/// How ties in score are broken, and so the full priority order of each programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TieBreak {
    /// Smaller `student_id` first (the default of issue 9).
    StudentId,
    /// Single tie-breaking: one lottery number per student (`stb`, in student-table order),
    /// smaller first, then smaller `student_id`.
    Single(Vec<u64>),
    /// Multiple tie-breaking: one lottery number per student and choice (`t1..tL`), flat in
    /// student-table choice order; a programme compares the numbers its applicants drew
    /// for it, smaller first, then smaller `student_id`.
    Multiple(Vec<u64>),
}

/// The priority rule of every programme (issue 9, "Priority"): higher class first, where the
/// class is `floor(score / score_band)`, then the tie-break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityRule {
    /// Width `W` of a coarse priority class; 1 keeps the scores as they are.
    pub score_band: u32,
    /// How students of the same class are ordered.
    pub tie_break: TieBreak,
}

impl Default for PriorityRule {
    fn default() -> Self {
        Self { score_band: 1, tie_break: TieBreak::StudentId }
    }
}

/// Limits a call puts on applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallLimits {
    /// Longest choice list allowed, if the call sets one.
    pub max_choices: Option<usize>,
}

/// Why an instance is invalid. Indices are 0-based positions in the input tables;
/// `choice` is the 0-based position in the student's list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    /// A choice names a programme index past the end of the programme table.
    #[error(
        "student {student}: choice {choice} names programme index {programme}, but there are {n_programmes} programmes"
    )]
    UnknownProgramme { student: usize, choice: usize, programme: usize, n_programmes: usize },
    /// A student lists the same programme twice.
    #[error("student {student}: choice {choice} repeats the programme of choice {first}")]
    DuplicateChoice { student: usize, choice: usize, first: usize },
    /// A list is longer than the call allows.
    #[error("student {student}: {len} choices, but the call allows at most {max}")]
    ListTooLong { student: usize, len: usize, max: usize },
    /// A score is negative or above [`MAX_SCORE`].
    #[error("student {student}: score {score} of choice {choice} is outside 0..={max}")]
    ScoreOutOfRange { student: usize, choice: usize, score: i64, max: u32 },
    /// Two students share an id (ids are the last tie-break, so they must be unique).
    #[error("student {student}: id {id} already used by student {first}")]
    DuplicateStudentId { student: usize, id: u64, first: usize },
    /// A student from outside the six countries applies to a programme with quotas.
    #[error(
        "student {student}: choice {choice} has country quotas, but {country} is not one of CN, KZ, KG, TJ, TM, UZ"
    )]
    NoQuotaForCountry { student: usize, choice: usize, country: CountryCode },
    /// A programme's quotas do not add up to its capacity.
    #[error("programme {programme}: quotas sum to {sum}, but capacity is {capacity}")]
    QuotasDoNotSumToCapacity { programme: usize, sum: u64, capacity: u32 },
    /// The lottery has the wrong number of entries for the tie-break.
    #[error("lottery has {got} numbers, but {expected} are needed")]
    LotteryLength { expected: usize, got: usize },
    /// A score band of zero.
    #[error("score band must be at least 1, got 0")]
    ZeroScoreBand,
    /// More students or choices than the flat layout indexes with `u32`.
    #[error("{what} exceeds the supported maximum of {max}")]
    TooLarge { what: &'static str, max: u64 },
}

/// A validated placement instance laid out for the mechanisms.
///
/// Students keep their input order (index `s`); programmes too (index `p`). Each programme
/// has one seat pool, or six (one per country in [`QUOTA_COUNTRIES`] order) when it has
/// quotas. Entry `e` in `offsets[s]..offsets[s + 1]` is choice `e - offsets[s]` of student `s`.
#[derive(Debug, Clone)]
pub struct Instance {
    pub(crate) student_ids: Vec<u64>,
    pub(crate) offsets: Vec<u32>,
    pub(crate) entry_student: Vec<u32>,
    pub(crate) entry_programme: Vec<u32>,
    pub(crate) entry_pool: Vec<u32>,
    pub(crate) entry_score: Vec<u32>,
    pub(crate) entry_key: Vec<u64>,
    pub(crate) programme_capacity: Vec<u32>,
    pub(crate) programme_pools: Vec<u32>,
    pub(crate) pool_programme: Vec<u32>,
    pub(crate) pool_country: Vec<u8>,
    pub(crate) pool_capacity: Vec<u32>,
    pub(crate) max_list_len: usize,
}

impl Instance {
    /// Validates the tables and builds the instance.
    ///
    /// Priority (issue 9): programme `p` ranks its applicants by class
    /// `floor(score / score_band)`, higher first, then by the tie-break of `rule`.
    ///
    /// # Errors
    /// Every problem found, not only the first: see [`InstanceError`].
    pub fn new(
        students: &StudentTable,
        programmes: &[ProgrammeSpec],
        rule: &PriorityRule,
        limits: CallLimits,
    ) -> Result<Instance, Vec<InstanceError>> {
        let mut errors = Vec::new();
        let n_students = students.len();
        let n_choices = students.n_choices();
        // Everything is indexed with u32 (programmes times six pools, for quotas).
        if u32::try_from(n_choices).is_err() || u32::try_from(n_students).is_err() {
            errors
                .push(InstanceError::TooLarge { what: "number of choices", max: u32::MAX.into() });
            return Err(errors);
        }
        if programmes.len() > (u32::MAX / 8) as usize {
            errors.push(InstanceError::TooLarge {
                what: "number of programmes",
                max: (u32::MAX / 8).into(),
            });
            return Err(errors);
        }
        if rule.score_band == 0 {
            errors.push(InstanceError::ZeroScoreBand);
        }

        // Programmes: capacities, quotas, seat pools.
        let mut programme_pools = Vec::with_capacity(programmes.len() + 1);
        let mut pool_programme = Vec::new();
        let mut pool_country = Vec::new();
        let mut pool_capacity = Vec::new();
        for (programme, spec) in programmes.iter().enumerate() {
            programme_pools.push(pool_programme.len() as u32);
            match spec.quotas {
                None => {
                    pool_programme.push(programme as u32);
                    pool_country.push(NO_COUNTRY);
                    pool_capacity.push(spec.capacity);
                }
                Some(quotas) => {
                    let sum: u64 = quotas.iter().map(|&q| u64::from(q)).sum();
                    if sum != u64::from(spec.capacity) {
                        errors.push(InstanceError::QuotasDoNotSumToCapacity {
                            programme,
                            sum,
                            capacity: spec.capacity,
                        });
                    }
                    for (country, &quota) in quotas.iter().enumerate() {
                        pool_programme.push(programme as u32);
                        pool_country.push(country as u8);
                        pool_capacity.push(quota);
                    }
                }
            }
        }
        programme_pools.push(pool_programme.len() as u32);

        // Students: ids, countries, choices.
        let student_country: Vec<u8> = students
            .countries
            .iter()
            .map(|c| {
                QUOTA_COUNTRIES
                    .iter()
                    .position(|m| *m == c.as_str())
                    .map_or(NO_COUNTRY, |i| i as u8)
            })
            .collect();
        let mut entry_student = Vec::with_capacity(n_choices);
        let mut entry_programme = Vec::with_capacity(n_choices);
        let mut entry_pool = Vec::with_capacity(n_choices);
        let mut entry_score = Vec::with_capacity(n_choices);
        let mut max_list_len = 0;
        // Last student (+1) that listed each programme, and at which choice: finds duplicates
        // in O(1) per choice without per-student allocation.
        let mut seen_by = vec![(u32::MAX, 0u32); programmes.len()];
        for (student, &country) in student_country.iter().enumerate() {
            let len = students.offsets[student + 1] - students.offsets[student];
            max_list_len = max_list_len.max(len);
            if let Some(max) = limits.max_choices
                && len > max
            {
                errors.push(InstanceError::ListTooLong { student, len, max });
            }
            for (choice, (programme, score)) in students.choices(student).enumerate() {
                entry_student.push(student as u32);
                let Some(spec) = programmes.get(programme) else {
                    errors.push(InstanceError::UnknownProgramme {
                        student,
                        choice,
                        programme,
                        n_programmes: programmes.len(),
                    });
                    entry_programme.push(0);
                    entry_pool.push(0);
                    entry_score.push(0);
                    continue;
                };
                let (seen_student, first) = seen_by[programme];
                if seen_student == student as u32 {
                    errors.push(InstanceError::DuplicateChoice {
                        student,
                        choice,
                        first: first as usize,
                    });
                } else {
                    seen_by[programme] = (student as u32, choice as u32);
                }
                let score = match u32::try_from(score) {
                    Ok(score) if score <= MAX_SCORE => score,
                    _ => {
                        errors.push(InstanceError::ScoreOutOfRange {
                            student,
                            choice,
                            score,
                            max: MAX_SCORE,
                        });
                        0
                    }
                };
                let first_pool = programme_pools[programme];
                let pool = if spec.quotas.is_some() {
                    if country == NO_COUNTRY {
                        errors.push(InstanceError::NoQuotaForCountry {
                            student,
                            choice,
                            country: students.countries[student],
                        });
                        first_pool
                    } else {
                        first_pool + u32::from(country)
                    }
                } else {
                    first_pool
                };
                entry_programme.push(programme as u32);
                entry_pool.push(pool);
                entry_score.push(score);
            }
        }

        // Student ids must be unique: they are the last tie-break.
        let mut by_id: Vec<u32> = (0..n_students as u32).collect();
        by_id.sort_unstable_by_key(|&s| students.ids[s as usize]);
        for pair in by_id.windows(2) {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            if students.ids[a] == students.ids[b] {
                let (first, student) = (a.min(b), a.max(b));
                errors.push(InstanceError::DuplicateStudentId {
                    student,
                    id: students.ids[student],
                    first,
                });
            }
        }

        match &rule.tie_break {
            TieBreak::Single(stb) if stb.len() != n_students => {
                errors.push(InstanceError::LotteryLength { expected: n_students, got: stb.len() });
            }
            TieBreak::Multiple(t) if t.len() != n_choices => {
                errors.push(InstanceError::LotteryLength { expected: n_choices, got: t.len() });
            }
            _ => {}
        }
        if !errors.is_empty() {
            errors.sort_by_key(error_order);
            return Err(errors);
        }

        // Position of each student in student-id order: the final tie-break.
        let mut id_rank = vec![0u32; n_students];
        for (rank, &s) in by_id.iter().enumerate() {
            id_rank[s as usize] = rank as u32;
        }
        let offsets: Vec<u32> = students.offsets.iter().map(|&o| o as u32).collect();
        // The secondary key (lower 32 bits): rank of the tie-break among all competitors.
        let secondary: Vec<u32> = match &rule.tie_break {
            TieBreak::StudentId => entry_student.iter().map(|&s| id_rank[s as usize]).collect(),
            TieBreak::Single(stb) => {
                // Single tie-breaking: order students by (stb, student_id) once.
                let mut order: Vec<u32> = (0..n_students as u32).collect();
                order.sort_unstable_by_key(|&s| (stb[s as usize], id_rank[s as usize]));
                let mut lottery_rank = vec![0u32; n_students];
                for (rank, &s) in order.iter().enumerate() {
                    lottery_rank[s as usize] = rank as u32;
                }
                entry_student.iter().map(|&s| lottery_rank[s as usize]).collect()
            }
            TieBreak::Multiple(t) => {
                // Multiple tie-breaking: each entry carries its own number t_k; ranking all
                // entries by (t_k, student_id) is consistent within every programme.
                let mut order: Vec<u32> = (0..n_choices as u32).collect();
                rayon::slice::ParallelSliceMut::par_sort_unstable_by_key(&mut order[..], |&e| {
                    (t[e as usize], id_rank[entry_student[e as usize] as usize])
                });
                let mut entry_rank = vec![0u32; n_choices];
                for (rank, &e) in order.iter().enumerate() {
                    entry_rank[e as usize] = rank as u32;
                }
                entry_rank
            }
        };
        let band = rule.score_band;
        let entry_key = entry_score
            .iter()
            .zip(&secondary)
            .map(|(&score, &tie)| priority_key(score / band, tie))
            .collect();

        Ok(Instance {
            student_ids: students.ids.clone(),
            offsets,
            entry_student,
            entry_programme,
            entry_pool,
            entry_score,
            entry_key,
            programme_capacity: programmes.iter().map(|p| p.capacity).collect(),
            programme_pools,
            pool_programme,
            pool_country,
            pool_capacity,
            max_list_len,
        })
    }

    /// Number of students.
    pub fn n_students(&self) -> usize {
        self.student_ids.len()
    }

    /// Number of programmes.
    pub fn n_programmes(&self) -> usize {
        self.programme_capacity.len()
    }

    /// Number of seat pools (one per programme, six for a programme with quotas).
    pub fn n_pools(&self) -> usize {
        self.pool_capacity.len()
    }

    /// Number of (student, choice) entries.
    pub fn n_entries(&self) -> usize {
        self.entry_key.len()
    }

    /// Length of the longest choice list.
    pub fn max_list_len(&self) -> usize {
        self.max_list_len
    }

    /// The id of student `student`.
    pub fn student_id(&self, student: usize) -> u64 {
        self.student_ids[student]
    }

    /// Length of the choice list of `student`.
    pub fn list_len(&self, student: usize) -> usize {
        (self.offsets[student + 1] - self.offsets[student]) as usize
    }

    /// Programme index of choice `choice` (0-based) of `student`.
    pub fn choice_programme(&self, student: usize, choice: usize) -> usize {
        self.entry_programme[self.offsets[student] as usize + choice] as usize
    }

    /// Score of `student` at her choice `choice` (0-based).
    pub fn choice_score(&self, student: usize, choice: usize) -> u32 {
        self.entry_score[self.offsets[student] as usize + choice]
    }

    /// Position (0-based) of `programme` in the list of `student`, if she listed it.
    pub fn position_of(&self, student: usize, programme: usize) -> Option<usize> {
        let range = self.offsets[student] as usize..self.offsets[student + 1] as usize;
        self.entry_programme[range].iter().position(|&p| p as usize == programme)
    }

    /// Capacity of `programme`.
    pub fn programme_capacity(&self, programme: usize) -> u32 {
        self.programme_capacity[programme]
    }

    /// Programme of seat pool `pool`.
    pub fn pool_programme(&self, pool: usize) -> usize {
        self.pool_programme[pool] as usize
    }

    /// Country of seat pool `pool` (`None` for a programme without quotas).
    pub fn pool_country(&self, pool: usize) -> Option<CountryCode> {
        let country = self.pool_country[pool];
        (country != NO_COUNTRY).then(|| {
            CountryCode::parse(QUOTA_COUNTRIES[country as usize]).expect("constant codes parse")
        })
    }

    /// Seats of pool `pool`.
    pub fn pool_capacity(&self, pool: usize) -> u32 {
        self.pool_capacity[pool]
    }

    /// Priority key of `student` at her choice `choice`; smaller is higher priority, and
    /// keys compare students only within the same pool.
    pub fn priority_key(&self, student: usize, choice: usize) -> u64 {
        self.entry_key[self.offsets[student] as usize + choice]
    }

    /// Seat pool that choice `choice` of `student` applies to.
    pub fn choice_pool(&self, student: usize, choice: usize) -> usize {
        self.entry_pool[self.offsets[student] as usize + choice] as usize
    }

    /// Applicants of every pool in priority order, as entry indices (CSR: the entries of
    /// pool `q` are `entries[starts[q]..starts[q + 1]]`).
    pub(crate) fn pool_applicants(&self) -> (Vec<u32>, Vec<u32>) {
        let n_pools = self.n_pools();
        let mut starts = vec![0u32; n_pools + 1];
        for &pool in &self.entry_pool {
            starts[pool as usize + 1] += 1;
        }
        for q in 0..n_pools {
            starts[q + 1] += starts[q];
        }
        let mut fill = starts.clone();
        let mut entries = vec![0u32; self.n_entries()];
        for (e, &pool) in self.entry_pool.iter().enumerate() {
            entries[fill[pool as usize] as usize] = e as u32;
            fill[pool as usize] += 1;
        }
        for q in 0..n_pools {
            let slice = &mut entries[starts[q] as usize..starts[q + 1] as usize];
            slice.sort_unstable_by_key(|&e| self.entry_key[e as usize]);
        }
        (starts, entries)
    }
}

/// The key of a priority class and tie rank: higher class first, then smaller tie rank.
fn priority_key(class: u32, tie_rank: u32) -> u64 {
    (u64::from(MAX_SCORE - class) << 32) | u64::from(tie_rank)
}

/// Errors in input order, so a report reads top to bottom.
fn error_order(err: &InstanceError) -> (usize, usize, usize) {
    match *err {
        InstanceError::ZeroScoreBand | InstanceError::TooLarge { .. } => (0, 0, 0),
        InstanceError::LotteryLength { .. } => (0, 0, 1),
        InstanceError::QuotasDoNotSumToCapacity { programme, .. } => (1, programme, 0),
        InstanceError::DuplicateStudentId { student, .. }
        | InstanceError::ListTooLong { student, .. } => (2, student, 0),
        InstanceError::UnknownProgramme { student, choice, .. }
        | InstanceError::DuplicateChoice { student, choice, .. }
        | InstanceError::ScoreOutOfRange { student, choice, .. }
        | InstanceError::NoQuotaForCountry { student, choice, .. } => (2, student, choice + 1),
    }
}
