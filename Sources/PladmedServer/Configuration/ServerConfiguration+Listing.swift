import Foundation

extension ServerConfiguration {
    /// Every setting under its environment name with its effective value, secrets redacted: what
    /// `pladmed config` prints.
    public var listing: [(name: String, value: String)] {
        func seconds(_ value: Double) -> String { value.formatted(.number.grouping(.never)) }
        return [
            ("PLADMED_ENV", production ? "production" : "development"),
            ("SECRET_KEY", secretKey == Self.developmentSecret ? "(the development secret)" : "(redacted, \(secretKey.utf8.count) bytes)"),
            ("HOST", host),
            ("PORT", String(port)),
            ("PLADMED_TLS_CERT", tlsCertificate ?? ""),
            ("PLADMED_TLS_KEY", tlsKey ?? ""),
            ("DATABASE", store.rawValue),
            ("PLADMED_SQLITE_PATH", sqlitePath),
            ("MONGODB_URI", Self.redacted(uri: mongoURI)),
            ("MONGO_WRITE_CONCERN", mongoWriteConcern),
            ("TZ", timeZone.identifier),
            ("LOG_FILE", logFile ?? ""),
            ("LOG_FORMAT", logFormat.rawValue),
            ("PLADMED_MAX_UPLOAD_BYTES", String(maxUploadBytes)),
            ("PLADMED_MAX_RESULT_BYTES", String(maxResultBytes)),
            ("PLADMED_MAX_BODY_BYTES", String(maxBodyBytes)),
            ("PLADMED_MAX_BODY_DEPTH", String(maxBodyDepth)),
            ("PLADMED_MAX_PROBES_PER_OPERATION", String(maxProbesPerOperation)),
            ("PLADMED_MAX_CREDITS", maxCredits.formatted(.number.grouping(.never))),
            ("PLADMED_TOKEN_TTL", seconds(tokenLifetime)),
            ("PLADMED_LOGIN_RATE_PER_ADDRESS", String(loginRatePerAddress)),
            ("PLADMED_LOGIN_RATE_PER_ACCOUNT", String(loginRatePerAccount)),
            ("PLADMED_PASSWORD_THREADS", String(passwordThreads)),
            ("PLADMED_MAX_CONNECTIONS_PER_ADDRESS", String(maxConnectionsPerAddress)),
            ("PLADMED_MAX_SESSIONS_PER_ADDRESS", String(maxSessionsPerAddress)),
            ("PLADMED_MAX_PROBES_PER_ACCOUNT", String(maxProbesPerAccount)),
            ("PLADMED_MAX_PARAMS_BYTES", String(maxParamsBytes)),
            ("PLADMED_REQUEST_HEAD_TIMEOUT", seconds(requestHeadTimeout)),
            ("PLADMED_IDLE_TIMEOUT", seconds(idleTimeout)),
            ("PLADMED_PROBE_LIST_MAX_AGE", seconds(probeListMaxAge)),
            ("PLADMED_DRAIN_TIMEOUT", seconds(drainTimeout)),
            ("PLADMED_SWAGGER_UI_DIR", swaggerUIDirectory ?? ""),
            ("PLADMED_TRUSTED_PROXIES", trustedProxies.joined(separator: ",")),
            ("REDIS_URL", redisURL.map { Self.redacted(uri: $0) } ?? ""),
            ("PLADMED_INSTANCE", instanceName ?? ""),
            ("PLADMED_CLUSTER_TTL", seconds(clusterTTL)),
        ]
    }

    /// `uri` with its password replaced by `***`, for logs and listings.
    public static func redacted(uri: String) -> String {
        guard let at = uri.lastIndex(of: "@"), let scheme = uri.range(of: "://") else { return uri }
        let credentials = uri[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return uri }
        return String(uri[..<colon]) + ":***" + String(uri[at...])
    }
}
