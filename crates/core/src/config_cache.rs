//! A cache of values read from the store's configuration, so that the call path does not
//! query the database for every INVITE. An entry is used only while the store's
//! configuration generation is the one it was read at (any configuration write through this
//! process invalidates everything) and for a short time at most (writes by other nodes that
//! share the database are seen after that).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sb_store::Store;

/// Values of type `V` by key, each read from the store on a miss.
pub struct ConfigCache<V> {
    store: Store,
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, Entry<V>>>,
}

struct Entry<V> {
    generation: u64,
    loaded: Instant,
    value: V,
}

impl<V: Clone> ConfigCache<V> {
    /// A cache over `store` keeping each value at most `ttl`, and at most `capacity` of them
    /// (when full it starts afresh: lookups of numbers that do not exist must not grow it).
    pub fn new(store: Store, ttl: Duration, capacity: usize) -> ConfigCache<V> {
        ConfigCache { store, ttl, capacity, entries: Mutex::new(HashMap::new()) }
    }

    /// The value for `key`: cached if still valid, else from `load` (whose result is kept
    /// only when it succeeds).
    pub async fn get_or_load<F, Fut>(&self, key: &str, load: F) -> sb_store::Result<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = sb_store::Result<V>>,
    {
        // Read before loading: a write that commits meanwhile makes this entry stale.
        let generation = self.store.generation();
        if let Some(value) = self.cached(key, generation) {
            return Ok(value);
        }
        let value = load().await?;
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_owned(), Entry { generation, loaded: Instant::now(), value: value.clone() });
        Ok(value)
    }

    fn cached(&self, key: &str, generation: u64) -> Option<V> {
        let entries = self.lock();
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.loaded.elapsed() < self.ttl).then(|| entry.value.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<V>>> {
        // The map holds no invariant a panic could break half-way.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn store() -> (Store, std::path::PathBuf) {
        let path =
            std::env::temp_dir().join(format!("sb-config-cache-{}-{}.db", std::process::id(), rand::random::<u64>()));
        let store = Store::open(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("open");
        (store, path)
    }

    async fn counted(loads: &AtomicUsize, value: u32) -> sb_store::Result<u32> {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok(value)
    }

    #[tokio::test]
    async fn values_are_reused_until_a_configuration_write_or_the_ttl() {
        let (store, path) = store().await;
        let cache = ConfigCache::new(store.clone(), Duration::from_millis(200), 100);
        let loads = AtomicUsize::new(0);
        assert_eq!(cache.get_or_load("1001", || counted(&loads, 1)).await.unwrap(), 1);
        assert_eq!(cache.get_or_load("1001", || counted(&loads, 2)).await.unwrap(), 1);
        assert_eq!(loads.load(Ordering::SeqCst), 1, "the second lookup is a hit");

        // A runtime record write keeps the cache; a configuration write empties it.
        store.write_records().await.unwrap().commit().await.unwrap();
        assert_eq!(cache.get_or_load("1001", || counted(&loads, 3)).await.unwrap(), 1);
        store.write().await.unwrap().commit().await.unwrap();
        assert_eq!(cache.get_or_load("1001", || counted(&loads, 4)).await.unwrap(), 4);

        // A rolled-back write changes nothing.
        drop(store.write().await.unwrap());
        assert_eq!(cache.get_or_load("1001", || counted(&loads, 5)).await.unwrap(), 4);

        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(cache.get_or_load("1001", || counted(&loads, 6)).await.unwrap(), 6, "expired");
        store.close().await;
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn failed_loads_are_not_kept_and_the_size_is_bounded() {
        let (store, path) = store().await;
        let cache: ConfigCache<u32> = ConfigCache::new(store.clone(), Duration::from_secs(60), 3);
        let failed = cache.get_or_load("x", || async { Err(sb_store::Error::Config("down".into())) }).await;
        assert!(failed.is_err());
        assert_eq!(cache.get_or_load("x", || async { Ok(7) }).await.unwrap(), 7);
        for key in ["a", "b", "c", "d"] {
            cache.get_or_load(key, || async { Ok(1) }).await.unwrap();
        }
        assert!(cache.lock().len() <= 3);
        store.close().await;
        let _ = std::fs::remove_file(path);
    }
}
