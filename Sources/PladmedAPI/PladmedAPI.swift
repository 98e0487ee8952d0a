import Foundation

/// Types generated from `docs/endpoints/openapi.yaml`.
///
/// The OpenAPI generator build plugin writes `Types.swift` for this module at build time;
/// the specification itself ships as this module's resource, which the server publishes.
public enum PladmedAPISpec {
    /// Where the specification lives in the repository, relative to the package root.
    public static let path = "docs/endpoints/openapi.yaml"

    /// The specification's text, from the module's resources.
    public static func yaml() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
