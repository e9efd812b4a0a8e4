//! Embedded schema migrations, rendered for the running dialect and applied at start.
//!
//! The SQL lives in `migrations/*.sql` as one template per version; `{{serial}}` and
//! `{{blob}}` are the only words that differ between SQLite and PostgreSQL.

use crate::{Backend, Result};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

/// (version, description, template) for every migration, oldest first.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "provisioning schema", include_str!("migrations/0001_provisioning.sql")),
    (2, "registrar bindings", include_str!("migrations/0002_registrations.sql")),
    (3, "call detail records", include_str!("migrations/0003_cdrs.sql")),
    (4, "webhooks and their outbox", include_str!("migrations/0004_webhooks.sql")),
    (5, "ARI mailboxes", include_str!("migrations/0005_mailboxes.sql")),
];

pub(crate) async fn run(pool: &sqlx::AnyPool, backend: Backend) -> Result<()> {
    let migrations: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|(version, description, template)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                Cow::Owned(backend.render(template)),
                false,
            )
        })
        .collect();
    let migrator = Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    migrator.run(pool).await?;
    Ok(())
}
