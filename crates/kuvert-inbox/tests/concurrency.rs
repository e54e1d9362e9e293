//! 50 simultaneous bookings for one capacity-1 slot: exactly one 201, 49 × 409.

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
