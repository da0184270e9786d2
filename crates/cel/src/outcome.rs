//! The call's `result` (a SIP status) from the CEL `extra` of the main
//! channel's HANGUP, when no conversation was answered.
//!
//! **[derived]** The vendor derives `result` from `hangupcause` and
//! `dialstatus` but does not publish its table (`itgrix-connector.md` §3). This
//! is ours, built from Asterisk's cause↔SIP tables (`asterisk-cel.md` §5) and
//! the codes Bitrix24's `telephony.externalcall.finish` accepts; it is the one
//! place the table lives (docs/ASSUMPTIONS.md, A-RES-2).

use callfull_model::SipStatus;

/// `(hangupcause, SIP status)`: causes specific enough to decide alone.
pub const CAUSE_TO_SIP: [(i64, i64); 12] = [
    (1, 404),  // UNALLOCATED: wrong number
    (3, 404),  // NO_ROUTE_DESTINATION
    (17, 486), // USER_BUSY
    (19, 480), // NO_ANSWER from the phone (480/483, DND)
    (20, 480), // SUBSCRIBER_ABSENT: unregistered
    (21, 603), // CALL_REJECTED: declined
    (22, 404), // NUMBER_CHANGED
    (27, 503), // DESTINATION_OUT_OF_ORDER
    (28, 484), // INVALID_NUMBER_FORMAT
    (34, 503), // NORMAL_CIRCUIT_CONGESTION
    (38, 503), // NETWORK_OUT_OF_ORDER
    (42, 503), // SWITCH_CONGESTION
];

/// The result of a call no conversation answered, from the main channel's
/// hangup: a specific cause first, then `dialstatus`, else missed (304).
pub fn unanswered_result(hangupcause: Option<i64>, dialstatus: &str) -> SipStatus {
    if let Some(sip) = hangupcause.and_then(|c| CAUSE_TO_SIP.iter().find(|(cause, _)| *cause == c)) {
        return SipStatus(sip.1);
    }
    SipStatus(match dialstatus {
        "BUSY" => 486,
        "CONGESTION" => 503,
        "CHANUNAVAIL" => 480,
        // NOANSWER, CANCEL (the caller gave up), "" (nobody was dialed): missed.
        _ => 304,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_win_over_dialstatus() {
        assert_eq!(unanswered_result(Some(17), "BUSY"), SipStatus::BUSY);
        assert_eq!(unanswered_result(Some(1), "NOANSWER"), SipStatus::NOT_FOUND, "CEL says NOANSWER for a 404 leg");
        assert_eq!(unanswered_result(Some(21), "NOANSWER"), SipStatus::DECLINED);
        assert_eq!(unanswered_result(Some(34), "CONGESTION"), SipStatus::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn timeouts_and_cancels_are_missed() {
        assert_eq!(unanswered_result(Some(16), "NOANSWER"), SipStatus::MISSED);
        assert_eq!(unanswered_result(Some(16), "CANCEL"), SipStatus::MISSED);
        assert_eq!(unanswered_result(Some(0), ""), SipStatus::MISSED);
        assert_eq!(unanswered_result(None, "CHANUNAVAIL"), SipStatus::TEMPORARILY_UNAVAILABLE);
    }
}
