import CompressNIO
import Foundation
import Logging
import NIOCore
import PladmedCore
import PladmedStorage
import SocketIO
import Warts

/// Turns a probe's `results` upload into a stored result: checks it, converts warts (to the JSON values of
/// `sc_warts2json` or the text of `sc_analysis_dump`, by the operation's result format) or gunzips text
/// (bounded), and stores it with the owner's reward in one step. The answer is what the ack carries.
struct ResultIngestor: Sendable {
    let store: any Store
    let operations: OperationDirectory
    /// The largest content one result may store (gunzipped text, converted warts).
    let maxResultBytes: Int
    let timeZone: TimeZone
    let metrics: PladmedMetrics

    init(store: any Store, maxResultBytes: Int, timeZone: TimeZone, metrics: PladmedMetrics) {
        self.store = store
        self.metrics = metrics
        self.operations = OperationDirectory(store: store)
        self.maxResultBytes = maxResultBytes
        self.timeZone = timeZone
    }

    /// The ack's single value: the operation id when the result is stored (or already was), or `{"Error": ...}`.
    func ingest(_ upload: SocketIOValue?, from probe: ObjectID, logger: Logger) async -> SocketIOValue {
        do {
            let operation = try await ingestOrThrow(upload, from: probe, logger: logger)
            return .string(operation.hex)
        } catch let refusal as ResultRefusal {
            metrics.refused(reason: refusal.reason.rawValue)
            logger.info("result refused", metadata: ["probe": "\(probe)", "reason": "\(refusal.error.message)"])
            return .object(["Error": .string(refusal.error.message)])
        } catch let error as PladmedError {
            metrics.refused(reason: ResultRefusal.Reason.storeError.rawValue)
            logger.info("result refused", metadata: ["probe": "\(probe)", "reason": "\(error.message)"])
            return .object(["Error": .string(error.message)])
        } catch {
            metrics.refused(reason: ResultRefusal.Reason.storeError.rawValue)
            logger.error("result not stored", metadata: ["probe": "\(probe)", "error": "\(error)"])
            return .object(["Error": .string("The result could not be stored")])
        }
    }

    private func ingestOrThrow(_ upload: SocketIOValue?, from probe: ObjectID, logger: Logger) async throws -> ObjectID {
        guard let upload, case .object = upload else { throw ResultRefusal(.malformed, .badRequest("results must be an object")) }
        guard let operationID = upload["operation_id"]?.string.flatMap({ ObjectID($0) }) else {
            throw ResultRefusal(.malformed, .badRequest("operation_id must be an ObjectId"))
        }
        guard let code = upload["unique_code"]?.string, !code.isEmpty else {
            throw ResultRefusal(.malformed, .badRequest("unique_code must be a non-empty string"))
        }
        guard case .binary(let content) = upload["content"] else { throw ResultRefusal(.malformed, .badRequest("content must be binary")) }
        guard let operation = try await operations.entry(operationID) else {
            throw ResultRefusal(.unknownOperation, .unknownOperation)
        }
        guard operation.probes.contains(probe) else {
            throw ResultRefusal(.notAssigned, .badRequest("Operation \(operationID) was not given to this probe"))
        }
        let converted: JSONPayload
        switch upload["format"]?.string {
        case "warts": converted = try convertWarts(content, format: operation.resultFormat)
        case "gzip": converted = JSONPayload(.string(try gunzip(content)))
        default: throw ResultRefusal(.malformed, .badRequest("format must be warts or gzip"))
        }
        let size = try converted.text().utf8.count
        guard size <= maxResultBytes else {
            throw ResultRefusal(.tooLarge, .badRequest("The result takes \(size) bytes stored, more than the \(maxResultBytes) one result may"))
        }
        let allowance = operation.allowance
        let outcome = try await store.addResult(
            OperationResult(probe: probe, content: converted, uniqueCode: code), to: operationID,
            reward: allowance.rewardPerResult, rewardedLimit: allowance.rewardedResultsPerProbe, limit: allowance.resultsPerProbe)
        switch outcome {
        case .stored, .storedUnpaid:
            metrics.ingested(reward: outcome == .stored ? allowance.rewardPerResult : 0)
            logger.debug("result stored", metadata: ["probe": "\(probe)", "operation": "\(operationID)", "unique_code": "\(code)"])
        case .duplicate:
            logger.debug("duplicate result acknowledged", metadata: ["probe": "\(probe)", "operation": "\(operationID)", "unique_code": "\(code)"])
        case .codeTakenByAnotherProbe:
            throw ResultRefusal(.duplicateCode, .badRequest("Another probe stored a result with unique_code \(code.prefix(64).debugDescription) for this operation"))
        case .unknownOperation:
            throw ResultRefusal(.unknownOperation, .unknownOperation)
        case .limitReached:
            throw ResultRefusal(.limitReached, .badRequest(
                "This probe has stored the \(allowance.resultsPerProbe) result(s) operation \(operationID) takes from it (one per run paid for, and one more)"))
        }
        return operationID
    }

    /// `json`: the JSON array of `sc_warts2json`'s lines, written straight as text; `dump`: the text of
    /// `sc_analysis_dump` as a JSON string.
    private func convertWarts(_ content: [UInt8], format: String) throws -> JSONPayload {
        guard !content.isEmpty else { throw ResultRefusal(.undecodable, .badRequest("The warts content is empty")) }
        let file = WartsFile(decoding: content)
        if let error = file.error { throw ResultRefusal(.undecodable, .badRequest("Undecodable warts content: \(error)")) }
        return format == "json" ? JSONPayload(trusted: file.jsonArrayText(timeZone: timeZone)) : JSONPayload(.string(file.analysisDump()))
    }

    private func gunzip(_ content: [UInt8]) throws -> String {
        var buffer = ByteBuffer(bytes: content)
        do {
            let text = try buffer.decompress(with: .gzip(), maxSize: maxResultBytes)
            return String(decoding: text.readableBytesView, as: UTF8.self)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw ResultRefusal(.tooLarge, .badRequest("The gzip content expands beyond \(maxResultBytes) bytes"))
        } catch {
            throw ResultRefusal(.undecodable, .badRequest("Undecodable gzip content"))
        }
    }
}

