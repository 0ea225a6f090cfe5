use caravan_types::CountryCode;
use proptest::prelude::*;
use rand::{Rng, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::audit::{
    FeasibilityViolation, blocking_pairs, compare, cutoffs, feasibility, rank_histogram,
};

fn country(code: &str) -> CountryCode {
    CountryCode::parse(code).unwrap()
}

/// Raw data of a test instance, kept to check the mechanisms against a naive reading of
/// the rules that does not go through `Instance`'s keys.
#[derive(Debug, Clone)]
struct Raw {
    ids: Vec<u64>,
    countries: Vec<usize>,
    lists: Vec<Vec<(usize, i64)>>,
    programmes: Vec<ProgrammeSpec>,
    rule: PriorityRule,
}

impl Raw {
    fn new(lists: Vec<Vec<(usize, i64)>>, capacities: &[u32]) -> Raw {
        Raw {
            ids: (1..=lists.len() as u64).collect(),
            countries: vec![1; lists.len()],
            lists,
            programmes: capacities
                .iter()
                .map(|&capacity| ProgrammeSpec { capacity, quotas: None })
                .collect(),
            rule: PriorityRule::default(),
        }
    }

    fn table(&self) -> StudentTable {
        let mut table = StudentTable::new();
        for (s, list) in self.lists.iter().enumerate() {
            table.push(self.ids[s], country(QUOTA_COUNTRIES[self.countries[s]]), list.clone());
        }
        table
    }

    fn instance(&self) -> Instance {
        Instance::new(&self.table(), &self.programmes, &self.rule, CallLimits::default()).unwrap()
    }

    /// Seat pool (programme, country or 6 for none) of student `s` at programme `p`.
    fn pool(&self, s: usize, p: usize) -> (usize, usize) {
        (p, if self.programmes[p].quotas.is_some() { self.countries[s] } else { 6 })
    }

    fn pool_seats(&self, (p, c): (usize, usize)) -> u32 {
        match self.programmes[p].quotas {
            Some(q) => q[c],
            None => self.programmes[p].capacity,
        }
    }

    /// Whether programme `p` ranks student `s` above student `t`, by issue 9's rule read
    /// literally: higher `floor(score / W)`, then the lottery number, then smaller id.
    fn ranks_above(&self, p: usize, s: usize, t: usize) -> bool {
        let pos = |x: usize| self.lists[x].iter().position(|&(q, _)| q == p).unwrap();
        let w = i64::from(self.rule.score_band);
        let class = |x: usize| self.lists[x][pos(x)].1 / w;
        let offset = |x: usize| self.lists[..x].iter().map(Vec::len).sum::<usize>();
        let lottery = |x: usize| match &self.rule.tie_break {
            TieBreak::StudentId => 0,
            TieBreak::Single(stb) => stb[x],
            TieBreak::Multiple(t) => t[offset(x) + pos(x)],
        };
        (std::cmp::Reverse(class(s)), lottery(s), self.ids[s])
            < (std::cmp::Reverse(class(t)), lottery(t), self.ids[t])
    }

    /// Blocking pairs `(student, choice)` of `m`, checked naively from the raw data.
    fn naive_blocking_pairs(&self, m: &Matching) -> Vec<(usize, usize)> {
        let got = |s: usize| m.choice(s).map(|c| self.lists[s][c].0);
        let mut pairs = Vec::new();
        for s in 0..self.lists.len() {
            let better = m.choice(s).unwrap_or(self.lists[s].len());
            for k in 0..better {
                let p = self.lists[s][k].0;
                let pool = self.pool(s, p);
                let holders: Vec<usize> = (0..self.lists.len())
                    .filter(|&t| got(t) == Some(p) && self.pool(t, p) == pool)
                    .collect();
                if (holders.len() as u32) < self.pool_seats(pool)
                    || holders.iter().any(|&t| self.ranks_above(p, s, t))
                {
                    pairs.push((s, k));
                }
            }
        }
        pairs
    }
}

/// Runs `mechanism` and compares each student's programme with `expect` (`None`: unplaced).
#[track_caller]
fn check(raw: &Raw, mechanism: Mechanism, expect: &[Option<usize>]) {
    let instance = raw.instance();
    let m = place(&instance, mechanism);
    let got: Vec<Option<usize>> =
        (0..instance.n_students()).map(|s| m.programme(&instance, s)).collect();
    assert_eq!(got, expect, "{mechanism:?}");
}

/// A one-to-one instance from Gale and Shapley's ranking matrix: `matrix[man][woman] =
/// (man's rank of woman, woman's rank of man)`, 1 best. Men are students, women are
/// programmes with one seat, the woman's rank becomes the score `n + 1 - rank`.
fn from_ranking_matrix(matrix: &[&[(usize, usize)]]) -> Raw {
    let n = matrix.len();
    let lists = matrix
        .iter()
        .map(|row| {
            let mut list: Vec<(usize, usize, i64)> = row
                .iter()
                .enumerate()
                .map(|(w, &(man_rank, woman_rank))| (man_rank, w, (n + 1 - woman_rank) as i64))
                .collect();
            list.sort();
            list.into_iter().map(|(_, w, score)| (w, score)).collect()
        })
        .collect();
    Raw::new(lists, &vec![1; n])
}

/// All stable one-to-one perfect matchings, by brute force over permutations.
fn stable_perfect_matchings(raw: &Raw) -> Vec<Vec<usize>> {
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for i in 0..=p.len() {
                let mut q = p.clone();
                q.insert(i, n - 1);
                out.push(q);
            }
        }
        out
    }
    let instance = raw.instance();
    let mut stable = Vec::new();
    for perm in permutations(raw.lists.len()) {
        let choices: Vec<Option<usize>> =
            perm.iter().enumerate().map(|(s, &p)| instance.position_of(s, p)).collect();
        let m = Matching::from_choices(&instance, &choices).unwrap();
        if raw.naive_blocking_pairs(&m).is_empty() {
            stable.push(perm);
        }
    }
    stable.sort();
    stable
}

// Gale and Shapley (1962), "College Admissions and the Stability of Marriage", American
// Mathematical Monthly 69(1), Example 1: three stable sets; the men's first choices, the
// women's first choices, and everyone's second choice.
const ALPHA: usize = 0;
const BETA: usize = 1;
const GAMMA: usize = 2;
const DELTA: usize = 3;
const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;

fn gale_shapley_example_1() -> Raw {
    from_ranking_matrix(&[
        &[(1, 3), (2, 2), (3, 1)],
        &[(3, 1), (1, 3), (2, 2)],
        &[(2, 2), (3, 1), (1, 3)],
    ])
}

// Gale and Shapley (1962), Example 2: the unique stable set is αC, βD, γA, δB.
fn gale_shapley_example_2() -> Raw {
    from_ranking_matrix(&[
        &[(1, 3), (2, 3), (3, 2), (4, 3)],
        &[(1, 4), (4, 1), (3, 3), (2, 2)],
        &[(2, 2), (1, 4), (3, 4), (4, 1)],
        &[(4, 1), (2, 2), (3, 1), (1, 4)],
    ])
}

#[test]
fn gale_shapley_example_1_has_three_stable_matchings() {
    let raw = gale_shapley_example_1();
    let mut expected = vec![vec![A, B, C], vec![C, A, B], vec![B, C, A]];
    expected.sort();
    assert_eq!(stable_perfect_matchings(&raw), expected);
    // Men propose: each man gets his first choice; women propose: each woman gets hers.
    check(&raw, Mechanism::StudentProposingDa, &[Some(A), Some(B), Some(C)]);
    check(&raw, Mechanism::ProgrammeProposingDa, &[Some(C), Some(A), Some(B)]);
}

#[test]
fn gale_shapley_example_2_has_one_stable_matching() {
    let raw = gale_shapley_example_2();
    let mut unique = vec![0; 4];
    for (man, woman) in [(ALPHA, C), (BETA, D), (GAMMA, A), (DELTA, B)] {
        unique[man] = woman;
    }
    assert_eq!(stable_perfect_matchings(&raw), vec![unique.clone()]);
    let expect: Vec<Option<usize>> = unique.iter().map(|&w| Some(w)).collect();
    check(&raw, Mechanism::StudentProposingDa, &expect);
    check(&raw, Mechanism::ProgrammeProposingDa, &expect);
}

/// A small school-choice instance worked by hand for the non-stable mechanisms.
/// Programmes X (1 seat), Y (1 seat), Z (1 seat). Scores give every programme the
/// priority order s0 > s1 > s2 except Y, which prefers s2 > s1 > s0.
/// Lists: s0: X, Y, Z; s1: X, Z, Y; s2: Y, X, Z.
fn hand_instance() -> Raw {
    const X: usize = 0;
    const Y: usize = 1;
    const Z: usize = 2;
    Raw::new(
        vec![
            vec![(X, 30), (Y, 10), (Z, 30)],
            vec![(X, 20), (Z, 20), (Y, 20)],
            vec![(Y, 30), (X, 10), (Z, 10)],
        ],
        &[1, 1, 1],
    )
}

#[test]
fn hand_instance_under_every_mechanism() {
    let raw = hand_instance();
    // DA: s0 -> X held, s1 -> X rejected, -> Z held; s2 -> Y held. Stable, all first or second.
    check(&raw, Mechanism::StudentProposingDa, &[Some(0), Some(2), Some(1)]);
    // Boston, round 1: X admits s0 (s1 rejected), Y admits s2; round 2: s1 applies to Z.
    check(&raw, Mechanism::ImmediateAcceptance, &[Some(0), Some(2), Some(1)]);
    // TTC: s0 -> X -> s0 is a cycle; then s1 -> Z -> s1 (Z's best remaining), s2 -> Y -> s2.
    check(&raw, Mechanism::TopTradingCycles, &[Some(0), Some(2), Some(1)]);
    // Serial order by best priority: s0 (30 at X), s2 (30 at Y), s1.
    check(&raw, Mechanism::SerialDictatorship, &[Some(0), Some(2), Some(1)]);
}

/// The textbook flaw of Boston (Abdulkadiroğlu and Sönmez 2003, AER 93(3)): a student who
/// ranks her priority school second loses it to a lower-priority student who ranked it
/// first, so the result is unstable; DA gives it to her.
#[test]
fn boston_loses_priority_ranked_second() {
    // X, Y one seat each. s0: X(10); s1: Y(10), X(20); s2: Y(20).
    let raw = Raw::new(vec![vec![(0, 10)], vec![(1, 10), (0, 20)], vec![(1, 20)]], &[1, 1]);
    // Boston round 1: X admits s0, Y admits s2 over s1; round 2: X is full for s1.
    check(&raw, Mechanism::ImmediateAcceptance, &[Some(0), None, Some(1)]);
    // DA: s2 displaces s1 at Y, s1 displaces s0 at X.
    check(&raw, Mechanism::StudentProposingDa, &[None, Some(0), Some(1)]);
    // TTC: s0 -> X -> s1 -> Y -> s2 -> Y: cycle (s2, Y); then s1 -> X -> s1.
    check(&raw, Mechanism::TopTradingCycles, &[None, Some(0), Some(1)]);
    let instance = raw.instance();
    let boston = immediate_acceptance(&instance);
    let pairs = blocking_pairs(&instance, &boston);
    assert_eq!(
        pairs,
        vec![audit::BlockingPair { student: 1, choice: 1, programme: 0, outranks: Some(0) }]
    );
}

/// Parallel with band 2 on a list of 3 (Chen and Kesten 2017): round 1 is DA on the first
/// two choices, final; round 2 uses the third choice with the seats left.
#[test]
fn parallel_band_two() {
    // X, Y, Z one seat each. s0: X(10), Z(10); s1: Y(10), X(20), Z(5); s2: Y(20), Z(20).
    let raw = Raw::new(
        vec![vec![(0, 10), (2, 10)], vec![(1, 10), (0, 20), (2, 5)], vec![(1, 20), (2, 20)]],
        &[1, 1, 1],
    );
    // Band 2: s0 -> X, s1 -> Y, s2 -> Y displaces s1 -> X displaces s0 -> Z. All in round 1.
    check(&raw, Mechanism::Parallel { band: 2 }, &[Some(2), Some(0), Some(1)]);
    // Band 1 (= Boston): round 1 s0 X, s2 Y (s1 out); round 2 s1 -> X full; round 3 s1 -> Z.
    check(&raw, Mechanism::Parallel { band: 1 }, &[Some(0), Some(2), Some(1)]);
    check(&raw, Mechanism::ImmediateAcceptance, &[Some(0), Some(2), Some(1)]);
}

#[test]
fn country_quotas_are_hard() {
    // One programme, 2 seats: 1 for CN, 1 for KZ. Three CN students score higher than the
    // only KZ student; without quotas the two best CN students would win.
    let mut raw = Raw::new(vec![vec![(0, 90)], vec![(0, 80)], vec![(0, 70)], vec![(0, 10)]], &[2]);
    raw.countries = vec![0, 0, 0, 1];
    check(&raw, Mechanism::StudentProposingDa, &[Some(0), Some(0), None, None]);
    raw.programmes[0].quotas = Some([1, 1, 0, 0, 0, 0]);
    for mechanism in [
        Mechanism::StudentProposingDa,
        Mechanism::ProgrammeProposingDa,
        Mechanism::ImmediateAcceptance,
        Mechanism::TopTradingCycles,
        Mechanism::SerialDictatorship,
    ] {
        check(&raw, mechanism, &[Some(0), None, None, Some(0)]);
    }
    let instance = raw.instance();
    let m = deferred_acceptance(&instance);
    assert!(blocking_pairs(&instance, &m).is_empty());
    let cut = cutoffs(&instance, &m);
    assert_eq!(cut.len(), 6);
    assert_eq!(cut[0].country, Some(country("CN")));
    assert_eq!(cut[0].last_admitted, Some((0, 90)));
    assert!(cut[0].is_binding());
    assert_eq!(cut[1].last_admitted, Some((3, 10)));
}

#[test]
fn lotteries_break_ties_within_score_classes() {
    // One seat; scores 57, 55, 42. With W = 10 the first two share class 5.
    let mut raw =
        Raw::new(vec![vec![(0, 57), (1, 0)], vec![(0, 55), (1, 0)], vec![(0, 42)]], &[1, 1]);
    check(&raw, Mechanism::StudentProposingDa, &[Some(0), Some(1), None]);
    raw.rule = PriorityRule { score_band: 10, tie_break: TieBreak::Single(vec![9, 3, 1]) };
    // Class 5: s0 (stb 9) and s1 (stb 3): s1 wins X; s0 then gets Y.
    check(&raw, Mechanism::StudentProposingDa, &[Some(1), Some(0), None]);
    // Multiple: s0 drew t1 = 2 for X, s1 drew t1 = 7: s0 wins X.
    raw.rule = PriorityRule { score_band: 10, tie_break: TieBreak::Multiple(vec![2, 0, 7, 0, 0]) };
    check(&raw, Mechanism::StudentProposingDa, &[Some(0), Some(1), None]);
    // Equal lottery numbers fall back to the smaller student id.
    raw.rule = PriorityRule { score_band: 10, tie_break: TieBreak::Single(vec![4, 4, 4]) };
    raw.ids = vec![20, 10, 30];
    check(&raw, Mechanism::StudentProposingDa, &[Some(1), Some(0), None]);
}

#[test]
fn invalid_instances_report_every_problem() {
    let mut table = StudentTable::new();
    table.push(7, country("KZ"), [(0, 10), (0, 20)]);
    table.push(7, country("KZ"), [(5, 10)]);
    table.push(8, country("US"), [(1, -1), (0, 10), (1, 1)]);
    let programmes = [
        ProgrammeSpec { capacity: 1, quotas: None },
        ProgrammeSpec { capacity: 3, quotas: Some([1, 1, 0, 0, 0, 0]) },
    ];
    let errors = Instance::new(
        &table,
        &programmes,
        &PriorityRule::default(),
        CallLimits { max_choices: Some(2) },
    )
    .unwrap_err();
    assert_eq!(
        errors,
        vec![
            InstanceError::QuotasDoNotSumToCapacity { programme: 1, sum: 2, capacity: 3 },
            InstanceError::DuplicateChoice { student: 0, choice: 1, first: 0 },
            InstanceError::DuplicateStudentId { student: 1, id: 7, first: 0 },
            InstanceError::UnknownProgramme {
                student: 1,
                choice: 0,
                programme: 5,
                n_programmes: 2
            },
            InstanceError::ListTooLong { student: 2, len: 3, max: 2 },
            InstanceError::ScoreOutOfRange { student: 2, choice: 0, score: -1, max: MAX_SCORE },
            InstanceError::NoQuotaForCountry { student: 2, choice: 0, country: country("US") },
            InstanceError::DuplicateChoice { student: 2, choice: 2, first: 0 },
            InstanceError::NoQuotaForCountry { student: 2, choice: 2, country: country("US") },
        ]
    );
    let errors = Instance::new(
        &table,
        &programmes[..1],
        &PriorityRule { score_band: 0, tie_break: TieBreak::Single(vec![1]) },
        CallLimits::default(),
    )
    .unwrap_err();
    assert_eq!(errors[0], InstanceError::ZeroScoreBand);
    assert_eq!(errors[1], InstanceError::LotteryLength { expected: 3, got: 1 });
}

#[test]
fn audit_of_an_unstable_matching() {
    let raw = gale_shapley_example_2();
    let instance = raw.instance();
    // Everyone gets their first choice where possible: α and β both want A; give β A.
    let choices: Vec<Option<usize>> =
        [B, A, C, D].iter().enumerate().map(|(s, &p)| instance.position_of(s, p)).collect();
    let m = Matching::from_choices(&instance, &choices).unwrap();
    let pairs = blocking_pairs(&instance, &m);
    let naive = raw.naive_blocking_pairs(&m);
    assert!(!pairs.is_empty());
    assert_eq!(pairs.iter().map(|p| (p.student, p.choice)).collect::<Vec<_>>(), naive);
    for pair in &pairs {
        assert_eq!(pair.programme, instance.choice_programme(pair.student, pair.choice));
        let holder = pair.outranks.unwrap();
        assert_eq!(m.programme(&instance, holder), Some(pair.programme));
    }
    let histogram = rank_histogram(&instance, &m);
    assert_eq!(histogram.by_rank.iter().sum::<usize>() + histogram.unmatched, 4);
    assert_eq!(histogram.by_rank[0], (0..4).filter(|&s| m.rank(s) == 1).count());

    // Two students in a one-seat programme.
    let over = Matching::from_choices(
        &instance,
        &[instance.position_of(0, A), instance.position_of(1, A), None, None],
    )
    .unwrap();
    assert_eq!(
        feasibility(&instance, &over),
        vec![FeasibilityViolation::OverCapacity { programme: A, placed: 2, capacity: 1 }]
    );
    assert_eq!(
        blocking_pairs(&instance, &over).iter().filter(|p| p.outranks.is_none()).count(),
        naive_free_seat_pairs(&raw, &over)
    );

    let da = deferred_acceptance(&instance);
    let cmp = compare(&instance, &da, &m);
    assert_eq!(cmp.same + cmp.better_in_first.len() + cmp.better_in_second.len(), 4);
    assert_eq!(compare(&instance, &da, &da).same, 4);
    assert!(matches!(
        Matching::from_choices(&instance, &[None]),
        Err(MatchingError::WrongLength { expected: 4, got: 1 })
    ));
}

fn naive_free_seat_pairs(raw: &Raw, m: &Matching) -> usize {
    let got = |s: usize| m.choice(s).map(|c| raw.lists[s][c].0);
    let mut n = 0;
    for s in 0..raw.lists.len() {
        for k in 0..m.choice(s).unwrap_or(raw.lists[s].len()) {
            let p = raw.lists[s][k].0;
            let held = (0..raw.lists.len()).filter(|&t| got(t) == Some(p)).count();
            n += usize::from((held as u32) < raw.programmes[p].capacity);
        }
    }
    n
}

/// A random instance: few students, programmes and seats, many score ties, some quotas,
/// sometimes a lottery.
fn random_raw(seed: u64, common_ranking: bool) -> Raw {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_students = rng.gen_range(0..14);
    let n_programmes = rng.gen_range(1..6);
    let max_len = rng.gen_range(1..=4).min(n_programmes);
    let programmes = (0..n_programmes)
        .map(|_| {
            let capacity = rng.gen_range(0..4);
            let quotas = (rng.gen_range(0..4) == 0).then(|| {
                let mut q = [0u32; 6];
                for _ in 0..capacity {
                    q[rng.gen_range(0..3)] += 1;
                }
                q
            });
            ProgrammeSpec { capacity, quotas }
        })
        .collect();
    let mut all: Vec<usize> = (0..n_programmes).collect();
    let lists: Vec<Vec<(usize, i64)>> = (0..n_students)
        .map(|_| {
            all.shuffle(&mut rng);
            let len = rng.gen_range(0..=max_len);
            let common = rng.gen_range(0..6);
            all[..len]
                .iter()
                .map(|&p| (p, if common_ranking { common } else { rng.gen_range(0..6) }))
                .collect()
        })
        .collect();
    let mut ids: Vec<u64> = (0..n_students as u64).map(|i| i * 3 + 1).collect();
    ids.shuffle(&mut rng);
    let n_choices = lists.iter().map(Vec::len).sum();
    let rule = match rng.gen_range(0..3) {
        _ if common_ranking => PriorityRule::default(),
        0 => PriorityRule::default(),
        1 => PriorityRule {
            score_band: rng.gen_range(1..4),
            tie_break: TieBreak::Single((0..n_students).map(|_| rng.gen_range(0..4)).collect()),
        },
        _ => PriorityRule {
            score_band: rng.gen_range(1..4),
            tie_break: TieBreak::Multiple((0..n_choices).map(|_| rng.gen_range(0..4)).collect()),
        },
    };
    Raw {
        ids,
        countries: (0..n_students).map(|_| rng.gen_range(0..3)).collect(),
        lists,
        programmes,
        rule,
    }
}

fn matched_pools(instance: &Instance, m: &Matching) -> Vec<Option<usize>> {
    (0..instance.n_students()).map(|s| m.choice(s).map(|c| instance.choice_pool(s, c))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Gale and Shapley (1962), Theorem 1: deferred acceptance is stable; with quotas,
    /// within every country's seats. The audit agrees with a naive reading of the rules.
    #[test]
    fn deferred_acceptance_is_stable(seed in any::<u64>()) {
        let raw = random_raw(seed, false);
        let instance = raw.instance();
        for m in [deferred_acceptance(&instance), programme_proposing_da(&instance)] {
            prop_assert!(feasibility(&instance, &m).is_empty());
            prop_assert!(raw.naive_blocking_pairs(&m).is_empty());
            prop_assert!(blocking_pairs(&instance, &m).is_empty());
        }
    }

    /// Gale and Shapley (1962), Theorem 2: every student weakly prefers the student-optimal
    /// stable matching to the programme-optimal one. Rural-hospitals theorem (Roth 1986):
    /// both place the same students, and fill each seat pool equally.
    #[test]
    fn student_optimal_dominates_programme_optimal(seed in any::<u64>()) {
        let raw = random_raw(seed, false);
        let instance = raw.instance();
        let student = deferred_acceptance(&instance);
        let programme = programme_proposing_da(&instance);
        let cmp = compare(&instance, &student, &programme);
        prop_assert!(cmp.better_in_second.is_empty());
        for s in 0..instance.n_students() {
            prop_assert_eq!(student.choice(s).is_some(), programme.choice(s).is_some());
        }
        let mut a = matched_pools(&instance, &student).into_iter().flatten().collect::<Vec<_>>();
        let mut b = matched_pools(&instance, &programme).into_iter().flatten().collect::<Vec<_>>();
        a.sort_unstable();
        b.sort_unstable();
        prop_assert_eq!(a, b);
    }

    /// The audit lists exactly the blocking pairs of any assignment, feasible or not.
    #[test]
    fn audit_matches_naive_blocking_pairs(seed in any::<u64>(), pick in any::<u64>()) {
        let raw = random_raw(seed, false);
        let instance = raw.instance();
        let mut rng = ChaCha8Rng::seed_from_u64(pick);
        let choices: Vec<Option<usize>> = (0..instance.n_students())
            .map(|s| {
                let len = instance.list_len(s);
                let c = rng.gen_range(0..=len);
                (c < len).then_some(c)
            })
            .collect();
        let m = Matching::from_choices(&instance, &choices).unwrap();
        let pairs: Vec<(usize, usize)> =
            blocking_pairs(&instance, &m).iter().map(|p| (p.student, p.choice)).collect();
        prop_assert_eq!(pairs, raw.naive_blocking_pairs(&m));
    }

    /// Chen and Kesten (2017): the parallel mechanism with e >= L is deferred acceptance,
    /// with e = 1 it is immediate acceptance.
    #[test]
    fn parallel_spans_boston_to_deferred_acceptance(seed in any::<u64>(), extra in 0usize..3) {
        let raw = random_raw(seed, false);
        let instance = raw.instance();
        let len = instance.max_list_len();
        prop_assert_eq!(parallel(&instance, len + extra), deferred_acceptance(&instance));
        prop_assert_eq!(parallel(&instance, 1), immediate_acceptance(&instance));
        let m = parallel(&instance, 2);
        prop_assert!(feasibility(&instance, &m).is_empty());
    }

    /// With one ranking shared by all programmes, serial dictatorship in that order is
    /// deferred acceptance, and so is top trading cycles (Abdulkadiroğlu and Sönmez 2003).
    #[test]
    fn common_ranking_makes_mechanisms_agree(seed in any::<u64>()) {
        let raw = random_raw(seed, true);
        let instance = raw.instance();
        let da = deferred_acceptance(&instance);
        prop_assert_eq!(&place(&instance, Mechanism::SerialDictatorship), &da);
        prop_assert_eq!(&top_trading_cycles(&instance), &da);
    }

    /// Every mechanism respects capacities and quotas, and places no one outside her list.
    #[test]
    fn every_mechanism_is_feasible(seed in any::<u64>()) {
        let raw = random_raw(seed, false);
        let instance = raw.instance();
        for mechanism in [
            Mechanism::ImmediateAcceptance,
            Mechanism::TopTradingCycles,
            Mechanism::SerialDictatorship,
            Mechanism::Parallel { band: 2 },
        ] {
            let m = place(&instance, mechanism);
            prop_assert!(feasibility(&instance, &m).is_empty(), "{:?}", mechanism);
            let histogram = rank_histogram(&instance, &m);
            prop_assert_eq!(histogram.unmatched + m.n_matched(), instance.n_students());
        }
    }

    /// Top trading cycles wastes no seat: no student prefers a programme that still has a
    /// free seat in her pool.
    #[test]
    fn top_trading_cycles_wastes_no_seat(seed in any::<u64>()) {
        let raw = random_raw(seed, false);
        let instance = raw.instance();
        let m = top_trading_cycles(&instance);
        prop_assert!(blocking_pairs(&instance, &m).iter().all(|p| p.outranks.is_some()));
    }
}

#[test]
fn synthetic_instances_are_reproducible_and_valid() {
    let config = synthetic::SyntheticConfig {
        n_students: 500,
        n_programmes: 40,
        list_len: 5,
        seats_percent: 80,
        quotas: true,
    };
    let (a, pa) = synthetic::generate(&config, 7);
    let (b, pb) = synthetic::generate(&config, 7);
    assert_eq!(pa, pb);
    assert_eq!(
        (0..a.len()).map(|s| a.choices(s).collect::<Vec<_>>()).collect::<Vec<_>>(),
        (0..b.len()).map(|s| b.choices(s).collect::<Vec<_>>()).collect::<Vec<_>>()
    );
    let instance = Instance::new(&a, &pa, &PriorityRule::default(), CallLimits::default()).unwrap();
    assert_eq!(instance.n_entries(), 500 * 5);
    assert_eq!(instance.n_pools(), 40 * 6);
    let m = deferred_acceptance(&instance);
    assert!(blocking_pairs(&instance, &m).is_empty());
    assert!(m.n_matched() > 0);
}

#[test]
fn huge_capacities_cost_no_memory() {
    // Seats are bounded by applicants inside the mechanisms, not allocated per capacity.
    let raw = Raw::new(vec![vec![(0, 1), (1, 1)], vec![(1, 2)]], &[u32::MAX, u32::MAX]);
    for mechanism in [
        Mechanism::StudentProposingDa,
        Mechanism::ProgrammeProposingDa,
        Mechanism::ImmediateAcceptance,
        Mechanism::Parallel { band: usize::MAX },
        Mechanism::TopTradingCycles,
        Mechanism::SerialDictatorship,
    ] {
        check(&raw, mechanism, &[Some(0), Some(1)]);
    }
}
