import Foundation

/// The parts of a Postman v2.1 collection the runner reads: folders, requests, saved example responses,
/// descriptions and collection variables. Scripts (`event`) are for Postman users and are never executed.
public struct PostmanCollection: Decodable, Sendable {
    public struct Info: Decodable, Sendable {
        public let name: String
        public let schema: String
    }

    /// A folder (with `item`) or a request (with `request`).
    public struct Item: Decodable, Sendable {
        public let name: String
        public let description: String?
        public let item: [Item]?
        public let request: Request?
        public let response: [Example]?
    }

    public struct Header: Decodable, Sendable {
        public let key: String
        public let value: String
        public let disabled: Bool?
    }

    public struct Request: Decodable, Sendable {
        public struct URL: Decodable, Sendable {
            public let raw: String
        }

        public struct Body: Decodable, Sendable {
            public let mode: String
            public let raw: String?
        }

        public let method: String
        public let header: [Header]?
        public let body: Body?
        public let url: URL
        public let description: String?
    }

    /// A saved example response: what the runner expects, and what Postman shows.
    public struct Example: Decodable, Sendable {
        public let name: String
        public let code: Int
        public let header: [Header]?
        public let body: String?
    }

    public struct Variable: Decodable, Sendable {
        public let key: String
        public let value: String
    }

    public let info: Info
    public let item: [Item]
    public let variable: [Variable]?

    /// Reads the collection at `path`.
    public init(contentsOf path: String) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(contentsOf: Foundation.URL(fileURLWithPath: path)))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        info = try container.decode(Info.self, forKey: .info)
        item = try container.decode([Item].self, forKey: .item)
        variable = try container.decodeIfPresent([Variable].self, forKey: .variable)
        guard info.schema.contains("v2.1") else { throw CollectionError("\(info.schema) is not a Postman v2.1 collection") }
    }

    private enum CodingKeys: String, CodingKey { case info, item, variable }
}

/// A collection or session file the runner cannot use.
public struct CollectionError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
