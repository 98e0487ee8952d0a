import HTTPTypes
import PladmedCore
import SocketIO

/// What a probe presents when it connects: its token in the query, and its credits in the
/// `total_credits` / `in_use_credits` headers.
struct ProbeCredentials: Sendable {
    let probe: ObjectID
    /// The probe's token version the token was minted at (0: none, as the original's tokens); the probe's stored
    /// version must be the same.
    let tokenVersion: Int
    let status: ProbeStatus

    /// Reads and checks the handshake; the error is the CONNECT_ERROR message.
    static func read(_ handshake: Handshake, tokens: TokenService) -> Result<ProbeCredentials, ProbeConnectError> {
        guard let token = handshake.query["token"], let (probe, version) = tokens.probeClaims(fromToken: token) else {
            return .failure(.invalidToken)
        }
        var credits: [Double] = []
        for header in ["total_credits", "in_use_credits"] {
            guard let text = HTTPField.Name(header).flatMap({ handshake.headers[$0] }), let value = Int(text), value >= 0 else {
                return .failure(.badHeader(header))
            }
            credits.append(Double(value))
        }
        return .success(ProbeCredentials(
            probe: probe, tokenVersion: version, status: ProbeStatus(totalCredits: credits[0], inUseCredits: credits[1])))
    }
}

/// Why a probe's connection is refused.
enum ProbeConnectError: Error, Equatable {
    case invalidToken
    case badHeader(String)

    /// The CONNECT_ERROR message: `Invalid token` is the original's, word for word.
    var message: String {
        switch self {
        case .invalidToken: "Invalid token"
        case .badHeader(let name): "Missing or invalid \(name) header: a non-negative integer is required"
        }
    }
}
