//! An N-party mixer with the supervisor modes a call center needs, sans-IO: set each
//! participant's frame, then [`Mixer::mix`] gives each participant what it should hear.
//!
//! Everyone hears the sum of the participants they can hear, never themselves (N−1 mixing):
//! - a [`Role::Talker`] is heard by all (callers, agents, a supervisor who *barges*);
//! - a [`Role::Listener`] hears all and is heard by none (a supervisor who *listens*);
//! - a [`Role::Whisper`] hears all and is heard by one participant only (a supervisor who
//!   *whispers* to the agent; the caller does not hear).
//!
//! ```
//! use sambung_media::mixer::{Mixer, Role};
//! let mut m = Mixer::new(160);
//! m.join(1, Role::Talker); // caller
//! m.join(2, Role::Talker); // agent
//! m.join(3, Role::Whisper { to: 2 }); // supervisor coaching the agent
//! m.set_input(1, &[100; 160]);
//! m.set_input(2, &[10; 160]);
//! m.set_input(3, &[1; 160]);
//! let out = m.mix();
//! assert_eq!(out[&1][0], 10); // the caller hears the agent only
//! assert_eq!(out[&2][0], 101); // the agent hears the caller and the supervisor
//! assert_eq!(out[&3][0], 110); // the supervisor hears both
//! ```

use std::collections::BTreeMap;

/// A participant's id, chosen by the caller (a leg id, say).
pub type ParticipantId = u64;

/// Who hears a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Heard by everyone (barge, or an ordinary party).
    Talker,
    /// Heard by no one (listen).
    Listener,
    /// Heard by one participant only (whisper).
    Whisper {
        /// The one who hears.
        to: ParticipantId,
    },
}

#[derive(Debug, Clone)]
struct Participant {
    role: Role,
    input: Vec<i16>,
    fresh: bool,
}

/// The mixer.
#[derive(Debug, Clone)]
pub struct Mixer {
    frame: usize,
    participants: BTreeMap<ParticipantId, Participant>,
}

/// Most participants in one mix.
pub const MAX_PARTICIPANTS: usize = 64;

impl Mixer {
    /// A mixer for frames of `frame` samples.
    pub fn new(frame: usize) -> Self {
        Self {
            frame,
            participants: BTreeMap::new(),
        }
    }

    /// Adds a participant, or changes its role (listen → whisper → barge mid-call). Returns
    /// false when the mixer is full.
    pub fn join(&mut self, id: ParticipantId, role: Role) -> bool {
        if let Some(p) = self.participants.get_mut(&id) {
            p.role = role;
            return true;
        }
        if self.participants.len() >= MAX_PARTICIPANTS {
            return false;
        }
        self.participants.insert(
            id,
            Participant {
                role,
                input: vec![0; self.frame],
                fresh: false,
            },
        );
        true
    }

    /// Removes a participant.
    pub fn leave(&mut self, id: ParticipantId) {
        self.participants.remove(&id);
    }

    /// Participants.
    pub fn len(&self) -> usize {
        self.participants.len()
    }

    /// True with no participants.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// Sets a participant's frame for this period (shorter input is padded with silence, longer
    /// is cut). A participant with no frame this period contributes silence.
    pub fn set_input(&mut self, id: ParticipantId, samples: &[i16]) {
        if let Some(p) = self.participants.get_mut(&id) {
            let n = samples.len().min(self.frame);
            p.input[..n].copy_from_slice(&samples[..n]);
            p.input[n..].fill(0);
            p.fresh = true;
        }
    }

    fn hears(listener: ParticipantId, speaker: ParticipantId, role: Role) -> bool {
        speaker != listener
            && match role {
                Role::Talker => true,
                Role::Listener => false,
                Role::Whisper { to } => to == listener,
            }
    }

    /// What each participant hears this period; inputs are then cleared.
    pub fn mix(&mut self) -> BTreeMap<ParticipantId, Vec<i16>> {
        let mut out = BTreeMap::new();
        for &listener in self.participants.keys() {
            let mut acc = vec![0i32; self.frame];
            for (&speaker, p) in &self.participants {
                if p.fresh && Self::hears(listener, speaker, p.role) {
                    for (a, &s) in acc.iter_mut().zip(&p.input) {
                        *a += i32::from(s);
                    }
                }
            }
            let mixed = acc
                .into_iter()
                .map(|a| {
                    i16::try_from(a.clamp(i32::from(i16::MIN), i32::from(i16::MAX))).unwrap_or(0)
                })
                .collect();
            out.insert(listener, mixed);
        }
        for p in self.participants.values_mut() {
            p.fresh = false;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: u64 = 1;
    const AGENT: u64 = 2;
    const SUPERVISOR: u64 = 3;

    fn three(role: Role) -> BTreeMap<u64, Vec<i16>> {
        let mut m = Mixer::new(4);
        m.join(CALLER, Role::Talker);
        m.join(AGENT, Role::Talker);
        m.join(SUPERVISOR, role);
        m.set_input(CALLER, &[100; 4]);
        m.set_input(AGENT, &[10; 4]);
        m.set_input(SUPERVISOR, &[1; 4]);
        m.mix()
    }

    #[test]
    fn listen_whisper_barge() {
        let listen = three(Role::Listener);
        assert_eq!(
            (
                listen[&CALLER][0],
                listen[&AGENT][0],
                listen[&SUPERVISOR][0]
            ),
            (10, 100, 110)
        );
        let whisper = three(Role::Whisper { to: AGENT });
        assert_eq!(
            (
                whisper[&CALLER][0],
                whisper[&AGENT][0],
                whisper[&SUPERVISOR][0]
            ),
            (10, 101, 110)
        );
        let barge = three(Role::Talker);
        assert_eq!(
            (barge[&CALLER][0], barge[&AGENT][0], barge[&SUPERVISOR][0]),
            (11, 101, 110)
        );
    }

    #[test]
    fn saturates_pads_and_forgets_stale_input() {
        let mut m = Mixer::new(3);
        m.join(1, Role::Talker);
        m.join(2, Role::Talker);
        m.join(3, Role::Talker);
        m.set_input(1, &[30_000, 30_000]);
        m.set_input(2, &[30_000, -30_000, 5, 99]);
        let out = m.mix();
        assert_eq!(out[&3], vec![i16::MAX, 0, 5]);
        // Nothing set this period: silence, not the last frame again.
        assert_eq!(m.mix()[&3], vec![0, 0, 0]);
        m.leave(2);
        assert_eq!(m.len(), 2);
        assert!(!m.mix().contains_key(&2));
    }

    #[test]
    fn a_role_changes_mid_call_and_the_mixer_is_bounded() {
        let mut m = Mixer::new(1);
        for id in 0..MAX_PARTICIPANTS as u64 {
            assert!(m.join(id, Role::Listener));
        }
        assert!(!m.join(999, Role::Talker));
        assert!(m.join(0, Role::Talker), "changing a role is always allowed");
    }
}
