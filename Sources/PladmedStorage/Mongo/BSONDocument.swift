import CLibMongoC
import Foundation
import PladmedCore

/// A BSON value, with the numeric types kept apart as MongoDB stores them.
public indirect enum BSONValue: Sendable, Equatable {
    case double(Double)
    case string(String)
    case document(BSONDocument)
    case array([BSONValue])
    case binary([UInt8])
    case objectID(ObjectID)
    case bool(Bool)
    case date(Date)
    case null
    case int32(Int32)
    case int64(Int64)

    /// The number, whatever its BSON type (the original stored credits as int32, int64 or double).
    public var number: Double? {
        switch self {
        case .double(let value): value
        case .int32(let value): Double(value)
        case .int64(let value): Double(value)
        default: nil
        }
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var objectID: ObjectID? { if case .objectID(let value) = self { value } else { nil } }
    public var document: BSONDocument? { if case .document(let value) = self { value } else { nil } }
    public var array: [BSONValue]? { if case .array(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
}

/// An ordered BSON document.
public struct BSONDocument: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// Fields in order.
    public var fields: [(key: String, value: BSONValue)]

    public init(_ fields: [(key: String, value: BSONValue)] = []) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.fields = elements.map { (key: $0.0, value: $0.1) }
    }

    /// The first field named `key`; setting replaces it in place or appends it.
    public subscript(key: String) -> BSONValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((key: key, value: newValue))
            }
        }
    }

    public static func == (lhs: BSONDocument, rhs: BSONDocument) -> Bool {
        lhs.fields.count == rhs.fields.count && zip(lhs.fields, rhs.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

// MARK: libbson bridge

extension BSONDocument {
    /// Runs `body` with this document as a temporary `bson_t`.
    func withBSON<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        let bson = bson_new()!
        defer { bson_destroy(bson) }
        append(to: bson)
        return try body(bson)
    }

    func append(to bson: OpaquePointer) {
        for (key, value) in fields { value.append(to: bson, key: key) }
    }

    /// The size of the document encoded as BSON, in bytes (what MongoDB's 16 MiB document limit counts).
    public var encodedSize: Int { withBSON(Self.size(of:)) }

    /// The length of an encoded `bson_t`: its first four bytes, little-endian.
    static func size(of bson: OpaquePointer) -> Int {
        let data = bson_get_data(bson)!
        return Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24
    }

    /// A copy of a `bson_t`'s fields.
    init(bson: OpaquePointer) {
        let iterator = pladmed_bson_iter_storage()!
        defer { bson_free(UnsafeMutableRawPointer(iterator)) }
        self.init(bson_iter_init(iterator, bson) ? Self.fields(iterator) : [])
    }

    /// The fields an initialised iterator has left.
    static func fields(_ iterator: OpaquePointer) -> [(key: String, value: BSONValue)] {
        var fields: [(key: String, value: BSONValue)] = []
        while bson_iter_next(iterator) {
            fields.append((key: String(cString: bson_iter_key(iterator)), value: BSONValue(iterator: iterator)))
        }
        return fields
    }

    /// Runs `body` with an empty `bson_t` that a libmongoc call fills (a reply), destroyed afterwards.
    static func withReply<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        let reply = pladmed_bson_storage()!
        bson_init(reply)
        defer {
            bson_destroy(reply)
            bson_free(UnsafeMutableRawPointer(reply))
        }
        return try body(reply)
    }
}

extension BSONValue {
    func append(to bson: OpaquePointer, key: String) {
        switch self {
        case .double(let value): bson_append_double(bson, key, -1, value)
        case .string(let value): bson_append_utf8(bson, key, -1, value, Int32(value.utf8.count))
        case .bool(let value): bson_append_bool(bson, key, -1, value)
        case .int32(let value): bson_append_int32(bson, key, -1, value)
        case .int64(let value): bson_append_int64(bson, key, -1, value)
        case .null: bson_append_null(bson, key, -1)
        case .date(let value): bson_append_date_time(bson, key, -1, Int64((value.timeIntervalSince1970 * 1000).rounded()))
        case .objectID(let id):
            var oid = bson_oid_t()
            bson_oid_init_from_string(&oid, id.hex)
            bson_append_oid(bson, key, -1, &oid)
        case .binary(let bytes):
            bytes.withUnsafeBufferPointer { buffer in
                _ = bson_append_binary(bson, key, -1, BSON_SUBTYPE_BINARY, buffer.baseAddress, UInt32(buffer.count))
            }
        case .document(let document):
            let child = pladmed_bson_storage()!
            defer { bson_free(UnsafeMutableRawPointer(child)) }
            bson_append_document_begin(bson, key, -1, child)
            document.append(to: child)
            bson_append_document_end(bson, child)
        case .array(let values):
            let child = pladmed_bson_storage()!
            defer { bson_free(UnsafeMutableRawPointer(child)) }
            bson_append_array_begin(bson, key, -1, child)
            for (index, value) in values.enumerated() { value.append(to: child, key: String(index)) }
            bson_append_array_end(bson, child)
        }
    }

    init(iterator: OpaquePointer) {
        switch bson_iter_type(iterator) {
        case BSON_TYPE_DOUBLE: self = .double(bson_iter_double(iterator))
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            let pointer = bson_iter_utf8(iterator, &length)!
            self = .string(String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_BOOL: self = .bool(bson_iter_bool(iterator))
        case BSON_TYPE_INT32: self = .int32(bson_iter_int32(iterator))
        case BSON_TYPE_INT64: self = .int64(bson_iter_int64(iterator))
        case BSON_TYPE_DATE_TIME: self = .date(Date(timeIntervalSince1970: Double(bson_iter_date_time(iterator)) / 1000))
        case BSON_TYPE_OID:
            var text = [CChar](repeating: 0, count: 25)
            bson_oid_to_string(bson_iter_oid(iterator), &text)
            self = ObjectID(String(decoding: text.prefix(24).map { UInt8(bitPattern: $0) }, as: UTF8.self)).map(BSONValue.objectID) ?? .null
        case BSON_TYPE_BINARY:
            var subtype = bson_subtype_t(0)
            var length: UInt32 = 0
            var data: UnsafePointer<UInt8>?
            bson_iter_binary(iterator, &subtype, &length, &data)
            self = .binary(data.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? [])
        case BSON_TYPE_DOCUMENT, BSON_TYPE_ARRAY:
            let isArray = bson_iter_type(iterator) == BSON_TYPE_ARRAY
            let child = pladmed_bson_iter_storage()!
            defer { bson_free(UnsafeMutableRawPointer(child)) }
            let fields = bson_iter_recurse(iterator, child) ? BSONDocument.fields(child) : []
            self = isArray ? .array(fields.map(\.value)) : .document(BSONDocument(fields))
        default:
            self = .null
        }
    }
}

// MARK: JSON values

extension BSONValue {
    /// A JSON value as pymongo stores it: integers as int32 when they fit, else int64.
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = Int32(exactly: value).map(BSONValue.int32) ?? .int64(Int64(value))
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values.map(BSONValue.init))
        case .object(let members): self = .document(BSONDocument(members.sorted { $0.key < $1.key }.map { (key: $0.key, value: BSONValue($0.value)) }))
        }
    }

    /// The JSON form (ObjectIds as hex strings, dates as ISO 8601, binary as base64), as the original's
    /// JSON encoder renders stored values.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int32(let value): .int(Int(value))
        case .int64(let value): .int(Int(value))
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .objectID(let id): .string(id.hex)
        case .date(let date): .string(ISO8601DateFormatter().string(from: date))
        case .binary(let bytes): .string(Data(bytes).base64EncodedString())
        case .array(let values): .array(values.map(\.json))
        case .document(let document): .object(Dictionary(document.fields.map { ($0.key, $0.value.json) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}
