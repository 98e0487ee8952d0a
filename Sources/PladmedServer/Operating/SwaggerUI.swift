import Foundation
import NIOCore

/// Swagger UI's files, read once from the folder `PLADMED_SWAGGER_UI_DIR` names (PyPI `swagger-ui-py` ships
/// them; `make` copies them to `.build/swagger-ui/`), and the page at `/docs` that shows `/openapi.json` with them.
struct SwaggerUI: Sendable {
    /// The files `/docs/<name>` serves, by name, with their content type.
    static let files: [String: String] = [
        "swagger-ui.css": "text/css; charset=utf-8",
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "favicon-32x32.png": "image/png",
        "favicon-16x16.png": "image/png",
        "oauth2-redirect.html": "text/html; charset=utf-8",
    ]

    let contents: [String: ByteBuffer]

    /// Reads the files from `directory`; throws naming the first one missing.
    init(directory: String) throws {
        var contents: [String: ByteBuffer] = [:]
        for name in Self.files.keys {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("PLADMED_SWAGGER_UI_DIR: \(path) is missing (make copies Swagger UI to .build/swagger-ui)")
            }
            contents[name] = ByteBuffer(bytes: data)
        }
        self.contents = contents
    }

    /// What starts Swagger UI on `/openapi.json`, served as `/docs/pladmed-docs.js` (no inline script: the pages'
    /// ``securityHeaders`` allow scripts from this server only).
    static let starter = """
        window.ui = SwaggerUIBundle({
          url: "/openapi.json",
          dom_id: "#swagger-ui",
          deepLinking: true,
          presets: [SwaggerUIBundle.presets.apis],
          layout: "BaseLayout",
          oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect.html"
        });

        """

    /// The headers of every `/docs` answer: no type sniffing, no framing, scripts and styles from this server only
    /// (Swagger UI sets styles inline, and shows images as data URLs).
    static let securityHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"),
    ]

    /// The page at `/docs`.
    static let page = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>pladmed API</title>
        <link rel="stylesheet" href="/docs/swagger-ui.css">
        <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
        </head>
        <body>
        <div id="swagger-ui"></div>
        <script src="/docs/swagger-ui-bundle.js"></script>
        <script src="/docs/pladmed-docs.js"></script>
        </body>
        </html>

        """
}
