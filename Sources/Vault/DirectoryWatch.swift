import Crypto

/// `directory watch` (§5.4): the alarm against a Secretariat (or anyone) substituting a
/// State's keys. A party watches the directory for statements about itself that its own
/// keys did not sign.
extension DirectoryState {
    /// Every statement about `party`, accepted or rejected, in log order, that no key of
    /// `party` valid at the statement's time (and never revoked) signed, as far as the
    /// replay could tell: a statement whose signatures failed to verify is included (its
    /// signers are then unknown). For `enrol` of a new party the party's key is the enrolled
    /// key (which the out-of-band check, `checkEnrolment`, is for). An honest directory
    /// shows nothing here except the party's own statements signed by keys it has since
    /// lost the use of, so anything listed deserves a look; an accepted one is an alarm.
    public func watch(party: PartyCode) -> [StatementOutcome] {
        outcomes.filter { $0.statement?.party == party && !$0.signedByParty }
    }

    /// Entries that could not be read as statements at all (so cannot be attributed to a
    /// party); always rejected.
    public var unreadable: [StatementOutcome] { outcomes.filter { $0.statement == nil } }
}
