//! The placement mechanisms. Each takes a validated [`Instance`] and returns a [`Matching`];
//! they differ only in how seats are handed out. All work on seat pools (a programme, or one
//! country's share of it under hard quotas), so quotas need no special case.

use crate::Instance;

/// Marks "no choice": an unmatched student.
const UNMATCHED: u32 = u32::MAX;

/// A placement: for each student, the 0-based position in her list of the programme she
/// got, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matching {
    choice: Vec<u32>,
}

/// Why a list of choices is not a matching of the instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchingError {
    /// The matching has a different number of students than the instance.
    #[error("matching has {got} students, instance has {expected}")]
    WrongLength { expected: usize, got: usize },
    /// A choice position is past the end of the student's list.
    #[error("student {student}: choice {choice} is past the end of her list of {len}")]
    NoSuchChoice { student: usize, choice: usize, len: usize },
}

impl Matching {
    /// Builds a matching from each student's 0-based choice position (`None`: unmatched).
    ///
    /// # Errors
    /// [`MatchingError`] when the length is not the number of students, or a position is
    /// past the end of a student's list.
    pub fn from_choices(
        instance: &Instance,
        choices: &[Option<usize>],
    ) -> Result<Matching, MatchingError> {
        if choices.len() != instance.n_students() {
            return Err(MatchingError::WrongLength {
                expected: instance.n_students(),
                got: choices.len(),
            });
        }
        let mut choice = Vec::with_capacity(choices.len());
        for (student, &c) in choices.iter().enumerate() {
            match c {
                None => choice.push(UNMATCHED),
                Some(c) if c < instance.list_len(student) => choice.push(c as u32),
                Some(c) => {
                    return Err(MatchingError::NoSuchChoice {
                        student,
                        choice: c,
                        len: instance.list_len(student),
                    });
                }
            }
        }
        Ok(Matching { choice })
    }

    /// Number of students.
    pub fn len(&self) -> usize {
        self.choice.len()
    }

    /// Whether there are no students.
    pub fn is_empty(&self) -> bool {
        self.choice.is_empty()
    }

    /// 0-based position in her list of the programme `student` got.
    pub fn choice(&self, student: usize) -> Option<usize> {
        let c = self.choice[student];
        (c != UNMATCHED).then_some(c as usize)
    }

    /// 1-based rank of the programme `student` got (issue 9's `rank` column), 0 if unmatched.
    pub fn rank(&self, student: usize) -> usize {
        self.choice(student).map_or(0, |c| c + 1)
    }

    /// Programme index `student` got.
    pub fn programme(&self, instance: &Instance, student: usize) -> Option<usize> {
        self.choice(student).map(|c| instance.choice_programme(student, c))
    }

    /// Seat pool `student` holds.
    pub(crate) fn pool(&self, instance: &Instance, student: usize) -> Option<usize> {
        self.choice(student).map(|c| instance.choice_pool(student, c))
    }

    /// Number of matched students.
    pub fn n_matched(&self) -> usize {
        self.choice.iter().filter(|&&c| c != UNMATCHED).count()
    }
}

/// Which mechanism to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// Student-proposing deferred acceptance (Gale and Shapley 1962): stable, student-optimal,
    /// strategy-proof for students. The default.
    StudentProposingDa,
    /// Programme-proposing deferred acceptance: the programme-optimal stable matching.
    ProgrammeProposingDa,
    /// Immediate acceptance ("Boston"; Abdulkadiroğlu and Sönmez 2003).
    ImmediateAcceptance,
    /// The Chinese parallel mechanism with band size `e` (Chen and Kesten 2017).
    Parallel {
        /// Band size `e`: choices per round.
        band: usize,
    },
    /// Top trading cycles (Abdulkadiroğlu and Sönmez 2003).
    TopTradingCycles,
    /// Serial dictatorship in the order of [`serial_order_by_priority`].
    SerialDictatorship,
}

/// Runs `mechanism` on `instance`.
pub fn place(instance: &Instance, mechanism: Mechanism) -> Matching {
    match mechanism {
        Mechanism::StudentProposingDa => deferred_acceptance(instance),
        Mechanism::ProgrammeProposingDa => programme_proposing_da(instance),
        Mechanism::ImmediateAcceptance => immediate_acceptance(instance),
        Mechanism::Parallel { band } => parallel(instance, band),
        Mechanism::TopTradingCycles => top_trading_cycles(instance),
        Mechanism::SerialDictatorship => {
            serial_dictatorship(instance, &serial_order_by_priority(instance))
        }
    }
}

/// Student-proposing deferred acceptance (Gale and Shapley 1962, "College Admissions and
/// the Stability of Marriage", the deferred-acceptance procedure for college admissions
/// with quotas): free students propose to their next choice; a pool tentatively holds its
/// best applicants up to capacity and rejects the rest; repeat until no one is rejected.
pub fn deferred_acceptance(instance: &Instance) -> Matching {
    banded_deferred_acceptance(instance, usize::MAX)
}

/// The Chinese parallel mechanism with band size `band` (Chen and Kesten 2017, "Chinese
/// College Admissions and School Choice Reforms: A Theoretical Analysis", Journal
/// of Political Economy 125(1)): round `t` runs deferred acceptance over choices `(t-1)e+1 ..= te` of the
/// students still unplaced, with the seats still free; at the end of each round the
/// tentative assignments become final. `band = 1` is immediate acceptance, `band >= L` is
/// deferred acceptance. A band of 0 is treated as 1.
pub fn parallel(instance: &Instance, band: usize) -> Matching {
    banded_deferred_acceptance(instance, band.max(1))
}

/// Deferred acceptance over successive bands of `band` choices, seats final between bands.
fn banded_deferred_acceptance(instance: &Instance, band: usize) -> Matching {
    let n_students = instance.n_students();
    let n_pools = instance.n_pools();
    let offsets = &instance.offsets;
    let mut choice = vec![UNMATCHED; n_students];
    // Seats a pool can still fill. A pool never holds more students than applied to it, so
    // capping at the number of applicants is exact and bounds the heap buffer by the input
    // size, whatever the capacities say.
    let mut remaining = instance.pool_capacity.clone();
    let mut n_applicants = vec![0u32; n_pools];
    for &pool in &instance.entry_pool {
        n_applicants[pool as usize] += 1;
    }
    for (seats, &n) in remaining.iter_mut().zip(&n_applicants) {
        *seats = (*seats).min(n);
    }
    // Each pool's tentatively held students as a max-heap on the priority key (the worst
    // held student on top), all heaps in one flat buffer.
    let mut heap_start = Vec::with_capacity(n_pools + 1);
    let mut total = 0usize;
    for &cap in &remaining {
        heap_start.push(total);
        total += cap as usize;
    }
    heap_start.push(total);
    let mut heap: Vec<(u64, u32)> = vec![(0, 0); total];
    let mut heap_len = vec![0u32; n_pools];
    let mut next = vec![0u32; n_students];
    let mut band_start = 0usize;
    while band_start < instance.max_list_len {
        let band_end = band_start.saturating_add(band);
        let band_end_u32 = u32::try_from(band_end).unwrap_or(u32::MAX);
        for student in 0..n_students {
            if choice[student] != UNMATCHED {
                continue;
            }
            let len = (offsets[student + 1] - offsets[student]) as usize;
            if len <= band_start {
                continue;
            }
            next[student] = offsets[student] + band_start as u32;
            let mut proposer = student;
            loop {
                let list_start = offsets[proposer];
                let band_stop = offsets[proposer + 1].min(list_start.saturating_add(band_end_u32));
                let entry = next[proposer];
                if entry >= band_stop {
                    break; // `proposer` exhausted this band: unplaced for now
                }
                next[proposer] = entry + 1;
                let e = entry as usize;
                let pool = instance.entry_pool[e] as usize;
                let key = instance.entry_key[e];
                let cap = remaining[pool];
                let len = heap_len[pool];
                let pool_heap = &mut heap[heap_start[pool]..heap_start[pool] + cap as usize];
                if len < cap {
                    heap_push(pool_heap, len as usize, (key, proposer as u32));
                    heap_len[pool] = len + 1;
                    choice[proposer] = entry - list_start;
                    break;
                }
                if cap == 0 || key >= pool_heap[0].0 {
                    continue; // rejected: propose to the next choice
                }
                let rejected = pool_heap[0].1 as usize;
                pool_heap[0] = (key, proposer as u32);
                sift_down(pool_heap, 0);
                choice[proposer] = entry - list_start;
                choice[rejected] = UNMATCHED;
                proposer = rejected;
            }
        }
        // End of the band: what is held is final (Chen–Kesten); free seats carry over.
        for pool in 0..n_pools {
            let held = heap_len[pool];
            if held > 0 {
                // Move the final students out of the heap region: shrink the pool by
                // giving its remaining seats the top of the region.
                let start = heap_start[pool];
                heap_start[pool] = start + held as usize;
                remaining[pool] -= held;
                heap_len[pool] = 0;
            }
        }
        band_start = band_end;
    }
    Matching { choice }
}

fn heap_push(heap: &mut [(u64, u32)], len: usize, item: (u64, u32)) {
    let mut i = len;
    heap[i] = item;
    while i > 0 {
        let parent = (i - 1) / 2;
        if heap[parent].0 >= heap[i].0 {
            break;
        }
        heap.swap(parent, i);
        i = parent;
    }
}

fn sift_down(heap: &mut [(u64, u32)], mut i: usize) {
    let len = heap.len();
    loop {
        let left = 2 * i + 1;
        if left >= len {
            break;
        }
        let right = left + 1;
        let larger = if right < len && heap[right].0 > heap[left].0 { right } else { left };
        if heap[i].0 >= heap[larger].0 {
            break;
        }
        heap.swap(i, larger);
        i = larger;
    }
}

/// Programme-proposing deferred acceptance (Gale and Shapley 1962 with the roles swapped):
/// each pool offers seats to its applicants in priority order; a student keeps the best offer
/// by her own ranking and declines the others; a pool offers again while it has seats and
/// applicants left. Gives the programme-optimal stable matching.
pub fn programme_proposing_da(instance: &Instance) -> Matching {
    let (starts, entries) = instance.pool_applicants();
    let n_pools = instance.n_pools();
    let mut choice = vec![UNMATCHED; instance.n_students()];
    let mut next: Vec<u32> = starts[..n_pools].to_vec();
    let mut held = vec![0u32; n_pools];
    let mut queue: Vec<u32> = (0..n_pools as u32).rev().collect();
    while let Some(pool) = queue.pop() {
        let pool = pool as usize;
        let end = starts[pool + 1];
        while held[pool] < instance.pool_capacity[pool] && next[pool] < end {
            let e = entries[next[pool] as usize] as usize;
            next[pool] += 1;
            let student = instance.entry_student[e] as usize;
            let position = e as u32 - instance.offsets[student];
            let current = choice[student];
            if current != UNMATCHED && current < position {
                continue; // declined: she holds a better offer
            }
            if current != UNMATCHED {
                let old_entry = (instance.offsets[student] + current) as usize;
                let old_pool = instance.entry_pool[old_entry];
                held[old_pool as usize] -= 1;
                queue.push(old_pool);
            }
            choice[student] = position;
            held[pool] += 1;
        }
    }
    Matching { choice }
}

/// Immediate acceptance, the "Boston" mechanism (Abdulkadiroğlu and Sönmez 2003, "School
/// Choice: A Mechanism Design Approach", American Economic Review 93(3)):
/// in round `k` every unplaced student applies to her `k`-th choice, and each pool admits
/// its best applicants of the round up to its remaining seats, for good.
pub fn immediate_acceptance(instance: &Instance) -> Matching {
    let n_students = instance.n_students();
    let mut choice = vec![UNMATCHED; n_students];
    let mut remaining = instance.pool_capacity.clone();
    let mut applications: Vec<(u32, u64, u32)> = Vec::with_capacity(n_students);
    for round in 0..instance.max_list_len {
        applications.clear();
        for (student, &c) in choice.iter().enumerate() {
            if c == UNMATCHED && instance.list_len(student) > round {
                let e = instance.offsets[student] as usize + round;
                applications.push((instance.entry_pool[e], instance.entry_key[e], student as u32));
            }
        }
        applications.sort_unstable();
        for &(pool, _, student) in &applications {
            let seats = &mut remaining[pool as usize];
            if *seats > 0 {
                *seats -= 1;
                choice[student as usize] = round as u32;
            }
        }
    }
    Matching { choice }
}

/// Top trading cycles for school choice (Abdulkadiroğlu and Sönmez 2003, "School Choice: A
/// Mechanism Design Approach", American Economic Review 93(3)):
/// every remaining student points to her best pool with a free seat, every such pool to
/// its highest-priority remaining applicant; each student on a cycle gets the pool she
/// points to; repeat. A student with no listed pool left is unplaced.
///
/// Cycles are found by one depth-first walk that keeps its path after removing a cycle,
/// so the whole run is linear in the number of entries (plus the priority sort).
pub fn top_trading_cycles(instance: &Instance) -> Matching {
    #[derive(Clone, Copy)]
    enum Node {
        Student(u32),
        Pool(u32),
    }
    const OFF_PATH: u32 = u32::MAX;
    let (starts, entries) = instance.pool_applicants();
    let n_students = instance.n_students();
    let n_pools = instance.n_pools();
    let mut choice = vec![UNMATCHED; n_students];
    let mut done = vec![false; n_students];
    let mut remaining = instance.pool_capacity.clone();
    let mut student_next: Vec<u32> = instance.offsets[..n_students].to_vec();
    let mut pool_next: Vec<u32> = starts[..n_pools].to_vec();
    let mut student_on_path = vec![OFF_PATH; n_students];
    let mut pool_on_path = vec![OFF_PATH; n_pools];
    let mut path: Vec<Node> = Vec::new();

    for start in 0..n_students {
        if done[start] {
            continue;
        }
        path.push(Node::Student(start as u32));
        student_on_path[start] = 0;
        while let Some(&last) = path.last() {
            match last {
                Node::Student(s) => {
                    let s = s as usize;
                    // Her best pool with a free seat.
                    let end = instance.offsets[s + 1];
                    while student_next[s] < end
                        && remaining[instance.entry_pool[student_next[s] as usize] as usize] == 0
                    {
                        student_next[s] += 1;
                    }
                    if student_next[s] == end {
                        done[s] = true; // nothing left for her: unplaced
                        student_on_path[s] = OFF_PATH;
                        path.pop();
                        continue;
                    }
                    let pool = instance.entry_pool[student_next[s] as usize] as usize;
                    if pool_on_path[pool] == OFF_PATH {
                        pool_on_path[pool] = path.len() as u32;
                        path.push(Node::Pool(pool as u32));
                        continue;
                    }
                    let cycle_start = pool_on_path[pool] as usize;
                    trade_cycle(
                        instance,
                        &mut path,
                        cycle_start,
                        &student_next,
                        &mut choice,
                        &mut done,
                        &mut remaining,
                        &mut student_on_path,
                        &mut pool_on_path,
                    );
                }
                Node::Pool(q) => {
                    let q = q as usize;
                    // Its highest-priority applicant still in the market; one exists,
                    // since a remaining student points here.
                    while done
                        [instance.entry_student[entries[pool_next[q] as usize] as usize] as usize]
                    {
                        pool_next[q] += 1;
                    }
                    let s =
                        instance.entry_student[entries[pool_next[q] as usize] as usize] as usize;
                    if student_on_path[s] == OFF_PATH {
                        student_on_path[s] = path.len() as u32;
                        path.push(Node::Student(s as u32));
                        continue;
                    }
                    let cycle_start = student_on_path[s] as usize;
                    trade_cycle(
                        instance,
                        &mut path,
                        cycle_start,
                        &student_next,
                        &mut choice,
                        &mut done,
                        &mut remaining,
                        &mut student_on_path,
                        &mut pool_on_path,
                    );
                }
            }
        }
    }
    return Matching { choice };

    /// Executes the cycle `path[cycle_start..]`: each student gets the pool she points to.
    #[expect(clippy::too_many_arguments, reason = "the walk's state, kept flat on purpose")]
    fn trade_cycle(
        instance: &Instance,
        path: &mut Vec<Node>,
        cycle_start: usize,
        student_next: &[u32],
        choice: &mut [u32],
        done: &mut [bool],
        remaining: &mut [u32],
        student_on_path: &mut [u32],
        pool_on_path: &mut [u32],
    ) {
        for node in path.drain(cycle_start..) {
            match node {
                Node::Student(s) => {
                    let s = s as usize;
                    let e = student_next[s];
                    choice[s] = e - instance.offsets[s];
                    remaining[instance.entry_pool[e as usize] as usize] -= 1;
                    done[s] = true;
                    student_on_path[s] = OFF_PATH;
                }
                Node::Pool(q) => pool_on_path[q as usize] = OFF_PATH,
            }
        }
    }
}

/// Serial dictatorship: students in `order` each take their best choice with a free seat.
///
/// # Panics
/// If `order` holds an index that is not a student.
pub fn serial_dictatorship(instance: &Instance, order: &[usize]) -> Matching {
    let mut choice = vec![UNMATCHED; instance.n_students()];
    let mut remaining = instance.pool_capacity.clone();
    for &student in order {
        let range = instance.offsets[student]..instance.offsets[student + 1];
        for e in range.clone() {
            let pool = instance.entry_pool[e as usize] as usize;
            if remaining[pool] > 0 {
                remaining[pool] -= 1;
                choice[student] = e - range.start;
                break;
            }
        }
    }
    Matching { choice }
}

/// The order serial dictatorship uses by default: students by the best priority they hold at
/// any programme on their list (highest class, then the tie-break), students with empty lists
/// last. When every programme ranks students the same way, this is that common ranking, and
/// serial dictatorship then equals deferred acceptance.
pub fn serial_order_by_priority(instance: &Instance) -> Vec<usize> {
    let mut keyed: Vec<(u64, usize)> = (0..instance.n_students())
        .map(|s| {
            let range = instance.offsets[s] as usize..instance.offsets[s + 1] as usize;
            let best = instance.entry_key[range].iter().copied().min().unwrap_or(u64::MAX);
            (best, s)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, s)| s).collect()
}
