import Vault

/// The relay: stores sealed envelopes it cannot read, enforces who may fetch what, and
/// keeps the transparency logs. Built in issues 3 and 5. Until then this module only fixes
/// its place in the dependency chain (`att-report` → `Relay` → `Vault`).
public enum Relay {
    public static let formatVersion = Vault.formatVersion
}
