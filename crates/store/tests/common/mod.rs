//! Where the store's tests run: a throwaway SQLite file, and a throwaway PostgreSQL
//! database under `SWITCHBOARD_TEST_POSTGRES` (required when `CI` is set).

use sqlx::Connection;
use std::future::Future;

/// Runs `test` on a fresh SQLite database named after `label`.
pub async fn on_sqlite<F: Future<Output = ()>>(label: &str, test: impl FnOnce(String) -> F) {
    let dir = std::env::temp_dir().join(format!("sb-store-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    test(format!("sqlite://{}/t.db?mode=rwc", dir.display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `test` on a fresh PostgreSQL database named after `label`, then drops it.
pub async fn on_postgres<F: Future<Output = ()>>(label: &str, test: impl FnOnce(String) -> F) {
    let Ok(admin) = std::env::var("SWITCHBOARD_TEST_POSTGRES") else {
        assert!(std::env::var_os("CI").is_none(), "CI must test PostgreSQL");
        return;
    };
    let name = format!("sb_store_{label}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    test(format!("{base}/{name}")).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
}
