import Vault

/// The relay: stores sealed envelopes it cannot read, enforces who may fetch what, and
/// keeps the transparency logs (`LogStore`). The HTTP server comes with issue 5.
public enum Relay {
    /// The directory model the relay serves; fixes the dependency chain Relay → Vault.
    public typealias Directory = KeyDirectory
}
