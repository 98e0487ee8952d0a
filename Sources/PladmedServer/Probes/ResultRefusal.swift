import PladmedCore

/// Why a result was refused: its `reason` labels `pladmed_results_refused_total`, its `error` is the ack's message.
struct ResultRefusal: Error {
    enum Reason: String {
        case malformed, unknownOperation = "unknown_operation", notAssigned = "not_assigned", undecodable
        case tooLarge = "too_large", limitReached = "limit_reached", storeError = "store_error", duplicateCode = "duplicate_code"
    }

    let reason: Reason
    let error: PladmedError

    init(_ reason: Reason, _ error: PladmedError) {
        self.reason = reason
        self.error = error
    }
}
