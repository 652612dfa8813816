//! A supervisor on an agent's call (`*80`, `*81`, `*82` + agent + PIN from any phone): listen
//! (hears both sides, heard by none), whisper (heard by the agent only), barge (heard by both).
//!
//! The call task of the caller owns the bridge; while its agent leg is answered it is reachable
//! through [`Monitors`] under the agent's ID. A supervisor's call task hands it a [`Monitor`] —
//! two channels of 20 ms frames — and the bridge mixes the three parties every tick with
//! `sambung_media::mixer` (N−1 mixing with the three roles). Either side ending closes its
//! channel, which the other notices on its next tick.

use std::collections::HashMap;
use std::sync::Mutex;

use sambung_acd::feature_codes::SuperviseMode;
use sambung_media::mixer::{Mixer, Role};
use tokio::sync::mpsc;

/// Samples in a frame (20 ms at 8 kHz).
const FRAME: usize = 160;
const CALLER: u64 = 1;
const AGENT: u64 = 2;
const SUPERVISOR: u64 = 3;

/// Agent ID → the bridge of the call they are on.
pub(crate) type Monitors = Mutex<HashMap<String, mpsc::Sender<Monitor>>>;

/// A supervisor joined to a bridge.
pub(crate) struct Monitor {
    pub(crate) mode: SuperviseMode,
    /// What the supervisor hears.
    pub(crate) to_supervisor: mpsc::Sender<Vec<i16>>,
    /// What the supervisor says.
    pub(crate) from_supervisor: mpsc::Receiver<Vec<i16>>,
    mixer: Mixer,
    last: Vec<i16>,
}

/// What the caller and the agent hear this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mixed {
    pub(crate) to_caller: Vec<i16>,
    pub(crate) to_agent: Vec<i16>,
}

impl Monitor {
    /// A supervisor joining in `mode`.
    pub(crate) fn new(
        mode: SuperviseMode,
        to_supervisor: mpsc::Sender<Vec<i16>>,
        from_supervisor: mpsc::Receiver<Vec<i16>>,
    ) -> Self {
        let mut mixer = Mixer::new(FRAME);
        mixer.join(CALLER, Role::Talker);
        mixer.join(AGENT, Role::Talker);
        mixer.join(
            SUPERVISOR,
            match mode {
                SuperviseMode::Listen => Role::Listener,
                SuperviseMode::Whisper => Role::Whisper { to: AGENT },
                SuperviseMode::Barge => Role::Talker,
            },
        );
        Self {
            mode,
            to_supervisor,
            from_supervisor,
            mixer,
            last: vec![0; FRAME],
        }
    }

    /// Mixes one tick: `caller` and `agent` are what each said. `None` once the supervisor
    /// has gone (the bridge then carries on without them).
    pub(crate) fn mix(&mut self, caller: &[i16], agent: &[i16]) -> Option<Mixed> {
        // The newest frame the supervisor sent; their last one again if none came this tick
        // would repeat sound, so silence instead.
        let mut said = None;
        loop {
            match self.from_supervisor.try_recv() {
                Ok(frame) => said = Some(frame),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => return None,
            }
        }
        self.last = said.unwrap_or_else(|| vec![0; FRAME]);
        self.mixer.set_input(CALLER, caller);
        self.mixer.set_input(AGENT, agent);
        self.mixer.set_input(SUPERVISOR, &self.last);
        let mut out = self.mixer.mix();
        let hears = out.remove(&SUPERVISOR).unwrap_or_else(|| vec![0; FRAME]);
        match self.to_supervisor.try_send(hears) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return None,
        }
        Some(Mixed {
            to_caller: out.remove(&CALLER).unwrap_or_else(|| vec![0; FRAME]),
            to_agent: out.remove(&AGENT).unwrap_or_else(|| vec![0; FRAME]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(mode: SuperviseMode) -> (Monitor, mpsc::Receiver<Vec<i16>>, mpsc::Sender<Vec<i16>>) {
        let (to_sup, hears) = mpsc::channel(4);
        let (says, from_sup) = mpsc::channel(4);
        (Monitor::new(mode, to_sup, from_sup), hears, says)
    }

    #[test]
    fn each_mode_decides_who_hears_the_supervisor() {
        for (mode, caller_hears_sup, agent_hears_sup) in [
            (SuperviseMode::Listen, false, false),
            (SuperviseMode::Whisper, false, true),
            (SuperviseMode::Barge, true, true),
        ] {
            let (mut m, mut hears, says) = joined(mode);
            says.try_send(vec![1; FRAME]).unwrap();
            let mixed = m.mix(&[100; FRAME], &[10; FRAME]).unwrap();
            assert_eq!(
                mixed.to_caller[0],
                10 + i16::from(caller_hears_sup),
                "{mode:?}"
            );
            assert_eq!(
                mixed.to_agent[0],
                100 + i16::from(agent_hears_sup),
                "{mode:?}"
            );
            assert_eq!(
                hears.try_recv().unwrap()[0],
                110,
                "the supervisor hears both sides"
            );
        }
    }

    #[test]
    fn a_supervisor_who_hung_up_leaves_the_bridge() {
        let (mut m, hears, says) = joined(SuperviseMode::Barge);
        drop(says);
        assert!(m.mix(&[0; FRAME], &[0; FRAME]).is_none());
        let (mut m, hears2, _says) = joined(SuperviseMode::Listen);
        drop(hears2);
        assert!(m.mix(&[0; FRAME], &[0; FRAME]).is_none());
        drop(hears);
    }
}
