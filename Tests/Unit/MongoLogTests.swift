import CLibMongoC
import Logging
@testable import PladmedStorage
import Testing

/// libmongoc's log lines go through swift-log at matching levels.
@Suite("libmongoc logging")
struct MongoLogTests {
    @Test("levels map to swift-log's; the abort before a retried transaction is debug, not a warning")
    func levels() {
        #expect(MongoLog.level(MONGOC_LOG_LEVEL_ERROR, message: "x") == .error)
        #expect(MongoLog.level(MONGOC_LOG_LEVEL_CRITICAL, message: "x") == .error)
        #expect(MongoLog.level(MONGOC_LOG_LEVEL_WARNING, message: "server selection timeout") == .warning)
        #expect(MongoLog.level(MONGOC_LOG_LEVEL_INFO, message: "x") == .info)
        #expect(MongoLog.level(MONGOC_LOG_LEVEL_DEBUG, message: "x") == .debug)
        #expect(MongoLog.level(MONGOC_LOG_LEVEL_TRACE, message: "x") == .trace)
        #expect(MongoLog.level(MONGOC_LOG_LEVEL_WARNING,
                               message: "Error in abortTransaction: Given transaction number 36 does not match any in-progress transactions.") == .debug)
    }
}
