import CLibMongoC
import Logging

/// libmongoc's log lines, through swift-log (label `libmongoc`) instead of libmongoc printing to standard error.
enum MongoLog {
    static let logger = Logger(label: "libmongoc")

    /// Installs the handler; runs once, after `mongoc_init`.
    static func install() {
        mongoc_log_set_handler({ level, domain, message, _ in
            let text = message.map { String(cString: $0) } ?? ""
            let area = domain.map { String(cString: $0) } ?? ""
            MongoLog.logger.log(level: MongoLog.level(level, message: text), "\(text)", metadata: ["domain": "\(area)"])
        }, nil)
    }

    /// The swift-log level for a libmongoc line.
    static func level(_ level: mongoc_log_level_t, message: String) -> Logger.Level {
        // When a transaction hits a write conflict the server aborts it; libmongoc's own abort before the retry
        // then finds nothing to abort and warns. The retry commits: this is the expected path, not a warning.
        if message.hasPrefix("Error in abortTransaction") { return .debug }
        switch level {
        case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: return .error
        case MONGOC_LOG_LEVEL_WARNING: return .warning
        case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: return .info
        case MONGOC_LOG_LEVEL_DEBUG: return .debug
        default: return .trace
        }
    }
}
