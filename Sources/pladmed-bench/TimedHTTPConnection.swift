import Foundation

/// One kept-alive HTTP/1.1 connection on a blocking socket, for timing single requests: ``exchange(_:)`` reads the
/// clock just before the request's bytes are written, so that a client's task hops and event loop do not count in
/// the server's figure. A connection the server closes is opened again before the next request's clock starts.
/// Used from one thread at a time (``TimedHTTPClient`` keeps it on its own queue).
final class TimedHTTPConnection {
    /// An answer: its status and body, and when the request was sent.
    struct Answer {
        var sent: ContinuousClock.Instant
        var status: Int
        var body: Data
    }

    let host: String
    let port: Int
    private var socket: Int32 = -1
    private var buffer: [UInt8] = []
    /// The largest head and body accepted.
    static let maxHeadBytes = 64 << 10
    static let maxBodyBytes = 16 << 20

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    deinit { close() }

    /// Sends `request` (a whole HTTP/1.1 request) and reads the answer, whose length is given by `Content-Length`
    /// or chunked encoding.
    func exchange(_ request: [UInt8]) throws -> Answer {
        if socket < 0 { try open() }
        let sent = ContinuousClock.now
        try request.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw BenchError("writing to \(host):\(port) failed: errno \(errno)") }
                offset += written
            }
        }
        let (status, headers) = try readHead()
        let body: [UInt8]
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try readChunks()
        } else {
            guard let length = Int(headers["content-length"] ?? ""), (0...Self.maxBodyBytes).contains(length) else {
                throw BenchError("an answer from \(host):\(port) has no usable Content-Length")
            }
            body = try read(count: length)
        }
        if headers["connection"]?.lowercased().contains("close") == true { close() }
        return Answer(sent: sent, status: status, body: Data(body))
    }

    func close() {
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
        buffer = []
    }

    private func open() throws {
        var hints = addrinfo(ai_flags: 0, ai_family: AF_UNSPEC, ai_socktype: Int32(SOCK_STREAM.rawValue), ai_protocol: 0,
                             ai_addrlen: 0, ai_addr: nil, ai_canonname: nil, ai_next: nil)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let address = found else {
            throw BenchError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(found) }
        let fd = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard fd >= 0 else { throw BenchError("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            Glibc.close(fd)
            throw BenchError("cannot connect to \(host):\(port): errno \(errno)")
        }
        socket = fd
    }

    /// Reads more bytes into `buffer`; throws at end of stream.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else {
            close()
            throw BenchError("\(host):\(port) closed the connection or timed out before answering")
        }
        buffer += chunk[..<count]
    }

    private func readHead() throws -> (Int, [String: String]) {
        let end: Int = try {
            while true {
                if let range = buffer.firstRange(of: Array("\r\n\r\n".utf8)) { return range.upperBound }
                guard buffer.count <= Self.maxHeadBytes else { throw BenchError("an answer's head is over \(Self.maxHeadBytes) bytes") }
                try fill()
            }
        }()
        let lines = String(decoding: buffer[..<(end - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        buffer.removeFirst(end)
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw BenchError("a malformed status line: \(lines.first ?? "")") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    private func read(count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        let bytes = Array(buffer[..<count])
        buffer.removeFirst(count)
        return bytes
    }

    private func readLine() throws -> String {
        while true {
            if let range = buffer.firstRange(of: Array("\r\n".utf8)) {
                let line = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                buffer.removeFirst(range.upperBound)
                return line
            }
            guard buffer.count <= Self.maxHeadBytes else { throw BenchError("a chunk size line is over \(Self.maxHeadBytes) bytes") }
            try fill()
        }
    }

    private func readChunks() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeText = try readLine().split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0,
                  body.count + size <= Self.maxBodyBytes
            else { throw BenchError("a malformed or oversized chunk: '\(sizeText)'") }
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            body += try read(count: size)
            _ = try read(count: 2)
        }
    }
}
