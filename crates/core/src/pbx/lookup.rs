//! The CRM routing lookup (salara's dialplan application): an inbound route whose
//! destination is `CRM` asks a CRM which extension should take the call. The core knows
//! only this trait; the HTTP client lives in the `crm` crate (which depends on the core),
//! and `switchboard serve` plugs it in through [`PbxConfig`](super::PbxConfig).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// The future a lookup answers with.
pub type LookupFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, LookupError>> + Send + 'a>>;

/// Asks someone (a CRM) which extension should take a call from `caller` to `ddi`.
pub trait CallerLookup: Send + Sync {
    /// The extension named for this caller, `None` when the answer names none.
    fn extension_for<'a>(&'a self, caller: &'a str, ddi: &'a str) -> LookupFuture<'a>;
}

/// Why a lookup gave no extension.
#[derive(Debug, Error)]
pub enum LookupError {
    /// No answer within the lookup's time limit.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The CRM could not be reached.
    #[error("the CRM is unreachable: {0}")]
    Unreachable(String),
    /// The CRM answered with an HTTP error status.
    #[error("the CRM answered HTTP {0}")]
    Status(u16),
    /// The CRM's answer is not a JSON object with a usable value.
    #[error("the CRM's answer cannot be read: {0}")]
    Unreadable(String),
}

/// The CRM lookup as inbound calls use it.
#[derive(Clone)]
pub struct CrmRouting {
    /// Who answers.
    pub lookup: Arc<dyn CallerLookup>,
    /// The longest a call waits for the answer.
    pub timeout: Duration,
    /// Where the call goes when the lookup names no usable extension: an extension number
    /// or a special destination (`Hangup`); without one the caller hears 480.
    pub fallback: Option<String>,
}

impl fmt::Debug for CrmRouting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrmRouting")
            .field("timeout", &self.timeout)
            .field("fallback", &self.fallback)
            .finish_non_exhaustive()
    }
}

impl CrmRouting {
    /// Asks for the extension of `caller`, waiting at most the configured time.
    pub async fn ask(&self, caller: &str, ddi: &str) -> Result<Option<String>, LookupError> {
        match tokio::time::timeout(self.timeout, self.lookup.extension_for(caller, ddi)).await {
            Ok(answer) => answer,
            Err(_) => Err(LookupError::Timeout(self.timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers `extension` after `delay`.
    struct Slow {
        delay: Duration,
        extension: &'static str,
    }

    impl CallerLookup for Slow {
        fn extension_for<'a>(&'a self, _caller: &'a str, _ddi: &'a str) -> LookupFuture<'a> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                Ok(Some(self.extension.to_owned()))
            })
        }
    }

    fn routing(delay: Duration) -> CrmRouting {
        CrmRouting {
            lookup: Arc::new(Slow { delay, extension: "1002" }),
            timeout: Duration::from_secs(3),
            fallback: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_in_time_is_taken_and_a_late_one_is_a_timeout() {
        assert_eq!(routing(Duration::from_secs(2)).ask("0700", "123").await.unwrap(), Some("1002".to_owned()));
        let late = routing(Duration::from_secs(4)).ask("0700", "123").await;
        assert!(matches!(late, Err(LookupError::Timeout(t)) if t == Duration::from_secs(3)), "{late:?}");
    }
}
