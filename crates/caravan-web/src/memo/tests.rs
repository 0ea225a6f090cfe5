use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::Memo;

/// A load that counts its calls and takes a while, so that concurrent callers overlap it.
async fn counted(loads: &AtomicUsize, value: u32) -> Result<u32, String> {
    loads.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    Ok(value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_load() {
    let memo = Arc::new(Memo::<&'static str, u32>::new(None));
    let loads = Arc::new(AtomicUsize::new(0));
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let (memo, loads) = (memo.clone(), loads.clone());
            tokio::spawn(async move { memo.get_or_load(&"kz", || counted(&loads, 7)).await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap(), Ok(7));
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1, "fifty callers, one store read");
    // Another key is loaded on its own.
    assert_eq!(memo.get_or_load(&"uz", || counted(&loads, 9)).await, Ok(9));
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_expired_value_is_loaded_again() {
    let memo = Memo::<u8, u32>::new(Some(Duration::from_millis(30)));
    let loads = AtomicUsize::new(0);
    assert_eq!(memo.get_or_load(&1, || counted(&loads, 1)).await, Ok(1));
    assert_eq!(memo.get_or_load(&1, || counted(&loads, 2)).await, Ok(1), "still fresh");
    // The first load took 20 ms of the 30 ms: its age counts from when it was asked.
    tokio::time::sleep(Duration::from_millis(15)).await;
    assert_eq!(memo.get_or_load(&1, || counted(&loads, 3)).await, Ok(3));
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_load_is_not_kept() {
    let memo = Memo::<u8, u32>::new(None);
    let failed: Result<u32, String> =
        memo.get_or_load(&1, || async { Err("store down".to_owned()) }).await;
    assert_eq!(failed, Err("store down".to_owned()));
    let loads = AtomicUsize::new(0);
    assert_eq!(memo.get_or_load(&1, || counted(&loads, 5)).await, Ok(5));
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn put_and_forget_replace_the_value() {
    let memo = Memo::<u8, u32>::new(None);
    let loads = AtomicUsize::new(0);
    memo.put(1, 40);
    assert_eq!(memo.get_or_load(&1, || counted(&loads, 0)).await, Ok(40), "put needs no load");
    memo.forget(&1);
    assert_eq!(memo.get_or_load(&1, || counted(&loads, 41)).await, Ok(41));
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}
