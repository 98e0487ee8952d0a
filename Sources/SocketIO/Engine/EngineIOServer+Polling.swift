import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An Engine.IO error answer: HTTP 400 with `{"code":..,"message":..}`, as the official server sends them.
struct EngineRequestError: Error, Equatable {
    let code: Int
    let message: String

    static let unknownTransport = EngineRequestError(code: 0, message: "Transport unknown")
    static let unknownSession = EngineRequestError(code: 1, message: "Session ID unknown")
    static let badHandshakeMethod = EngineRequestError(code: 2, message: "Bad handshake method")
    static let badRequest = EngineRequestError(code: 3, message: "Bad request")
    static let forbidden = EngineRequestError(code: 4, message: "Forbidden")
    static let unsupportedProtocolVersion = EngineRequestError(code: 5, message: "Unsupported protocol version")
}

/// Answers the HTTP requests of an ``EngineIOServer``'s `path`: long-polling GET/POST, the protocol's errors and
/// CORS preflights. Every other request goes on down the router.
public struct EngineIOMiddleware<Context: RequestContext>: RouterMiddleware {
    let server: EngineIOServer

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard server.matches(path: request.uri.path) else { return try await next(request, context) }
        let remoteAddress = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress
        var response = await server.respond(to: request, remoteAddress: remoteAddress)
        server.addCORSHeaders(to: &response, for: request)
        return response
    }
}

extension EngineIOServer {
    /// The middleware serving HTTP long-polling at `path`; add it to the router before any other.
    public func middleware<Context: RequestContext>(context: Context.Type = Context.self) -> EngineIOMiddleware<Context> {
        EngineIOMiddleware(server: self)
    }

    func respond(to request: Request, remoteAddress: String?) async -> Response {
        if request.method == .options { return Response(status: .noContent) }
        let query = Handshake.parseQuery(request.uri.description)
        guard let transport = query["transport"], transport == "polling" || transport == "websocket" else {
            return Self.error(.unknownTransport)
        }
        guard let sid = query["sid"] else {
            if isRefusingNewSessions { return Self.stopping() }
            guard request.method == .get else { return Self.error(.badHandshakeMethod) }
            guard admitsSession(from: remoteAddress) else {
                logger.info("Engine.IO session refused", metadata: ["reason": "too many sessions from one address"])
                return Self.error(.forbidden)
            }
            // A WebSocket request that reached the router was not an upgrade.
            guard transport == "polling" else { return Self.error(.badRequest) }
            guard query["EIO"] == "4" else { return Self.error(.unsupportedProtocolVersion) }
            let handshake = Handshake(query: query, headers: request.headers, remoteAddress: remoteAddress, auth: nil)
            let session = EngineSession(server: self, handshake: handshake, webSocket: nil)
            guard remember(session) else { return Self.error(.forbidden) }
            return Self.polling([await session.openPolling()])
        }
        guard let session = session(sid) else { return Self.error(.unknownSession) }
        guard transport == "polling" else { return Self.error(.badRequest) }
        switch request.method {
        case .get:
            guard let frames = await session.poll() else { return Self.error(.badRequest) }
            return Self.polling(frames)
        case .post:
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: configuration.maxPayload)
            } catch {
                logger.info("polling POST refused", metadata: ["sid": "\(sid)", "reason": "body larger than maxPayload"])
                return Response(status: .contentTooLarge)
            }
            return await session.post(body) ? Self.text("ok") : Self.error(.badRequest)
        default:
            return Self.error(.badRequest)
        }
    }

    func addCORSHeaders(to response: inout Response, for request: Request) {
        let origin = request.headers[.origin]
        if let allowOrigin = configuration.allowOrigin {
            response.headers[.accessControlAllowOrigin] = allowOrigin
        } else if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowCredentials] = "true"
            response.headers[.vary] = "Origin"
        }
        if request.method == .options {
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            if let requested = request.headers[.accessControlRequestHeaders] {
                response.headers[.accessControlAllowHeaders] = requested
            }
            response.headers[.accessControlMaxAge] = "86400"
        }
    }

    static func polling(_ frames: [EngineFrame]) -> Response {
        text(EngineFrame.pollingPayload(frames))
    }

    static func text(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=UTF-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The answer to a handshake while the server stops: 503, so that the client tries again (elsewhere).
    static func stopping() -> Response {
        let body = SocketIOValue.object(["code": .int(EngineRequestError.badRequest.code), "message": .string("Server is shutting down")]).jsonText
        return Response(
            status: .serviceUnavailable, headers: [.contentType: "application/json", .retryAfter: "1"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func error(_ error: EngineRequestError) -> Response {
        let body = SocketIOValue.object(["code": .int(error.code), "message": .string(error.message)]).jsonText
        return Response(
            status: error == .forbidden ? .forbidden : .badRequest, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
