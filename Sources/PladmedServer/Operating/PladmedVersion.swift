/// The version of this build, as `pladmed --version`, `/health` and `/metrics` (`pladmed_build_info`) report it.
public enum PladmedVersion {
    /// Semantic version of the server and its tools.
    public static let current = "0.4.0"
}
