import ArgumentParser
import Foundation

/// `pladmed-bench http`: a closed loop over named endpoints of any backend.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http", abstract: "Requests/s and latency of endpoints of any backend, in a closed loop.",
        discussion: "Example: pladmed-bench http --base-url http://127.0.0.1:5000 --path /probes --path /users/me --login --connections 10")

    @Option(help: "The backend, e.g. --base-url http://127.0.0.1:5000.")
    var baseURL: String

    @Option(help: "An endpoint to load, e.g. --path /probes; repeat for more (each is run in turn).")
    var path: [String] = ["/probes"]

    @Option(help: "Connections kept busy at once.")
    var connections = 10

    @Option(help: "Seconds per endpoint.")
    var seconds: Double = 5

    @Flag(help: "Register an account and send its token (access_token) with every request.")
    var login = false

    @Option(help: "A header sent with every request, NAME:VALUE (e.g. an access_token of an account with operations); repeatable.")
    var header: [String] = []

    @Option(help: "Write the figures as JSON here.")
    var json: String?

    func run() async throws {
        let backend = try RemoteBackend(baseURL: baseURL, superuser: nil, createSuperuser: nil)
        try await backend.waitUntilAnswering()
        var headers = login ? [("access_token", try await backend.account(credits: 0).token)] : []
        for header in header {
            guard let colon = header.firstIndex(of: ":") else { throw BenchError("--header is NAME:VALUE, not '\(header)'") }
            headers.append((String(header[..<colon]), String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        var figures: [Scenarios.HTTPFigure] = []
        for path in path {
            figures.append(try await Scenarios.http(
                target: baseURL, host: backend.host, port: backend.port, path: path, headers: headers, connections: connections, seconds: seconds))
        }
        print(Table.http(figures))
        if let json { try Table.write(figures, to: json) }
    }
}

/// `pladmed-bench dispatch`: the time from POST to the job's arrival at a probe, on any backend.
struct DispatchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch", abstract: "Dispatch latency (POST /ping -> job at a probe on our Swift client) of any backend.",
        discussion: """
            The probe's owner needs credits: give a superuser (--superuser), created first by --create-superuser when needed.
            Example: pladmed-bench dispatch --base-url http://127.0.0.1:5000 --create-superuser 'pladmed superuser create {email} {password}'
            """)

    @Option(help: "The backend, e.g. --base-url http://127.0.0.1:5000.")
    var baseURL: String

    @Option(help: "The superuser granting credits, EMAIL:PASSWORD.")
    var superuser: String?

    @Option(help: "A shell command creating the superuser; {email} and {password} are replaced.")
    var createSuperuser: String?

    @Option(help: "POSTs timed, one at a time.")
    var samples = 200

    @Option(help: "Write the figures as JSON here.")
    var json: String?

    func run() async throws {
        let backend = try RemoteBackend(baseURL: baseURL, superuser: superuser, createSuperuser: createSuperuser)
        try await backend.waitUntilAnswering()
        let figure = try await Scenarios.dispatch(backend, samples: samples)
        print(String(format: "dispatch (%d samples): p50 %.3f ms, p99 %.3f ms", figure.samples, figure.p50Milliseconds, figure.p99Milliseconds))
        if let json { try Table.write(figure, to: json) }
    }
}
