import Foundation

extension CronExpression {
    /// Expressions parsed from texts of at most ``keptTextBytes`` bytes, by text; emptied when ``keptLimit`` are kept.
    private static let kept = Mutex<[String: CronExpression]>([:])
    /// The most expressions kept.
    static let keptLimit = 256
    /// The longest text whose expression is kept.
    static let keptTextBytes = 128

    /// `CronExpression(text)`, parsed once for a short text: parsing cost more than every other rule of an operation
    /// together, and users send the same few expressions.
    public static func parsed(_ text: String) throws -> CronExpression {
        guard text.utf8.count <= keptTextBytes else { return try CronExpression(text) }
        if let found = kept.withLock({ $0[text] }) { return found }
        let expression = try CronExpression(text)
        kept.withLock { kept in
            if kept.count >= keptLimit { kept.removeAll(keepingCapacity: true) }
            kept[text] = expression
        }
        return expression
    }
}
