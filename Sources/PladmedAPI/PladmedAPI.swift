/// Types and the server protocol generated from `docs/endpoints/openapi.yaml`.
///
/// The OpenAPI generator build plugin writes `Types.swift` and `Server.swift` for this module at build time;
/// a target holding only YAML would not run the plugin, hence this file.
public enum PladmedAPISpec {
    /// Where the specification lives in the repository, relative to the package root.
    public static let path = "docs/endpoints/openapi.yaml"
}
