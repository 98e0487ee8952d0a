/// A failure that the API reports to its caller as `{"Error": message}` with an HTTP status.
public struct PladmedError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status code the error answers with.
    public let status: Int
    /// The message sent to the caller.
    public let message: String
    /// Seconds the caller should wait before trying again (`Retry-After`), when the error says so.
    public let retryAfter: Int?

    /// An error with an explicit status and message.
    public init(status: Int, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status) \(message)" }

    /// 400 with `message`.
    public static func badRequest(_ message: String) -> PladmedError { .init(status: 400, message: message) }
    /// 404 with `message`.
    public static func notFound(_ message: String) -> PladmedError { .init(status: 404, message: message) }
    /// 503 with `message`: the store or another dependency does not answer.
    public static func unavailable(_ message: String) -> PladmedError { .init(status: 503, message: message) }

    /// 401 `No authorization to access this content`: missing, invalid or unknown credentials.
    public static let unauthorized = PladmedError(status: 401, message: "No authorization to access this content")
    /// 400 `Invalid data provided`: a measurement or credits request broke a rule.
    public static let invalidData = PladmedError.badRequest("Invalid data provided")
    /// 404 `Invalid data provided`: an operation names a probe that does not exist.
    public static let unknownProbe = PladmedError.notFound("Invalid data provided")
    /// 404 `No available probes`.
    public static let noAvailableProbes = PladmedError.notFound("No available probes")
    /// 400 `Not enough credits`.
    public static let notEnoughCredits = PladmedError.badRequest("Not enough credits")
    /// 400 `That email is already registered`.
    public static let emailTaken = PladmedError.badRequest("That email is already registered")
    /// 404 `User doesn't exist`.
    public static let unknownUser = PladmedError.notFound("User doesn't exist")
    /// 404 `Operation doesn't exist`.
    public static let unknownOperation = PladmedError.notFound("Operation doesn't exist")
    /// 400: a results page's `after` that no page gave.
    public static let badCursor = PladmedError.badRequest("after must be the next of a previous page")
    /// 400: a grant would take a balance past `limit`.
    public static func balanceLimit(_ limit: Double) -> PladmedError {
        .badRequest("The grant would take the balance past \(limit.formatted(.number.grouping(.never))) credits, the most an account may hold")
    }
    /// 429: too many tries; wait `seconds`.
    public static func tooManyRequests(_ message: String, retryAfter seconds: Int) -> PladmedError {
        .init(status: 429, message: message, retryAfter: max(1, seconds))
    }
    /// 404 `Invalid email or password`.
    /// An account registering a probe past its limit.
    public static func probeLimit(_ limit: Int) -> PladmedError {
        PladmedError(status: 403, message: "This account has registered the \(limit) probe(s) it may; ask an administrator for more")
    }

    public static let invalidLogin = PladmedError.notFound("Invalid email or password")
}
