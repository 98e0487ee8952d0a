import HTTPTypes

/// The operations of `docs/endpoints/openapi.yaml`, by `operationId`, each with its method and path: the server's
/// route table. ``APIHandler/handler(for:)`` answers each in one place (an exhaustive switch, so an operation without
/// an answer does not compile), and `RouteTableTests` holds this list and the document's operations to one set.
enum APIOperation: String, CaseIterable, Sendable {
    case register, login, logout, getCurrentUser, addCredits, setProbeLimit
    case listProbes, registerProbe, rotateProbeToken, listOwnProbes
    case createTraceroute, createPing, createDns, getOperation, getOperationResults, listOwnOperations, listOperations
    case deleteAll, getHealth

    var method: HTTPRequest.Method {
        switch self {
        case .register, .login, .logout, .addCredits, .setProbeLimit, .registerProbe, .rotateProbeToken, .createTraceroute,
             .createPing, .createDns:
            .post
        case .getCurrentUser, .listProbes, .listOwnProbes, .getOperation, .getOperationResults, .listOwnOperations,
             .listOperations, .getHealth:
            .get
        case .deleteAll: .delete
        }
    }

    var path: String {
        switch self {
        case .register: "/register"
        case .login: "/login"
        case .logout: "/logout"
        case .getCurrentUser: "/users/me"
        case .addCredits: "/credits"
        case .setProbeLimit: "/users/probe_limit"
        case .listProbes, .registerProbe: "/probes"
        case .rotateProbeToken: "/probes/token"
        case .listOwnProbes: "/probes/me"
        case .createTraceroute: "/traceroute"
        case .createPing: "/ping"
        case .createDns: "/dns"
        case .getOperation: "/operation"
        case .getOperationResults: "/operation/results"
        case .listOwnOperations: "/operations/me"
        case .listOperations: "/operations"
        case .deleteAll: "/delete_all"
        case .getHealth: "/health"
        }
    }

    /// Who may call it (``AccessPolicy``, the document's `security`); `nil`: anyone.
    var access: AccessPolicy.Requirement? { AccessPolicy.requirements[rawValue] }

    /// Whether a body that does not decode answers the contract's `Invalid data provided` rather than a message
    /// naming the field.
    var refusesBodiesAsInvalidData: Bool {
        switch self {
        case .createTraceroute, .createPing, .createDns, .addCredits, .setProbeLimit: true
        default: false
        }
    }
}
