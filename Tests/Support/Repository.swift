import Foundation

/// Paths inside this repository and the shared reference material next to it.
public enum Repository {
    /// The package root (the folder holding `Package.swift`).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// A file of the repository, by relative path.
    public static func file(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// The reference recordings of the original backend (`../shared/reference/recordings`), or `PLADMED_REFERENCE`.
    public static var recordings: URL {
        if let override = ProcessInfo.processInfo.environment["PLADMED_REFERENCE"] {
            return URL(fileURLWithPath: override).appendingPathComponent("recordings")
        }
        return root.deletingLastPathComponent().appendingPathComponent("shared/reference/recordings")
    }
}
