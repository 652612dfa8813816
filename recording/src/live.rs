//! Live taps: listening to a call while it is being recorded (REC-2).
//!
//! A [`LiveTap`] is given each frame the recorder stores (see
//! [`WavRecorder::set_tap`](crate::wav_recorder::WavRecorder::set_tap)) and hands a copy to
//! every [`LiveListener`] subscribed to it — a supervisor's browser, a phone dialled in to
//! listen. Listeners hear what the recording holds: silence while the recording is paused.
//!
//! The recorder must never wait for a listener. Each listener has a bounded queue; when a slow
//! listener's queue is full the newest frame is dropped for that listener alone and counted
//! ([`LiveListener::dropped`]). A listener that went away is forgotten on the next frame.
//!
//! ```
//! use std::time::Duration;
//! use sambung_recording::live::LiveTap;
//!
//! let tap = LiveTap::new();
//! let listener = tap.subscribe(50); // a second of 20 ms frames
//! tap.publish(&[100; 160], &[-100; 160]);
//! let frame = listener.next_timeout(Duration::from_millis(10)).expect("a frame");
//! assert_eq!((frame.caller[0], frame.agent[0]), (100, -100));
//! assert_eq!(frame.seq, 0);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// One frame of both legs, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFrame {
    /// The frame's number since the tap started (gaps show frames this listener missed).
    pub seq: u64,
    /// What the caller said.
    pub caller: Arc<[i16]>,
    /// What the agent said.
    pub agent: Arc<[i16]>,
}

#[derive(Debug)]
struct Subscriber {
    tx: SyncSender<LiveFrame>,
    dropped: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct Shared {
    subscribers: Vec<Subscriber>,
    seq: u64,
}

/// The publishing side, held by the recorder; clones share the same listeners.
#[derive(Debug, Clone, Default)]
pub struct LiveTap {
    shared: Arc<Mutex<Shared>>,
}

/// Most frames a listener may hold unread (about a minute of 20 ms frames).
pub const MAX_QUEUE: usize = 3000;

impl LiveTap {
    /// A tap with no listeners.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A listener cannot panic while holding this lock; recover the data regardless.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new listener that receives frames from now on, holding at most `queue` unread frames
    /// (1 to [`MAX_QUEUE`]).
    pub fn subscribe(&self, queue: usize) -> LiveListener {
        let (tx, rx) = sync_channel(queue.clamp(1, MAX_QUEUE));
        let dropped = Arc::new(AtomicU64::new(0));
        self.lock().subscribers.push(Subscriber {
            tx,
            dropped: Arc::clone(&dropped),
        });
        LiveListener { rx, dropped }
    }

    /// Listeners still connected.
    pub fn listeners(&self) -> usize {
        self.lock().subscribers.len()
    }

    /// Hands one frame of both legs to every listener; never blocks. Without listeners it
    /// costs a lock and nothing else.
    pub fn publish(&self, caller: &[i16], agent: &[i16]) {
        let mut shared = self.lock();
        let seq = shared.seq;
        shared.seq += 1;
        if shared.subscribers.is_empty() {
            return;
        }
        let frame = LiveFrame {
            seq,
            caller: Arc::from(caller),
            agent: Arc::from(agent),
        };
        shared
            .subscribers
            .retain(|s| match s.tx.try_send(frame.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    s.dropped.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Err(TrySendError::Disconnected(_)) => false,
            });
    }
}

/// The listening side; dropping it unsubscribes.
#[derive(Debug)]
pub struct LiveListener {
    rx: Receiver<LiveFrame>,
    dropped: Arc<AtomicU64>,
}

impl LiveListener {
    /// The next frame if one is waiting.
    pub fn try_next(&self) -> Option<LiveFrame> {
        self.rx.try_recv().ok()
    }

    /// The next frame, waiting up to `timeout`; `None` on timeout or when the recording
    /// ended (every tap dropped).
    pub fn next_timeout(&self, timeout: Duration) -> Option<LiveFrame> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// The next frame, waiting as long as it takes; `None` once the recording ended (every
    /// tap dropped) and every frame was read.
    pub fn next(&self) -> Option<LiveFrame> {
        self.rx.recv().ok()
    }

    /// Frames this listener missed because it read too slowly.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
