//! Tests of the lifecycle: the designed transition table, exhaustively, and the invariants
//! under arbitrary event sequences.

use proptest::prelude::*;

use super::*;

fn agencies(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn officer(decision: OfficerDecision) -> Event {
    Event::Officer { decision, officer: "officer-1".to_owned(), comment: "checked".to_owned() }
}

fn agency(name: &str, decision: AgencyDecision) -> Event {
    Event::Agency {
        agency: name.to_owned(),
        decision,
        officer: "inspector-1".to_owned(),
        comment: String::new(),
    }
}

fn assess(channel: Channel, required: &[&str]) -> Event {
    Event::Assess { channel, required_agencies: agencies(required) }
}

/// Applies events in order, checking invariants after each; panics on a refused event.
#[track_caller]
fn run(events: &[Event]) -> Lifecycle {
    let mut lifecycle = Lifecycle::new();
    for event in events {
        lifecycle = lifecycle.apply(event.clone()).unwrap_or_else(|err| panic!("{event:?}: {err}"));
        lifecycle.check_invariants().unwrap();
    }
    lifecycle
}

#[test]
fn green_without_agencies_is_released_on_routing() {
    let lifecycle = run(&[Event::Lodge, assess(Channel::Green, &[]), Event::Route]);
    assert_eq!(lifecycle.status(), Status::Released);
    let path: Vec<Status> = lifecycle.history().iter().map(|entry| entry.to).collect();
    assert_eq!(path, [Status::Lodged, Status::Assessed, Status::Released]);
}

#[test]
fn green_with_an_agency_waits_for_its_approval() {
    let lifecycle =
        run(&[Event::Lodge, assess(Channel::Green, &["plant-protection"]), Event::Route]);
    assert_eq!(lifecycle.status(), Status::AwaitingApprovals);
    let released = lifecycle.apply(agency("plant-protection", AgencyDecision::Approve)).unwrap();
    assert_eq!(released.status(), Status::Released);
}

#[test]
fn red_needs_an_officer_and_every_agency() {
    let lifecycle = run(&[
        Event::Lodge,
        assess(Channel::Red, &["plant-protection", "veterinary"]),
        Event::Route,
        officer(OfficerDecision::Inspect),
        agency("veterinary", AgencyDecision::Approve),
    ]);
    assert_eq!(lifecycle.status(), Status::UnderControl);
    let cleared = lifecycle.apply(officer(OfficerDecision::Release)).unwrap();
    assert_eq!(cleared.status(), Status::AwaitingApprovals);
    let err = cleared.apply(agency("veterinary", AgencyDecision::Approve)).unwrap_err();
    assert_eq!(err, TransitionError::AlreadyApproved { agency: "veterinary".to_owned() });
    let err = cleared.apply(agency("police", AgencyDecision::Approve)).unwrap_err();
    assert!(matches!(err, TransitionError::AgencyNotRequired { .. }), "{err}");
    let released = cleared.apply(agency("plant-protection", AgencyDecision::Approve)).unwrap();
    assert_eq!(released.status(), Status::Released);
    assert_eq!(released.history().len(), 7);
}

#[test]
fn refusal_rejects_and_amendment_makes_a_new_version() {
    let under_control = run(&[Event::Lodge, assess(Channel::Yellow, &["health"]), Event::Route]);
    let refused = under_control.apply(agency("health", AgencyDecision::Refuse)).unwrap();
    assert_eq!(refused.status(), Status::Rejected);
    let amended = under_control
        .apply(officer(OfficerDecision::RequestDocuments))
        .unwrap()
        .apply(Event::Amend)
        .unwrap();
    assert_eq!((amended.status(), amended.version(), amended.channel()), (Status::Lodged, 2, None));
    assert!(amended.required_agencies().is_empty());
    // The history keeps what happened to version 1.
    assert!(
        amended
            .history()
            .iter()
            .any(|entry| entry.version == 1 && entry.to == Status::UnderControl)
    );
    assert_eq!(amended.history().last().map(|entry| entry.version), Some(1));
}

/// One event of each kind and variant, for the exhaustive table.
fn event_samples() -> Vec<Event> {
    vec![
        Event::Lodge,
        assess(Channel::Yellow, &["plant-protection"]),
        Event::Route,
        officer(OfficerDecision::Release),
        officer(OfficerDecision::RequestDocuments),
        officer(OfficerDecision::Inspect),
        officer(OfficerDecision::Reject),
        agency("plant-protection", AgencyDecision::Approve),
        agency("plant-protection", AgencyDecision::Refuse),
        Event::Amend,
    ]
}

/// A lifecycle in each status (required agency: plant-protection, none approved yet).
fn in_status(status: Status) -> Lifecycle {
    let to_assessed = [Event::Lodge, assess(Channel::Yellow, &["plant-protection"])];
    let events: Vec<Event> = match status {
        Status::Draft => vec![],
        Status::Lodged => vec![Event::Lodge],
        Status::Assessed => to_assessed.to_vec(),
        Status::UnderControl => [&to_assessed[..], &[Event::Route]].concat(),
        Status::AwaitingApprovals => {
            [&to_assessed[..], &[Event::Route, officer(OfficerDecision::Release)]].concat()
        }
        Status::Released => [
            &to_assessed[..],
            &[
                Event::Route,
                officer(OfficerDecision::Release),
                agency("plant-protection", AgencyDecision::Approve),
            ],
        ]
        .concat(),
        Status::Rejected => {
            [&to_assessed[..], &[Event::Route, officer(OfficerDecision::Reject)]].concat()
        }
    };
    let lifecycle = run(&events);
    assert_eq!(lifecycle.status(), status);
    lifecycle
}

#[test]
fn transition_table_is_exactly_the_designed_one() {
    // Expected next status for each (status, event) pair; `None` = refused.
    use Status::*;
    let expected: [(Status, [Option<Status>; 10]); 7] = [
        //                 lodge          assess          route               release                 req.docs            inspect             reject          approve                 refuse          amend
        (Draft, [Some(Lodged), None, None, None, None, None, None, None, None, None]),
        (Lodged, [None, Some(Assessed), None, None, None, None, None, None, None, Some(Lodged)]),
        (
            Assessed,
            [None, None, Some(UnderControl), None, None, None, None, None, None, Some(Lodged)],
        ),
        (
            UnderControl,
            [
                None,
                None,
                None,
                Some(AwaitingApprovals),
                Some(UnderControl),
                Some(UnderControl),
                Some(Rejected),
                Some(UnderControl),
                Some(Rejected),
                Some(Lodged),
            ],
        ),
        (
            AwaitingApprovals,
            [
                None,
                None,
                None,
                None,
                None,
                None,
                Some(Rejected),
                Some(Released),
                Some(Rejected),
                Some(Lodged),
            ],
        ),
        (Released, [None; 10]),
        (Rejected, [None; 10]),
    ];
    for (status, row) in expected {
        let lifecycle = in_status(status);
        for (event, want) in event_samples().into_iter().zip(row) {
            let got = lifecycle.apply(event.clone());
            match (&got, want) {
                (Ok(next), Some(want)) => {
                    assert_eq!(next.status(), want, "{status} + {}", event.name());
                    next.check_invariants().unwrap();
                    assert_eq!(next.history().len(), lifecycle.history().len() + 1);
                }
                (Err(_), None) => {}
                _ => panic!("{status} + {}: got {got:?}, want {want:?}", event.name()),
            }
        }
        // Refusal leaves the original untouched (`apply` borrows it).
        assert_eq!(lifecycle.status(), status);
    }
}

#[test]
fn replaying_the_history_rebuilds_the_same_lifecycle() {
    let lifecycle = run(&[
        Event::Lodge,
        assess(Channel::Red, &["health"]),
        Event::Route,
        Event::Amend,
        assess(Channel::Green, &[]),
    ]);
    let events: Vec<Event> = lifecycle.history().iter().map(|entry| entry.event.clone()).collect();
    assert_eq!(Lifecycle::replay(events.clone()), Ok(lifecycle));
    let mut tampered = events;
    tampered.insert(1, Event::Route);
    assert!(matches!(
        Lifecycle::replay(tampered),
        Err((1, TransitionError::NotAllowed { status: Status::Lodged, .. }))
    ));
}

fn any_event() -> impl Strategy<Value = Event> {
    let agency_name = prop::sample::select(vec!["plant-protection", "veterinary", "health"]);
    let channel = prop::sample::select(vec![Channel::Green, Channel::Yellow, Channel::Red]);
    let officer_decision = prop::sample::select(vec![
        OfficerDecision::Release,
        OfficerDecision::RequestDocuments,
        OfficerDecision::Inspect,
        OfficerDecision::Reject,
    ]);
    let agency_decision = prop::sample::select(vec![
        AgencyDecision::Approve,
        AgencyDecision::Approve,
        AgencyDecision::Refuse,
    ]);
    prop_oneof![
        Just(Event::Lodge),
        (channel, prop::collection::btree_set(agency_name.clone(), 0..3)).prop_map(
            |(channel, set)| Event::Assess {
                channel,
                required_agencies: set.into_iter().map(str::to_owned).collect()
            }
        ),
        Just(Event::Route),
        officer_decision.prop_map(officer),
        (agency_name, agency_decision).prop_map(|(name, decision)| agency(name, decision)),
        Just(Event::Amend),
    ]
}

proptest! {
    #[test]
    fn no_event_sequence_reaches_an_illegal_state(events in prop::collection::vec(any_event(), 0..40)) {
        let mut lifecycle = Lifecycle::new();
        let mut n_applied = 0;
        for event in events {
            let before = lifecycle.clone();
            match lifecycle.apply(event) {
                Ok(next) => {
                    prop_assert!(!before.status().is_final(), "a final status accepted an event");
                    prop_assert!(next.version() >= before.version());
                    lifecycle = next;
                    n_applied += 1;
                }
                Err(_) => prop_assert_eq!(&lifecycle, &before),
            }
            prop_assert_eq!(lifecycle.check_invariants(), Ok(()));
            prop_assert_eq!(lifecycle.history().len(), n_applied);
        }
        // Released only ever follows a clearance and every approval.
        if lifecycle.status() == Status::Released {
            prop_assert!(lifecycle.customs_cleared());
            prop_assert!(lifecycle.required_agencies().is_subset(lifecycle.approvals()));
        }
    }
}

#[test]
fn an_ordered_inspection_stands_through_amendments_until_an_officer_decides() {
    let inspected = run(&[
        Event::Lodge,
        assess(Channel::Yellow, &[]),
        Event::Route,
        officer(OfficerDecision::Inspect),
    ]);
    let standing = inspected.standing_decision().unwrap();
    assert_eq!((standing.channel, standing.version), (Channel::Red, 1));
    // The trader amends; the new version assesses green, but the inspection holds.
    let amended = run(&[
        Event::Lodge,
        assess(Channel::Yellow, &[]),
        Event::Route,
        officer(OfficerDecision::Inspect),
        Event::Amend,
        assess(Channel::Green, &[]),
        Event::Route,
    ]);
    assert_eq!((amended.channel(), amended.status()), (Some(Channel::Red), Status::UnderControl));
    assert_eq!(amended.standing_decision().map(|d| d.channel), Some(Channel::Red));
    // Documents requested hold at least yellow; an officer's release ends the hold.
    let documents = run(&[
        Event::Lodge,
        assess(Channel::Red, &[]),
        Event::Route,
        officer(OfficerDecision::RequestDocuments),
        Event::Amend,
        assess(Channel::Green, &[]),
        Event::Route,
    ]);
    assert_eq!(documents.channel(), Some(Channel::Yellow));
    let released = documents.apply(officer(OfficerDecision::Release)).unwrap();
    assert_eq!(released.standing_decision(), None);
}
