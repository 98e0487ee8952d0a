import JSONValues

/// The arithmetic of a `{{= ...}}` placeholder: numbers, bound variables, `+ - * /`, unary minus and
/// parentheses, with the usual precedence. It lets an expectation follow from values captured earlier (a
/// balance after a charge: `{{= before - 30}}`) where the absolute value depends on the day the suite runs.
public struct Expression: Equatable, Sendable {
    indirect enum Node: Equatable, Sendable {
        case number(Double)
        case variable(String)
        case negate(Node)
        case binary(Character, Node, Node)
    }

    let root: Node
    /// The text it was parsed from, for messages.
    public let text: String

    /// Parses `text`; `nil` when it is not an expression of this grammar.
    public init?(_ text: String) {
        var parser = Parser(characters: Array(text))
        guard let root = parser.sum(), parser.atEnd else { return nil }
        self.root = root
        self.text = text.trimmingCharacters(in: .whitespaces)
    }

    /// The value with `values` bound; throws when a variable is unbound or not a number, or on division by zero.
    public func evaluate(_ values: [String: JSONValue]) throws -> Double {
        try Self.evaluate(root, values)
    }

    private static func evaluate(_ node: Node, _ values: [String: JSONValue]) throws -> Double {
        switch node {
        case .number(let number): return number
        case .variable(let name):
            guard let value = values[name] else { throw TemplateError("variable '\(name)' is not bound") }
            guard let number = value.number else { throw TemplateError("variable '\(name)' is not a number") }
            return number
        case .negate(let inner): return -(try evaluate(inner, values))
        case .binary(let operation, let left, let right):
            let (a, b) = (try evaluate(left, values), try evaluate(right, values))
            switch operation {
            case "+": return a + b
            case "-": return a - b
            case "*": return a * b
            default:
                guard b != 0 else { throw TemplateError("division by zero") }
                return a / b
            }
        }
    }

    /// `number` as JSON: an integer when it has no fraction.
    static func json(_ number: Double) -> JSONValue {
        number.rounded() == number && abs(number) < 9e15 ? .int(Int(number)) : .double(number)
    }

    /// Whether `number` is the expression's value `expected`, up to the rounding of floating-point arithmetic.
    static func agrees(_ number: Double, with expected: Double) -> Bool {
        number == expected || abs(number - expected) <= 1e-9 * max(abs(number), abs(expected))
    }

    /// A recursive-descent parser: sum := product (('+'|'-') product)*; product := unary (('*'|'/') unary)*;
    /// unary := '-' unary | atom; atom := number | name | '(' sum ')'.
    private struct Parser {
        let characters: [Character]
        var index = 0

        var atEnd: Bool {
            mutating get {
                skipSpaces()
                return index == characters.count
            }
        }

        mutating func skipSpaces() {
            while index < characters.count, characters[index] == " " { index += 1 }
        }

        mutating func take(_ options: Set<Character>) -> Character? {
            skipSpaces()
            guard index < characters.count, options.contains(characters[index]) else { return nil }
            index += 1
            return characters[index - 1]
        }

        mutating func sum() -> Node? {
            guard var node = product() else { return nil }
            while let operation = take(["+", "-"]) {
                guard let right = product() else { return nil }
                node = .binary(operation, node, right)
            }
            return node
        }

        mutating func product() -> Node? {
            guard var node = unary() else { return nil }
            while let operation = take(["*", "/"]) {
                guard let right = unary() else { return nil }
                node = .binary(operation, node, right)
            }
            return node
        }

        mutating func unary() -> Node? {
            if take(["-"]) != nil { return unary().map(Node.negate) }
            return atom()
        }

        mutating func atom() -> Node? {
            if take(["("]) != nil {
                guard let inner = sum(), take([")"]) != nil else { return nil }
                return inner
            }
            skipSpaces()
            let start = index
            while index < characters.count, characters[index].isNumber || characters[index] == "." { index += 1 }
            if index > start { return Double(String(characters[start..<index])).map(Node.number) }
            while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" { index += 1 }
            return index > start ? .variable(String(characters[start..<index])) : nil
        }
    }
}
