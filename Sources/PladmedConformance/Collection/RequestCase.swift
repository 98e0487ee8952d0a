import Foundation

/// Which contract a run judges by: the original implementation's (its documented defects included) or our
/// hardened one (`docs/endpoints/DEVIATIONS.md`).
public enum Profile: String, Sendable, CaseIterable {
    case original, strict
}

/// One request of the collection with its folder, tags, directives and expected answer per profile.
///
/// Directives are lines of an item's or folder's description (Postman shows them as documentation):
/// `@tags a, b` adds tags; `@sessions-only` (folder) keeps its requests for the probe sessions, which name
/// them; `@after create-superuser` creates the superuser once the request has run; `@recorded NAME` names the
/// step of the original's recording that answered the same request.
public struct RequestCase: Sendable {
    /// `Folder / Request`.
    public let name: String
    public let tags: [String]
    /// Run only when a probe session names it.
    public let sessionsOnly: Bool
    /// Create the superuser once this request has run.
    public let createsSuperuserAfter: Bool
    /// The step of `recordings/rest.json` this request repeats, if any.
    public let recorded: String?
    public let request: PostmanCollection.Request
    let examples: [PostmanCollection.Example]

    /// The example this profile expects, and whether it is specific to the profile (`[original] ...`,
    /// `[strict] ...`) rather than shared; `nil` when the profile has no expectation here.
    public func expectation(for profile: Profile) -> (example: PostmanCollection.Example, specific: Bool)? {
        if let specific = examples.first(where: { $0.name.hasPrefix("[\(profile.rawValue)]") }) { return (specific, true) }
        return examples.first { !$0.name.hasPrefix("[") }.map { ($0, false) }
    }

    /// Every request of `collection`, folders flattened in order.
    public static func all(in collection: PostmanCollection) throws -> [RequestCase] {
        var cases: [RequestCase] = []
        func walk(_ items: [PostmanCollection.Item], folder: [String], tags: [String], sessionsOnly: Bool) throws {
            for item in items {
                let directives = Directives(item.description ?? item.request?.description ?? "")
                if let children = item.item {
                    try walk(children, folder: folder + [item.name], tags: tags + directives.tags,
                             sessionsOnly: sessionsOnly || directives.sessionsOnly)
                    continue
                }
                guard let request = item.request else { throw CollectionError("'\(item.name)' has neither a request nor items") }
                let examples = item.response ?? []
                guard !examples.isEmpty else { throw CollectionError("'\(item.name)' has no saved example response to expect") }
                let name = (folder + [item.name]).joined(separator: " / ")
                let prefixed = Set(examples.compactMap { example in
                    Profile.allCases.first { example.name.hasPrefix("[\($0.rawValue)]") }
                })
                let shared = examples.contains { !$0.name.hasPrefix("[") }
                var profileTags: [String] = []
                switch (prefixed.contains(.original), prefixed.contains(.strict), shared) {
                case (false, false, _): break
                // A profile without an expectation is a deviation too: the behaviour exists in one contract only.
                case (true, false, false): profileTags = ["original-only", "deviation"]
                case (false, true, false): profileTags = ["strict-only", "deviation"]
                default: profileTags = ["deviation"]
                }
                cases.append(RequestCase(
                    name: name, tags: Array(Set(tags + directives.tags + profileTags)).sorted(), sessionsOnly: sessionsOnly,
                    createsSuperuserAfter: directives.after.contains("create-superuser"), recorded: directives.recorded,
                    request: request, examples: examples))
            }
        }
        try walk(collection.item, folder: [], tags: [], sessionsOnly: false)
        var names: Set<String> = []
        for requestCase in cases where !names.insert(requestCase.name).inserted {
            throw CollectionError("two requests are named '\(requestCase.name)'")
        }
        return cases
    }

    /// The directive lines of a description.
    struct Directives {
        var tags: [String] = []
        var sessionsOnly = false
        var after: [String] = []
        var recorded: String?

        init(_ description: String) {
            for line in description.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if line.hasPrefix("@tags ") {
                    tags += line.dropFirst(6).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                } else if line == "@sessions-only" {
                    sessionsOnly = true
                } else if line.hasPrefix("@after ") {
                    after.append(String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces))
                } else if line.hasPrefix("@recorded ") {
                    recorded = String(line.dropFirst(10)).trimmingCharacters(in: .whitespaces)
                }
            }
        }
    }
}
