//! Music on hold, holding bridges, the announcer, two-party pass-through and transcoding,
//! over real UDP sockets on 127.0.0.1: fake phones send and receive RTP every 20 ms, and
//! what they hear is decoded and measured (helpers in `common`). Music-on-hold classes are
//! small WAV files generated into each test's scratch directory.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sb_media::engine::{ChannelEngine, MediaChannel};
use sb_media::relay::MediaEngine;
use sb_media::sound::moh::{MohError, MohScope};
use tokio::sync::mpsc;
use tokio::time::sleep;

/// The folder music-on-hold classes are written to, in `scratch`.
const MOH: &str = "moh";

/// The engine's terminating side, with its music-on-hold classes in `scratch`.
fn channels(engine: &MediaEngine, scratch: &Scratch) -> ChannelEngine {
    engine.channels().clone().with_moh_dir(scratch.path().join(MOH))
}

/// Writes `samples` as file `file` of class `class` (a path under the MOH root, such as
/// `default` or `tenants/acme/default`).
fn write_class_file(scratch: &Scratch, class: &str, file: &str, samples: &[i16]) {
    write_wav(&scratch.path().join(MOH).join(class).join(file), samples);
}

/// A phone and the channel answering it (PCMU and telephone-event unless `formats` says).
async fn answered(channels: &ChannelEngine, formats: &str) -> (Phone, MediaChannel) {
    let phone = Phone::new().await;
    let (events, _) = mpsc::channel(64);
    let (channel, _) = channels.answer(&phone.offer(formats), LOCALHOST, events).await.unwrap();
    (phone, channel)
}

/// What `phone` hears during `window`, decoded from PCMU.
async fn hear(phone: &Phone, window: Duration) -> Vec<i16> {
    decode(&listen(Arc::clone(&phone.socket), window).await)
}

#[tokio::test]
async fn music_on_hold_is_heard_on_a_channel_until_stopped() {
    let scratch = Scratch::new();
    let music = chirp(8000, 300.0, 3000.0, 8000.0);
    write_class_file(&scratch, "default", "01-chirp.wav", &music);
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);
    let (phone, channel) = answered(&channels, "0 101").await;

    channel.start_moh(None, None).await.unwrap();
    // Over two seconds, at least one whole loop of the one-second music.
    let heard = hear(&phone, Duration::from_millis(2500)).await;
    let correlation = best_correlation(&heard, &music);
    assert!(correlation > 0.9, "correlation {correlation}");

    channel.stop_moh();
    sleep(Duration::from_millis(100)).await;
    let after = hear(&phone, Duration::from_millis(400)).await;
    assert!(after.len() >= 10 * 160 && rms(&after) < 10.0, "silence once stopped: RMS {}", rms(&after));

    assert!(matches!(channel.start_moh(None, Some("jazz")).await, Err(MohError::NotFound { .. })));
    assert!(matches!(channel.start_moh(Some("../etc"), None).await, Err(MohError::BadName(_))));
}

#[tokio::test]
async fn a_tenant_hears_its_own_class_before_the_global_one() {
    let scratch = Scratch::new();
    write_class_file(&scratch, "default", "global.wav", &tone("500", 50).concat());
    write_class_file(&scratch, "tenants/acme/default", "acme.wav", &tone("1200", 50).concat());
    write_class_file(&scratch, "tenants/acme/jingles", "acme.wav", &tone("1200", 50).concat());
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);

    for (tenant, expected, other) in [(Some("acme"), 1200, 500), (Some("globex"), 500, 1200), (None, 500, 1200)] {
        let (phone, channel) = answered(&channels, "0").await;
        channel.start_moh(tenant, None).await.unwrap();
        let heard = hear(&phone, Duration::from_millis(600)).await;
        let (wanted, unwanted) = (level(&heard[1600..], expected), level(&heard[1600..], other));
        assert!(wanted > 3000.0 && unwanted < 300.0, "{tenant:?}: {expected} Hz at {wanted}, {other} Hz at {unwanted}");
    }

    let listed = channels.moh_classes(Some("acme")).await.unwrap();
    let names: Vec<(&str, bool)> =
        listed.iter().map(|class| (class.name.as_str(), matches!(class.scope, MohScope::Tenant(_)))).collect();
    assert_eq!(names, [("default", true), ("jingles", true)]);
    let global = channels.moh_classes(None).await.unwrap();
    assert_eq!(global.iter().map(|class| class.name.as_str()).collect::<Vec<_>>(), ["default"]);
    assert!(matches!(channels.moh_classes(Some("a b")).await, Err(MohError::BadName(_))));
}
