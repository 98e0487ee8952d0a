import Foundation
import HTTPTypes

/// What a client presented when it connected.
public struct Handshake: Sendable {
    /// Query parameters of the connection request.
    public var query: [String: String]
    /// Headers of the connection request.
    public var headers: HTTPFields
    /// The client's IP address.
    public var remoteAddress: String?
    /// The auth payload of the Socket.IO namespace CONNECT packet (`{}` when it carried none); `nil` at the
    /// Engine.IO level.
    public var auth: SocketIOValue?

    /// The percent-decoded query parameters of a request target.
    static func parseQuery(_ target: String) -> [String: String] {
        guard let question = target.firstIndex(of: "?") else { return [:] }
        var query: [String: String] = [:]
        for pair in target[target.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            query[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return query
    }
}
