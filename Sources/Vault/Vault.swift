import Crypto

/// The key directory: parties, keys, roles, points of contact and disclosure preferences,
/// replayed from signed statements; and disclosure levels resolved to recipient keys.
///
/// Built in issue 4. Until then this module only fixes its place in the dependency chain
/// (`Relay` → `Vault` → `Crypto`).
public enum Vault {
    /// The format version of directory statements this build understands.
    public static let formatVersion = 0
}
