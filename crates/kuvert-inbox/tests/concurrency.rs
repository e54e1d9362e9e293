//! Racing requests: 50 bookings for one capacity-1 slot give one 201 and 49 × 409; a
//! capacity-2 slot takes exactly two; twenty copies of one envelope store one booking.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use tokio::sync::Barrier;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_racers_for_one_place_give_one_booking() {
    let t = inbox();
    let barrier = Arc::new(Barrier::new(50));
    let mut tasks = Vec::new();
    for seed in 0..50u64 {
        let (env, _) = envelope(
            1000 + seed,
            "cut",
            "2027-02-22T09:00:00Z",
            "2027-02-22T09:30:00Z",
            "",
        );
        let (app, barrier) = (t.app.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            call(&app, post_json("/v1/bookings", env)).await.0
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 49), "{statuses:?}");
    assert_eq!(t.state.inner().store.count().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capacity_two_takes_exactly_two() {
    let t = inbox();
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for seed in 0..20u64 {
        let (env, _) = envelope(
            2000 + seed,
            "colour",
            "2027-02-22T09:00:00Z",
            "2027-02-22T10:30:00Z",
            "",
        );
        let (app, barrier) = (t.app.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            call(&app, post_json("/v1/bookings", env)).await.0
        }));
    }
    let mut created = 0;
    for task in tasks {
        created += usize::from(task.await.unwrap() == StatusCode::CREATED);
    }
    assert_eq!(created, 2);
}

/// The same envelope twenty times at once (a client retrying over a flaky network, or a proxy
/// replaying), for a capacity-2 slot: one booking stored, one 201, and every other answer 200
/// with the same reference. Without the repeat check inside `reserve`'s transaction, two
/// copies could both pass the early check and take both places.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_copies_of_one_envelope_store_one_booking() {
    let t = inbox();
    let (env, _) = envelope(
        3000,
        "colour",
        "2027-02-22T09:00:00Z",
        "2027-02-22T10:30:00Z",
        "",
    );
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, barrier, env) = (t.app.clone(), barrier.clone(), env.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let (s, _, json, _) = call(&app, post_json("/v1/bookings", env)).await;
            (s, json["reference"].as_str().map(str::to_owned))
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let repeats = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!((created, repeats), (1, 19), "{answers:?}");
    let first = &answers[0].1;
    assert!(
        first.is_some() && answers.iter().all(|(_, r)| r == first),
        "{answers:?}"
    );
    assert_eq!(t.state.inner().store.count().unwrap(), 1);
}
