// RFC 4475 §3.3's semantic messages: the status a registrar and answering user agent gives
// each (`None`: no answer). Included by the torture tests of bnpt-callcenter and sip-uas.

/// File → the status a registrar and UAS like ours answers with (`None`: no answer).
const SEMANTIC_ANSWERS: [(&str, Option<u16>); 16] = [
    ("badbranch.dat", Some(200)), // processed with the RFC 2543 fallback
    ("bcast.dat", None),          // a response: nothing to answer
    ("bext01.dat", Some(420)),
    ("cparam01.dat", Some(401)), // REGISTER without credentials: challenged
    ("cparam02.dat", Some(401)),
    ("insuf.dat", Some(400)),
    ("invut.dat", Some(415)),
    ("mcl01.dat", Some(400)),
    ("multi01.dat", Some(400)),
    ("novelsc.dat", Some(416)),
    ("regaut01.dat", Some(401)), // an authentication scheme we do not know: our challenge
    ("regescrt.dat", Some(401)),
    ("sdp01.dat", Some(406)),
    ("unkscm.dat", Some(416)),
    ("unksm2.dat", Some(400)), // the AOR is not a SIP URI
    ("zeromf.dat", Some(200)), // Max-Forwards 0 is for proxies; an endpoint answers
];
